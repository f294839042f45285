"""The float16 and bfloat16 instantiations of kernels/cuda, run on the CPU emulator.

Every kernel with half-type instantiations runs here in float16 (`__half`) and bfloat16
(`__nv_bfloat16`, numpy dtype from ml_dtypes), under both launch configurations of `emu`.
Inputs are drawn in float64 and rounded to the half type; the reference is computed in
float32 from those same rounded inputs (the kernels' accumulation type). The kernels load
half values, compute in float and round each stored value once, so a result must lie within
half a unit in the last place (ulp) of the half type from the reference, plus a small slack
for float32 rounding (and, where a formula cancels, an absolute slack set by the test). An
implementation that rounded an intermediate to the half type, or summed in it, would be
off by about one ulp or more and fails. Results must have the input's dtype.

The conversions themselves (round to nearest even, subnormals, overflow, NaN) are checked
exhaustively against numpy's float16 and ml_dtypes' bfloat16 casts with half_selftest.cu.
"""
from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest

import emulation_harness as harness
from kernel_checks import kernels
from minitorch_nn.kernels.cuda import _launch, dropout

BF16 = np.dtype(ml_dtypes.bfloat16)
F16 = np.dtype(np.float16)
HALF_DTYPES = [F16, BF16]
FRACTION_BITS = {F16: 10, BF16: 7}
SMALLEST = {F16: 2.0 ** -24, BF16: 2.0 ** -133}   # the smallest subnormal: the finest ulp
F32_SLACK = 1e-5   # relative: float32 evaluation order, libm against numpy, a few ulps each

SIZES = [0, 1, 1000]
ROWS = [(1, 1), (3, 7), (2, 700), (40, 33)]


def _ids(dtype) -> str:
    return np.dtype(dtype).name


half_dtypes = pytest.mark.parametrize("dtype", HALF_DTYPES, ids=_ids)


# ------------------------------------------------------------------ helpers
def _random(shape, dtype, seed=0, scale=1.0, shift=0.0) -> np.ndarray:
    """Normal values rounded to `dtype` (the inputs every reference also sees)."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale + shift).astype(dtype)


def _f32(a: np.ndarray) -> np.ndarray:
    """The exact float32 value of each element (widening a half type is exact)."""
    return a.astype(np.float32)


def ulp(reference: np.ndarray, dtype) -> np.ndarray:
    """The spacing of `dtype` at each reference value (the subnormal spacing near 0)."""
    ref = np.abs(np.asarray(reference, np.float64))
    _, exponent = np.frexp(ref)   # ref = m * 2**exponent, 0.5 <= m < 1
    spacing = np.ldexp(1.0, exponent - 1 - FRACTION_BITS[np.dtype(dtype)])
    return np.where(ref == 0, SMALLEST[np.dtype(dtype)],
                    np.maximum(spacing, SMALLEST[np.dtype(dtype)]))


def assert_rounded(actual: np.ndarray, reference, dtype, atol: float = 0.0,
                   ulps: float = 0.5, what: str = "") -> None:
    """`actual` has `dtype` and is the reference rounded once to it: within `ulps` of the
    type's spacing at the reference, plus float32 slack and `atol` (for cancellations)."""
    dtype = np.dtype(dtype)
    assert actual.dtype == dtype, f"{what}: dtype {actual.dtype}, expected {dtype}"
    got = actual.astype(np.float64)
    ref = np.asarray(reference, np.float64)
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, expected {ref.shape}"
    tol = ulps * ulp(ref, dtype) + F32_SLACK * np.abs(ref) + atol
    with np.errstate(invalid="ignore"):
        ok = (np.abs(got - ref) <= tol) | (got == ref) | (np.isnan(got) & np.isnan(ref))
    if not ok.all():
        bad = np.flatnonzero(~ok.reshape(-1))
        err = (np.abs(got - ref) / ulp(ref, dtype)).reshape(-1)[bad]
        raise AssertionError(
            f"{what}: {bad.size} of {ok.size} {dtype.name} results are not the reference "
            f"rounded once (worst {np.nanmax(err):.2f} ulp); first at flat index {bad[0]}: "
            f"got {got.reshape(-1)[bad[0]]!r}, reference {ref.reshape(-1)[bad[0]]!r}")


def _erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x).astype(np.float32)


def _sigmoid(x):
    return np.float32(1) / (np.float32(1) + np.exp(-x))


# ------------------------------------------------------------------ the tolerance helper itself
def test_assert_rounded_accepts_correct_rounding_and_rejects_one_ulp():
    ref = np.linspace(-3, 3, 101, dtype=np.float32) + np.float32(1e-3)
    for dtype in HALF_DTYPES:
        assert_rounded(ref.astype(dtype), ref, dtype)
        bumped = (ref.astype(np.float64) + ulp(ref, dtype)).astype(dtype)   # one ulp off
        with pytest.raises(AssertionError, match="not the reference rounded once"):
            assert_rounded(bumped, ref, dtype)
        with pytest.raises(AssertionError, match="dtype float32"):
            assert_rounded(ref, ref, dtype)


# ------------------------------------------------------------------ conversions
SELFTEST_FAMILY = _launch.Family("half_selftest", """
    to_half(const float* x, __half* h, float* back, long long n)
    to_bfloat16(const float* x, __nv_bfloat16* b, float* back, long long n)
""")
SELFTEST = harness.ROOT / "tests" / "kernels" / "cuda_emulation" / "half_selftest.cu"


@pytest.fixture(scope="module")
def conversions():
    if harness.gxx_path() is None:
        pytest.skip("g++ is not installed: the CUDA emulation cannot run")
    path = harness.build("half_selftest", fam=SELFTEST_FAMILY, source=SELFTEST)
    previous = _launch.set_runtime(harness.EmulatedRuntime({"half_selftest": path}))
    yield
    _launch.set_runtime(previous)


def _convert(kernel: str, dtype, x: np.ndarray):
    narrow = np.empty(x.shape, dtype)
    back = np.empty(x.shape, np.float32)
    SELFTEST_FAMILY.launch(kernel, (64,), (256,), x, narrow, back, x.size)
    return narrow, back


def _float_inputs(dtype) -> np.ndarray:
    """Every value of the half type, the midpoints between neighbours (ties, including the
    one past the largest finite value), points just beside them, and random float32 bits."""
    with np.errstate(invalid="ignore"):   # the NaN patterns
        every = np.arange(1 << 16, dtype=np.uint16).view(dtype).astype(np.float64)
    finite = np.unique(every[np.isfinite(every)])
    mids = (finite[:-1] + finite[1:]) / 2
    top = finite[-1] + (finite[-1] - finite[-2]) / 2   # the overflow threshold
    ties = np.concatenate([mids, [top, -top]]).astype(np.float32)
    assert (ties.astype(np.float64) == np.concatenate([mids, [top, -top]])).all()
    beside = np.concatenate([np.nextafter(ties, np.float32(np.inf)),
                             np.nextafter(ties, np.float32(-np.inf))])
    random_bits = np.random.default_rng(0).integers(0, 1 << 32, 200_000, dtype=np.uint64)
    with np.errstate(invalid="ignore"):
        return np.concatenate([every.astype(np.float32), ties, beside,
                               random_bits.astype(np.uint32).view(np.float32),
                               np.float32([np.inf, -np.inf, 1e-45, -1e-45, 0.0, -0.0])])


@pytest.mark.parametrize("kernel, dtype", [("to_half", F16), ("to_bfloat16", BF16)],
                         ids=["float16", "bfloat16"])
def test_conversions_round_to_nearest_even_like_numpy(conversions, kernel, dtype):
    x = _float_inputs(dtype)
    narrow, back = _convert(kernel, dtype, x)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = x.astype(dtype)   # numpy and ml_dtypes: round to nearest, ties to even
    nan = np.isnan(x)
    assert np.isnan(narrow[nan].astype(np.float32)).all() and np.isnan(back[nan]).all()
    np.testing.assert_array_equal(narrow[~nan].view(np.uint16),
                                  expected[~nan].view(np.uint16))
    np.testing.assert_array_equal(back[~nan], expected[~nan].astype(np.float32))
    # a NaN becomes CUDA's canonical NaN, 0x7fff
    assert (narrow[nan].view(np.uint16) == 0x7FFF).all()


def test_half_conversions_cover_subnormals_and_overflow(conversions):
    x = np.float32([2.0 ** -24, 2.0 ** -25, 1.5 * 2.0 ** -25, 3 * 2.0 ** -25, 65504.0,
                    65519.0, 65520.0, -65520.0, 2.0 ** -14 - 2.0 ** -25])
    narrow, back = _convert("to_half", F16, x)
    np.testing.assert_array_equal(back, [2.0 ** -24, 0.0, 2.0 ** -24, 2.0 ** -23, 65504.0,
                                         65504.0, np.inf, -np.inf, 2.0 ** -14])


def test_conversion_kernels_compile_with_nvcc():
    if harness.nvcc_path() is None:
        pytest.skip("nvcc is not installed")
    ok, log = harness.nvcc_check("half_selftest", fam=SELFTEST_FAMILY, source=SELFTEST)
    assert ok, log[-6000:]


# ------------------------------------------------------------------ tables and launcher rules
def test_tables_instantiate_half_types_except_optim():
    for name in ("activation", "elementwise", "loss", "norm", "pool", "conv", "embedding",
                 "dropout"):
        expressions = harness.family(name).name_expressions()
        for kernel in harness.family(name).signatures:
            if name == "dropout" and kernel == "dropout_mask":
                continue   # not a template: no element type
            assert f"{kernel}<__half>" in expressions and \
                f"{kernel}<__nv_bfloat16>" in expressions, (name, kernel)
    assert not any("__half" in e or "bfloat16" in e
                   for e in harness.family("optim").name_expressions())


def test_scalars_and_accumulators_use_the_accumulation_type():
    x, out, alpha, n = harness.family("activation").signatures["elu_fwd"]
    assert alpha.ctype == "A" and alpha.concrete("__half") == "float"
    assert alpha.numpy_type("__nv_bfloat16") is np.float32
    assert alpha.numpy_type("double") is np.float64
    assert x.concrete("__nv_bfloat16") == "const __nv_bfloat16*"
    assert np.dtype(x.numpy_type("__nv_bfloat16")) == BF16
    gx = harness.family("embedding").signatures["embedding_bwd"][2]
    assert gx.ctype == "A*" and gx.concrete("__half") == "float*"
    assert n.concrete("__half") == "long long"


def test_optimizer_updates_refuse_half_types(emu):
    from minitorch_nn.kernels.cuda import optim
    p = np.zeros(4, np.float16)
    with pytest.raises(TypeError, match="expected one of float32, float64"):
        optim.sgd_update(p, p.copy(), p.copy(), 0.1, 0.0, 1.0, 0.0, False, False, True)


@half_dtypes
def test_mixed_element_types_are_refused(emu, dtype):
    from minitorch_nn.kernels.cuda import activation
    x = np.zeros(5, dtype)
    with pytest.raises(TypeError, match=f"must have dtype {dtype.name}"):
        activation.relu_fwd(x, np.zeros(5, np.float32))


@half_dtypes
def test_accumulating_rounds_a_float32_buffer_into_the_output(dtype):
    out = np.ones(3, dtype)
    with _launch.accumulating(out) as acc:
        assert acc.dtype == np.float32 and acc is not out
        np.testing.assert_array_equal(acc, [1, 1, 1])   # starts from what out holds
        acc += np.float32([1e-3, 2.0 ** -12, 2.0])
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, (np.float32([1, 1, 1]) +
                                        np.float32([1e-3, 2.0 ** -12, 2.0])).astype(dtype))
    same = np.zeros(2, np.float32)
    with _launch.accumulating(same) as acc:
        assert acc is same


# ------------------------------------------------------------------ elementwise activations
K_TANH, C_TANH = np.float32(math.sqrt(2 / math.pi)), np.float32(0.044715)


def _gelu_tanh_parts(x):
    t = np.tanh(K_TANH * (x + C_TANH * x ** 3))
    return t, K_TANH * (1 + 3 * C_TANH * x * x)


# name -> (kernel, params, forward(x), derivative(x)), on float32 arrays
ELEMENTWISE = {
    "relu": ("relu", (), lambda x: np.where(x < 0, np.float32(0), x), None),
    "gelu": ("gelu", (False,), lambda x: x * 0.5 * (1 + _erf(x / np.float32(math.sqrt(2)))),
             lambda x: 0.5 * (1 + _erf(x / np.float32(math.sqrt(2))))
             + x * np.exp(-0.5 * x * x) / np.float32(math.sqrt(2 * math.pi))),
    "gelu_tanh": ("gelu", (True,), lambda x: 0.5 * x * (1 + _gelu_tanh_parts(x)[0]),
                  lambda x: 0.5 * (1 + _gelu_tanh_parts(x)[0])
                  + 0.5 * x * (1 - _gelu_tanh_parts(x)[0] ** 2) * _gelu_tanh_parts(x)[1]),
    "silu": ("silu", (), lambda x: x * _sigmoid(x),
             lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
    "elu": ("elu", (0.7,), lambda x: np.where(x > 0, x, np.float32(0.7) * np.expm1(x)),
            lambda x: np.where(x > 0, np.float32(1), np.float32(0.7) * np.exp(x))),
    "softplus": ("softplus", (2.0, 3.0),
                 lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2),
                 lambda x: np.where(2 * x > 3, np.float32(1), _sigmoid(2 * x))),
    "leaky_relu": ("leaky_relu", (0.1,), lambda x: np.where(x > 0, x, np.float32(0.1) * x),
                   lambda x: np.where(x > 0, np.float32(1), np.float32(0.1))),
    "sigmoid": ("sigmoid", (), _sigmoid, None),
    "tanh": ("tanh", (), np.tanh, None),
}


def _launcher(family: str, name: str):
    return kernels(family, name)[0]


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@half_dtypes
@pytest.mark.parametrize("n", SIZES)
def test_elementwise_forward(emu, name, dtype, n):
    kernel, params, forward, _ = ELEMENTWISE[name]
    x = _random(n, dtype, scale=3)
    out = np.full(n, np.nan, dtype)
    _launcher("activation", f"{kernel}_fwd")(x, out, *params)
    x32 = _f32(x)
    with np.errstate(over="ignore"):
        # gelu's 1 + erf(x) (1 + tanh) cancels for x << 0: float32 error of order |x| * 1e-7
        assert_rounded(out, forward(x32), dtype, atol=2e-7 * np.abs(x32), what=name)


@pytest.mark.parametrize("name", sorted(n for n, v in ELEMENTWISE.items() if v[3] or n == "relu"))
@half_dtypes
def test_elementwise_backward(emu, name, dtype):
    kernel, params, _, derivative = ELEMENTWISE[name]
    x = _random(1000, dtype, seed=1, scale=3)
    g = _random(1000, dtype, seed=2)
    out = np.full(1000, np.nan, dtype)
    _launcher("activation", f"{kernel}_bwd")(x, g, out, *params)
    x32, g32 = _f32(x), _f32(g)
    with np.errstate(over="ignore"):
        ref = np.where(x32 <= 0, 0, g32) if name == "relu" else g32 * derivative(x32)
    # gelu's derivative cancels (1 + erf(x), and near its minimum): terms of size |x|
    assert_rounded(out, ref, dtype, atol=5e-7 * np.abs(g32) * (1 + np.abs(x32)), what=name)


@half_dtypes
def test_relu_keeps_nan_and_negative_zero(emu, dtype):
    x = np.array([-0.0, np.nan, -1.0, 2.0, 0.0], dtype)
    out, grad = np.empty_like(x), np.empty_like(x)
    _launcher("activation", "relu_fwd")(x, out)
    _launcher("activation", "relu_bwd")(x, np.ones_like(x), grad)
    assert np.signbit(out[0].astype(np.float32)) and np.isnan(out[1].astype(np.float32))
    np.testing.assert_array_equal(out[2:].astype(np.float32), [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(grad.astype(np.float32), [0.0, 1.0, 0.0, 1.0, 0.0])


@half_dtypes
def test_sigmoid_and_tanh_fused_backward(emu, dtype):
    g = _random(1000, dtype, seed=3)
    for name, y in [("sigmoid_backward", _sigmoid(_f32(_random(1000, dtype, seed=4)))),
                    ("tanh_backward", np.tanh(_f32(_random(1000, dtype, seed=5))))]:
        y = y.astype(dtype)
        result = np.full_like(g, np.nan)
        _launcher("elementwise", name)(g, y, result)
        y32, g32 = _f32(y), _f32(g)
        ref = g32 * y32 * (1 - y32) if name == "sigmoid_backward" else g32 * (1 - y32 * y32)
        assert_rounded(result, ref, dtype, what=name)


# ------------------------------------------------------------------ softmax rows
def _softmax32(x32):
    e = np.exp(x32 - x32.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _log_softmax32(x32):
    m = x32.max(1, keepdims=True)
    return x32 - (m + np.log(np.exp(x32 - m).sum(1, keepdims=True)))


@half_dtypes
@pytest.mark.parametrize("shape", ROWS)
def test_softmax_and_log_softmax_forward(emu, dtype, shape):
    x = _random(shape, dtype, seed=6, scale=4)
    sm, lsm = np.full(shape, np.nan, dtype), np.full(shape, np.nan, dtype)
    _launcher("activation", "softmax_fwd")(x, sm)
    _launcher("activation", "log_softmax_fwd")(x, lsm)
    x32 = _f32(x)
    assert_rounded(sm, _softmax32(x32), dtype, what="softmax")
    # x - shift cancels: float32 error of order |x| * 1e-7
    assert_rounded(lsm, _log_softmax32(x32), dtype, atol=1e-6 * np.abs(x32).max(),
                   what="log_softmax")


@half_dtypes
@pytest.mark.parametrize("shape", ROWS)
def test_softmax_and_log_softmax_backward(emu, dtype, shape):
    x32 = _f32(_random(shape, dtype, seed=7, scale=2))
    y = _softmax32(x32).astype(dtype)
    logy = _log_softmax32(x32).astype(dtype)
    g = _random(shape, dtype, seed=8)
    gs, gl = np.full(shape, np.nan, dtype), np.full(shape, np.nan, dtype)
    _launcher("activation", "softmax_bwd")(g, y, gs)
    _launcher("activation", "log_softmax_bwd")(g, logy, gl)
    y32, g32, logy32 = _f32(y), _f32(g), _f32(logy)
    total = g32.sum(1, keepdims=True)
    assert_rounded(gs, y32 * (g32 - (g32 * y32).sum(1, keepdims=True)), dtype,
                   atol=1e-6 * np.abs(g32).max(), what="softmax_bwd")
    assert_rounded(gl, g32 - np.exp(logy32) * total, dtype,
                   atol=1e-6 * (np.abs(g32).max() + np.abs(total).max()), what="log_softmax_bwd")


@half_dtypes
def test_softmax_sums_in_float_not_in_the_half_type(emu, dtype):
    """A long row: partial sums of exponentials kept in the half type (rounded after each
    addition) are off by a few units of its precision, which shows in every output."""
    x = _random((2, 4000), dtype, seed=35)
    out = np.empty_like(x)
    _launcher("activation", "softmax_fwd")(x, out)
    assert_rounded(out, _softmax32(_f32(x)), dtype)


def assert_kept(actual: np.ndarray, reference, atol: float = 0.0, what: str = "") -> None:
    """`actual` was kept in float32, the accumulation type (statistics, per-row results and
    partial sums of half inputs, as PyTorch keeps them), and equals the float32 reference."""
    assert actual.dtype == np.float32, f"{what}: dtype {actual.dtype}, expected float32"
    np.testing.assert_allclose(actual, np.asarray(reference, np.float64), rtol=F32_SLACK,
                               atol=atol, err_msg=what)


# ------------------------------------------------------------------ cross-entropy
CE_SHAPES = [(1, 1), (5, 7), (3, 700), (40, 9)]


def _ce_problem(shape, dtype, seed):
    n, c = shape
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    target = rng.integers(0, c, n).astype(np.int64)
    target[::3] = -100   # ignored rows
    weight = (rng.random(c) + 0.5).astype(dtype)
    return x, target, weight


def _ce_reference32(x32, target, w32, eps):
    n, c = x32.shape
    m = x32.max(1, keepdims=True)
    lse = (m + np.log(np.exp(x32 - m).sum(1, keepdims=True)))[:, 0]
    keep = target != -100
    y = np.where(keep, target, 0)
    wy = np.where(keep, w32[y], np.float32(0))
    loss = (1 - np.float32(eps)) * wy * (lse - x32[np.arange(n), y])
    loss += np.float32(eps) / c * ((lse[:, None] - x32) * w32).sum(1)
    return lse, np.where(keep, loss, np.float32(0)), wy


@half_dtypes
@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_cross_entropy_forward(emu, dtype, shape, eps):
    x, target, weight = _ce_problem(shape, dtype, seed=9)
    outs = [np.full(shape[0], np.nan, np.float32) for _ in range(3)]   # kept in float
    _launcher("loss", "cross_entropy_fwd")(x, target, weight, -100, eps, *outs)
    refs = _ce_reference32(_f32(x), target, _f32(weight), eps)
    for got, want, name in zip(outs, refs, ("lse", "loss", "weight")):
        # loss = lse - x[y] cancels: float32 error of order |lse| * 1e-7
        assert_kept(got, want, atol=1e-6 * (np.abs(refs[0]).max() + 1), what=name)


@half_dtypes
@pytest.mark.parametrize("shape", CE_SHAPES)
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_cross_entropy_backward(emu, dtype, shape, eps):
    x, target, weight = _ce_problem(shape, dtype, seed=10)
    x32, w32 = _f32(x), _f32(weight)
    lse = _ce_reference32(x32, target, w32, eps)[0]   # per-row arrays in float32
    scale = (np.random.default_rng(11).random(shape[0]) + 0.5).astype(np.float32)
    out = np.full(shape, np.nan, dtype)
    _launcher("loss", "cross_entropy_bwd")(x, target, weight, -100, eps, lse, scale, out)
    p = np.exp(x32 - _f32(lse)[:, None])
    keep = target != -100
    y = np.where(keep, target, 0)
    hard = (1 - np.float32(eps)) * w32[y][:, None]
    d = hard * (p - np.eye(shape[1], dtype=np.float32)[y])
    d += np.float32(eps) / shape[1] * (w32.sum() * p - w32)
    ref = np.where(keep[:, None], _f32(scale)[:, None] * d, np.float32(0))
    assert_rounded(out, ref, dtype, atol=1e-6, what="cross_entropy_bwd")


# ------------------------------------------------------------------ row norm
ROW_SHAPES = [(1, 1), (3, 7), (2, 700), (40, 33), (13, 20)]


@half_dtypes
@pytest.mark.parametrize("shape", ROW_SHAPES)
def test_row_norm_forward(emu, dtype, shape):
    rows, cols = shape
    x = _random(shape, dtype, seed=12, scale=2, shift=1)
    w = (np.random.default_rng(13).random(cols) + 0.5).astype(dtype)
    b = _random(cols, dtype, seed=14)
    out = np.full(shape, np.nan, dtype)
    mean, rstd = np.full(rows, np.nan, np.float32), np.full(rows, np.nan, np.float32)
    _launcher("norm", "row_norm_fwd")(x, w, b, 1e-5, out, mean, rstd)
    x32 = _f32(x)
    mu = x32.mean(1)
    rs = 1 / np.sqrt(((x32 - mu[:, None]) ** 2).mean(1) + np.float32(1e-5))
    y = (x32 - mu[:, None]) * rs[:, None] * _f32(w) + _f32(b)
    assert_kept(mean, mu, atol=1e-6, what="mean")
    assert_kept(rstd, rs, what="rstd")
    assert_rounded(out, y, dtype, atol=1e-5, what="out")


@half_dtypes
@pytest.mark.parametrize("shape", ROW_SHAPES)
def test_row_norm_backward(emu, dtype, shape):
    rows, cols = shape
    x = _random(shape, dtype, seed=15, scale=2, shift=1)
    g = _random(shape, dtype, seed=16)
    w = (np.random.default_rng(17).random(cols) + 0.5).astype(dtype)
    x32, g32, w32 = _f32(x), _f32(g), _f32(w)
    mean = x32.mean(1)   # statistics in float32
    rstd = (1 / np.sqrt(x32.var(1) + np.float32(1e-5))).astype(np.float32)
    parts = max(1, min(8, rows))
    gx = np.full(shape, np.nan, dtype)
    gw, gb = np.zeros((parts, cols), np.float32), np.zeros((parts, cols), np.float32)
    _launcher("norm", "row_norm_bwd")(x, g, mean, rstd, w, gx, gw, gb)
    mu, rs = _f32(mean)[:, None], _f32(rstd)[:, None]
    xhat = (x32 - mu) * rs
    dxhat = g32 * w32
    gx_ref = rs * (dxhat - dxhat.mean(1, keepdims=True)
                   - xhat * (dxhat * xhat).mean(1, keepdims=True))
    assert_rounded(gx, gx_ref, dtype, atol=1e-5, what="gx")
    per = -(-rows // parts)
    for p in range(parts):   # each chunk of rows summed in float, kept in float
        chunk = slice(p * per, min(rows, (p + 1) * per))
        assert_kept(gw[p], (g32 * xhat)[chunk].sum(0), atol=1e-5, what="gw part")
        assert_kept(gb[p], g32[chunk].sum(0), atol=1e-5, what="gb part")


# ------------------------------------------------------------------ channel norm
CHANNEL_SHAPES = [(2, 3, 5), (4, 2, 300), (1, 40, 3)]


@half_dtypes
@pytest.mark.parametrize("shape", CHANNEL_SHAPES)
@pytest.mark.parametrize("compute_stats", [True, False])
def test_channel_norm_forward(emu, dtype, shape, compute_stats):
    c = shape[1]
    rng = np.random.default_rng(18)
    x = _random(shape, dtype, seed=19, scale=3, shift=2)
    w = (rng.random(c) + 0.5).astype(dtype)
    b = rng.standard_normal(c).astype(dtype)
    mean = rng.standard_normal(c).astype(np.float32)   # statistics in float32
    var = (rng.random(c) + 0.5).astype(np.float32)
    given_mean, given_var = mean.copy(), var.copy()
    out, rstd = np.full(shape, np.nan, dtype), np.full(c, np.nan, np.float32)
    _launcher("norm", "channel_norm_fwd")(x, mean, var, w, b, 1e-5, compute_stats, out, rstd)
    x32 = _f32(x)
    if compute_stats:
        mu = x32.mean((0, 2))
        variance = ((x32 - mu[None, :, None]) ** 2).mean((0, 2))
        assert_kept(mean, mu, atol=1e-6, what="mean")
        assert_kept(var, variance, what="var")
    else:
        mu, variance = given_mean, given_var
        np.testing.assert_array_equal(mean.astype(np.float32), given_mean)   # untouched
    rs = 1 / np.sqrt(variance + np.float32(1e-5))
    ref = (x32 - mu[None, :, None]) * (rs * _f32(w))[None, :, None] + _f32(b)[None, :, None]
    assert_kept(rstd, rs, what="rstd")
    assert_rounded(out, ref, dtype, atol=1e-5, what="out")


@half_dtypes
@pytest.mark.parametrize("shape", CHANNEL_SHAPES)
@pytest.mark.parametrize("batch_stats", [True, False])
def test_channel_norm_backward(emu, dtype, shape, batch_stats):
    c = shape[1]
    x = _random(shape, dtype, seed=20, scale=3, shift=2)
    g = _random(shape, dtype, seed=21)
    w = (np.random.default_rng(22).random(c) + 0.5).astype(dtype)
    x32, g32 = _f32(x), _f32(g)
    mean = x32.mean((0, 2))   # statistics in float32
    rstd = (1 / np.sqrt(x32.var((0, 2)) + np.float32(1e-5))).astype(np.float32)
    gx = np.full(shape, np.nan, dtype)
    gw, gb = np.full(c, np.nan, dtype), np.full(c, np.nan, dtype)
    _launcher("norm", "channel_norm_bwd")(x, g, mean, rstd, w, batch_stats, gx, gw, gb)
    mu, rs = _f32(mean), _f32(rstd)
    count = shape[0] * shape[2]
    xc = x32 - mu[None, :, None]
    sg, sgx = g32.sum((0, 2)), (g32 * xc).sum((0, 2))
    k = (_f32(w) * rs)[None, :, None]
    if batch_stats:
        gx_ref = k * (g32 - (sg / count)[None, :, None]
                      - xc * (sgx * rs * rs / count)[None, :, None])
    else:
        gx_ref = k * g32
    assert_rounded(gb, sg, dtype, atol=1e-5, what="gb")
    assert_rounded(gw, sgx * rs, dtype, atol=1e-5, what="gw")
    assert_rounded(gx, gx_ref, dtype, atol=1e-5, what="gx")


# ------------------------------------------------------------------ im2col / col2im
# (N, C, H, W), (kh, kw), stride, padding, dilation
CONV_GEOMETRIES = [
    ((2, 3, 6, 5), (3, 2), (2, 1), (1, 1), (1, 2)),
    ((2, 1, 7, 8), (2, 2), (3, 3), (0, 1), (1, 1)),
    ((1, 4, 1, 9), (1, 3), (1, 2), (0, 2), (1, 1)),
]


def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


@half_dtypes
@pytest.mark.parametrize("geometry", CONV_GEOMETRIES)
def test_im2col_copies_and_col2im_sums_in_float(emu, dtype, geometry):
    """im2col is a copy (exact); col2im against the float32 Numba twin run on the same
    rounded values, then rounded once."""
    shape, k, s, p, d = geometry
    n, c, h, w = shape
    oh_n, ow_n = _out_size(h, k[0], s[0], p[0], d[0]), _out_size(w, k[1], s[1], p[1], d[1])
    args = (k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], oh_n, ow_n)
    x = _random(shape, dtype, seed=23)
    gpu_im2col, cpu_im2col = kernels("conv", "im2col")
    cols = np.full((c * k[0] * k[1], n * oh_n * ow_n), np.nan, dtype)
    gpu_im2col(x, cols, *args)
    ref_cols = np.full(cols.shape, np.nan, np.float32)
    cpu_im2col(_f32(x), ref_cols, *args)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols.astype(np.float32), ref_cols)

    gpu_col2im, cpu_col2im = kernels("conv", "col2im")
    cg = _random(cols.shape, dtype, seed=24)
    image = np.full(shape, 0.1, dtype)   # col2im adds into what is there
    gpu_col2im(cg, image, *args)
    ref_image = np.full(shape, 0.1, dtype).astype(np.float32)
    cpu_col2im(_f32(cg), ref_image, *args)
    assert_rounded(image, ref_image, dtype, atol=1e-6, what="col2im")


# ------------------------------------------------------------------ pooling
# (N, C, H, W), kernel, stride, padding, dilation, output (OH, OW)
POOL_GEOMETRIES = [
    ((2, 3, 6, 6), (2, 2), (2, 2), (0, 0), (1, 1), (3, 3)),
    ((1, 2, 7, 5), (3, 3), (2, 2), (1, 1), (1, 1), (4, 3)),
    ((1, 40, 3, 3), (2, 2), (1, 1), (1, 1), (1, 1), (4, 4)),   # many planes, overlap
]


@half_dtypes
@pytest.mark.parametrize("geometry", POOL_GEOMETRIES)
def test_max_pool2d(emu, dtype, geometry):
    """Forward is exact (the maximum is one of the inputs) with the float32 twin's indices;
    backward scatters in float and rounds once."""
    shape, k, s, p, d, out_hw = geometry
    args = (k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1])
    x = _random(shape, dtype, seed=25)
    x.reshape(-1)[::7] = x.reshape(-1)[1]   # ties: the first position must win
    out = np.full(shape[:2] + out_hw, np.nan, dtype)
    idx = np.full(out.shape, -7, np.int64)
    fwd, cpu_fwd = kernels("pool", "max_pool2d_fwd")
    fwd(x, out, idx, *args)
    ref_out, ref_idx = np.empty(out.shape, np.float32), np.empty(out.shape, np.int64)
    cpu_fwd(_f32(x), ref_out, ref_idx, *args)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.astype(np.float32), ref_out)
    np.testing.assert_array_equal(idx, ref_idx)

    g = _random(out.shape, dtype, seed=26)
    gx = np.zeros(shape, dtype)
    kernels("pool", "max_pool2d_bwd")[0](g, idx, gx)
    ref = np.zeros((shape[0] * shape[1], shape[2] * shape[3]), np.float32)
    for plane, gp, ip in zip(ref, _f32(g).reshape(len(ref), -1), idx.reshape(len(ref), -1)):
        np.add.at(plane, ip, gp)
    assert_rounded(gx, ref.reshape(shape), dtype, atol=1e-6, what="max_pool2d_bwd")


@half_dtypes
@pytest.mark.parametrize("geometry", POOL_GEOMETRIES)
@pytest.mark.parametrize("include_pad, override", [(True, 0), (False, 0), (False, 5)])
def test_avg_pool2d(emu, dtype, geometry, include_pad, override):
    shape, k, s, p, _, out_hw = geometry
    args = (k[0], k[1], s[0], s[1], p[0], p[1], include_pad, override)
    x = _random(shape, dtype, seed=27)
    out = np.full(shape[:2] + out_hw, np.nan, dtype)
    fwd, cpu_fwd = kernels("pool", "avg_pool2d_fwd")
    fwd(x, out, *args)
    ref_out = np.empty(out.shape, np.float32)
    cpu_fwd(_f32(x), ref_out, *args)
    assert_rounded(out, ref_out, dtype, atol=1e-6, what="avg_pool2d_fwd")

    g = _random(out.shape, dtype, seed=28)
    gx = np.zeros(shape, dtype)
    bwd, cpu_bwd = kernels("pool", "avg_pool2d_bwd")
    bwd(g, gx, *args)
    ref_gx = np.zeros(shape, np.float32)
    cpu_bwd(_f32(g), ref_gx, *args)
    assert_rounded(gx, ref_gx, dtype, atol=1e-6, what="avg_pool2d_bwd")


@half_dtypes
@pytest.mark.parametrize("in_hw, out_hw", [((6, 6), (3, 3)), ((7, 5), (3, 4)), ((3, 3), (5, 4))])
def test_adaptive_avg_pool2d(emu, dtype, in_hw, out_hw):
    shape = (2, 3) + in_hw
    x = _random(shape, dtype, seed=29)
    out = np.full(shape[:2] + out_hw, np.nan, dtype)
    fwd, cpu_fwd = kernels("pool", "adaptive_avg_pool2d_fwd")
    fwd(x, out)
    ref_out = np.empty(out.shape, np.float32)
    cpu_fwd(_f32(x), ref_out)
    assert_rounded(out, ref_out, dtype, atol=1e-6, what="adaptive_avg_pool2d_fwd")

    g = _random(out.shape, dtype, seed=30)
    gx = np.zeros(shape, dtype)
    bwd, cpu_bwd = kernels("pool", "adaptive_avg_pool2d_bwd")
    bwd(g, gx)
    ref_gx = np.zeros(shape, np.float32)
    cpu_bwd(_f32(g), ref_gx)
    assert_rounded(gx, ref_gx, dtype, atol=1e-6, what="adaptive_avg_pool2d_bwd")


# ------------------------------------------------------------------ embedding backward
@half_dtypes
@pytest.mark.parametrize("m, d, padding_idx", [(1, 1, -1), (50, 7, 3), (13, 300, -1)])
def test_embedding_backward(emu, dtype, m, d, padding_idx):
    vocab = 6
    idx = np.random.default_rng(31).integers(0, vocab, m).astype(np.int64)
    g = _random((m, d), dtype, seed=32)
    out = np.zeros((vocab, d), dtype)
    _launcher("embedding", "embedding_bwd")(idx, g, out, padding_idx)
    ref = np.zeros((vocab, d), np.float32)
    keep = idx != padding_idx
    np.add.at(ref, idx[keep], _f32(g)[keep])
    assert_rounded(out, ref, dtype, atol=1e-6, what="embedding_bwd")
    if padding_idx >= 0:
        assert (out[padding_idx].astype(np.float32) == 0).all()


@half_dtypes
def test_embedding_backward_accumulates_in_float(emu, dtype):
    """3000 lookups of one row with gradient 1: atomics on the half type would stall (at
    2048 in float16, 256 in bfloat16); in float the total is 3000, rounded once."""
    idx = np.zeros(3000, np.int64)
    g = np.ones((3000, 2), dtype)
    out = np.zeros((2, 2), dtype)
    _launcher("embedding", "embedding_bwd")(idx, g, out, -1)
    np.testing.assert_array_equal(out.astype(np.float32),
                                  [[np.float32(3000).astype(dtype)] * 2, [0, 0]])


# ------------------------------------------------------------------ dropout
@half_dtypes
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_dropout_matches_its_host_twin_bit_for_bit(emu, dtype, p):
    x = _random((7, 143), dtype, seed=33)
    seed, offset = 1234, 99
    out = np.full_like(x, np.nan)
    mask = np.full(x.shape, 7, np.uint8)
    dropout.dropout_fwd(x, out, mask, p, seed, offset)
    keep = dropout.uniform_host(seed, offset, x.size).reshape(x.shape) >= p
    np.testing.assert_array_equal(mask, keep.astype(np.uint8))
    scale = np.float32(0.0 if p == 1.0 else 1.0 / (1.0 - p))
    expected = np.where(keep, _f32(x) * scale, np.float32(0)).astype(dtype)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.view(np.uint16), expected.view(np.uint16))
    g = _random(x.shape, dtype, seed=34)
    grad = np.full_like(g, np.nan)
    dropout.dropout_bwd(g, mask, grad, p)
    expected = np.where(keep, _f32(g) * scale, np.float32(0)).astype(dtype)
    np.testing.assert_array_equal(grad.view(np.uint16), expected.view(np.uint16))
