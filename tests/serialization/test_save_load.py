"""save/load round trips, PyTorch's .pt files read without PyTorch, safetensors, bad files."""
from __future__ import annotations

import io
import math
import os
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.serialization import load_safetensors, save_safetensors
from op_harness import requires_torch, torch


def _state():
    sd = OrderedDict()
    sd["w"] = mt.randn(3, 4)
    sd["b"] = mt.arange(3)
    sd["half"] = mt.ones(2, dtype=mt.float16)
    sd["bf"] = mt.tensor([1.5, -2.0], dtype=mt.bfloat16)
    sd["flag"] = mt.tensor([True, False])
    sd._metadata = {"": {"version": 1}}
    return sd


def _assert_same(a, b):
    assert a.dtype is b.dtype and tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(a.float().numpy() if a.dtype.kind >= 2 else a.numpy(),
                                  b.float().numpy() if b.dtype.kind >= 2 else b.numpy())


def test_round_trip_state_dict_keeps_order_dtypes_and_metadata(tmp_path):
    sd = _state()
    path = tmp_path / "ckpt.pt"
    mt.save(sd, path)
    back = mt.load(path)
    assert isinstance(back, OrderedDict) and list(back) == list(sd)
    assert back._metadata == {"": {"version": 1}}
    for k in sd:
        _assert_same(back[k], sd[k])


def test_round_trip_nested_containers_and_scalars_to_file_object():
    obj = {"epoch": 3, "lr": 0.1, "inf": math.inf, "name": "run", "none": None,
           "pair": (1, mt.ones(2)), "list": [mt.zeros(1), {"x": 2**70}], 7: "int key",
           "dtype": mt.float64}
    buf = io.BytesIO()
    mt.save(obj, buf)
    buf.seek(0)
    back = mt.load(buf)
    assert back["epoch"] == 3 and back["lr"] == 0.1 and back["inf"] == math.inf
    assert back["pair"][0] == 1 and isinstance(back["pair"], tuple)
    assert back["list"][1]["x"] == 2**70 and back[7] == "int key"
    assert back["dtype"] is mt.float64
    assert back["pair"][1].tolist() == [1.0, 1.0]


def test_shared_tensors_are_stored_once_and_stay_shared(tmp_path):
    t = mt.ones(3)
    mt.save({"a": t, "b": t}, tmp_path / "s.pt")
    back = mt.load(tmp_path / "s.pt")
    assert back["a"] is back["b"]
    with zipfile.ZipFile(tmp_path / "s.pt") as zf:
        assert len([n for n in zf.namelist() if n.startswith("archive/data/")]) == 1


def test_unpicklable_objects_are_refused():
    with pytest.raises(TypeError, match="cannot pickle 'generator' object"):
        mt.save({"x": (i for i in range(3))}, io.BytesIO())


def test_corrupt_and_truncated_files_raise_clear_errors(tmp_path):
    path = tmp_path / "bad.pt"
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(RuntimeError, match="not a minitorch_nn or PyTorch checkpoint"):
        mt.load(path)
    good = tmp_path / "good.pt"
    mt.save({"w": mt.ones(100)}, good)
    data = good.read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match="checkpoint|corrupt"):
        mt.load(tmp_path / "cut.pt")
    with pytest.raises(FileNotFoundError):
        mt.load(tmp_path / "missing.pt")


def test_failed_save_leaves_existing_file_untouched(tmp_path):
    path = tmp_path / "ckpt.pt"
    mt.save({"w": mt.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        mt.save({"w": (i for i in range(3))}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]


def test_map_location_accepts_strings_and_callables(tmp_path):
    mt.save({"w": mt.ones(2)}, tmp_path / "m.pt")
    assert mt.load(tmp_path / "m.pt", map_location="cpu")["w"].device.type == "cpu"
    seen = []
    mt.load(tmp_path / "m.pt", map_location=lambda t, loc: seen.append(loc) or t)
    assert seen == ["cpu"]


@requires_torch
def test_reads_a_pytorch_state_dict_without_pytorch_code(tmp_path):
    sd = OrderedDict()
    sd["weight"] = torch.randn(4, 3)
    sd["t"] = torch.randn(3, 5).t()            # non-contiguous strides
    sd["view"] = torch.arange(10)[2:6]         # storage offset
    sd["bf"] = torch.ones(2, dtype=torch.bfloat16)
    sd["half"] = torch.ones(2, dtype=torch.float16)
    sd["i"] = torch.tensor(7)
    path = tmp_path / "torch.pt"
    torch.save(sd, path)
    back = mt.load(path)
    assert list(back) == list(sd)
    for k in sd:
        expected = sd[k].float().numpy() if sd[k].is_floating_point() else sd[k].numpy()
        got = back[k].float().numpy() if back[k].is_floating_point() else back[k].numpy()
        np.testing.assert_array_equal(got, expected)
        assert str(back[k].dtype) == str(sd[k].dtype)


@requires_torch
def test_pytorch_files_with_arbitrary_objects_are_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"fn": os.getcwd, "w": torch.ones(1)}, path)
    import pickle
    with pytest.raises(pickle.UnpicklingError,
                       match="unsupported GLOBAL posix.getcwd whose module posix is blocked"):
        mt.load(path)   # PyTorch raises UnpicklingError too (weights_only=True)


@requires_torch
def test_pytorch_loads_what_it_saved_and_we_save_safetensors_it_reads(tmp_path):
    from safetensors.torch import load_file, save_file  # noqa: F401  (PyTorch side only)
    sd = _state()
    save_safetensors(sd, tmp_path / "m.safetensors", metadata={"format": "pt"})
    theirs = load_file(str(tmp_path / "m.safetensors"))
    for k in sd:
        np.testing.assert_array_equal(theirs[k].float().numpy(), sd[k].float().numpy())
        assert str(theirs[k].dtype) == str(sd[k].dtype)
    save_file({k: v for k, v in theirs.items()}, str(tmp_path / "t.safetensors"))
    ours = load_safetensors(tmp_path / "t.safetensors")
    for k in sd:
        _assert_same(ours[k], sd[k])


def test_safetensors_round_trip_and_corruption(tmp_path):
    sd = _state()
    save_safetensors(sd, tmp_path / "m.safetensors")
    back = load_safetensors(tmp_path / "m.safetensors")
    assert list(back) == list(sd)
    for k in sd:
        _assert_same(back[k], sd[k])
    data = (tmp_path / "m.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:-4])
    with pytest.raises(RuntimeError, match="truncated or corrupt"):
        load_safetensors(tmp_path / "cut.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\xff" * 16)
    with pytest.raises(RuntimeError, match="invalid header length"):
        load_safetensors(tmp_path / "junk.safetensors")


def test_parameters_and_module_state_dicts_round_trip(tmp_path):
    from minitorch_nn import nn
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    mt.save(model.state_dict(), tmp_path / "m.pt")
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    assert str(fresh.load_state_dict(mt.load(tmp_path / "m.pt"))) == \
        "<All keys matched successfully>"
    for (k, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    p = nn.Parameter(mt.ones(2))
    mt.save({"p": p}, tmp_path / "p.pt")
    back = mt.load(tmp_path / "p.pt")["p"]
    assert isinstance(back, nn.Parameter) and back.requires_grad


@requires_torch
def test_pytorch_pretrained_weights_load_into_our_model(tmp_path):
    from minitorch_nn import nn
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(),
                                 torch.nn.Linear(8, 3))
    torch.save(theirs.state_dict(), tmp_path / "pretrained.pt")
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 3))
    ours.load_state_dict(mt.load(tmp_path / "pretrained.pt"))
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(mt.from_numpy(x)).detach().numpy(), expected, atol=1e-5)
