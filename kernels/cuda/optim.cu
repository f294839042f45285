// Fused optimizer updates: one pass over a parameter, its gradient and its state buffers.
//
// Same contract and formulas as kernels/cpu/optim.py (PyTorch's `_single_tensor_<optim>`
// order of operations): flat contiguous arrays of one dtype and length, every scalar already
// in the element type T (coefficients such as 1 - beta computed by the caller), flags 0/1.
// `maximize` flips the gradient's sign; the gradient array is never written. One thread per
// element (grid-stride): elements are independent.
#include "common.cuh"

// PyTorch's lerp: exact at both ends (two formulas split at weight 0.5).
template <class T>
__device__ __forceinline__ T mt_lerp(T start, T end, T weight, T one_minus_weight) {
    if (weight < T(0.5) && weight > T(-0.5)) return start + weight * (end - start);
    return end - (end - start) * one_minus_weight;
}

// SGD with optional momentum (`buf`, untouched when momentum is 0):
//   d = +-g + weight_decay * p;  buf = d (init_buf) or momentum * buf + (1 - dampening) * d;
//   d = d + momentum * buf (nesterov) or buf;  p = p - lr * d
template <class T>
__global__ void sgd_update(T* p, const T* g, T* buf, T lr, T momentum, T one_minus_dampening,
                           T weight_decay, int nesterov, int maximize, int init_buf,
                           long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T d = maximize ? -g[i] : g[i];
        if (weight_decay != T(0)) d = d + weight_decay * p[i];
        if (momentum != T(0)) {
            T b = init_buf ? d : buf[i] * momentum + one_minus_dampening * d;
            buf[i] = b;
            d = nesterov ? d + momentum * b : b;
        }
        p[i] = p[i] + (-lr) * d;
    }
}

// Adam, AdamW (decoupled) and AMSGrad of element i (`max_exp_avg_sq` untouched otherwise):
//   x = p * (1 - lr * wd) (decoupled)  or  d = +-g + wd * p (L2);
//   m = lerp(m, d, 1 - beta1);  v = beta2 * v + (1 - beta2) * d^2;  vmax = max(vmax, v);
//   p = x - step_size * m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps)
// Shared by adam_update and adam_multi_update: one formula, the same bits.
template <class T>
__device__ __forceinline__ void mt_adam_at(long long i, T* p, const T* g, T* exp_avg,
                                           T* exp_avg_sq, T* max_exp_avg_sq, T beta1,
                                           T one_minus_beta1, T beta2, T one_minus_beta2,
                                           T eps, T weight_decay, T decay_factor, T step_size,
                                           T bias_correction2_sqrt, int amsgrad, int maximize,
                                           int decoupled) {
    T d = maximize ? -g[i] : g[i];
    T x = p[i];
    if (weight_decay != T(0)) {
        if (decoupled)
            x = x * decay_factor;
        else
            d = d + weight_decay * x;
    }
    const T m = mt_lerp(exp_avg[i], d, one_minus_beta1, beta1);
    exp_avg[i] = m;
    T v = exp_avg_sq[i] * beta2 + one_minus_beta2 * (d * d);
    exp_avg_sq[i] = v;
    if (amsgrad) {
        if (max_exp_avg_sq[i] > v) v = max_exp_avg_sq[i];
        max_exp_avg_sq[i] = v;
    }
    const T denom = mt_sqrt(v) / bias_correction2_sqrt + eps;
    p[i] = x + (-step_size) * (m / denom);
}

// Adam on one tensor: one thread per element (grid-stride).
template <class T>
__global__ void adam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
                            T beta1, T one_minus_beta1, T beta2, T one_minus_beta2, T eps,
                            T weight_decay, T decay_factor, T step_size,
                            T bias_correction2_sqrt, int amsgrad, int maximize, int decoupled,
                            long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        mt_adam_at(i, p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, one_minus_beta1, beta2,
                   one_minus_beta2, eps, weight_decay, decay_factor, step_size,
                   bias_correction2_sqrt, amsgrad, maximize, decoupled);
}

// Adam on many tensors in one launch (PyTorch's multi_tensor_apply), the tables of
// kernels/cpu/optim.py's adam_multi_update:
//   addresses (tensors x 5): device addresses of each tensor's p, g, exp_avg, exp_avg_sq,
//     max_exp_avg_sq (0 without amsgrad, never read then);
//   chunks (n_chunks x 3): rows (tensor, start, stop), elements [start, stop) of a tensor,
//     stop never past its size (the caller derives both tables from the arrays' sizes);
//   scalars (tensors x 2): each tensor's step_size and sqrt(1 - beta2^t).
// One block per chunk (block-stride over chunks), its threads striding over the elements.
template <class T>
__global__ void adam_multi_update(const long long* addresses, const long long* chunks,
                                  const T* scalars, T beta1, T one_minus_beta1, T beta2,
                                  T one_minus_beta2, T eps, T weight_decay, T decay_factor,
                                  int amsgrad, int maximize, int decoupled,
                                  long long n_chunks) {
    for (long long c = blockIdx.x; c < n_chunks; c += gridDim.x) {
        const long long k = chunks[3 * c], start = chunks[3 * c + 1], stop = chunks[3 * c + 2];
        const long long* row = addresses + 5 * k;
        T* p = reinterpret_cast<T*>(row[0]);
        const T* g = reinterpret_cast<const T*>(row[1]);
        T* exp_avg = reinterpret_cast<T*>(row[2]);
        T* exp_avg_sq = reinterpret_cast<T*>(row[3]);
        T* max_exp_avg_sq = reinterpret_cast<T*>(row[4]);
        const T step_size = scalars[2 * k], bias_correction2_sqrt = scalars[2 * k + 1];
        for (long long i = start + threadIdx.x; i < stop; i += blockDim.x)
            mt_adam_at(i, p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, one_minus_beta1,
                       beta2, one_minus_beta2, eps, weight_decay, decay_factor, step_size,
                       bias_correction2_sqrt, amsgrad, maximize, decoupled);
    }
}

// RMSprop, optionally centered (`grad_avg`) and with momentum (`buf`).
template <class T>
__global__ void rmsprop_update(T* p, const T* g, T* square_avg, T* grad_avg, T* buf, T lr,
                               T alpha, T one_minus_alpha, T eps, T weight_decay, T momentum,
                               int centered, int maximize, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T d = maximize ? -g[i] : g[i];
        if (weight_decay != T(0)) d = d + weight_decay * p[i];
        const T sq = square_avg[i] * alpha + one_minus_alpha * (d * d);
        square_avg[i] = sq;
        T avg;
        if (centered) {
            const T ga = mt_lerp(grad_avg[i], d, one_minus_alpha, alpha);
            grad_avg[i] = ga;
            avg = mt_sqrt(sq - ga * ga);
        } else {
            avg = mt_sqrt(sq);
        }
        avg = avg + eps;
        if (momentum > T(0)) {
            const T b = buf[i] * momentum + d / avg;
            buf[i] = b;
            p[i] = p[i] + (-lr) * b;
        } else {
            p[i] = p[i] + (-lr) * (d / avg);
        }
    }
}

// Adagrad: sum += d^2;  p -= clr * d / (sqrt(sum) + eps).
template <class T>
__global__ void adagrad_update(T* p, const T* g, T* state_sum, T clr, T eps, T weight_decay,
                               int maximize, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T d = maximize ? -g[i] : g[i];
        if (weight_decay != T(0)) d = d + weight_decay * p[i];
        const T s = state_sum[i] + d * d;
        state_sum[i] = s;
        p[i] = p[i] + (-clr) * (d / (mt_sqrt(s) + eps));
    }
}

// Adamax: m = lerp(m, d, 1 - beta1);  u = max(beta2 * u, |d| + eps) (a NaN u is kept);
//   p += neg_clr * m / u,  neg_clr = -lr / (1 - beta1^t)
template <class T>
__global__ void adamax_update(T* p, const T* g, T* exp_avg, T* exp_inf, T beta1,
                              T one_minus_beta1, T beta2, T eps, T weight_decay, T neg_clr,
                              int maximize, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T d = maximize ? -g[i] : g[i];
        if (weight_decay != T(0)) d = d + weight_decay * p[i];
        const T m = mt_lerp(exp_avg[i], d, one_minus_beta1, beta1);
        exp_avg[i] = m;
        T e = exp_inf[i] * beta2;
        const T a = (d < T(0) ? -d : d) + eps;
        if (!(e > a || e != e)) e = a;
        exp_inf[i] = e;
        p[i] = p[i] + neg_clr * (m / e);
    }
}

// (x, d): the parameter after decoupled decay, or the gradient plus the L2 term.
template <class T>
__device__ __forceinline__ void mt_decayed(T& x, T& d, T weight_decay, T decay_factor,
                                           int decoupled) {
    if (weight_decay != T(0)) {
        if (decoupled)
            x = x * decay_factor;
        else
            d = d + weight_decay * x;
    }
}

// NAdam: Adam's moments, then two steps along d and m over sqrt(v / bc2) + eps with the
//   momentum-schedule coefficients the caller computed (p rounded after each, as PyTorch).
template <class T>
__global__ void nadam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, T beta1,
                             T one_minus_beta1, T beta2, T one_minus_beta2, T eps,
                             T weight_decay, T decay_factor, T bias_correction2, T coef_grad,
                             T coef_avg, int maximize, int decoupled, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T d = maximize ? -g[i] : g[i];
        T x = p[i];
        mt_decayed(x, d, weight_decay, decay_factor, decoupled);
        const T m = mt_lerp(exp_avg[i], d, one_minus_beta1, beta1);
        exp_avg[i] = m;
        const T v = exp_avg_sq[i] * beta2 + one_minus_beta2 * (d * d);
        exp_avg_sq[i] = v;
        const T denom = mt_sqrt(v / bias_correction2) + eps;
        x = x + coef_grad * (d / denom);
        p[i] = x + coef_avg * (m / denom);
    }
}

// RAdam: Adam's moments; p -= (m / bc1) * lr * sqrt(bc2) / (sqrt(v) + eps) * rect when the
//   variance is tractable (`rectified`: rho_t > 5), else p -= (m / bc1) * lr.
template <class T>
__global__ void radam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, T beta1,
                             T one_minus_beta1, T beta2, T one_minus_beta2, T eps,
                             T weight_decay, T decay_factor, T bias_correction1, T lr,
                             T bias_correction2_sqrt, T rect, int rectified, int maximize,
                             int decoupled, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T d = maximize ? -g[i] : g[i];
        T x = p[i];
        mt_decayed(x, d, weight_decay, decay_factor, decoupled);
        const T m = mt_lerp(exp_avg[i], d, one_minus_beta1, beta1);
        exp_avg[i] = m;
        const T v = exp_avg_sq[i] * beta2 + one_minus_beta2 * (d * d);
        exp_avg_sq[i] = v;
        T step = (m / bias_correction1) * lr;
        if (rectified) step = step * (bias_correction2_sqrt / (mt_sqrt(v) + eps)) * rect;
        p[i] = x - step;
    }
}

// Adadelta: sq = rho * sq + (1 - rho) * d^2;  delta = sqrt(acc + eps) / sqrt(sq + eps) * d;
//   acc = rho * acc + (1 - rho) * delta^2;  p -= lr * delta
template <class T>
__global__ void adadelta_update(T* p, const T* g, T* square_avg, T* acc_delta, T lr, T rho,
                                T one_minus_rho, T eps, T weight_decay, int maximize,
                                long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T d = maximize ? -g[i] : g[i];
        if (weight_decay != T(0)) d = d + weight_decay * p[i];
        const T sq = square_avg[i] * rho + one_minus_rho * (d * d);
        square_avg[i] = sq;
        const T delta = mt_sqrt(acc_delta[i] + eps) / mt_sqrt(sq + eps) * d;
        acc_delta[i] = acc_delta[i] * rho + one_minus_rho * (delta * delta);
        p[i] = p[i] + (-lr) * delta;
    }
}

// Rprop: size = clamp(size * (etaplus, etaminus or 1 as d * prev > 0, < 0 or else), min,
//   max); d = 0 after a sign flip; p -= sign(d) * size; prev = d. PyTorch's sign (NaN gives
//   0: factor 1, no move unless size is not finite); the clamp keeps NaN.
template <class T>
__global__ void rprop_update(T* p, const T* g, T* prev, T* step_size, T etaminus, T etaplus,
                             T step_size_min, T step_size_max, int maximize, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        const T d = maximize ? -g[i] : g[i];
        const T s = d * prev[i];
        T size = step_size[i];
        if (s > T(0))
            size = size * etaplus;
        else if (s < T(0))
            size = size * etaminus;
        if (size < step_size_min) size = step_size_min;
        if (size > step_size_max) size = step_size_max;
        step_size[i] = size;
        const bool finite_size = size - size == T(0);
        if (s < T(0)) {
            prev[i] = T(0);
            if (!finite_size) p[i] = size - size;
        } else {
            prev[i] = d;
            if (d > T(0))
                p[i] = p[i] + (-size);
            else if (d < T(0))
                p[i] = p[i] + size;
            else if (!finite_size)
                p[i] = size - size;
        }
    }
}

// ASGD: p = p * (1 - lambd * eta) - eta * d (`decay` is 1 - lambd * eta); then
//   ax += (p - ax) * mu when `average` (mu != 1), else ax = p.
template <class T>
__global__ void asgd_update(T* p, const T* g, T* ax, T decay, T eta, T mu, T weight_decay,
                            int maximize, int average, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T d = maximize ? -g[i] : g[i];
        T x = p[i];
        if (weight_decay != T(0)) d = d + weight_decay * x;
        x = x * decay;
        x = x + (-eta) * d;
        p[i] = x;
        ax[i] = average ? ax[i] + (x - ax[i]) * mu : x;
    }
}
