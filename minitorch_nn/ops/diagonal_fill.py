"""Tensor.fill_diagonal_: write a value on the main diagonal in place, as PyTorch does it:
the diagonal is an as_strided view of the tensor (stride = the sum of its strides) that is
filled; with `wrap=True` a tall matrix's diagonal restarts every width + 1 rows.
"""
from __future__ import annotations

from ..tensor import Tensor
from .registry import op
from .strided import as_strided, storage_offset_of


@op("fill_diagonal_", namespace="Tensor", methods=("fill_diagonal_",))
def fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Fill the main diagonal (all dims of a >2-D tensor must be equal) with `fill_value`.

        >>> torch.zeros(2, 3).fill_diagonal_(1.)
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    height, width = self.shape[0], self.shape[1]
    if self.ndim > 2 and any(n != height for n in self.shape[1:]):
        raise RuntimeError("all dimensions of input must be of equal length")
    offset = storage_offset_of(self._data)
    step = sum(self.stride())
    size = min(height, width)
    as_strided(self, (size,), (step,), offset).fill_(fill_value)
    if wrap and self.ndim == 2 and height > width + 1:
        rest = (self.numel() + width) // (width + 1) - size
        as_strided(self, (rest,), (step,), offset + self.stride(0) * (width + 1)) \
            .fill_(fill_value)
    return self
