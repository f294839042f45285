"""The main job: it trains, saves a loadable checkpoint, plots, and (slow) reaches 97%."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.examples import train as train_job
from minitorch_nn.examples.datasets import load_digits, read_idx


def test_short_run_learns_and_checkpoint_reloads(tmp_path, capsys):
    ckpt, plot = tmp_path / "cnn.pt", tmp_path / "curves.png"
    acc = train_job.run(["--epochs", "2", "--no-progress", "--checkpoint", str(ckpt),
                          "--plot", str(plot)])
    assert acc > 0.5                      # 10 classes: chance is 0.1
    assert plot.stat().st_size > 1000
    out = capsys.readouterr().out
    assert f"final test accuracy: {acc:.4f}" in out
    model = train_job.SmallCNN(image_size=8)
    model.load_state_dict(mt.load(ckpt))
    _, _, xte, yte = load_digits(seed=0)
    loader = mt.utils.data.DataLoader(
        mt.utils.data.TensorDataset(mt.from_numpy(xte), mt.from_numpy(yte)), batch_size=256)
    assert train_job.evaluate(model, loader, "cpu") == pytest.approx(acc)


def test_cuda_without_gpu_is_a_clear_error():
    if mt.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(SystemExit, match="no GPU available"):
        train_job.main(["--device", "cuda", "--epochs", "1", "--no-progress"])


def test_read_idx_parses_and_rejects(tmp_path):
    data = np.arange(12, dtype=np.uint8).reshape(3, 2, 2)
    raw = bytes([0, 0, 0x08, 3]) + b"".join(int(s).to_bytes(4, "big") for s in data.shape)
    (tmp_path / "x.idx").write_bytes(raw + data.tobytes())
    np.testing.assert_array_equal(read_idx(str(tmp_path / "x.idx")), data)
    (tmp_path / "cut.idx").write_bytes(raw + data.tobytes()[:5])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(str(tmp_path / "cut.idx"))
    (tmp_path / "bad.idx").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(str(tmp_path / "bad.idx"))


@pytest.mark.slow
def test_default_run_reaches_97_percent(tmp_path):
    assert train_job.run(["--no-progress", "--checkpoint", str(tmp_path / "c.pt")]) >= 0.97


@pytest.mark.cuda
def test_main_job_trains_on_the_gpu(tmp_path, capsys):
    """`--device cuda`: one epoch learns, and the checkpoint loads back on the CPU."""
    ckpt = tmp_path / "gpu.pt"
    acc = train_job.run(["--device", "cuda", "--epochs", "1", "--no-progress",
                          "--checkpoint", str(ckpt)])
    assert acc > 0.3                      # 10 classes: chance is 0.1
    state = mt.load(ckpt, map_location="cpu")
    assert all(t.device.type == "cpu" for t in state.values())
    train_job.SmallCNN(image_size=8).load_state_dict(state)
