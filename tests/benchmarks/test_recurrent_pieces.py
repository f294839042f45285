"""benchmarks/recurrent_pieces.py: its experimental per-step product computes W_hh @ h^T.

The script's timings are not checked (no timing in tests/); the kernel whose timing
docs/benchmarks.md quotes must compute the product it stands for, for any row count that is a
multiple of 8 and batch a multiple of 4 (its contract), on both halves of the rows.
"""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.recurrent_pieces import _halves_product


@pytest.mark.parametrize("rows,k_len,batch", [(8, 3, 4), (64, 17, 8), (1024, 256, 20)])
def test_halves_product_is_the_matrix_product(rows, k_len, batch):
    rng = np.random.default_rng(rows)
    w = rng.standard_normal((rows, k_len), dtype=np.float32)
    h = rng.standard_normal((batch, k_len), dtype=np.float32)
    out = np.full((rows, batch), np.nan, np.float32)
    _halves_product(w, h, out)
    expected = w.astype(np.float64) @ h.T.astype(np.float64)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4 * np.sqrt(k_len))
