"""Linear algebra: matrix products, transposes and einsum, all differentiable.

Every product goes to BLAS through the backend's `xp.matmul` / `xp.einsum` (numpy on the CPU,
cupy on the GPU): no Python loop over batch elements. PyTorch's rules are kept:

- operands must share one dtype (no promotion) and one device; integer products work, bool
  ones raise NotImplementedError as PyTorch's CPU kernels do;
- `matmul` broadcasts batch dims, `bmm` does not; a gradient is summed back over the batch
  dims its input was broadcast along;
- `t()`, `.T`, `.mT`, `.H`, `.mH` are views: they share storage and the version counter.

Error messages copy PyTorch's, which depend on the path its `matmul` takes (dot, mv, mm or
bmm); the paths are chosen here as PyTorch chooses them for contiguous inputs.
"""
from __future__ import annotations

import warnings
from math import prod

from ..amp.autocast_mode import AUTOCAST as _AMP, autocast_call
from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _view_of, _wrap, _wrap_dim
from ._util import _device_mismatch, grad_cast, sum_to_shape, xp_of
from .inplace import apply_inplace

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "t", "addmm",
           "baddbmm", "einsum", "tensordot"]


# ------------------------------------------------------------------ helpers
def _require_tensor(x, fn: str, name: str, position: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, "
                        f"not {type(x).__name__}")


def _same_device(a: Tensor, b: Tensor) -> None:
    if type(a._data) is not type(b._data):
        _device_mismatch(a, b)


_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


def _cpp_name(x: Tensor) -> str:
    """The C++ scalar type name PyTorch prints in some dtype errors ("float", "long int")."""
    return _CPP_NAMES[x.dtype.name]


def _scalar_name(x: Tensor) -> str:
    """PyTorch's ScalarType name ("Float", "Long", "BFloat16")."""
    return x.dtype._legacy[:-len("Tensor")]


def _refuse_bool(kernel: str, x: Tensor) -> None:
    if x._data.dtype.kind == "b":
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _shape_str(shape) -> str:
    return "x".join(str(s) for s in shape)


def _compute_dtype(array):
    """numpy has no bfloat16 or float16 BLAS: such arrays are multiplied in float32 (None: as
    they are). numpy's float16 matmul is a plain loop, ~60x slower than float32 for a
    256x512x512 product; CuPy multiplies float16 with cuBLAS, so only numpy's is widened.

    (bfloat16 is ml_dtypes' kind "V"; `dtype.kind` is a plain attribute, `dtype.name` is
    computed by Python code on every read.)
    """
    kind = array.dtype.kind
    if kind == "V" or (kind == "f" and array.dtype.itemsize == 2
                       and type(array).__module__ == "numpy"):
        return _dt.float32.np
    return None


def _is_transposed(m) -> bool:
    """True for a matrix stored column-major, such as `weight.t()` of a Linear layer."""
    return m.ndim == 2 and m.flags.f_contiguous and not m.flags.c_contiguous


def _grad_right(a, g):
    """a^H @ g, the gradient of the right factor b of a @ b, in b's memory layout when b is
    transposed (see `_product_grads`)."""
    return _adjoint(_matmul(_adjoint(g), a))


def _product_grads(needs, a, b, g, alpha=1):
    """Gradients of alpha * (a @ b) for 2-D a and b: g @ b^H and a^H @ g (times alpha).

    When `b` is a transposed view (`x @ weight.t()`), its gradient is computed as
    (g^H @ a)^H: the same numbers, but laid out as `b` is, so the gradient reaching the
    weight through the transpose is C-contiguous like the weight (PyTorch keeps gradients in
    their parameter's layout too) and `.grad` gets it without a transposing copy (which costs
    ~20x a plain copy: 0.57 ms against 0.03 ms for a 784x512 float32 matrix). The same
    for `a`.
    """
    ga = gb = None
    if needs[1]:
        ga = _adjoint(_matmul(b, _adjoint(g))) if _is_transposed(a) else \
            _matmul(g, _adjoint(b))
        if alpha != 1:
            ga = ga * _conj_scalar(alpha)
    if needs[2]:
        gb = _grad_right(a, g) if _is_transposed(b) else _matmul(_adjoint(a), g)
        if alpha != 1:
            gb = gb * _conj_scalar(alpha)
    return ga, gb


def _matmul(x, y):
    """xp.matmul(x, y) in x's dtype (bfloat16 goes through float32).

    A stack of matrices times one matrix is folded into a single 2-D product, as PyTorch
    does: numpy's stacked matmul leaves BLAS when the matrix is a transposed view
    (`x @ weight.t()` in a Linear on 3-D input) and gets ~50x slower.
    """
    xp = xp_of(x)
    wide = _compute_dtype(x)
    if wide is not None:
        return _matmul(x.astype(wide), y.astype(wide)).astype(x.dtype)
    if x.ndim > 2 and y.ndim == 2:
        out = xp.matmul(x.reshape(-1, x.shape[-1]), y)
        return out.reshape(x.shape[:-1] + (y.shape[-1],))
    return xp.matmul(x, y)


def _tensordot(x, y, axes):
    """xp.tensordot in x's dtype: one BLAS call that also sums over the given batch axes."""
    xp = xp_of(x)
    wide = _compute_dtype(x)
    if wide is None:
        return xp.tensordot(x, y, axes=axes)
    return xp.tensordot(x.astype(wide), y.astype(wide), axes=axes).astype(x.dtype)


def _conj(x):
    """The complex conjugate, only computed for complex arrays (real ones are returned)."""
    return xp_of(x).conj(x) if x.dtype.kind == "c" else x


def _adjoint(x):
    """The conjugate transpose of the last two dims (a view for real arrays)."""
    return _conj(x.swapaxes(-1, -2))


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
    sa = (1,) * (ndim - len(sa)) + sa
    sb = (1,) * (ndim - len(sb)) + sb
    out = []
    for d, (x, y) in enumerate(zip(sa, sb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {d}")
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

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _wrap(_matmul(a._data, b._data))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * _conj(b._data) if ctx.needs_input_grad[0] else None
        gb = g * _conj(a._data) if ctx.needs_input_grad[1] else None
        return ga, gb


class Vdot(ArrayFunction):
    """conj(x) . y: the first vector is conjugated (the same as dot for real vectors)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _wrap(_matmul(_conj(a._data), b._data))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = _conj(g) * b._data if ctx.needs_input_grad[0] else None
        gb = g * a._data if ctx.needs_input_grad[1] else None
        return ga, gb


class Mv(ArrayFunction):
    """A (n, k) @ x (k,); gradients outer(g, x) and A^H @ g."""

    @staticmethod
    def forward(ctx, mat, vec):
        ctx.save_for_backward(mat, vec)
        return _wrap(_matmul(mat._data, vec._data))

    @staticmethod
    def backward(ctx, g):
        mat, vec = ctx.saved_tensors
        gm = g[:, None] * _conj(vec._data)[None, :] if ctx.needs_input_grad[0] else None
        gv = _matmul(_adjoint(mat._data), g) if ctx.needs_input_grad[1] else None
        return gm, gv


class Mm(ArrayFunction):
    """A (n, k) @ B (k, m); gradients g @ B^H and A^H @ g."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _wrap(_matmul(a._data, b._data))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _product_grads((False,) + ctx.needs_input_grad, a._data, b._data, g)


class Bmm(ArrayFunction):
    """Batches of matrices of equal batch size (no broadcasting): one batched BLAS call."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _wrap(_matmul(a._data, b._data))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = _matmul(g, _adjoint(b._data)) if ctx.needs_input_grad[0] else None
        gb = _matmul(_adjoint(a._data), g) if ctx.needs_input_grad[1] else None
        return ga, gb


class Matmul(ArrayFunction):
    """The general `matmul`: 1-D operands promoted, batch dims broadcast.

    Backward works on the promoted (>= 2-D) forms: a 1-D `a` is a (1, k) row and a 1-D `b` a
    (k, 1) column, so the gradient gets the matching unit dims back. Each input's gradient
    is summed over the batch dims that input was broadcast along. When one operand is a
    plain matrix (the `x @ W` of a linear layer), its gradient is one `tensordot` that
    contracts the batch dims inside BLAS instead of building a batch of products to sum.
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _wrap(_matmul(a._data, b._data))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        x, y = a._data, b._data
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        if x.ndim == 1:
            g = xp_of(g).expand_dims(g, -2)
        if y.ndim == 1:
            g = xp_of(g).expand_dims(g, -1)
        ga = _matmul_grad_a(g, x2, y2).reshape(x.shape) if ctx.needs_input_grad[0] else None
        gb = _matmul_grad_b(g, x2, y2).reshape(y.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


def _matmul_grad_a(g, x2, y2):
    """d(x2 @ y2)/d(x2) applied to g (all at least 2-D)."""
    nb = g.ndim - 2
    if x2.ndim == 2 and nb > 0:   # y2 carries all batch dims: contract them with BLAS
        axes = list(range(nb)) + [nb + 1]
        return _tensordot(g, _conj(y2), (axes, axes))
    return sum_to_shape(_matmul(g, _adjoint(y2)), x2.shape)


def _matmul_grad_b(g, x2, y2):
    """d(x2 @ y2)/d(y2) applied to g (all at least 2-D); in y2's layout when y2 is a
    transposed matrix (`x @ weight.t()`: see `_product_grads`)."""
    nb = g.ndim - 2
    if y2.ndim == 2 and nb > 0:   # x2 carries all batch dims
        axes = list(range(nb + 1))
        if _is_transposed(y2):
            return _adjoint(_tensordot(_conj(g), x2, (axes, axes)))
        return _tensordot(_conj(x2), g, (axes, axes))
    if _is_2d(x2, y2):
        return _grad_right(x2, g) if _is_transposed(y2) else _matmul(_adjoint(x2), g)
    return sum_to_shape(_matmul(_adjoint(x2), g), y2.shape)


class Addmm(ArrayFunction):
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""

    @staticmethod
    def forward(ctx, inp, m1, m2, beta=1, alpha=1):
        ctx.save_for_backward(m1, m2)
        ctx.meta = (inp._data.shape, beta, alpha)
        return _wrap(_scaled_sum(inp._data, _matmul(m1._data, m2._data), beta, alpha))

    @staticmethod
    def backward(ctx, g):
        m1, m2 = ctx.saved_tensors
        shape, beta, alpha = ctx.meta
        gi = _scaled_grad(g, beta, shape) if ctx.needs_input_grad[0] else None
        if _is_2d(m1._data, m2._data):
            ga, gb = _product_grads(ctx.needs_input_grad, m1._data, m2._data, g, alpha)
            return gi, ga, gb, None, None
        ga = gb = None   # baddbmm's batches
        if ctx.needs_input_grad[1]:
            ga = _matmul(g, _adjoint(m2._data)) * _conj_scalar(alpha)
        if ctx.needs_input_grad[2]:
            gb = _matmul(_adjoint(m1._data), g) * _conj_scalar(alpha)
        return gi, ga, gb, None, None


class Baddbmm(ArrayFunction):
    """beta * input + alpha * (batch1 @ batch2) for batches of equal size."""

    @staticmethod
    def forward(ctx, inp, b1, b2, beta=1, alpha=1):
        ctx.save_for_backward(b1, b2)
        ctx.meta = (inp._data.shape, beta, alpha)
        return _wrap(_scaled_sum(inp._data, _matmul(b1._data, b2._data), beta, alpha))

    backward = staticmethod(Addmm.backward)


def _is_2d(a, b) -> bool:
    return a.ndim == 2 and b.ndim == 2


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


def _conj_scalar(value):
    return value.conjugate() if isinstance(value, complex) else value


class Outer(ArrayFunction):
    """x (n,) outer y (m,) -> (n, m), with PyTorch's type promotion."""

    @staticmethod
    def forward(ctx, a, b):
        res = _dt.result_type(a, b).np
        x, y = a._data.astype(res, copy=False), b._data.astype(res, copy=False)
        ctx.save_for_backward(a, b)
        return _wrap(x[:, None] * y[None, :])

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        x, y = a._data.astype(g.dtype, copy=False), b._data.astype(g.dtype, copy=False)
        ga = grad_cast(_matmul(g, _conj(y)), a._data) if ctx.needs_input_grad[0] else None
        gb = grad_cast(_matmul(g.T, _conj(x)), b._data) if ctx.needs_input_grad[1] else None
        return ga, gb


# ------------------------------------------------------------------ transposes (views)
def _reverse_dims(array):
    return array.T


def _swap_last_two(array):
    return array.swapaxes(-1, -2)


class T(ArrayFunction):
    """`t()`: a view with the (at most two) dims swapped; named TBackward0 as in PyTorch."""

    @staticmethod
    def forward(ctx, x):
        return _view_of(x, x._data.T, _reverse_dims)

    @staticmethod
    def backward(ctx, g):
        return g.T


class Permute(T):
    """`.T`: the same reversal of all dims, recorded as PermuteBackward0 as in PyTorch."""


class Transpose(ArrayFunction):
    """`.mT`: a view with the last two dims swapped (its own inverse)."""

    @staticmethod
    def forward(ctx, x):
        return _view_of(x, x._data.swapaxes(-1, -2), _swap_last_two)

    @staticmethod
    def backward(ctx, g):
        return g.swapaxes(-1, -2)


class Adjoint(ArrayFunction):
    """`.mH` of a complex tensor: the conjugate transpose (a copy here, not a view)."""

    @staticmethod
    def forward(ctx, x):
        return _wrap(_adjoint(x._data))

    @staticmethod
    def backward(ctx, g):
        return _adjoint(g)


# ------------------------------------------------------------------ einsum
_SUBSCRIPTS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"   # PyTorch's label order
_ELLIPSIS = "..."


class _EinsumPlan:
    """An einsum equation resolved against its operands' shapes.

    `inputs[i]` are operand i's labels once '...' is spelled out with spare letters and its
    broadcast size-1 dims are squeezed away (`squeeze[i]`, the axes dropped): a dim of size 1
    facing a larger size is constant along that label, so the operand simply lacks it.
    `sizes` maps each label to its broadcast size, `shapes` keeps the original shapes.
    """

    __slots__ = ("inputs", "output", "squeeze", "shapes", "sizes")

    def __init__(self, inputs, output, squeeze, shapes, sizes):
        self.inputs, self.output, self.squeeze = inputs, output, squeeze
        self.shapes, self.sizes = shapes, sizes

    @property
    def equation(self) -> str:
        return ",".join(self.inputs) + "->" + self.output


def _parse_term(text: str, offset: int, who: str, found_ellipsis: bool = False):
    """Labels of one term (with '...' kept as one item), checked as PyTorch checks them.

    `offset` is where `text` starts in the equation (error messages give absolute indices).
    """
    labels, i = [], 0
    while i < len(text):
        c = text[i]
        if c == " ":
            pass
        elif c == ".":
            if found_ellipsis:
                raise RuntimeError(f"einsum(): found '.' for {who} "
                                   + ("but an ellipsis (...) was already found"
                                      if who == "output" else
                                      "for which an ellipsis was already found"))
            if text[i:i + 3] != _ELLIPSIS:
                raise RuntimeError(f"einsum(): found '.' for {who} that is not part of any "
                                   + ("ellipsis (...)" if who == "output" else "ellipsis"))
            labels.append(_ELLIPSIS)
            found_ellipsis = True
            i += 2
        elif c in _SUBSCRIPTS:
            labels.append(c)
        else:
            raise RuntimeError(f"einsum(): invalid subscript given at index {offset + i} in "
                               "the equation string, subscripts must be in [a-zA-Z]")
        i += 1
    return labels


def _parse_equation(equation: str, n_operands: int):
    """([labels of each operand], labels of the output or None when implicit)."""
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    terms, start = [], 0
    for part in lhs.split(","):
        if len(terms) == n_operands:
            raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                               "equation")
        terms.append(_parse_term(part, start, f"operand {len(terms)}"))
        start += len(part) + 1
    if len(terms) < n_operands:
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    output = None if arrow < 0 else _parse_term(equation[arrow + 2:], arrow + 2, "output")
    return terms, output


def _ellipsis_dims(terms, shapes) -> int:
    """How many dims '...' stands for (the most any operand gives it), with dim checks."""
    n_dims = 0
    for i, (labels, shape) in enumerate(zip(terms, shapes)):
        named = len(labels) - (_ELLIPSIS in labels)
        if _ELLIPSIS in labels:
            if named > len(shape):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({named}) is more than the number of dimensions "
                                   f"({len(shape)}) for operand {i}")
            n_dims = max(n_dims, len(shape) - named)
        elif named != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                               f"does not match the number of dimensions ({len(shape)}) for "
                               f"operand {i} and no ellipsis was given")
    return n_dims


def _output_labels(terms, output, ell: str) -> str:
    """The output term with '...' spelled out; implicit: '...' then labels seen once, sorted."""
    seen = [c for labels in terms for c in labels if c != _ELLIPSIS]
    if output is None:
        return ell + "".join(c for c in _SUBSCRIPTS if seen.count(c) == 1)
    out = ""
    for c in output:
        if c == _ELLIPSIS:
            out += ell
        elif c not in seen:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                               "equation for any input operand")
        elif c in out:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the "
                               "output")
        else:
            out += c
    return out


def _label_sizes(inputs, shapes, ell: str) -> dict:
    """Each label's broadcast size, with PyTorch's errors for sizes that do not broadcast."""
    sizes: dict = {}
    for i, (labels, shape) in enumerate(zip(inputs, shapes)):
        mine: dict = {}
        for c, s in zip(labels, shape):
            if c in mine and mine[c] != s:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but "
                                   f"the sizes don't match, {s} != {mine[c]}")
            mine[c] = s
            prev = sizes.get(c, 1)
            if prev != s and prev != 1 and s != 1:
                if c in ell:
                    dim = ell.index(c)
                    raise RuntimeError(f"einsum(): dimension {dim} covered by ellipsis in "
                                       f"operand {i} has size {s} which does not broadcast "
                                       f"with previously seen ellipsis with size {prev} for "
                                       "the respective dimension")
                raise RuntimeError(f"einsum(): subscript {c} has size {s} for operand {i} "
                                   f"which does not broadcast with previously seen size "
                                   f"{prev}")
            sizes[c] = s if prev == 1 else prev
    return sizes


def _plan_einsum(equation: str, operands) -> _EinsumPlan:
    """Parse and check `equation` for `operands` and spell it with plain letters."""
    shapes = [tuple(op._data.shape) for op in operands]
    terms, output = _parse_equation(equation, len(operands))
    n_ell = _ellipsis_dims(terms, shapes)
    spare = [c for c in _SUBSCRIPTS if c not in equation]
    if n_ell > len(spare):
        raise RuntimeError(f"einsum(): '...' covers {n_ell} dims but only {len(spare)} "
                           "unused subscript letters are left to name them")
    ell = "".join(spare[:n_ell])
    inputs = []
    for labels, shape in zip(terms, shapes):
        named = len(labels) - (_ELLIPSIS in labels)
        mine = ell[n_ell - (len(shape) - named):] if n_ell else ""
        inputs.append("".join(mine if c == _ELLIPSIS else c for c in labels))
    out = _output_labels(terms, output, ell)
    sizes = _label_sizes(inputs, shapes, ell)
    squeeze, kept = [], []
    for labels, shape in zip(inputs, shapes):
        drop = tuple(k for k, (c, s) in enumerate(zip(labels, shape)) if s == 1 != sizes[c])
        squeeze.append(drop)
        kept.append("".join(c for k, c in enumerate(labels) if k not in drop))
    return _EinsumPlan(kept, out, squeeze, shapes, sizes)


def _einsum_arrays(equation: str, arrays):
    """xp.einsum with BLAS-friendly contraction order, in the operands' dtype."""
    xp = xp_of(arrays[0])
    dtype = arrays[0].dtype
    wide = _compute_dtype(arrays[0])
    if wide is not None:
        arrays = [a.astype(wide) for a in arrays]
    out = xp.einsum(equation, *arrays, optimize=True)
    out = xp.asarray(out)
    return out if out.dtype == dtype else out.astype(dtype)


def _squeezed(array, axes: tuple):
    return array.squeeze(axis=axes) if axes else array


def _scatter_diagonal(grad, labels: str, unique: str, sizes: dict):
    """Zeros of `labels`' shape with `grad` (indexed by `unique`) on their diagonal.

    For an operand like 'ii', only its diagonal entries enter the result, so its gradient is
    zero off the diagonal: index arrays built per label place grad where labels repeat.
    """
    xp = xp_of(grad)
    out = xp.zeros(tuple(sizes[c] for c in labels), grad.dtype)
    index = []
    for c in labels:
        shape = [1] * len(unique)
        shape[unique.index(c)] = sizes[c]
        index.append(xp.arange(sizes[c]).reshape(shape))
    out[tuple(index)] = grad
    return out


def _einsum_grad(plan: _EinsumPlan, i: int, g, arrays):
    """The gradient for operand i: einsum of g with every other operand.

    The labels of operand i that appear nowhere else were summed inside it alone; its
    gradient is constant along them (broadcast back). Repeated labels put the gradient on
    a diagonal; squeezed size-1 dims come back by reshaping to the original shape.
    """
    xp = xp_of(g)
    labels = plan.inputs[i]
    unique = "".join(dict.fromkeys(labels))
    others = [j for j in range(len(arrays)) if j != i]
    available = set(plan.output).union(*(plan.inputs[j] for j in others))
    keep = "".join(c for c in unique if c in available)
    terms = [plan.output] + [plan.inputs[j] for j in others]
    grad = _einsum_arrays(",".join(terms) + "->" + keep,
                          [g] + [_conj(arrays[j]) for j in others])
    if len(keep) < len(unique):
        missing = tuple(k for k, c in enumerate(unique) if c not in available)
        grad = xp.broadcast_to(xp.expand_dims(grad, missing),
                               tuple(plan.sizes[c] for c in unique))
    if len(unique) < len(labels):
        grad = _scatter_diagonal(grad, labels, unique, plan.sizes)
    return grad.reshape(plan.shapes[i])


class Einsum(ArrayFunction):
    """einsum over any number of operands; `plan` (first argument) holds the equation."""

    @staticmethod
    def forward(ctx, plan, *operands):
        arrays = [_squeezed(op._data, ax) for op, ax in zip(operands, plan.squeeze)]
        out = _einsum_arrays(plan.equation, arrays)
        xp = xp_of(out)
        if any(xp.may_share_memory(out, a) for a in arrays):   # numpy may return a view
            out = out.copy()
        ctx.plan = plan
        ctx.save_for_backward(*operands)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        plan = ctx.plan
        operands = ctx.saved_tensors
        arrays = [_squeezed(op._data, ax) for op, ax in zip(operands, plan.squeeze)]
        grads = [None]
        for i in range(len(operands)):
            grads.append(_einsum_grad(plan, i, g, arrays) if ctx.needs_input_grad[i + 1]
                         else None)
        return tuple(grads)


# ------------------------------------------------------------------ public functions
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics: 1-D promotion, broadcast batch dims.

        >>> import minitorch_nn as torch
        >>> torch.matmul(torch.ones(7, 1, 3, 4), torch.ones(5, 4, 2)).shape
        torch.Size([7, 5, 3, 2])
    """
    if _AMP.on and _AMP.active():
        return autocast_call("matmul", matmul, input, other)
    _require_tensor(input, "matmul", "input", 1)
    _require_tensor(other, "matmul", "other", 2)
    _check_matmul(input, other)
    da, db = input._data.ndim, other._data.ndim
    if da == 2 and db == 2:
        return Mm.apply(input, other)
    if da == 1 and db == 1:
        return Dot.apply(input, other)
    if da == 2 and db == 1:
        return Mv.apply(input, other)
    return Matmul.apply(input, other)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The product of two matrices (both 2-D, same dtype; no broadcasting)."""
    if _AMP.on and _AMP.active():
        return autocast_call("mm", mm, input, mat2)
    _require_tensor(input, "mm", "input", 1)
    _require_tensor(mat2, "mm", "mat2", 2)
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _same_device(input, mat2)
    _check_mm_arrays(input, mat2, input._data.shape)
    return Mm.apply(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product: (b, n, k) @ (b, k, m) -> (b, n, m); no broadcasting.

        >>> import minitorch_nn as torch
        >>> torch.bmm(torch.rand((10, 2, 5)), torch.rand((10, 5, 2))).shape
        torch.Size([10, 2, 2])
    """
    if _AMP.on and _AMP.active():
        return autocast_call("bmm", bmm, input, mat2)
    _require_tensor(input, "bmm", "input", 1)
    _require_tensor(mat2, "bmm", "mat2", 2)
    _check_bmm(input, mat2)
    _same_device(input, mat2)
    return Bmm.apply(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix (n, k) times vector (k,) -> (n,)."""
    if _AMP.on and _AMP.active():
        return autocast_call("mv", mv, input, vec)
    _require_tensor(input, "mv", "input", 1)
    _require_tensor(vec, "mv", "vec", 2)
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, "
                           f"{vec._data.ndim}")
    _same_device(input, vec)
    _check_mv_arrays(input, vec, input._data.shape[0])
    return Mv.apply(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """The inner product of two 1-D tensors of the same size and dtype (a 0-d tensor)."""
    if _AMP.on and _AMP.active():
        return autocast_call("dot", dot, input, tensor)
    _require_tensor(input, "dot", "input", 1)
    _require_tensor(tensor, "dot", "tensor", 2)
    _same_device(input, tensor)
    _check_dot(input, tensor)
    return Dot.apply(input, tensor)


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """conj(input) . other for 1-D tensors (equal to `dot` for real tensors)."""
    if _AMP.on and _AMP.active():
        return autocast_call("vdot", vdot, input, other)
    _require_tensor(input, "vdot", "input", 1)
    _require_tensor(other, "vdot", "other", 2)
    _same_device(input, other)
    _check_dot(input, other)
    return Vdot.apply(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two 1-D tensors: (n,), (m,) -> (n, m); dtypes are promoted."""
    _require_tensor(input, "outer", "input", 1)
    _require_tensor(vec2, "outer", "vec2", 2)
    for name, x in (("self", input), ("vec2", vec2)):
        if x._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got "
                               f"{x._data.ndim}-D")
    _same_device(input, vec2)
    return Outer.apply(input, vec2)


ger = outer


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2); `input` broadcasts to the product's shape."""
    if _AMP.on and _AMP.active():
        return autocast_call("addmm", addmm, input, mat1, mat2, beta=beta, alpha=alpha)
    for pos, (name, x) in enumerate((("input", input), ("mat1", mat1), ("mat2", mat2)), 1):
        _require_tensor(x, "addmm", name, pos)
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


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2); `input` broadcasts to (b, n, m)."""
    if _AMP.on and _AMP.active():
        return autocast_call("baddbmm", baddbmm, input, batch1, batch2, beta=beta, alpha=alpha)
    for pos, (name, x) in enumerate((("input", input), ("batch1", batch1),
                                     ("batch2", batch2)), 1):
        _require_tensor(x, "baddbmm", name, pos)
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


def addmm_(self: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    if _AMP.on and _AMP.active():
        return autocast_call("addmm_", addmm_, self, mat1, mat2, beta=beta, alpha=alpha)
    return apply_inplace(self, lambda s, a, b: addmm(s, a, b, beta=beta, alpha=alpha),
                         mat1, mat2)


def baddbmm_(self: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    if _AMP.on and _AMP.active():
        return autocast_call("baddbmm_", baddbmm_, self, batch1, batch2, beta=beta, alpha=alpha)
    return apply_inplace(self, lambda s, a, b: baddbmm(s, a, b, beta=beta, alpha=alpha),
                         batch1, batch2)


def einsum(equation: str, *operands) -> Tensor:
    """Sum of products over labelled dims, e.g. 'bij,bjk->bik' (a batched matmul).

    Labels are letters; '...' stands for broadcast leading dims; without '->' the output is
    '...' followed by the labels seen once, in alphabetical order (upper case first).
    Operands may also be given as one list.

        >>> import minitorch_nn as torch
        >>> torch.einsum('ij,jk->ik', torch.ones(2, 3), torch.ones(3, 4)).shape
        torch.Size([2, 4])
    """
    if _AMP.on and _AMP.active():
        return autocast_call("einsum", einsum, equation, *operands)
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not "
                        f"{type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one "
                         "operand, or at least one operand and its subscripts list")
    for i, op in enumerate(operands):
        if not isinstance(op, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(op).__name__}")
    plan = _plan_einsum(equation, operands)
    first = operands[0]
    for op in operands[1:]:
        _same_device(first, op)
        if op._data.dtype != first._data.dtype:
            raise RuntimeError(f"expected scalar type {_scalar_name(first)} but found "
                               f"{_scalar_name(op)}")
    return Einsum.apply(plan, *operands)


def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Contract dims of `a` with dims of `b`: `dims=n` pairs a's last n with b's first n;
    `dims=([1, 2], [0, 1])` names them. Computed as an einsum (one BLAS contraction)."""
    if _AMP.on and _AMP.active():
        return autocast_call("tensordot", tensordot, a, b, dims, out)
    if out is not None:
        raise NotImplementedError("tensordot(): out= is not supported by minitorch_nn")
    _require_tensor(a, "tensordot", "a", 1)
    _require_tensor(b, "tensordot", "b", 2)
    dims_a, dims_b = _tensordot_dims(a, b, dims)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    letters = _SUBSCRIPTS
    if a._data.ndim + b._data.ndim > len(letters):
        raise RuntimeError(f"tensordot(): at most {len(letters)} dims in all are supported")
    la = letters[:a._data.ndim]
    lb = list(letters[a._data.ndim:a._data.ndim + b._data.ndim])
    for da, db in zip(dims_a, dims_b):
        lb[db] = la[da]
    free_a = "".join(c for k, c in enumerate(la) if k not in dims_a)
    free_b = "".join(c for k, c in enumerate(lb) if k not in dims_b)
    return einsum(f"{la},{''.join(lb)}->{free_a}{free_b}", a, b)


def _tensordot_dims(a: Tensor, b: Tensor, dims):
    """Normalized (dims of a, dims of b), checked as PyTorch checks them."""
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int) and not isinstance(dims, bool):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got "
                               f"dims={dims}")
        given_a, given_b = list(range(-dims, 0)), list(range(dims))
    elif isinstance(dims, (list, tuple)) and len(dims) == 2:
        given_a, given_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    else:
        raise RuntimeError(f"tensordot expects dims to be int or tuple[list[int], list[int]] "
                           f"or list[list[int]] containing two lists, but got dims={dims}")
    if len(given_a) != len(given_b):
        raise RuntimeError("both dimension lists should have same length")
    dims_a = [_wrap_dim(d, na) for d in given_a]
    dims_b = [_wrap_dim(d, nb) for d in given_b]
    for dims_list in (dims_a, dims_b):
        if len(set(dims_list)) != len(dims_list):
            dup = next(d for d in dims_list if dims_list.count(d) > 1)
            raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    for ga, gb, da, db in zip(given_a, given_b, dims_a, dims_b):
        sa, sb = a._data.shape[da], b._data.shape[db]
        if sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} "
                               f"in dim {ga} and second has size {sb} in dim {gb}")
    return dims_a, dims_b


# ------------------------------------------------------------------ transposes
def t(input: Tensor) -> Tensor:
    """The transpose of a matrix as a view; 0-D and 1-D tensors come back as they are."""
    _require_tensor(input, "t", "input", 1)
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input._data.ndim}D")
    return T.apply(input)


def _T(self: Tensor) -> Tensor:
    """`x.T`: all dims reversed (a view). PyTorch deprecates it for ndim != 2."""
    if self._data.ndim == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity "
                      "in these cases.", UserWarning, stacklevel=2)
    elif self._data.ndim != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or "
                      "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
                      "dimensions of a tensor.", UserWarning, stacklevel=2)
    return Permute.apply(self)


def _matrix_transpose(self: Tensor, attr: str, conjugate: bool) -> Tensor:
    """`.mT` / `.mH`: the last two dims swapped (a view for real tensors)."""
    ndim = self._data.ndim
    if ndim == 0:
        hint = ("Consider using x.conj()." if conjugate
                else "This function is the identity in these cases.")
        warnings.warn(f"Tensor.{attr} is deprecated on 0-D tensors. {hint}", UserWarning,
                      stacklevel=3)
        return self
    if ndim < 2:
        raise RuntimeError(f"tensor.{attr} is only supported on matrices or batches of "
                           f"matrices. Got {ndim}-D tensor.")
    if conjugate and self._data.dtype.kind == "c":
        return Adjoint.apply(self)
    return Transpose.apply(self)


def _mT(self: Tensor) -> Tensor:
    return _matrix_transpose(self, "mT", False)


def _mH(self: Tensor) -> Tensor:
    return _matrix_transpose(self, "mH", True)


def _H(self: Tensor) -> Tensor:
    """`x.H`: the conjugate transpose of a matrix (2-D only)."""
    if self._data.ndim not in (0, 2):
        extra = (" For batches of matrices, consider using tensor.mH"
                 if self._data.ndim > 2 else "")
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self._data.ndim}-D tensor.{extra}")
    return _matrix_transpose(self, "H", True)


def _matmul_method(self: Tensor, other) -> Tensor:
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


def _rmatmul_method(self: Tensor, other) -> Tensor:
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


METHODS = {
    "matmul": matmul, "mm": mm, "bmm": bmm, "mv": mv, "dot": dot, "vdot": vdot,
    "outer": outer, "ger": ger, "t": t, "addmm": addmm, "addmm_": addmm_,
    "baddbmm": baddbmm, "baddbmm_": baddbmm_,
    "__matmul__": _matmul_method, "__rmatmul__": _rmatmul_method,
    "T": property(_T), "mT": property(_mT), "H": property(_H), "mH": property(_mH),
}
