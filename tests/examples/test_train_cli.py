"""The main job as a newcomer meets it: exit status, --help, --plot's default, the progress bar."""
from __future__ import annotations

import functools
import io
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.examples import train as train_job

tqdm = pytest.importorskip("tqdm")


def test_console_script_exits_0_and_prints_to_stdout(tmp_path):
    """`minitorch-train` (the entry point pyproject.toml declares) exits 0 on success, with the
    accuracy on stdout and nothing on stderr (it returned a float into sys.exit: status 1)."""
    pytest.importorskip("sklearn")
    code = (
        "import sys\n"
        "from importlib.metadata import entry_points\n"
        "(ep,) = entry_points(group='console_scripts', name='minitorch-train')\n"
        "sys.argv = ['minitorch-train', '--epochs', '1', '--no-progress',\n"
        f"            '--checkpoint', {str(tmp_path / 'c.pt')!r}]\n"
        "sys.exit(ep.load()())\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    assert re.search(r"final test accuracy: 0\.\d{4}", res.stdout)


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit) as exc:
        train_job.main(["--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())   # undo argparse's line wrapping
    for default in ("(default: 64)", "(default: 0.01)", "(default: cpu)", "(default: 0)",
                    "(default: checkpoints/digits_cnn.pt)", "default: 15 on digits"):
        assert default in out
    assert "(default: None)" not in out and "(default: False)" not in out


@pytest.mark.parametrize("argv, expected", [
    (["--plot"], os.path.join("checkpoints", "digits_cnn_curves.png")),
    (["--plot", "--checkpoint", "out/m.pt"], os.path.join("out", "m_curves.png")),
    (["--plot", "--checkpoint", ""], os.path.join("checkpoints", "digits_cnn_curves.png")),
    (["--plot", "mine.png"], "mine.png"),
    ([], None),
])
def test_plot_without_a_path_goes_beside_the_checkpoint(argv, expected):
    """A bare `--plot` lands in checkpoints/ (ignored by git), not in the working folder."""
    assert train_job._parse(argv).plot == expected


def _loaders(batches=8, batch=8):
    rng = np.random.default_rng(0)
    x = mt.from_numpy(rng.standard_normal((batches * batch, 1, 8, 8)).astype(np.float32))
    y = mt.from_numpy(rng.integers(0, 10, batches * batch))
    data = mt.utils.data.TensorDataset(x, y)
    return (mt.utils.data.DataLoader(data, batch_size=batch),
            mt.utils.data.DataLoader(data, batch_size=32))


def _bar_lines(text):
    """(count, total, elapsed s, remaining s or None, loss) of every bar refresh drawn."""
    out = []
    for line in re.split(r"[\r\n]", text):
        m = re.search(r"(\d+)/(\d+) \[(\d+):(\d+)<(\?|(\d+):(\d+))", line)
        if m:
            remaining = None if m[5] == "?" else int(m[6]) * 60 + int(m[7])
            loss = re.search(r"loss=([\d.]+)", line)
            out.append((int(m[1]), int(m[2]), int(m[3]) * 60 + int(m[4]), remaining,
                        loss[1] if loss else None))
    return out


@pytest.fixture
def every_refresh_drawn(monkeypatch):
    """tqdm draws every update (no 0.1 s throttle), so each pairing of count and readout shows."""
    monkeypatch.setattr(tqdm, "tqdm", functools.partial(tqdm.tqdm, mininterval=0, miniters=1))


def test_bar_count_includes_the_batch_its_readout_shows(capsys, every_refresh_drawn):
    """Each drawn count k goes with the running loss after k batches: one loss per count,
    and the last (8/8) shows the epoch's loss (the count used to lag one batch behind)."""
    train_loader, test_loader = _loaders()
    mt.manual_seed(0)
    history = train_job.train(train_job.SmallCNN(8), train_loader, test_loader, epochs=1,
                              lr=1e-2, device="cpu")
    lines = [ln for ln in _bar_lines(capsys.readouterr().out) if ln[4] is not None]
    assert lines, "no progress bar drawn"
    by_count = {}
    for count, _, _, _, loss in lines:
        by_count.setdefault(count, set()).add(loss)
    assert all(len(losses) == 1 for losses in by_count.values()), by_count
    assert min(by_count) == 1 and max(by_count) == 8
    assert by_count[8] == {f"{history['loss'][0]:.4f}"}


def test_first_epoch_estimate_leaves_out_a_slow_first_step(capsys, every_refresh_drawn):
    """A cold Numba cache makes the first step slow (compilation, 10 s to a minute): the
    warm-up step takes it before the bar starts, so the bar's time and estimate stay those
    of the training (they read over a minute before). Simulated: the first forward sleeps."""
    train_loader, test_loader = _loaders(batches=21)

    class SlowFirstCall(train_job.SmallCNN):
        calls = 0

        def forward(self, x):
            SlowFirstCall.calls += 1
            if SlowFirstCall.calls == 1:
                time.sleep(3.0)
            return super().forward(x)

    mt.manual_seed(0)
    train_job.train(SlowFirstCall(8), train_loader, test_loader, epochs=1, lr=1e-2,
                    device="cpu")
    out = capsys.readouterr().out
    lines = [ln for ln in _bar_lines(out) if ln[0] >= 1]
    assert lines
    count, total, elapsed, remaining, _ = lines[0]
    assert elapsed < 3 and remaining is not None and remaining < 30, lines[0]
    assert re.search(r"warm-up step .* [3-9]\.\d s", out)   # the sleep happened there


def test_warm_up_changes_nothing():
    """The warm-up leaves weights, gradients, mode and the random stream as they were."""
    train_loader, test_loader = _loaders()
    model = train_job.SmallCNN(8)
    grads_before = [p.grad for p in model.parameters()]
    weights = [p.detach().clone() for p in model.parameters()]
    state = mt.get_rng_state()
    train_job.warm_up(model, test_loader, "cpu")
    assert model.training
    assert [p.grad for p in model.parameters()] == grads_before
    assert all(mt.equal(a, p) for a, p in zip(weights, model.parameters()))
    assert mt.equal(mt.get_rng_state(), state)


def test_no_progress_prints_no_bar(capsys):
    train_loader, test_loader = _loaders(batches=2)
    train_job.train(train_job.SmallCNN(8), train_loader, test_loader, epochs=1, lr=1e-2,
                    device="cpu", progress=False)
    assert capsys.readouterr().out == ""


def test_run_returns_the_accuracy_and_main_the_status(tmp_path, monkeypatch, capsys):
    """`run` keeps the old `main`'s return value (the accuracy) for scripts and tests."""
    pytest.importorskip("sklearn")
    argv = ["--epochs", "1", "--no-progress", "--checkpoint", str(tmp_path / "c.pt")]
    acc = train_job.run(argv)
    assert 0.0 <= acc <= 1.0
    assert train_job.main(argv) == 0
    assert f"final test accuracy: {acc:.4f}" in capsys.readouterr().out
