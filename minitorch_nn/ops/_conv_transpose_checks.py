"""PyTorch's checks on a transposed convolution's geometry and output size (conv_transpose1d,
2d and 3d; PyTorch's CPU rules, applied on every device): which calls it refuses, with which
error, and which empty results it returns. The arithmetic is the same everywhere, output size
= (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1 + output_padding; what
differs is which PyTorch code path runs, since each checks different things:

- a zero batch (the "empty" path): no kernel runs. PyTorch computes the output shape and
  `view`s an empty tensor as it, so a negative size fails as `view` does: -1 reads as "infer
  this size" ("... is ambiguous"), two -1 as "only one dimension can be inferred", -2 and below
  as "invalid shape dimension". Output padding is not checked.
- oneDNN (mkldnn), which PyTorch picks by a speed heuristic (`uses_onednn`): an output size of
  0 is fine (the result is empty), a negative one fails.
- PyTorch's own kernels otherwise (slow_conv_transpose2d, which runs 1-D as 2-D with a height
  of 1, and slow_conv_transpose3d): kernel, dilation, output padding and weight are checked
  (each group's weight), then any output size below 1 is refused ("Output size is too small").

Where oneDNN fails (a negative output size, an empty weight, a zero dilation) its messages are
its internals ("could not construct a memory descriptor using a format tag"); we raise the same
class (RuntimeError) with the message of PyTorch's own kernels, which names the sizes.
Messages give sizes as the kernel sees them: a 1-D convolution's as 2-D ones, height 1.
"""
from __future__ import annotations

from ..settings import get_num_threads
from ._cpu_features import cpu_has_native
from ._nn_util import type_name

_AXES = ("depth", "height", "width")


def transposed_output_size(sizes, kernel, stride, padding, output_padding, dilation) -> list:
    """The output's spatial sizes (may be 0 or negative: the checks below decide)."""
    return [(size - 1) * s - 2 * p + d * (k - 1) + 1 + o
            for size, k, s, p, o, d in zip(sizes, kernel, stride, padding, output_padding,
                                           dilation)]


def check_transposed_output(x, weight, stride, padding, output_padding, dilation, groups: int,
                            spatial: int) -> list:
    """Raise PyTorch's error for this transposed convolution, or return its output sizes.
    x is batched, and the common checks (ranks, channels, groups, bias, negative sizes, an
    empty input other than through the batch) have passed."""
    out = transposed_output_size(x.shape[2:], weight.shape[2:], stride, padding, output_padding,
                                 dilation)
    if x.shape[0] == 0:
        _check_empty_batch(x, weight, groups, _as_2d(out, 1, spatial))
        return out
    per_group = [weight.shape[0] // groups, weight.shape[1]] + \
        list(_as_2d(weight.shape[2:], 1, spatial))
    geometry = {"kernel": _as_2d(weight.shape[2:], 1, spatial),
                "stride": _as_2d(stride, 1, spatial),
                "output_padding": _as_2d(output_padding, 0, spatial),
                "dilation": _as_2d(dilation, 1, spatial)}
    _check_kernel_path(geometry, per_group, weight.numel() == 0, spatial)
    onednn = uses_onednn(x, weight, stride, output_padding, dilation, groups)
    if any(o < 0 for o in out) or (not onednn and any(o < 1 for o in out)):
        sizes = " x ".join(map(str, _as_2d(x.shape[2:], 1, spatial)))
        raise RuntimeError(f"Given input size per channel: ({sizes}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, _as_2d(out, 1, spatial)))}). "
                           f"Output size is too small")
    return out


def _as_2d(values, fill: int, spatial: int) -> tuple:
    """1-D values as PyTorch's 2-D kernel sees them (`fill` for the height); others as is."""
    return (fill,) + tuple(values) if spatial == 1 else tuple(values)


def _check_empty_batch(x, weight, groups: int, out) -> None:
    """A zero batch: PyTorch's `weight.view(-1)[0]` (an IndexError for an empty weight), then
    `view` of the empty result as the output shape (1-D: lifted to 2-D)."""
    if weight.numel() == 0:
        raise IndexError("select(): index 0 out of range for tensor of size [0] at dimension 0")
    shape = [x.shape[0], weight.shape[1] * groups] + list(out)
    inferred = False
    for index, size in enumerate(shape):
        if size == -1 and inferred:
            raise RuntimeError("only one dimension can be inferred")
        if size < -1:
            raise RuntimeError(f"invalid shape dimension {size} at index {index} of shape "
                               f"{shape}")
        inferred = inferred or size == -1
    if inferred:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {shape} because "
                           f"the unspecified dimension size -1 can be any value and is "
                           f"ambiguous")


def _named(what: str, values, axes) -> str:
    """"what_height: 1 what_width: 2": PyTorch's way of naming per-axis values."""
    return " ".join(f"{what}_{axis}: {v}" for axis, v in zip(axes, values))


def _check_kernel_path(g: dict, per_group: list, empty_weight: bool, spatial: int) -> None:
    """The checks of PyTorch's own kernels, in their order (`g`: kernel, stride,
    output_padding, dilation; `per_group`: one group's weight shape; 1-D lifted to 2-D).
    oneDNN refuses the same calls, with its own messages."""
    axes = _AXES[3 - max(spatial, 2):]
    if spatial < 3 and any(k <= 0 for k in g["kernel"]):
        raise RuntimeError(f"kernel size should be greater than zero, but got "
                           f"{_named('kernel', g['kernel'], axes)}")
    if any(d <= 0 for d in g["dilation"]):
        raise RuntimeError("dilation should be greater than zero, but got " + ", ".join(
            f"dilation_{axis}: {d}" for axis, d in zip(axes, g["dilation"])))
    if any(o >= s and o >= d for o, s, d in zip(g["output_padding"], g["stride"],
                                                g["dilation"])):
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, "
                           f"but got {_named('output_padding', g['output_padding'], axes)} "
                           f"{_named('stride', g['stride'], axes)} "
                           f"{_named('dilation', g['dilation'], axes)}")
    if empty_weight and spatial == 3:
        raise RuntimeError(f"non-empty 5D (n_output_plane x n_input_plane x kernel_depth x "
                           f"kernel_height x kernel_width) tensor expected for weight, but "
                           f"got: {per_group}")
    if empty_weight:
        raise RuntimeError(f"non-empty 2D or 4D weight tensor expected, but got: {per_group}")


def uses_onednn(x, weight, stride, output_padding, dilation, groups: int) -> bool:
    """Whether PyTorch's CPU build runs this (non-empty) transposed convolution with oneDNN
    (ConvParams::use_mkldnn in ATen/native/Convolution.cpp): never with an output padding of
    at least the stride; bfloat16 and float16 where the CPU computes them natively; float32
    unless the problem is small (a 1x1 kernel without stride or dilation, one thread, fewer
    than 16 samples; or one sample, one group, a kernel side of at most 3 and at most 20480
    input values). PyTorch's thread count is read as ours (`get_num_threads`)."""
    if any(o >= s for o, s in zip(output_padding, stride)):
        return False
    dtype = type_name(x)
    if dtype in ("BFloat16", "Half"):
        return cpu_has_native(dtype)
    if dtype != "Float":
        return False
    shape = (x.shape[0], x.shape[1], 1, x.shape[2]) if x.ndim == 3 else tuple(x.shape[:4])
    kh, kw = ((1,) + tuple(weight.shape[2:]))[-2:]
    n = shape[0]
    worth_it = (any(s != 1 for s in stride) or any(d != 1 for d in dilation) or n >= 16
                or kw != 1 or kh != 1 or get_num_threads() > 1)
    large = (groups > 1 or (kw > 3 and kh > 3) or n > 1
             or shape[0] * shape[1] * shape[2] * shape[3] > 20480)
    return worth_it and large
