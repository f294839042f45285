"""Launchers of optim.cu: the fused optimizer updates of kernels/cpu/optim.py, on CuPy arrays.

Same arguments as the Numba kernels: 1-D contiguous arrays of one dtype and length (state
buffers that an update does not use may be any array of the parameter's dtype, e.g. the
parameter itself: the kernel never touches them), scalars already computed by the caller
(they are cast to the arrays' dtype here), flags as bools.

float32 and float64 only, on purpose: as with PyTorch's mixed precision, parameters and
optimizer state that are updated step after step stay in float32 (master weights); an
update of 1e-4 relative vanishes in float16 (10 fraction bits) or bfloat16 (7). The
optimizers update float16/bfloat16 parameters through their float32 array formulas.
"""
from __future__ import annotations

from . import _launch
from ._launch import Family, check_same_shape, elementwise_config

__all__ = ["sgd_update", "adam_update", "adam_multi_update", "data_address", "rmsprop_update", "adagrad_update", "adamax_update",
           "nadam_update", "radam_update", "adadelta_update", "rprop_update", "asgd_update"]

KERNELS = Family("optim", """
    sgd_update(T* p, const T* g, T* buf, T lr, T momentum, T one_minus_dampening,
               T weight_decay, int nesterov, int maximize, int init_buf, long long n)
    adam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, T beta1,
                T one_minus_beta1, T beta2, T one_minus_beta2, T eps, T weight_decay,
                T decay_factor, T step_size, T bias_correction2_sqrt, int amsgrad,
                int maximize, int decoupled, long long n)
    adam_multi_update(const long long* addresses, const long long* chunks, const T* scalars,
                      T beta1, T one_minus_beta1, T beta2, T one_minus_beta2, T eps,
                      T weight_decay, T decay_factor, int amsgrad, int maximize,
                      int decoupled, long long n_chunks)
    rmsprop_update(T* p, const T* g, T* square_avg, T* grad_avg, T* buf, T lr, T alpha,
                   T one_minus_alpha, T eps, T weight_decay, T momentum, int centered,
                   int maximize, long long n)
    adagrad_update(T* p, const T* g, T* state_sum, T clr, T eps, T weight_decay,
                   int maximize, long long n)
    adamax_update(T* p, const T* g, T* exp_avg, T* exp_inf, T beta1, T one_minus_beta1,
                  T beta2, T eps, T weight_decay, T neg_clr, int maximize, long long n)
    nadam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, T beta1, T one_minus_beta1,
                 T beta2, T one_minus_beta2, T eps, T weight_decay, T decay_factor,
                 T bias_correction2, T coef_grad, T coef_avg, int maximize, int decoupled,
                 long long n)
    radam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, T beta1, T one_minus_beta1,
                 T beta2, T one_minus_beta2, T eps, T weight_decay, T decay_factor,
                 T bias_correction1, T lr, T bias_correction2_sqrt, T rect, int rectified,
                 int maximize, int decoupled, long long n)
    adadelta_update(T* p, const T* g, T* square_avg, T* acc_delta, T lr, T rho,
                    T one_minus_rho, T eps, T weight_decay, int maximize, long long n)
    rprop_update(T* p, const T* g, T* prev, T* step_size, T etaminus, T etaplus,
                 T step_size_min, T step_size_max, int maximize, long long n)
    asgd_update(T* p, const T* g, T* ax, T decay, T eta, T mu, T weight_decay, int maximize,
                int average, long long n)
""")


def _update(kernel: str, arrays: tuple, used: tuple, *scalars) -> None:
    """Launch over p's elements; the arrays in `used` must all have p's size."""
    p = arrays[0]
    check_same_shape(kernel, *used, flat=True)
    grid, block = elementwise_config(p.size)
    KERNELS.launch(kernel, grid, block, *arrays, *scalars, p.size)


def sgd_update(p, g, buf, lr, momentum, one_minus_dampening, weight_decay, nesterov,
               maximize, init_buf) -> None:
    used = (p, g, buf) if momentum != 0 else (p, g)
    _update("sgd_update", (p, g, buf), used, lr, momentum, one_minus_dampening, weight_decay,
            bool(nesterov), bool(maximize), bool(init_buf))


def adam_update(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, one_minus_beta1, beta2,
                one_minus_beta2, eps, weight_decay, decay_factor, step_size,
                bias_correction2_sqrt, amsgrad, maximize, decoupled) -> None:
    used = (p, g, exp_avg, exp_avg_sq) + ((max_exp_avg_sq,) if amsgrad else ())
    _update("adam_update", (p, g, exp_avg, exp_avg_sq, max_exp_avg_sq), used, beta1,
            one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay, decay_factor,
            step_size, bias_correction2_sqrt, bool(amsgrad), bool(maximize), bool(decoupled))


def adam_multi_update(addresses, chunks, scalars, beta1, one_minus_beta1, beta2,
                      one_minus_beta2, eps, weight_decay, decay_factor, amsgrad, maximize,
                      decoupled) -> None:
    """adam_update over many tensors in one launch: the tables of the Numba kernel (int64
    addresses (tensors, 5) and chunks (chunks, 3), scalars (tensors, 2)) on the device. One
    block per chunk; the grid is capped, the kernel strides over the chunks."""
    if addresses.ndim != 2 or addresses.shape[1] != 5 or chunks.ndim != 2 or \
            chunks.shape[1] != 3 or scalars.shape != (addresses.shape[0], 2):
        raise ValueError("adam_multi_update: expected addresses (tensors, 5), chunks "
                         f"(chunks, 3) and scalars (tensors, 2), got {addresses.shape}, "
                         f"{chunks.shape} and {scalars.shape}")
    n_chunks = chunks.shape[0]
    grid = (min(n_chunks, _launch.MAX_GRID_BLOCKS),)
    KERNELS.launch("adam_multi_update", grid, (_launch.BLOCK,), addresses, chunks, scalars,
                   beta1, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay,
                   decay_factor, bool(amsgrad), bool(maximize), bool(decoupled), n_chunks)


def data_address(a) -> int:
    """The device address of a's first element (CuPy: `a.data.ptr`; the numpy arrays the
    CPU emulation launches with: their host address), for adam_multi_update's tables."""
    interface = getattr(a, "__array_interface__", None)
    return interface["data"][0] if interface is not None else a.data.ptr


def rmsprop_update(p, g, square_avg, grad_avg, buf, lr, alpha, one_minus_alpha, eps,
                   weight_decay, momentum, centered, maximize) -> None:
    used = ((p, g, square_avg) + ((grad_avg,) if centered else ())
            + ((buf,) if momentum > 0 else ()))
    _update("rmsprop_update", (p, g, square_avg, grad_avg, buf), used, lr, alpha,
            one_minus_alpha, eps, weight_decay, momentum, bool(centered), bool(maximize))


def adagrad_update(p, g, state_sum, clr, eps, weight_decay, maximize) -> None:
    _update("adagrad_update", (p, g, state_sum), (p, g, state_sum), clr, eps, weight_decay,
            bool(maximize))


def adamax_update(p, g, exp_avg, exp_inf, beta1, one_minus_beta1, beta2, eps, weight_decay,
                  neg_clr, maximize) -> None:
    arrays = (p, g, exp_avg, exp_inf)
    _update("adamax_update", arrays, arrays, beta1, one_minus_beta1, beta2, eps,
            weight_decay, neg_clr, bool(maximize))


def nadam_update(p, g, exp_avg, exp_avg_sq, beta1, one_minus_beta1, beta2, one_minus_beta2,
                 eps, weight_decay, decay_factor, bias_correction2, coef_grad, coef_avg,
                 maximize, decoupled) -> None:
    arrays = (p, g, exp_avg, exp_avg_sq)
    _update("nadam_update", arrays, arrays, beta1, one_minus_beta1, beta2, one_minus_beta2,
            eps, weight_decay, decay_factor, bias_correction2, coef_grad, coef_avg,
            bool(maximize), bool(decoupled))


def radam_update(p, g, exp_avg, exp_avg_sq, beta1, one_minus_beta1, beta2, one_minus_beta2,
                 eps, weight_decay, decay_factor, bias_correction1, lr,
                 bias_correction2_sqrt, rect, rectified, maximize, decoupled) -> None:
    arrays = (p, g, exp_avg, exp_avg_sq)
    _update("radam_update", arrays, arrays, beta1, one_minus_beta1, beta2, one_minus_beta2,
            eps, weight_decay, decay_factor, bias_correction1, lr, bias_correction2_sqrt,
            rect, bool(rectified), bool(maximize), bool(decoupled))


def adadelta_update(p, g, square_avg, acc_delta, lr, rho, one_minus_rho, eps, weight_decay,
                    maximize) -> None:
    arrays = (p, g, square_avg, acc_delta)
    _update("adadelta_update", arrays, arrays, lr, rho, one_minus_rho, eps, weight_decay,
            bool(maximize))


def rprop_update(p, g, prev, step_size, etaminus, etaplus, step_size_min, step_size_max,
                 maximize) -> None:
    arrays = (p, g, prev, step_size)
    _update("rprop_update", arrays, arrays, etaminus, etaplus, step_size_min, step_size_max,
            bool(maximize))


def asgd_update(p, g, ax, decay, eta, mu, weight_decay, maximize, average) -> None:
    arrays = (p, g, ax)
    _update("asgd_update", arrays, arrays, decay, eta, mu, weight_decay, bool(maximize),
            bool(average))
