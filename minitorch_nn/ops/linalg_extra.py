"""Extra linear algebra for parametrizations: triu/tril, matrix_exp, solve, QR pieces.

What `nn.utils.parametrizations` needs (orthogonal, weight_norm), each differentiable:

- `triu` / `tril` (and in place `triu_` / `tril_`): keep the upper / lower triangle of the
  last two dims; backward keeps the same triangle of the gradient.
- `matrix_exp(A)`: scaling and squaring with a degree-13 Padé approximant (Higham 2005),
  batched, computed in float64 (complex128) and cast back. Backward uses the block-matrix
  identity exp([[A^H, G], [0, A^H]]) = [[., L], [0, .]] where L is the gradient.
- `linalg_solve(A, B)` (`torch.linalg.solve`): X = A^-1 B; backward gB = A^-H gX,
  gA = -gB X^H.
- `householder_product(A, tau)` (`torch.linalg.householder_product`, alias `orgqr`): the
  product of Householder reflectors I - tau_i v_i v_i^H, built from differentiable ops.
- `geqrf(A)`: LAPACK's QR in compact form (no gradient, as in PyTorch).
- `norm_except_dim(v, pow, dim)` and `_weight_norm(v, g, dim)`: weight normalisation.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..tensor import Tensor, _wrap
from ._util import check_tensor, sum_to_shape, xp_of
from .inplace import apply_inplace
from .registry import method_of, op

# Declared in namespace "torch" (exported as minitorch_nn.<name>, as in torch): triu, tril,
# matrix_exp, orgqr, geqrf, norm_except_dim, _weight_norm. `linalg_solve` is torch.linalg.solve,
# declared in namespace "linalg" (there is no minitorch_nn.linalg yet), and
# `householder_product` is torch.linalg.householder_product, the same function as orgqr.


def _require_matrix(x: Tensor, fn: str, square: bool = False) -> None:
    """PyTorch's errors for inputs that are not (batches of square) matrices."""
    check_tensor(x, "input", fn)
    if x.dim() < 2:
        if square:
            raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
        raise RuntimeError(f"{fn}: input tensor must have at least 2 dimensions")
    n, k = x.shape[-2], x.shape[-1]
    if square and n != k:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are "
                           f"{n} by {k} matrices")


def _mH(a):
    """Conjugate transpose of the last two dims of a raw array."""
    return a.swapaxes(-1, -2).conj()


# ------------------------------------------------------------------ triu / tril
class Triu(ArrayFunction):
    @staticmethod
    def forward(ctx, x, diagonal=0):
        ctx.diagonal = diagonal
        return _wrap(xp_of(x._data).triu(x._data, diagonal))

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).triu(g, ctx.diagonal), None

    @staticmethod
    def grad_formula(ctx, g):
        return Triu.apply(g, ctx.diagonal), None


class Tril(ArrayFunction):
    @staticmethod
    def forward(ctx, x, diagonal=0):
        ctx.diagonal = diagonal
        return _wrap(xp_of(x._data).tril(x._data, diagonal))

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).tril(g, ctx.diagonal), None

    @staticmethod
    def grad_formula(ctx, g):
        return Tril.apply(g, ctx.diagonal), None


@op("triu", methods=("triu",))
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above `diagonal`) of the last two dims; the rest is 0."""
    _require_matrix(input, "triu")
    return Triu.apply(input, int(diagonal))


@op("tril", methods=("tril",))
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below `diagonal`) of the last two dims; the rest is 0."""
    _require_matrix(input, "tril")
    return Tril.apply(input, int(diagonal))


@method_of("triu", "triu_")
def triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    _require_matrix(self, "triu")
    return apply_inplace(self, triu, diagonal)


@method_of("tril", "tril_")
def tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    _require_matrix(self, "tril")
    return apply_inplace(self, tril, diagonal)


# ------------------------------------------------------------------ matrix exponential
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
           1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
           33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm(a):
    """exp of each matrix in the batch `a` (..., n, n): Padé(13) with scaling and squaring."""
    xp = xp_of(a)
    work = a.astype(xp.complex128 if a.dtype.kind == "c" else xp.float64)
    n = work.shape[-1]
    if work.size == 0:
        return work
    norm1 = xp.abs(work).sum(axis=-2).max(axis=-1)              # 1-norm of each matrix
    with np.errstate(divide="ignore"):
        s = xp.maximum(0, xp.ceil(xp.log2(norm1 / _THETA13)))
    s = xp.where(xp.isfinite(s), s, 0).astype(xp.int64)
    work = work / (2.0 ** s)[..., None, None]
    b = _PADE13
    ident = xp.broadcast_to(xp.eye(n, dtype=work.dtype), work.shape)
    a2 = work @ work
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = work @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
                + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 \
        + b[2] * a2 + b[0] * ident
    r = xp.linalg.solve(v - u, v + u)
    for step in range(int(s.max()) if s.size else 0):
        r = xp.where((s > step)[..., None, None], r @ r, r)
    return r


class LinalgMatrixExp(ArrayFunction):
    complex_grad_direct = True   # backward uses A^H itself

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _wrap(_expm(a._data).astype(a._data.dtype))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        xp = xp_of(g)
        ah = _mH(a._data)
        n = ah.shape[-1]
        block = xp.zeros(ah.shape[:-2] + (2 * n, 2 * n), dtype=xp.result_type(ah, g))
        block[..., :n, :n] = ah
        block[..., n:, n:] = ah
        block[..., :n, n:] = g
        return _expm(block)[..., :n, n:].astype(a._data.dtype)

    @staticmethod
    def grad_formula(ctx, g):
        """PyTorch's linalg_matrix_exp_differential: the same block matrix, built with
        constant selectors E1 = [I; 0], E2 = [0; I] and exponentiated by this op."""
        (a,) = ctx.saved_tensors
        xp = xp_of(a._data)
        n = a.shape[-1]
        dtype = np.result_type(a._data.dtype, g._data.dtype)
        e1 = _wrap(xp.eye(2 * n, n, dtype=dtype))
        e2 = _wrap(xp.eye(2 * n, n, -n, dtype=dtype))
        ah = a.mH
        block = e1 @ ah @ e1.mT + e2 @ ah @ e2.mT + e1 @ g @ e2.mT
        return (e1.mT @ LinalgMatrixExp.apply(block) @ e2).to(a.dtype)


@op("matrix_exp", methods=("matrix_exp",))
def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential of each square matrix in `A` (..., n, n)."""
    from ._linalg_common import require_float
    _require_matrix(A, "linalg.matrix_exp", square=True)
    require_float(A, "linalg.matrix_exp")
    return LinalgMatrixExp.apply(A)


# ------------------------------------------------------------------ solve
def _solve_arrays(a, b, vector: bool):
    """(A^-1 B, None), or (NaNs, LAPACK info) when a matrix of the batch is singular."""
    from ._linalg_common import all_finite, lapack_call, lu_info
    xp = xp_of(a)
    if not vector:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = xp.broadcast_to(a, batch + a.shape[-2:])
        b = xp.broadcast_to(b, batch + b.shape[-2:])
    rhs = b[..., None] if vector else b
    if a.size == 0 or rhs.size == 0:
        x = xp.zeros(np.broadcast_shapes(a.shape[:-1], rhs.shape[:-2] + (a.shape[-1],))
                     + rhs.shape[-1:], dtype=xp.result_type(a, b))
        return (x[..., 0] if vector else x), None
    x = lapack_call(xp.linalg.solve, a, rhs)
    if x is not None and all_finite(x):
        return (x[..., 0] if vector else x), None
    info = lu_info(a)
    if x is None:
        x = xp.full(np.broadcast_shapes(a.shape[:-1], rhs.shape[:-2] + (a.shape[-1],))
                    + rhs.shape[-1:], np.nan, dtype=xp.result_type(a, b))
    return (x[..., 0] if vector else x), info


def _t(a, left):
    return a if left else a.swapaxes(-1, -2)


class LinalgSolveEx(ArrayFunction):
    """(X, info) with A X = B (X A = B when not `left`); gB = A^-H gX, gA = -gB X^H."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, a, b, vector, left, fn, check):
        from ._linalg_common import info_tensor, lu_info, raise_info
        x, info = _solve_arrays(_t(a._data, left), _t(b._data, left), vector)
        if info is None:
            info = xp_of(x).zeros(a._data.shape[:-2], dtype=np.int32)
        else:
            info = lu_info(a._data)              # for A's own batch, as PyTorch
        if check:
            raise_info(info, fn, lambda code: "The solver failed because the input matrix "
                                              "is singular.")
        ctx.meta = (vector, left, x)
        out = _wrap(_t(x, left))
        ctx.save_for_backward(a, b, out)
        ctx.set_materialize_grads(False)
        return out, info_tensor(info, x)

    @staticmethod
    def backward(ctx, g, g_info):
        a, b, _ = ctx.saved_tensors
        vector, left, x = ctx.meta
        if g is None:
            return None, None, None, None, None, None
        gb, _ = _solve_arrays(_mH(_t(a._data, left)), _t(g, left), vector)
        if vector:
            ga = -gb[..., :, None] * x.conj()[..., None, :]
        else:
            ga = -(gb @ _mH(x))
        return (sum_to_shape(_t(ga, left), a._data.shape),
                sum_to_shape(_t(gb, left), b._data.shape), None, None, None, None)

    @staticmethod
    def grad_formula(ctx, g, g_info):
        """PyTorch's linalg_solve_backward in grad mode: gB = solve(A^H, gX) (left or right)
        as a recorded op, gA = -gB X^H (-X^H gB on the right)."""
        if g is None:
            return None, None, None, None, None, None
        a, b, x = ctx.saved_tensors
        vector, left = ctx.meta[:2]
        gb = LinalgSolveEx.apply(a.mH, g, vector, left, "linalg.solve", False)[0]
        ga = None
        if ctx.needs_input_grad[0]:
            if vector:
                ga = -(gb.unsqueeze(-1) * x.conj().unsqueeze(-2))
            else:
                ga = -(gb @ x.mH) if left else -(x.mH @ gb)
        return reduce_grad(ga, a), reduce_grad(gb, b), None, None, None, None


def solve_with_info(A: Tensor, B: Tensor, left: bool, fn: str, check: bool):
    """The checks and the call shared by `linalg.solve` and `linalg.solve_ex`."""
    from ._linalg_common import require_float, require_kernel_dtype
    _require_matrix(A, "linalg.solve", square=True)
    check_tensor(B, "B", "linalg_solve", 2)
    require_float(A, "linalg.solve")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {_dtype_name(A)} and B of type {_dtype_name(B)} instead")
    require_kernel_dtype(A, "lu_cpu")
    vector = left and (B.dim() == 1 or (B.dim() == A.dim() - 1
                                        and tuple(B.shape) == tuple(A.shape[:-1])))
    n = A.shape[-1]
    if B.dim() == 0 or (not vector and B.dim() < 2):
        raise RuntimeError("linalg.solve: The input tensor B must have at least 2 dimensions.")
    rows = B.shape[-1] if vector or not left else B.shape[-2]
    if rows != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{eq} ({A.shape[-2]}x{n} and "
                           f"{'x'.join(str(s) for s in B.shape[-2:])})")
    return LinalgSolveEx.apply(A, B, vector, bool(left), fn, check)


@op("solve", namespace="linalg")
def linalg_solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """`torch.linalg.solve`: X with A X = B (B a vector, a batch of vectors, or matrices);
    X A = B when not `left`. A singular matrix raises `torch.linalg.LinAlgError`."""
    return solve_with_info(A, B, left, "torch.linalg.solve", True)[0]


@op("matrix_exp", namespace="linalg")
def linalg_matrix_exp(A: Tensor) -> Tensor:
    """`torch.linalg.matrix_exp`: the same function as `torch.matrix_exp`."""
    return matrix_exp(A)


def _dtype_name(t: Tensor) -> str:
    return t.dtype._legacy[:-len("Tensor")]


# ------------------------------------------------------------------ QR pieces
@op("orgqr")   # torch.orgqr, PyTorch's alias of torch.linalg.householder_product
def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of H_1 H_2 ... H_k, H_i = I - tau_i v_i v_i^H (LAPACK's orgqr).

    v_i is column i of `A` (m, n) below the diagonal, with an implicit 1 on it. Built from
    differentiable ops (matmul, slicing), so gradients reach `A` and `tau`.
    """
    from .. import creation
    _require_matrix(A, "torch.linalg.householder_product")
    m, n = A.shape[-2], A.shape[-1]
    k = tau.shape[-1]
    if n > m:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater "
                           "than or equal to input.shape[-1]")
    if k > n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater "
                           "than or equal to tau.shape[-1]")
    eye_mn = creation.eye(m, n, dtype=A.dtype, device=A.device)
    V = tril(A, -1) + eye_mn
    Q = creation.eye(m, dtype=A.dtype, device=A.device)
    for i in reversed(range(k)):                     # Q = H_i Q, from the last reflector
        v = V[..., :, i:i + 1]
        t = tau[..., i:i + 1].unsqueeze(-1)
        Q = Q - (t * v) @ (v.mH @ Q)
    return Q[..., :, :n]


orgqr = householder_product


@op("householder_product", namespace="linalg")
def linalg_householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """`torch.linalg.householder_product`: the same function as `torch.orgqr`."""
    return householder_product(A, tau)


@op("geqrf")
def geqrf(input: Tensor) -> tuple[Tensor, Tensor]:
    """`(a, tau)`: the QR factorisation in LAPACK's compact form. Not differentiable."""
    _require_matrix(input, "geqrf")
    xp = xp_of(input._data)
    data = input._data
    batch = data.shape[:-2]
    m, n = data.shape[-2:]
    flat = data.reshape((-1, m, n))
    hs, taus = [], []
    for mat in flat:
        h, tau = xp.linalg.qr(mat, mode="raw")
        hs.append(h.T)
        taus.append(tau)
    a = xp.stack(hs).reshape(batch + (m, n)) if hs else xp.empty(data.shape, data.dtype)
    tau = xp.stack(taus).reshape(batch + (min(m, n),)) if taus else \
        xp.empty(batch + (min(m, n),), data.dtype)
    return _wrap(a.astype(data.dtype)), _wrap(tau.astype(data.dtype))


# ------------------------------------------------------------------ weight normalisation
@op("norm_except_dim")
def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The `pow`-norm of `v` over every dim but `dim` (kept, others size 1); dim=-1: all."""
    if dim == -1:
        return v.norm(pow)
    dims = [d for d in range(v.dim()) if d != dim]
    return v.norm(pow, dim=dims, keepdim=True)


@op("_weight_norm")
def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """`v * (g / ||v||)`, the norm taken over every dim but `dim` (weight normalisation)."""
    return v * (g / norm_except_dim(v, 2, dim))

