"""Spatial transformers: F.grid_sample (sample input at grid locations) and F.affine_grid.

grid_sample follows PyTorch's GridSampler.h: grid value g in [-1, 1] maps to the pixel
coordinate ((g + 1) * size - 1) / 2, or (g + 1) / 2 * (size - 1) with align_corners; the
padding mode then clips (border) or reflects (reflection) the coordinate; non-finite
coordinates become -100 (outside). Bilinear reads the 2 (per dim) neighbours, nearest the
round-half-even one, bicubic (2-D only) a 4x4 patch whose taps are each padded (Keys' cubic,
A = -0.75); taps outside the input read zero. The grid gradient is the sum over taps of value
* (d weight of one dim) * (other weights), times the derivative of the coordinate map (0
where clipping saturates, -1 where a reflection flips); nearest gives the grid a zero
gradient, as PyTorch. Forward and backward run the grid_sample kernels on both devices
(kernels/cpu/grid_sample.py, kernels/cuda/grid_sample.cu); float16/bfloat16 are computed in
float32 and rounded once.
"""
from __future__ import annotations

from .._user_warning import warn_user
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap
from ._nn_util import compute_array, kernel_for, type_name
from ._util import check_tensor, xp_of
from .registry import op

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
_A = -0.75
_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.")


# ------------------------------------------------------------------ the sampler
_KERNELS = ("grid_sample.grid_sample_fwd", "grid_sample.grid_sample_bwd")


def _kernel(arrays, name: str):
    """(kernel, arrays as it takes them): the CUDA kernels take every float type, the Numba
    ones float32/float64, so a float16/bfloat16 CPU array is computed in float32."""
    kernel = kernel_for(arrays[0], "grid_sample", name)
    if kernel is None:
        arrays = [compute_array(a) for a in arrays]
        kernel = kernel_for(arrays[0], "grid_sample", name)
    if kernel is None:   # every float dtype has a kernel on both devices
        raise NotImplementedError(f"grid_sample: no kernel for {arrays[0].dtype}")
    return kernel, arrays


def _layout(xp, a, grid):
    """The kernels' layout: input (N, C, D, H, W) (D = 1 for 2-D), grid (N, P, nd)."""
    a = xp.ascontiguousarray(a)
    if a.ndim == 4:
        a = a.reshape(a.shape[:2] + (1,) + a.shape[2:])
    points = 1
    for size in grid.shape[1:-1]:
        points *= size
    return a, xp.ascontiguousarray(grid).reshape(grid.shape[0], points, grid.shape[-1])


class _GridSampler(ArrayFunction):
    @staticmethod
    def forward(ctx, x, grid, mode, padding, align):
        ctx.save_for_backward(x, grid)
        ctx.meta = (mode, padding, align)
        kernel, (a, gr) = _kernel([x._data, grid._data], "grid_sample_fwd")
        xp = xp_of(a)
        a5, g3 = _layout(xp, a, gr)
        out = xp.empty(a5.shape[:2] + g3.shape[1:2], a.dtype)
        kernel(a5, g3, out, mode, padding, int(align))
        out = out.reshape(a.shape[:2] + gr.shape[1:-1])
        return _wrap(out.astype(x._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        x, grid = ctx.saved_tensors
        mode, padding, align = ctx.meta
        kernel, (a, gr, g) = _kernel([x._data, grid._data, g], "grid_sample_bwd")
        xp = xp_of(a)
        a5, g3 = _layout(xp, a, gr)
        gout = xp.ascontiguousarray(g).reshape(a5.shape[:2] + g3.shape[1:2])
        gx = xp.zeros(a5.shape, a.dtype)
        ggrid = xp.empty(g3.shape, a.dtype)
        need_grid = ctx.needs_input_grad[1]
        kernel(a5, g3, gout, gx, ggrid, mode, padding, int(align), int(need_grid))
        gx = gx.reshape(a.shape).astype(x._data.dtype, copy=False)
        gg = ggrid.reshape(gr.shape).astype(grid._data.dtype, copy=False) if need_grid else None
        return gx, gg, None, None, None


class GridSampler2D(_GridSampler):
    pass


class GridSampler3D(_GridSampler):
    pass


# ------------------------------------------------------------------ declarations
def _check_grid_sample(input: Tensor, grid: Tensor, mode: int) -> None:
    if input.ndim not in (4, 5) or grid.ndim != input.ndim or \
            input.shape[0] != grid.shape[0]:
        if grid.ndim != input.ndim or input.shape[0] != grid.shape[0]:
            raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch "
                               f"size, but got input with sizes {list(input.shape)} and grid "
                               f"with sizes {list(grid.shape)}")
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same "
                           f"number of dimensions, but got input with sizes "
                           f"{list(input.shape)} and grid with sizes {list(grid.shape)}")
    nd = input.ndim - 2
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension, "
                           f"but got grid with sizes {list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {type_name(input)} but found "
                           f"{type_name(grid)}")
    for dim in range(2, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {dim} being empty")
    if mode == 2 and input.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.is_floating_point():
        raise NotImplementedError(f'"grid_sampler_{nd}d_cpu_kernel_impl" not implemented for '
                                  f"'{type_name(input)}'")


@op("grid_sample", namespace="nn.functional", kernels=_KERNELS)
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners=None) -> Tensor:
    """Sample (N, C, H, W) input at the grid's (N, Ho, Wo, 2) normalised (x, y) locations
    (5-D: (N, C, D, H, W) at (N, Do, Ho, Wo, 3)), by PyTorch's coordinate and padding rules."""
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warn_user(_ALIGN_WARNING)
        align_corners = False
    check_tensor(input, "input", "grid_sampler")
    check_tensor(grid, "grid", "grid_sampler", 2)
    _check_grid_sample(input, grid, _MODES[mode])
    fn = GridSampler2D if input.ndim == 4 else GridSampler3D
    return fn.apply(input, grid, _MODES[mode], _PADDINGS[padding_mode], bool(align_corners))


# ------------------------------------------------------------------ affine_grid
def _linspace(xp, steps: int, align: bool, dtype):
    """PyTorch's linspace_from_neg_one: -1..1, shrunk by (n-1)/n without align_corners."""
    if steps <= 1:
        return xp.zeros(max(steps, 0), dtype)
    r = xp.linspace(-1, 1, steps).astype(dtype)
    return r if align else r * dtype.type((steps - 1) / steps)


def _base_grid(xp, spatial, align: bool, dtype):
    """(*spatial, nd + 1): per location (x, y[, z], 1), x along the last dim."""
    nd = len(spatial)
    base = xp.ones(tuple(spatial) + (nd + 1,), dtype)
    for k in range(nd):
        axis = nd - 1 - k   # coordinate k (x first) varies along spatial dim nd-1-k
        shape = [1] * nd
        shape[axis] = spatial[axis]
        base[..., k] = _linspace(xp, spatial[axis], align, dtype).reshape(shape)
    return base


class AffineGridGenerator(ArrayFunction):
    @staticmethod
    def forward(ctx, theta, size, align):
        th = compute_array(theta._data)
        xp = xp_of(th)
        spatial = tuple(size[2:])
        base = _base_grid(xp, spatial, align, th.dtype).reshape(-1, len(spatial) + 1)
        ctx.meta = (base, spatial, theta._data.dtype)
        grid = xp.matmul(base[None], xp.swapaxes(th, 1, 2))      # (N, L, nd)
        out = grid.reshape((th.shape[0],) + spatial + (len(spatial),))
        return _wrap(out.astype(theta._data.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        base, spatial, dtype = ctx.meta
        xp = xp_of(g)
        gc = compute_array(g).reshape(g.shape[0], -1, len(spatial))
        gtheta = xp.swapaxes(xp.matmul(base.T[None], gc), 1, 2)    # (N, nd, nd + 1)
        return gtheta.astype(dtype, copy=False), None, None

    @staticmethod
    def grad_formula(ctx, g):   # linear in theta: the same products, recorded
        base, spatial, dtype = ctx.meta
        gc = g.reshape(g.shape[0], -1, len(spatial))
        basis = _wrap(base.T[None].astype(g._data.dtype, copy=False))
        return (basis @ gc).transpose(1, 2), None, None


@op("affine_grid", namespace="nn.functional")
def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The (N, H, W, 2) sampling grid of the affine maps theta (N, 2, 3) for an output of
    `size` (N, C, H, W); 5-D: theta (N, 3, 4), size (N, C, D, H, W). For grid_sample."""
    if align_corners is None:
        warn_user(_ALIGN_WARNING)
        align_corners = False
    check_tensor(theta, "theta", "affine_grid_generator")
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) in (4, 5):
        nd = len(size) - 2
        if theta.ndim != 3 or theta.shape[-2] != nd or theta.shape[-1] != nd + 1:
            shape = "Nx2x3" if nd == 2 else "Nx3x4"
            raise ValueError(f"Expected a batch of {nd}D affine matrices of shape {shape} for "
                             f"size {size}. Got {theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warn_user("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                  "grids when align_corners=True. This is not an intended use case of "
                  "affine_grid. See the documentation of affine_grid for details.")
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {nd + 1}] but got: [{theta.shape[0]}, {nd + 1}].")
    return AffineGridGenerator.apply(theta, size, bool(align_corners))
