"""nn.functional pooling: max_pool1d/2d (indices, ceil_mode, dilation), avg_pool1d/2d
(count_include_pad, divisor_override), adaptive_avg_pool1d/2d."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_nn as mt
from functional_util import F, compare_paths, contiguous
from op_harness import check_op, torch


def distinct(*shape, seed=0):
    """Values without ties (max pooling's gradient is ambiguous at ties)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) / n - 0.5).astype(np.float64)


def _np_max_pool2d(x, k, s, p):
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    out = np.empty((n, c, oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        out[:, :, i, j] = padded[:, :, i * s:i * s + k, j * s:j * s + k].max(axis=(2, 3))
    return out


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 1, 1), (3, 2, 1)])
def test_max_pool2d_reference(k, s, p):
    check_op(lambda T, x: F(T).max_pool2d(x, k, s, p), None, arrays=[distinct(2, 2, 6, 5)],
             ref=lambda x: _np_max_pool2d(x, k, s, p))


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", [
    (2, None, 0, 1, False), ((3, 2), (2, 1), (1, 0), 1, True), (2, 1, 1, 2, False),
    (3, 2, 1, 1, True), ((2, 3), 2, (1, 1), (2, 1), True)])
def test_max_pool2d_options_with_indices(kernel, stride, padding, dilation, ceil_mode):
    check_op(lambda T, x: F(T).max_pool2d(x, kernel, stride, padding, dilation, ceil_mode,
                                          return_indices=True), None,
             arrays=[distinct(2, 3, 7, 6)])
    check_op(lambda T, x: F(T).max_pool2d(x, kernel, stride, padding, dilation, ceil_mode),
             None, arrays=[np.asfortranarray(distinct(2, 3, 7, 6, seed=1))])


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", [
    (2, None, 0, 1, False), (3, 2, 1, 1, True), (2, 1, 1, 2, False)])
def test_max_pool1d(kernel, stride, padding, dilation, ceil_mode):
    check_op(lambda T, x: F(T).max_pool1d(x, kernel, stride, padding, dilation, ceil_mode,
                                          return_indices=True), None, arrays=[distinct(2, 3, 9)])
    check_op(lambda T, x: T.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode), None,
             arrays=[distinct(3, 8)])


def test_max_pool_indices_nan_and_unbatched():
    values, idx = F(mt).max_pool2d(distinct_t(1, 2, 4, 4), 2, return_indices=True)
    assert idx.dtype is mt.int64
    x = mt.tensor([[[[1.0, math.nan], [3.0, 4.0]]]])
    v, i = F(mt).max_pool2d(x, 2, return_indices=True)
    assert math.isnan(v.item()) and i.item() == 1
    check_op(lambda T, x: F(T).max_pool2d(x, 2), None, arrays=[distinct(2, 4, 4)])
    check_op(lambda T, x: T.max_pool2d(x, 2), None, arrays=[distinct(1, 1, 4, 4)])


def distinct_t(*shape):
    return mt.from_numpy(distinct(*shape))


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("divisor_override", [None, 3])
def test_avg_pool2d(ceil_mode, count_include_pad, divisor_override):
    check_op(lambda T, x: F(T).avg_pool2d(x, 3, 2, 1, ceil_mode, count_include_pad,
                                          divisor_override), [(2, 2, 6, 5)])
    check_op(lambda T, x: F(T).avg_pool2d(x, (2, 3), (1, 2), (1, 0), ceil_mode,
                                          count_include_pad, divisor_override), [(1, 3, 4, 7)])


def test_avg_pool2d_reference_and_1d():
    def ref(x):
        n, c, h, w = x.shape
        return x.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))

    check_op(lambda T, x: F(T).avg_pool2d(x, 2), [(2, 3, 4, 6)], ref=ref)
    check_op(lambda T, x: F(T).avg_pool1d(x, 3, 2, 1, True, False), [(2, 3, 8)])
    check_op(lambda T, x: T.avg_pool1d(x, 2), [(3, 6)])


@pytest.mark.parametrize("out", [(1, 1), (2, 3), (3, 2), (5, 4), (None, 2), 3])
def test_adaptive_avg_pool2d(out):
    check_op(lambda T, x: F(T).adaptive_avg_pool2d(x, out), [(2, 2, 5, 4)])


def test_adaptive_avg_pool2d_reference_and_1d():
    check_op(lambda T, x: F(T).adaptive_avg_pool2d(x, 1), [(2, 3, 4, 5)],
             ref=lambda x: x.mean(axis=(2, 3), keepdims=True))
    check_op(lambda T, x: F(T).adaptive_avg_pool1d(x, 3), [(2, 3, 7)])
    check_op(lambda T, x: T.adaptive_avg_pool1d(x, 4), [(3, 5)])
    check_op(lambda T, x: F(T).adaptive_avg_pool2d(x, (2, 2)), [(3, 5, 4)])


@pytest.mark.parametrize("name,call", [
    ("max", lambda x: F(mt).max_pool2d(x, 3, 2, 1, 1, True)),
    ("max_dil", lambda x: F(mt).max_pool2d(x, 2, 1, 1, 2)),
    ("avg", lambda x: F(mt).avg_pool2d(x, 3, 2, 1, True, False)),
    ("avg_div", lambda x: F(mt).avg_pool2d(x, 2, 1, 1, False, True, 5)),
    ("adaptive", lambda x: F(mt).adaptive_avg_pool2d(x, (3, 4))),
])
def test_kernel_and_numpy_paths_agree(name, call):
    compare_paths(call, [distinct(2, 3, 7, 6)])


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), st.booleans(),
       st.integers(3, 7))
def test_max_and_avg_pool_geometry_agree_across_paths(k, s, p, ceil_mode, size):
    if p > k // 2:
        return
    x = distinct(1, 2, size, size + 1, seed=size)
    compare_paths(lambda t: F(mt).max_pool2d(t, k, s, p, 1, ceil_mode), [x])
    compare_paths(lambda t: F(mt).avg_pool2d(t, k, s, p, ceil_mode), [x])


def test_float16_and_float32():
    x = contiguous((1, 2, 4, 4), dtype=np.float16)[0]
    check_op(lambda T, x: F(T).avg_pool2d(x, 2), None, arrays=[x], grad=False, atol=1e-3,
             rtol=1e-3)
    check_op(lambda T, x: F(T).max_pool2d(x, 2), None, arrays=[x], grad=False)
    x32 = distinct(1, 2, 4, 4).astype(np.float32)
    check_op(lambda T, x: F(T).adaptive_avg_pool2d(x, 3), None, arrays=[x32], grad=False,
             atol=1e-6)


def test_grad_fn_names():
    x = mt.randn(1, 1, 4, 4, requires_grad=True)
    assert type(F(mt).max_pool2d(x, 2).grad_fn).__name__ == "MaxPool2DWithIndicesBackward0"
    assert type(F(mt).avg_pool2d(x, 2).grad_fn).__name__ == "AvgPool2DBackward0"


def test_pooling_errors():
    x = mt.randn(1, 2, 5, 5)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel "
                                           "size, but got pad=2, kernel_size=3 and dilation=1"):
        F(mt).max_pool2d(x, 3, padding=2)
    with pytest.raises(RuntimeError, match=r"Given input size: \(2x5x5\). Calculated output "
                                           r"size: \(2x0x0\). Output size is too small"):
        F(mt).max_pool2d(x, 7)
    with pytest.raises(RuntimeError, match=r"non-empty 3D or 4D \(batch mode\) tensor expected "
                                           r"for input"):
        F(mt).max_pool2d(mt.randn(5, 5), 2)
    with pytest.raises(RuntimeError, match="stride should not be zero"):
        F(mt).max_pool2d(x, 2, stride=0)
    with pytest.raises(RuntimeError, match="dilation should be greater than zero"):
        F(mt).max_pool2d(x, 2, dilation=0)
    with pytest.raises(RuntimeError, match="kernel_size must either be a single int, or a "
                                           "tuple of two ints"):
        F(mt).max_pool2d(x, (2, 2, 2))
    with pytest.raises(RuntimeError, match=r"max_pool1d\(\) Invalid computed output size: 0"):
        F(mt).max_pool1d(mt.randn(1, 2, 5), 6)
    with pytest.raises(RuntimeError, match="max_pool1d: Expected 2D or 3D"):
        F(mt).max_pool1d(mt.randn(5), 2)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F(mt).avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool2d\(\): Expected 3D or 4D "
                                           r"tensor, but got \[5, 5\]"):
        F(mt).adaptive_avg_pool2d(mt.randn(5, 5), 2)
    with pytest.raises(RuntimeError, match="being empty"):
        F(mt).adaptive_avg_pool2d(mt.randn(1, 2, 0, 5), 2)
    with pytest.raises(RuntimeError, match="output_size must be 2"):
        F(mt).adaptive_avg_pool2d(x, (2, 3, 4))
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F(mt).adaptive_avg_pool2d(mt.ones(1, 1, 2, 2, dtype=mt.int64), 1)


# ------------------------------------------------------------------ 2x2 stride-2 fast path
def _special_values(shape, dtype, seed=0):
    """Distinct values plus NaNs, infinities, ties and signed zeros in the first windows."""
    x = distinct(*shape, seed=seed)
    x[0, 0, 0, :3] = math.nan                      # a NaN beside a NaN: the later one wins
    x[0, 0, 1, 1] = -math.inf
    x[0, -1, :2, :2] = -math.inf                   # all -inf: the first position
    x[-1, 0, :2, 2:4] = 0.25                       # a four-way tie: the first position
    x[-1, -1, 0, 2:4], x[-1, -1, 1, 2:4] = 0.0, -0.0
    return x.astype(dtype)


def _pool_run(x, fast: bool, monkeypatch, **options):
    """(values, indices, gradient) of max_pool2d(x, 2) with the fast path on or off."""
    from minitorch_nn.ops import pooling
    if not fast:
        monkeypatch.setattr(pooling, "_is_2x2_stride_2", lambda geom, shape: False)
    t = mt.from_numpy(x).requires_grad_()
    values, indices = F(mt).max_pool2d(t, 2, return_indices=True, **options)
    g = distinct(*values.shape, seed=3).astype(x.dtype)
    g.reshape(-1)[0] = -0.0
    values.backward(mt.from_numpy(g))
    monkeypatch.undo()
    return values.detach().numpy(), indices.numpy(), t.grad.numpy()


def _assert_identical(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b, equal_nan=True)
    assert np.array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 3, 8, 6), (2, 3, 7, 9), (1, 2, 2, 3), (3, 1, 28, 28)])
def test_max_pool2d_2x2_fast_path_equals_general_path(dtype, shape, monkeypatch):
    """Values (NaN, -inf, ties, -0.0), indices and gradients bit for bit; odd sizes in floor
    mode take the fast path too (the last row or column is in no window)."""
    x = _special_values(shape, dtype)
    fast = _pool_run(x, True, monkeypatch)
    general = _pool_run(x, False, monkeypatch)
    for a, b in zip(fast, general):
        _assert_identical(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 3, 8, 6), (2, 3, 7, 9)])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool2d_2x2_against_torch(dtype, shape, ceil_mode):
    check_op(lambda T, x: F(T).max_pool2d(x, 2, ceil_mode=ceil_mode, return_indices=True),
             None, arrays=[distinct(*shape, seed=5).astype(dtype)], grad=dtype == np.float64)
    if torch is None:
        pytest.skip("PyTorch is not installed")
    x = _special_values(shape, dtype)
    ours = F(mt).max_pool2d(mt.from_numpy(x), 2, ceil_mode=ceil_mode, return_indices=True)
    theirs = torch.nn.functional.max_pool2d(torch.from_numpy(x), 2, ceil_mode=ceil_mode,
                                            return_indices=True)
    _assert_identical(ours[0].numpy(), theirs[0].numpy())
    assert np.array_equal(ours[1].numpy(), theirs[1].numpy())


def test_max_pool2d_2x2_non_contiguous(monkeypatch):
    base = _special_values((3, 2, 9, 12), np.float32)
    for view in (lambda a: a.transpose(0, 1, 3, 2), lambda a: a[:, :, 1:, ::2],
                 np.asfortranarray):
        x = view(base)
        fast = _pool_run(x, True, monkeypatch)
        general = _pool_run(np.ascontiguousarray(x), False, monkeypatch)
        for a, b in zip(fast, general):
            _assert_identical(a, b)
    check_op(lambda T, x: F(T).max_pool2d(x.transpose(2, 3), 2), None,
             arrays=[distinct(2, 2, 6, 8)])


@pytest.mark.parametrize("options,shape,fast", [
    ({}, (1, 1, 4, 6), True), ({}, (1, 1, 5, 7), True),
    ({"ceil_mode": True}, (1, 1, 4, 6), True), ({"ceil_mode": True}, (1, 1, 5, 6), False),
    ({"padding": 1}, (1, 1, 4, 6), False), ({"dilation": 2}, (1, 1, 6, 6), False),
    ({"stride": 1}, (1, 1, 4, 6), False), ({"stride": (2, 1)}, (1, 1, 4, 6), False)])
def test_max_pool2d_2x2_fast_path_only_where_it_applies(options, shape, fast):
    """The predicate picks the fast kernels exactly for whole 2x2 blocks at stride 2; the
    other geometries fall back and still match PyTorch."""
    from minitorch_nn.ops import pooling
    x = mt.from_numpy(distinct(*shape))
    geom = pooling._geometry(x, 2, options.get("stride"), options.get("padding", 0),
                             options.get("dilation", 1), options.get("ceil_mode", False),
                             "max_pool2d")
    assert pooling._is_2x2_stride_2(geom, shape) is fast
    check_op(lambda T, x: F(T).max_pool2d(x, 2, return_indices=True, **options), None,
             arrays=[distinct(*shape, seed=2)])


def test_max_pool1d_2_uses_the_general_path_and_matches_torch():
    check_op(lambda T, x: F(T).max_pool1d(x, 2, return_indices=True), None,
             arrays=[distinct(2, 3, 9)])
