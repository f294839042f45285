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
from ..autograd import function as _function
from ..autograd.function import ArrayFunction, _edge
from ..autograd.graph import Node, SavedTensor
from ..autograd.higher_order import apply_with_graph
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
    if self._base is not None and self._view_version != self._version_counter.value:
        refresh_view(self)   # written through a sibling view or its base: current history
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

    def apply_graph(self, grads):
        """`apply` with Tensor gradients and recorded ops (create_graph=True): the region
        is taken and written back by differentiable ops, `fn` runs its own formula."""
        g = grads[0]
        region = _TakeRegion.apply(g, self._view_fn, self._order)
        if region._data.dtype != self._view_dtype:
            region = region.to(_dt.from_numpy_dtype(self._view_dtype))
        fn = self._fn
        if fn is None:
            return (_ReplaceRegion.apply(g, None, self._view_fn, self._order), region)
        res = apply_with_graph(fn, (region,))
        new = res[0]
        if new is not None and new._data.dtype != g._data.dtype:
            new = new.to(g.dtype)
        return (_ReplaceRegion.apply(g, new, self._view_fn, self._order),) + tuple(res[1:])

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

    def apply_graph(self, grads):
        from .._tensor_helpers import zeros_like_array
        g = grads[0]
        z = _wrap(zeros_like_array(g._data, *self._base_meta))
        return (_ReplaceRegion.apply(z, g, self._view_fn, self._order),)


class _TakeRegion(ArrayFunction):
    """`view_fn(x)` as a copy (the region of a base a view covers), differentiable: the
    create_graph form of CopySlices; `order` is the base's layout (_stride_order)."""

    @staticmethod
    def forward(ctx, x, view_fn, order):
        ctx.meta = (view_fn, order, x._data.shape, x._data.dtype)
        return _wrap(view_fn(_relaid(x._data, order)).copy())

    @staticmethod
    def backward(ctx, g):
        from .._tensor_helpers import zeros_like_array
        view_fn, order, shape, dtype = ctx.meta
        z = _relaid(zeros_like_array(g, shape, dtype), order)
        view_fn(z)[...] = g
        return z, None, None

    @staticmethod
    def grad_formula(ctx, g):
        from .._tensor_helpers import zeros_like_array
        view_fn, order, shape, dtype = ctx.meta
        z = _wrap(zeros_like_array(g._data, shape, dtype))
        return _ReplaceRegion.apply(z, g, view_fn, order), None, None


class _ReplaceRegion(ArrayFunction):
    """A copy of `x` with its region `view_fn` set to `new` (zero when `new` is None)."""

    @staticmethod
    def forward(ctx, x, new, view_fn, order):
        out = _relaid(x._data, order)
        region = view_fn(out)
        region[...] = 0 if new is None else new._data
        ctx.meta = (view_fn, order, region.shape, region.dtype)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        view_fn, order, _, _ = ctx.meta
        gx = gnew = None
        if ctx.needs_input_grad[1]:
            gnew = view_fn(_relaid(g, order)).copy()
        if ctx.needs_input_grad[0]:
            gx = _relaid(g, order)
            view_fn(gx)[...] = 0
        return gx, gnew, None, None

    @staticmethod
    def grad_formula(ctx, g):
        view_fn, order, _, _ = ctx.meta
        gx = gnew = None
        if ctx.needs_input_grad[1]:
            gnew = _TakeRegion.apply(g, view_fn, order)
        if ctx.needs_input_grad[0]:
            gx = _ReplaceRegion.apply(g, None, view_fn, order)
        return gx, gnew, None, None


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
        _save_outputs_on_view(fn, copy, view._view_fn, base._data, order)
    else:
        copy = CopySlices(view._view_fn, out._data.dtype, order)
        copy._edges = (_edge(base), (out.grad_fn, out._output_nr))
    base.grad_fn, base._output_nr, base._requires_grad = copy, 0, True
    _continue_from_base(view, copy, order)


def _continue_from_base(view: Tensor, base_node, order) -> None:
    """`view`'s history is now its region of its base's (node `base_node`)."""
    base = view._base
    node = AsStridedBackward0(view._view_fn, base._data.shape, base._data.dtype, order)
    node._edges = ((base_node, 0) if type(base_node) is not tuple else base_node,)
    view.grad_fn, view._output_nr, view._requires_grad = node, 0, True
    view._view_version = view._version_counter.value


def refresh_view(view: Tensor) -> None:
    """Give `view`, whose storage was written in place since its grad_fn was set (through its
    base or a sibling view), its base's current history (PyTorch regenerates the grad_fn of
    such a view the same way). A base that records no graph leaves the view as it is."""
    base = view._base
    if base._requires_grad:
        _continue_from_base(view, _edge(base), _stride_order(base._data))
    else:
        view._view_version = view._version_counter.value


_function._refresh_view = refresh_view


class _SavedOnView(SavedTensor):
    """An output saved by an op written in place into a view (`view.exp_()` saves its
    result). Under create_graph it unpacks as PyTorch's saved output of an in-place op on a
    view does: attached to the view's history (AsStridedBackward0 -> CopySlices), not to the
    op's node, which only CopySlices runs (and releases). The CopySlices is held weakly (no
    reference cycle); it is alive whenever its double backward unpacks this."""

    __slots__ = ("copy_ref", "view_meta")

    def unpack(self, owner=None):
        t = SavedTensor.unpack(self, owner)
        copy = self.copy_ref()
        if t.grad_fn is owner and owner is not None and copy is not None:
            node = AsStridedBackward0(*self.view_meta)
            node._edges = ((copy, 0),)
            t.grad_fn, t._output_nr = node, 0
        return t


def _save_outputs_on_view(fn, copy: CopySlices, view_fn, base_array, order) -> None:
    """Make the saved outputs of `fn` (run by `copy`) unpack on the view's history."""
    import weakref
    saved = getattr(fn, "_saved", ())
    if not any(type(x) is SavedTensor and x.output_nr is not None for x in saved):
        return
    ref = weakref.ref(copy)
    meta = (view_fn, base_array.shape, base_array.dtype, order)
    out = []
    for x in saved:
        if type(x) is SavedTensor and x.output_nr is not None:
            y = _SavedOnView.__new__(_SavedOnView)
            y.tensor, y.data, y.counter, y.version = x.tensor, x.data, x.counter, x.version
            y.output_nr, y.copy_ref, y.view_meta = x.output_nr, ref, meta
            x = y
        out.append(x)
    fn._saved = tuple(out)
