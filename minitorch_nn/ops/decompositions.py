"""Matrix decompositions: cholesky, qr, svd, eigh and eig (torch.linalg and the old
top-level names torch.cholesky, torch.qr, torch.svd).

Forwards call `xp.linalg` on the whole batch (LAPACK through numpy, cuSOLVER through CuPy).
Backwards are the standard formulas, as PyTorch's FunctionsManual.cpp writes them, in
PyTorch's complex convention (`complex_grad_direct`):
  * cholesky: gA = sym(L^-H phi(L^H gL) L^-1), phi = lower triangle with half diagonal;
  * qr (reduced, or complete with m <= n): gA = (gQ + Q copyltu(M)) R^-H, M = R gR^H - gQ^H Q,
    and for m < n the wide part via gY = Q gV;
  * svd (the reduced factors; full_matrices=True differentiates the first k columns):
    gA = U [skew(U^H gU) S + S skew(V^H gV)] / E V^H + U diag(gS) V^H + the parts outside
    the column spaces, E_jk = s_k^2 - s_j^2;
  * eigh: gA = V (skew(V^H gV) / 2E + diag(gL)) V^H, E_jk = l_k - l_j; eig: the general form,
    gA = V^-H (diag(gL) + (V^H gV - V^H V diag(Re(V^H gV))) / conj(E)) V^H.
Singular-vector and eigenvector gradients are only defined for gauge-invariant losses, as
PyTorch documents (eig checks it, as PyTorch). Each Function's `grad_formula` is the same
formula in recorded Tensor ops, for create_graph=True (double backward, any order).
"""
from __future__ import annotations

import numpy as np

from .._user_warning import warn_user
from .. import return_types
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from ._linalg_common import (LinAlgError, all_finite, cholesky_info,
                             hermitian_from, info_tensor, lapack_call, mH, not_pd_message,
                             raise_info, require_float, require_kernel_dtype, require_matrix)
from ._reduce_util import _type_name
from ._util import check_tensor, xp_of
from .linalg_extra import LinalgSolveEx
from .linalg_functions import LinalgSolveTriangular
from .registry import op

linalg_cholesky_ex = return_types.linalg_cholesky_ex
linalg_qr = return_types.linalg_qr
qr_type = return_types.qr
linalg_svd = return_types.linalg_svd
svd_type = return_types.svd
linalg_eigh = return_types.linalg_eigh
linalg_eig = return_types.linalg_eig


def _checked(A: Tensor, fn: str, kernel: str, square: bool = False) -> None:
    require_matrix(A, fn, square=square)
    require_float(A, fn)
    require_kernel_dtype(A, kernel)


def _eye_t(n: int, like: Tensor) -> Tensor:
    """A constant identity matrix with `like`'s dtype and device."""
    return _wrap(xp_of(like._data).eye(n, dtype=like._data.dtype))


def _inv_lower(low):
    """L^-1 for lower-triangular L (a batch)."""
    xp = xp_of(low)
    eye = xp.broadcast_to(xp.eye(low.shape[-1], dtype=low.dtype), low.shape)
    return xp.linalg.solve(low, eye)


# ============================================================================ cholesky
def _cholesky(a, upper: bool):
    """(factor, info) of the Hermitian matrices given by the lower (or upper) triangle."""
    xp = xp_of(a)
    h = hermitian_from(a, lower=not upper)
    zeros = xp.zeros(a.shape[:-2], dtype=np.int32)
    if a.size == 0:
        return a.copy(), zeros
    low = lapack_call(xp.linalg.cholesky, h)
    if low is not None and all_finite(low):
        return (mH(low) if upper else low), zeros
    info = cholesky_info(h)
    if low is None:
        low = xp.zeros_like(a)
        ok = info == 0
        if bool(ok.any()):
            low[ok] = xp.linalg.cholesky(h[ok])
    low = xp.ascontiguousarray(mH(low)) if upper else low
    return low, info


class LinalgCholeskyEx(ArrayFunction):
    """(L, info), A = L L^H; gA = sym(L^-H phi(L^H gL) L^-1)."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a, upper, fn, check):
        low, info = _cholesky(a._data, upper)
        if check:
            raise_info(info, fn, not_pd_message)
        ctx.meta = (low, upper)
        ctx.set_materialize_grads(False)
        out = _wrap(low)
        ctx.save_for_backward(out)
        return out, info_tensor(info, low)

    @staticmethod
    def backward(ctx, g, g_info):
        low, upper = ctx.meta
        if g is None:
            return None, None, None, None
        xp = xp_of(g)
        if upper:
            low, g = mH(low), mH(g)
        phi = xp.tril(mH(low) @ g)
        n = phi.shape[-1]
        phi = phi - 0.5 * phi * xp.eye(n, dtype=phi.dtype)
        linv = _inv_lower(low)
        ga = mH(linv) @ phi @ linv
        return 0.5 * (ga + mH(ga)), None, None, None

    @staticmethod
    def grad_formula(ctx, g, g_info):
        """PyTorch's cholesky_backward: L^-H Phi L^-1 with two triangular solves,
        Phi = (T + tril(T, -1)^H) / 2, T = tril(L^H gL)."""
        if g is None:
            return None, None, None, None
        (low,) = ctx.saved_tensors
        if ctx.meta[1]:
            low, g = low.mH, g.mH
        t = (low.mH @ g).tril()
        phi = 0.5 * (t + t.tril(-1).mH)
        ga = LinalgSolveTriangular.apply(low.mH, phi, True, True, False)
        return LinalgSolveTriangular.apply(low, ga, False, False, False), None, None, None


class Cholesky(LinalgCholeskyEx):
    """torch.cholesky: the same function, PyTorch's node CholeskyBackward0."""


def _cholesky_op(A, upper, fn, check, cls=LinalgCholeskyEx):
    _checked(A, fn, "cholesky_cpu", square=True)
    return cls.apply(A, bool(upper), fn, check)


@op("cholesky_ex", namespace="linalg")
def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False):
    """(L, info): `linalg.cholesky` that reports matrices that are not positive-definite in
    `info` (LAPACK's: the order of the failing leading minor)."""
    return linalg_cholesky_ex(*_cholesky_op(A, upper, "linalg.cholesky_ex",
                                            bool(check_errors)))


@op("cholesky", namespace="linalg")
def linalg_cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor L (A = L L^H; U = L^H when `upper`) of each Hermitian
    positive-definite matrix; only the lower (upper) triangle of A is read."""
    return _cholesky_op(A, upper, "linalg.cholesky", True)[0]


@op("cholesky", methods=("cholesky",))
def cholesky(input: Tensor, upper: bool = False) -> Tensor:
    """`torch.cholesky` (deprecated by PyTorch, with its warning): `linalg.cholesky`."""
    check_tensor(input, "input", "cholesky")
    warn_user("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
              "removed in a future PyTorch release.\nL = torch.cholesky(A)\nshould be "
              "replaced with\nL = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, "
              "upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\nThis "
              "transform will produce equivalent results for all valid (symmetric positive "
              "definite) inputs.", UserWarning)
    return _cholesky_op(input, upper, "linalg.cholesky", True, Cholesky)[0]


# ============================================================================ qr
def _qr_arrays(a, mode: str):
    xp = xp_of(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    if a.size == 0:
        qcols = m if mode == "complete" else k
        q = xp.broadcast_to(xp.eye(m, qcols, dtype=a.dtype), a.shape[:-2] + (m, qcols)).copy()
        r = xp.zeros(a.shape[:-2] + (qcols, n), dtype=a.dtype)
        return q, r
    q, r = xp.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
    return q, r


def _copyltu(m):
    """tril(M, -1) + tril(M, -1)^H + Re(diag M): the Hermitian matrix of M's lower part."""
    xp = xp_of(m)
    low = xp.tril(m, -1)
    diag = xp.diagonal(m, axis1=-2, axis2=-1).real.astype(m.dtype)
    return low + mH(low) + diag[..., None, :] * xp.eye(m.shape[-1], dtype=m.dtype)


def _qr_grad_tall(q, r, gq, gr):
    """m >= n: gA = (gQ + Q copyltu(R gR^H - gQ^H Q)) R^-H."""
    xp = xp_of(q)
    m = r @ mH(gr) - mH(gq) @ q
    b = gq + q @ _copyltu(m)
    # B R^-H = (R^-1 B^H)^H, R upper triangular
    return mH(xp.linalg.solve(r, mH(b)))


class LinalgQr(ArrayFunction):
    """(Q, R), A = Q R; see the module docstring for the gradient."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a, mode):
        q, r = _qr_arrays(a._data, mode)
        ctx.meta = (a._data, q, r, mode)
        if mode == "r":
            return _wrap(xp_of(r).zeros((0,), dtype=r.dtype)), _wrap(r)
        out = _wrap(q), _wrap(r)
        ctx.save_for_backward(*out)
        return out

    @staticmethod
    def backward(ctx, gq, gr):
        a, q, r, mode = ctx.meta
        m, n = a.shape[-2:]
        if mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not "
                               "computed when mode='r'. Please use linalg.qr(A, "
                               "mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        if mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        xp = xp_of(a)
        if m >= n:
            return _qr_grad_tall(q, r, gq, gr), None
        y = a[..., :, m:]
        u, gu, gv = r[..., :, :m], gr[..., :, :m], gr[..., :, m:]
        gx = _qr_grad_tall(q, u, gq + y @ mH(gv), gu)
        return xp.concatenate([gx, q @ gv], axis=-1), None

    @staticmethod
    def grad_formula(ctx, gq, gr):
        a, _, _, mode = ctx.meta
        m, n = a.shape[-2:]
        if mode == "r" or (mode == "complete" and m > n):
            LinalgQr.backward(ctx, None, None)          # raises PyTorch's error
        q, r = ctx.saved_tensors
        if m >= n:
            return _qr_grad_tall_t(q, r, gq, gr), None
        from .. import cat
        u, v, gu, gv = r[..., :, :m], r[..., :, m:], gr[..., :, :m], gr[..., :, m:]
        gx = _qr_grad_tall_t(q, u, gq + (q @ v) @ gv.mH, gu)
        return cat([gx, q @ gv], -1), None


def _copyltu_t(m: Tensor) -> Tensor:
    low = m.tril(-1)
    diag = m.diagonal(0, -2, -1)
    return low + low.mH + (diag.real.to(m.dtype) if m.is_complex() else diag).diag_embed()


def _qr_grad_tall_t(q: Tensor, r: Tensor, gq: Tensor, gr: Tensor) -> Tensor:
    """_qr_grad_tall with recorded ops; B R^-H as the triangular solve X R^H = B."""
    b = gq + q @ _copyltu_t(r @ gr.mH - gq.mH @ q)
    return LinalgSolveTriangular.apply(r.mH, b, False, False, False)


_QR_MODES = ("reduced", "complete", "r")


def _qr(A: Tensor, mode: str, result):
    _checked(A, "linalg.qr", "geqrf_cpu")
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    return result(*LinalgQr.apply(A, mode))


@op("qr", namespace="linalg")
def linalg_qr_fn(A: Tensor, mode: str = "reduced"):
    """(Q, R) with A = Q R, Q with orthonormal columns, R upper triangular; mode 'reduced'
    (k = min(m, n) columns), 'complete' (Q square) or 'r' (R only, Q empty)."""
    return _qr(A, mode, linalg_qr)


@op("qr", methods=("qr",))
def qr(input: Tensor, some: bool = True):
    """`torch.qr` (deprecated by PyTorch, with its warning): some=True is mode 'reduced'."""
    check_tensor(input, "input", "qr")
    warn_user("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in "
              "a future PyTorch release.\nThe boolean parameter 'some' has been replaced "
              "with a string parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be "
              "replaced with\nQ, R = torch.linalg.qr(A, 'reduced' if some else "
              "'complete')", UserWarning)
    return _qr(input, "reduced" if some else "complete", qr_type)


# ============================================================================ svd
def _svd_failed(a, fn: str):
    xp = xp_of(a)
    if not bool(xp.isfinite(a).all()):
        raise LinAlgError(f"{fn}: The algorithm failed to converge because the input matrix "
                          "contained non-finite values.")
    raise LinAlgError(f"{fn}: The algorithm failed to converge because the input matrix is "
                      "ill-conditioned or has too many repeated singular values.")


def _svd_arrays(a, full: bool, fn: str):
    xp = xp_of(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    real = a.real.dtype
    if a.size == 0:
        batch = a.shape[:-2]
        ucols, vrows = (m, n) if full else (k, k)
        u = xp.broadcast_to(xp.eye(m, ucols, dtype=a.dtype), batch + (m, ucols)).copy()
        vh = xp.broadcast_to(xp.eye(vrows, n, dtype=a.dtype), batch + (vrows, n)).copy()
        return u, xp.zeros(batch + (k,), dtype=real), vh
    out = lapack_call(lambda x: xp.linalg.svd(x, full_matrices=full), a)
    if out is None:
        _svd_failed(a, fn)
    u, s, vh = out
    return u, s.astype(real), vh


def _svd_grad(u, s, vh, gu, gs, gvh):
    """PyTorch's svd_backward for the reduced factors (gU, gS, gVh may be None)."""
    xp = xp_of(s)
    m, n = u.shape[-2], vh.shape[-1]
    if gu is None and gvh is None:
        return (u * gs.astype(u.dtype)[..., None, :]) @ vh
    both = gu is not None and gvh is not None
    gu = xp.zeros_like(u) if gu is None else gu
    gvh = xp.zeros_like(vh) if gvh is None else gvh
    sc = s.astype(u.dtype)
    s2 = s * s
    e = s2[..., None, :] - s2[..., :, None]
    k = s.shape[-1]
    e = xp.where(xp.eye(k, dtype=bool), 1, e).astype(u.dtype)
    uhgu = mH(u) @ gu
    vhgv = vh @ mH(gvh)
    skew_u = uhgu - mH(uhgu)
    skew_v = vhgv - mH(vhgv)
    inner = (skew_u * sc[..., None, :] + sc[..., :, None] * skew_v) / e
    if gs is not None:
        inner = inner + gs.astype(u.dtype)[..., None, :] * xp.eye(k, dtype=u.dtype)
    if u.dtype.kind == "c" and both:    # PyTorch: diag(skew(U^H gU)) / 2S = i Im(.) / S
        diag = xp.diagonal(uhgu, axis1=-2, axis2=-1)
        inner = inner + xp.eye(k, dtype=u.dtype) * (1j * diag.imag / s)[..., None, :]
    if m > n:
        gusinv = gu / sc[..., None, :]
        return (u @ inner + gusinv - u @ (mH(u) @ gusinv)) @ vh
    if m < n:
        sinvgvh = gvh / sc[..., :, None]
        return u @ (inner @ vh + sinvgvh - (sinvgvh @ mH(vh)) @ vh)
    return u @ inner @ vh


def _svd_grad_t(u: Tensor, s: Tensor, vh: Tensor, gu, gs, gvh) -> Tensor:
    """_svd_grad (PyTorch's svd_backward) with recorded ops: differentiable through the
    saved U, S, Vh and the incoming gradients."""
    m, n = u.shape[-2], vh.shape[-1]
    cplx = u.is_complex()
    sc = s.to(u.dtype) if cplx else s
    if gu is None and gvh is None:
        return (u * gs.to(u.dtype).unsqueeze(-2)) @ vh
    k = s.shape[-1]
    eye = _eye_t(k, s)
    s2 = s * s
    e = s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye      # ones on the diagonal
    uhgu = vhgv = None
    if gu is not None:
        raw = u.mH @ gu
        uhgu = raw - raw.mH
    if gvh is not None:
        vhgv = vh @ gvh.mH
        vhgv = vhgv - vhgv.mH
    if uhgu is not None and vhgv is not None:
        inner = (uhgu * sc.unsqueeze(-2) + sc.unsqueeze(-1) * vhgv) / e
    elif uhgu is not None:
        inner = uhgu * sc.unsqueeze(-2) / e
    else:
        inner = sc.unsqueeze(-1) * vhgv / e
    if gs is not None:
        inner = inner + gs.to(u.dtype).diag_embed()
    if cplx and uhgu is not None and vhgv is not None:
        inner = inner + (uhgu.diagonal(0, -2, -1) / (2 * sc)).diag_embed()
    if m > n and gu is not None:
        gusinv = gu / sc.unsqueeze(-2)
        return (u @ inner + gusinv - u @ (u.mH @ gusinv)) @ vh
    if m < n and gvh is not None:
        sinvgvh = gvh / sc.unsqueeze(-1)
        return u @ (inner @ vh + sinvgvh - (sinvgvh @ vh.mH) @ vh)
    return u @ (inner @ vh) if m >= n else (u @ inner) @ vh


class LinalgSvd(ArrayFunction):
    """(U, S, Vh), A = U diag(S) Vh; the gradient of the reduced factors (see above)."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a, full, fn):
        u, s, vh = _svd_arrays(a._data, full, fn)
        ctx.meta = (u, s, vh)
        ctx.set_materialize_grads(False)
        out = _wrap(u), _wrap(s), _wrap(vh)
        ctx.save_for_backward(*out)
        return out

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.meta
        k = s.shape[-1]
        u, vh = u[..., :, :k], vh[..., :k, :]
        gu = None if gu is None else gu[..., :, :k]
        gvh = None if gvh is None else gvh[..., :k, :]
        if gs is None and gu is None and gvh is None:
            return None, None, None
        return _svd_grad(u, s, vh, gu, gs, gvh), None, None

    @staticmethod
    def grad_formula(ctx, gu, gs, gvh):
        if gs is None and gu is None and gvh is None:
            return None, None, None
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        if u.shape[-1] != k:
            u, gu = u[..., :, :k], None if gu is None else gu[..., :, :k]
        if vh.shape[-2] != k:
            vh, gvh = vh[..., :k, :], None if gvh is None else gvh[..., :k, :]
        return _svd_grad_t(u, s, vh, gu, gs, gvh), None, None


class LinalgSvdvals(LinalgSvd):
    """The singular values alone; gA = U diag(gS) Vh. Named LinalgSvdBackward0 as PyTorch."""

    node_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, a, full, fn):
        u, s, vh = _svd_arrays(a._data, False, fn)
        ctx.meta = (u, s, vh)
        ctx.save_for_backward(a)
        return _wrap(s)

    @staticmethod
    def backward(ctx, gs):
        u, s, vh = ctx.meta
        return _svd_grad(u, s, vh, None, gs, None), None, None

    @staticmethod
    def grad_formula(ctx, gs):
        """U diag(gS) Vh with U, Vh from a recomputed, recorded SVD (PyTorch keeps them as
        outputs of the same node), so it is differentiable through them."""
        (a,) = ctx.saved_tensors
        u, s, vh = LinalgSvd.apply(a, False, "linalg.svd")
        return _svd_grad_t(u, s, vh, None, gs, None), None, None


@op("svd", namespace="linalg")
def linalg_svd_fn(A: Tensor, full_matrices: bool = True, *, driver=None):
    """(U, S, Vh) with A = U diag(S) Vh, S descending; `full_matrices` gives square U and
    Vh. `driver` (cuSOLVER's choice in PyTorch) is accepted and ignored."""
    _checked(A, "linalg.svd", "linalg_svd_cpu")
    return linalg_svd(*LinalgSvd.apply(A, bool(full_matrices), "linalg.svd"))


@op("svdvals", namespace="linalg")
def svdvals(A: Tensor, *, driver=None) -> Tensor:
    """The singular values of each matrix, descending (real, also for complex input)."""
    _checked(A, "linalg.svd", "linalg_svd_cpu")
    return LinalgSvdvals.apply(A, False, "linalg.svd")


@op("svd", methods=("svd",))
def svd(input: Tensor, some: bool = True, compute_uv: bool = True):
    """`torch.svd`: (U, S, V) with V, not Vh; compute_uv=False gives zero U and V."""
    check_tensor(input, "input", "svd")
    _checked(input, "linalg.svd", "linalg_svd_cpu")
    if not compute_uv:
        from .. import zeros
        m, n = input.shape[-2:]
        batch = tuple(input.shape[:-2])
        s = LinalgSvdvals.apply(input, False, "linalg.svd")
        return svd_type(zeros(batch + (m, m), dtype=input.dtype, device=input.device), s,
                        zeros(batch + (n, n), dtype=input.dtype, device=input.device))
    u, s, vh = LinalgSvd.apply(input, not some, "linalg.svd")
    return svd_type(u, s, vh.mH)


# ============================================================================ eigh
def _eigh_arrays(a, lower: bool, fn: str, vectors: bool = True):
    xp = xp_of(a)
    real = a.real.dtype
    if a.size == 0:
        w = xp.zeros(a.shape[:-1], dtype=real)
        return (w, a.copy()) if vectors else (w, None)
    h = hermitian_from(a, lower)
    out = lapack_call(xp.linalg.eigh if vectors else xp.linalg.eigvalsh, h)
    if out is None:
        raise LinAlgError(f"{fn}: The algorithm failed to converge because the input matrix "
                          "is ill-conditioned or has too many repeated eigenvalues.")
    if not vectors:
        return out.astype(real), None
    return out[0].astype(real), out[1]


def _eigh_grad(w, v, gw, gv):
    xp = xp_of(w)
    n = w.shape[-1]
    eye = xp.eye(n, dtype=v.dtype)
    inner = xp.zeros(v.shape, dtype=v.dtype)
    if gv is not None:
        vhgv = mH(v) @ gv
        skew = 0.5 * (vhgv - mH(vhgv))
        e = w[..., None, :] - w[..., :, None]
        e = xp.where(xp.eye(n, dtype=bool), 1, e).astype(v.dtype)
        inner = skew / e * (1 - eye)
    if gw is not None:
        inner = inner + gw.astype(v.dtype)[..., None, :] * eye
    return v @ inner @ mH(v)


def _eigh_grad_t(w: Tensor, v: Tensor, gw, gv) -> Tensor:
    """PyTorch's linalg_eig_backward (Hermitian) with recorded ops."""
    if gv is None:
        return (v * gw.to(v.dtype).unsqueeze(-2)) @ v.mH
    n = w.shape[-1]
    vhgv = v.mH @ gv
    e = w.unsqueeze(-2) - w.unsqueeze(-1) + _eye_t(n, w)  # ones on the diagonal
    inner = 0.5 * (vhgv - vhgv.mH) / e
    if gw is not None:
        eye = _eye_t(n, inner)
        inner = inner * (1 - eye) + gw.to(v.dtype).diag_embed()
    return v @ (inner @ v.mH)


class LinalgEigh(ArrayFunction):
    """(eigenvalues ascending, eigenvectors) of Hermitian matrices."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a, lower, fn):
        w, v = _eigh_arrays(a._data, lower, fn)
        ctx.meta = (w, v)
        ctx.set_materialize_grads(False)
        out = _wrap(w), _wrap(v)
        ctx.save_for_backward(*out)
        return out

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = ctx.meta
        if gw is None and gv is None:
            return None, None, None
        return _eigh_grad(w, v, gw, gv), None, None

    @staticmethod
    def grad_formula(ctx, gw, gv):
        if gw is None and gv is None:
            return None, None, None
        w, v = ctx.saved_tensors
        return _eigh_grad_t(w, v, gw, gv), None, None


class LinalgEigvalsh(LinalgEigh):
    """The eigenvalues alone; gA = V diag(gL) V^H. Named LinalgEighBackward0 as PyTorch."""

    node_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, a, lower, fn):
        w, v = _eigh_arrays(a._data, lower, fn, vectors=ctx.needs_input_grad[:1] == (True,))
        ctx.meta = (w, v)
        ctx.lower = lower
        ctx.save_for_backward(a)
        return _wrap(w)

    @staticmethod
    def backward(ctx, gw):
        w, v = ctx.meta
        return _eigh_grad(w, v, gw, None), None, None

    @staticmethod
    def grad_formula(ctx, gw):
        """V diag(gL) V^H with V from a recomputed, recorded eigh (differentiable)."""
        (a,) = ctx.saved_tensors
        w, v = LinalgEigh.apply(a, ctx.lower, "linalg.eigh")
        return _eigh_grad_t(w, v, gw, None), None, None


def _uplo(A: Tensor, UPLO) -> bool:
    require_matrix(A, "linalg.eigh", square=True)
    require_kernel_dtype(A, "linalg_eigh_cpu")
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U") or len(UPLO) != 1:
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper() == "L"


@op("eigh", namespace="linalg")
def eigh(A: Tensor, UPLO: str = "L"):
    """(eigenvalues, eigenvectors) of Hermitian matrices (eigenvalues ascending); only the
    lower ('L') or upper ('U') triangle of A is read."""
    lower = _uplo(A, UPLO)
    return linalg_eigh(*LinalgEigh.apply(A, lower, "linalg.eigh"))


@op("eigvalsh", namespace="linalg")
def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of Hermitian matrices, ascending (real)."""
    lower = _uplo(A, UPLO)
    return LinalgEigvalsh.apply(A, lower, "linalg.eigh")


# ============================================================================ eig
def _complex_of(np_dtype):
    return np.complex128 if np_dtype in (np.float64, np.complex128) else np.complex64


def _eig_arrays(a):
    """xp.linalg.eig in complex (numpy returns real arrays when every eigenvalue is real);
    a backend without eig (older CuPy) computes on the host."""
    xp = xp_of(a)
    cdt = _complex_of(a.dtype)
    if a.size == 0:
        return xp.zeros(a.shape[:-1], dtype=cdt), xp.zeros(a.shape, dtype=cdt)
    if not bool(xp.isfinite(a).all()):
        raise LinAlgError("linalg.eig: The algorithm failed to converge because the input "
                          "matrix contained non-finite values.")
    eig = getattr(xp.linalg, "eig", None)
    if eig is None:
        w, v = np.linalg.eig(a.get())
        return xp.asarray(w.astype(cdt)), xp.asarray(v.astype(cdt))
    w, v = eig(a)
    return w.astype(cdt), v.astype(cdt)


_GAUGE_MESSAGE = ("linalg_eig_backward: The eigenvectors in the complex case are specified up "
                  "to multiplication by e^{i phi}. The specified loss function depends on "
                  "this quantity, so it is ill-defined.")


def _check_gauge(vhgv_diag) -> None:
    """PyTorch's check that the loss does not depend on the phase of each eigenvector
    (V -> V e^{i phi} changes nothing iff Im(diag(V^H gV)) = 0). PyTorch's allclose(., 0,
    rtol=1e-2, atol=1e-2) is |Im| <= 1e-2, NaN failing; written out, it is cheaper."""
    xp = xp_of(vhgv_diag)
    if not bool((xp.abs(vhgv_diag.imag) <= 1e-2).all()):
        raise RuntimeError(_GAUGE_MESSAGE)


def _eig_grad(w, v, gw, gv):
    """PyTorch's linalg_eig_backward (general case) on arrays:
    gA = V^-H (diag(gL) + (V^H gV - V^H V diag(Re(V^H gV))) / conj(E)) V^H,
    E_jk = L_k - L_j; with gL the diagonal is gL, without it the (zero) projected one."""
    xp = xp_of(w)
    vh = mH(v)
    if gv is None:
        return xp.linalg.solve(vh, gw[..., :, None] * vh)
    vhgv = vh @ gv
    diag = xp.diagonal(vhgv, axis1=-2, axis2=-1)
    _check_gauge(diag)
    inner = vhgv - vh @ (v * diag.real[..., None, :])
    n = w.shape[-1]
    eye = xp.eye(n, dtype=bool)
    e = xp.where(eye, 1, w.conj()[..., None, :] - w.conj()[..., :, None])
    inner = inner / e
    if gw is not None:
        inner = xp.where(eye, gw[..., None, :], inner)
    return xp.linalg.solve(vh, inner @ vh)


def _eig_grad_t(w: Tensor, v: Tensor, gw, gv) -> Tensor:
    """_eig_grad with recorded ops, differentiable through L, V and the incoming gradients;
    V^-H X is the recorded solve V^H Y = X."""
    vh = v.mH
    if gv is None:
        return _solve_t(vh, gw.unsqueeze(-1) * vh)
    vhgv = vh @ gv
    diag = vhgv.diagonal(0, -2, -1)
    _check_gauge(diag._data)
    inner = vhgv - vh @ (v * diag.real.to(v.dtype).unsqueeze(-2))
    eye = _eye_t(w.shape[-1], v)
    wc = w.conj()
    inner = inner / (wc.unsqueeze(-2) - wc.unsqueeze(-1) + eye)   # ones on the diagonal
    if gw is not None:
        inner = inner * (1 - eye) + gw.diag_embed()
    return _solve_t(vh, inner @ vh)


def _solve_t(a: Tensor, b: Tensor) -> Tensor:
    """A^-1 B as a recorded linalg.solve (its own double backward is recorded too)."""
    return LinalgSolveEx.apply(a, b, False, True, "linalg.solve", False)[0]


def _as_input(ga, in_dtype):
    """A real input's gradient is the real part (PyTorch's handle_r_to_c): arrays or Tensors."""
    if np.dtype(in_dtype).kind == "c":
        return ga
    return ga.real if isinstance(ga, Tensor) else ga.real.astype(in_dtype)


class LinalgEig(ArrayFunction):
    """(eigenvalues, eigenvectors), complex; PyTorch's linalg_eig_backward (see _eig_grad).
    Its double backward is the same formula in recorded ops; a real input's gradient is its
    real part, at every order."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a):
        w, v = _eig_arrays(a._data)
        ctx.meta = (w, v, a._data.dtype)
        ctx.set_materialize_grads(False)
        out = _wrap(w), _wrap(v)
        ctx.save_for_backward(*out)
        return out

    @staticmethod
    def backward(ctx, gw, gv):
        w, v, in_dtype = ctx.meta
        if gw is None and gv is None:
            return (None,)
        return (_as_input(_eig_grad(w, v, gw, gv), in_dtype),)

    @staticmethod
    def grad_formula(ctx, gw, gv):
        if gw is None and gv is None:
            return (None,)
        w, v = ctx.saved_tensors
        return (_as_input(_eig_grad_t(w, v, gw, gv), ctx.meta[2]),)


class LinalgEigvals(LinalgEig):
    """The eigenvalues alone; gA = V^-H diag(gL) V^H. Named LinalgEigBackward0 as PyTorch."""

    node_name = "LinalgEigBackward0"

    @staticmethod
    def forward(ctx, a):
        w, v = _eig_arrays(a._data)
        ctx.meta = (w, v, a._data.dtype)
        ctx.save_for_backward(a)
        return _wrap(w)

    @staticmethod
    def backward(ctx, gw):
        return LinalgEig.backward(ctx, gw, None)

    @staticmethod
    def grad_formula(ctx, gw):
        """V^-H diag(gL) V^H with V from a recomputed, recorded eig (PyTorch keeps V as an
        output of the same node), so it is differentiable through V and L."""
        (a,) = ctx.saved_tensors
        w, v = LinalgEig.apply(a)
        return (_as_input(_eig_grad_t(w, v, gw, None), ctx.meta[2]),)


def _check_eig(A: Tensor) -> None:
    require_matrix(A, "linalg.eig", square=True)
    if A.dtype.kind < 2:
        raise RuntimeError(f"Unknown Complex ScalarType for {_type_name(A.dtype)}")
    require_kernel_dtype(A, "linalg_eig_out_cpu")


@op("eig", namespace="linalg")
def eig(A: Tensor):
    """(eigenvalues, eigenvectors) of general square matrices, always complex; eigenvectors
    have unit norm (LAPACK's geev convention)."""
    _check_eig(A)
    return linalg_eig(*LinalgEig.apply(A))


@op("eigvals", namespace="linalg")
def eigvals(A: Tensor) -> Tensor:
    """The eigenvalues of general square matrices (complex)."""
    _check_eig(A)
    return LinalgEigvals.apply(A)

