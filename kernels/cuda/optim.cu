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

// Adam, AdamW (decoupled) and AMSGrad (`max_exp_avg_sq`, untouched otherwise):
//   x = p * (1 - lr * wd) (decoupled)  or  d = +-g + wd * p (L2);
//   m = lerp(m, d, 1 - beta1);  v = beta2 * v + (1 - beta2) * d^2;  vmax = max(vmax, v);
//   p = x - step_size * m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps)
template <class T>
__global__ void adam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
                            T beta1, T one_minus_beta1, T beta2, T one_minus_beta2, T eps,
                            T weight_decay, T decay_factor, T step_size,
                            T bias_correction2_sqrt, int amsgrad, int maximize, int decoupled,
                            long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
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
