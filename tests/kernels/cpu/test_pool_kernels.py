"""The 2x2 stride-2 max-pooling kernels (kernels/cpu/pool.py): the forward, which
(pairs of columns, then pairs of rows, in long loops) against the general kernel
max_pool2d_fwd, bit for bit: values, indices, NaN (the last NaN of a window wins), -inf,
ties (the first position wins) and signed zeros; even widths (one flat pass) and odd ones
(row by row), odd heights, more planes than the kernel's pieces, both compiled variants; and
the backward, which writes all of gx, against max_pool2d_bwd on a zeroed gx."""
from __future__ import annotations

import numpy as np
import pytest

from minitorch_nn.kernels.cpu import pool as K


def _values(shape, dtype, seed):
    """Random values with a few repeated values (ties), NaNs, infinities and signed zeros."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=shape).astype(dtype)   # many ties
    flat = x.reshape(-1)
    if not flat.size:
        return x
    picks = rng.integers(0, flat.size, size=(4, max(flat.size // 9, 1)))
    flat[picks[0]] = np.nan
    flat[picks[1]] = -np.inf
    flat[picks[2]] = np.inf
    flat[picks[3]] = -0.0
    return x


@pytest.mark.parametrize("variant", ["max_pool2d_2x2_fwd", "max_pool2d_2x2_fwd_serial"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 50, 6, 8), (2, 3, 7, 9), (1, 70, 5, 4), (1, 1, 2, 2),
                                   (2, 1, 1, 4), (1, 2, 3, 1)])
def test_2x2_forward_equals_general_kernel(shape, dtype, variant):
    x = _values(shape, dtype, seed=sum(shape))
    out_shape = shape[:2] + (shape[2] // 2, shape[3] // 2)
    ours, ours_idx = np.full(out_shape, 5.0, dtype), np.full(out_shape, -7, np.int64)
    getattr(K, variant)(x, ours, ours_idx)
    ref, ref_idx = np.empty(out_shape, dtype), np.empty(out_shape, np.int64)
    K.max_pool2d_fwd(x, ref, ref_idx, 2, 2, 2, 2, 0, 0, 1, 1)
    assert np.array_equal(ours, ref, equal_nan=True)
    assert np.array_equal(np.signbit(ours), np.signbit(ref))
    assert np.array_equal(ours_idx, ref_idx)


@pytest.mark.parametrize("variant", ["max_pool2d_2x2_bwd", "max_pool2d_2x2_bwd_serial"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 50, 6, 8), (2, 3, 7, 9), (1, 2, 3, 1)])
def test_2x2_backward_writes_all_of_gx(shape, dtype, variant):
    """Every position is written (gx starts as garbage here), with max_pool2d_bwd's sums:
    -0.0 gradients come out as 0.0, rows and columns in no window get 0."""
    x = _values(shape, dtype, seed=1)
    out_shape = shape[:2] + (shape[2] // 2, shape[3] // 2)
    values, idx = np.empty(out_shape, dtype), np.empty(out_shape, np.int64)
    K.max_pool2d_fwd(x, values, idx, 2, 2, 2, 2, 0, 0, 1, 1)
    g = _values(out_shape, dtype, seed=2)
    ours = np.full(shape, np.nan, dtype)
    getattr(K, variant)(g, idx, ours)
    ref = np.zeros(shape, dtype)
    K.max_pool2d_bwd(g, idx, ref)
    assert np.array_equal(ours, ref, equal_nan=True)
    assert np.array_equal(np.signbit(ours), np.signbit(ref))
