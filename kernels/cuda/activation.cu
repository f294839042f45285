// Activation kernels: elementwise forward/backward formulas and row-wise (log-)softmax.
//
// Same contract as kernels/cpu/activation.py: contiguous arrays, `out` preallocated with the
// input's shape and dtype, scalar parameters in the element type T. Elementwise kernels take
// the element count n and run a grid-stride loop; softmax kernels take a (rows, cols) array,
// one block per row, with shared-memory reductions for the row max and sum.
#include "common.cuh"

#define MT_SQRT1_2 0.70710678118654752440        // 1 / sqrt(2)
#define MT_INV_SQRT_2PI 0.39894228040143267794   // 1 / sqrt(2 pi)
#define MT_K_TANH 0.79788456080286535588         // sqrt(2 / pi)
#define MT_C_TANH 0.044715

// ------------------------------------------------------------------ scalar formulas
template <class T>
__device__ __forceinline__ T gelu_value(T x, int tanh_approx) {
    if (tanh_approx) {
        T inner = T(MT_K_TANH) * (x + T(MT_C_TANH) * x * x * x);
        return T(0.5) * x * (T(1) + mt_tanh(inner));
    }
    return T(0.5) * x * (T(1) + mt_erf(x * T(MT_SQRT1_2)));
}

template <class T>
__device__ __forceinline__ T gelu_grad(T x, int tanh_approx) {
    if (tanh_approx) {
        T t = mt_tanh(T(MT_K_TANH) * (x + T(MT_C_TANH) * x * x * x));
        T dt = T(MT_K_TANH) * (T(1) + T(3.0 * MT_C_TANH) * x * x);
        return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * dt;
    }
    return T(0.5) * (T(1) + mt_erf(x * T(MT_SQRT1_2))) +
           x * T(MT_INV_SQRT_2PI) * mt_exp(T(-0.5) * x * x);
}

// ------------------------------------------------------------------ elementwise kernels
// relu keeps NaN and -0.0 (x < 0 is false for both) and, like PyTorch, passes the gradient
// where x > 0 or x is NaN.
template <class T>
__global__ void relu_fwd(const T* x, T* out, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T v = x[i];
        out[i] = v < T(0) ? T(0) : v;
    }
}

template <class T>
__global__ void relu_bwd(const T* x, const T* g, T* out, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = x[i] <= T(0) ? T(0) : g[i];
}

template <class T>
__global__ void gelu_fwd(const T* x, T* out, int tanh_approx, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = gelu_value(x[i], tanh_approx);
}

template <class T>
__global__ void gelu_bwd(const T* x, const T* g, T* out, int tanh_approx, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = g[i] * gelu_grad(x[i], tanh_approx);
}

template <class T>
__global__ void silu_fwd(const T* x, T* out, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = x[i] * mt_sigmoid(x[i]);
}

template <class T>
__global__ void silu_bwd(const T* x, const T* g, T* out, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T s = mt_sigmoid(x[i]);
        out[i] = g[i] * s * (T(1) + x[i] * (T(1) - s));
    }
}

template <class T>
__global__ void sigmoid_fwd(const T* x, T* out, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = mt_sigmoid(x[i]);
}

template <class T>
__global__ void tanh_fwd(const T* x, T* out, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = mt_tanh(x[i]);
}

template <class T>
__global__ void elu_fwd(const T* x, T* out, T alpha, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T v = x[i];
        out[i] = v > T(0) ? v : alpha * mt_expm1(v);
    }
}

template <class T>
__global__ void elu_bwd(const T* x, const T* g, T* out, T alpha, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T v = x[i];
        out[i] = v > T(0) ? g[i] : g[i] * alpha * mt_exp(v);
    }
}

template <class T>
__global__ void softplus_fwd(const T* x, T* out, T beta, T threshold, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T v = x[i];
        out[i] = v * beta > threshold ? v : mt_log1p(mt_exp(v * beta)) / beta;
    }
}

template <class T>
__global__ void softplus_bwd(const T* x, const T* g, T* out, T beta, T threshold, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T v = x[i];
        out[i] = v * beta > threshold ? g[i] : g[i] * mt_sigmoid(v * beta);
    }
}

template <class T>
__global__ void leaky_relu_fwd(const T* x, T* out, T slope, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T v = x[i];
        out[i] = v > T(0) ? v : v * slope;
    }
}

template <class T>
__global__ void leaky_relu_bwd(const T* x, const T* g, T* out, T slope, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = x[i] > T(0) ? g[i] : g[i] * slope;
}

// ------------------------------------------------------------------ softmax over rows
// Block b handles rows b, b + gridDim.x, ...; its threads stride over the row's columns.
// Every thread runs the same row loop, so the reductions' __syncthreads are reached by all.

// out = exp(x - max) / sum(exp(x - max)) per row.
template <class T>
__global__ void softmax_fwd(const T* x, T* out, long long rows, long long cols) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols;
        T* yr = out + r * cols;
        T m = mt_neg_inf(T(0));
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) m = mt_max(m, xr[j]);
        m = mt_block_max(m);
        T s = T(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            T e = mt_exp(xr[j] - m);
            yr[j] = e;
            s += e;
        }
        T inv = T(1) / mt_block_sum(s);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) yr[j] *= inv;
    }
}

// out = x - max - log(sum(exp(x - max))) per row.
template <class T>
__global__ void log_softmax_fwd(const T* x, T* out, long long rows, long long cols) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols;
        T m = mt_neg_inf(T(0));
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) m = mt_max(m, xr[j]);
        m = mt_block_max(m);
        T s = T(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += mt_exp(xr[j] - m);
        T shift = m + mt_log(mt_block_sum(s));
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            out[r * cols + j] = xr[j] - shift;
    }
}

// Gradient of softmax through its output y: y * (g - sum(g * y)) per row.
template <class T>
__global__ void softmax_bwd(const T* g, const T* y, T* out, long long rows, long long cols) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const long long base = r * cols;
        T dot = T(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) dot += g[base + j] * y[base + j];
        dot = mt_block_sum(dot);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            out[base + j] = y[base + j] * (g[base + j] - dot);
    }
}

// Gradient of log_softmax through its output y: g - exp(y) * sum(g) per row.
template <class T>
__global__ void log_softmax_bwd(const T* g, const T* y, T* out, long long rows, long long cols) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const long long base = r * cols;
        T total = T(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) total += g[base + j];
        total = mt_block_sum(total);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            out[base + j] = g[base + j] - mt_exp(y[base + j]) * total;
    }
}
