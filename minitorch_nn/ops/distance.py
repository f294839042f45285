"""normalize, cosine_similarity, pairwise_distance: composites of norm, clamp and division.

They are written with other ops (as PyTorch writes them), so their gradients come from those
ops. torch.cosine_similarity and torch.pairwise_distance exist at top level in PyTorch and
F.* is the same function (declared in both namespaces, `@op`, ops/registry.py); normalize is
F-only. pdist (torch.pdist, F.pdist) is its own node, PdistBackward0, as in PyTorch.
"""
from __future__ import annotations

import math

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import broadcast_shape, type_name
from ._util import xp_of
from .registry import op


@op("normalize", namespace="nn.functional")
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    result = input / denom
    if out is not None:
        out.copy_(result.detach())
        return out
    return result


# F.cosine_similarity is torch.cosine_similarity: the outer declaration names the function the
# torch declaration returns, autocast hook included (autocast=False: it is not hooked twice).
@op("cosine_similarity", namespace="nn.functional", autocast=False)
@op("cosine_similarity")
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along dim (inputs broadcast)."""
    shape = broadcast_shape(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.expand(*shape), x2.expand(*shape)   # norms of the broadcast inputs (PyTorch)
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


@op("pairwise_distance", namespace="nn.functional", autocast=False)
@op("pairwise_distance")
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


def _pair_diffs(a):
    """(M, D) differences x[i] - x[j] for the pairs i < j in row-major (triu) order."""
    xp = xp_of(a)
    i, j = xp.triu_indices(a.shape[0], 1)
    return a[i] - a[j], i, j


def _pnorm_rows(xp, d, p: float):
    """The p-norm of each row of d (p = 0 counts non-zeros, p = inf takes max |d|)."""
    if d.shape[1] == 0:
        return xp.zeros(d.shape[0], d.dtype)
    if p == 0:
        return (d != 0).sum(1).astype(d.dtype)
    if math.isinf(p):
        return xp.abs(d).max(1)
    if p == 1:
        return xp.abs(d).sum(1)
    if p == 2:
        return xp.sqrt((d * d).sum(1))
    return (xp.abs(d) ** p).sum(1) ** (1.0 / p)


def _pdist_grad_diffs(xp, d, dist, g, p: float):
    """d dist / d diff times g, with ATen's conventions: 0 where dist == 0 (and where a
    component is 0 for p < 1); for p = inf only the components reaching the max."""
    dist, g = dist[:, None], g[:, None]
    zero = dist == 0
    if p == 0:
        return xp.zeros_like(d)
    if p == 1:
        return xp.sign(d) * g
    if math.isinf(p):
        return xp.sign(d) * (xp.abs(d) == dist) * g
    if p == 2:
        return xp.where(zero, 0.0, d * g / xp.where(zero, 1.0, dist))
    safe = xp.where(zero, 1.0, dist)
    if p < 2:
        bad = zero | ((d == 0) & (p < 1))
        return xp.where(bad, 0.0, xp.sign(d) * xp.abs(d) ** (p - 1) * g / safe ** (p - 1))
    return xp.where(zero, 0.0, d * xp.abs(d) ** (p - 2) * g / safe ** (p - 1))


class Pdist(ArrayFunction):
    node_name = "PdistBackward0"

    @staticmethod
    def forward(ctx, x, p):
        a = x._data
        d, _, _ = _pair_diffs(a)
        dist = _pnorm_rows(xp_of(a), d, p).astype(a.dtype, copy=False)
        ctx.save_for_backward(x)
        ctx.meta = (p, dist)
        return _wrap(dist)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        p, dist = ctx.meta
        a = x._data
        xp = xp_of(a)
        d, i, j = _pair_diffs(a)
        gd = _pdist_grad_diffs(xp, d, dist, g, p).astype(a.dtype, copy=False)
        n = a.shape[0]
        full = xp.zeros((n, n) + a.shape[1:], a.dtype)   # full[i, j] = gd, full[j, i] = -gd
        full[i, j] = gd
        full[j, i] = -gd
        return full.sum(1), None


@op("pdist", namespace="nn.functional", autocast=False)
@op("pdist")
def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distances between the rows of a 2-D input, pair (i, j) for i < j in
    row-major order: the upper triangle of cdist(input, input) without its diagonal."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if input.dtype.itemsize < 4:
        raise NotImplementedError(f'"pdist" not implemented for \'{type_name(input)}\'')
    return Pdist.apply(input, float(p))
