"""3-D convolutions: conv3d and conv_transpose3d (stride, padding incl. 'same'/'valid',
dilation, groups, bias, output_padding), with gradients for input, weight and bias.

How: the 2-D scheme of ops/convolution.py one axis up. `_im2col3d` lays every (kd, kh, kw)
receptive field out as a column, cols[c*kd*kh*kw + (a*kh + i)*kw + j, ((n*OD + od)*OH + oh)*OW +
ow], with kd*kh*kw strided slice copies of a zero-padded frame (`xp` code, so one body serves
NumPy and CuPy); the convolution is then one BLAS product per group (`_grouped`), and `_col2im3d`
(the adjoint) adds columns back onto the input. A transposed convolution runs the same pair the
other way round. Argument handling, checks and messages are convolution.py's (`_conv_nd`,
`_conv_transpose_nd`), which apply the `Convolution3D` Function registered here for 3 dims.

Dtypes as PyTorch's CPU backends: conv3d takes every integer type (not bool), conv_transpose3d
floating types and int64; float16/bfloat16 compute in float32 and round once.
"""
from __future__ import annotations

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array, type_name
from ._conv_transpose_weight_grad import skips_padding_taps, weight_grad_in_range
from ._im2col3d import _col2im3d, _im2col3d
from .convolution import (_FUNCTIONS, _batch_first, _channels_first, _conv_grad_formula,
                          _conv_nd, _conv_transpose_nd, _empty_output_grads, _grouped)
from .registry import op


# ------------------------------------------------------------------ the Function
class Convolution3D(ArrayFunction):
    """3-D convolution or transposed convolution of (N, C, D, H, W) arrays; `geom` as
    convolution.Convolution's (stride, pad, dilation, out_dhw, groups, transposed)."""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, input, weight, bias, geom):
        stride, pad, dil, out, groups, transposed = geom
        x = compute_array(input._data)
        w = compute_array(weight._data)
        k, n = tuple(w.shape[2:]), x.shape[0]
        if not transposed:
            cols = _im2col3d(x, k, stride, pad, dil, out)
            result = _grouped(w.reshape(w.shape[0], -1), cols, groups)
            if bias is not None:
                result += compute_array(bias._data).reshape(-1, 1)
            result = _batch_first(result, n, out)
        else:
            c_out = w.shape[1] * groups
            cols = _grouped(w.reshape(x.shape[1], -1), _channels_first(x), groups,
                            trans_a=True)
            result = _col2im3d(cols, (n, c_out) + tuple(out), k, stride, pad, dil,
                               x.shape[2:])
            if bias is not None:
                result += compute_array(bias._data).reshape(1, -1, 1, 1, 1)
        ctx.save_for_backward(input, weight)
        ctx.geom, ctx.has_bias = geom, bias is not None
        return _wrap(result.astype(input._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        input, weight = ctx.saved_tensors
        stride, pad, dil, out, groups, transposed = ctx.geom
        x = compute_array(input._data)
        w = compute_array(weight._data)
        g = compute_array(g)
        k, n = tuple(w.shape[2:]), x.shape[0]
        needs = ctx.needs_input_grad
        if g.size == 0:
            return _empty_output_grads(ctx, x, w, g, input._data.dtype)
        gx = gw = gb = None
        if not transposed:
            gmat = _channels_first(g)                       # (O, N*OD*OH*OW)
            if needs[0]:
                gcols = _grouped(w.reshape(w.shape[0], -1), gmat, groups, trans_a=True)
                gx = _col2im3d(gcols, x.shape, k, stride, pad, dil, out)
            if needs[1]:
                cols = _im2col3d(x, k, stride, pad, dil, out)
                gw = _grouped(gmat, cols, groups, trans_b=True).reshape(w.shape)
        else:
            gcols = _im2col3d(g, k, stride, pad, dil, x.shape[2:])   # (Cout*k, N*D*H*W)
            if needs[0]:
                gx = _batch_first(_grouped(w.reshape(w.shape[0], -1), gcols, groups), n,
                                  x.shape[2:])
            if needs[1] and skips_padding_taps(input, weight, x, ctx.geom):   # inf/NaN in x
                gw = weight_grad_in_range(x, gcols, lambda a: _im2col3d(
                    a, k, stride, pad, dil, x.shape[2:]), ctx.geom, w.shape)
            elif needs[1]:
                gw = _grouped(_channels_first(x), gcols, groups, trans_b=True).reshape(w.shape)
        if ctx.has_bias and needs[2]:
            gb = g.sum(axis=(0, 2, 3, 4))
        dtype = input._data.dtype
        return tuple(None if a is None else a.astype(dtype, copy=False) for a in (gx, gw, gb)) \
            + (None,)

    @staticmethod
    def grad_formula(ctx, g):
        return _conv_grad_formula(Convolution3D, ctx, g)


_FUNCTIONS[3] = Convolution3D


def _check_dtype(input, weight, transposed: bool) -> None:
    """PyTorch's CPU dtype gates (slow_conv3d: no bool; slow_conv_transpose3d: float, int64)."""
    for t in (input, weight):
        if not isinstance(t, Tensor) or t.is_floating_point() or t.is_complex():
            continue
        if transposed and t.dtype.name != "int64":
            raise NotImplementedError(f'"slow_conv_transpose3d_out_cpu" not implemented for '
                                      f"'{type_name(t)}'")
        if not transposed and t.dtype.name == "bool":
            raise NotImplementedError(f'"compute_columns3d" not implemented for '
                                      f"'{type_name(t)}'")
        return


# ------------------------------------------------------------------ declarations
@op("conv3d", namespace="nn.functional", autocast=False)
@op("conv3d")
def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution of (N, C, D, H, W) or (C, D, H, W) input with weight
    (O, C/groups, kd, kh, kw)."""
    _check_dtype(input, weight, False)
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


@op("conv_transpose3d", namespace="nn.functional", autocast=False)
@op("conv_transpose3d")
def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 3-D convolution (the input gradient of conv3d); weight
    (C_in, C_out/groups, kd, kh, kw)."""
    _check_dtype(input, weight, True)
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 3, "conv_transpose3d")
