"""torch.linalg matrix functions: inverse, determinants, triangular solves, least squares,
the pseudo-inverse and rank (and the old top-level names: inverse, det, logdet, slogdet,
pinverse).

Each forward goes to `xp.linalg` (numpy's LAPACK on the CPU, CuPy's cuSOLVER on the GPU) on
the whole batch at once; each backward is the standard matrix-calculus formula written in
PyTorch's complex convention (the gradient of a real loss is conj-linear: `complex_grad_direct`).
Singular inputs raise `torch.linalg.LinAlgError` with LAPACK's info (see _linalg_common.py).
matrix_power, cross, multi_dot and vecdot are in linalg_products.py.
"""
from __future__ import annotations

import numpy as np

from .. import return_types
from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from . import linalg_extra as _extra
from ._linalg_common import (LinAlgError, all_finite, eps_of,
                             hermitian_from, info_tensor, lapack_call, lu_info, mH, raise_info,
                             require_float, require_kernel_dtype, require_lapack_dtype,
                             require_matrix, singular_message)
from ._reduce_util import _type_name
from ._util import check_tensor, sum_to_shape, xp_of
from .registry import op


linalg_inv_ex = return_types.linalg_inv_ex
linalg_slogdet = return_types.linalg_slogdet
slogdet_type = return_types.slogdet
linalg_solve_ex = return_types.linalg_solve_ex
linalg_lstsq = return_types.linalg_lstsq


# ============================================================================ inverse
def _inverse(a):
    """(A^-1, LAPACK info) for a batch of square matrices; singular ones give NaN."""
    xp = xp_of(a)
    zeros = xp.zeros(a.shape[:-2], dtype=np.int32)
    if a.size == 0:
        return a.copy(), zeros
    inv = lapack_call(xp.linalg.inv, a)
    if inv is not None and all_finite(inv):
        return inv, zeros
    info = lu_info(a)
    if inv is None:
        inv = xp.full(a.shape, np.nan, dtype=a.dtype)
        ok = info == 0
        if bool(ok.any()):
            inv[ok] = xp.linalg.inv(a[ok])
    return inv, info


class LinalgInvEx(ArrayFunction):
    """(A^-1, info); gA = -A^-H g A^-H."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a, fn, check):
        inv, info = _inverse(a._data)
        if check:
            raise_info(info, fn, singular_message)
        ctx.inv = inv
        info_t = info_tensor(info, inv)
        ctx.set_materialize_grads(False)
        out = _wrap(inv)
        ctx.save_for_backward(out)
        return out, info_t

    @staticmethod
    def backward(ctx, g, g_info):
        if g is None:
            return None, None, None
        x = mH(ctx.inv)
        return -(x @ g @ x), None, None

    @staticmethod
    def grad_formula(ctx, g, g_info):
        if g is None:
            return None, None, None
        x = ctx.saved_tensors[0].mH              # the saved inverse, attached to this node
        return -(x @ (g @ x)), None, None


def _inv_t(a: Tensor) -> Tensor:
    """A^-1 as a recorded op (NaN for a singular matrix, no check)."""
    return LinalgInvEx.apply(a, "linalg.inv", False)[0]


def _check_inv(A: Tensor, fn: str, name="A") -> None:
    require_matrix(A, fn, square=True, argname=name)
    require_lapack_dtype(A, fn)


@op("inv_ex", namespace="linalg")
def inv_ex(A: Tensor, *, check_errors: bool = False):
    """(inverse, info): the inverse of each square matrix and LAPACK's info (0: invertible)."""
    _check_inv(A, "linalg.inv_ex")
    return linalg_inv_ex(*LinalgInvEx.apply(A, "linalg.inv_ex", bool(check_errors)))


@op("inv", namespace="linalg")
def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix; LinAlgError names a singular one."""
    _check_inv(A, "linalg.inv")
    return LinalgInvEx.apply(A, "linalg.inv", True)[0]


@op("inverse", methods=("inverse",))
def inverse(input: Tensor) -> Tensor:
    """`torch.inverse`: the same as `torch.linalg.inv`."""
    check_tensor(input, "input", "inverse")
    _check_inv(input, "linalg.inv")
    return LinalgInvEx.apply(input, "linalg.inv", True)[0]


# ============================================================================ determinants
def _cofactor(a):
    """The cofactor matrix d det(A) / dA, from the SVD so it is exact for singular A too:
    A = U S Vh gives cof(A) = det(U) det(Vh) conj(U) diag(prod_{j != i} s_j) conj(Vh)."""
    xp = xp_of(a)
    n = a.shape[-1]
    if a.size == 0 or n == 0:
        return xp.zeros_like(a)
    u, s, vh = xp.linalg.svd(a)
    ones = xp.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = xp.cumprod(xp.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([s[..., 1:], ones], axis=-1), -1),
                               axis=-1), -1)
    others = (before * after).astype(a.dtype)
    phase = xp.linalg.det(u) * xp.linalg.det(vh)
    adj = mH(vh) @ (others[..., :, None] * mH(u))          # adj(A) = det(A) A^-1
    return phase[..., None, None] * adj.swapaxes(-1, -2)


class LinalgDet(ArrayFunction):
    """det(A); gA = g conj(cof(A)) (PyTorch's convention), exact at singular A."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a._data)
        out = _wrap(xp.asarray(xp.linalg.det(a._data), dtype=a._data.dtype))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a = ctx.saved_tensors[0]
        return g[..., None, None] * _cofactor(a._data).conj()

    @staticmethod
    def grad_formula(ctx, g):
        """PyTorch's linalg_det_backward in grad mode: (g conj(det)) A^-H, and for the
        (near-)singular matrices (|det| < 100 eps) the SVD form
        U diag(g conj(det U det Vh) prod_{j != i} s_j) Vh, which is exact there."""
        a, det = ctx.saved_tensors
        d = (g * det.conj()).unsqueeze(-1).unsqueeze(-1)
        xp = xp_of(a._data)
        eps = eps_of(a._data.real.dtype)
        singular = xp.abs(det._data) < 100 * eps
        if not bool(singular.any()):
            return d * _inv_t(a).mH
        return _det_grad_masked(a, g, d, singular)


def _const(array) -> Tensor:
    return _wrap(array)


def _prod_others(s: Tensor) -> Tensor:
    """prod_{j != i} s_j for each i of the last dim, as recorded products (no division, so
    exact and differentiable at zeros: PyTorch's prod_safe_zeros_backward)."""
    n = s.shape[-1]
    xp = xp_of(s._data)
    eye = _const(xp.eye(n, dtype=s._data.dtype))
    rows = s.unsqueeze(-2) * (1 - eye) + eye          # row i: s with s_i replaced by 1
    out = rows[..., 0]
    for j in range(1, n):
        out = out * rows[..., j]
    return out


def _det_grad_masked(a: Tensor, g: Tensor, d: Tensor, singular) -> Tensor:
    """det's gradient where some matrices of the batch are (near-)singular: the SVD form for
    those, d A^-H for the others. Each branch sees a harmless stand-in matrix where the other
    is selected (identity / diag(1..n)), so no NaN leaks into higher derivatives."""
    xp = xp_of(a._data)
    n = a.shape[-1]
    dtype = a._data.dtype
    mask = _const(xp.asarray(singular)[..., None, None])
    eye = _const(xp.eye(n, dtype=dtype))
    spread = _const(xp.diag(xp.arange(1, n + 1)).astype(dtype))
    regular = d * _inv_t(eye.where(mask, a)).mH
    u, s, v = a.where(mask, spread).svd()              # LinalgSvd, reduced
    vh = v.mH
    alpha = (LinalgDet.apply(u) * LinalgDet.apply(vh)).conj()
    gs = (g * alpha).unsqueeze(-1) * _prod_others(s).to(a.dtype)
    return ((u * gs.unsqueeze(-2)) @ vh).where(mask, regular)


@op("det", namespace="linalg")
def linalg_det(A: Tensor) -> Tensor:
    """The determinant of each square matrix."""
    require_matrix(A, "linalg.det", square=True)
    require_float(A, "linalg.det")
    require_kernel_dtype(A, "lu_cpu")
    return LinalgDet.apply(A)


@op("det", methods=("det",))
def det(input: Tensor) -> Tensor:
    """`torch.det`: the same as `torch.linalg.det`."""
    check_tensor(input, "input", "det")
    return linalg_det(input)


def _inverse_or_nan(a):
    xp = xp_of(a)
    inv = lapack_call(xp.linalg.inv, a)
    return xp.full(a.shape, np.nan, dtype=a.dtype) if inv is None else inv


class LinalgSlogdet(ArrayFunction):
    """(sign, log|det|); gA = conj(k) A^-H with k = g_logabsdet + i Im(conj(g_sign) sign)."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a._data)
        sign, logabs = xp.linalg.slogdet(a._data)
        sign = xp.asarray(sign, dtype=a._data.dtype)
        logabs = xp.asarray(logabs, dtype=a._data.real.dtype)
        ctx.sign = sign
        ctx.set_materialize_grads(False)
        out = _wrap(sign), _wrap(logabs)
        ctx.save_for_backward(a, out[0])
        return out

    @staticmethod
    def backward(ctx, g_sign, g_logabs):
        a = ctx.saved_tensors[0]
        data = a._data
        xp = xp_of(data)
        k = xp.zeros(data.shape[:-2], dtype=data.dtype) if g_logabs is None else \
            g_logabs.astype(data.dtype)
        if g_sign is not None and data.dtype.kind == "c":
            k = k + 1j * (g_sign.conj() * ctx.sign).imag
        return k.conj()[..., None, None] * mH(_inverse_or_nan(data))

    @staticmethod
    def grad_formula(ctx, g_sign, g_logabs):
        """PyTorch's slogdet_backward in grad mode: conj(k) A^-H, k as in backward."""
        a, sign = ctx.saved_tensors
        k = g_logabs
        if a.is_complex():
            if k is not None:
                k = k.to(a.dtype)
            if g_sign is not None:
                term = (g_sign.conj() * sign).imag * 1j
                k = term if k is None else k + term
        if k is None:
            return None
        return k.conj().unsqueeze(-1).unsqueeze(-1) * _inv_t(a).mH


def _slogdet(A: Tensor, fn: str, result):
    require_matrix(A, fn, square=True)
    require_lapack_dtype(A, fn)
    return result(*LinalgSlogdet.apply(A))


@op("slogdet", namespace="linalg")
def linalg_slogdet_fn(A: Tensor):
    """(sign, logabsdet) with det(A) = sign * exp(logabsdet): no overflow for large n."""
    return _slogdet(A, "linalg.slogdet", linalg_slogdet)


@op("slogdet", methods=("slogdet",))
def slogdet(input: Tensor):
    """`torch.slogdet`: `torch.linalg.slogdet` as a `torch.return_types.slogdet`."""
    check_tensor(input, "input", "slogdet")
    return _slogdet(input, "linalg.slogdet", slogdet_type)


@op("logdet", methods=("logdet",))
def logdet(input: Tensor) -> Tensor:
    """log det(A): NaN for a negative determinant of a real matrix, -inf for a zero one."""
    from .. import where
    check_tensor(input, "input", "logdet")
    require_matrix(input, "logdet", square=True)
    require_lapack_dtype(input, "logdet")
    sign, logabs = LinalgSlogdet.apply(input)
    if input.is_complex():
        return logabs + sign.log()
    return where(sign < 0, float("nan"), logabs)


# ============================================================================ solves
@op("solve_ex", namespace="linalg")
def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False):
    """(result, info): `linalg.solve` that reports singular matrices in `info`."""
    result, info = _extra.solve_with_info(A, B, left, "torch.linalg.solve_ex",
                                          bool(check_errors))
    return linalg_solve_ex(result, info)


def _triangle(a, upper: bool, unit: bool):
    xp = xp_of(a)
    tri = xp.triu(a) if upper else xp.tril(a)
    if unit:
        n = a.shape[-1]
        tri = tri * (1 - xp.eye(n, dtype=a.dtype)) + xp.eye(n, dtype=a.dtype)
    return tri


def _substitute(t, b, upper: bool):
    """T^-1 B by forward / back substitution (T triangular): inf/NaN for a zero diagonal, as
    LAPACK's trsm gives, where xp.linalg.solve refuses a singular matrix."""
    xp = xp_of(t)
    n = t.shape[-1]
    x = xp.zeros(b.shape, dtype=xp.result_type(t, b))
    order = range(n - 1, -1, -1) if upper else range(n)
    for i in order:
        acc = b[..., i, :] - (t[..., i, :, None] * x).sum(axis=-2)
        x[..., i, :] = acc / t[..., i, i, None]
    return x


def _tri_solve(t, b, upper: bool):
    """T^-1 B for triangular T (..., n, n) and B (..., n, k) with broadcast batch dims."""
    xp = xp_of(t)
    batch = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = xp.broadcast_to(t, batch + t.shape[-2:])
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    if t.size == 0 or b.size == 0:
        return xp.zeros(b.shape, dtype=xp.result_type(t, b))
    x = lapack_call(xp.linalg.solve, t, b)
    if x is None or not all_finite(x):
        x = _substitute(t, b, upper)
    return x


def _tri_apply(t, b, upper: bool, left: bool):
    """X with T X = B (left) or X T = B (right)."""
    if left:
        return _tri_solve(t, b, upper)
    return _tri_solve(t.swapaxes(-1, -2), b.swapaxes(-1, -2), not upper).swapaxes(-1, -2)


class LinalgSolveTriangular(ArrayFunction):
    """X = T^-1 B (or B T^-1); gB = T^-H g (g T^-H), gA = the triangle of -gB X^H (-X^H gB)."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a, b, upper, left, unit):
        t = _triangle(a._data, upper, unit)
        x = _tri_apply(t, b._data, upper, left)
        out = _wrap(x)
        ctx.save_for_backward(a, b, out)
        ctx.meta = (t, x, upper, left, unit)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, _ = ctx.saved_tensors
        t, x, upper, left, unit = ctx.meta
        gb = _tri_apply(mH(t), g, not upper, left)
        ga = None
        if ctx.needs_input_grad[0]:
            xp = xp_of(g)
            full = -(gb @ mH(x)) if left else -(mH(x) @ gb)
            k = 1 if unit else 0
            ga = xp.triu(full, k) if upper else xp.tril(full, -k)
            ga = sum_to_shape(ga, a._data.shape)
        return ga, sum_to_shape(gb, b._data.shape), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        a, b, x = ctx.saved_tensors
        upper, left, unit = ctx.meta[2:]
        gb = LinalgSolveTriangular.apply(a.mH, g, not upper, left, unit)
        ga = None
        if ctx.needs_input_grad[0]:
            full = -(gb @ x.mH) if left else -(x.mH @ gb)
            ga = reduce_grad(full.triu(int(unit)) if upper else full.tril(-int(unit)), a)
        return ga, reduce_grad(gb, b), None, None, None


@op("solve_triangular", namespace="linalg")
def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """X with A X = B (or X A = B) for triangular A; only the `upper` / lower triangle of A is
    read (and not its diagonal when `unitriangular`)."""
    fn = "linalg.solve_triangular"
    require_matrix(A, fn, square=True)
    require_matrix(B, fn, name="B", argname="B")
    require_kernel_dtype(A, "triangular_solve_cpu")
    require_kernel_dtype(B, "triangular_solve_cpu")
    n = A.shape[-1]
    rows = B.shape[-2] if left else B.shape[-1]
    if rows != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {eq} "
                           f"({A.shape[-2]}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if A.dtype != B.dtype:
        common = _dt.promote_types(A.dtype, B.dtype)
        A, B = A.to(common), B.to(common)
    return LinalgSolveTriangular.apply(A, B, bool(upper), bool(left), bool(unitriangular))


# ============================================================================ pseudo-inverse
def _tolerance(s_max, atol, rtol, m: int, n: int, dtype, xp):
    """max(atol, rtol * s_max); rtol defaults to eps * max(m, n) unless atol > 0 is given."""
    def arr(v):
        return None if v is None else xp.asarray(v._data if isinstance(v, Tensor) else v,
                                                  dtype=s_max.dtype)
    atol_a, rtol_a = arr(atol), arr(rtol)
    if rtol_a is None:
        default = eps_of(dtype) * max(m, n)
        rtol_a = xp.asarray(default, dtype=s_max.dtype) if atol_a is None else \
            xp.where(atol_a > 0, 0, default).astype(s_max.dtype)
    tol = rtol_a * s_max
    return tol if atol_a is None else xp.maximum(atol_a, tol)


def _pinv_array(a, atol, rtol, hermitian: bool):
    xp = xp_of(a)
    m, n = a.shape[-2:]
    if a.size == 0:
        return xp.zeros(a.shape[:-2] + (n, m), dtype=a.dtype)
    if hermitian:
        w, v = xp.linalg.eigh(hermitian_from(a))
        mag = xp.abs(w)
        tol = _tolerance(mag.max(axis=-1), atol, rtol, m, n, a.real.dtype, xp)
        keep = mag > tol[..., None]
        inv_w = xp.where(keep, 1 / xp.where(keep, w, 1), 0).astype(a.dtype)
        return (v * inv_w[..., None, :]) @ mH(v)
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    tol = _tolerance(s[..., 0] if s.shape[-1] else s.sum(-1), atol, rtol, m, n,
                     a.real.dtype, xp)
    keep = s > tol[..., None]
    inv_s = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype)
    return (mH(vh) * inv_s[..., None, :]) @ mH(u)


def pinv_grad(a, p, g):
    """d pinv: gA = -P^H g P^H + (I - A P) g^H P P^H + P^H P g^H (I - P A) (Golub-Pereyra)."""
    xp = xp_of(a)
    ph = mH(p)
    gh = mH(g)
    m, n = a.shape[-2:]
    eye_m = xp.eye(m, dtype=a.dtype)
    eye_n = xp.eye(n, dtype=a.dtype)
    return (-(ph @ g @ ph) + (eye_m - a @ p) @ (gh @ (p @ ph))
            + (ph @ p) @ (gh @ (eye_n - p @ a)))


class LinalgPinv(ArrayFunction):
    """The Moore-Penrose pseudo-inverse through the SVD (or eigh when `hermitian`)."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        p = _pinv_array(a._data, atol, rtol, hermitian)
        out = _wrap(p)
        ctx.save_for_backward(a, out)
        ctx.p = p
        return out

    @staticmethod
    def backward(ctx, g):
        a = ctx.saved_tensors[0]
        return pinv_grad(a._data, ctx.p, g), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        a, p = ctx.saved_tensors
        return _pinv_grad_t(a, p, g), None, None, None


def _pinv_grad_t(a: Tensor, p: Tensor, g: Tensor) -> Tensor:
    """pinv_grad with recorded ops, grouped as PyTorch's pinv_backward (smallest matrices)."""
    m, n = a.shape[-2:]
    ph, gh = p.mH, g.mH
    if m <= n:
        k = gh @ p
        kph = k @ ph
        return -(p @ k).mH + kph - (a @ p) @ kph + (ph @ p) @ (gh - k @ a)
    k = p @ gh
    phk = ph @ k
    return -(k @ p).mH + (gh - a @ k) @ p @ ph + phk - (phk @ p) @ a


def _check_pinv(A: Tensor) -> None:
    check_tensor(A, "input", "linalg_pinv")
    if A.dim() < 2 or A.dtype.kind < 2 or A.dtype in (_dt.float16, _dt.bfloat16):
        shape = ", ".join(str(s) for s in A.shape)
        raise RuntimeError(f"linalg.pinv({_type_name(A.dtype)}{{[{shape}]}}): expected a "
                           "tensor with 2 or more dimensions of float, double, cfloat or "
                           "cdouble types")


@op("pinv", namespace="linalg")
def pinv(A: Tensor, rcond=None, hermitian: bool = False, *, atol=None, rtol=None) -> Tensor:
    """The pseudo-inverse: singular values <= max(atol, rtol * largest) count as zero.
    `rcond` (positional, PyTorch's older form) is `rtol`."""
    _check_pinv(A)
    if rcond is not None:
        if atol is not None or rtol is not None:
            raise TypeError("linalg_pinv(): rcond cannot be combined with atol or rtol")
        rtol = rcond
    return LinalgPinv.apply(A, atol, rtol, bool(hermitian))


@op("pinverse", methods=("pinverse",))
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """`torch.pinverse`: `torch.linalg.pinv` with a relative tolerance `rcond`."""
    _check_pinv(input)
    return LinalgPinv.apply(input, None, rcond, False)


@op("matrix_rank", namespace="linalg")
def matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None,
                rtol=None) -> Tensor:
    """The number of singular values above max(atol, rtol * largest) (int64); `tol`
    (positional, PyTorch's older form) is `atol`."""
    check_tensor(A, "A", "linalg_matrix_rank")
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at "
                           "least 2 dimensions.")
    if A.dtype.kind < 2 or A.dtype in (_dt.float16, _dt.bfloat16):
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol, rtol = tol, 0.0
    a = A._data
    xp = xp_of(a)
    m, n = a.shape[-2:]
    if a.size == 0:
        return _wrap(xp.zeros(a.shape[:-2], dtype=np.int64))
    vals = xp.abs(xp.linalg.eigvalsh(hermitian_from(a))) if hermitian else \
        xp.linalg.svd(a, compute_uv=False)
    tol_a = _tolerance(vals.max(axis=-1), atol, rtol, m, n, a.real.dtype, xp)
    return _wrap((vals > tol_a[..., None]).sum(axis=-1).astype(np.int64))


# ============================================================================ least squares
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


class LinalgLstsq(ArrayFunction):
    """X = pinv(A) B through the SVD; gradients for the solution (through pinv) and the
    residuals ||A x - b||^2 (at the minimiser: 2 (A X - B) diag(g) X^H for A)."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a, b, rcond, driver, vector):
        A, B = a._data, b._data
        xp = xp_of(A)
        if vector:
            B = B[..., None]
        batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
        A = xp.broadcast_to(A, batch + A.shape[-2:])
        B = xp.broadcast_to(B, batch + B.shape[-2:])
        m, n = A.shape[-2:]
        rtol = eps_of(A.real.dtype) * max(m, n) if rcond is None or rcond < 0 else rcond
        real = A.real.dtype
        if A.size:
            s = xp.linalg.svd(A, compute_uv=False)
            s_max = s[..., 0] if s.shape[-1] else xp.zeros(batch, dtype=real)
        else:
            s = xp.zeros(batch + (min(m, n),), dtype=real)
            s_max = xp.zeros(batch, dtype=real)
        p = _pinv_array(A, None, rtol if driver != "gels" else 0.0, False)
        x = p @ B
        rank = (s > (rtol * s_max)[..., None]).sum(axis=-1).astype(np.int64)
        res = A @ x - B
        with_res = m > n and (driver == "gels" or
                              (driver in ("gelsd", "gelss") and bool((rank == n).all())))
        residuals = (xp.abs(res) ** 2).sum(axis=-2).astype(real) if with_res else \
            xp.zeros((0,), dtype=real)
        ctx.save_for_backward(a, b)
        ctx.meta = (A, B, p, x, res, vector)
        ctx.set_materialize_grads(False)
        outs = (_wrap(x[..., 0] if vector else x), _wrap(residuals),
                _wrap(rank if driver != "gels" else xp.zeros((0,), dtype=np.int64)),
                _wrap(s if driver in ("gelsd", "gelss") else xp.zeros((0,), dtype=real)))
        ctx.mark_non_differentiable(outs[3])
        ctx.save_for_backward(a, b, outs[0])
        return outs

    @staticmethod
    def backward(ctx, g_x, g_res, g_rank, g_s):
        a, b, _ = ctx.saved_tensors
        A, B, p, x, res, vector = ctx.meta
        xp = xp_of(A)
        ga = xp.zeros(A.shape, dtype=A.dtype)
        gb = xp.zeros(B.shape, dtype=B.dtype)
        if g_x is not None:
            gx = g_x[..., None] if vector else g_x
            gb = gb + mH(p) @ gx
            ga = ga + pinv_grad(A, p, gx @ mH(B))
        if g_res is not None and g_res.size:
            gr = g_res[..., None, :].astype(A.dtype)
            ga = ga + 2 * (res * gr) @ mH(x)
            gb = gb - 2 * res * gr
        if vector:
            gb = gb[..., 0]
        return (sum_to_shape(ga, a._data.shape), sum_to_shape(gb, b._data.shape), None, None,
                None)

    @staticmethod
    def grad_formula(ctx, g_x, g_res, g_rank, g_s):
        """PyTorch's linalg_lstsq_backward: pinv(A) recomputed as a recorded op."""
        a, b, x = ctx.saved_tensors
        vector = ctx.meta[-1]
        bm = b.unsqueeze(-1) if vector else b
        xm = x.unsqueeze(-1) if vector else x
        ga = gb = None
        if g_x is not None:
            gx = g_x.unsqueeze(-1) if vector else g_x
            p = LinalgPinv.apply(a, None, None, False)
            gb = p.mH @ gx
            ga = _pinv_grad_t(a, p, gx @ bm.mH)
        if g_res is not None and g_res.numel():
            gr = g_res.unsqueeze(-2).to(a.dtype)
            res = a @ xm - bm
            ga_r, gb_r = 2 * (res * gr) @ xm.mH, -2 * res * gr
            ga = ga_r if ga is None else ga + ga_r
            gb = gb_r if gb is None else gb + gb_r
        if gb is not None and vector:
            gb = gb.squeeze(-1)
        return reduce_grad(ga, a), reduce_grad(gb, b), None, None, None


@op("lstsq", namespace="linalg")
def lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of min ||A X - B||; which of the last
    three are filled depends on the LAPACK `driver`, as in PyTorch (CPU: gelsy)."""
    fn = "torch.linalg.lstsq"
    check_tensor(A, "self", "linalg_lstsq")
    check_tensor(B, "b", "linalg_lstsq", 2)
    if A.dim() < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    if B.dim() < 1:
        raise RuntimeError(f"{fn}: other must have at least 1 dimension.")
    if A.dtype != B.dtype:
        raise RuntimeError(f"{fn}: Expected input and other to have the same dtype, but got "
                           f"input's dtype {_type_name(A.dtype)} and other's dtype "
                           f"{_type_name(B.dtype)}")
    if not (A.dim() >= B.dim() and A.dim() - B.dim() <= 1):
        raise RuntimeError(f"{fn}: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    if A.dtype.kind < 2 or A.dtype in (_dt.float16, _dt.bfloat16):
        raise RuntimeError("This function doesn't handle types other than float and double")
    vector = B.dim() == A.dim() - 1
    if (B.shape[-1] if vector else B.shape[-2]) != A.shape[-2]:
        which = "other.size(-1)" if vector else "other.size(-2)"
        raise RuntimeError(f"{fn}: input.size(-2) should match {which}")
    default = "gels" if A.device.type == "cuda" else "gelsy"
    driver = default if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError(f"{fn}: parameter `driver` should be one of "
                           f"({', '.join(_DRIVERS)})")
    if isinstance(rcond, Tensor):
        rcond = rcond.item()
    return linalg_lstsq(*LinalgLstsq.apply(A, B, rcond, driver, vector))
