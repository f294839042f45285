"""Resampling: F.interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
area; antialiased bilinear/bicubic) and the deprecated F.upsample* wrappers.

Every mode but area is separable: along each spatial dim, output position o reads a few input
positions ("taps") idx[t, o] with weights w[t, o], computed by PyTorch's CPU rules
(aten/src/ATen/native/UpSample.h):
  * nearest: idx = min(floor(o * s), in - 1) in float32, s = 1/scale_factor when one is given
    (PyTorch uses the factor, not in/out, unless recompute_scale_factor=True), else in/out;
    nearest-exact: floor((o + 0.5) * s);
  * linear: src = s * (o + 0.5) - 0.5 (clamped at 0), or s * o with align_corners
    (s = (in - 1)/(out - 1)); taps floor(src) and the next one, weights 1 - l and l;
  * cubic: the same source index unclamped, four taps floor(src)-1..+2 clamped to the input,
    Keys' cubic convolution weights with A = -0.75.
The last spatial dim is applied first (PyTorch's summation order: sum_h w_h (sum_w w_w x)).
The backward scatters each dim's gradient back with bincount (in float64, then cast).
Bilinear runs a Numba kernel on the CPU (kernels/cpu/interpolate.py) and its CUDA twin on the
GPU (kernels/cuda/interpolate.cu, every float type). uint8 bilinear/bicubic follow PyTorch's
fixed-point path instead (interpolation_uint8.py, CPU only).
"""
from __future__ import annotations

import math

import numpy as np

from .._user_warning import warn_user
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array, kernel_for, type_name
from ._util import xp_of
from .interpolation_uint8 import interpolate_uint8
from .registry import op

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_INTERP_MODES = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_CUBIC_A = -0.75


# ------------------------------------------------------------------ per-dim taps
def _opmath(dtype):
    """The dtype indices and weights are computed in: float64 for float64, else float32."""
    return np.float64 if dtype == np.float64 else np.float32


def _nearest_scale(in_size: int, out_size: int, scale):
    """PyTorch's `compute_scales_value` in float: 1/scale when given (> 0), else in/out."""
    if scale is not None and scale > 0:
        return np.float32(1.0 / scale)
    return np.float32(in_size) / np.float32(out_size)


def _taps_nearest(in_size: int, out_size: int, scale, exact: bool):
    s = _nearest_scale(in_size, out_size, scale)
    o = np.arange(out_size)
    if exact:   # floorf((o + 0.5) * s): a double product rounded to float
        src = np.floor(((o + 0.5) * np.float64(s)).astype(np.float32))
    else:
        src = np.floor(o.astype(np.float32) * s)
    return np.minimum(src.astype(np.int64), in_size - 1)[None], None


def _area_scale(in_size: int, out_size: int, align_corners: bool, scale, T):
    """PyTorch's `area_pixel_compute_scale` in the op-math type T."""
    if align_corners:
        return T((in_size - 1) / (out_size - 1)) if out_size > 1 else T(0)
    if scale is not None and scale > 0:
        return T(1.0 / scale)
    return T(T(in_size) / T(out_size))


def _source_index(s, out_size: int, align_corners: bool, cubic: bool, T):
    o = np.arange(out_size).astype(T)
    if align_corners:
        return s * o
    src = s * (o + T(0.5)) - T(0.5)
    return src if cubic else np.maximum(src, T(0))


def _guard(src, in_size: int, T):
    """PyTorch's guard_index_and_lambda: floor clamped to in-1, lambda clamped to [0, 1]."""
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    lam = np.clip(src - i0.astype(T), T(0), T(1)).astype(T)
    return i0, lam


def _taps_linear(in_size: int, out_size: int, scale, align_corners: bool, T):
    if in_size == out_size:   # PyTorch's identity shortcut, whatever the scale
        idx = np.arange(out_size)
        return np.stack([idx, idx]), np.stack([np.ones(out_size, T), np.zeros(out_size, T)])
    s = _area_scale(in_size, out_size, align_corners, scale, T)
    i0, lam = _guard(_source_index(s, out_size, align_corners, False, T), in_size, T)
    i1 = i0 + (i0 < in_size - 1)
    return np.stack([i0, i1]), np.stack([(T(1) - lam).astype(T), lam])


def _cubic_weights(t, T):
    A = T(_CUBIC_A)

    def conv1(x):
        return ((A + T(2)) * x - (A + T(3))) * x * x + T(1)

    def conv2(x):
        return ((A * x - T(5) * A) * x + T(8) * A) * x - T(4) * A
    x2 = T(1) - t
    return np.stack([conv2(t + T(1)), conv1(t), conv1(x2), conv2(x2 + T(1))]).astype(T)


def _taps_cubic(in_size: int, out_size: int, scale, align_corners: bool, T):
    s = _area_scale(in_size, out_size, align_corners, scale, T)
    i0, lam = _guard(_source_index(s, out_size, align_corners, True, T), in_size, T)
    idx = np.stack([np.clip(i0 - 1 + k, 0, in_size - 1) for k in range(4)])
    return idx, _cubic_weights(lam, T)


def _aa_filter(mode: str):
    if mode == "bilinear":
        return 2, lambda x: np.maximum(0.0, 1.0 - np.abs(x))
    a = -0.5   # PyTorch's antialiased bicubic uses a = -0.5 (PIL's)

    def cubic(x):
        x = np.abs(x)
        return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                        np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))
    return 4, cubic


def _taps_aa(in_size: int, out_size: int, scale, align_corners: bool, mode: str, T):
    """PyTorch's antialiased weights: the filter widened by the downscale factor, each output
    normalised over the input positions its support covers (padded with zero weights)."""
    interp_size, fn = _aa_filter(mode)
    s = float(_area_scale(in_size, out_size, align_corners, scale, T))
    support = (interp_size * 0.5) * s if s >= 1.0 else interp_size * 0.5
    invscale = 1.0 / s if s >= 1.0 else 1.0
    rows = []
    for i in range(out_size):
        center = s * (i + 0.5)
        xmin = max(int(center - support + 0.5), 0)
        xsize = min(int(center + support + 0.5), in_size) - xmin
        w = fn((np.arange(xsize) + xmin - center + 0.5) * invscale)
        total = w.sum()
        rows.append((xmin, w / total if total != 0 else w))
    width = max([len(w) for _, w in rows] + [1])
    idx = np.zeros((width, out_size), np.int64)
    wts = np.zeros((width, out_size), T)
    for i, (xmin, w) in enumerate(rows):
        idx[:len(w), i] = np.arange(len(w)) + xmin
        idx[len(w):, i] = xmin if len(w) else 0
        wts[:len(w), i] = w
    return np.minimum(idx, max(in_size - 1, 0)), wts


def _plan(mode, in_sizes, out_sizes, scales, align_corners, antialias, T):
    """The taps (idx (taps, out), weights or None) of each spatial dim."""
    plan = []
    for d, (i, o) in enumerate(zip(in_sizes, out_sizes)):
        s = None if scales is None else scales[d]
        if mode in ("nearest", "nearest-exact"):
            plan.append(_taps_nearest(i, o, s, mode == "nearest-exact"))
        elif antialias:
            plan.append(_taps_aa(i, o, s, align_corners, mode, T))
        elif mode == "bicubic":
            plan.append(_taps_cubic(i, o, s, align_corners, T))
        else:
            plan.append(_taps_linear(i, o, s, align_corners, T))
    return plan


# ------------------------------------------------------------------ array code
def _resample_dim(xp, a, axis: int, idx, w):
    """Along `axis`: out[.., o, ..] = sum_t w[t, o] * a[.., idx[t, o], ..]."""
    if w is None:
        return xp.take(a, xp.asarray(idx[0]), axis=axis)
    shape = [1] * a.ndim
    shape[axis] = -1
    out = None
    for t in range(idx.shape[0]):
        term = xp.take(a, xp.asarray(idx[t]), axis=axis) * xp.asarray(w[t]).reshape(shape)
        out = term if out is None else out + term
    return out


def _scatter_dim(xp, g, axis: int, idx, w, in_size: int):
    """The transpose of `_resample_dim`: sums each output gradient into its taps (float64)."""
    gm = xp.moveaxis(g, axis, -1)
    lead = gm.shape[:-1]
    rows = int(np.prod(lead))
    gm = gm.reshape(rows, gm.shape[-1])
    base = (xp.arange(rows) * in_size)[:, None]
    flat_idx, flat_w = [], []
    for t in range(idx.shape[0]):
        flat_idx.append((base + xp.asarray(idx[t])[None, :]).ravel())
        wt = gm if w is None else gm * xp.asarray(w[t])[None, :]
        flat_w.append(wt.astype(np.float64).ravel())
    total = xp.bincount(xp.concatenate(flat_idx), weights=xp.concatenate(flat_w),
                        minlength=rows * in_size)
    return xp.moveaxis(total.reshape(lead + (in_size,)), -1, axis)


def _bilinear_kernel_args(xp, plan):
    """The taps (hi, hw, wi, ww) as the kernels take them, on the array's device."""
    (hi, hw), (wi, ww) = plan
    return tuple(xp.asarray(np.ascontiguousarray(a)) for a in (hi, hw, wi, ww))


def _bilinear_kernel(arr, name: str):
    """(kernel or None, the array it takes): the CUDA kernels take every float type, the
    Numba ones float32/float64, so a float16/bfloat16 CPU array is computed in float32."""
    kernel = kernel_for(arr, "interpolate", name)
    if kernel is not None:
        return kernel, arr
    a = compute_array(arr)
    return kernel_for(a, "interpolate", name), a


class _Resample(ArrayFunction):
    """Separable resampling of the trailing spatial dims by a plan (see `_plan`)."""

    @staticmethod
    def forward(ctx, x, plan, use_kernel):
        arr = x._data
        ctx.meta = (arr.shape, plan, use_kernel)
        xp = xp_of(arr)
        kernel, a = _bilinear_kernel(arr, "bilinear2d_fwd") if use_kernel else (None, arr)
        if kernel is not None:
            out = xp.empty(a.shape[:2] + (plan[0][0].shape[1], plan[1][0].shape[1]), a.dtype)
            kernel(xp.ascontiguousarray(a), out, *_bilinear_kernel_args(xp, plan))
            return _wrap(out.astype(arr.dtype, copy=False))
        a = compute_array(arr) if arr.dtype.kind == "f" else arr
        nd = len(plan)
        for d in reversed(range(nd)):
            idx, w = plan[d]
            a = _resample_dim(xp, a, arr.ndim - nd + d, idx, w)
        return _wrap(a.astype(arr.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        shape, plan, use_kernel = ctx.meta
        xp = xp_of(g)
        kernel, gk = _bilinear_kernel(g, "bilinear2d_bwd") if use_kernel else (None, g)
        if kernel is not None:
            gx = xp.zeros(shape, gk.dtype)
            kernel(xp.ascontiguousarray(gk), gx, *_bilinear_kernel_args(xp, plan))
            return gx.astype(g.dtype, copy=False), None, None
        gc = compute_array(g)
        nd = len(plan)
        for d in range(nd):
            idx, w = plan[d]
            axis = len(shape) - nd + d
            gc = _scatter_dim(xp, gc, axis, idx, w, shape[axis])
        return gc.astype(g.dtype, copy=False), None, None

    @staticmethod
    def grad_formula(ctx, g):
        """backward's per-dim scatters, one WindowScatter per tap (linear in g; the adjoint
        gathers differentiate it again)."""
        from .pooling_windows import WindowScatter
        shape, plan, _ = ctx.meta
        nd = len(plan)
        for d in range(nd):
            idx, w = plan[d]
            axis = len(shape) - nd + d
            moved = g.transpose(axis, -1)
            lead = tuple(moved.shape[:-1])
            rows = moved.reshape(int(np.prod(lead, dtype=np.int64)), moved.shape[-1])
            total = None
            for t in range(idx.shape[0]):
                values = rows if w is None else \
                    rows * _wrap(np.asarray(w[t]).astype(g._data.dtype)).reshape(1, -1)
                term = WindowScatter.apply(values, np.asarray(idx[t]).reshape(1, -1, 1),
                                           None, (rows.shape[0], shape[axis]))
                total = term if total is None else total + term
            g = total.reshape(lead + (shape[axis],)).transpose(axis, -1)
        return g, None, None


def _node_class(name: str):
    return type(name, (_Resample,), {"__doc__": f"{name}: see _Resample."})


_NODES = {(mode, nd): _node_class(name) for mode, nd, name in (
    ("nearest", 3, "UpsampleNearest1D"), ("nearest", 4, "UpsampleNearest2D"),
    ("nearest", 5, "UpsampleNearest3D"), ("nearest-exact", 3, "UpsampleNearestExact1D"),
    ("nearest-exact", 4, "UpsampleNearestExact2D"), ("nearest-exact", 5, "UpsampleNearestExact3D"),
    ("linear", 3, "UpsampleLinear1D"), ("bilinear", 4, "UpsampleBilinear2D"),
    ("trilinear", 5, "UpsampleTrilinear3D"), ("bicubic", 4, "UpsampleBicubic2D"),
    ("bilinear-aa", 4, "UpsampleBilinear2DAa"), ("bicubic-aa", 4, "UpsampleBicubic2DAa"))}
_AREA_3D = _node_class("AdaptiveAvgPool3D")


# ------------------------------------------------------------------ argument checks
def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool) or \
        (isinstance(v, Tensor) and v.ndim == 0 and not v.is_floating_point())


def _sizes(input: Tensor, size, scale_factor, dim: int):
    """(output_size or None, scale_factors or None), PyTorch's ValueError/TypeError."""
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            if not all(_is_int(v) for v in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                "or Tuple[int, int, int], but got size with types "
                                f"{[type(v) for v in size]}")
            return [int(v) for v in size], None
        if not _is_int(size):
            raise TypeError(f"interpolate(): size must be an int or a tuple of ints, got "
                            f"{type(size).__name__}")
        return [int(size)] * dim, None
    if scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
            return None, [float(s) for s in scale_factor]
        return None, [float(scale_factor)] * dim
    raise ValueError("either size or scale_factor should be defined")


_AXES = {1: "W", 2: "HW", 3: "DHW"}


def _check_sizes(input: Tensor, out_sizes) -> None:
    """PyTorch's upsample_*_check: positive sizes, non-empty non-batch dims."""
    ins = list(input.shape[2:])
    if any(s <= 0 for s in ins) or any(s <= 0 for s in out_sizes):
        axes = _AXES[len(ins)]
        i = ", ".join(f"{a}: {s}" for a, s in zip(axes, ins))
        o = ", ".join(f"{a}: {s}" for a, s in zip(axes, out_sizes))
        join = " and output" if len(ins) == 1 else " output"
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({i}){join} ({o})")
    if input.numel() == 0 and input.shape[0] != 0:
        raise RuntimeError(f"Non-empty {input.ndim}D data tensor expected but got a tensor "
                           f"with sizes {list(input.shape)}")


def _dtype_check(input: Tensor, mode: str, nd: int) -> None:
    """PyTorch's NotImplementedError for dtypes its kernel lacks (uint8: nearest, and
    bilinear/bicubic of 4-D input through interpolation_uint8)."""
    if input.is_floating_point():
        return
    uint8 = str(input.dtype) == "torch.uint8"
    if uint8 and (mode in ("nearest", "nearest-exact") or
                  (mode in ("bilinear", "bicubic") and nd == 4)):
        return
    if mode in ("nearest", "nearest-exact"):
        kernel = ("upsample_nearest2d_channels_last" if nd == 4
                  else "compute_indices_weights_nearest")
    elif mode == "bilinear":
        kernel = "upsample_bilinear2d_channels_last"
    elif mode == "bicubic":
        kernel = "compute_indices_weights_cubic"
    else:
        kernel = "compute_indices_weights_linear"
    raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(input)}\'')


def _area(input: Tensor, output_size):
    from .registry import lookup
    name = {3: "adaptive_avg_pool1d", 4: "adaptive_avg_pool2d", 5: "adaptive_avg_pool3d"}
    key = "nn.functional." + name[input.ndim]
    try:
        pool = lookup(key).public
    except KeyError:
        pool = None
    if input.ndim == 3:
        return pool(input, output_size[0])
    if pool is not None:
        return pool(input, output_size)
    return _area_separable(input, output_size)


def _area_separable(input: Tensor, output_size):
    """Adaptive average pooling of the three trailing dims (when F.adaptive_avg_pool3d is
    not declared): one average per dim, PyTorch's windows [floor(oI/O), ceil((o+1)I/O))."""
    if not input.is_floating_point():
        raise NotImplementedError(f'"adaptive_avg_pool3d_cpu" not implemented for '
                                  f"'{type_name(input)}'")
    if tuple(output_size) == (1, 1, 1):   # PyTorch's composite: the mean (MeanBackward1)
        return input.mean((-1, -2, -3), keepdim=True)
    plan = []
    for i, o in zip(input.shape[2:], output_size):
        width = max([-((-(k + 1) * i) // o) - (k * i) // o for k in range(o)] + [1])
        idx = np.zeros((width, o), np.int64)
        w = np.zeros((width, o), _opmath(input._data.dtype))
        for k in range(o):
            start, end = (k * i) // o, -((-(k + 1) * i) // o)
            idx[:end - start, k] = np.arange(start, end)
            w[:end - start, k] = 1.0 / (end - start)
        plan.append((idx, w))
    return _AREA_3D.apply(input, plan, False)


# ------------------------------------------------------------------ declarations
@op("interpolate", namespace="nn.functional",
    kernels=("interpolate.bilinear2d_fwd", "interpolate.bilinear2d_bwd",
             "cpu:interpolate.uint8_taps", "cpu:interpolate.uint8_resample"))
def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resample the spatial dims of (N, C, *) input to `size` or by `scale_factor` with
    PyTorch's source-index rules (a given scale_factor is used as such unless
    recompute_scale_factor=True; see the module docstring)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    nd = input.ndim - 2
    output_size, scales = _sizes(input, size, scale_factor, nd)
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(math.floor(input.shape[i + 2] * scales[i])) for i in range(nd)]
        scales = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    _check_mode(input, mode)
    if mode == "area":
        return _area(input, output_size)
    if output_size is None:   # PyTorch's compute_output_size: trunc(in * scale) in double
        output_size = [int(input.shape[i + 2] * scales[i]) for i in range(nd)]
    return _resample(input, mode, output_size, scales, bool(align_corners), antialias)


def _check_mode(input: Tensor, mode: str) -> None:
    nd = input.ndim
    if mode in ("nearest", "nearest-exact", "area") and nd in (3, 4, 5):
        return
    want = _INTERP_MODES.get(mode)
    if want is not None and nd in (3, 4, 5) and want != nd:
        raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {want}D input")
    if want == nd:
        return
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                              f"{nd}D) for the modes: {_MODES} (got {mode})")


def _resample(input: Tensor, mode: str, output_size, scales, align_corners: bool,
              antialias: bool) -> Tensor:
    nd = input.ndim
    _dtype_check(input, mode, nd)
    _check_sizes(input, output_size)
    if str(input.dtype) == "torch.uint8" and mode in ("bilinear", "bicubic"):
        return interpolate_uint8(input, mode, output_size, scales, align_corners, antialias)
    T = _opmath(input._data.dtype)
    plan = _plan(mode, input.shape[2:], output_size, scales, align_corners, antialias, T)
    node = _NODES[(mode + ("-aa" if antialias else ""), nd)]
    use_kernel = mode == "bilinear" and not antialias
    return node.apply(input, plan, use_kernel)


@op("upsample", namespace="nn.functional")
def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners=None):
    """Deprecated spelling of F.interpolate (warns, then calls it)."""
    warn_user("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
              "instead.")
    return interpolate(input, size, scale_factor, mode, align_corners)


@op("upsample_nearest", namespace="nn.functional")
def upsample_nearest(input: Tensor, size=None, scale_factor=None):
    """Deprecated: F.interpolate with mode='nearest'."""
    warn_user("`nn.functional.upsample_nearest` is deprecated. Use "
              "`nn.functional.interpolate` instead.")
    return interpolate(input, size, scale_factor, mode="nearest")


@op("upsample_bilinear", namespace="nn.functional")
def upsample_bilinear(input: Tensor, size=None, scale_factor=None):
    """Deprecated: F.interpolate with mode='bilinear', align_corners=True."""
    warn_user("`nn.functional.upsample_bilinear` is deprecated. Use "
              "`nn.functional.interpolate` instead.")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
