"""3-D and adaptive-max pooling: max_pool3d (stride, padding, dilation, ceil_mode,
return_indices), avg_pool3d (count_include_pad, divisor_override), adaptive_avg_pool3d,
adaptive_max_pool1d/2d/3d (return_indices), and lp_pool1d/2d/3d.

How: the windows of each axis go into the window engine (pooling_windows.py: one gather, one
reduction, one scatter-add backward, `xp` code for NumPy and CuPy). Checks, messages and dtype
gates are PyTorch's CPU ones (max_pool3d: floats and every integer type; avg_pool3d: float32,
float64, int64; adaptive pooling: floating types). lp_pool is PyTorch's composite (avg_pool of
x**p, then sign * relu(abs) * kernel volume, to the 1/p), so its graph and nodes are PyTorch's.

max_unpool1d/2d/3d live in pooling_unpool.py and fractional_max_pool2d in fractional_pool.py,
both imported here so that this family module registers them.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._nn_util import type_name
from .pooling import _half, _out_size, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from .pooling_windows import WindowAvg, WindowMax, _adaptive_windows, _strided_windows
from .registry import op
from .unary import relu
from . import fractional_pool, pooling_unpool   # noqa: F401  (their ops register on import)

_INTS = ("uint8", "int8", "int16", "int32", "int64")
_NAMES = ("one", "two", "three")


class MaxPool3DWithIndices(WindowMax):
    node_name = "MaxPool3DWithIndicesBackward0"


class AvgPool3D(WindowAvg):
    node_name = "AvgPool3DBackward0"


class AdaptiveAvgPool3D(WindowAvg):
    node_name = "AdaptiveAvgPool3DBackward0"


class AdaptiveMaxPool2D(WindowMax):
    node_name = "AdaptiveMaxPool2DBackward0"


class AdaptiveMaxPool3D(WindowMax):
    node_name = "AdaptiveMaxPool3DBackward0"


def check_dtype(x: Tensor, name: str, allowed_ints=()) -> None:
    """PyTorch's dtype gate: floating types plus `allowed_ints` (NotImplementedError)."""
    if not x.is_floating_point() and x.dtype.name not in allowed_ints:
        raise NotImplementedError(f'"{name}" not implemented for \'{type_name(x)}\'')


# ------------------------------------------------------------------ geometry
def _triple(value, name: str, fn: str, must: str = "must either be") -> tuple:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * 3
    values = list(value)
    if len(values) == 1:
        return (int(values[0]),) * 3
    if len(values) != 3:
        raise RuntimeError(f"{fn}: {name} {must} a single int, or a tuple of three ints")
    return tuple(int(v) for v in values)


def _as_5d(input: Tensor):
    if not isinstance(input, Tensor):
        raise TypeError(f"expected Tensor as element 0 in argument 0, but got "
                        f"{type(input).__name__}")
    if input.ndim == 4:
        return input.unsqueeze(0), True
    if input.ndim != 5:
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    return input, False


def _geometry3d(x: Tensor, shape, kernel_size, stride, padding, dilation, ceil_mode,
                fn: str, check_fn: str, avg: bool):
    """(k, s, p, d, out) for 3-D pooling; PyTorch's checks in PyTorch's order
    (pooling_output_shape per axis, then pool3d_shape_check)."""
    must = "must be" if avg else "must either be"
    k = _triple(kernel_size, "kernel_size", fn, must)
    omitted = stride is None or (not isinstance(stride, int) and len(stride) == 0)
    s = k if omitted else _triple(stride, "stride", fn,
                                  "must be omitted," if avg else "must either be omitted,")
    p = _triple(padding, "padding", fn, must)
    d = _triple(dilation, "dilation", fn, "must be either")
    for ki, si, pi, di in zip(k, s, p, d):
        if si == 0:
            raise RuntimeError("stride should not be zero")
        if pi < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pi}")
        if pi > _half((ki - 1) * di + 1):
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pi}, kernel_size={ki} and dilation={di}")
    for what, v, names in (("kernel size", k, ("kT", "kH", "kW")),
                           ("stride", s, ("dT", "dH", "dW")),
                           ("dilation", d, ("dilationT", "dilationH", "dilationW"))):
        if min(v) <= 0:
            got = " ".join(f"{n}: {x}" for n, x in zip(names, v))
            raise RuntimeError(f"{what} should be greater than zero, but got {got}")
    if any(v == 0 for v in shape[len(shape) - 4:]) or (len(shape) == 4 and shape[0] == 0):
        raise RuntimeError(f"{check_fn}(): Expected input's non-batch dimensions to have "
                           f"positive length, but input has a shape of {list(shape)} and "
                           f"non-batch dimension 0 has length zero!")
    sizes = x.shape[2:]
    if avg and any(i < ki for i, ki in zip(sizes, k)):
        raise RuntimeError(f"input image (T: {sizes[0]} H: {sizes[1]} W: {sizes[2]}) smaller "
                           f"than kernel size (kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    if any(pi > ki // 2 for pi, ki in zip(p, k)):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but "
                           f"got kT: {k[0]} kW: {k[2]} kH: {k[1]} padT: {p[0]} padW: {p[2]} "
                           f"padH: {p[1]}")
    out = tuple(_out_size(i, ki, si, pi, di, ceil_mode)
                for i, ki, si, pi, di in zip(sizes, k, s, p, d))
    if min(out) < 1:
        c = x.shape[1]
        raise RuntimeError(f"Given input size: ({c}x{'x'.join(map(str, sizes))}). Calculated "
                           f"output size: ({c}x{'x'.join(map(str, out))}). Output size is "
                           f"too small")
    return k, s, p, d, out


# ------------------------------------------------------------------ max / avg pool 3d
@op("max_pool3d", namespace="nn.functional", autocast=False)
@op("max_pool3d")
def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """Max over kd x kh x kw windows of (N, C, D, H, W) or (C, D, H, W) input; optionally the
    indices (flat positions (d*H + h)*W + w in each input volume, as PyTorch gives them)."""
    x, _ = _as_5d(input)
    check_dtype(x, "max_pool3d", _INTS)
    k, s, p, d, out = _geometry3d(x, input.shape, kernel_size, stride, padding, dilation,
                                  ceil_mode, "max_pool3d",
                                  "max_pool3d_with_indices_out_cpu_template", False)
    values, indices = MaxPool3DWithIndices.apply(
        input, _strided_windows(x.shape[2:], k, s, p, d, out))
    return (values, indices) if return_indices else values


@op("max_pool3d_with_indices", namespace="nn.functional")
def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False):
    """max_pool3d returning (values, indices) whatever return_indices says (as PyTorch)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _avg_divisor(sizes, k, s, p, out, count_include_pad: bool):
    """Per output position: the window's size clipped to the padded input (count_include_pad)
    or to the input, as PyTorch's avg_pool3d divides."""
    per_axis = []
    for i, ki, si, pi, o in zip(sizes, k, s, p, out):
        start = np.arange(o) * si - pi
        end = np.minimum(start + ki, i + pi)
        per_axis.append(end - start if count_include_pad
                        else np.minimum(end, i) - np.maximum(start, 0))
    return np.multiply.outer(np.multiply.outer(per_axis[0], per_axis[1]),
                             per_axis[2]).reshape(-1)


@op("avg_pool3d", namespace="nn.functional")
def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """Mean over kd x kh x kw windows; padding counts in the divisor unless
    count_include_pad=False, and divisor_override replaces the divisor."""
    x, _ = _as_5d(input)
    check_dtype(x, "avg_pool3d_out_frame", ("int64",))
    if x.dtype.name in ("float16", "bfloat16"):   # PyTorch's CPU kernel has no half types
        raise NotImplementedError(f'"avg_pool3d_out_frame" not implemented for '
                                  f"'{type_name(x)}'")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    k, s, p, d, out = _geometry3d(x, input.shape, kernel_size, stride, padding, 1, ceil_mode,
                                  "avg_pool3d", "avg_pool3d", True)
    windows = _strided_windows(x.shape[2:], k, s, p, d, out)
    divisor = divisor_override if divisor_override else \
        _avg_divisor(x.shape[2:], k, s, p, out, bool(count_include_pad))
    return AvgPool3D.apply(input, windows, divisor)


# ------------------------------------------------------------------ adaptive pooling
def _output_sizes(output_size, input: Tensor, n: int, fn: str, none_ok: bool = True):
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        sizes = (int(output_size),) * n
    else:
        sizes = tuple(output_size)
        if input.ndim <= len(sizes):   # PyTorch's _list_with_default
            raise ValueError(f"Input dimension should be at least {len(sizes) + 1}")
        if len(sizes) != n:
            raise RuntimeError(f"{fn}: output_size must be {n}" if fn.startswith("adaptive_avg")
                               else f"{fn}(): internal error: output_size.size() must be {n}")
    return tuple(input.shape[input.ndim - n + i] if v is None else int(v)
                 for i, v in enumerate(sizes))


def _check_nonempty(input: Tensor, n: int, fn: str) -> None:
    for dim in range(1, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {dim} being empty")


@op("adaptive_avg_pool3d", namespace="nn.functional")
def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size: window o covers [floor(oI/O), ceil((o+1)I/O))
    on each axis."""
    out = _output_sizes(output_size, input, 3, "adaptive_avg_pool3d")
    if input.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got "
                           f"{list(input.shape)}")
    check_dtype(input, "adaptive_avg_pool3d_cpu")
    if out == (1, 1, 1):   # PyTorch's composite: the mean (MeanBackward1, no size check)
        return input.mean((-1, -2, -3), keepdim=True)
    if any(o < 0 for o in out):
        raise RuntimeError(f"adaptive_avg_pool3d: elements of output_size must be greater "
                           f"than or equal to 0 but received {{{out[0]}, {out[1]},{out[2]}}}")
    _check_nonempty(input, 3, "adaptive_avg_pool3d")
    windows = _adaptive_windows(input.shape[-3:], out)
    windows.backward_name = "adaptive_avg_pool3d_backward"
    divisor = windows.valid[0].sum(axis=-1) if windows.valid.shape[1] else 1
    return AdaptiveAvgPool3D.apply(input, windows, divisor)


def _adaptive_max(input: Tensor, output_size, n: int, function, fn: str):
    out = _output_sizes(output_size, input, n, fn)   # PyTorch's _list_with_default first
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{fn}(): Expected {n + 1}D or {n + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    _check_nonempty(input, n, fn)
    check_dtype(input, fn + ("_cpu" if n == 3 else ""))
    if any(o < 0 for o in out):
        shape = list(input.shape[:input.ndim - n]) + list(out)
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{shape}")
    windows = _adaptive_windows(input.shape[input.ndim - n:], out)
    windows.backward_name = f"{fn}_backward"
    return function.apply(input, windows)


@op("adaptive_max_pool3d", namespace="nn.functional")
def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max over PyTorch's adaptive windows (see adaptive_avg_pool3d); optionally indices."""
    values, indices = _adaptive_max(input, output_size, 3, AdaptiveMaxPool3D,
                                    "adaptive_max_pool3d")
    return (values, indices) if return_indices else values


@op("adaptive_max_pool2d", namespace="nn.functional")
def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over PyTorch's adaptive windows of (N, C, H, W) or (C, H, W) input."""
    values, indices = _adaptive_max(input, output_size, 2, AdaptiveMaxPool2D,
                                    "adaptive_max_pool2d")
    return (values, indices) if return_indices else values


@op("adaptive_max_pool1d", namespace="nn.functional")
def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """adaptive_max_pool2d of a height-1 image (PyTorch's composite, SqueezeBackward1)."""
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for "
                           f"adaptive_max_pool1d)")
    if not isinstance(output_size, (int, np.integer)):
        sizes = tuple(output_size)
        for pos, v in enumerate(sizes):
            if not isinstance(v, (int, np.integer)):
                raise TypeError(f"adaptive_max_pool1d(): argument 'output_size' (position 2) "
                                f"must be tuple of ints, but found element of type "
                                f"{type(v).__name__} at pos {pos}")
        if len(sizes) != 1:
            raise RuntimeError(f"adaptive_max_pool1d: output_size must be 1, but got "
                               f"{len(sizes)}")
        output_size = sizes[0]
    _check_nonempty(input, 1, "adaptive_max_pool1d")
    values, indices = _adaptive_max(input.unsqueeze(-2), (1, int(output_size)), 2,
                                    AdaptiveMaxPool2D, "adaptive_max_pool2d")
    values, indices = values.squeeze(-2), indices.squeeze(-2)
    return (values, indices) if return_indices else values


@op("adaptive_max_pool1d")
def torch_adaptive_max_pool1d(input: Tensor, output_size):
    """torch.adaptive_max_pool1d: (values, indices), always (PyTorch's ATen signature)."""
    return adaptive_max_pool1d(input, output_size, True)


@op("adaptive_max_pool1d_with_indices", namespace="nn.functional")
def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """adaptive_max_pool1d returning (values, indices) whatever return_indices says."""
    return adaptive_max_pool1d(input, output_size, True)


@op("adaptive_max_pool2d_with_indices", namespace="nn.functional")
def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """adaptive_max_pool2d returning (values, indices) whatever return_indices says."""
    return adaptive_max_pool2d(input, output_size, True)


@op("adaptive_max_pool3d_with_indices", namespace="nn.functional")
def adaptive_max_pool3d_with_indices(input: Tensor, output_size, return_indices: bool = False):
    """adaptive_max_pool3d returning (values, indices) whatever return_indices says."""
    return adaptive_max_pool3d(input, output_size, True)


# ------------------------------------------------------------------ lp pooling
def _lp(input, norm_type, volume, avg, max_pool, kernel_size, stride, ceil_mode):
    """PyTorch's composite: (sign(a) * relu(|a|) * volume) ** (1/p), a = avg_pool(x ** p);
    p = +-inf is (minus) max pooling of |x|."""
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * relu(out.abs())).mul(volume).pow(1.0 / norm_type)


def _volume(kernel_size, n: int) -> int:
    sizes = (kernel_size,) * n if isinstance(kernel_size, (int, np.integer)) else \
        tuple(kernel_size)
    if len(sizes) != n:   # PyTorch unpacks _pair/_triple: a ValueError on a wrong length
        raise ValueError(f"not enough values to unpack (expected {n}, got {len(sizes)})"
                         if len(sizes) < n else f"too many values to unpack (expected {n})")
    return int(np.prod(sizes))


@op("lp_pool1d", namespace="nn.functional")
def lp_pool1d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """Power-average pooling: (sum over each window of x**p) ** (1/p)."""
    return _lp(input, norm_type, kernel_size, avg_pool1d, max_pool1d, kernel_size, stride,
               ceil_mode)


@op("lp_pool2d", namespace="nn.functional")
def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """Power-average pooling over kh x kw windows: (sum of x**p) ** (1/p)."""
    return _lp(input, norm_type, _volume(kernel_size, 2), avg_pool2d, max_pool2d, kernel_size,
               stride, ceil_mode)


@op("lp_pool3d", namespace="nn.functional")
def lp_pool3d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """Power-average pooling over kd x kh x kw windows: (sum of x**p) ** (1/p)."""
    return _lp(input, norm_type, _volume(kernel_size, 3), avg_pool3d, max_pool3d, kernel_size,
               stride, ceil_mode)
