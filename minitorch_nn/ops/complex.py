"""Complex tensors: complex() and polar(), the views real/imag/view_as_real/view_as_complex,
conj, conj_physical, resolve_conj, angle and sgn.

Gradients follow PyTorch's convention for complex numbers: a tensor's gradient is
dL/d(re) + i dL/d(im) (the conjugate Wirtinger derivative, times 2), so for y = f(z)
the input gradient is `g * conj(df/dz) + conj(g) * df/d(conj z)`. The ops here are not
holomorphic, so each backward is written in that convention (`complex_grad_direct`); the
holomorphic ops elsewhere get it from the engine (autograd/function.py, _conjugate_backward).
`conj()` is a copy here, not PyTorch's lazy conjugate view: its result is marked, so that
`is_conj()`, `resolve_conj()` and `view_as_real` answer as PyTorch's do.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes as _dt
from ..autograd.function import ArrayFunction
from ..autograd.higher_order import reduce_grad
from ..creation import tensor as _tensor
from ..tensor import Tensor, _view_of, _wrap
from ._util import check_tensor, shape_mismatch, sum_to_shape, xp_of
from .inplace import _legacy_name, apply_inplace
from .linalg import _TensorProperty
from .registry import method_of, op
from .unary import _sign_array

_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128)}


def _real_part(a):
    return a.real


def _imag_part(a):
    return a.imag


def _as_real(a):
    """A complex array seen as (..., 2) reals: a view, whatever a's strides."""
    xp = xp_of(a)
    half = a.itemsize // 2
    return xp.lib.stride_tricks.as_strided(a.real, a.shape + (2,), a.strides + (half,))


def _as_complex(a):
    """A (..., 2) real array (last stride 1, checked by the caller) seen as complex."""
    if a.size == 0:
        return xp_of(a).empty(a.shape[:-1], _COMPLEX_OF[a.dtype])
    return a.view(_COMPLEX_OF[a.dtype])[..., 0]


def _to_complex(g, dtype):
    """A real gradient as the real part of a complex array of `dtype`."""
    out = xp_of(g).zeros(g.shape, dtype)
    out.real = g
    return out


# ------------------------------------------------------------------ construction
def _check_float_pair(a, b, fn: str, names: tuple) -> None:
    """PyTorch's checks of complex()/polar(): two tensors, both float32 or both float64."""
    check_tensor(a, names[0], fn, 1)
    check_tensor(b, names[1], fn, 2)
    da, db = a._data.dtype, b._data.dtype
    if da.kind != "f" or db.kind != "f":
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_legacy_name(a.dtype)} and {_legacy_name(b.dtype)}")
    if da != db:
        raise RuntimeError(f"Expected object of scalar type {_legacy_name(a.dtype)} but got "
                           f"scalar type {_legacy_name(b.dtype)} for second argument")
    if da not in _COMPLEX_OF:   # float16 would give complex32, a dtype numpy lacks
        raise NotImplementedError(f"{fn}: complex32 (from {a.dtype} inputs) is not supported; "
                                  "use float32 or float64 tensors")


def _broadcast(a: Tensor, b: Tensor):
    try:
        return xp_of(a._data).broadcast_arrays(a._data, b._data)
    except ValueError as err:
        raise shape_mismatch(err, a, b) from None


class Complex(ArrayFunction):
    """real + i imag; the gradients are the real and imaginary parts of g."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, real, imag):
        re, im = _broadcast(real, imag)
        ctx.shapes = (real._data.shape, imag._data.shape)
        out = xp_of(re).empty(re.shape, _COMPLEX_OF[re.dtype])
        out.real, out.imag = re, im
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        sr, si = ctx.shapes
        return sum_to_shape(g.real.copy(), sr), sum_to_shape(g.imag.copy(), si)

    @staticmethod
    def grad_formula(ctx, g):
        from ..autograd.higher_order import sum_to
        sr, si = ctx.shapes
        needs = ctx.needs_input_grad
        return (sum_to(Real.apply(g), sr) if needs[0] else None,
                sum_to(Imag.apply(g), si) if needs[1] else None)


def _zeros_like_tensor(g: Tensor) -> Tensor:
    return _wrap(xp_of(g._data).zeros(g._data.shape, g._data.dtype))


class Polar(ArrayFunction):
    """abs * (cos(angle) + i sin(angle)); gradients Re(g conj(cis)) and Re(g conj(i out))."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, abs, angle):
        r, t = _broadcast(abs, angle)
        xp = xp_of(r)
        c, s = xp.cos(t), xp.sin(t)
        out = xp.empty(r.shape, _COMPLEX_OF[r.dtype])
        out.real, out.imag = r * c, r * s
        ctx.saved = (c, s, out)
        ctx.shapes = (abs._data.shape, angle._data.shape)
        ctx.inputs = (abs, angle)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        c, s, out = ctx.saved
        sa, st = ctx.shapes
        ga = gt = None
        if ctx.needs_input_grad[0]:
            ga = sum_to_shape(g.real * c + g.imag * s, sa)
        if ctx.needs_input_grad[1]:
            gt = sum_to_shape(g.imag * out.real - g.real * out.imag, st)
        return ga, gt

    @staticmethod
    def grad_formula(ctx, g):   # the same, recorded: Re(g conj(cis)), Im(g) Re(out) - ...
        abs, angle = ctx.inputs
        out = Polar.apply(abs, angle)
        cis = Polar.apply(angle.new_ones(()).expand_as(angle), angle)
        needs = ctx.needs_input_grad
        ga = reduce_grad(g.real * cis.real + g.imag * cis.imag, abs) if needs[0] else None
        gt = reduce_grad(g.imag * out.real - g.real * out.imag, angle) if needs[1] else None
        return ga, gt


@op("complex")
def complex(real: Tensor, imag: Tensor) -> Tensor:
    """The complex tensor real + i imag (both float32 or both float64, broadcast)."""
    _check_float_pair(real, imag, "complex", ("real", "imag"))
    return Complex.apply(real, imag)


@op("polar")
def polar(abs: Tensor, angle: Tensor) -> Tensor:
    """The complex tensor with magnitude `abs` and phase `angle` (radians)."""
    _check_float_pair(abs, angle, "polar", ("abs", "angle"))
    return Polar.apply(abs, angle)


# ------------------------------------------------------------------ views
class Real(ArrayFunction):
    """`z.real`: a view of the real parts. PyTorch records it as a select (SelectBackward0)
    of view_as_real, hence the node's name."""

    complex_grad_direct = True
    node_name = "SelectBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.dtype = x._data.dtype
        return _view_of(x, x._data.real, _real_part)

    @staticmethod
    def backward(ctx, g):
        return _to_complex(g, ctx.dtype)

    @staticmethod
    def grad_formula(ctx, g):
        return Complex.apply(g, _zeros_like_tensor(g))


class Imag(ArrayFunction):
    """`z.imag`: a view of the imaginary parts; the gradient is i g."""

    complex_grad_direct = True
    node_name = "SelectBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.dtype = x._data.dtype
        return _view_of(x, x._data.imag, _imag_part)

    @staticmethod
    def backward(ctx, g):
        out = xp_of(g).zeros(g.shape, ctx.dtype)
        out.imag = g
        return out

    @staticmethod
    def grad_formula(ctx, g):
        return Complex.apply(_zeros_like_tensor(g), g)


class ViewAsReal(ArrayFunction):
    complex_grad_direct = True

    @staticmethod
    def forward(ctx, x):
        ctx.dtype = x._data.dtype
        return _view_of(x, _as_real(x._data), _as_real)

    @staticmethod
    def backward(ctx, g):
        out = xp_of(g).empty(g.shape[:-1], ctx.dtype)
        out.real, out.imag = g[..., 0], g[..., 1]
        return out

    @staticmethod
    def grad_formula(ctx, g):
        from .views import Select
        return Complex.apply(Select.apply(g, (Ellipsis, 0)), Select.apply(g, (Ellipsis, 1)))


class ViewAsComplex(ArrayFunction):
    complex_grad_direct = True

    @staticmethod
    def forward(ctx, x):
        return _view_of(x, _as_complex(x._data), _as_complex)

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).stack([g.real, g.imag], axis=-1)

    @staticmethod
    def grad_formula(ctx, g):
        from .joining import Stack
        re = Real.apply(g)
        return Stack.apply(g.dim(), re._data.dtype, re, Imag.apply(g))


def _complex_only(input: Tensor, fn: str) -> None:
    if input._data.dtype.kind != "c":
        raise RuntimeError(f"{fn} is not implemented for tensors with non-complex dtypes.")


@op("real")
def real(input: Tensor) -> Tensor:
    """The real parts of a complex tensor as a view; a real tensor itself."""
    check_tensor(input, "input", "real")
    return Real.apply(input) if input._data.dtype.kind == "c" else input


@op("imag")
def imag(input: Tensor) -> Tensor:
    """The imaginary parts of a complex tensor as a view (RuntimeError for real tensors)."""
    check_tensor(input, "input", "imag")
    _complex_only(input, "imag")
    return Imag.apply(input)


class _SettableProperty(_TensorProperty):
    """A declared Tensor property that can also be assigned (`z.real = values`)."""

    def __init__(self, fget, fset=None, fdel=None, doc=None):
        property.__init__(self, fget, fset, fdel, doc)
        self.__wrapped_op__ = fget


def _set_part(part):
    def setter(self: Tensor, value) -> None:
        part(self).copy_(value if isinstance(value, Tensor) else _scalar_like(value, self))
    return setter


def _scalar_like(value, like: Tensor) -> Tensor:
    return _tensor(value, device=like.device)


method_of("real", "real")(_SettableProperty(real, _set_part(real)))
method_of("imag", "imag")(_SettableProperty(imag, _set_part(imag)))


@op("view_as_real")
def view_as_real(input: Tensor) -> Tensor:
    """A complex tensor (..., ) seen as real (..., 2): re and im side by side, sharing memory."""
    check_tensor(input, "input", "view_as_real")
    if input._data.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    if is_conj(input):
        raise RuntimeError(
            "view_as_real doesn't work on unresolved conjugated tensors.  To resolve the "
            "conjugate tensor so you can view it as real, use self.resolve_conj(); however, "
            "be warned that the resulting tensor will NOT alias the original.")
    return ViewAsReal.apply(input)


@op("view_as_complex")
def view_as_complex(input: Tensor) -> Tensor:
    """A real tensor (..., 2) seen as complex (...,): the last dim holds (re, im)."""
    check_tensor(input, "input", "view_as_complex")
    a = input._data
    if a.dtype not in _COMPLEX_OF:
        if a.dtype == np.float16:
            raise NotImplementedError("view_as_complex: complex32 (from float16 tensors) is "
                                      "not supported; use float32 or float64 tensors")
        raise RuntimeError("view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: "
                           f"{_legacy_name(input.dtype)}")
    if a.ndim == 0 or a.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if a.size == 0:   # no element to share: any strides will do (PyTorch's are contiguous)
        return ViewAsComplex.apply(input)
    strides = input.stride()
    if strides[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last "
                           "dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return ViewAsComplex.apply(input)


# ------------------------------------------------------------------ conjugation
class Conj(ArrayFunction):
    """The complex conjugate; the gradient is conj(g)."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, x):
        return _wrap(xp_of(x._data).conj(x._data))

    @staticmethod
    def backward(ctx, g):
        return xp_of(g).conj(g)

    @staticmethod
    def grad_formula(ctx, g):
        return Conj.apply(g)


class ConjPhysical(Conj):
    pass


@op("conj", methods=("conj",))
def conj(input: Tensor) -> Tensor:
    """The complex conjugate (a real tensor itself). PyTorch returns a lazy view; this is a
    copy marked as conjugated (see is_conj)."""
    check_tensor(input, "input", "conj")
    if input._data.dtype.kind != "c":
        return input
    out = Conj.apply(input)
    if not is_conj(input):   # conj(conj(z)) is unmarked, as PyTorch's
        out._conj_bit = True
    return out


@op("conj_physical", methods=("conj_physical",))
def conj_physical(input: Tensor) -> Tensor:
    """The complex conjugate, computed now (a real tensor itself)."""
    check_tensor(input, "input", "conj_physical")
    if input._data.dtype.kind != "c":
        return input
    return ConjPhysical.apply(input)


@method_of("conj_physical", "conj_physical_", export=True)
def conj_physical_(self: Tensor) -> Tensor:
    if self._data.dtype.kind != "c":
        return self
    return apply_inplace(self, conj_physical)


@op("is_conj", methods=("is_conj",))
def is_conj(input: Tensor) -> bool:
    """Whether `input` came from conj() of a complex tensor (PyTorch's conjugate bit)."""
    return bool(input.__dict__.get("_conj_bit", False))


@op("resolve_conj", methods=("resolve_conj",))
def resolve_conj(input: Tensor) -> Tensor:
    """A conjugated tensor (is_conj) as a fresh unmarked copy; any other tensor itself."""
    check_tensor(input, "input", "resolve_conj")
    return input.clone() if is_conj(input) else input


@op("is_neg", methods=("is_neg",))
def is_neg(input: Tensor) -> bool:
    """Always False: minitorch_nn has no lazy negation bit."""
    return False


@op("resolve_neg", methods=("resolve_neg",))
def resolve_neg(input: Tensor) -> Tensor:
    """`input` itself (no tensor carries a lazy negation)."""
    check_tensor(input, "input", "resolve_neg")
    return input


# ------------------------------------------------------------------ angle, sgn
class Angle(ArrayFunction):
    """The phase atan2(im, re); for real inputs pi where x < 0, else 0 (nan stays nan).
    Gradient for complex z: g * i z / |z|^2 (0 at 0); for real inputs 0."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, x, out_dtype):
        a = x._data
        xp = xp_of(a)
        ctx.save_for_backward(x)
        if a.dtype.kind == "c":
            return _wrap(xp.angle(a))
        a = a.astype(out_dtype, copy=False)
        out = xp.where(a < 0, out_dtype.type(math.pi), out_dtype.type(0))
        return _wrap(xp.where(xp.isnan(a), a, out))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        xp = xp_of(g)
        if a.dtype.kind != "c":
            return xp.zeros(a.shape, a.dtype), None
        sq = a.real * a.real + a.imag * a.imag
        zero = sq == 0
        return xp.where(zero, 0, g * 1j * a / xp.where(zero, 1, sq)).astype(a.dtype), None

    @staticmethod
    def grad_formula(ctx, g):
        (x,) = ctx.saved_tensors
        a = x._data
        if a.dtype.kind != "c":   # 0 or pi: a zero gradient
            return _wrap(xp_of(a).zeros(a.shape, a.dtype)), None
        # complex: PyTorch's expression, recorded (so a zero input gives its NaN when
        # differentiated again): where(z == 0, 0, g z / |z|^2 * i)
        from .selection import where
        mag = x.abs()
        return where(mag == 0, g.new_zeros(()), g * x / mag.pow(2) * 1j), None


@op("angle", methods=("angle",))
def angle(input: Tensor) -> Tensor:
    """The element-wise phase (radians) of a complex tensor; 0 or pi for real ones."""
    check_tensor(input, "input", "angle")
    a = input._data
    if a.dtype.kind == "c":
        out_dtype = a.real.dtype
    elif a.dtype.kind == "f":
        out_dtype = a.dtype
    else:
        out_dtype = _dt.get_default_dtype().np
    return Angle.apply(input, out_dtype)


class Sgn(ArrayFunction):
    """z / |z| (0 at 0) for complex tensors, sign(x) for real ones. Gradient (complex):
    (g - sgn^2 conj(g)) / (2 |z|), 0 at 0; real: 0."""

    complex_grad_direct = True

    @staticmethod
    def forward(ctx, x):
        a = x._data
        if a.dtype.kind != "c":
            return _wrap(_sign_array(a))
        xp = xp_of(a)
        mag = xp.abs(a)
        zero = mag == 0
        out = xp.where(zero, 0, a / xp.where(zero, 1, mag)).astype(a.dtype)
        ctx.saved = (mag, out)
        ctx.save_for_backward(x)   # for the recorded formula (double backward)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g)
        if g.dtype.kind != "c":
            return xp.zeros_like(g)
        mag, s = ctx.saved
        zero = mag == 0
        grad = (g - s * s * xp.conj(g)) / (2 * xp.where(zero, 1, mag))
        return xp.where(zero, 0, grad).astype(g.dtype)

    @staticmethod
    def grad_formula(ctx, g):
        if g._data.dtype.kind != "c":   # sign(x): a zero gradient
            return _wrap(xp_of(g._data).zeros_like(g._data))
        # complex: PyTorch's expression, recorded, sgn recomputed from the input (a zero
        # input gives its NaN when differentiated again)
        (x,) = ctx.saved_tensors
        mag, s = x.abs(), Sgn.apply(x)
        return ((g - s * s * g.conj()) / (2.0 * mag)).masked_fill(mag == 0, 0.0)


@op("sgn", methods=("sgn",))
def sgn(input: Tensor) -> Tensor:
    """The complex sign z / |z| (0 at 0); sign(x) for real tensors."""
    check_tensor(input, "input", "sgn")
    if input._data.dtype.kind == "b":
        return input.clone()   # PyTorch: the sign of a bool is itself
    return Sgn.apply(input)


@method_of("sgn", "sgn_")
def sgn_(self: Tensor) -> Tensor:
    return apply_inplace(self, sgn)
