"""In-place view methods: `t_`, `transpose_` (`swapaxes_`, `swapdims_`), `squeeze_`,
`unsqueeze_` (and `as_strided_`, ops/strided.py).

PyTorch changes the tensor's sizes and strides in place: the same Python object now shows
the view, still over the same storage. Here the view op is applied out of place and the
tensor adopts the result: its array, its graph node (when a graph is recorded, so the
gradient is reshaped back through it) and, for a view, how it is seen from its base. Like any
in-place op it bumps the version counter and refuses a leaf that requires grad.
"""
from __future__ import annotations

from ..tensor import Tensor, keep_recorded_shape
from .inplace import bump, check_inplace
from .linalg import t
from .registry import method_of
from .views import squeeze, transpose, unsqueeze


def adopt_view(self: Tensor, make) -> Tensor:
    """`self` turned into the view `make(self)` in place."""
    recording = check_inplace(self)
    out = make(self)
    old_shape, self._data = self._data.shape, out._data
    if recording:
        self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
        self._requires_grad = out._requires_grad
    else:   # the graph still holds the old shape: gradients are checked against it
        keep_recorded_shape(self, old_shape)
    if self._base is not None:   # out is a view of the same base: seen from it the same way
        self._view_fn = out._view_fn
    bump(self)
    return self


@method_of("t", "t_")
def t_(self: Tensor) -> Tensor:
    """`self.t()` in place: a 2-D tensor's dims swapped (0-D and 1-D unchanged)."""
    if self.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{self.ndim}D")
    return adopt_view(self, t)


@method_of("transpose", "transpose_", "swapaxes_", "swapdims_")
def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    """`self.transpose(dim0, dim1)` in place."""
    return adopt_view(self, lambda x: transpose(x, dim0, dim1))


@method_of("squeeze", "squeeze_")
def squeeze_(self: Tensor, dim=None) -> Tensor:
    """`self.squeeze(dim)` in place."""
    return adopt_view(self, lambda x: squeeze(x, dim))


@method_of("unsqueeze", "unsqueeze_")
def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    """`self.unsqueeze(dim)` in place."""
    return adopt_view(self, lambda x: unsqueeze(x, dim))
