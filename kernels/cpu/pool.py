"""Pooling kernels over (N, C, H, W) arrays: max (with indices), average, adaptive average.

Every kernel is parallel over the N*C planes, which are independent (each output plane reads
one input plane; each gradient plane is written by one thread), and walks the windows of its
plane directly: no im2col copy. Window of output (oh, ow):

    rows ih = oh*sh - ph + i*dh (i < kh), cols iw = ow*sw - pw + j*dw (j < kw),

positions outside the input are skipped (max pooling pads with -inf). Max pooling records the
winning position as ih*W + iw (PyTorch's index convention) and lets NaN win, as PyTorch does;
its backward adds each output gradient at that index. A window with no position inside the
input (possible with dilation: ph=1, dh=2 on H=1) has the value -inf and PyTorch's index for
it, which lies outside the plane (H*W + ...); the backward kernels skip any index outside
[0, H*W), so they never write outside gx whatever `idx` holds (such a window's gradient goes
nowhere: PyTorch's gradient too).

Average pooling follows PyTorch's divisor rule: the window is first clipped to the padded
input (H + ph), its size there is the divisor when count_include_pad, else the size after
clipping to the input; divisor_override (> 0) replaces both.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ._variants import parallel_kernel

__all__ = ["max_pool2d_fwd", "max_pool2d_bwd", "max_pool2d_2x2_fwd", "max_pool2d_2x2_bwd",
           "avg_pool2d_fwd", "avg_pool2d_bwd",
           "adaptive_avg_pool2d_fwd", "adaptive_avg_pool2d_bwd"]


@parallel_kernel(globals())
def max_pool2d_fwd(x, out, idx, kh, kw, sh, sw, ph, pw, dh, dw):
    n_batch, channels, height, width = x.shape
    oh_n, ow_n = out.shape[2], out.shape[3]
    for nc in prange(n_batch * channels):
        n = nc // channels
        c = nc % channels
        for oh in range(oh_n):
            h0 = oh * sh - ph
            for ow in range(ow_n):
                w0 = ow * sw - pw
                best = -math.inf
                hs = h0
                while hs < 0:
                    hs += dh
                ws = w0
                while ws < 0:
                    ws += dw
                best_i = hs * width + ws   # PyTorch's index when nothing beats -inf
                for i in range(kh):
                    ih = h0 + i * dh
                    if ih < 0 or ih >= height:
                        continue
                    for j in range(kw):
                        iw = w0 + j * dw
                        if iw < 0 or iw >= width:
                            continue
                        v = x[n, c, ih, iw]
                        if v > best or math.isnan(v):
                            best = v
                            best_i = ih * width + iw
                out[n, c, oh, ow] = best
                idx[n, c, oh, ow] = best_i


@parallel_kernel(globals())
def max_pool2d_bwd(g, idx, gx):
    """gx (N, C, H, W), zeroed by the caller, receives g at the recorded positions."""
    n_batch, channels, height, width = gx.shape
    oh_n, ow_n = g.shape[2], g.shape[3]
    plane = height * width
    for nc in prange(n_batch * channels):
        n = nc // channels
        c = nc % channels
        for oh in range(oh_n):
            for ow in range(ow_n):
                k = idx[n, c, oh, ow]
                if k < 0 or k >= plane:
                    continue   # a window wholly in the padding (or a foreign index)
                gx[n, c, k // width, k % width] += g[n, c, oh, ow]


# Planes per piece of work in max_pool2d_2x2_fwd: each piece allocates its scratch rows once.
_PIECES = 64


@parallel_kernel(globals())
def max_pool2d_2x2_fwd(x, out, idx):
    """max_pool2d_fwd for 2x2 windows, stride 2, no padding, dilation 1 (floor mode).

    The result of max_pool2d_fwd's rule (the four values in the order (0,0), (0,1), (1,0),
    (1,1); a later value wins when greater or NaN) is the last NaN of the window, else its
    first maximum; applying the same rule to the pairs (0,0)/(0,1) and (1,0)/(1,1) and then
    to the two winners (the bottom pair is later than the top one) gives the same value and
    index. Each pass then is one long loop that LLVM vectorizes: every pair of columns of the
    rows the windows cover (flat when W is even), then every pair of vertically adjacent pair
    results (including the ones straddling two windows, which are dropped), then the kept
    rows are copied out. 3x faster than one window at a time (OW, 14 for a 28x28 input, is
    too short a loop for vectors).
    """
    n_batch, channels, height, width = x.shape
    oh_n, ow_n = out.shape[2], out.shape[3]
    planes = n_batch * channels
    flat = x.reshape(planes, height * width)
    out_flat = out.reshape(planes, oh_n * ow_n)
    idx_flat = idx.reshape(planes, oh_n * ow_n)
    pairs = np.uint64(2 * oh_n * ow_n)       # column pairs of the covered rows
    stacked = np.uint64(max(2 * oh_n - 1, 0) * ow_n)
    below = np.uint64(ow_n)                  # the pair under pair q is q + OW
    pieces = min(planes, _PIECES)
    per = (planes + pieces - 1) // max(pieces, 1)
    for piece in prange(pieces):
        h_val = np.empty(pairs, x.dtype)     # winner of each column pair,
        h_off = np.empty(pairs, np.int64)    # its column in the pair (0 or 1)
        v_val = np.empty(stacked, x.dtype)   # winner of pair q and the pair below it,
        v_off = np.empty(stacked, np.int64)  # its offset from pair q's first element
        for nc in range(piece * per, min(planes, (piece + 1) * per)):
            src = flat[nc]
            if width == 2 * ow_n:
                for q in range(pairs):
                    a = src[q + q]
                    b = src[q + q + np.uint64(1)]
                    later = (b > a) | (b != b)
                    h_val[q] = b if later else a
                    h_off[q] = np.int64(1) if later else np.int64(0)
            else:
                for r in range(2 * oh_n):
                    q0 = np.uint64(r * ow_n)
                    s0 = np.uint64(r * width)
                    for ow in range(np.uint64(ow_n)):
                        a = src[s0 + ow + ow]
                        b = src[s0 + ow + ow + np.uint64(1)]
                        later = (b > a) | (b != b)
                        h_val[q0 + ow] = b if later else a
                        h_off[q0 + ow] = np.int64(1) if later else np.int64(0)
            for q in range(stacked):
                a = h_val[q]
                b = h_val[q + below]
                later = (b > a) | (b != b)
                top = h_off[q]
                bottom = h_off[q + below] + np.int64(width)
                v_val[q] = b if later else a
                v_off[q] = bottom if later else top
            dst = out_flat[nc]
            dst_idx = idx_flat[nc]
            for oh in range(oh_n):
                q0 = np.uint64(2 * oh * ow_n)
                d0 = np.uint64(oh * ow_n)
                shift = np.int64(2 * oh * width - 4 * oh * ow_n)   # corner - 2 * q0
                for ow in range(np.uint64(ow_n)):
                    dst[d0 + ow] = v_val[q0 + ow]
                    dst_idx[d0 + ow] = np.int64(2 * (q0 + ow)) + v_off[q0 + ow] + shift


@parallel_kernel(globals())
def max_pool2d_2x2_bwd(g, idx, gx):
    """max_pool2d_bwd for 2x2 windows, stride 2, no padding: gx (N, C, H, W) is written whole
    (each plane zeroed while it is in cache, so the caller need not zero it), and receives g
    at the recorded positions (added to the zero, as max_pool2d_bwd does, so a -0.0 gradient
    comes out as 0.0 in both). The row and column come from the window's corner and the
    index's offset in it, without max_pool2d_bwd's division per element; an index outside
    its window is skipped (never written outside gx)."""
    n_batch, channels, height, width = gx.shape
    oh_n, ow_n = g.shape[2], g.shape[3]
    planes = n_batch * channels
    g_flat = g.reshape(planes, oh_n * ow_n)
    idx_flat = idx.reshape(planes, oh_n * ow_n)
    gx_flat = gx.reshape(planes, height * width)
    for nc in prange(planes):
        dst = gx_flat[nc]
        for t in range(np.uint64(height * width)):
            dst[t] = 0.0
        src = g_flat[nc]
        positions = idx_flat[nc]
        for oh in range(oh_n):
            p0 = np.uint64(oh * ow_n)
            corner = 2 * oh * width
            for ow in range(np.uint64(ow_n)):
                k = positions[p0 + ow]
                off = k - corner - np.int64(ow + ow)
                di = 1 if off >= width else 0
                dj = off - di * width
                if off < 0 or dj < 0 or dj > 1 or 2 * oh + di >= height:
                    continue
                dst[np.uint64(k)] += src[p0 + ow]


@njit(cache=True, inline="always")
def _avg_window(o, stride, pad, k, size):
    """(start, end, padded_size) of one average-pooling window along one axis."""
    start = o * stride - pad
    end = min(start + k, size + pad)
    padded = end - start
    return max(start, 0), min(end, size), padded


@parallel_kernel(globals())
def avg_pool2d_fwd(x, out, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override):
    n_batch, channels, height, width = x.shape
    oh_n, ow_n = out.shape[2], out.shape[3]
    for nc in prange(n_batch * channels):
        n = nc // channels
        c = nc % channels
        for oh in range(oh_n):
            h0, h1, hp = _avg_window(oh, sh, ph, kh, height)
            for ow in range(ow_n):
                w0, w1, wp = _avg_window(ow, sw, pw, kw, width)
                s = 0.0
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        s += x[n, c, ih, iw]
                if divisor_override > 0:
                    div = divisor_override
                elif count_include_pad:
                    div = hp * wp
                else:
                    div = (h1 - h0) * (w1 - w0)
                out[n, c, oh, ow] = s / div if div > 0 else 0.0


@parallel_kernel(globals())
def avg_pool2d_bwd(g, gx, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override):
    """gx (N, C, H, W), zeroed by the caller: each window spreads g / divisor over itself."""
    n_batch, channels, height, width = gx.shape
    oh_n, ow_n = g.shape[2], g.shape[3]
    for nc in prange(n_batch * channels):
        n = nc // channels
        c = nc % channels
        for oh in range(oh_n):
            h0, h1, hp = _avg_window(oh, sh, ph, kh, height)
            for ow in range(ow_n):
                w0, w1, wp = _avg_window(ow, sw, pw, kw, width)
                if divisor_override > 0:
                    div = divisor_override
                elif count_include_pad:
                    div = hp * wp
                else:
                    div = (h1 - h0) * (w1 - w0)
                if div <= 0:
                    continue
                v = g[n, c, oh, ow] / div
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        gx[n, c, ih, iw] += v


@njit(cache=True, inline="always")
def _adaptive_range(o, out_size, in_size):
    """PyTorch's adaptive window along one axis: [floor(o*I/O), ceil((o+1)*I/O))."""
    start = (o * in_size) // out_size
    end = ((o + 1) * in_size + out_size - 1) // out_size
    return start, end


@parallel_kernel(globals())
def adaptive_avg_pool2d_fwd(x, out):
    n_batch, channels, height, width = x.shape
    oh_n, ow_n = out.shape[2], out.shape[3]
    for nc in prange(n_batch * channels):
        n = nc // channels
        c = nc % channels
        for oh in range(oh_n):
            h0, h1 = _adaptive_range(oh, oh_n, height)
            for ow in range(ow_n):
                w0, w1 = _adaptive_range(ow, ow_n, width)
                s = 0.0
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        s += x[n, c, ih, iw]
                out[n, c, oh, ow] = s / ((h1 - h0) * (w1 - w0))


@parallel_kernel(globals())
def adaptive_avg_pool2d_bwd(g, gx):
    n_batch, channels, height, width = gx.shape
    oh_n, ow_n = g.shape[2], g.shape[3]
    for nc in prange(n_batch * channels):
        n = nc // channels
        c = nc % channels
        for oh in range(oh_n):
            h0, h1 = _adaptive_range(oh, oh_n, height)
            for ow in range(ow_n):
                w0, w1 = _adaptive_range(ow, ow_n, width)
                v = g[n, c, oh, ow] / ((h1 - h0) * (w1 - w0))
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        gx[n, c, ih, iw] += v
