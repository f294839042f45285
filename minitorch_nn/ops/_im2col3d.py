"""im2col / col2im for 3-D convolutions: every (kd, kh, kw) receptive field of an (N, C, D, H, W)
array as a column, and the adjoint that adds columns back (xp code: NumPy and CuPy alike).

Used by convolution3d.py (the 3-D convolutions) and by convolution.py's weight-gradient
Function, which serves 2-D and 3-D alike; a module of its own so that neither imports the other
for it.
"""
from __future__ import annotations

from ._util import xp_of


def _frame_shape(shape, k, stride, pad, dil, out):
    """(N, C, D', H', W'): a zero frame holding every field (`pad` before, the rest after)."""
    sizes = []
    for size, ki, s, p, d, o in zip(shape[2:], k, stride, pad, dil, out):
        sizes.append(max((o - 1) * s + (ki - 1) * d + 1, p + size))
    return tuple(shape[:2]) + tuple(sizes)


def _field(a: int, i: int, j: int, stride, dil, out) -> tuple:
    """The slices of a frame that kernel offset (a, i, j) reads for every output position
    (empty where an output size is 0: a stop of start - stride + 1 could be negative, which
    Python reads from the end)."""
    return tuple(slice(o0 * d, o0 * d + s * (o - 1) + 1 if o > 0 else o0 * d, s)
                 for o0, s, d, o in zip((a, i, j), stride, dil, out))


def _im2col3d(x, k, stride, pad, dil, out):
    """(N, C, D, H, W) → (C*kd*kh*kw, N*OD*OH*OW) columns; zero where a field reads padding."""
    xp = xp_of(x)
    n, c, d, h, w = x.shape
    frame = xp.zeros(_frame_shape(x.shape, k, stride, pad, dil, out), x.dtype)
    frame[:, :, pad[0]:pad[0] + d, pad[1]:pad[1] + h, pad[2]:pad[2] + w] = x
    frame = frame.transpose(1, 0, 2, 3, 4)
    cols = xp.empty((c, k[0], k[1], k[2], n) + tuple(out), x.dtype)
    for a in range(k[0]):
        for i in range(k[1]):
            for j in range(k[2]):
                cols[:, a, i, j] = frame[(slice(None), slice(None))
                                         + _field(a, i, j, stride, dil, out)]
    return cols.reshape(c * k[0] * k[1] * k[2], n * out[0] * out[1] * out[2])


def _col2im3d(cols, shape, k, stride, pad, dil, out):
    """The adjoint of `_im2col3d`: sum columns into an array of `shape` (N, C, D, H, W)."""
    xp = xp_of(cols)
    n, c, d, h, w = shape
    frame = xp.zeros(_frame_shape(shape, k, stride, pad, dil, out), cols.dtype)
    cols8 = cols.reshape((c, k[0], k[1], k[2], n) + tuple(out))
    for a in range(k[0]):
        for i in range(k[1]):
            for j in range(k[2]):
                frame[(slice(None), slice(None)) + _field(a, i, j, stride, dil, out)] += \
                    cols8[:, a, i, j].transpose(1, 0, 2, 3, 4)
    return frame[:, :, pad[0]:pad[0] + d, pad[1]:pad[1] + h, pad[2]:pad[2] + w]
