"""A transposed convolution's weight gradient where the input holds inf or NaN: which
"padding taps" PyTorch leaves out.

The weight gradient pairs every input position with every kernel tap; a tap that lands outside
the output reads padding. Computed as im2col + GEMM (ours; PyTorch's own kernels; oneDNN's
gemm-based implementation) the padding is a column entry of 0, and 0 * inf = NaN reaches that
tap's gradient. oneDNN's direct (jit) kernels instead loop over the in-range positions only, so
the same tap gets a finite value, often 0. Finite inputs give the same result either way.

Which one PyTorch 2.13's CPU build runs: float32 goes to oneDNN when `uses_onednn` says so
(_conv_transpose_checks.py), every other dtype to PyTorch's own kernels. oneDNN runs the weight
gradient as a convolution's weight gradient (src = the output gradient, diff_dst = the input)
and takes the first implementation whose checks pass; `_OneDnnConv` models those checks
for the x86 jit kernels of oneDNN 3.12 (jit_avx512_common_conv_kernel.cpp,
jit_uni_dw_conv_kernel_utils.cpp, jit_avx2_conv_kernel_f32.cpp: init_conf). Otherwise oneDNN
uses its gemm implementation (or a 1x1 or inner-product one, which have no padding taps).
Sizes are as oneDNN sees them: 1-D lifted to 2-D with a height of 1.
"""
from __future__ import annotations

import numpy as np

from ._conv_transpose_checks import uses_onednn
from ._cpu_features import host_cpu_features
from ._nn_util import type_name
from ._util import xp_of

_AVX512_CORE = ("avx512f", "avx512bw", "avx512vl", "avx512dq")


def skips_padding_taps(input, weight, x, geom) -> bool:
    """Whether PyTorch leaves the padding taps out of this transposed convolution's weight
    gradient (`input`, `weight`: the saved tensors, 1-D lifted to 2-D; x: input's array;
    geom: Convolution's). Only an input with inf or NaN can tell, so finite ones say no."""
    stride, pad, dil, out, groups, _ = geom
    if type_name(input) != "Float":
        return False
    kernel = tuple(weight.shape[2:])
    output_padding = [o - ((n - 1) * s - 2 * p + d * (k - 1) + 1) for o, n, s, p, d, k in
                      zip(out, x.shape[2:], stride, pad, dil, kernel)]
    if not uses_onednn(input, weight, stride, output_padding, dil, groups):
        return False
    conv = _OneDnnConv(x.shape, weight.shape, stride, pad, dil, out, groups)
    f = host_cpu_features()   # oneDNN's list, in its order, for this CPU
    direct = ((all(f.get(name) for name in _AVX512_CORE) and conv.avx512_ok())
              or (f.get("sse4.1") and conv.depthwise_ok())
              or (f.get("avx2") and conv.avx2_ok()))
    return bool(direct) and not bool(xp_of(x).isfinite(x).all())


class _OneDnnConv:
    """The convolution oneDNN runs for the weight gradient: its input is the transposed
    convolution's output (sizes `out`), its output the transposed convolution's input x.
    Per axis (depth, height, width as present): kernel k, extended kernel ext, stride s,
    dilation d (PyTorch's: 1 = none), start padding p, end padding `end`."""

    def __init__(self, x_shape, w_shape, stride, pad, dil, out, groups):
        self.groups, self.nd = groups, len(out)
        self.c_in, self.c_out = w_shape[1], x_shape[1] // groups   # its channels per group
        self.depthwise = groups > 1 and self.c_in == self.c_out == 1
        self.k, self.s, self.p, self.d = tuple(w_shape[2:]), stride, pad, dil
        self.out, self.x = tuple(out), tuple(x_shape[2:])
        self.ext = [d * (k - 1) + 1 for k, d in zip(self.k, dil)]
        self.end = [max(0, (n - 1) * s + e - (o + p))
                    for n, s, e, o, p in zip(self.x, stride, self.ext, self.out, pad)]

    def avx512_ok(self) -> bool:
        """jit_avx512_common_conv_bwd_weights: channels in blocks of 16 (padded with one
        group; below 16 input channels only 1 to 3), dilation only with stride 1 on the outer
        axes, no depth dilation, padding below the extended kernel (height: at most half of
        it), kernel width <= 14."""
        *outer, w = range(self.nd)
        h = outer[-1]
        if self.groups == 1:
            channels = self.c_in <= 3 or self.c_in >= 16
        else:
            channels = self.c_in % 16 == 0 and self.c_out % 16 == 0
        ok = (channels
              and all(self.d[a] == 1 or self.s[a] == 1 for a in outer)
              and (self.d[h] == 1 or self.ext[h] <= self.out[h])
              and not (self.nd == 3 and self.d[0] > 1)
              and self.p[w] < self.ext[w] and self.end[w] < self.ext[w]
              and max(self.p[w], self.end[w]) <= 28
              and self.p[h] <= self.ext[h] // 2 and self.end[h] <= self.ext[h] // 2
              and self.k[w] <= 14)
        if ok and self.nd == 3:
            ok = (self.p[0] < self.ext[0] and self.end[0] < self.ext[0]
                  and (self.p[0] == 0 or self.k[0] < self.out[0] + self.p[0]))
        return ok

    def depthwise_ok(self) -> bool:
        """jit_uni_dw_conv_bwd_weights (2-D, one channel per group): no dilation, kernel
        width <= 3 and at least the stride, padding at most half the kernel, sizes that the
        padded input fits exactly."""
        if not self.depthwise or self.nd != 2 or any(d != 1 for d in self.d):
            return False
        if self.k[1] > 3 or self.s[1] > self.k[1]:
            return False
        for a in range(2):
            padded = self.out[a] + self.p[a] + self.end[a]
            if self.x[a] != (padded - self.k[a]) // self.s[a] + 1:
                return False
            if max(self.p[a], self.end[a]) > self.k[a] // 2:
                return False
        top, bottom, sh = self.p[0], self.end[0], self.s[0]
        return (self.out[0] >= self.k[0] + (-top) % sh
                and (top <= 1 or top % sh == 0) and (bottom <= 1 or bottom % sh == 0))

    def avx2_ok(self) -> bool:
        """jit_avx2_conv_bwd_weights: channels in blocks of 8 (padded with one group), no
        dilation, padding below the kernel (none in depth), kernel width < 14 and the kernel
        no larger than the output."""
        blocks = self.groups == 1 or (self.c_in % 8 == 0 and self.c_out % 8 == 0)
        if not blocks or any(d != 1 for d in self.d):
            return False
        *outer, w = range(self.nd)
        h = outer[-1]
        if any(max(self.p[a], self.end[a]) >= self.ext[a] for a in (h, w)):
            return False
        if self.nd == 3 and (self.p[0] or self.end[0] or self.k[0] > self.out[0]):
            return False
        return (self.k[w] < 14 and self.k[h] <= self.out[h] and self.p[h] < self.k[h])


def weight_grad_in_range(x, gcols, im2col, geom, w_shape):
    """The weight gradient from in-range taps only, as oneDNN's direct kernels compute it.
    x: the input (N, C_in, *L); gcols: im2col of the output gradient (C_out*taps, N*L);
    im2col: that im2col, applied here to ones of the output's shape (geom's `out`), which
    gives 1 where a tap lands in the output. One product per tap and group, with the input
    zeroed where that tap lands in padding (this path runs only for an input with inf or
    NaN, so its speed matters little)."""
    xp, groups = xp_of(x), geom[4]
    n, c_in = x.shape[0], x.shape[1]
    xmat = xp.moveaxis(x.reshape(n, c_in, -1), 1, 0).reshape(c_in, -1)   # (C_in, N*L)
    valid = im2col(xp.ones((1, 1) + tuple(geom[3]), x.dtype)) != 0      # (taps, L)
    taps = valid.shape[0]
    gcols = gcols.reshape(gcols.shape[0] // taps, taps, gcols.shape[1])
    gw = xp.empty((w_shape[0], w_shape[1], taps), np.result_type(xmat.dtype, gcols.dtype))
    a, b = c_in // groups, w_shape[1]
    with np.errstate(invalid="ignore", over="ignore"):   # inf * 0 at in-range taps: NaN
        for t in range(taps):
            xt = xp.where(xp.tile(valid[t], n), xmat, 0)
            for g in range(groups):
                gw[g * a:(g + 1) * a, :, t] = xt[g * a:(g + 1) * a] @ gcols[g * b:(g + 1) * b, t].T
    return gw.reshape(w_shape)
