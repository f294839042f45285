"""as_strided: a view given by explicit sizes, strides and storage offset (PyTorch's escape
hatch under every view op), and `Tensor.new_empty_strided`.

A tensor's storage here is the memory of the array that owns its buffer (found through the
`.base` chain of numpy/CuPy views). `as_strided` reads that storage as a flat array of the
tensor's dtype and lays the view over it; before it does, it checks that the furthest element
the view can reach lies inside the storage (PyTorch's "setStorage ... out of bounds" error),
so a view can never read past the buffer.

The gradient goes back through the storage: each output element's gradient is added at its
storage position (overlapping windows add up), and the input reads its elements from there;
an input whose own elements overlap (an expanded tensor) gets each shared position's
gradient divided by how many of its elements alias it, as PyTorch's as_strided_backward does.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction
from ..autograd.higher_order import linear_formula
from ..tensor import Tensor, _view_of
from ._util import check_tensor, xp_of
from .registry import method_of, op


# ------------------------------------------------------------------ storage of an array
def _root(a):
    """The array that owns `a`'s memory (follows numpy's as_strided DummyArray too)."""
    root, base = a, a.base
    while base is not None:
        if isinstance(base, type(a)):
            root = base
        base = getattr(base, "base", None)
    return root


def _address(a) -> int:
    if isinstance(a, np.ndarray):
        return a.__array_interface__["data"][0]
    return a.data.ptr


def _dense_flat(root):
    """`root`'s elements in memory order as a 1-D view, or None when they leave gaps (a
    C-, F- or otherwise permuted dense layout, like numpy's results on transposed inputs)."""
    if root.flags.c_contiguous or root.flags.f_contiguous:
        return root.ravel(order="K")
    order = sorted(range(root.ndim), key=lambda d: -root.strides[d])
    permuted = root.transpose(order)
    return permuted.reshape(-1) if permuted.flags.c_contiguous else None


def _storage(a):
    """(flat, start): a writable 1-D array of `a`'s dtype over `a`'s whole storage, and the
    position of `a`'s first element in it."""
    root = _root(a)
    dense = _dense_flat(root)
    if dense is None:   # an owner that is itself strided: only the array's own elements
        root, dense = a, _dense_flat(a)
    if dense is None:
        raise RuntimeError("as_strided: the storage of this tensor cannot be located; call "
                           ".contiguous() first")
    raw = dense.view(np.uint8)
    item = a.itemsize
    flat = raw[:raw.size // item * item].view(a.dtype)
    return flat, (_address(a) - _address(dense)) // item


def storage_offset_of(a) -> int:
    """Where `a`'s first element sits in its storage, in elements (as_strided's default)."""
    return _storage(a)[1]


def _element_strides(a) -> tuple:
    return tuple(s // a.itemsize for s in a.strides)


def strided_view(a, size: tuple, stride: tuple, offset: int):
    """The view of `a`'s storage with `size`, `stride` (in elements) and storage `offset`.
    On the CPU it is built over the storage's bytes, so its `.base` leads to the storage
    (Tensor.storage_offset() reads it)."""
    flat, _ = _storage(a)
    if 0 not in size and offset + sum((n - 1) * s for n, s in zip(size, stride)) >= flat.size:
        raise RuntimeError("as_strided: the view does not fit in this storage")
    item = a.itemsize
    byte_strides = tuple(s * item for s in stride)
    if isinstance(flat, np.ndarray):
        start = min(offset, flat.size) * item   # an empty view may start anywhere
        return np.ndarray(size, flat.dtype, buffer=flat.view(np.uint8), offset=start,
                          strides=byte_strides)
    return xp_of(a).lib.stride_tricks.as_strided(flat[offset:], size, byte_strides)


def _flat_positions(xp, size: tuple, stride: tuple, offset: int):
    """The storage position of every element of a (size, stride, offset) view."""
    pos = xp.full(size, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[d] = n
        pos = pos + (xp.arange(n, dtype=np.int64) * s).reshape(shape)
    return pos


def _scatter_add(xp, positions, values, length: int):
    """Sum `values` into a zero array of `length` at `positions` (complex in two parts)."""
    pos = positions.ravel()
    vals = values.ravel()
    if vals.dtype.kind == "c":
        return (xp.bincount(pos, weights=vals.real, minlength=length)
                + 1j * xp.bincount(pos, weights=vals.imag, minlength=length)).astype(vals.dtype)
    return xp.bincount(pos, weights=vals, minlength=length).astype(vals.dtype)


# ------------------------------------------------------------------ the op
class AsStrided(ArrayFunction):
    """A (size, stride, offset) view of the input's storage (AsStridedBackward0)."""

    @staticmethod
    def forward(ctx, x, size, stride, offset):
        _, start = _storage(x._data)
        ctx.geometry = (x._data.shape, _element_strides(x._data), start, size, stride, offset)
        delta = offset - start   # the view relative to x, so view_fn works on any copy of x

        def fn(a):
            return strided_view(a, size, stride, _storage(a)[1] + delta)
        return _view_of(x, strided_view(x._data, size, stride, offset), fn)

    @staticmethod
    def backward(ctx, g):
        in_size, in_stride, in_offset, size, stride, offset = ctx.geometry
        xp = xp_of(g)
        out_pos = _flat_positions(xp, size, stride, offset)
        in_pos = _flat_positions(xp, in_size, in_stride, in_offset)
        lo = min(offset, in_offset)
        length = 1 + max(int(out_pos.max()) if out_pos.size else lo,
                         int(in_pos.max()) if in_pos.size else lo) - lo
        storage = _scatter_add(xp, out_pos - lo, g, length)
        grad = storage[in_pos - lo]
        counts = xp.bincount((in_pos - lo).ravel(), minlength=length)
        if in_pos.size and int(counts.max()) > 1:   # the input aliases itself (expanded)
            grad = grad / counts[in_pos - lo]
        return grad.astype(g.dtype, copy=False), None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        _, _, _, size, stride, offset = ctx.geometry
        return (linear_formula(ctx, g, lambda t: as_strided(t, size, stride, offset)),
                None, None, None)


def _int_list(value, fn: str, name: str, position: int) -> tuple:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),)
    if isinstance(value, (tuple, list)) and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        return tuple(int(v) for v in value)
    raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be tuple of ints, "
                    f"not {type(value).__name__}")


def _check_geometry(x: Tensor, size: tuple, stride: tuple, offset: int,
                    storage_size: int | None = None) -> None:
    """PyTorch's checks: matching lengths, no negative size/stride, inside the storage (x's,
    or one of `storage_size` elements)."""
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, "
                           f"got strides: {list(stride)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if storage_size is None:
        storage_size = _storage(x._data)[0].size
    item = x._data.itemsize
    needed = 0 if 0 in size else 1 + offset + sum((n - 1) * s for n, s in zip(size, stride))
    if needed > storage_size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {item} requiring a storage size of "
                           f"{needed * item} are out of bounds for storage of size "
                           f"{storage_size * item}")


def _geometry(input: Tensor, size, stride, storage_offset, fn: str, clone: bool = False):
    """Checked (size, stride, offset) for `input`'s storage, or (`clone`) for the storage
    of a dense copy of it, whose offset starts at 0 (as_strided_scatter)."""
    check_tensor(input, "input", fn)
    size = _int_list(size, fn, "size", 2)
    stride = _int_list(stride, fn, "stride", 3)
    if storage_offset is None:
        offset = 0 if clone else _storage(input._data)[1]
    elif isinstance(storage_offset, (int, np.integer)) and not isinstance(storage_offset, bool):
        offset = int(storage_offset)
    else:
        raise TypeError(f"{fn}(): argument 'storage_offset' (position 4) must be int, not "
                        f"{type(storage_offset).__name__}")
    _check_geometry(input, size, stride, offset, input._data.size if clone else None)
    return size, stride, offset


@op("as_strided", methods=("as_strided",))
def as_strided(input: Tensor, size, stride, storage_offset=None) -> Tensor:
    """A view of `input`'s storage with the given sizes and strides (in elements), starting
    at `storage_offset` (default: input's own). Shares memory; never reads out of bounds.

        >>> torch.as_strided(torch.arange(6.), (2, 2), (1, 2))
        tensor([[0., 2.],
                [1., 3.]])
    """
    size, stride, offset = _geometry(input, size, stride, storage_offset, "as_strided")
    return AsStrided.apply(input, size, stride, offset)


@method_of("as_strided", "as_strided_", export=True)
def as_strided_(self: Tensor, size, stride, storage_offset=None) -> Tensor:
    """`self` re-laid over its storage in place (its sizes, strides and offset change)."""
    from .inplace_views import adopt_view
    size, stride, offset = _geometry(self, size, stride, storage_offset, "as_strided_")
    return adopt_view(self, lambda t: AsStrided.apply(t, size, stride, offset))


@op("new_empty_strided", namespace="Tensor", methods=("new_empty_strided",))
def new_empty_strided(self: Tensor, size, stride, *, dtype=None, device=None,
                      requires_grad=False) -> Tensor:
    """An uninitialised tensor with `size` and `stride`, of self's dtype and device unless
    given: a strided view over a fresh storage just large enough for it."""
    from ..creation import empty
    size = _int_list(size, "new_empty_strided", "size", 1)
    stride = _int_list(stride, "new_empty_strided", "stride", 2)
    needed = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    storage = empty(needed, dtype=self.dtype if dtype is None else dtype,
                    device=self.device if device is None else device)
    _check_geometry(storage, size, stride, 0)
    out = AsStrided.apply(storage, size, stride, 0)
    return out.requires_grad_(True) if requires_grad else out
