"""3-D, adaptive-max, unpool, lp and fractional pooling (ops/pooling3d.py, pooling_windows.py,
pooling_unpool.py, fractional_pool.py): direct-loop NumPy references, float64 gradchecks,
PyTorch differentials (values, indices, dtypes, grads, grad_fn names), dtype gates, errors."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch


def F(T):
    return T.nn.functional


def _t3(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * 3


def _out(size, k, s, p, d, ceil):
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    o = num // s + 1
    return o - 1 if ceil and (o - 1) * s >= size + p else o


def _np_pool3d(x, k, s=None, p=0, d=1, ceil=False, mode="max", include_pad=True):
    """Direct loops over every window (tiny shapes): max values, or the mean."""
    k, p, d = _t3(k), _t3(p), _t3(d)
    s = k if s is None else _t3(s)
    sizes = x.shape[2:]
    outs = [_out(*a, ceil) for a in zip(sizes, k, s, p, d)]
    res = np.zeros(x.shape[:2] + tuple(outs))
    for pos in itertools.product(*(range(o) for o in outs)):
        ranges = [[q * st - pp + j * dd for j in range(kk)]
                  for q, st, pp, dd, kk in zip(pos, s, p, d, k)]
        inside = [[i for i in r if 0 <= i < n] for r, n in zip(ranges, sizes)]
        block = x[(slice(None), slice(None)) + np.ix_(*inside)].reshape(x.shape[:2] + (-1,))
        if mode == "max":
            res[(slice(None), slice(None)) + pos] = block.max(-1)
        else:
            if include_pad:
                div = np.prod([min(r[-1] + 1, n + pp) - r[0]
                               for r, n, pp in zip(ranges, sizes, p)])
            else:
                div = block.shape[-1]
            res[(slice(None), slice(None)) + pos] = block.sum(-1) / div
    return res


def _np_adaptive(x, out, reduce):
    sizes = x.shape[2:]
    res = np.zeros(x.shape[:2] + tuple(out))
    for pos in itertools.product(*(range(o) for o in out)):
        sl = tuple(slice((q * n) // o, -((-(q + 1) * n) // o)) for q, n, o in zip(pos, sizes, out))
        block = x[(slice(None), slice(None)) + sl].reshape(x.shape[:2] + (-1,))
        res[(slice(None), slice(None)) + pos] = reduce(block, axis=-1)
    return res


# ------------------------------------------------------------------ max_pool3d / avg_pool3d
MAX_CASES = [   # kernel, stride, padding, dilation, ceil_mode
    (2, None, 0, 1, False),
    ((2, 3, 2), (1, 2, 2), 1, (2, 1, 1), False),
    (3, 2, 1, 1, True),
    ((1, 2, 3), 1, (0, 1, 1), 1, False),
]


@pytest.mark.parametrize("case", MAX_CASES, ids=[str(i) for i in range(len(MAX_CASES))])
def test_max_pool3d(case):
    k, s, p, d, ceil = case
    check_op(lambda T, x: F(T).max_pool3d(x, k, s, p, d, ceil, True), [(2, 2, 5, 6, 5)],
             ref=lambda x: (_np_pool3d(x, k, s, p, d, ceil),))   # indices: vs PyTorch only


def test_torch_max_pool3d_unbatched_and_grad_fn():
    out = check_op(lambda T, x: T.max_pool3d(x, 2, 1), [(2, 3, 3, 4)])
    assert out[0].grad_fn.name() == "MaxPool3DWithIndicesBackward0"
    check_op(lambda T, x: F(T).max_pool3d_with_indices(x, 2), [(1, 2, 4, 4, 4)])


@requires_torch
def test_max_pool3d_nan_and_minus_inf_rules():
    x = np.full((1, 1, 2, 2, 4), -np.inf)
    x[0, 0, 1, 0, 1] = x[0, 0, 1, 1, 2] = np.nan
    for args in [((2, 2, 2),), ((1, 1, 3), 1, (0, 0, 1))]:
        ours = F(mt).max_pool3d(mt.tensor(x), *args, return_indices=True)
        theirs = F(torch).max_pool3d(torch.tensor(x), *args, return_indices=True)
        assert ours[1].tolist() == theirs[1].tolist()
        np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())


AVG_CASES = [   # kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
    (2, None, 0, False, True, None),
    ((2, 3, 2), (1, 2, 2), 1, False, False, None),
    (3, 2, 1, True, True, None),
    (3, 2, 1, True, False, None),
    (2, 1, 1, False, True, 5),
]


@pytest.mark.parametrize("case", AVG_CASES, ids=[str(i) for i in range(len(AVG_CASES))])
def test_avg_pool3d(case):
    k, s, p, ceil, include, div = case
    ref = None if div else (lambda x: _np_pool3d(x, k, s, p, 1, ceil, "avg", include))
    out = check_op(lambda T, x: F(T).avg_pool3d(x, k, s, p, ceil, include, div),
                   [(2, 2, 5, 6, 5)], ref=ref)
    assert out[0].grad_fn.name() == "AvgPool3DBackward0"


def test_avg_pool3d_unbatched_zero_batch():
    check_op(lambda T, x: F(T).avg_pool3d(x, 2), [(3, 4, 4, 5)])
    check_op(lambda T, x: F(T).avg_pool3d(x, 2), [(0, 2, 4, 4, 4)])
    check_op(lambda T, x: F(T).max_pool3d(x, 2), [(0, 2, 4, 4, 4)])


# ------------------------------------------------------------------ adaptive pooling
@pytest.mark.parametrize("out", [(2, 3, 4), 1, (None, 2, 1), (1, 1, 1), (7, 5, 6), (0, 2, 2)])
def test_adaptive_avg_pool3d(out):
    sizes = (2, 2, 5, 4, 6)
    full = tuple(sizes[2 + i] if o is None else o for i, o in
                 enumerate(out if isinstance(out, tuple) else (out,) * 3))
    res = check_op(lambda T, x: F(T).adaptive_avg_pool3d(x, out), [sizes],
                   ref=lambda x: _np_adaptive(x, full, np.mean), grad=0 not in full)
    if full != (1, 1, 1) and 0 not in full:   # (1, 1, 1): the mean, MeanBackward1
        assert res[0].grad_fn.name() == "AdaptiveAvgPool3DBackward0"
    check_op(lambda T, x: F(T).adaptive_avg_pool3d(x, out), [sizes[1:]], grad=0 not in full)


@requires_torch
@pytest.mark.parametrize("fn,n", [("adaptive_avg_pool3d", 3), ("adaptive_max_pool3d", 3),
                                  ("adaptive_max_pool2d", 2)])
def test_adaptive_backward_of_an_empty_output(fn, n):
    errors = []
    for T in (mt, torch):
        x = T.ones((2, 2) + (3,) * n, requires_grad=True)
        y = getattr(F(T), fn)(x, (0,) + (2,) * (n - 1))
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        errors.append(str(info.value))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("n,out", [(1, 3), (1, (4,)), (2, (3, 2)), (2, (None, 5)), (3, 2),
                                   (3, (3, 1, 4)), (2, 0)])
def test_adaptive_max_pool(n, out):
    sizes = (2, 3) + (5, 4, 6)[:n]
    full = tuple(sizes[2 + i] if o is None else o for i, o in
                 enumerate(out if isinstance(out, tuple) else (out,) * n))
    fn = getattr(F(mt), f"adaptive_max_pool{n}d").__name__
    res = check_op(lambda T, x: getattr(F(T), fn)(x, out, True), [sizes],
                   ref=lambda x: (_np_adaptive(x, full, np.max),), grad=0 not in full)
    if n > 1 and 0 not in full:
        assert res[0].grad_fn.name() == f"AdaptiveMaxPool{n}DBackward0"
    check_op(lambda T, x: getattr(F(T), fn)(x, out), [sizes[1:]],   # unbatched
             grad=0 not in full)


def test_torch_adaptive_max_pool1d():
    check_op(lambda T, x: T.adaptive_max_pool1d(x, 3), [(2, 3, 7)])


# ------------------------------------------------------------------ max_unpool
@pytest.mark.parametrize("n", [1, 2, 3])
def test_max_unpool_inverts_max_pool(n):
    sizes = (2, 2) + (6, 4, 4)[:n]
    pool = lambda T: getattr(F(T), f"max_pool{n}d")   # noqa: E731
    unpool = lambda T: getattr(F(T), f"max_unpool{n}d")   # noqa: E731

    def fn(T, x):
        values, idx = pool(T)(x, 2, return_indices=True)
        return unpool(T)(values, idx, 2, output_size=x.shape[2:])

    res = check_op(fn, [sizes])
    assert res[0].shape == sizes
    check_op(lambda T, x: unpool(T)(*pool(T)(x, 2, return_indices=True), 2), [sizes[1:]])


@requires_torch
def test_max_unpool_duplicate_indices_and_gradient():
    rng = np.random.default_rng(0)
    v = rng.standard_normal((1, 2, 2, 2))
    idx = np.array([[[[0, 0], [5, 15]], [[3, 3], [3, 1]]]])
    res = []
    for T in (mt, torch):
        x = T.tensor(v, requires_grad=True)
        y = F(T).max_unpool2d(x, T.tensor(idx), 2)
        (y * T.arange(32.0, dtype=T.float64).reshape(y.shape)).sum().backward()
        res.append((y.detach().numpy(), x.grad.numpy(), y.grad_fn.name()))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_array_equal(res[0][1], res[1][1])
    assert res[0][2] == res[1][2]


def test_max_unpool_out_of_range_index_raises_and_writes_nothing():
    x = mt.ones(1, 1, 2, 2)
    for bad in (16, -1, 2 ** 40):
        idx = mt.tensor([[[[0, 1], [2, bad]]]])
        with pytest.raises(RuntimeError, match=f"Found an invalid max index: {bad} "):
            F(mt).max_unpool2d(x, idx, 2)
    with pytest.raises(RuntimeError, match="invalid max index: 64"):
        F(mt).max_unpool3d(mt.ones(1, 1, 1, 1, 1), mt.tensor([[[[[64]]]]]), 4)


# ------------------------------------------------------------------ lp_pool
@pytest.mark.parametrize("p", [1, 2, 3.5, math.inf, -math.inf])
def test_lp_pool(p):
    check_op(lambda T, x: F(T).lp_pool1d(x, p, 3, 2), [(2, 3, 7)], positive=True)
    check_op(lambda T, x: F(T).lp_pool2d(x, p, (2, 3), ceil_mode=True), [(2, 2, 5, 7)],
             positive=True)
    check_op(lambda T, x: F(T).lp_pool3d(x, p, 2, (1, 2, 2)), [(1, 2, 4, 4, 5)], positive=True,
             ref=None if p != 1 else lambda x: 8 * _np_pool3d(x, 2, (1, 2, 2), mode="avg"))


# ------------------------------------------------------------------ fractional_max_pool2d
@pytest.mark.parametrize("k,out,ratio", [(2, (4, 3), None), ((3, 2), (3, 5), None),
                                         (2, None, (0.5, 0.7)), (1, (7, 6), None),
                                         (2, (1, 1), None), (2, 3, None)])
def test_fractional_max_pool2d(k, out, ratio):
    samples = np.random.default_rng(5).uniform(0, 1, (2, 3, 2))
    res = check_op(lambda T, x, s: F(T).fractional_max_pool2d(
        x, k, out, ratio, return_indices=True, _random_samples=s), [(2, 3, 7, 6)],
        arrays=[np.random.default_rng(1).standard_normal((2, 3, 7, 6)), samples],
        grad_inputs=(0,))
    assert res[0].grad_fn.name() == "FractionalMaxPool2DBackward0"


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fractional_starts_in_the_input_precision(dtype):
    x = np.random.default_rng(2).standard_normal((3, 4, 29, 31)).astype(dtype)
    s = np.random.default_rng(3).uniform(0, 1, (3, 4, 2)).astype(dtype)
    ours = F(mt).fractional_max_pool2d(mt.tensor(x), 3, (11, 9), return_indices=True,
                                       _random_samples=mt.tensor(s))[1]
    theirs = F(torch).fractional_max_pool2d(torch.tensor(x), 3, (11, 9), return_indices=True,
                                            _random_samples=torch.tensor(s))[1]
    assert ours.tolist() == theirs.tolist()


def test_fractional_samples_from_the_generator():
    x = mt.randn(2, 3, 9, 9)
    mt.manual_seed(7)
    a = F(mt).fractional_max_pool2d(x, 2, output_size=4)
    mt.manual_seed(7)
    b = F(mt).fractional_max_pool2d(x, 2, output_size=4)
    assert a.shape == (2, 3, 4, 4) and a.tolist() == b.tolist()
    unbatched = F(mt).fractional_max_pool2d(x[0], 2, output_ratio=(0.5, 0.5))
    assert unbatched.shape == (3, 4, 4)


@requires_torch
def test_fractional_out_of_range_samples_stay_inside():
    x = mt.randn(1, 1, 8, 8)
    for s in (-3.0, 0.999, 5.0):
        out, idx = F(mt).fractional_max_pool2d(x, 3, (4, 4), return_indices=True,
                                               _random_samples=mt.full((1, 1, 2), s))
        assert 0 <= int(idx.min()) and int(idx.max()) < 64


# ------------------------------------------------------------------ dtypes
DTYPE_CALLS = {
    "max_pool3d": lambda F, a: F.max_pool3d(a, 2, 1, return_indices=True),
    "avg_pool3d": lambda F, a: F.avg_pool3d(a, 2, 1, 1),
    "adaptive_avg_pool3d": lambda F, a: F.adaptive_avg_pool3d(a, 2),
    "adaptive_max_pool3d": lambda F, a: F.adaptive_max_pool3d(a, 2, True),
    "adaptive_max_pool2d": lambda F, a: F.adaptive_max_pool2d(a[0], 2, True),
    "adaptive_max_pool1d": lambda F, a: F.adaptive_max_pool1d(a[0, 0], 2, True),
    "lp_pool2d": lambda F, a: F.lp_pool2d(a[0], 2, 2),
    "lp_pool3d": lambda F, a: F.lp_pool3d(a, 1, 2),
    "fractional": lambda F, a: F.fractional_max_pool2d(
        a[0], 2, 2, return_indices=True, _random_samples=a[0, :, :, 0, :2] * 0),
    "max_unpool2d": lambda F, a: F.max_unpool2d(a[0, :, :2, :2], a[0, :, :2, :2].long() * 0, 2),
    "max_unpool3d": lambda F, a: F.max_unpool3d(a[:, :, :1, :1, :1],
                                                a[:, :, :1, :1, :1].long() * 0 + 3, 2),
}


@requires_torch
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64", "bool", "float16",
                                   "bfloat16", "float32"])
@pytest.mark.parametrize("name", sorted(DTYPE_CALLS))
def test_dtypes_as_pytorch(name, dtype):
    data = np.random.default_rng(0).integers(0, 5, (1, 2, 3, 4, 4))
    outcomes = []
    for lib in (mt, torch):
        x = lib.tensor(data.tolist()).to(getattr(lib, dtype))
        if name == "fractional" and dtype == "bool":
            return   # (bool * 0 is int64: there are no bool samples to give)
        try:
            r = DTYPE_CALLS[name](lib.nn.functional, x)
        except (NotImplementedError, RuntimeError) as e:
            outcomes.append((type(e).__name__, str(e)))
            continue
        r = r if isinstance(r, tuple) else (r,)
        outcomes.append([(str(t.dtype), t.float().numpy()) for t in r])
    assert len(outcomes) == 2
    ours, theirs = outcomes
    if isinstance(theirs, tuple) or isinstance(ours, tuple):
        assert ours == theirs
        return
    assert [d for d, _ in ours] == [d for d, _ in theirs]
    for (_, a), (_, b) in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-2 if dtype in ("float16", "bfloat16")
                                   else 1e-6)


@requires_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_fractional_default_samples_of_an_integer_input(dtype):
    errors = []
    for lib in (mt, torch):
        with pytest.raises(NotImplementedError) as info:
            F(lib).fractional_max_pool2d(lib.ones(1, 2, 4, 4, dtype=getattr(lib, dtype)), 2, 2)
        errors.append(str(info.value))
    assert errors[0] == errors[1]


# ------------------------------------------------------------------ errors
def _error(lib, call):
    try:
        call(lib, lib.nn.functional)
    except Exception as e:   # noqa: BLE001 - the class and message are the point
        return type(e), str(e)
    return None, None


X5 = (1, 2, 4, 4, 4)
BAD = {
    "max3d_rank": lambda T, F: F.max_pool3d(T.ones(4, 4, 4), 2),
    "max3d_kernel_len": lambda T, F: F.max_pool3d(T.ones(*X5), (2, 2)),
    "max3d_stride_len": lambda T, F: F.max_pool3d(T.ones(*X5), 2, (1, 1)),
    "max3d_pad_len": lambda T, F: F.max_pool3d(T.ones(*X5), 2, 1, (1, 1)),
    "max3d_dil_len": lambda T, F: F.max_pool3d(T.ones(*X5), 2, 1, 0, (1, 1)),
    "max3d_kernel_0": lambda T, F: F.max_pool3d(T.ones(*X5), 0),
    "max3d_kernel_neg": lambda T, F: F.max_pool3d(T.ones(*X5), -1, 1),
    "max3d_stride_neg": lambda T, F: F.max_pool3d(T.ones(*X5), 2, -1),
    "max3d_pad_neg": lambda T, F: F.max_pool3d(T.ones(*X5), 2, 1, -1),
    "max3d_pad_big": lambda T, F: F.max_pool3d(T.ones(*X5), 2, 1, 2),
    "max3d_pad_half": lambda T, F: F.max_pool3d(T.ones(*X5), 3, 1, (1, 1, 2), 2),
    "max3d_dil_0": lambda T, F: F.max_pool3d(T.ones(*X5), 2, dilation=0),
    "max3d_too_small": lambda T, F: F.max_pool3d(T.ones(*X5), 5),
    "max3d_empty": lambda T, F: F.max_pool3d(T.ones(1, 2, 4, 0, 4), 1),
    "max3d_empty_c": lambda T, F: F.max_pool3d(T.ones(1, 0, 4, 4, 4), 1),
    "max3d_bool": lambda T, F: F.max_pool3d(T.ones(*X5, dtype=T.bool), 2),
    "avg3d_kernel_len": lambda T, F: F.avg_pool3d(T.ones(*X5), (2, 2)),
    "avg3d_stride_len": lambda T, F: F.avg_pool3d(T.ones(*X5), 2, (1, 1)),
    "avg3d_smaller": lambda T, F: F.avg_pool3d(T.ones(*X5), (5, 2, 2), 1),
    "avg3d_div0": lambda T, F: F.avg_pool3d(T.ones(*X5), 2, divisor_override=0),
    "avg3d_empty": lambda T, F: F.avg_pool3d(T.ones(1, 2, 0, 4, 4), 1),
    "avg3d_int32": lambda T, F: F.avg_pool3d(T.ones(*X5, dtype=T.int32), 2),
    "avg3d_half": lambda T, F: F.avg_pool3d(T.ones(*X5, dtype=T.float16), 2),
    "aavg3d_len": lambda T, F: F.adaptive_avg_pool3d(T.ones(*X5), (2, 2)),
    "aavg3d_neg": lambda T, F: F.adaptive_avg_pool3d(T.ones(*X5), -1),
    "aavg3d_rank": lambda T, F: F.adaptive_avg_pool3d(T.ones(4, 4), 2),
    "aavg3d_empty": lambda T, F: F.adaptive_avg_pool3d(T.ones(1, 2, 0, 4, 4), 2),
    "aavg3d_int": lambda T, F: F.adaptive_avg_pool3d(T.ones(*X5, dtype=T.int64), 2),
    "amax3d_len": lambda T, F: F.adaptive_max_pool3d(T.ones(*X5), (2, 2)),
    "amax3d_neg": lambda T, F: F.adaptive_max_pool3d(T.ones(*X5), -1),
    "amax3d_rank": lambda T, F: F.adaptive_max_pool3d(T.ones(4), 2),
    "amax3d_empty": lambda T, F: F.adaptive_max_pool3d(T.ones(1, 2, 0, 4, 4), 2),
    "amax3d_int": lambda T, F: F.adaptive_max_pool3d(T.ones(*X5, dtype=T.int64), 2),
    "amax2d_len": lambda T, F: F.adaptive_max_pool2d(T.ones(2, 4, 4), (2, 2, 2)),
    "amax2d_one": lambda T, F: F.adaptive_max_pool2d(T.ones(2, 4, 4), (2,)),
    "aavg3d_one": lambda T, F: F.adaptive_avg_pool3d(T.ones(2, 4, 4, 4), (2,)),
    "amax3d_long": lambda T, F: F.adaptive_max_pool3d(T.ones(2, 4, 4), (2, 2, 2)),
    "amax2d_rank": lambda T, F: F.adaptive_max_pool2d(T.ones(*X5), 2),
    "amax2d_empty": lambda T, F: F.adaptive_max_pool2d(T.ones(1, 2, 0, 4), 2),
    "amax2d_int": lambda T, F: F.adaptive_max_pool2d(T.ones(2, 4, 4, dtype=T.int32), 2),
    "amax1d_rank": lambda T, F: F.adaptive_max_pool1d(T.ones(1, 2, 4, 4), 2),
    "amax1d_none": lambda T, F: F.adaptive_max_pool1d(T.ones(1, 2, 4), (None,)),
    "amax1d_empty": lambda T, F: F.adaptive_max_pool1d(T.ones(1, 2, 0), 2),
    "unpool2_oob": lambda T, F: F.max_unpool2d(T.ones(1, 1, 2, 2),
                                               T.tensor([[[[0, 1], [2, 99]]]]), 2),
    "unpool2_neg": lambda T, F: F.max_unpool2d(T.ones(1, 1, 2, 2),
                                               T.tensor([[[[0, -1], [2, 3]]]]), 2),
    "unpool3_oob": lambda T, F: F.max_unpool3d(T.ones(1, 1, 1, 1, 2),
                                               T.tensor([[[[[0, 64]]]]]), 2),
    "unpool1_oob": lambda T, F: F.max_unpool1d(T.ones(1, 1, 2), T.tensor([[[0, 4]]]), 2),
    "unpool2_idx_dtype": lambda T, F: F.max_unpool2d(T.ones(1, 1, 2, 2),
                                                     T.zeros(1, 1, 2, 2, dtype=T.int32), 2),
    "unpool3_idx_dtype": lambda T, F: F.max_unpool3d(T.ones(1, 1, 1, 1, 2),
                                                     T.zeros(1, 1, 1, 1, 2), 2),
    "unpool2_shape": lambda T, F: F.max_unpool2d(T.ones(1, 1, 2, 2),
                                                 T.zeros(1, 1, 2, 1, dtype=T.int64), 2),
    "unpool2_rank": lambda T, F: F.max_unpool2d(T.ones(2, 2), T.zeros(2, 2, dtype=T.int64), 2),
    "unpool3_rank": lambda T, F: F.max_unpool3d(T.ones(2, 2, 2),
                                                T.zeros(2, 2, 2, dtype=T.int64), 2),
    "unpool3_stride0": lambda T, F: F.max_unpool3d(T.ones(1, 1, 1, 1, 2),
                                                   T.zeros(1, 1, 1, 1, 2, dtype=T.int64), 2, 0),
    "unpool2_int": lambda T, F: F.max_unpool2d(T.ones(1, 1, 2, 2, dtype=T.int64),
                                               T.zeros(1, 1, 2, 2, dtype=T.int64), 2),
    "unpool2_empty_c": lambda T, F: F.max_unpool2d(T.ones(1, 0, 2, 2),
                                                   T.zeros(1, 0, 2, 2, dtype=T.int64), 2),
    "unpool2_out_size": lambda T, F: F.max_unpool2d(T.ones(1, 1, 2, 2),
                                                    T.zeros(1, 1, 2, 2, dtype=T.int64), 2,
                                                    output_size=(9, 4)),
    "unpool2_out_len": lambda T, F: F.max_unpool2d(T.ones(1, 1, 2, 2),
                                                   T.zeros(1, 1, 2, 2, dtype=T.int64), 2,
                                                   output_size=(4,)),
    "frac_no_size": lambda T, F: F.fractional_max_pool2d(T.ones(1, 2, 7, 7), 2),
    "frac_float_ratio": lambda T, F: F.fractional_max_pool2d(T.ones(1, 2, 7, 7), 2,
                                                             output_ratio=0.5),
    "frac_ratio_len": lambda T, F: F.fractional_max_pool2d(T.ones(1, 2, 7, 7), 2,
                                                           output_ratio=(0.5, 0.5, 0.5)),
    "frac_kernel_len": lambda T, F: F.fractional_max_pool2d(T.ones(1, 2, 7, 7), (2, 2, 2), 2),
    "frac_out_len": lambda T, F: F.fractional_max_pool2d(T.ones(1, 2, 7, 7), 2, (2, 2, 2)),
    "frac_too_big": lambda T, F: F.fractional_max_pool2d(T.ones(1, 2, 7, 6), 2, (7, 3)),
    "frac_too_wide": lambda T, F: F.fractional_max_pool2d(T.ones(1, 2, 7, 6), 3, (5, 5)),
    "frac_rank": lambda T, F: F.fractional_max_pool2d(T.ones(1, 1, 2, 7, 7), 2, 2,
                                                      _random_samples=T.rand(1, 2, 2)),
    "frac_empty": lambda T, F: F.fractional_max_pool2d(T.ones(1, 2, 0, 6), 2, 2),
    "frac_samples_dtype": lambda T, F: F.fractional_max_pool2d(
        T.ones(1, 2, 7, 7), 2, 2, _random_samples=T.rand(1, 2, 2, dtype=T.float64)),
    "frac_samples_rank": lambda T, F: F.fractional_max_pool2d(
        T.ones(1, 2, 7, 7), 2, 2, _random_samples=T.rand(2, 2)),
    "frac_samples_batch": lambda T, F: F.fractional_max_pool2d(
        T.ones(2, 2, 7, 7), 2, 2, _random_samples=T.rand(1, 2, 2)),
    "frac_samples_channels": lambda T, F: F.fractional_max_pool2d(
        T.ones(1, 2, 7, 7), 2, 2, _random_samples=T.rand(1, 3, 2)),
    "frac_samples_last": lambda T, F: F.fractional_max_pool2d(
        T.ones(1, 2, 7, 7), 2, 2, _random_samples=T.rand(1, 2, 3)),
    "frac_out_neg": lambda T, F: F.fractional_max_pool2d(
        T.ones(1, 2, 7, 7), 2, (-1, 2), _random_samples=T.rand(1, 2, 2)),
    "lp2_kernel_len": lambda T, F: F.lp_pool2d(T.ones(1, 2, 4, 4), 2, (2, 2, 2)),
    "lp3_int32": lambda T, F: F.lp_pool3d(T.ones(*X5, dtype=T.int32), 2, 2),
}


@requires_torch
@pytest.mark.parametrize("name", sorted(BAD))
def test_errors_as_pytorch(name):
    ours, theirs = _error(mt, BAD[name]), _error(torch, BAD[name])
    assert theirs[0] is not None, "PyTorch accepts this call"
    assert ours[0] is theirs[0], (ours, theirs)
    assert ours[1] == theirs[1].split(" (Triggered")[0]
