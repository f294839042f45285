"""conv_transpose1d/2d/3d output sizes of 0 and below, and the checks around them, as PyTorch
(ops/_conv_transpose_checks.py; found by the slow fuzz test, issue 15).

PyTorch's CPU build runs a transposed convolution on oneDNN or on its own kernels by a speed
heuristic; oneDNN returns an empty result for an output size of 0 where its own kernels refuse
it ("Output size is too small"). Each case runs in both libraries: same result shape, or same
error class and message. Where oneDNN fails, its messages are its internals ("could not
construct a memory descriptor using a format tag"): there only the class is compared, and our
message must name the sizes.
"""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

ONEDNN_MESSAGES = ("memory descriptor", "primitive descriptor", "dimensions are invalid")


def _outcome(T, fn):
    try:
        out = fn(T, T.nn.functional)
    except Exception as err:   # noqa: BLE001 - the class and message are compared
        return type(err).__name__, str(err)
    return "ok", tuple(out.shape)


def _transposed(spatial, xs, ws, dtype, kw):
    """fn(T, F, device="cpu"): conv_transpose{spatial}d of ones of shapes xs and ws."""
    def fn(T, F, device="cpu"):
        x, w = (T.ones(shape, dtype=getattr(T, dtype), device=device) for shape in (xs, ws))
        return getattr(F, f"conv_transpose{spatial}d")(x, w, **kw)
    return fn


def _t1d(xs, ws, dtype="float32", **kw):
    return _transposed(1, xs, ws, dtype, kw)


def _t2d(xs, ws, dtype="float32", **kw):
    return _transposed(2, xs, ws, dtype, kw)


def _t3d(xs, ws, dtype="float32", **kw):
    return _transposed(3, xs, ws, dtype, kw)


# the fuzz finding: unbatched, groups=2, output height (2-1)*2 - 4 + 1 + 1 = 0
FUZZ_FINDING = _t2d([2, 2, 1], [2, 1, 1, 1], stride=[2, 1], padding=[2, 0],
                    output_padding=[1, 0], groups=2)
ZERO = {"stride": 2, "padding": 2, "output_padding": 1}   # output (2-1)*2 - 4 + 1 + 1 = 0

CASES = {
    "fuzz finding": FUZZ_FINDING,
    # oneDNN (float32 with groups > 1, a batch > 1, a large input, or a stride): empty result
    "2d out 0 groups": _t2d([1, 2, 2, 3], [2, 1, 1, 1], padding=(1, 0), groups=2),
    "2d out 0 batch 2": _t2d([2, 1, 2, 3], [1, 1, 1, 1], padding=(1, 0)),
    "2d out 0 large input": _t2d([1, 1, 2, 10241], [1, 1, 1, 1], padding=(1, 0)),
    "2d out 0 both axes": _t2d([2, 1, 2, 2], [1, 1, 1, 1], **ZERO),
    "1d out 0": _t1d([2, 1, 2], [1, 1, 1], **ZERO),
    "3d out 0 one axis": _t3d([2, 1, 2, 2, 2], [1, 1, 1, 1, 1], stride=2, padding=(2, 0, 0),
                              output_padding=(1, 0, 0)),
    "3d out 0": _t3d([2, 1, 2, 2, 2], [1, 1, 1, 1, 1], **ZERO),
    # PyTorch's own kernels: float64 always, float32 for a small problem, and an output
    # padding of at least the stride: an output size of 0 is refused
    "2d out 0 float64": _t2d([2, 1, 2, 2], [1, 1, 1, 1], "float64", **ZERO),
    "1d out 0 float64": _t1d([2, 1, 2], [1, 1, 1], "float64", **ZERO),
    "3d out 0 float64": _t3d([2, 1, 2, 2, 2], [1, 1, 1, 1, 1], "float64", **ZERO),
    "2d out 0 small float32": _t2d([1, 1, 2, 3], [1, 1, 1, 1], padding=(1, 0)),
    "2d out 0 output_padding >= stride": _t2d([2, 1, 2, 3], [1, 1, 1, 1], padding=(1, 0),
                                              output_padding=(0, 1), dilation=(1, 2)),
    "3d out 0 and < 0 float64": _t3d([2, 1, 2, 2, 2], [1, 1, 1, 1, 1], "float64", stride=2,
                                     padding=(2, 2, 0), output_padding=(1, 0, 0)),
    # 1-D messages name the sizes as the 2-D kernel sees them (height 1)
    "1d output_padding too big": _t1d([1, 1, 3], [1, 2, 1], output_padding=2),
    "1d empty weight groups": _t1d([2, 2, 3], [2, 0, 4], "float64", groups=2),
    "2d empty weight groups": _t2d([1, 2, 3, 3], [2, 0, 3, 3], "float64", groups=2),
    "3d empty weight groups": _t3d([1, 2, 3, 3, 3], [2, 0, 3, 3, 3], "float64", groups=2),
    "2d kernel 0": _t2d([1, 2, 2, 2], [2, 1, 0, 1], "float64"),
    "3d kernel 0": _t3d([1, 2, 2, 2, 2], [2, 1, 0, 1, 1], "float64"),
    "2d dilation 0": _t2d([1, 2, 2, 2], [2, 1, 1, 1], "float64", dilation=0),
    "1d dilation 0": _t1d([1, 2, 2], [2, 1, 1], "float64", dilation=0),
    "3d dilation 0": _t3d([1, 2, 2, 2, 2], [2, 1, 1, 1, 1], "float64", dilation=0),
    "2d dilation < 0": _t2d([1, 2, 2, 2], [2, 1, 1, 1], dilation=-1),
    "conv2d dilation < 0": lambda T, F: F.conv2d(T.ones(1, 2, 3, 3), T.ones(2, 2, 2, 2),
                                                 dilation=-1),
    "2d negative output_padding before stride": _t2d([1, 1, 2, 2], [1, 1, 1, 1], stride=0,
                                                     output_padding=-1),
    # a zero spatial size needs a zero batch: refused before the output padding is checked
    "2d zero spatial, output_padding too big": _t2d([1, 1, 0, 4], [1, 1, 2, 3],
                                                    output_padding=(2, 1), stride=(3, 1)),
    # a zero batch: PyTorch `view`s the empty result, -1 reads as "infer this size"
    "2d zero batch out -1": _t2d([0, 1, 3, 2], [1, 1, 3, 2], "float64", stride=3, padding=3),
    "2d zero batch out -1 -1": _t2d([0, 1, 1, 1], [1, 1, 1, 1], padding=1),
    "2d zero batch out -1 -3": _t2d([0, 1, 1, 2], [1, 1, 1, 1], padding=(1, 2)),
    "2d zero batch out -3 -1": _t2d([0, 1, 2, 1], [1, 1, 1, 1], padding=(2, 1)),
    "1d zero batch out -1": _t1d([0, 1, 1], [1, 1, 1], padding=1),
    "2d zero batch out 0": _t2d([0, 1, 2, 2], [1, 1, 1, 1], "float64", **ZERO),
}

# negative output sizes where PyTorch runs oneDNN: the same class, oneDNN's message
ONEDNN_FAILURES = {
    "2d out < 0 groups": _t2d([1, 2, 2, 1], [2, 1, 1, 1], stride=(2, 1), padding=(2, 0),
                              groups=2),
    "2d out 0 and < 0": _t2d([2, 1, 2, 2], [1, 1, 1, 1], stride=2, padding=(2, 2),
                             output_padding=(1, 0)),
    "3d out 0 and < 0": _t3d([2, 1, 2, 2, 2], [1, 1, 1, 1, 1], stride=2, padding=(2, 2, 0),
                             output_padding=(1, 0, 0)),
    "2d empty weight": _t2d([2, 2, 3, 3], [2, 0, 3, 3], stride=2),
}


@requires_torch
@pytest.mark.parametrize("name", list(CASES))
def test_output_size_checks_match_pytorch(name):
    assert _outcome(mt, CASES[name]) == _outcome(torch, CASES[name])


@requires_torch
@pytest.mark.parametrize("name", list(ONEDNN_FAILURES))
def test_onednn_failures_raise_the_same_class_and_name_the_sizes(name):
    ours, ref = _outcome(mt, ONEDNN_FAILURES[name]), _outcome(torch, ONEDNN_FAILURES[name])
    assert any(m in ref[1] for m in ONEDNN_MESSAGES), ref   # still oneDNN's failure
    assert ours[0] == ref[0] == "RuntimeError"
    assert "Output size is too small" in ours[1] or "weight tensor expected" in ours[1]


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_half_types_follow_the_cpu(dtype):
    """bfloat16/float16 run on oneDNN where the CPU computes them natively (AVX-512 for
    bfloat16, AVX512-FP16 for float16): an empty result there, PyTorch's refusal elsewhere."""
    fn = _t2d([1, 1, 2, 3], [1, 1, 1, 1], dtype, padding=(1, 0))
    assert _outcome(mt, fn) == _outcome(torch, fn)


@requires_torch
def test_one_thread_keeps_small_1x1_problems_on_pytorchs_kernels():
    """With one thread PyTorch runs a 1x1 kernel without stride on its own kernels even for
    a large input, so the output size 0 is refused; with more it is oneDNN's empty result."""
    fn = _t2d([1, 1, 2, 10241], [1, 1, 1, 1], padding=(1, 0))
    before = torch.get_num_threads(), mt.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            mt.set_num_threads(threads)
            assert _outcome(mt, fn) == _outcome(torch, fn)
    finally:
        torch.set_num_threads(before[0])
        mt.set_num_threads(before[1])


@requires_torch
@pytest.mark.parametrize("spatial", [1, 2, 3])
def test_an_empty_result_has_zero_gradients(spatial):
    """The gradients of an empty output are zeros of the inputs' shapes, bias included, even
    where the input and weight hold an inf (the products would give 0 * inf = NaN; a fuzz
    finding)."""
    grads = {}
    for T in (mt, torch):
        x = T.ones([2, 2] + [2] * spatial)
        x[0, 0, -1] = float("inf")
        w = T.ones([2, 1] + [1] * spatial)
        w[1] = float("-inf")
        x.requires_grad_(True)
        w.requires_grad_(True)
        b = T.randn(2, requires_grad=True)
        fn = getattr(T.nn.functional, f"conv_transpose{spatial}d")
        y = fn(x, w, b, groups=2, **ZERO)
        assert 0 in y.shape
        grads[T] = [(tuple(g.shape), float(g.abs().sum()))
                    for g in T.autograd.grad(y.sum(), [x, w, b])]
    assert grads[mt] == grads[torch]


def test_the_fuzz_finding_returns_an_empty_result():
    """Without PyTorch too: PyTorch 2.13's result for the fuzz finding is (2, 0, 1)."""
    assert _outcome(mt, FUZZ_FINDING) == ("ok", (2, 0, 1))


def test_float64_output_size_0_is_refused():
    kind, message = _outcome(mt, CASES["2d out 0 float64"])
    assert kind == "RuntimeError"
    assert message.endswith("Calculated output size per channel: (0 x 0). Output size is "
                            "too small")


@pytest.mark.skipif(not mt.cuda.is_available(), reason="needs a GPU (or --fake-gpu)")
@pytest.mark.parametrize("name", ["fuzz finding", "3d out 0", "2d out 0 float64",
                                  "2d zero batch out -1"])
def test_the_same_rule_on_the_gpu(name):
    """The checks look at shapes and dtypes only: a CUDA input gives the CPU's outcome."""
    def on_gpu(T, F):
        return CASES[name](T, F, device="cuda")
    assert _outcome(mt, on_gpu) == _outcome(mt, CASES[name])
