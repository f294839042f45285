"""F.linear and F.bilinear: the affine maps behind nn.Linear and nn.Bilinear.

linear(x, W, b) = x @ W^T + b in one Function (PyTorch's node is AddmmBackward0, or
MmBackward0 without bias). Leading dims of x are flattened into rows, so every call is a single
BLAS matrix product forward and two in backward (grad_x = g @ W, grad_W = g^T @ x, no
transposed copies: BLAS reads transposed operands in place). torch.bilinear exists at top
level in PyTorch and F.bilinear is the same function (declared in both namespaces, `@op`,
ops/registry.py); linear is F-only.
"""
from __future__ import annotations

from math import prod

from ..autograd.function import ArrayFunction
from ..autograd.higher_order import sum_to
from ..tensor import Tensor, _inference, _wrap
from ._nn_util import broadcast_shape, type_name
from ._util import sum_to_shape, xp_of
from .linalg import _compute_dtype
from .registry import op
from .saved_factors import save_factors, saved_factor_tensors, saved_factors


class Addmm(ArrayFunction):
    """x (..., in) @ weight (out, in)^T + bias; rows of x flattened into one matrix."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        a = x._data
        w = weight._data
        rows = _rows(a)
        wide = _compute_dtype(rows)
        if wide is not None:          # float16/bfloat16 on numpy: multiplied in float32
            rows, w = rows.astype(wide), w.astype(wide)
        out = rows @ w.T if w.ndim == 2 else rows @ w
        if a.ndim != 2:
            out = out.reshape(a.shape[:-1] + w.shape[:-1])
        if bias is not None:
            out += bias._data
        if out.dtype != a.dtype:      # numpy multiplies bfloat16 in float32: round back once
            out = out.astype(a.dtype)
        save_factors(ctx, x, weight, 0, 1)   # x only if weight needs a gradient, and back
        ctx.bias_shape = None if bias is None else bias._data.shape
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        x, w = saved_factors(ctx)     # arrays, or the layout of one that was not saved
        wide = _compute_dtype(g)      # g has x's dtype and array type
        if wide is not None:          # as forward; the gradients are rounded back below
            g = g.astype(wide)
        needs = ctx.needs_input_grad
        n_rows = prod(x.shape[:-1])
        g2 = g.reshape(n_rows, w.shape[0] if w.ndim == 2 else 1) if g.ndim != 2 else g
        gx = gw = gb = None
        if needs[0]:                  # w was saved
            wa = w if wide is None else w.astype(wide)
            gx = g2 @ wa if w.ndim == 2 else g2 * wa
            if x.ndim != 2:
                gx = gx.reshape(x.shape)
        if needs[1]:                  # x was saved
            rows = _rows(x if wide is None else x.astype(wide))
            gw = g2.T @ rows if w.ndim == 2 else (g2 * rows).sum(axis=0)
        bias_shape = ctx.bias_shape
        if bias_shape is not None and needs[2]:
            if bias_shape == g2.shape[1:]:
                gb = g2.sum(axis=0)
            else:
                gb = sum_to_shape(g, bias_shape)
        if wide is not None:          # float16/bfloat16 gradients, as PyTorch's
            gx = None if gx is None else gx.astype(x.dtype)
            gw = None if gw is None else gw.astype(w.dtype)
            gb = None if gb is None else gb.astype(x.dtype)
        return gx, gw, gb

    @staticmethod
    def grad_formula(ctx, g):
        """The same products as Tensor ops: g @ W, g^T @ rows, g summed to bias."""
        from .products import matmul, mm
        x, weight = saved_factor_tensors(ctx)   # Tensors, or the layout of an unsaved one
        needs = ctx.needs_input_grad
        n_rows = prod(x.shape[:-1])
        g2 = g.reshape(n_rows, weight.shape[0] if weight.ndim == 2 else 1)
        gx = gw = gb = None
        if needs[0]:                  # weight was saved; x, weight and g share one dtype
            gx = (matmul(g2, weight) if weight.ndim == 2 else g2 * weight)
            gx = _as_dtype(gx.reshape(tuple(x.shape)), g.dtype)
        if needs[1]:                  # x was saved
            rows = x.reshape(n_rows, x.shape[-1])
            gw = mm(g2.transpose(0, 1), rows) if weight.ndim == 2 else (g2 * rows).sum(0)
            gw = _as_dtype(gw, g.dtype)
        if ctx.bias_shape is not None and needs[2]:
            gb = sum_to(g, tuple(ctx.bias_shape))
        return gx, gw, gb


def _as_dtype(t, dtype):
    return t if t.dtype == dtype else t.to(dtype)


def _rows(a):
    """a (..., in) as a matrix (rows, in); explicit sizes, so 0-size dims reshape too."""
    return a if a.ndim == 2 else a.reshape(prod(a.shape[:-1]), a.shape[-1])


class Mm(Addmm):
    """linear without bias (node MmBackward0, as PyTorch names it)."""


@op("linear", namespace="nn.functional")
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight^T + bias for input (..., in), weight (out, in), bias (out,)."""
    if weight.ndim > 2 or weight.ndim == 0:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{weight.ndim}D")
    in_features = weight.shape[-1]
    if input.ndim == 0 or input.shape[-1] != in_features:
        rows = 1 if input.ndim <= 1 else input.numel() // max(input.shape[-1], 1)
        cols = input.shape[-1] if input.ndim else 1
        w_shape = f"{in_features}x{weight.shape[0]}" if weight.ndim == 2 else f"{in_features}x1"
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
                           f"{w_shape})")
    if weight.dtype is not input.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{type_name(input)} and {type_name(weight)}")
    if weight._is_inference and not _inference.on:
        weight = _untracked(weight)
    if bias is not None:
        out_shape = tuple(input.shape[:-1]) + tuple(weight.shape[:-1])
        if not _expands_to(tuple(bias.shape), out_shape):
            raise RuntimeError(f"The expanded size of the tensor ({out_shape[-1]}) must match "
                               f"the existing size ({bias.shape[-1]}) at non-singleton "
                               f"dimension {len(out_shape) - 1}.  Target sizes: "
                               f"{list(out_shape)}.  Tensor sizes: {list(bias.shape)}")
        return Addmm.apply(input, weight, bias)
    return Mm.apply(input, weight, None)


def _untracked(weight: Tensor) -> Tensor:
    """An inference weight (a Linear built under `inference_mode`) used outside that mode,
    as PyTorch's linear sees it: it multiplies by `weight.t()`, and a view of an inference
    tensor made outside inference mode records nothing, so the weight gets no gradient
    (the bias and the input still do). A weight that needs no gradient is used as it is."""
    return weight.detach() if weight._requires_grad else weight


def _expands_to(shape: tuple, target: tuple) -> bool:
    """True when an array of `shape` broadcasts to `target` without changing it."""
    try:
        return broadcast_shape(shape, target) == target
    except RuntimeError:
        return False


class Bilinear(ArrayFunction):
    """y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]."""

    @staticmethod
    def forward(ctx, x1, x2, weight, bias):
        xp = xp_of(x1._data)
        out = xp.einsum("...i,oij,...j->...o", x1._data, weight._data, x2._data)
        if bias is not None:
            out = out + bias._data
        ctx.save_for_backward(x1, x2, weight)
        ctx.has_bias = bias is not None
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        x1, x2, weight = ctx.saved_tensors
        xp = xp_of(g)
        a, b, w = x1._data, x2._data, weight._data
        n = ctx.needs_input_grad
        g1 = xp.einsum("...o,oij,...j->...i", g, w, b) if n[0] else None
        g2 = xp.einsum("...o,oij,...i->...j", g, w, a) if n[1] else None
        gw = xp.einsum("no,ni,nj->oij", g.reshape(-1, g.shape[-1]), a.reshape(-1, a.shape[-1]),
                       b.reshape(-1, b.shape[-1])) if n[2] else None
        gb = g.reshape(-1, g.shape[-1]).sum(axis=0) if ctx.has_bias and n[3] else None
        return g1, g2, gw, gb

    @staticmethod
    def grad_formula(ctx, g):
        from .einsum import einsum
        x1, x2, weight = ctx.saved_tensors
        n = ctx.needs_input_grad
        g1 = einsum("...o,oij,...j->...i", g, weight, x2) if n[0] else None
        g2 = einsum("...o,oij,...i->...j", g, weight, x1) if n[1] else None
        gw = einsum("...o,...i,...j->oij", g, x1, x2) if n[2] else None
        gb = sum_to(g, (g.shape[-1],)) if ctx.has_bias and n[3] else None
        return g1, g2, gw, gb


# F.bilinear is torch.bilinear: the outer declaration names the function the torch declaration
# returns, autocast hook included (autocast=False: it is not hooked twice).
@op("bilinear", namespace="nn.functional", autocast=False)
@op("bilinear")
def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """Bilinear map of input1 (..., in1) and input2 (..., in2) by weight (out, in1, in2)."""
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-dimensional, got {weight.ndim}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    return Bilinear.apply(input1, input2, weight, bias)
