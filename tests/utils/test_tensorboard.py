"""SummaryWriter writes event files TensorBoard reads: each summary read back with
tensorboard's own EventAccumulator, and against PyTorch's SummaryWriter for the same data."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import minitorch_nn as mt

pytest.importorskip("tensorboard", reason="tensorboard (the optional extra) is not installed")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from minitorch_nn.utils.tensorboard import SummaryWriter  # noqa: E402


def _read(path):
    acc = EventAccumulator(str(path), size_guidance={"images": 0, "histograms": 0,
                                                     "tensors": 0, "scalars": 0})
    acc.Reload()
    return acc


def _write_all(writer_cls, lib, path):
    values = lib.tensor(np.linspace(-3, 3, 200).astype(np.float32))
    with writer_cls(str(path)) as w:
        for step in range(3):
            w.add_scalar("loss/train", lib.tensor(1.0 / (step + 1)), step)
        w.add_histogram("weights", values, 1)
        w.add_image("img", lib.tensor(np.linspace(0, 1, 3 * 4 * 5).reshape(3, 4, 5)), 2)
        w.add_text("note", "hello **world**", 0)


def test_scalars_histogram_image_text_read_back(tmp_path):
    _write_all(SummaryWriter, mt, tmp_path)
    acc = _read(tmp_path)
    assert [(e.step, round(e.value, 6)) for e in acc.Scalars("loss/train")] == \
        [(0, 1.0), (1, 0.5), (2, round(1 / 3, 6))]
    h = acc.Histograms("weights")[0].histogram_value
    assert (h.num, round(h.min, 5), round(h.max, 5)) == (200, -3.0, 3.0)
    assert sum(h.bucket) == 200
    img = acc.Images("img")[0]
    assert (img.width, img.height) == (5, 4)
    assert acc.Tensors("note/text_summary")[0].tensor_proto.string_val == [b"hello **world**"]


def test_add_scalars_writes_one_run_per_key(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalars("cmp", {"a": 1.0, "b": 2.0}, 0)
    assert _read(tmp_path / "cmp_a").Scalars("cmp")[0].value == 1.0
    assert _read(tmp_path / "cmp_b").Scalars("cmp")[0].value == 2.0


def test_hparams_written_for_the_hparams_plugin(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_hparams({"lr": 0.1, "opt": "adam", "nest": True}, {"hp/acc": 0.9}, run_name="r")
    acc = _read(tmp_path / "r")
    assert acc.Scalars("hp/acc")[0].value == pytest.approx(0.9)
    from tensorboard.plugins.hparams import plugin_data_pb2
    content = acc.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    assert start.hparams["lr"].number_value == 0.1 and start.hparams["opt"].string_value == "adam"
    with pytest.raises(TypeError, match="should be dictionary"):
        SummaryWriter(str(tmp_path)).add_hparams([1], {})


def test_same_summaries_as_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    _write_all(SummaryWriter, mt, tmp_path / "ours")
    _write_all(TorchWriter, torch, tmp_path / "theirs")
    ours, theirs = _read(tmp_path / "ours"), _read(tmp_path / "theirs")
    assert [e.value for e in ours.Scalars("loss/train")] == \
        [e.value for e in theirs.Scalars("loss/train")]
    a, b = ours.Histograms("weights")[0].histogram_value, \
        theirs.Histograms("weights")[0].histogram_value
    assert (a.num, a.min, a.max) == (b.num, b.min, b.max)
    assert a.sum == pytest.approx(b.sum, abs=1e-4) and a.sum_squares == pytest.approx(b.sum_squares)
    ia, ib = ours.Images("img")[0], theirs.Images("img")[0]
    assert (ia.width, ia.height) == (ib.width, ib.height)
    assert ours.Tensors("note/text_summary")[0].tensor_proto.string_val == \
        theirs.Tensors("note/text_summary")[0].tensor_proto.string_val


def test_missing_tensorboard_names_the_extra():
    code = ("import sys; sys.modules['tensorboard'] = None\n"
            "try:\n    import minitorch_nn.utils.tensorboard\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120).stdout
    assert "minitorch_nn[tensorboard]" in out
