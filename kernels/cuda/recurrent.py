"""Launchers of recurrent.cu: the LSTM and GRU step kernels of kernels/cpu/recurrent.py on CuPy arrays.

Same arguments as the Numba kernels (flat views of gate-major arrays: gates (4H, B) or (3H, B), states
(H, B); `b_hh` empty when the layer has no bias); float32 and float64, the dtypes of the fused
recurrent layers (ops/recurrent.py FUSED_DTYPES).
"""
from __future__ import annotations

from ._launch import FLOAT_TYPES, Family, check_same_shape, elementwise_config

__all__ = ["lstm_gates_fwd", "lstm_gates_bwd", "gru_gates_fwd", "gru_gates_bwd"]

KERNELS = Family("recurrent", """
    lstm_gates_fwd(const T* gi, const T* rec, const T* b_hh, int has_bias, const T* c_prev,
                   T* act, T* c, T* h, long long n)
    lstm_gates_bwd(const T* act, const T* c, const T* c_prev, const T* dh, const T* g_out,
                   T* dc, T* d, long long n)
    gru_gates_fwd(const T* gi, const T* gh, const T* b_hh, int has_bias, const T* h_prev,
                  T* act, T* h_n, T* h, long long n)
    gru_gates_bwd(const T* act, const T* h_n, const T* h_prev, const T* dh, const T* g_out,
                  T* d_in, T* d_rec, T* dh_z, long long n)
""", dtypes=FLOAT_TYPES)


def _check_gates(kernel: str, n: int, *gates, count: int = 4) -> None:
    for a in gates:
        if a.size != count * n:
            raise ValueError(f"{kernel}: gate arrays must have {count} * {n} elements, "
                             f"got {a.size}")


def lstm_gates_fwd(gi, rec, b_hh, c_prev, act, c, h) -> None:
    n = c.size
    check_same_shape("lstm_gates_fwd", c_prev, c, h, flat=True)
    _check_gates("lstm_gates_fwd", n, gi, rec, act, *((b_hh,) if b_hh.size else ()))
    grid, block = elementwise_config(n)
    KERNELS.launch("lstm_gates_fwd", grid, block, gi, rec, b_hh, bool(b_hh.size), c_prev,
                   act, c, h, n)


def lstm_gates_bwd(act, c, c_prev, dh, g_out, dc, d) -> None:
    n = c.size
    check_same_shape("lstm_gates_bwd", c, c_prev, dh, g_out, dc, flat=True)
    _check_gates("lstm_gates_bwd", n, act, d)
    grid, block = elementwise_config(n)
    KERNELS.launch("lstm_gates_bwd", grid, block, act, c, c_prev, dh, g_out, dc, d, n)


def gru_gates_fwd(gi, gh, b_hh, h_prev, act, h_n, h) -> None:
    n = h.size
    check_same_shape("gru_gates_fwd", h_prev, h_n, h, flat=True)
    _check_gates("gru_gates_fwd", n, gi, gh, act, *((b_hh,) if b_hh.size else ()), count=3)
    grid, block = elementwise_config(n)
    KERNELS.launch("gru_gates_fwd", grid, block, gi, gh, b_hh, bool(b_hh.size), h_prev, act,
                   h_n, h, n)


def gru_gates_bwd(act, h_n, h_prev, dh, g_out, d_in, d_rec, dh_z) -> None:
    n = h_n.size
    check_same_shape("gru_gates_bwd", h_n, h_prev, dh, g_out, dh_z, flat=True)
    _check_gates("gru_gates_bwd", n, act, d_in, d_rec, count=3)
    grid, block = elementwise_config(n)
    KERNELS.launch("gru_gates_bwd", grid, block, act, h_n, h_prev, dh, g_out, d_in, d_rec,
                   dh_z, n)
