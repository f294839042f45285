"""The divergence finder, `minitorch_nn.testing.compare` (minitorch_nn/divergence.py): one
model step, written once against `T`, run under minitorch_nn and PyTorch. Agreeing steps
report no divergence; an error injected into one of our ops (forward or backward, restored
after the test) is reported at that op and at the user's line that called it."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.autograd import function as _function
from minitorch_nn.testing import compare

try:
    import torch
except ImportError:
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed "
                                    "(compare runs each step under it too)")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 4)).astype(np.float32)
Y = np.array([0, 1, 2, 0, 1])
IMAGES = RNG.standard_normal((2, 1, 8, 8)).astype(np.float32)
LABELS = np.array([0, 2])


def _line(marker: str) -> int:
    """The line of this file that carries `# <- marker`."""
    with open(__file__, encoding="utf-8") as f:
        return next(n for n, text in enumerate(f, 1) if text.rstrip().endswith(f"# <- {marker}"))


def mlp_step(T, x, y):
    """A two-layer MLP, each op on its own line so the call sites can be checked."""
    nn, F = T.nn, T.nn.functional
    fc1, fc2 = nn.Linear(4, 8), nn.Linear(8, 3)
    h = fc1(x)  # <- fc1
    h = F.relu(h)  # <- relu
    out = fc2(h)  # <- fc2
    return F.cross_entropy(out, y)  # <- loss


def cnn_step(T, x, y):
    nn, F = T.nn, T.nn.functional
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    return F.cross_entropy(model(x), y)


def _linear_function():
    """Our Function class that computes nn.Linear's output."""
    return type(mt.nn.Linear(3, 4)(mt.ones(5, 3)).grad_fn)._forward_cls


# ------------------------------------------------------------------ agreement
@requires_torch
def test_an_mlp_step_agrees_with_pytorch():
    report = compare(mlp_step, X, Y)
    assert report.ok and report.first_divergence is None, str(report)
    assert [r.op for r in report.rows] == ["linear", "relu", "linear", "cross_entropy"]
    assert [r.line for r in report.rows] == [_line(m) for m in ("fc1", "relu", "fc2", "loss")]
    assert all(r.side == "both" and r.file == __file__ for r in report.rows)
    assert [r.shape for r in report.rows] == [(5, 8), (5, 8), (5, 3), ()]
    for row in report.rows:
        assert row.forward_abs is not None and row.forward_abs <= 1e-5
        assert row.grad_abs is not None and row.grad_abs <= 1e-5
    assert "no divergence" in str(report)


@requires_torch
def test_a_cnn_step_agrees_with_pytorch():
    report = compare(cnn_step, IMAGES, LABELS)
    assert report.ok, str(report)
    ops = [r.op for r in report.rows if r.side == "both"]
    assert ops == ["conv2d", "relu", "max_pool2d", "flatten", "linear", "cross_entropy"]


@requires_torch
def test_inputs_may_be_tensors_of_either_library_and_outputs_need_no_backward():
    def forward_only(T, x):
        return (x * 2).sum(1)

    report = compare(forward_only, torch.tensor(X), backward=False)
    assert report.ok and [r.op for r in report.rows] == ["mul", "sum"]
    assert all(r.grad_abs is None for r in report.rows)
    assert compare(forward_only, mt.tensor(X), backward=False).ok


@requires_torch
def test_a_call_only_one_side_makes_is_shown_but_not_compared():
    def step(T, x):
        h = x * 3
        if T.__name__ == "minitorch_nn":
            h = h.clone()  # <- extra
        return h.exp().sum()

    report = compare(step, X)
    assert report.ok, str(report)
    assert [r.op for r in report.rows if r.side == "both"] == ["mul", "exp", "sum"]
    extra = [r for r in report.rows if r.side != "both"]
    assert [(r.side, r.line, r.forward_abs) for r in extra] == [("ours", _line("extra"), None)]
    assert "(ours only, not compared)" in str(report)


# ------------------------------------------------------------------ injected errors
@requires_torch
def test_a_wrong_relu_forward_is_found_at_the_relu_line(monkeypatch):
    relu = type(mt.relu(mt.ones(2, requires_grad=True)).grad_fn)._forward_cls
    forward = relu.forward

    def off_by_a_bit(ctx, x):
        out = forward(ctx, x)
        out._data[0, 0] += 0.01
        return out

    monkeypatch.setattr(relu, "forward", staticmethod(off_by_a_bit))
    report = compare(mlp_step, X, Y)
    found = report.first_divergence
    assert found is not None and found.kind == "forward"
    assert (found.op, found.file, found.line) == ("relu", __file__, _line("relu"))
    assert found.shapes == ((5, 8), (5, 8))
    assert found.max_abs == pytest.approx(0.01, rel=1e-3)
    assert found.max_rel > 0
    assert report.rows[found.row].diverges == "forward"
    marked = [line for line in str(report).splitlines() if line.startswith(">>")]
    assert len(marked) == 1 and " relu " in marked[0]
    assert f"test_divergence.py:{_line('relu')}" in str(found)


@requires_torch
def test_a_wrong_matmul_is_found_at_the_first_linear(monkeypatch):
    linear = _linear_function()
    forward = linear.forward

    def scaled(ctx, *args, **kwargs):
        out = forward(ctx, *args, **kwargs)
        out._data *= 1.001
        return out

    monkeypatch.setattr(linear, "forward", staticmethod(scaled))
    found = compare(mlp_step, X, Y).first_divergence
    assert (found.kind, found.op, found.line) == ("forward", "linear", _line("fc1"))


@requires_torch
def test_a_wrong_relu_backward_is_a_gradient_divergence_at_relu(monkeypatch):
    relu = type(mt.relu(mt.ones(2, requires_grad=True)).grad_fn)._forward_cls
    backward = relu.backward
    monkeypatch.setattr(relu, "backward", staticmethod(lambda ctx, g: backward(ctx, g) * 1.5))
    report = compare(mlp_step, X, Y)
    found = report.first_divergence
    assert found is not None and found.kind == "gradient", str(report)
    assert (found.op, found.line) == ("relu", _line("relu"))
    assert found.max_abs > 1e-4
    # the forward agreed everywhere; only the gradients below relu depart
    assert all(r.forward_abs <= 1e-5 for r in report.rows)
    assert report.rows[_index(report, "fc2")].grad_abs <= 1e-5
    assert report.rows[_index(report, "fc1")].grad_abs > 1e-4


@requires_torch
def test_a_wrong_linear_backward_is_found_first_in_backward_order(monkeypatch):
    """Both linears use the wrong backward; the one nearest the loss (fc2) is reported."""
    linear = _linear_function()
    backward = linear.backward

    def wrong(ctx, g):
        grads = backward(ctx, g)
        return tuple(None if x is None else x * 1.1 for x in grads)

    monkeypatch.setattr(linear, "backward", staticmethod(wrong))
    found = compare(mlp_step, X, Y).first_divergence
    assert (found.kind, found.op, found.line) == ("gradient", "linear", _line("fc2"))


def _index(report, marker: str) -> int:
    return next(r.index for r in report.rows if r.line == _line(marker))


# ------------------------------------------------------------------ timing and text
@requires_torch
def test_each_compared_op_has_both_timings_and_a_ratio():
    report = compare(mlp_step, X, Y)
    for row in report.rows:
        assert row.ours_seconds > 0 and row.torch_seconds > 0
        assert row.ratio == pytest.approx(row.ours_seconds / row.torch_seconds)
    assert set(report.times) == {"forward", "backward"}
    assert all(a > 0 and b > 0 for a, b in report.times.values())
    text = str(report).splitlines()
    assert "ours ms" in text[1] and "torch ms" in text[1] and "ratio" in text[1]
    assert len(text) == 2 + len(report.rows) + 3   # header, rows, verdict, two time lines
    for row, line in zip(report.rows, text[2:]):
        assert line.split()[:2] == [str(row.index), row.op]
        assert line.rstrip().endswith("x")


@requires_torch
def test_an_earlier_tracer_is_kept_and_sees_the_ops():
    class Counter:
        calls = 0

        def run(self, cls, args, kwargs):
            Counter.calls += 1
            _function._tracer = None
            try:
                return cls.apply(*args, **kwargs)
            finally:
                _function._tracer = self

    counter = Counter()
    _function._tracer = counter
    try:
        compare(mlp_step, X, Y, warmup=0)
        assert _function._tracer is counter and Counter.calls > 0
    finally:
        _function._tracer = None


@requires_torch
def test_the_random_state_of_both_libraries_is_left_as_it_was():
    states = (mt.get_rng_state(), torch.get_rng_state())
    compare(mlp_step, X, Y, seed=3)
    assert mt.equal(mt.get_rng_state(), states[0])
    assert torch.equal(torch.get_rng_state(), states[1])


# ------------------------------------------------------------------ errors
def test_without_pytorch_compare_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)   # `import torch` raises ImportError
    with pytest.raises(ModuleNotFoundError, match="PyTorch is not installed"):
        compare(mlp_step, X, Y)


@requires_torch
def test_a_step_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match="argument 'step' must be a callable"):
        compare("model.py", X)
