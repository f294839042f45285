"""Matrix products: matmul, mm, bmm, mv, dot, vdot, outer, addmm and baddbmm, differentiable.

Every product goes to BLAS through the backend's `xp.matmul` (numpy on the CPU, cupy on the
GPU; the array helpers are in `ops/linalg.py`): no Python loop over batch elements.
PyTorch's rules are kept:

- operands must share one dtype (no promotion, but `outer` promotes) and one device; integer
  products work, bool ones raise NotImplementedError as PyTorch's CPU kernels do;
- `matmul` broadcasts batch dims, `bmm` does not; a gradient is summed back over the batch
  dims its input was broadcast along.

Error messages copy PyTorch's, which depend on the path its `matmul` takes (dot, mv, mm or
bmm); the paths are chosen here as PyTorch chooses them for contiguous inputs.
"""
from __future__ import annotations

from math import prod

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import sum_to
from ..tensor import Tensor, _inference, _wrap
from ._util import check_tensor, grad_cast, sum_to_shape, xp_of
from .broadcast_error import broadcast_error
from .inplace import apply_inplace
from .linalg import (_adjoint, _conj, _conj_scalar, _grad_right, _is_transposed, _matmul,
                     _product_grads, _same_device, _scalar_name, _tensordot)
from .registry import lookup, method_of, op
from .saved_factors import save_factors, saved_factor_tensors, saved_factors


# ------------------------------------------------------------------ names in messages
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


def _cpp_name(x: Tensor) -> str:
    """The C++ scalar type name PyTorch prints in some dtype errors ("float", "long int")."""
    return _CPP_NAMES[x.dtype.name]


def _refuse_bool(kernel: str, x: Tensor) -> None:
    if x._data.dtype.kind == "b":
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _shape_str(shape) -> str:
    return "x".join(str(s) for s in shape)


# ------------------------------------------------------------------ argument checks
def _check_dot(a: Tensor, b: Tensor) -> None:
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a._data.ndim}D and "
                           f"{b._data.ndim}D tensors")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_scalar_name(a)} and {_scalar_name(b)}")
    n, m = a._data.shape[0], b._data.shape[0]
    if n != m:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                           f"have the same number of elements, but got {n} and {m} elements "
                           "respectively")
    _refuse_bool("dot", a)


def _check_mv_arrays(mat: Tensor, vec: Tensor, rows: int) -> None:
    """The size/dtype checks of PyTorch's addmv; `rows` is the (possibly folded) row count."""
    k, n = mat._data.shape[-1], vec._data.shape[0]
    if k != n:
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({n})")
    if mat._data.dtype != vec._data.dtype:
        v, m = _scalar_name(vec), _scalar_name(mat)
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {v}, {m}, "
                           f"and {v}")
    _refuse_bool("addmv_impl_cpu", mat)


def _check_mm_arrays(a: Tensor, b: Tensor, a_shape) -> None:
    """The shape/dtype checks of PyTorch's mm; `a_shape` is a's (possibly folded) shape."""
    b_shape = b._data.shape
    if a_shape[1] != b_shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({_shape_str(a_shape)} and {_shape_str(b_shape)})")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_cpp_name(a)} != {_cpp_name(b)}")
    _refuse_bool("addmm_impl_cpu_", a)


def _check_bmm_arrays(a: Tensor, b: Tensor, batch: int, k1: int, k2: int) -> None:
    if k1 != k2:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch}, {k1}] but got: [{batch}, {k2}].")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(a)} but found "
                           f"{_scalar_name(b)}")
    _refuse_bool("bmm", a)


def _check_bmm(a: Tensor, b: Tensor) -> None:
    if a._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    (n, _, k1), (nb, k2, _) = a._data.shape, b._data.shape
    if nb != n:   # PyTorch reports the batch and inner sizes together
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, {k1}] but got: [{nb}, {k2}].")
    _check_bmm_arrays(a, b, n, k1, k2)


def _broadcast_batch(sa: tuple, sb: tuple) -> tuple:
    """The broadcast of two batch shapes, with PyTorch's error for incompatible ones."""
    ndim = max(len(sa), len(sb))
    pa = (1,) * (ndim - len(sa)) + sa
    pb = (1,) * (ndim - len(sb)) + sb
    out = []
    for d, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise broadcast_error(sa, sb, d)
        out.append(y if x == 1 else x)
    return tuple(out)


def _check_matmul(a: Tensor, b: Tensor) -> None:
    """PyTorch's matmul checks, in the order and wording of the path it would take."""
    da, db = a._data.ndim, b._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{da}D and {db}D")
    _same_device(a, b)
    if da == 1 and db == 1:
        _check_dot(a, b)
    elif da == 2 and db == 1:
        _check_mv_arrays(a, b, a._data.shape[0])
    elif da <= 2 and db == 2:
        _check_mm_arrays(a, b, a._data.shape if da == 2 else (1, a._data.shape[0]))
    elif db <= 2:   # da >= 3: PyTorch folds a's batch dims into the rows of one mm / mv
        rows = prod(a._data.shape[:-1])
        if db == 1:
            _check_mv_arrays(a, b, rows)
        else:
            _check_mm_arrays(a, b, (rows, a._data.shape[-1]))
    else:
        batch = _broadcast_batch(a._data.shape[:-2], b._data.shape[:-2])
        _check_bmm_arrays(a, b, prod(batch), a._data.shape[-1], b._data.shape[-2])


def _check_expand(shape: tuple, target: tuple, x: Tensor) -> None:
    """`x` (of `shape`) must broadcast to `target`, as PyTorch's expand requires."""
    if len(shape) > len(target):
        raise RuntimeError(f"expand(torch.{x.dtype._legacy}{{{list(shape)}}}, "
                           f"size={list(target)}): the number of sizes provided "
                           f"({len(target)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(shape)})")
    lead = len(target) - len(shape)
    for d, s in enumerate(shape):
        if s != 1 and s != target[lead + d]:
            raise RuntimeError(f"The expanded size of the tensor ({target[lead + d]}) must "
                               f"match the existing size ({s}) at non-singleton dimension "
                               f"{lead + d}.  Target sizes: {list(target)}.  Tensor sizes: "
                               f"{list(shape)}")


# ------------------------------------------------------------------ products
class Dot(ArrayFunction):
    """x . y for two vectors; gradients g * y and g * x (conjugated for complex)."""

    complex_grad_direct = True   # backward conjugates itself (g @ B^H)

    @staticmethod
    def forward(ctx, a, b):
        save_factors(ctx, a, b, 0, 1)
        return _wrap(_matmul(a._data, b._data))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * _conj(b._data) if ctx.needs_input_grad[0] else None
        gb = g * _conj(a._data) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * _cj(b) if ctx.needs_input_grad[0] else None
        gb = g * _cj(a) if ctx.needs_input_grad[1] else None
        return ga, gb


class Vdot(ArrayFunction):
    """conj(x) . y: the first vector is conjugated (the same as dot for real vectors)."""

    complex_grad_direct = True   # backward conjugates itself (g @ B^H)

    @staticmethod
    def forward(ctx, a, b):
        save_factors(ctx, a, b, 0, 1)
        return _wrap(_matmul(_conj(a._data), b._data))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = _conj(g) * b._data if ctx.needs_input_grad[0] else None
        gb = g * a._data if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        a, b = ctx.saved_tensors
        ga = _cj(g) * b if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb


class Mv(ArrayFunction):
    """A (n, k) @ x (k,); gradients outer(g, x) and A^H @ g."""

    complex_grad_direct = True   # backward conjugates itself (g @ B^H)

    @staticmethod
    def forward(ctx, mat, vec):
        save_factors(ctx, mat, vec, 0, 1)
        return _wrap(_matmul(mat._data, vec._data))

    @staticmethod
    def backward(ctx, g):
        mat, vec = ctx.saved_tensors
        gm = g[:, None] * _conj(vec._data)[None, :] if ctx.needs_input_grad[0] else None
        gv = _matmul(_adjoint(mat._data), g) if ctx.needs_input_grad[1] else None
        return gm, gv

    @staticmethod
    def grad_formula(ctx, g):
        mat, vec = ctx.saved_tensors
        gm = g.unsqueeze(1) * _cj(vec).unsqueeze(0) if ctx.needs_input_grad[0] else None
        gv = mv(_adj(mat), g) if ctx.needs_input_grad[1] else None
        return gm, gv


class Mm(ArrayFunction):
    """A (n, k) @ B (k, m); gradients g @ B^H and A^H @ g."""

    complex_grad_direct = True   # backward conjugates itself (g @ B^H)

    @staticmethod
    def forward(ctx, a, b):
        save_factors(ctx, a, b, 0, 1)
        return _wrap(_matmul(a._data, b._data))

    @staticmethod
    def backward(ctx, g):
        x, y = saved_factors(ctx)
        return _product_grads((False,) + ctx.needs_input_grad, x, y, g)

    @staticmethod
    def grad_formula(ctx, g):
        a, b = ctx.saved_tensors
        ga = mm(g, _adj(b)) if ctx.needs_input_grad[0] else None
        gb = mm(_adj(a), g) if ctx.needs_input_grad[1] else None
        return ga, gb


class Bmm(ArrayFunction):
    """Batches of matrices of equal batch size (no broadcasting): one batched BLAS call."""

    complex_grad_direct = True   # backward conjugates itself (g @ B^H)

    @staticmethod
    def forward(ctx, a, b):
        save_factors(ctx, a, b, 0, 1)
        return _wrap(_matmul(a._data, b._data))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = _matmul(g, _adjoint(b._data)) if ctx.needs_input_grad[0] else None
        gb = _matmul(_adjoint(a._data), g) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        a, b = ctx.saved_tensors
        ga = bmm(g, _adj(b)) if ctx.needs_input_grad[0] else None
        gb = bmm(_adj(a), g) if ctx.needs_input_grad[1] else None
        return ga, gb


class Matmul(ArrayFunction):
    """The general `matmul`: 1-D operands promoted, batch dims broadcast.

    Backward works on the promoted (>= 2-D) forms: a 1-D `a` is a (1, k) row and a 1-D `b` a
    (k, 1) column, so the gradient gets the matching unit dims back. Each input's gradient
    is summed over the batch dims that input was broadcast along. When one operand is a
    plain matrix (the `x @ W` of a linear layer), its gradient is one `tensordot` that
    contracts the batch dims inside BLAS instead of building a batch of products to sum.
    """

    complex_grad_direct = True   # backward conjugates itself (g @ B^H)

    @staticmethod
    def forward(ctx, a, b):
        save_factors(ctx, a, b, 0, 1)
        return _wrap(_matmul(a._data, b._data))

    @staticmethod
    def backward(ctx, g):
        x, y = saved_factors(ctx)   # only the one the other's gradient needs is an array
        if x.ndim == 1:
            g = xp_of(g).expand_dims(g, -2)
        if y.ndim == 1:
            g = xp_of(g).expand_dims(g, -1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            y2 = y[:, None] if y.ndim == 1 else y
            ga = _matmul_grad_a(g, _promoted_shape(x, 0), y2).reshape(x.shape)
        if ctx.needs_input_grad[1]:
            x2 = x[None, :] if x.ndim == 1 else x
            gb = _matmul_grad_b(g, x2, _promoted_shape(y, 1), _is_transposed(y)).reshape(y.shape)
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        """The same on the promoted forms, with Tensor ops (matmul, sum_to, reshape)."""
        a, b = saved_factor_tensors(ctx)
        if a.ndim == 1:
            g = g.unsqueeze(-2)
        if b.ndim == 1:
            g = g.unsqueeze(-1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            y2 = b.unsqueeze(-1) if b.ndim == 1 else b
            ga = sum_to(matmul(g, _adj(y2)), _promoted_shape(a, 0)).reshape(tuple(a.shape))
        if ctx.needs_input_grad[1]:
            x2 = a.unsqueeze(0) if a.ndim == 1 else a
            gb = sum_to(matmul(_adj(x2), g), _promoted_shape(b, 1)).reshape(tuple(b.shape))
        return ga, gb


def _promoted_shape(factor, side: int) -> tuple:
    """The shape matmul works with: a 1-D left factor (side 0) as a (1, k) row, a 1-D right
    factor (side 1) as a (k, 1) column; `factor` is an array, a Tensor or a FactorLayout."""
    shape = tuple(factor.shape)
    if len(shape) != 1:
        return shape
    return (1,) + shape if side == 0 else shape + (1,)


def _matmul_grad_a(g, x2_shape, y2):
    """d(x2 @ y2)/d(x2) applied to g (all at least 2-D; x2 given by its shape)."""
    nb = g.ndim - 2
    if len(x2_shape) == 2 and nb > 0:   # y2 carries all batch dims: contract them with BLAS
        axes = list(range(nb)) + [nb + 1]
        return _tensordot(g, _conj(y2), (axes, axes))
    return sum_to_shape(_matmul(g, _adjoint(y2)), x2_shape)


def _matmul_grad_b(g, x2, y2_shape, transposed):
    """d(x2 @ y2)/d(y2) applied to g (all at least 2-D; y2 given by its shape); in y2's
    layout when y2 is a `transposed` matrix (`x @ weight.t()`: see `_product_grads`)."""
    nb = g.ndim - 2
    if len(y2_shape) == 2 and nb > 0:   # x2 carries all batch dims
        axes = list(range(nb + 1))
        if transposed:
            return _adjoint(_tensordot(_conj(g), x2, (axes, axes)))
        return _tensordot(_conj(x2), g, (axes, axes))
    if x2.ndim == 2 and len(y2_shape) == 2:
        return _grad_right(x2, g) if transposed else _matmul(_adjoint(x2), g)
    return sum_to_shape(_matmul(_adjoint(x2), g), y2_shape)


class Addmm(ArrayFunction):
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""

    complex_grad_direct = True   # backward conjugates itself (g @ B^H)

    @staticmethod
    def forward(ctx, inp, m1, m2, beta=1, alpha=1):
        save_factors(ctx, m1, m2, 1, 2)
        ctx.meta = (inp._data.shape, beta, alpha)
        return _wrap(_scaled_product(inp._data, m1._data, m2._data, beta, alpha))

    @staticmethod
    def backward(ctx, g):
        x, y = saved_factors(ctx)
        shape, beta, alpha = ctx.meta
        gi = _scaled_grad(g, beta, shape) if ctx.needs_input_grad[0] else None
        if _is_2d(x, y):
            ga, gb = _product_grads(ctx.needs_input_grad, x, y, g, alpha)
            return gi, ga, gb, None, None
        ga = gb = None   # baddbmm's batches
        if ctx.needs_input_grad[1]:
            ga = _matmul(g, _adjoint(y)) * _conj_scalar(alpha)
        if ctx.needs_input_grad[2]:
            gb = _matmul(_adjoint(x), g) * _conj_scalar(alpha)
        return gi, ga, gb, None, None

    @staticmethod
    def grad_formula(ctx, g):
        """Also baddbmm's: matmul covers the 2-D and the batched products."""
        m1, m2 = ctx.saved_tensors
        shape, beta, alpha = ctx.meta
        needs = ctx.needs_input_grad
        gi = ga = gb = None
        if needs[0]:
            gi = sum_to(g if beta == 1 else g * _conj_scalar(beta), tuple(shape))
        if needs[1]:
            ga = matmul(g, _adj(m2))
            ga = ga if alpha == 1 else ga * _conj_scalar(alpha)
        if needs[2]:
            gb = matmul(_adj(m1), g)
            gb = gb if alpha == 1 else gb * _conj_scalar(alpha)
        return gi, ga, gb, None, None


class Baddbmm(ArrayFunction):
    """beta * input + alpha * (batch1 @ batch2) for batches of equal size."""

    complex_grad_direct = True   # backward conjugates itself (g @ B^H)

    @staticmethod
    def forward(ctx, inp, b1, b2, beta=1, alpha=1):
        save_factors(ctx, b1, b2, 1, 2)
        ctx.meta = (inp._data.shape, beta, alpha)
        return _wrap(_scaled_product(inp._data, b1._data, b2._data, beta, alpha))

    backward = staticmethod(Addmm.backward)
    grad_formula = staticmethod(Addmm.grad_formula)


def _cj(t: Tensor) -> Tensor:
    """The conjugate of a complex Tensor (recorded); a real one as it is."""
    return t.conj() if t.is_complex() else t


def _adj(t: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims, as recorded Tensor ops."""
    return _cj(t.transpose(-2, -1))


def _as_dtype(t: Tensor, dtype) -> Tensor:
    return t if t.dtype == dtype else t.to(dtype)


def _is_2d(a, b) -> bool:
    return a.ndim == 2 and b.ndim == 2


def _scaled_product(inp, x, y, beta, alpha):
    """beta * inp + alpha * (x @ y). float16 and bfloat16 are computed in float32 and
    rounded once to the half type at the end, as PyTorch's CPU gemm does: it takes alpha and
    beta in float32, scales the float32 product by alpha and adds beta * inp with one fused
    multiply-add (emulated exactly here: beta * inp is exact in float64, and the sum is
    rounded to float32 before the half type). Rounding the product to the half type before
    scaling and adding would round twice (off by up to 0.06 with large alpha and beta)."""
    if not (x.dtype.itemsize == 2 and x.dtype.kind in "fV"):   # not float16/bfloat16
        return _scaled_sum(inp, _matmul(x, y), beta, alpha)
    wide = _dt.float32.np
    out = _matmul(x.astype(wide), y.astype(wide))
    if alpha != 1:
        out *= wide.type(alpha)
    if beta == 1:
        out += inp
    elif beta != 0:
        out = (inp.astype(_dt.float64.np) * beta + out).astype(wide)
    return out.astype(x.dtype)


def _scaled_sum(inp, product, beta, alpha):
    """beta * inp + alpha * product in the product's dtype; beta == 0 ignores inp (NaN too).

    `product` is a fresh array of ours, so the bias is added into it in place when the
    dtypes allow (no second output array: the forward of a Linear layer is one product and
    one pass over its output).
    """
    out = product if alpha == 1 else product * alpha
    if beta != 0:
        addend = inp if beta == 1 else inp * beta
        if addend.dtype == out.dtype and getattr(out.flags, "writeable", True):
            out += addend
        else:
            out = out + addend
    return out.astype(product.dtype, copy=False)


def _scaled_grad(g, beta, shape):
    out = g if beta == 1 else g * _conj_scalar(beta)
    return sum_to_shape(out.astype(g.dtype, copy=False), shape)


class Outer(ArrayFunction):
    """x (n,) outer y (m,) -> (n, m), with PyTorch's type promotion."""

    complex_grad_direct = True   # backward conjugates itself (g @ B^H)

    @staticmethod
    def forward(ctx, a, b):
        res = _dt.result_type(a, b).np
        x, y = a._data.astype(res, copy=False), b._data.astype(res, copy=False)
        save_factors(ctx, a, b, 0, 1)
        return _wrap(x[:, None] * y[None, :])

    @staticmethod
    def backward(ctx, g):
        x, y = saved_factors(ctx)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = grad_cast(_matmul(g, _conj(y.astype(g.dtype, copy=False))), x)
        if ctx.needs_input_grad[1]:
            gb = grad_cast(_matmul(g.T, _conj(x.astype(g.dtype, copy=False))), y)
        return ga, gb

    @staticmethod
    def grad_formula(ctx, g):
        a, b = saved_factor_tensors(ctx)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = _as_dtype(mv(g, _cj(_as_dtype(b, g.dtype))), _tensor_dtype(a))
        if ctx.needs_input_grad[1]:
            gb = _as_dtype(mv(g.transpose(0, 1), _cj(_as_dtype(a, g.dtype))), _tensor_dtype(b))
        return ga, gb


def _tensor_dtype(factor):
    """The dtype of a saved factor (a Tensor) or of an unsaved one (its FactorLayout)."""
    return factor.dtype if isinstance(factor, Tensor) else _dt.from_numpy_dtype(factor.dtype)


# ------------------------------------------------------------------ declarations
@op("matmul", methods=("matmul",))
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics: 1-D promotion, broadcast batch dims.

        >>> import minitorch_nn as torch
        >>> torch.matmul(torch.ones(7, 1, 3, 4), torch.ones(5, 4, 2)).shape
        torch.Size([7, 5, 3, 2])
    """
    check_tensor(input, "input", "matmul")
    check_tensor(other, "other", "matmul", 2)
    _check_matmul(input, other)
    if input._is_inference or other._is_inference:
        input, other = _as_pytorch_views(input, other)
    da, db = input._data.ndim, other._data.ndim
    if da == 2 and db == 2:
        return Mm.apply(input, other)
    if da == 1 and db == 1:
        return Dot.apply(input, other)
    if da == 2 and db == 1:
        return Mv.apply(input, other)
    return Matmul.apply(input, other)


def _as_pytorch_views(input: Tensor, other: Tensor) -> tuple:
    """The operands as PyTorch's matmul sees them when one is an inference tensor.

    PyTorch's matmul reshapes or expands some operands (by their dims) before its dot, mv,
    mm or bmm; outside inference mode such a view of an inference tensor records nothing
    (autograd/function.py `_below_autograd`), so that operand gets no gradient. The table
    below is PyTorch 2.13's: the left operand is viewed unless the product is 1-D @ 1-D/3-D+,
    2-D @ 1-D/2-D; the right one when it has 3 or more dims.
    """
    if _inference.on:
        return input, other
    da, db = input._data.ndim, other._data.ndim
    left_viewed = (da == 1 and db == 2) or (da == 2 and db >= 3) or da >= 3
    if left_viewed and input._is_inference and input._requires_grad:
        input = input.detach()
    if db >= 3 and other._is_inference and other._requires_grad:
        other = other.detach()
    return input, other


@op("mm", methods=("mm",))
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The product of two matrices (both 2-D, same dtype; no broadcasting)."""
    check_tensor(input, "input", "mm")
    check_tensor(mat2, "mat2", "mm", 2)
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _same_device(input, mat2)
    _check_mm_arrays(input, mat2, input._data.shape)
    return Mm.apply(input, mat2)


@op("bmm", methods=("bmm",))
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product: (b, n, k) @ (b, k, m) -> (b, n, m); no broadcasting.

        >>> import minitorch_nn as torch
        >>> torch.bmm(torch.rand((10, 2, 5)), torch.rand((10, 5, 2))).shape
        torch.Size([10, 2, 2])
    """
    check_tensor(input, "input", "bmm")
    check_tensor(mat2, "mat2", "bmm", 2)
    _check_bmm(input, mat2)
    _same_device(input, mat2)
    return Bmm.apply(input, mat2)


@op("mv", methods=("mv",))
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix (n, k) times vector (k,) -> (n,)."""
    check_tensor(input, "input", "mv")
    check_tensor(vec, "vec", "mv", 2)
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, "
                           f"{vec._data.ndim}")
    _same_device(input, vec)
    _check_mv_arrays(input, vec, input._data.shape[0])
    return Mv.apply(input, vec)


@op("dot", methods=("dot",))
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """The inner product of two 1-D tensors of the same size and dtype (a 0-d tensor)."""
    check_tensor(input, "input", "dot")
    check_tensor(tensor, "tensor", "dot", 2)
    _same_device(input, tensor)
    _check_dot(input, tensor)
    return Dot.apply(input, tensor)


@op("vdot", methods=("vdot",))
def vdot(input: Tensor, other: Tensor) -> Tensor:
    """conj(input) . other for 1-D tensors (equal to `dot` for real tensors)."""
    check_tensor(input, "input", "vdot")
    check_tensor(other, "other", "vdot", 2)
    _same_device(input, other)
    _check_dot(input, other)
    return Vdot.apply(input, other)


@op("outer", aliases=("ger",), methods=("outer", "ger"))
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two 1-D tensors: (n,), (m,) -> (n, m); dtypes are promoted."""
    check_tensor(input, "input", "outer")
    check_tensor(vec2, "vec2", "outer", 2)
    for name, x in (("self", input), ("vec2", vec2)):
        if x._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got "
                               f"{x._data.ndim}-D")
    _same_device(input, vec2)
    if input._is_inference and input._requires_grad and not _inference.on:
        input = input.detach()   # PyTorch's outer is input.reshape(n, 1) * vec2: see matmul
    return Outer.apply(input, vec2)


@op("addmm", methods=("addmm",))
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2); `input` broadcasts to the product's shape."""
    for pos, (name, x) in enumerate((("input", input), ("mat1", mat1), ("mat2", mat2)), 1):
        check_tensor(x, name, "addmm", pos)
    for name, x in (("mat1", mat1), ("mat2", mat2)):
        if x._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {x._data.ndim}-D tensor")
    _same_device(mat1, mat2)
    _same_device(input, mat1)
    (n, k1), (k2, m) = mat1._data.shape, mat2._data.shape
    if k1 != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k1} and "
                           f"{k2}x{m})")
    _check_scaled_dtypes(input, mat1, mat2, "addmm_impl_cpu_")
    _check_expand(input._data.shape, (n, m), input)
    return Addmm.apply(input, mat1, mat2, beta, alpha)


@op("baddbmm", methods=("baddbmm",))
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2); `input` broadcasts to (b, n, m)."""
    for pos, (name, x) in enumerate((("input", input), ("batch1", batch1),
                                     ("batch2", batch2)), 1):
        check_tensor(x, name, "baddbmm", pos)
    _check_bmm(batch1, batch2)
    _same_device(batch1, batch2)
    _same_device(input, batch1)
    _check_scaled_dtypes(input, batch1, batch2, "bmm")
    b, n, _ = batch1._data.shape
    _check_expand(input._data.shape, (b, n, batch2._data.shape[2]), input)
    return Baddbmm.apply(input, batch1, batch2, beta, alpha)


def _check_scaled_dtypes(input: Tensor, m1: Tensor, m2: Tensor, kernel: str) -> None:
    if m1._data.dtype != m2._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{_scalar_name(m1)} and {_scalar_name(m2)}")
    if input._data.dtype != m2._data.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_scalar_name(input)} and {_scalar_name(m2)}")
    _refuse_bool(kernel, m1)


# ------------------------------------------------------------------ in-place forms
# PyTorch's autocast lists hold no in-place op: in a region `x.addmm_(a, b)` computes in x's
# dtype. The in-place forms are not hooked, and they call the ops as written (`.fn`), not
# the public `addmm` whose hook would cast a and b.
_addmm_uncast, _baddbmm_uncast = lookup("addmm").fn, lookup("baddbmm").fn


@method_of("addmm", "addmm_")
def addmm_(self: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    return apply_inplace(self, lambda s, a, b: _addmm_uncast(s, a, b, beta=beta, alpha=alpha),
                         mat1, mat2)


@method_of("baddbmm", "baddbmm_")
def baddbmm_(self: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    return apply_inplace(self,
                         lambda s, a, b: _baddbmm_uncast(s, a, b, beta=beta, alpha=alpha),
                         batch1, batch2)


# ------------------------------------------------------------------ operators
# `@` calls the public matmul (cast in an autocast region by matmul's hook), so the operator
# methods themselves are not hooked again.
@method_of("matmul", "__matmul__", autocast=False)
def _matmul_method(self: Tensor, other) -> Tensor:
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


@method_of("matmul", "__rmatmul__", autocast=False)
def _rmatmul_method(self: Tensor, other) -> Tensor:
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)
