"""One time step's gate arithmetic of the fused recurrent layers (ops/recurrent.py).

Each function works on one step's gate-major arrays (gates (G, B), states (H, B), C-contiguous;
see ops/recurrent.py) and writes its results into the arrays it is given. It runs the step's
kernel where one exists (kernels/cpu/recurrent.py for float32 numpy arrays,
kernels/cuda/recurrent.py for CuPy arrays), else the same formulas as array code (`xp`): float64
on the CPU, where numpy's SIMD exp and tanh beat the C library's scalar ones a float64 Numba
kernel calls. The formulas are the step-by-step path's (ops/recurrent_by_steps.py), in the
same order.
"""
from __future__ import annotations

import numpy as np

from ._nn_util import kernel_for

__all__ = ["lstm_gates_fwd", "lstm_gates_bwd", "gru_gates_fwd", "gru_gates_bwd", "sigmoid",
           "bias_columns"]


def sigmoid(xp, a):
    """1 / (1 + exp(-a)), as ops/unary.py Sigmoid computes it (exp(-a) may overflow to inf)."""
    with np.errstate(over="ignore"):
        return 1 / (1 + xp.exp(-a))


def _step_kernel(a, name: str):
    """The gate kernel `name` for a step's arrays, or None for the array code: float32 on the
    CPU and every float type the GPU kernels take. float64 on the CPU stays with numpy, whose
    SIMD exp and tanh beat the C library's scalar ones a Numba kernel calls (forward step of
    B=20, H=256: ~180 us in the float64 kernel against ~100 us for the numpy formulas)."""
    if type(a) is np.ndarray and a.dtype != np.float32:
        return None
    return kernel_for(a, "recurrent", name)


def lstm_gates_fwd(xp, gi, rec, bias, c_prev, act, c, h):
    """One step's gate math (kernels/cpu/recurrent.py lstm_gates_fwd), writing act, c, h."""
    kernel = _step_kernel(gi, "lstm_gates_fwd")
    if kernel is not None:
        empty = xp.empty(0, gi.dtype)
        kernel(gi.reshape(-1), rec.reshape(-1), empty if bias is None else bias.reshape(-1),
               c_prev.reshape(-1), act.reshape(-1), c.reshape(-1), h.reshape(-1))
        return
    hidden = c.shape[0]
    pre = gi + (rec if bias is None else rec + bias)
    act[:2 * hidden] = sigmoid(xp, pre[:2 * hidden])
    act[2 * hidden:3 * hidden] = xp.tanh(pre[2 * hidden:3 * hidden])
    act[3 * hidden:] = sigmoid(xp, pre[3 * hidden:])
    i, f, g, o = act[:hidden], act[hidden:2 * hidden], act[2 * hidden:3 * hidden], act[3 * hidden:]
    c[...] = f * c_prev + i * g
    h[...] = o * xp.tanh(c)


def lstm_gates_bwd(xp, act, c, c_prev, dh, g_out, dc, d):
    """One backward step's gate math (kernels/cpu/recurrent.py lstm_gates_bwd): writes d and
    replaces dc by the gradient of c_prev."""
    kernel = _step_kernel(act, "lstm_gates_bwd")
    if kernel is not None:
        kernel(act.reshape(-1), c.reshape(-1), c_prev.reshape(-1), dh.reshape(-1),
               g_out.reshape(-1), dc.reshape(-1), d.reshape(-1))
        return
    hidden = c.shape[0]
    i, f, g, o = act[:hidden], act[hidden:2 * hidden], act[2 * hidden:3 * hidden], act[3 * hidden:]
    dh = dh + g_out
    tc = xp.tanh(c)
    dc += dh * o * (1 - tc * tc)
    d[:hidden] = dc * g * i * (1 - i)
    d[hidden:2 * hidden] = dc * c_prev * f * (1 - f)
    d[2 * hidden:3 * hidden] = dc * i * (1 - g * g)
    d[3 * hidden:] = dh * tc * o * (1 - o)
    dc *= f


def gru_gates_fwd(xp, gi, gh, bias, h_prev, act, h_n, h):
    """One GRU step's gate math (kernels/cpu/recurrent.py gru_gates_fwd)."""
    kernel = _step_kernel(gi, "gru_gates_fwd")
    if kernel is not None:
        empty = xp.empty(0, gi.dtype)
        kernel(gi.reshape(-1), gh.reshape(-1), empty if bias is None else bias.reshape(-1),
               h_prev.reshape(-1), act.reshape(-1), h_n.reshape(-1), h.reshape(-1))
        return
    hidden = h.shape[0]
    if bias is not None:
        gh = gh + bias
    act[:2 * hidden] = sigmoid(xp, gi[:2 * hidden] + gh[:2 * hidden])
    h_n[...] = gh[2 * hidden:]
    act[2 * hidden:] = xp.tanh(gi[2 * hidden:] + act[:hidden] * h_n)
    new, z = act[2 * hidden:], act[hidden:2 * hidden]
    h[...] = new + z * (h_prev - new)


def gru_gates_bwd(xp, act, h_n, h_prev, dh, g_out, d_in, d_rec, dh_z):
    """One GRU backward step's gate math (kernels/cpu/recurrent.py gru_gates_bwd)."""
    kernel = _step_kernel(act, "gru_gates_bwd")
    if kernel is not None:
        kernel(act.reshape(-1), h_n.reshape(-1), h_prev.reshape(-1), dh.reshape(-1),
               g_out.reshape(-1), d_in.reshape(-1), d_rec.reshape(-1), dh_z.reshape(-1))
        return
    hidden = h_n.shape[0]
    r, z, new = act[:hidden], act[hidden:2 * hidden], act[2 * hidden:]
    dh = dh + g_out
    d_new = dh * (1 - z) * (1 - new * new)
    d_in[:hidden] = d_new * h_n * r * (1 - r)
    d_in[hidden:2 * hidden] = dh * (h_prev - new) * z * (1 - z)
    d_in[2 * hidden:] = d_new
    d_rec[:2 * hidden] = d_in[:2 * hidden]
    d_rec[2 * hidden:] = d_new * r
    dh_z[...] = dh * z


def bias_columns(xp, bias):
    """batch -> the bias (G,) as a C-contiguous (G, batch) array, made once per batch size (a
    packed sequence's batch shrinks over time); None without a bias. The kernels read the
    bias as flat as every other array of the step."""
    made = {}

    def columns(batch: int):
        if bias is None:
            return None
        if batch not in made:
            made[batch] = xp.empty((bias.shape[0], batch), bias.dtype)
            made[batch][...] = bias[:, None]
        return made[batch]
    return columns
