"""Convolutions: conv1d, conv2d, conv_transpose1d, conv_transpose2d (stride, padding incl.
'same'/'valid', dilation, groups, bias, output_padding), with gradients for all three inputs.

How: im2col + BLAS. `im2col` lays every receptive field of the input out as a column
(kernels/cpu/conv.py on CPU float32/float64; strided slices with `xp` otherwise), the columns of
all samples side by side, so the convolution is one `weight (O, C*kh*kw) @ cols` product per
group, done by numpy's BLAS. Backward: grad_weight = grad_out @ cols^T, grad_cols = weight^T @
grad_out and `col2im` adds grad_cols back onto the input's positions. A transposed convolution
is the same pair run the other way round (its forward is a convolution's input gradient). 1-D
convolutions are 2-D ones with a height of 1.

One `Convolution` Function serves all of them (its node is ConvolutionBackward0, as in PyTorch).
torch.conv1d/conv2d/conv_transpose1d/conv_transpose2d exist at top level in PyTorch and F.* is
the same function: each is declared in both namespaces (`@op`, ops/registry.py).
"""
from __future__ import annotations

import numpy as np

from .._user_warning import warn_user
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor, _wrap
from ._conv_transpose_checks import check_transposed_output
from ._conv_transpose_weight_grad import skips_padding_taps, weight_grad_in_range
from ._im2col3d import _im2col3d
from ._nn_util import compute_array, kernel_for, type_name
from ._util import xp_of
from .registry import op


# ------------------------------------------------------------------ im2col / col2im
# Column layout (see kernels/cpu/conv.py): cols[c*kh*kw + i*kw + j, (n*OH + oh)*OW + ow], so
# all samples share one matrix and each product below is a single BLAS call.
def _im2col(x, kh, kw, stride, pad, dil, out_hw):
    """(N, C, H, W) → (C*kh*kw, N*OH*OW) columns; zero where a field reads padding."""
    n, c, h, w = x.shape
    oh, ow = out_hw
    xp = xp_of(x)
    if stride == (1, 1) and x.size:
        kernel = kernel_for(x, "conv", "im2col_s1")   # CPU only: contiguous runs
        if kernel is not None:
            cols = xp.empty((c * kh * kw, n * oh * ow), x.dtype)
            kernel(xp.ascontiguousarray(x), cols, kh, kw, pad[0], pad[1], dil[0], dil[1],
                   oh, ow)
            return cols
    kernel = kernel_for(x, "conv", "im2col")
    if kernel is not None:
        cols = xp.empty((c * kh * kw, n * oh * ow), x.dtype)
        kernel(xp.ascontiguousarray(x), cols, kh, kw, stride[0], stride[1], pad[0], pad[1],
               dil[0], dil[1], oh, ow)
        return cols
    padded = _padded(xp, x, kh, kw, stride, pad, dil, out_hw).transpose(1, 0, 2, 3)
    cols = xp.empty((c, kh, kw, n, oh, ow), x.dtype)
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * dil[0], j * dil[1]
            cols[:, i, j] = padded[:, :, r0:r0 + stride[0] * (oh - 1) + 1:stride[0],
                                   c0:c0 + stride[1] * (ow - 1) + 1:stride[1]]
    return cols.reshape(c * kh * kw, n * oh * ow)


def _padded(xp, x, kh, kw, stride, pad, dil, out_hw):
    """x inside a zero frame large enough for every field (top/left `pad`, rest as needed)."""
    n, c, h, w = x.shape
    need_h = (out_hw[0] - 1) * stride[0] + (kh - 1) * dil[0] + 1
    need_w = (out_hw[1] - 1) * stride[1] + (kw - 1) * dil[1] + 1
    big_h, big_w = max(need_h, pad[0] + h), max(need_w, pad[1] + w)
    padded = xp.zeros((n, c, big_h, big_w), x.dtype)
    padded[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w] = x
    return padded


def _col2im(cols, shape, kh, kw, stride, pad, dil, out_hw):
    """The adjoint of `_im2col`: sum columns (C*kh*kw, N*OH*OW) into an array of `shape`."""
    n, c, h, w = shape
    oh, ow = out_hw
    xp = xp_of(cols)
    if stride == (1, 1) and n * c * h * w:
        kernel = kernel_for(cols, "conv", "col2im_s1")   # CPU only; writes the whole output
        if kernel is not None:
            out = xp.empty(shape, cols.dtype)
            kernel(xp.ascontiguousarray(cols), out, kh, kw, pad[0], pad[1], dil[0], dil[1],
                   oh, ow)
            return out
    kernel = kernel_for(cols, "conv", "col2im")
    if kernel is not None:
        out = xp.zeros(shape, cols.dtype)
        kernel(xp.ascontiguousarray(cols), out, kh, kw, stride[0], stride[1], pad[0], pad[1],
               dil[0], dil[1], oh, ow)
        return out
    frame = _padded(xp, xp.zeros(shape, cols.dtype), kh, kw, stride, pad, dil, out_hw)
    cols6 = cols.reshape(c, kh, kw, n, oh, ow).transpose(3, 0, 1, 2, 4, 5)
    for i in range(kh):
        for j in range(kw):
            r0, c0 = i * dil[0], j * dil[1]
            frame[:, :, r0:r0 + stride[0] * (oh - 1) + 1:stride[0],
                  c0:c0 + stride[1] * (ow - 1) + 1:stride[1]] += cols6[:, :, i, j]
    return frame[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w]


def _channels_first(a):
    """(N, C, H, W) → (C, N*H*W) contiguous: the layout of the matrix products."""
    n, c = a.shape[0], a.shape[1]
    length = int(np.prod(a.shape[2:], dtype=np.int64))
    kernel = kernel_for(a, "conv", "nchw_to_gemm") if a.ndim == 4 else None
    if kernel is not None:
        out = np.empty((c, n * length), a.dtype)
        kernel(np.ascontiguousarray(a), out)
        return out
    xp = xp_of(a)
    return xp.ascontiguousarray(a.reshape(n, c, length).transpose(1, 0, 2)).reshape(
        c, n * length)


def _batch_first(m, n: int, spatial: tuple, bias=None):
    """(C, N*H*W) → (N, C, H, W) contiguous; with `bias` (C,), m + bias[:, None] (m may be
    changed in place)."""
    c = m.shape[0]
    kernel = kernel_for(m, "conv", "gemm_to_nchw") if len(spatial) == 2 else None
    if kernel is not None and (bias is None or bias.dtype == m.dtype):
        out = np.empty((n, c) + tuple(spatial), m.dtype)
        kernel(np.ascontiguousarray(m), np.empty(0, m.dtype) if bias is None else
               np.ascontiguousarray(bias), out)
        return out
    xp = xp_of(m)
    if bias is not None:
        m += bias.reshape(-1, 1)
    length = int(np.prod(spatial, dtype=np.int64))
    return xp.ascontiguousarray(m.reshape(c, n, length).transpose(1, 0, 2)).reshape(
        (n, c) + tuple(spatial))


# ------------------------------------------------------------------ grouped products
def _grouped(a, b, groups: int, trans_a: bool = False, trans_b: bool = False):
    """Block-diagonal product: group g multiplies a's g-th row block (or column block when
    trans_a) with b's g-th block; one BLAS call when groups == 1."""
    with np.errstate(invalid="ignore", over="ignore"):   # inf * 0: NaN, silently (PyTorch)
        return _grouped_products(a, b, groups, trans_a, trans_b)


def _grouped_products(a, b, groups: int, trans_a: bool, trans_b: bool):
    xp = xp_of(b)
    op_a = (lambda m: m.T) if trans_a else (lambda m: m)
    op_b = (lambda m: m.T) if trans_b else (lambda m: m)
    if groups == 1:
        if trans_b and not trans_a:
            if xp is np and _thin(a, b):
                return _summed_in_chunks(a, b)
            # grad_weight = g @ cols^T: BLAS is faster on the transposed problem (few rows in
            # g, many columns), and the small result is transposed back.
            return xp.ascontiguousarray((b @ a.T).T)
        return op_a(a) @ op_b(b)
    ra, rb = a.shape[0] // groups, b.shape[0] // groups
    blocks = [op_a(a[g * ra:(g + 1) * ra]) @ op_b(b[g * rb:(g + 1) * rb])
              for g in range(groups)]
    return xp.concatenate(blocks, axis=0)


# a @ b.T with few rows in a or b and a long shared dimension (the weight gradient of a
# first layer: 16 x 9 over N*OH*OW = 50176 columns) runs at a fraction of OpenBLAS's rate as
# one product (it splits the work over the short dimensions); in pieces of _CHUNK columns,
# summed in order, it is 3-4x faster (0.18 ms against 0.64 ms for that product).
_CHUNK = 4096


def _thin(a, b) -> bool:
    return min(a.shape[0], b.shape[0]) <= 16 and a.shape[1] > 2 * _CHUNK


def _summed_in_chunks(a, b):
    """a @ b.T as the sum of the products of consecutive column blocks of a and b."""
    out = a[:, :_CHUNK] @ b[:, :_CHUNK].T
    for start in range(_CHUNK, a.shape[1], _CHUNK):
        out += a[:, start:start + _CHUNK] @ b[:, start:start + _CHUNK].T
    return out


def _per_sample(g, cols, groups: int) -> bool:
    """Whether the weight gradient runs faster sample by sample from g's own (N, O, OH, OW)
    layout: numpy arrays, few rows or columns and a long product as for _thin, and images of
    at most _CHUNK positions (each sample's product is then a short one)."""
    n = g.shape[0]
    return (groups == 1 and type(g) is np.ndarray and type(cols) is np.ndarray
            and min(g.shape[1], cols.shape[0]) <= 16 and cols.shape[1] > 2 * _CHUNK
            and cols.shape[1] <= n * _CHUNK)


def _per_sample_products(g, cols):
    """g @ cols^T for g (N, O, OH, OW) as the sum over samples n of g[n] (O, OH*OW) @ (the
    columns of sample n)^T: one batched matmul (a BLAS call per sample, looped in C) and a
    sum, without g's transposed copy (W2's first layer: 0.16 ms against 0.29 ms)."""
    n, o = g.shape[0], g.shape[1]
    k, per = cols.shape[0], cols.shape[1] // n
    with np.errstate(invalid="ignore", over="ignore"):   # inf * 0: NaN, silently (PyTorch)
        return np.matmul(g.reshape(n, o, per),
                         cols.reshape(k, n, per).transpose(1, 2, 0)).sum(axis=0)


# ------------------------------------------------------------------ the Function
class Convolution(ArrayFunction):
    """2-D convolution or transposed convolution of (N, C, H, W) arrays.

    `geom` = (stride, pad, dilation, out_hw, groups, transposed): pad is the (top, left)
    padding; bottom/right padding is implied by out_hw (for 'same' with an even kernel).
    Shapes: conv weight (O, C/g, kh, kw), cols (C*kh*kw, N*OH*OW), out (O, N*OH*OW);
    transposed weight (Cin, Cout/g, kh, kw), cols (Cout*kh*kw, N*H*W).
    """

    @staticmethod
    def forward(ctx, input, weight, bias, geom):
        stride, pad, dil, out_hw, groups, transposed = geom
        x = compute_array(input._data)
        w = compute_array(weight._data)
        kh, kw = w.shape[2], w.shape[3]
        n = x.shape[0]
        needs = ctx.needs_input_grad
        if not transposed:
            cols = _im2col(x, kh, kw, stride, pad, dil, out_hw)
            out = _grouped(w.reshape(w.shape[0], -1), cols, groups)
            out = _batch_first(out, n, out_hw,
                               None if bias is None else compute_array(bias._data))
            ctx.cols = cols if len(needs) > 1 and needs[1] else None
        else:
            c_in = x.shape[1]
            c_out = w.shape[1] * groups
            cols = _grouped(w.reshape(c_in, -1), _channels_first(x), groups, trans_a=True)
            out = _col2im(cols, (n, c_out) + tuple(out_hw), kh, kw, stride, pad, dil,
                          x.shape[2:])
            if bias is not None:
                out += compute_array(bias._data).reshape(1, -1, 1, 1)
        ctx.save_for_backward(input, weight)
        ctx.geom = geom
        ctx.has_bias = bias is not None
        return _wrap(out.astype(input._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        input, weight = ctx.saved_tensors
        stride, pad, dil, out_hw, groups, transposed = ctx.geom
        x = compute_array(input._data)
        w = compute_array(weight._data)
        g = compute_array(g)
        kh, kw = w.shape[2], w.shape[3]
        n = x.shape[0]
        needs = ctx.needs_input_grad
        if g.size == 0:
            ctx.cols = None
            return _empty_output_grads(ctx, x, w, g, input._data.dtype)
        gx = gw = gb = None
        if not transposed:
            cols = ctx.cols
            if needs[1] and cols is None:
                cols = _im2col(x, kh, kw, stride, pad, dil, out_hw)
            by_sample = needs[1] and not needs[0] and _per_sample(g, cols, groups)
            gmat = None if by_sample else _channels_first(g)   # (O, N*OH*OW)
            if needs[0]:
                gcols = _grouped(w.reshape(w.shape[0], -1), gmat, groups, trans_a=True)
                gx = _col2im(gcols, x.shape, kh, kw, stride, pad, dil, out_hw)
            if needs[1]:
                gw = (_per_sample_products(g, cols) if by_sample else
                      _grouped(gmat, cols, groups, trans_b=True)).reshape(w.shape)
            if ctx.has_bias and needs[2]:
                # gmat's contiguous rows sum faster than g over (0, 2, 3)
                gb = g.sum(axis=(0, 2, 3)) if gmat is None else gmat.sum(axis=1)
        else:
            gcols = _im2col(g, kh, kw, stride, pad, dil, x.shape[2:])  # (Cout*k, N*H*W)
            if needs[0]:
                gx = _batch_first(_grouped(w.reshape(w.shape[0], -1), gcols, groups), n,
                                  x.shape[2:])
            if needs[1] and skips_padding_taps(input, weight, x, ctx.geom):   # inf/NaN in x
                gw = weight_grad_in_range(x, gcols, lambda a: _im2col(
                    a, kh, kw, stride, pad, dil, x.shape[2:]), ctx.geom, w.shape)
            elif needs[1]:
                gw = _grouped(_channels_first(x), gcols, groups, trans_b=True).reshape(w.shape)
            if ctx.has_bias and needs[2]:
                gb = g.sum(axis=(0, 2, 3))
        ctx.cols = None
        dtype = input._data.dtype   # input, weight and bias share one dtype (checked)
        return tuple(None if a is None else a.astype(dtype, copy=False) for a in (gx, gw, gb)) \
            + (None,)

    @staticmethod
    def grad_formula(ctx, g):
        return _conv_grad_formula(Convolution, ctx, g)


def _empty_output_grads(ctx, x, w, g, dtype) -> tuple:
    """The gradients of an empty output (a zero batch, or a transposed convolution's output
    size of 0): zeros, as PyTorch's. The products would read only padding and give 0 * inf =
    NaN where the input or weight holds an inf."""
    xp = xp_of(w)
    shapes = (x.shape, w.shape, (g.shape[1],) if ctx.has_bias else None)
    return tuple(xp.zeros(shape, dtype) if shape is not None and need else None
                 for shape, need in zip(shapes, ctx.needs_input_grad)) + (None,)


def _conv_grad_formula(cls, ctx, g):
    """The gradients of a convolution (Function `cls`, 2-D or 3-D) as recorded ops: the input
    gradient of a convolution is the transposed convolution of g (and the other way round),
    the weight gradient a `ConvWeightGrad` of input and g; so every order works."""
    input, weight = ctx.saved_tensors
    stride, pad, dil, out, groups, transposed = ctx.geom
    needs = ctx.needs_input_grad
    gx = gw = gb = None
    if g.dtype != input.dtype:
        g = g.to(input.dtype)
    spatial = tuple(input.shape[2:])
    if not transposed:
        if needs[0]:
            gx = cls.apply(g, weight, None, (stride, pad, dil, spatial, groups, True))
        if needs[1]:
            gw = ConvWeightGrad.apply(input, g, ctx.geom, tuple(weight.shape))
    else:
        if needs[0]:
            gx = cls.apply(g, weight, None, (stride, pad, dil, spatial, groups, False))
        if needs[1]:
            gw = ConvWeightGrad.apply(g, input, (stride, pad, dil, spatial, groups, False),
                                      tuple(weight.shape))
    if ctx.has_bias and needs[2]:
        gb = g.sum((0,) + tuple(range(2, g.dim())))
    return gx, gw, gb, None


class ConvWeightGrad(ArrayFunction):
    """The weight gradient of the convolution `conv(input, w)` (geometry `geom`, never
    transposed) for the output gradient `gout`: bilinear in (input, gout). Its own gradients
    are convolutions with the incoming gradient as weight, so it differentiates to any order
    (a transposed convolution's weight gradient is this with input and gout swapped)."""

    @staticmethod
    def forward(ctx, input, gout, geom, w_shape):
        stride, pad, dil, out, groups, _ = geom
        x = compute_array(input._data)
        gm = _channels_first(compute_array(gout._data))
        k = tuple(w_shape[2:])
        if x.ndim == 5:
            cols = _im2col3d(x, k, stride, pad, dil, out)
        else:
            cols = _im2col(x, k[0], k[1], stride, pad, dil, out)
        gw = _grouped(gm, cols, groups, trans_b=True).reshape(w_shape)
        ctx.save_for_backward(input, gout)
        ctx.geom = geom
        return _wrap(gw.astype(input._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, gg):
        with no_grad():
            gx, gout_g, _, _ = ConvWeightGrad.grad_formula(ctx, _wrap(gg))
        return (None if gx is None else gx._data, None if gout_g is None else gout_g._data,
                None, None)

    @staticmethod
    def grad_formula(ctx, gg):
        input, gout = ctx.saved_tensors
        stride, pad, dil, out, groups, _ = ctx.geom
        cls = _FUNCTIONS.get(input.dim() - 2, Convolution)
        needs = ctx.needs_input_grad
        if gg.dtype != input.dtype:
            gg = gg.to(input.dtype)
        gx = cls.apply(gout, gg, None, (stride, pad, dil, tuple(input.shape[2:]), groups,
                                        True)) if needs[0] else None
        gout_g = cls.apply(input, gg, None, ctx.geom) if needs[1] else None
        return gx, gout_g, None, None


# The Functions of n-d convolutions other than 1-D and 2-D (which use `Convolution`): 3-D
# registers its own (ops/convolution3d.py), so the argument handling below serves all three.
_FUNCTIONS: dict = {}


# ------------------------------------------------------------------ argument handling
def _tuple(value, n: int, name: str) -> tuple:
    """stride/padding/dilation as an n-tuple, with PyTorch's message for a wrong length."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    values = list(value)
    if len(values) == 1:
        return (int(values[0]),) * n
    if len(values) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={values}")
    return tuple(int(v) for v in values)


def _shape_str(shape) -> str:
    return str(list(shape))


def _check_common(x: Tensor, weight: Tensor, bias, stride, padding, dilation, groups,
                  transposed: bool, spatial: int, output_padding=()) -> None:
    """PyTorch's convolution checks (shapes as the caller passed them, batch dim added).
    A zero dilation passes here when transposed: PyTorch's kernels refuse it later
    (_conv_transpose_checks.py)."""
    if weight.ndim != spatial + 2:
        raise RuntimeError(f"weight should have {spatial + 2} dimensions for a {spatial}-d "
                           f"convolution, but got weight of size {_shape_str(weight.shape)}")
    if not isinstance(padding, str) and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(o < 0 for o in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if not transposed and 0 in dilation:
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    w_shape = _shape_str(weight.shape)
    if weight.shape[0] < groups:   # 0 output channels (or fewer than groups), as PyTorch
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {w_shape} instead")
    if not transposed and weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{w_shape}] instead")
    expect_c = weight.shape[0] if transposed else weight.shape[1] * groups
    if x.shape[1] != expect_c:
        what = f"transposed=1, weight of size {w_shape}" if transposed else \
            f"groups={groups}, weight of size {w_shape}"
        raise RuntimeError(f"Given {what}, expected input{_shape_str(x.shape)} to have "
                           f"{expect_c} channels, but got {x.shape[1]} channels instead")
    if transposed and weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{w_shape}] instead")
    if bias is not None:
        n_out = weight.shape[1] * groups if transposed else weight.shape[0]
        if bias.ndim != 1 or bias.shape[0] != n_out:
            head = "transposed=1, weight" if transposed else "weight"
            raise RuntimeError(f"Given {head} of size {w_shape}, expected bias to be "
                               f"1-dimensional with {n_out} elements, but got bias of size "
                               f"{_shape_str(bias.shape)} instead")
    for other in (weight, bias):
        if other is not None and other.dtype is not x.dtype:
            raise RuntimeError(f"expected scalar type {type_name(x)} but found "
                               f"{type_name(other)}")


def _batched(input: Tensor, spatial: int, name: str):
    """(input with a batch dim, whether one was added), or PyTorch's rank error."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim == spatial + 1:
        return input.unsqueeze(0), True
    if input.ndim != spatial + 2:
        raise RuntimeError(f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) "
                           f"input to {name}, but got input of size: "
                           f"{_shape_str(input.shape)}")
    return input, False


def _same_padding(kernel, dilation, stride) -> tuple:
    """(top/left pads, total pads) for padding='same' (extra pad goes bottom/right)."""
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    totals = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
    if any(t % 2 for t in totals):
        warn_user("Using padding='same' with even kernel lengths and odd dilation may "
                  "require a zero-padded copy of the input be created", UserWarning)
    return tuple(t // 2 for t in totals), totals


def _check_empty_input(x: Tensor, spatial: int) -> None:
    """PyTorch's backends take an empty input only through a zero batch or zero channels;
    a zero spatial size with both non-zero is refused (sizes as the 2-D kernel sees them)."""
    if x.shape[0] and x.shape[1] and 0 in x.shape[2:]:
        shape = list(x.shape[:2]) + ([1] if spatial == 1 else []) + list(x.shape[2:])
        raise RuntimeError(f"Only zero batch or zero channel inputs are supported, but got "
                           f"input shape: {shape}")


def _conv_nd(input, weight, bias, stride, padding, dilation, groups, spatial, name):
    """conv1d/conv2d: validate, lift 1-D to 2-D, apply Convolution, drop added dims."""
    x, unbatched = _batched(input, spatial, name)
    stride = _tuple(stride, spatial, "stride")
    dilation = _tuple(dilation, spatial, "dilation")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        padding = _tuple(padding, spatial, "padding")
    _check_common(x, weight, bias, stride, padding, dilation, groups, False, spatial)
    kernel = tuple(weight.shape[2:])
    if padding == "valid":
        pads, totals = (0,) * spatial, (0,) * spatial
    elif padding == "same":
        pads, totals = _same_padding(kernel, dilation, stride)
    else:
        pads, totals = padding, tuple(2 * p for p in padding)
    sizes = tuple(x.shape[2:])
    out = []
    for size, k, s, d, t in zip(sizes, kernel, stride, dilation, totals):
        out.append((size + t - d * (k - 1) - 1) // s + 1)
    if any(size + t < d * (k - 1) + 1 for size, k, d, t in zip(sizes, kernel, dilation, totals)):
        padded = " x ".join(str(size + t) for size, t in zip(sizes, totals))
        ks = " x ".join(str(d * (k - 1) + 1) for k, d in zip(kernel, dilation))
        raise RuntimeError(f"Calculated padded input size per channel: ({padded}). Kernel "
                           f"size: ({ks}). Kernel size can't be greater than actual input size")
    _check_empty_input(x, spatial)
    if spatial == 1:
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        stride, pads, dilation, out = (1,) + stride, (0,) + pads, (1,) + dilation, [1] + out
    geom = (stride, pads, dilation, tuple(out), groups, False)
    result = _FUNCTIONS.get(spatial, Convolution).apply(x, weight, bias, geom)
    if spatial == 1:
        result = result.squeeze(2)
    if x.shape[1] == 0:   # PyTorch's zero-channel input gives zero output channels too
        result = result[:, :0]
    return result.squeeze(0) if unbatched else result


def _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation,
                       spatial, name):
    x, unbatched = _batched(input, spatial, name)
    stride = _tuple(stride, spatial, "stride")
    padding = _tuple(padding, spatial, "padding")
    output_padding = _tuple(output_padding, spatial, "output_padding")
    dilation = _tuple(dilation, spatial, "dilation")
    _check_common(x, weight, bias, stride, padding, dilation, groups, True, spatial,
                  output_padding)
    _check_empty_input(x, spatial)
    out = check_transposed_output(x, weight, stride, padding, output_padding, dilation,
                                  groups, spatial)
    if spatial == 1:
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        stride, padding, dilation, out = (1,) + stride, (0,) + padding, (1,) + dilation, \
            [1] + out
    geom = (stride, padding, dilation, tuple(out), groups, True)
    result = _FUNCTIONS.get(spatial, Convolution).apply(x, weight, bias, geom)
    if spatial == 1:
        result = result.squeeze(2)
    return result.squeeze(0) if unbatched else result


# ------------------------------------------------------------------ declarations
# F.conv2d is torch.conv2d: the outer "nn.functional" declaration names the function the torch
# declaration returns, autocast hook included (autocast=False: it is not hooked twice).
_CONV = ("conv.im2col", "conv.col2im", "cpu:conv.nchw_to_gemm", "cpu:conv.gemm_to_nchw",
         "cpu:conv.im2col_s1", "cpu:conv.col2im_s1")
_CONV_TRANSPOSE = ("conv.im2col", "conv.col2im", "cpu:conv.nchw_to_gemm",
                   "cpu:conv.gemm_to_nchw", "cpu:conv.im2col_s1", "cpu:conv.col2im_s1")


@op("conv1d", namespace="nn.functional", autocast=False)
@op("conv1d", kernels=_CONV)
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution of (N, C, L) or (C, L) input with weight (O, C/groups, k)."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@op("conv2d", namespace="nn.functional", autocast=False)
@op("conv2d", kernels=_CONV)
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution of (N, C, H, W) or (C, H, W) input with weight (O, C/groups, kh, kw).

    >>> import minitorch_nn as torch
    >>> torch.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2)).shape
    torch.Size([1, 1, 2, 2])
    """
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@op("conv_transpose1d", namespace="nn.functional", autocast=False)
@op("conv_transpose1d", kernels=_CONV_TRANSPOSE)
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 1-D convolution; weight (C_in, C_out/groups, k)."""
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 1, "conv_transpose1d")


@op("conv_transpose2d", namespace="nn.functional", autocast=False)
@op("conv_transpose2d", kernels=_CONV_TRANSPOSE)
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """Transposed 2-D convolution (the input gradient of conv2d); weight (C_in, C_out/g, kh, kw).
    """
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups,
                              dilation, 2, "conv_transpose2d")
