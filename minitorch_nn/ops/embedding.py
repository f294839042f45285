"""Embedding lookup (with padding_idx, max_norm, scale_grad_by_freq) and one_hot.

embedding(input, weight) gathers rows of `weight` (V, D) at the integer indices `input`; its
weight gradient scatter-adds the output-gradient rows back (kernels/cpu/embedding.py on CPU
float32/float64, `xp.add.at` otherwise), leaving the padding_idx row at zero. torch.embedding
(weight first, as in PyTorch) is declared in namespace "torch"; F.embedding is `embedding_f`
and F.one_hot `one_hot`, declared in "nn.functional" (`@op`, ops/registry.py).
"""
from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import kernel_for
from ._util import xp_of
from .inplace import bump
from .registry import op

_EMBEDDING = ("embedding.embedding_bwd",)


class Embedding(ArrayFunction):
    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        w = weight._data
        idx = indices._data
        xp = xp_of(w)
        if idx.size:
            bad = (idx < 0) | (idx >= w.shape[0])
            if bool(bad.any()):
                if w.shape[1] == 0:   # PyTorch's message for an empty row (its take path)
                    first = int(idx.reshape(-1)[int(bad.reshape(-1).argmax())])
                    raise RuntimeError(f"INDICES element is out of DATA bounds, id={first} "
                                       f"axis_dim={w.shape[0]}")
                raise IndexError("index out of range in self")
        # The indices are saved as a tensor (version-checked, as PyTorch does): an in-place
        # edit of them before backward raises PyTorch's error instead of scattering into
        # rows that were never checked.
        ctx.save_for_backward(indices)
        ctx.meta = (w.shape, padding_idx, scale_grad_by_freq)
        return _wrap(xp.take(w, idx, axis=0))

    @staticmethod
    def backward(ctx, g):
        idx = ctx.saved_tensors[0]._data
        shape, padding_idx, by_freq = ctx.meta
        flat = idx.reshape(-1).astype(np.int64, copy=False)
        rows = g.reshape(flat.size, shape[1])   # (M, D), also when D == 0
        xp = xp_of(g)
        if by_freq:
            counts = xp.bincount(flat, minlength=shape[0])
            rows = rows / counts[flat][:, None].astype(rows.dtype)
        kernel = kernel_for(rows, "embedding", "embedding_bwd")
        if kernel is not None:
            out = xp.zeros(shape, rows.dtype)
            kernel(xp.ascontiguousarray(flat), xp.ascontiguousarray(rows), out,
                   -1 if padding_idx is None else padding_idx)
            return out, None, None, None
        out = xp.zeros(shape, rows.dtype)
        xp.add.at(out, flat, rows)
        if padding_idx is not None:
            out[padding_idx] = 0
        return out, None, None, None

    @staticmethod
    def grad_formula(ctx, g):
        """The weight gradient as a WindowScatter of g's rows (linear in g; its own gradient
        gathers rows again). With scale_grad_by_freq the rows are divided by their index's
        count, also in the second derivative: the exact adjoint (PyTorch's double backward
        leaves that division out, so with repeated indices its second derivative is not the
        derivative of its first)."""
        from .pooling_windows import WindowScatter
        idx = ctx.saved_tensors[0]._data
        shape, padding_idx, by_freq = ctx.meta
        xp = xp_of(idx)
        flat = idx.reshape(-1).astype(np.int64, copy=False)
        rows = g.reshape(flat.size, shape[1])
        if by_freq:
            counts = xp.bincount(flat, minlength=shape[0])
            rows = rows / _wrap(counts[flat][:, None].astype(g._data.dtype))
        pos = flat[:, None] * shape[1] + xp.arange(shape[1], dtype=np.int64)
        valid = None if padding_idx is None else \
            xp.broadcast_to((flat != padding_idx)[:, None], pos.shape).reshape(1, -1, 1)
        gw = WindowScatter.apply(rows.reshape(1, -1), pos.reshape(1, -1, 1), valid,
                                 tuple(shape))
        return gw, None, None, None


def _check_indices(input: Tensor) -> None:
    if input.dtype.name not in ("int64", "int32"):
        legacy = {"float32": "Float", "float64": "Double", "float16": "Half", "bool": "Bool",
                  "bfloat16": "BFloat16", "int8": "Char", "int16": "Short", "uint8": "Byte"}
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got "
                           f"torch.{legacy.get(input.dtype.name, input.dtype.name)}Tensor "
                           f"instead (while checking arguments for embedding)")


def _renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """Rows of weight looked up by input with a norm above max_norm are scaled down, in place
    (PyTorch's embedding_renorm_: scale = max_norm / (norm + 1e-7))."""
    w = weight._data
    xp = xp_of(w)
    rows = xp.unique(input._data.reshape(-1))
    norms = (xp.abs(w[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    scale = (max_norm / (norms + 1e-7)).astype(w.dtype)
    w[rows[big]] *= scale[big][:, None]
    bump(weight)


@op("embedding", namespace="nn.functional", kernels=_EMBEDDING)
def embedding_f(input: Tensor, weight: Tensor, padding_idx: int | None = None,
                max_norm: float | None = None, norm_type: float = 2.0,
                scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """F.embedding: rows of `weight` at the indices in `input` (shape input.shape + (D,)).

    The padding_idx row gets no gradient; max_norm renormalizes the looked-up rows of weight
    in place first. `sparse=True` is accepted but the gradient is dense.
    """
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.size(0), "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.size(0), "Padding_idx must be within num_embeddings"
            padding_idx = weight.size(0) + padding_idx
    if max_norm is not None:
        with grad_mode.no_grad():
            _renorm_(weight, input, float(max_norm), float(norm_type))
    return embedding(weight, input, -1 if padding_idx is None else padding_idx,
                     scale_grad_by_freq, sparse)


@op("embedding", kernels=_EMBEDDING)
def embedding(weight: Tensor, indices: Tensor, padding_idx: int = -1,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """torch.embedding(weight, indices, padding_idx=-1, ...): the top-level form."""
    _check_indices(indices)
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    pad = None if padding_idx is None or padding_idx < 0 else int(padding_idx)
    return Embedding.apply(weight, indices, pad, bool(scale_grad_by_freq))


@op("one_hot", namespace="nn.functional")
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape tensor.shape + (num_classes,) with a 1 at each class index."""
    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    idx = tensor._data
    xp = xp_of(idx)
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size:
        if int(idx.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(idx.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (idx[..., None] == xp.arange(num_classes)).astype(np.int64)
    return _wrap(out)
