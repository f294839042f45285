"""In-place ops: write a result into a tensor's own storage and keep autograd correct.

Every in-place op bumps the storage's version counter (shared by all views), so a node that
saved the old values raises at backward time instead of silently using the new ones. With a
graph being recorded, the op is computed out of place on an alias of the old values and the
result is written back; the tensor then continues from the op's node. When the tensor is a
view, its base gets a `CopySlices` node (PyTorch's name): the gradient of the written region
goes to the op, the rest to the base's old history.
"""
from __future__ import annotations

from .. import dtypes as _dt
from ..autograd import grad_mode
from ..autograd.function import _edge
from ..autograd.graph import Node
from ..tensor import _INFERENCE_INPLACE, Tensor, _inference, _wrap

__all__ = ["apply_inplace", "check_inplace", "bump", "write_result"]

_state = grad_mode._state


def bump(t: Tensor) -> None:
    t._version_counter.value += 1


def check_inplace(self: Tensor, *others) -> bool:
    """Raise PyTorch's errors for forbidden in-place ops; return True if a graph is recorded."""
    if self._is_inference and not _inference.on:
        raise RuntimeError(_INFERENCE_INPLACE)
    if not _state.enabled:
        return False
    recording = self._requires_grad or any(getattr(o, "_requires_grad", False) for o in others)
    if recording:
        if self.grad_fn is None and self._requires_grad and self._base is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        base = self._base
        if base is not None and "_inplace_view_error" in self.__dict__:
            _raise_custom_view_inplace(self)
        if base is not None and base.grad_fn is None and base._requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
    return recording


def _raise_custom_view_inplace(view: Tensor) -> None:
    """A view returned by a custom Function (it names itself in `_inplace_view_error`)."""
    raise RuntimeError(
        f"Output {view._output_nr} of {view._inplace_view_error} is a view and is being "
        "modified inplace. This view was created inside a custom Function (or because an "
        "input was returned as-is) and the autograd logic to handle view+inplace would "
        "override the custom backward associated with the custom Function, leading to "
        "incorrect gradients. This behavior is forbidden. You can fix this by cloning the "
        "output of the custom Function.")


def _writable(array) -> bool:
    """Whether writing `array` elementwise is safe: numpy's flag (broadcast views are read
    only); CuPy arrays have no such flag, so no stride-0 dimension over several elements."""
    flags = array.flags
    if hasattr(flags, "writeable"):
        return flags.writeable
    return not any(s == 0 and n > 1 for s, n in zip(array.strides, array.shape))


def write_result(self: Tensor, result_array, result_dtype) -> None:
    """Copy `result_array` into `self`'s storage, refusing casts PyTorch refuses."""
    target = self.dtype
    if not _dt.can_cast(result_dtype, target):
        raise RuntimeError(f"result type {_legacy_name(result_dtype)} can't be cast to the "
                           f"desired output type {_legacy_name(target)}")
    if not _writable(self._data):
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")
    if result_array.shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the "
                           f"broadcast shape {list(result_array.shape)}")
    self._data[...] = result_array


def _legacy_name(d) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "complex64": "ComplexFloat",
            "complex128": "ComplexDouble"}[d.name]


def apply_inplace(self: Tensor, fn, *args) -> Tensor:
    """Run `fn(self, *args)` (an out-of-place op) and store its result in `self`."""
    recording = check_inplace(self, *args)
    if not recording:
        with grad_mode.no_grad():
            out = fn(self, *args)
        write_result(self, out._data, out.dtype)
        bump(self)
        return self
    old = _wrap(self._data.copy(), self._requires_grad)   # the values before the write
    old.grad_fn, old._output_nr = self.grad_fn, self._output_nr
    if old.grad_fn is None and old._requires_grad:
        old._accumulator = self._get_accumulator()
    out = fn(old, *args)
    write_result(self, out._data, out.dtype)
    bump(self)
    if self._base is None:
        self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
        self._requires_grad = out._requires_grad
    else:
        _rebase_view(self, out, _edge(old))
    return self


class CopySlices(Node):
    """The base of a view written in place (PyTorch's node of that name).

    `fn` is the node of the op applied to the view's old values, when that op took them as
    its first input (as every in-place op does): CopySlices then runs `fn` on the gradient of
    the view's region, writes fn's gradient for the old values back into that region of the
    base's gradient and passes fn's other gradients on, so its edges are the base's history
    followed by fn's other inputs (PyTorch's `next_functions`). Without such an `fn` (a
    composite op), the region's gradient goes whole to the node that made the new values.
    """

    _qualified_name = "torch::autograd::CopySlices"

    def __init__(self, view_fn, view_dtype, order=None, fn=None):
        super().__init__()
        self._view_fn = view_fn
        self._view_dtype = view_dtype
        self._order = order   # the base's memory layout: view_fn may need it (a reshape view)
        self._fn = fn

    def apply(self, grads):
        g = grads[0]
        g_base = _relaid(g, self._order)
        region = self._view_fn(g_base)
        g_view = region.astype(self._view_dtype, copy=True)
        fn = self._fn
        if fn is None:
            region[...] = 0
            return (g_base, g_view)
        res = fn.apply((g_view,))
        if res[0] is None:
            region[...] = 0
        else:
            region[...] = res[0]
        return (g_base,) + tuple(res[1:])

    def _release(self) -> None:
        if self._fn is not None:
            self._fn._release()


class AsStridedBackward0(Node):
    """A view whose base was rewritten: its gradient lands in its region of the base."""

    def __init__(self, view_fn, base_shape, base_dtype, order=None):
        super().__init__()
        self._view_fn = view_fn
        self._base_meta = (base_shape, base_dtype)
        self._order = order

    def apply(self, grads):
        from .._tensor_helpers import zeros_like_array
        g = grads[0]
        z = zeros_like_array(g, *self._base_meta)
        if self._order is not None:
            z = _relaid(z, self._order)
        self._view_fn(z)[...] += g
        return (z,)


def _stride_order(array):
    """None for a C-contiguous array, else its dims by decreasing stride (its memory layout)."""
    if array.flags.c_contiguous:
        return None
    return tuple(sorted(range(array.ndim), key=lambda d: -abs(array.strides[d])))


def _relaid(array, order):
    """A copy of `array` laid out like the base (`order` from _stride_order; None: C order).

    A view_fn that reshapes without copying only works on an array with the base's layout.
    """
    if order is None:
        return array.copy()
    inverse = tuple(sorted(range(len(order)), key=order.__getitem__))
    return array.transpose(order).copy().transpose(inverse)


def _rebase_view(view: Tensor, out: Tensor, old_edge) -> None:
    """`view` now holds `out`'s values: its base continues from a CopySlices node."""
    base = view._base
    order = _stride_order(base._data)
    fn = out.grad_fn
    if fn is not None and fn._n_outputs == 1 and fn._output_meta is None \
            and fn._edges and fn._edges[0] == old_edge:
        copy = CopySlices(view._view_fn, out._data.dtype, order, fn)
        copy._edges = (_edge(base),) + tuple(fn._edges[1:])
    else:
        copy = CopySlices(view._view_fn, out._data.dtype, order)
        copy._edges = (_edge(base), (out.grad_fn, out._output_nr))
    base.grad_fn, base._output_nr, base._requires_grad = copy, 0, True
    node = AsStridedBackward0(view._view_fn, base._data.shape, base._data.dtype, order)
    node._edges = ((copy, 0),)
    view.grad_fn, view._output_nr, view._requires_grad = node, 0, True
