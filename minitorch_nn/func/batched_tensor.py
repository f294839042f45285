"""`BatchedTensor`: what a function under `vmap` sees in place of a vmapped input.

It holds `value`, a tensor whose dim 0 is the mapped (batch) dimension, and the `level` of
the vmap that made it (1 for the outermost running vmap, 2 for one nested inside it, ...).
It answers the *logical* metadata, the per-sample view (`shape`, `size()`, `dim()`,
`numel()`, `dtype`, ...), and every op on it goes to a batching rule or to the per-sample
fallback (batching_dispatch.py). It is deliberately not a Tensor subclass: code that does
not know it (an op reached without the registry's dispatch) fails loudly instead of
computing on the physical shape.

Nesting: `value` is a Tensor or a BatchedTensor of a lower level, so a tensor batched by two
vmaps is `BatchedTensor(BatchedTensor(t, 1), 2)` with `t` of shape `(B1, B2, *logical)`.
`to_base`/`from_base` convert between that and one plain tensor with a leading dim for each
level (the gradient transforms differentiate on it).
"""
from __future__ import annotations

import math

from ..tensor import Size, Tensor

__all__ = ["BatchedTensor", "Level", "LEVELS", "is_batched_at", "peel", "to_base",
           "from_base", "active_levels", "is_tensor_like"]


class Level:
    """One running vmap: its number, batch size and randomness mode."""

    __slots__ = ("level", "size", "randomness")

    def __init__(self, level: int, size: int, randomness: str):
        self.level, self.size, self.randomness = level, size, randomness


LEVELS: list[Level] = []   # the running vmaps, outermost first (LEVELS[i].level == i + 1)

_DATA_DEPENDENT = ("vmap: It looks like you're attempting to use a Tensor in some "
                   "data-dependent control flow. We don't support that yet, please shout over "
                   "at https://github.com/pytorch/functorch/issues/257 .")
_ITEM = ("vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
         "calling .item() on a Tensor, please try to rewrite what you're doing with other "
         "operations. If error is occurring somewhere inside PyTorch internals, please file a "
         "bug report.")


class NotBatchable(TypeError):
    """A BatchedTensor reached code that cannot take it (vmap may then rerun per sample)."""


class BatchedTensor:
    """A tensor batched along dim 0 of `value` at vmap level `level` (see the module doc)."""

    __slots__ = ("value", "level", "__weakref__")
    __array_priority__ = 1000          # NumPy defers to us instead of swallowing the object

    def __init__(self, value, level: int):
        self.value = value
        self.level = level

    @property
    def __class__(self):
        """`isinstance(bt, Tensor)` is True (as PyTorch's BatchedTensor is a Tensor), so code
        that checks for tensors takes it as one rather than as a Python scalar; `type(bt)`
        stays BatchedTensor, and any code reaching for the tensor's storage (`_data`) fails
        loudly."""
        return Tensor

    # ------------------------------------------------------------------ logical metadata
    @property
    def shape(self) -> Size:
        return Size(tuple(self.value.shape)[1:])

    def size(self, dim=None):
        shape = self.shape
        if dim is None:
            return shape
        n = len(shape)
        if not -n <= dim < max(n, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-max(n, 1)}, {max(n, 1) - 1}], but got {dim})")
        return shape[dim] if n else 1

    def dim(self) -> int:
        return self.value.dim() - 1

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self.value.dim() - 1

    def numel(self) -> int:
        return math.prod(self.shape)

    nelement = numel

    dtype = property(lambda self: self.value.dtype)
    device = property(lambda self: self.value.device)
    is_cuda = property(lambda self: self.value.is_cuda)
    layout = property(lambda self: self.value.layout)
    requires_grad = property(lambda self: self.value.requires_grad)
    grad_fn = property(lambda self: self.value.grad_fn)
    is_leaf = property(lambda self: self.value.is_leaf)

    def is_floating_point(self) -> bool:
        return self.value.is_floating_point()

    def is_complex(self) -> bool:
        return self.value.is_complex()

    def element_size(self) -> int:
        return self.value.element_size()

    def get_device(self) -> int:
        return self.value.get_device()

    # ------------------------------------------------------------------ plain methods
    def detach(self):
        return BatchedTensor(self.value.detach(), self.level)

    def requires_grad_(self, requires_grad: bool = True):
        self.value.requires_grad_(requires_grad)
        return self

    def __len__(self) -> int:
        if self.dim() == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        raise RuntimeError(_DATA_DEPENDENT)

    def item(self):
        raise RuntimeError(_ITEM)

    def tolist(self):
        raise RuntimeError(_ITEM.replace(".item()", ".tolist()"))

    def numpy(self, *args, **kwargs):
        raise RuntimeError("vmap: cannot call .numpy() on a BatchedTensor inside vmap")

    def __array__(self, *args, **kwargs):
        raise NotBatchable("vmap: a BatchedTensor cannot be converted to a NumPy array")

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"BatchedTensor(lvl={self.level}, bdim=0, value=\n{self.value!r}\n)"

    # `__getattr__` (Tensor methods -> batching rules) and the operators are set on the class
    # by batching_dispatch.py, which knows the registry's methods.


def is_tensor_like(x) -> bool:
    return isinstance(x, (Tensor, BatchedTensor))


def is_batched_at(x, level: int) -> bool:
    return type(x) is BatchedTensor and x.level == level


def peel(x):
    """(the plain tensor under all BatchedTensor wrappers, their levels ascending)."""
    levels = []
    while type(x) is BatchedTensor:
        levels.append(x.level)
        x = x.value
    return x, levels[::-1]


def active_levels() -> list:
    """The running vmap levels (a copy: a transform keeps the ones it started under)."""
    return list(LEVELS)


def to_base(x, levels) -> Tensor:
    """`x` as one plain tensor with a leading dim per level of `levels` (ascending), expanded
    (a view) along the levels at which `x` is not batched."""
    base, present = peel(x)
    if present == [lv.level for lv in levels]:
        return base
    if any(p not in {lv.level for lv in levels} for p in present):
        raise RuntimeError(f"vmap: a tensor batched at levels {present} escaped to a "
                           "transform that only sees the outer ones")
    view_shape, sizes = [], []
    it = iter(tuple(base.shape))
    for lv in levels:
        if lv.level in present:
            n = next(it)
            view_shape.append(n)
        else:
            view_shape.append(1)
            n = lv.size
        sizes.append(n)
    rest = tuple(it)
    return base.reshape(*view_shape, *rest).expand(*sizes, *rest)


def from_base(base, levels):
    """The inverse of `to_base`: wrap the leading dims of `base` as the levels' batch dims."""
    out = base
    for lv in levels:
        out = BatchedTensor(out, lv.level)
    return out
