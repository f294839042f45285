"""unravel_index: flat indices into a shape turned into one index tensor per dim (the
inverse of flattening), written as PyTorch writes it in torch/functional.py:
(indices // row-major strides) % shape, so out-of-range and negative indices wrap as there.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..tensor import Tensor, _wrap
from ._util import xp_of
from .registry import op


def _shape_argument(shape) -> tuple:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    elif not isinstance(shape, Sequence):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got "
                        f"{type(shape)}")
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"expected 'shape' sequence to only contain ints, but got {shape}")
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    return shape


@op("unravel_index")
def unravel_index(indices: Tensor, shape) -> tuple:
    """The coordinates in a tensor of `shape` of each flat index: one int64 tensor per dim.

        >>> torch.unravel_index(torch.tensor([4, 7]), (2, 4))
        (tensor([1, 1]), tensor([0, 3]))
    """
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a tensor, but got {type(indices)}")
    if indices.dtype.kind != 1:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = _shape_argument(shape)
    if 0 in shape:
        raise RuntimeError("ZeroDivisionError")
    a = indices._data.astype(np.int64)
    xp = xp_of(a)
    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    return tuple(_wrap(xp.floor_divide(a, s) % n) for s, n in zip(strides, shape))
