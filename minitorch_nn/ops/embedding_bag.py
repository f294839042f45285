"""F.embedding_bag: sums, means or maxima of bags of embedding rows, without materialising
the looked-up rows per bag.

    out = F.embedding_bag(torch.tensor([1, 2, 4, 5, 4, 3]), weight, torch.tensor([0, 3]),
                          mode="sum")   # bag 0 = rows 1, 2, 4; bag 1 = rows 5, 4, 3

A 1-D `input` is cut into bags at `offsets` (bag b = input[offsets[b]:offsets[b+1]], the last
to the end, or to offsets[-1] with include_last_offset); a 2-D input is one bag per row. Entries
equal to padding_idx are left out of their bag (and of a mean's count); an empty bag gives
zeros. per_sample_weights (mode="sum") scale each looked-up row. Every index and offset is
checked first, with PyTorch's errors, so nothing is read out of bounds.

Gradients: the weight gets each bag's output gradient scattered back to the bag's rows (scaled
by the sample weight, divided by the bag size for a mean, only to the row that gave each
maximum for "max"); per_sample_weights get <output gradient, row>. Half/bfloat16 weights are
computed in float32 and rounded once.

Deviation: entries after offsets[-1] with include_last_offset=True belong to no bag (PyTorch's
CPU kernel leaves them out of sums but counts them in means).
"""
from __future__ import annotations

import numpy as np

from .._user_warning import warn_user
from ..autograd import grad_mode
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import acc_dtype, compute_array, type_name
from ._util import xp_of
from .embedding import _renorm_
from .indexing import _ufunc_at
from .registry import op

_MODES = {"sum": 0, "mean": 1, "max": 2}


class EmbeddingBag(ArrayFunction):
    node_name = "EmbeddingBagBackward0"

    @staticmethod
    def forward(ctx, weight, indices, per_sample_weights, bag, num_bags, mode, padding_idx,
                scale_grad_by_freq):
        w = compute_array(weight._data)
        xp = xp_of(w)
        idx = indices._data.reshape(-1).astype(np.int64, copy=False)
        keep = bag >= 0
        if padding_idx is not None:
            keep &= idx != padding_idx
        pos = xp.nonzero(keep)[0]
        rows_idx, rows_bag = idx[pos], bag[pos]
        rows = w[rows_idx]
        psw = None
        if per_sample_weights is not None:
            psw = compute_array(per_sample_weights._data).reshape(-1)[pos]
            rows = rows * psw[:, None]
        counts = xp.bincount(rows_bag, minlength=num_bags)[:num_bags]
        dim = w.shape[1]
        winners = None
        if mode == "max":
            out = xp.full((num_bags, dim), -xp.inf, dtype=w.dtype)
            _ufunc_at("maximum", out, (rows_bag,), rows)
            out[counts == 0] = 0
            winners = _first_winners(xp, rows, rows_bag, out, num_bags)
        else:
            out = xp.zeros((num_bags, dim), dtype=w.dtype)
            _ufunc_at("add", out, (rows_bag,), rows)
            if mode == "mean":
                out /= xp.maximum(counts, 1)[:, None].astype(w.dtype)
        ctx.save_for_backward(indices)
        ctx.meta = (weight._data.shape, weight._data.dtype, pos, rows_bag, counts, mode,
                    winners, scale_grad_by_freq, psw, idx.size)
        ctx.raw_rows = w[rows_idx] if psw is not None else None
        return _wrap(out.astype(weight._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        shape, dtype, pos, rows_bag, counts, mode, winners, by_freq, psw, n = ctx.meta
        idx = ctx.saved_tensors[0]._data.reshape(-1).astype(np.int64, copy=False)
        g = compute_array(g)
        xp = xp_of(g)
        grad_w = xp.zeros(shape, dtype=acc_dtype(dtype))
        rows_idx = idx[pos]
        if mode == "max":
            _max_backward(xp, grad_w, g, winners, rows_idx, counts)
        else:
            contrib = g[rows_bag]
            if mode == "mean":
                contrib = contrib / xp.maximum(counts, 1)[rows_bag][:, None].astype(g.dtype)
            if psw is not None:
                contrib = contrib * psw[:, None]
            if by_freq:
                freq = xp.bincount(idx, minlength=shape[0])
                contrib = contrib / freq[rows_idx][:, None].astype(g.dtype)
            _ufunc_at("add", grad_w, (rows_idx,), contrib)
        grad_psw = None
        if psw is not None:
            grad_psw = xp.zeros(n, dtype=g.dtype)
            grad_psw[pos] = (g[rows_bag] * ctx.raw_rows).sum(1)
        return (grad_w.astype(dtype, copy=False), None,
                None if grad_psw is None else grad_psw.astype(dtype, copy=False),
                None, None, None, None, None)


def _first_winners(xp, rows, rows_bag, out, num_bags):
    """(num_bags, D): for each bag and feature, the position (in `rows`) of the first row
    holding the maximum; len(rows) where the bag is empty."""
    m = rows.shape[0]
    positions = xp.arange(m, dtype=np.int64)[:, None]
    hit = rows == out[rows_bag]
    candidates = xp.where(hit, positions, m)
    winners = xp.full(out.shape, m, dtype=np.int64)
    _ufunc_at("minimum", winners, (rows_bag,), candidates)
    return winners


def _max_backward(xp, grad_w, g, winners, rows_idx, counts):
    """Each bag's gradient goes to the row that gave the maximum, feature by feature."""
    filled = counts > 0
    if not bool(filled.any()):
        return
    win = winners[filled]                       # (B', D) positions into rows_idx
    cols = xp.broadcast_to(xp.arange(win.shape[1]), win.shape)
    _ufunc_at("add", grad_w, (rows_idx[win].reshape(-1), cols.reshape(-1)),
              g[filled].reshape(-1))


# ------------------------------------------------------------------ argument checks
def _check_index_dtype(t: Tensor, name: str) -> None:
    if t.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"Expected tensor for argument #1 '{name}' to have one of the "
                           f"following scalar types: Long, Int; but got "
                           f"torch.{type_name(t)}Tensor instead (while checking arguments for "
                           f"embedding_bag)")


def _check_weight(weight: Tensor, per_sample_weights: Tensor | None) -> None:
    if not weight.is_floating_point() or weight.is_complex():
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have one of the "
                           f"following scalar types: Half, BFloat16, Float, Double; but got "
                           f"torch.{type_name(weight)}Tensor instead (while checking "
                           f"arguments for embedding_bag)")
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have the same type as "
                           f"tensor for argument #1 'per_sample_weights'; but type "
                           f"torch.{type_name(weight)}Tensor does not equal "
                           f"torch.{type_name(per_sample_weights)}Tensor (while checking "
                           f"arguments for embedding_bag)")


def _check_indices(idx, num_weights: int) -> None:
    """PyTorch's error for the first index outside [0, num_weights)."""
    xp = xp_of(idx)
    bad = (idx < 0) | (idx >= num_weights)
    if idx.size and bool(bad.any()):
        first = int(xp.argmax(bad))
        raise RuntimeError(f"Index {first} of input takes value {int(idx[first])} which is "
                           f"not in the valid range [0, {num_weights})")


def _bag_of(offsets, n: int, include_last_offset: bool):
    """(bag id of each input position, -1 for none; number of bags), offsets checked."""
    xp = xp_of(offsets)
    off = offsets.astype(np.int64, copy=False)
    if include_last_offset and off.size < 1:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if off.size:
        first, last = int(off[0]), int(off[-1])
        if first != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                               f"mini-batch has to start from position 0. However, got "
                               f"{first}")
        if last > n:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but "
                               f"got offsets[-1] of {last}")
        if bool((off[1:] < off[:-1]).any()):
            raise RuntimeError("offsets has to be a monotonically non-decreasing sequence")
    starts = off[:-1] if include_last_offset else off
    end = int(off[-1]) if include_last_offset else n
    positions = xp.arange(n, dtype=np.int64)
    bag = xp.searchsorted(starts, positions, side="right").astype(np.int64) - 1
    bag[positions >= end] = -1
    return bag, int(starts.size)


def _bags(flat: Tensor, offsets, rows, width: int, include_last_offset: bool):
    """(bag id of each input position, number of bags)."""
    if offsets is None:   # 2-D input: `rows` bags of `width` entries
        xp = xp_of(flat._data)
        return xp.repeat(xp.arange(rows, dtype=np.int64), width), rows
    _check_index_dtype(offsets, "offsets")
    return _bag_of(offsets._data, flat.numel(), include_last_offset)


def _padding_index(padding_idx, num_weights: int):
    if padding_idx is None:
        return None
    if not -num_weights <= padding_idx < num_weights:
        raise RuntimeError(f"padding_idx must be within the number of embeddings, "
                           f"-{num_weights} through {num_weights - 1}, but got {padding_idx}")
    return padding_idx + num_weights if padding_idx < 0 else padding_idx


def _flatten_input(input: Tensor, offsets, per_sample_weights):
    """PyTorch's handling of 1-D (with offsets) and 2-D (fixed-size bags: offsets None,
    returned with the number of rows) input."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is "
                             f"treated is a mini-batch of fixed length sequences. However, "
                             f"found offsets of type {type(offsets)}")
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
        return input.reshape(-1), None, input.size(0), per_sample_weights
    if input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        return input, offsets, None, per_sample_weights
    raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                     f"{input.dim()}")


@op("embedding_bag", namespace="nn.functional")
def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """(num_bags, D): the sum, mean or max of the rows of `weight` in each bag of `input`
    (see the module docstring). `sparse=True` is accepted; the gradient stays dense."""
    if weight.dtype.name == "int64" and input.is_floating_point():
        warn_user("Argument order of nn.functional.embedding_bag was changed. Usage "
                  "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                  "`embedding_bag(input, weight, ...)`.")
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.size()) != tuple(per_sample_weights.size()):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) "
                         f"is not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    width = input.size(-1) if input.dim() == 2 else 0
    flat, offsets, rows, per_sample_weights = _flatten_input(input, offsets, per_sample_weights)
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    _check_index_dtype(flat, "indices")
    _check_weight(weight, per_sample_weights)
    bag, num_bags = _bags(flat, offsets, rows, width, include_last_offset)
    _check_indices(flat._data.reshape(-1), weight.size(0))
    pad = _padding_index(padding_idx, weight.size(0))
    if max_norm is not None:
        with grad_mode.no_grad():
            _renorm_(weight, flat, float(max_norm), float(norm_type))
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    return EmbeddingBag.apply(weight, flat, per_sample_weights, bag, num_bags, mode, pad,
                              bool(scale_grad_by_freq))
