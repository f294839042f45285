"""Grids and index sets: meshgrid, cartesian_prod, combinations, tril/triu_indices,
block_diag and vander.

meshgrid gives broadcast views (ExpandBackward0, as PyTorch); cartesian_prod and
combinations pick elements of their input (gradients flow back to the picked elements);
block_diag is a copy (each block's gradient is its slice of the output's); vander is built
as PyTorch builds it, from a cumulative product, whose gradient is exact at zeros.
"""
from __future__ import annotations

import itertools
import numbers

import numpy as np

from .._user_warning import warn_user
from .. import dtypes as _dt
from ..autograd.function import ArrayFunction, _device_mismatch
from ..creation import _backend, _finish, ones
from ..tensor import Tensor, _wrap
from ._reduce_util import _type_name
from ._util import check_tensor, xp_of
from .joining import _tensor_list, stack
from .registry import op
from .scan import cumprod
from .scatter_gather import index_select
from .shape import expand, flip
from .views import reshape, unsqueeze


# ------------------------------------------------------------------ meshgrid
_MESHGRID_WARNED = [False]   # PyTorch warns once per process (TORCH_WARN_ONCE)
_MESHGRID_WARNING = ("torch.meshgrid: in an upcoming release, it will be required to pass the "
                     "indexing argument.")


@op("meshgrid")
def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids of 0-D/1-D tensors: grid i varies along dim i ('ij') or, for the first
    two, along dims 1 and 0 ('xy', cartesian). Each grid is a broadcast view of its input.

        >>> xs, ys = torch.meshgrid(torch.arange(3), torch.arange(2), indexing='ij')
        >>> xs.shape
        torch.Size([3, 2])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    tensors = _tensor_list(list(tensors), "meshgrid")
    if indexing is None:
        if not _MESHGRID_WARNED[0]:
            _MESHGRID_WARNED[0] = True
            warn_user(_MESHGRID_WARNING, UserWarning)
        indexing = "ij"
    return _meshgrid(tensors, indexing)


def _meshgrid(tensors: list, indexing: str) -> tuple:
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for a, b in zip(tensors, tensors[1:]):
        if a.dtype != b.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if type(a._data) is not type(b._data):
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    if not isinstance(indexing, str):
        raise TypeError(f"meshgrid(): argument 'indexing' must be str, not "
                        f"{type(indexing).__name__}")
    if indexing not in ("xy", "ij"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    swap = indexing == "xy" and len(tensors) >= 2
    order = list(tensors)
    if swap:
        order[0], order[1] = order[1], order[0]
    for t in order:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: a {t._data.ndim}-D tensor of shape {list(t.shape)}")
    shape = tuple(t._data.size for t in order)
    grids = []
    for i, t in enumerate(order):
        view_shape = [1] * len(order)
        view_shape[i] = -1
        grids.append(expand(reshape(t, view_shape), shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


# ------------------------------------------------------------------ cartesian_prod / combinations
def _index_on(like: Tensor, indices) -> Tensor:
    """An int64 index tensor (from a host array) on the device of `like`."""
    return _wrap(xp_of(like._data).asarray(np.ascontiguousarray(indices, np.int64)))


def _require_vector(t: Tensor) -> None:
    if t._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")


@op("cartesian_prod")
def cartesian_prod(*tensors) -> Tensor:
    """Every tuple of one element from each 1-D tensor (rows, in lexicographic order): the
    Cartesian product, as itertools.product. One tensor is returned as it is.

        >>> torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4])).tolist()
        [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    tensors = _tensor_list(list(tensors), "cartesian_prod")
    for t in tensors:
        _require_vector(t)
    if len(tensors) == 1:
        return tensors[0]
    grids = _meshgrid(tensors, "ij")
    return stack([reshape(g, -1) for g in grids], 1)


def _combination_indices(n: int, r: int, with_replacement: bool) -> np.ndarray:
    """The index tuples of the r-combinations of range(n), rows in lexicographic order."""
    if r == 2:
        rows, cols = np.triu_indices(n, 0 if with_replacement else 1)
        return np.stack([rows, cols], 1)
    pick = itertools.combinations_with_replacement if with_replacement \
        else itertools.combinations
    out = np.array(list(pick(range(n), r)), np.int64)
    return out.reshape(-1, r)


@op("combinations")
def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-length combinations of the elements of a 1-D tensor, one per row, in the order of
    itertools.combinations (with_replacement: combinations_with_replacement).

        >>> torch.combinations(torch.tensor([1, 2, 3])).tolist()
        [[1, 2], [1, 3], [2, 3]]
    """
    check_tensor(input, "input", "combinations")
    _require_vector(input)
    if isinstance(r, bool) or not isinstance(r, numbers.Integral):
        raise TypeError(f"combinations(): argument 'r' (position 2) must be int, not "
                        f"{type(r).__name__}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _wrap(xp_of(input._data).empty((0,), input._data.dtype))
    idx = _combination_indices(input._data.shape[0], int(r), bool(with_replacement))
    return stack([index_select(input, 0, _index_on(input, idx[:, k])) for k in range(r)], 1)


# ------------------------------------------------------------------ tril / triu indices
def _indices_args(fn: str, row, col, offset, dtype):
    for pos, (name, v) in enumerate((("row", row), ("col", col), ("offset", offset)), 1):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dt = _dt.int64 if dtype is None else _dt.to_dtype(dtype)
    if dt not in (_dt.int64, _dt.int32):
        raise NotImplementedError(f"\"{fn}\" not implemented for '{_type_name(dt)}'")
    return int(row), int(col), int(offset), dt


def _indices_tensor(rows, cols, dt, device, requires_grad) -> Tensor:
    host = np.stack([rows, cols]).astype(dt.np).reshape(2, -1)
    return _finish(_backend(device).xp.asarray(host), requires_grad)


@op("tril_indices")
def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None,
                 pin_memory=False, requires_grad=False) -> Tensor:
    """The (row, col) coordinates of the lower triangle of a row x col matrix (on and below
    diagonal `offset`), a 2 x N tensor in row-major order.

        >>> torch.tril_indices(2, 2).tolist()
        [[0, 1, 1], [0, 0, 1]]
    """
    row, col, offset, dt = _indices_args("tril_indices", row, col, offset, dtype)
    rows, cols = np.tril_indices(row, offset, col)
    return _indices_tensor(rows, cols, dt, device, requires_grad)


@op("triu_indices")
def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None,
                 pin_memory=False, requires_grad=False) -> Tensor:
    """The (row, col) coordinates of the upper triangle of a row x col matrix (on and above
    diagonal `offset`), a 2 x N tensor in row-major order."""
    row, col, offset, dt = _indices_args("triu_indices", row, col, offset, dtype)
    rows, cols = np.triu_indices(row, offset, col)
    return _indices_tensor(rows, cols, dt, device, requires_grad)


# ------------------------------------------------------------------ block_diag
class BlockDiag(ArrayFunction):
    """The inputs (0-D/1-D as one row) as blocks on the diagonal of a zero matrix."""

    @staticmethod
    def forward(ctx, npd, *tensors):
        blocks = [_as_block(t._data) for t in tensors]
        rows = sum(b.shape[0] for b in blocks)
        cols = sum(b.shape[1] for b in blocks)
        out = xp_of(blocks[0]).zeros((rows, cols), npd)
        r = c = 0
        for b in blocks:
            out[r:r + b.shape[0], c:c + b.shape[1]] = b
            r, c = r + b.shape[0], c + b.shape[1]
        ctx.meta = [(t._data.shape, t._data.dtype) for t in tensors]
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        grads, r, c = [], 0, 0
        for shape, dtype in ctx.meta:
            h, w = (shape[0], shape[1]) if len(shape) == 2 else (1, shape[0] if shape else 1)
            grads.append(g[r:r + h, c:c + w].reshape(shape).astype(dtype, copy=False))
            r, c = r + h, c + w
        return (None, *grads)

    @staticmethod
    def grad_formula(ctx, g):
        """backward with Tensor ops: each block's slice of g (recorded views)."""
        grads, r, c = [], 0, 0
        for shape, dtype in ctx.meta:
            h, w = (shape[0], shape[1]) if len(shape) == 2 else (1, shape[0] if shape else 1)
            block = g[r:r + h, c:c + w].reshape(shape)
            if block._data.dtype != dtype:
                block = block.real if block.is_complex() and dtype.kind != "c" else block
                block = block.to(_dt.from_numpy_dtype(dtype))
            grads.append(block)
            r, c = r + h, c + w
        return (None, *grads)


def _as_block(a):
    return a if a.ndim == 2 else a.reshape(1, -1)


@op("block_diag")
def block_diag(*tensors) -> Tensor:
    """A block-diagonal matrix of the inputs (0-D and 1-D inputs are one-row blocks), zeros
    elsewhere; dtypes promote as in arithmetic.

        >>> torch.block_diag(torch.tensor([[1, 2]]), torch.tensor(3)).tolist()
        [[1, 2, 0], [0, 0, 3]]
    """
    tensors = _tensor_list(list(tensors), "block_diag")
    if not tensors:
        return _wrap(np.zeros((1, 0), _dt.get_default_dtype().np))
    for i, t in enumerate(tensors):
        if type(t._data) is not type(tensors[0]._data):
            _device_mismatch(tensors[0], t)
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t._data.ndim} dimensions")
    return BlockDiag.apply(_dt.result_type(*tensors).np, *tensors)


# ------------------------------------------------------------------ vander
@op("vander")
def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D tensor: column j is x ** (N-1-j) (x ** j when
    `increasing`). Integer and bool input give int64, as PyTorch's cumprod does.

        >>> torch.vander(torch.tensor([1, 2, 3]), N=3).tolist()
        [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
    """
    check_tensor(x, "x", "vander")
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0]
    if N is not None:
        if isinstance(N, bool) or not isinstance(N, numbers.Integral):
            raise TypeError(f"vander(): argument 'N' (position 2) must be int, not "
                            f"{type(N).__name__}")
        if N < 0:
            raise RuntimeError("N must be non-negative.")
        n = int(N)
    dt = _dt.promote_types(x.dtype, _dt.int64)
    result = ones((x._data.shape[0], n), dtype=dt, device=x.device)
    if n > 1:
        powers = cumprod(expand(unsqueeze(x, 1), (x._data.shape[0], n - 1)), 1, dtype=dt)
        result[:, 1:] = powers
    return result if increasing else flip(result, (1,))
