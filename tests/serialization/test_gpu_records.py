"""GPU tensors in checkpoints: saved under PyTorch's location names ("cuda:0"), so PyTorch
reads them with its usual rules, and loaded back onto the GPU or wherever map_location says.

Marked `cuda`: runs on a real GPU, or on the fake CuPy with `--fake-gpu`.
"""
from __future__ import annotations

import zipfile

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

pytestmark = pytest.mark.cuda


def _checkpoint(path):
    x = mt.arange(6.0).reshape(2, 3).to("cuda")
    state = {"w": x, "row": x[1], "cpu": mt.ones(2)}
    mt.save(state, path)
    return state


def test_gpu_tensors_come_back_on_the_gpu_with_shared_storage(tmp_path):
    _checkpoint(tmp_path / "g.pt")
    back = mt.load(tmp_path / "g.pt")
    assert back["w"].device == mt.device("cuda", 0) and back["cpu"].device.type == "cpu"
    np.testing.assert_array_equal(back["row"].cpu().numpy(), [3.0, 4.0, 5.0])
    back["w"][1, 0] = 30.0            # one storage record: the view sees the write
    assert back["row"][0].item() == 30.0


def test_map_location_moves_gpu_records_to_the_cpu(tmp_path):
    _checkpoint(tmp_path / "g.pt")
    back = mt.load(tmp_path / "g.pt", map_location="cpu")
    assert {t.device.type for t in back.values()} == {"cpu"}
    np.testing.assert_array_equal(back["w"].numpy(), np.arange(6.0).reshape(2, 3))


def test_records_carry_pytorchs_location_name(tmp_path):
    _checkpoint(tmp_path / "g.pt")
    with zipfile.ZipFile(tmp_path / "g.pt") as zf:
        pickle_bytes = zf.read(next(n for n in zf.namelist() if n.endswith("data.pkl")))
    assert b"cuda:0" in pickle_bytes and b"cpu" in pickle_bytes


@requires_torch
def test_pytorch_reads_gpu_records_as_it_reads_its_own(tmp_path):
    _checkpoint(tmp_path / "g.pt")
    theirs = torch.load(tmp_path / "g.pt", map_location="cpu")
    np.testing.assert_array_equal(theirs["w"].numpy(), np.arange(6.0).reshape(2, 3))
    assert theirs["row"].untyped_storage().data_ptr() == theirs["w"].untyped_storage().data_ptr()
    if not torch.cuda.is_available():   # PyTorch's own refusal on a CPU-only machine
        with pytest.raises(RuntimeError, match="torch.cuda.is_available\\(\\) is False"):
            torch.load(tmp_path / "g.pt")


def test_pytorch_cpu_checkpoint_maps_onto_the_gpu(tmp_path):
    mt.save({"a": mt.arange(4.0)}, tmp_path / "c.pt")
    back = mt.load(tmp_path / "c.pt", map_location="cuda")
    assert back["a"].device == mt.device("cuda", 0)
    np.testing.assert_array_equal(back["a"].cpu().numpy(), [0.0, 1.0, 2.0, 3.0])
