"""Fused optimizer updates: one pass over a parameter, its gradient and its state buffers.

PyTorch's single-tensor optimizers run a handful of elementwise ops per parameter (each one a
full pass over memory with a temporary); here each optimizer's whole update is one loop.

Contract (shared by every kernel here):
- Arrays are 1-D, C-contiguous, all of the same dtype (float32 or float64) and length; the
  caller flattens them with `reshape(-1)`, which is a view for contiguous arrays, so writes
  land in the parameter and the state tensors.
- Floating scalars arrive already cast to the arrays' dtype (`np.float32(lr)` for float32
  arrays), so the arithmetic runs in that dtype as PyTorch's kernels do. Every coefficient
  (`1 - beta`, bias corrections) is computed by the caller: a Python literal here would
  promote float32 arithmetic to float64.
- `maximize` flips the gradient's sign; the gradient array itself is never written.
- The order of operations follows PyTorch's `_single_tensor_<optimizer>` functions so the
  numbers agree with them to rounding.
- `error_model="numpy"`: a division by zero gives inf/NaN as in numpy and PyTorch (eps=0 with
  a zero gradient), not ZeroDivisionError, and without the per-element check the loops
  vectorize (about 10x faster for the updates that divide by an array).
"""
from __future__ import annotations

import numpy as np
from numba import carray, njit, prange, types
from numba.extending import intrinsic

from ._variants import parallel_kernel

__all__ = ["sgd_update", "adam_update", "adam_multi_update", "adam_multi_update_serial",
           "data_address", "rmsprop_update", "adagrad_update", "adamax_update",
           "nadam_update", "radam_update", "adadelta_update", "rprop_update", "asgd_update"]


@njit(cache=True, error_model="numpy")
def _lerp(start, end, weight, one_minus_weight):
    """PyTorch's lerp: exact at both ends (two formulas split at weight 0.5)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * one_minus_weight


@njit(cache=True, error_model="numpy")
def sgd_update(p, g, buf, lr, momentum, one_minus_dampening, weight_decay, nesterov,
               maximize, init_buf):
    """SGD with optional momentum (`buf`, untouched when momentum is 0).

    d = ±g + weight_decay * p
    buf = d                                         (first step: init_buf)
    buf = momentum * buf + (1 - dampening) * d      (later steps)
    d = d + momentum * buf  (nesterov)  or  d = buf
    p = p - lr * d
    """
    for i in range(p.shape[0]):
        d = -g[i] if maximize else g[i]
        if weight_decay != 0:
            d = d + weight_decay * p[i]
        if momentum != 0:
            if init_buf:
                b = d
            else:
                b = buf[i] * momentum + one_minus_dampening * d
            buf[i] = b
            if nesterov:
                d = d + momentum * b
            else:
                d = b
        p[i] = p[i] + (-lr) * d


@njit(cache=True, error_model="numpy")
def adam_update(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, one_minus_beta1, beta2,
                one_minus_beta2, eps, weight_decay, decay_factor, step_size,
                bias_correction2_sqrt, amsgrad, maximize, decoupled):
    """Adam, AdamW (decoupled=True) and AMSGrad (`max_exp_avg_sq`, untouched otherwise).

    x = p * (1 - lr * wd)  (decoupled)   or   d = ±g + wd * p   (L2)
    m = lerp(m, d, 1 - beta1);  v = beta2 * v + (1 - beta2) * d^2;  vmax = max(vmax, v)
    p = x - step_size * m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps),
    step_size = lr / (1 - beta1^t); `decay_factor` is 1 - lr * wd.
    """
    for i in range(p.shape[0]):
        d = -g[i] if maximize else g[i]
        x = p[i]
        if weight_decay != 0:
            if decoupled:
                x = x * decay_factor
            else:
                d = d + weight_decay * x
        m = _lerp(exp_avg[i], d, one_minus_beta1, beta1)
        exp_avg[i] = m
        v = exp_avg_sq[i] * beta2 + one_minus_beta2 * (d * d)
        exp_avg_sq[i] = v
        if amsgrad:
            if max_exp_avg_sq[i] > v:
                v = max_exp_avg_sq[i]
            max_exp_avg_sq[i] = v
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
        p[i] = x + (-step_size) * (m / denom)


@intrinsic
def _pointer(typingctx, address, like):
    """The int64 `address` as a pointer to elements of `like`'s dtype (for numba.carray)."""
    if not (isinstance(address, types.Integer) and isinstance(like, types.Array)):
        return None

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(signature.return_type))

    return types.CPointer(like.dtype)(address, like), codegen


@parallel_kernel(globals(), error_model="numpy")
def adam_multi_update(addresses, chunks, scalars, beta1, one_minus_beta1, beta2,
                      one_minus_beta2, eps, weight_decay, decay_factor, amsgrad, maximize,
                      decoupled):
    """adam_update over many tensors in one call (PyTorch's multi_tensor_apply).

    addresses: int64 (tensors, 5), the data addresses of each tensor's p, g, exp_avg,
      exp_avg_sq and max_exp_avg_sq (the last unused, 0, without amsgrad); all of one
      dtype, C-contiguous and alive for the call.
    chunks: int64 (chunks, 3), rows (tensor, start, stop): the elements [start, stop) of
      that tensor; stop never exceeds the tensor's size. The caller computes both tables
      from the arrays' sizes: the kernel touches nothing outside the chunks.
    scalars: (tensors, 2) of the arrays' dtype: step_size and sqrt(1 - beta2^t) of each
      tensor (their steps may differ); its dtype is the element type of the pointers.
    Chunks are independent and run in parallel; each is one adam_update call (the same
    loop, so the same bits as the per-tensor updates).
    """
    for c in prange(chunks.shape[0]):
        k, start, stop = chunks[c, 0], chunks[c, 1], chunks[c, 2]
        n = stop - start
        offset = start * scalars.itemsize   # bytes from the tensor's start to the chunk's
        row = addresses[k]
        if amsgrad:
            max_exp_avg_sq = carray(_pointer(row[4] + offset, scalars), n)
        else:   # a 0-size placeholder, never read (a carray of address 0 measured 20x
            max_exp_avg_sq = scalars[0, :0]   # slower: the loop did not vectorize)
        adam_update(carray(_pointer(row[0] + offset, scalars), n),
                    carray(_pointer(row[1] + offset, scalars), n),
                    carray(_pointer(row[2] + offset, scalars), n),
                    carray(_pointer(row[3] + offset, scalars), n),
                    max_exp_avg_sq,
                    beta1, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay,
                    decay_factor, scalars[k, 0], scalars[k, 1], amsgrad, maximize, decoupled)


@njit(cache=True)
def data_address(a):
    """The address of a's first element: what adam_multi_update's tables hold. (numpy's
    own `a.ctypes.data` or `__array_interface__` build Python objects: ~1 us against
    ~0.25 us for this call.)"""
    return a.ctypes.data


@njit(cache=True, error_model="numpy")
def rmsprop_update(p, g, square_avg, grad_avg, buf, lr, alpha, one_minus_alpha, eps,
                   weight_decay, momentum, centered, maximize):
    """RMSprop, optionally centered (`grad_avg`) and with momentum (`buf`).

    square_avg = alpha * square_avg + (1 - alpha) * d^2
    avg = sqrt(square_avg - grad_avg^2) + eps   (centered)  or  sqrt(square_avg) + eps
    buf = momentum * buf + d / avg;  p -= lr * buf   (momentum > 0)
    p -= lr * d / avg                                (otherwise)
    """
    for i in range(p.shape[0]):
        d = -g[i] if maximize else g[i]
        if weight_decay != 0:
            d = d + weight_decay * p[i]
        sq = square_avg[i] * alpha + one_minus_alpha * (d * d)
        square_avg[i] = sq
        if centered:
            ga = _lerp(grad_avg[i], d, one_minus_alpha, alpha)
            grad_avg[i] = ga
            avg = np.sqrt(sq - ga * ga)
        else:
            avg = np.sqrt(sq)
        avg = avg + eps
        if momentum > 0:
            b = buf[i] * momentum + d / avg
            buf[i] = b
            p[i] = p[i] + (-lr) * b
        else:
            p[i] = p[i] + (-lr) * (d / avg)


@njit(cache=True, error_model="numpy")
def adagrad_update(p, g, state_sum, clr, eps, weight_decay, maximize):
    """Adagrad: sum += d^2;  p -= clr * d / (sqrt(sum) + eps), clr = lr / (1 + (t-1) decay)."""
    for i in range(p.shape[0]):
        d = -g[i] if maximize else g[i]
        if weight_decay != 0:
            d = d + weight_decay * p[i]
        s = state_sum[i] + d * d
        state_sum[i] = s
        p[i] = p[i] + (-clr) * (d / (np.sqrt(s) + eps))


@njit(cache=True, error_model="numpy")
def _decayed(p, d, weight_decay, decay_factor, decoupled):
    """(x, d): the parameter after decoupled decay, or the gradient plus the L2 term."""
    if weight_decay != 0:
        if decoupled:
            return p * decay_factor, d
        return p, d + weight_decay * p
    return p, d


@njit(cache=True, error_model="numpy")
def adamax_update(p, g, exp_avg, exp_inf, beta1, one_minus_beta1, beta2, eps, weight_decay,
                  neg_clr, maximize):
    """Adamax: m = lerp(m, d, 1 - beta1); u = max(beta2 * u, |d| + eps) (NaN kept);
    p += neg_clr * m / u, neg_clr = -lr / (1 - beta1^t)."""
    for i in range(p.shape[0]):
        d = -g[i] if maximize else g[i]
        if weight_decay != 0:
            d = d + weight_decay * p[i]
        m = _lerp(exp_avg[i], d, one_minus_beta1, beta1)
        exp_avg[i] = m
        e = exp_inf[i] * beta2
        a = abs(d) + eps
        if not (e > a or e != e):
            e = a
        exp_inf[i] = e
        p[i] = p[i] + neg_clr * (m / e)


@njit(cache=True, error_model="numpy")
def nadam_update(p, g, exp_avg, exp_avg_sq, beta1, one_minus_beta1, beta2, one_minus_beta2,
                 eps, weight_decay, decay_factor, bias_correction2, coef_grad, coef_avg,
                 maximize, decoupled):
    """NAdam: Adam's moments, then two steps along d and m over sqrt(v / bc2) + eps with
    the momentum-schedule coefficients the caller computed (PyTorch rounds p after each)."""
    for i in range(p.shape[0]):
        d = -g[i] if maximize else g[i]
        x, d = _decayed(p[i], d, weight_decay, decay_factor, decoupled)
        m = _lerp(exp_avg[i], d, one_minus_beta1, beta1)
        exp_avg[i] = m
        v = exp_avg_sq[i] * beta2 + one_minus_beta2 * (d * d)
        exp_avg_sq[i] = v
        denom = np.sqrt(v / bias_correction2) + eps
        x = x + coef_grad * (d / denom)
        p[i] = x + coef_avg * (m / denom)


@njit(cache=True, error_model="numpy")
def radam_update(p, g, exp_avg, exp_avg_sq, beta1, one_minus_beta1, beta2, one_minus_beta2,
                 eps, weight_decay, decay_factor, bias_correction1, lr,
                 bias_correction2_sqrt, rect, rectified, maximize, decoupled):
    """RAdam: Adam's moments; p -= (m / bc1) * lr * sqrt(bc2) / (sqrt(v) + eps) * rect when
    the variance is tractable (`rectified`: rho_t > 5), else p -= (m / bc1) * lr."""
    for i in range(p.shape[0]):
        d = -g[i] if maximize else g[i]
        x, d = _decayed(p[i], d, weight_decay, decay_factor, decoupled)
        m = _lerp(exp_avg[i], d, one_minus_beta1, beta1)
        exp_avg[i] = m
        v = exp_avg_sq[i] * beta2 + one_minus_beta2 * (d * d)
        exp_avg_sq[i] = v
        step = (m / bias_correction1) * lr
        if rectified:
            step = step * (bias_correction2_sqrt / (np.sqrt(v) + eps)) * rect
        p[i] = x - step


@njit(cache=True, error_model="numpy")
def adadelta_update(p, g, square_avg, acc_delta, lr, rho, one_minus_rho, eps, weight_decay,
                    maximize):
    """Adadelta: sq = rho * sq + (1 - rho) * d^2;  delta = sqrt(acc + eps) / sqrt(sq + eps)
    * d;  acc = rho * acc + (1 - rho) * delta^2;  p -= lr * delta."""
    for i in range(p.shape[0]):
        d = -g[i] if maximize else g[i]
        if weight_decay != 0:
            d = d + weight_decay * p[i]
        sq = square_avg[i] * rho + one_minus_rho * (d * d)
        square_avg[i] = sq
        delta = np.sqrt(acc_delta[i] + eps) / np.sqrt(sq + eps) * d
        acc_delta[i] = acc_delta[i] * rho + one_minus_rho * (delta * delta)
        p[i] = p[i] + (-lr) * delta



@njit(cache=True, error_model="numpy")
def rprop_update(p, g, prev, step_size, etaminus, etaplus, step_size_min, step_size_max,
                 maximize):
    """Rprop: size = clamp(size * (etaplus, etaminus or 1 as d * prev > 0, < 0 or else),
    min, max); d = 0 after a sign flip; p -= sign(d) * size; prev = d. The sign is PyTorch's
    (NaN gives 0: factor 1, no move unless size is not finite), and clamp keeps NaN."""
    for i in range(p.shape[0]):     # selects and unconditional stores: the loop vectorizes
        d = -g[i] if maximize else g[i]
        s = d * prev[i]
        size = step_size[i]
        size = size * etaplus if s > 0 else (size * etaminus if s < 0 else size)
        size = step_size_min if size < step_size_min else size
        size = step_size_max if size > step_size_max else size
        step_size[i] = size
        flip = s < 0                # then d = 0: no move
        x = p[i]
        if d > 0 and not flip:
            x = x + (-size)
        elif d < 0 and not flip:
            x = x + size
        elif size - size != 0:    # sign 0 times an infinite or NaN size
            x = size - size
        p[i] = x
        prev[i] = 0 if flip else d   # exact in either dtype

@njit(cache=True, error_model="numpy")
def asgd_update(p, g, ax, decay, eta, mu, weight_decay, maximize, average):
    """ASGD: p = p * (1 - lambd * eta) - eta * d (`decay` is 1 - lambd * eta); then
    ax += (p - ax) * mu when `average` (mu != 1), else ax = p."""
    for i in range(p.shape[0]):
        d = -g[i] if maximize else g[i]
        x = p[i]
        if weight_decay != 0:
            d = d + weight_decay * x
        x = x * decay
        x = x + (-eta) * d
        p[i] = x
        if average:
            ax[i] = ax[i] + (x - ax[i]) * mu
        else:
            ax[i] = x
