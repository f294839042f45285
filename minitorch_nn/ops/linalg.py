"""Matrices: the array-level product helpers every product op shares, and the transposes.

The linear-algebra ops are split by concept:

- `ops/products.py`: matmul, mm, bmm, mv, dot, vdot, outer/ger, addmm, baddbmm (and
  `addmm_` / `baddbmm_`, `@`);
- `ops/einsum.py`: einsum and tensordot;
- `ops/linalg_extra.py`: triu/tril, matrix_exp, solve, the QR pieces and weight norm;
- here: `t()`, `.T`, `.mT`, `.H`, `.mH`, and the helpers below on raw arrays.

Every product goes to BLAS through the backend's `xp.matmul` / `xp.einsum` (numpy on the CPU,
cupy on the GPU): no Python loop over batch elements. `_matmul` multiplies in the operands'
dtype (bfloat16 and numpy's float16 go through float32); `_product_grads` returns the
gradients of a 2-D product in the layout of the operand they flow to.

`t()`, `.T`, `.mT`, `.H`, `.mH` are views: they share storage and the version counter (the
`.mH` of a complex tensor is a conjugated copy).
"""
from __future__ import annotations

from .._user_warning import warn_user
from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _view_of, _wrap
from ._util import _device_mismatch, check_tensor, xp_of
from .registry import method_of, op


# ------------------------------------------------------------------ helpers
def _same_device(a: Tensor, b: Tensor) -> None:
    if type(a._data) is not type(b._data):
        _device_mismatch(a, b)


def _scalar_name(x: Tensor) -> str:
    """PyTorch's ScalarType name ("Float", "Long", "BFloat16")."""
    return x.dtype._legacy[:-len("Tensor")]


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


def _conj_scalar(value):
    return value.conjugate() if isinstance(value, complex) else value


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

    @staticmethod
    def grad_formula(ctx, g):   # the same reversal, recorded (T and Permute alike)
        return ctx._forward_cls.apply(g)


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

    @staticmethod
    def grad_formula(ctx, g):
        return Transpose.apply(g)


class Adjoint(ArrayFunction):
    """`.mH` of a complex tensor: the conjugate transpose (a copy here, not a view)."""

    @staticmethod
    def forward(ctx, x):
        return _wrap(_adjoint(x._data))

    @staticmethod
    def backward(ctx, g):
        return _adjoint(g)

    @staticmethod
    def grad_formula(ctx, g):
        return Adjoint.apply(g)


# ------------------------------------------------------------------ declarations
class _TensorProperty(property):
    """A Tensor property (`x.T`) declared with `@method_of` like a method: unlike a plain
    property it takes the mark the registry sets (`__op__`), and `describe` shows its getter."""

    def __init__(self, fget):
        super().__init__(fget)
        self.__wrapped_op__ = fget


@op("t", methods=("t",))
def t(input: Tensor) -> Tensor:
    """The transpose of a matrix as a view; 0-D and 1-D tensors come back as they are."""
    check_tensor(input, "input", "t")
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input._data.ndim}D")
    return T.apply(input)


@method_of("t", "T")
@_TensorProperty
def _T(self: Tensor) -> Tensor:
    """`x.T`: all dims reversed (a view). PyTorch deprecates it for ndim != 2."""
    if self._data.ndim == 0:
        warn_user("Tensor.T is deprecated on 0-D tensors. This function is the identity "
                  "in these cases.", UserWarning)
    elif self._data.ndim != 2:
        warn_user("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                  "shape is deprecated and it will throw an error in a future release. "
                  "Consider `x.mT` to transpose batches of matrices or "
                  "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
                  "dimensions of a tensor.", UserWarning)
    return Permute.apply(self)


def _matrix_transpose(self: Tensor, attr: str, conjugate: bool) -> Tensor:
    """`.mT` / `.mH`: the last two dims swapped (a view for real tensors)."""
    ndim = self._data.ndim
    if ndim == 0:
        hint = ("Consider using x.conj()." if conjugate
                else "This function is the identity in these cases.")
        warn_user(f"Tensor.{attr} is deprecated on 0-D tensors. {hint}", UserWarning)
        return self
    if ndim < 2:
        raise RuntimeError(f"tensor.{attr} is only supported on matrices or batches of "
                           f"matrices. Got {ndim}-D tensor.")
    if conjugate and self._data.dtype.kind == "c":
        return Adjoint.apply(self)
    return Transpose.apply(self)


@method_of("t", "mT")
@_TensorProperty
def _mT(self: Tensor) -> Tensor:
    """`x.mT`: the last two dims swapped (a view)."""
    return _matrix_transpose(self, "mT", False)


@method_of("t", "mH")
@_TensorProperty
def _mH(self: Tensor) -> Tensor:
    """`x.mH`: the conjugate transpose of the last two dims."""
    return _matrix_transpose(self, "mH", True)


@method_of("t", "H")
@_TensorProperty
def _H(self: Tensor) -> Tensor:
    """`x.H`: the conjugate transpose of a matrix (2-D only)."""
    if self._data.ndim not in (0, 2):
        extra = (" For batches of matrices, consider using tensor.mH"
                 if self._data.ndim > 2 else "")
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self._data.ndim}-D tensor.{extra}")
    return _matrix_transpose(self, "H", True)
