// Activation kernels: elementwise forward/backward formulas and row-wise (log-)softmax.
//
// Same contract as kernels/cpu/activation.py: contiguous arrays, `out` preallocated with the
// input's shape and dtype, scalar parameters in the accumulation type A = mt_acc_t<T> (the
// formulas are evaluated in A, float for __half/__nv_bfloat16, and rounded once to T).
// Elementwise kernels take the element count n and run a grid-stride loop; softmax kernels
// take a (rows, cols) array, one block per row, with shared-memory reductions (in A) for the
// row max and sum.
#include "common.cuh"

#define MT_SQRT1_2 0.70710678118654752440        // 1 / sqrt(2)
#define MT_INV_SQRT_2PI 0.39894228040143267794   // 1 / sqrt(2 pi)
#define MT_K_TANH 0.79788456080286535588         // sqrt(2 / pi)
#define MT_C_TANH 0.044715

// ------------------------------------------------------------------ formulas, in A
template <class A>
__device__ __forceinline__ A gelu_value(A x, int tanh_approx) {
    if (tanh_approx) {
        A inner = A(MT_K_TANH) * (x + A(MT_C_TANH) * x * x * x);
        return A(0.5) * x * (A(1) + mt_tanh(inner));
    }
    return A(0.5) * x * (A(1) + mt_erf(x * A(MT_SQRT1_2)));
}

template <class A>
__device__ __forceinline__ A gelu_grad(A x, int tanh_approx) {
    if (tanh_approx) {
        A t = mt_tanh(A(MT_K_TANH) * (x + A(MT_C_TANH) * x * x * x));
        A dt = A(MT_K_TANH) * (A(1) + A(3.0 * MT_C_TANH) * x * x);
        return A(0.5) * (A(1) + t) + A(0.5) * x * (A(1) - t * t) * dt;
    }
    return A(0.5) * (A(1) + mt_erf(x * A(MT_SQRT1_2))) +
           x * A(MT_INV_SQRT_2PI) * mt_exp(A(-0.5) * x * x);
}

// ------------------------------------------------------------------ elementwise kernels
// Each reads its inputs widened to A, evaluates the formula in A and rounds once into out.
// relu keeps NaN and -0.0 (x < 0 is false for both) and, like PyTorch, passes the gradient
// where x > 0 or x is NaN.
template <class T>
__global__ void relu_fwd(const T* x, T* out, long long n) {
    typedef mt_acc_t<T> A;
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        A v = mt_widen(x[i]);
        out[i] = mt_narrow<T>(v < A(0) ? A(0) : v);
    }
}

template <class T>
__global__ void relu_bwd(const T* x, const T* g, T* out, long long n) {
    typedef mt_acc_t<T> A;
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = mt_narrow<T>(mt_widen(x[i]) <= A(0) ? A(0) : mt_widen(g[i]));
}

template <class T>
__global__ void gelu_fwd(const T* x, T* out, int tanh_approx, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = mt_narrow<T>(gelu_value(mt_widen(x[i]), tanh_approx));
}

template <class T>
__global__ void gelu_bwd(const T* x, const T* g, T* out, int tanh_approx, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = mt_narrow<T>(mt_widen(g[i]) * gelu_grad(mt_widen(x[i]), tanh_approx));
}

template <class T>
__global__ void silu_fwd(const T* x, T* out, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        const mt_acc_t<T> v = mt_widen(x[i]);
        out[i] = mt_narrow<T>(v * mt_sigmoid(v));
    }
}

template <class T>
__global__ void silu_bwd(const T* x, const T* g, T* out, long long n) {
    typedef mt_acc_t<T> A;
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        const A v = mt_widen(x[i]);
        const A s = mt_sigmoid(v);
        out[i] = mt_narrow<T>(mt_widen(g[i]) * s * (A(1) + v * (A(1) - s)));
    }
}

template <class T>
__global__ void sigmoid_fwd(const T* x, T* out, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = mt_narrow<T>(mt_sigmoid(mt_widen(x[i])));
}

template <class T>
__global__ void tanh_fwd(const T* x, T* out, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = mt_narrow<T>(mt_tanh(mt_widen(x[i])));
}

template <class T>
__global__ void elu_fwd(const T* x, T* out, mt_acc_t<T> alpha, long long n) {
    typedef mt_acc_t<T> A;
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        const A v = mt_widen(x[i]);
        out[i] = mt_narrow<T>(v > A(0) ? v : alpha * mt_expm1(v));
    }
}

template <class T>
__global__ void elu_bwd(const T* x, const T* g, T* out, mt_acc_t<T> alpha, long long n) {
    typedef mt_acc_t<T> A;
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        const A v = mt_widen(x[i]);
        const A gv = mt_widen(g[i]);
        out[i] = mt_narrow<T>(v <= A(0) ? gv * alpha * mt_exp(v) : gv);   // NaN: gv (PyTorch)
    }
}

template <class T>
__global__ void softplus_fwd(const T* x, T* out, mt_acc_t<T> beta, mt_acc_t<T> threshold,
                             long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        const mt_acc_t<T> v = mt_widen(x[i]);
        out[i] = mt_narrow<T>(v * beta > threshold ? v : mt_log1p(mt_exp(v * beta)) / beta);
    }
}

template <class T>
__global__ void softplus_bwd(const T* x, const T* g, T* out, mt_acc_t<T> beta,
                             mt_acc_t<T> threshold, long long n) {
    typedef mt_acc_t<T> A;
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        const A v = mt_widen(x[i]);
        const A gv = mt_widen(g[i]);
        out[i] = mt_narrow<T>(v * beta > threshold ? gv : gv * mt_sigmoid(v * beta));
    }
}

template <class T>
__global__ void leaky_relu_fwd(const T* x, T* out, mt_acc_t<T> slope, long long n) {
    typedef mt_acc_t<T> A;
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        const A v = mt_widen(x[i]);
        out[i] = mt_narrow<T>(v > A(0) ? v : v * slope);
    }
}

template <class T>
__global__ void leaky_relu_bwd(const T* x, const T* g, T* out, mt_acc_t<T> slope, long long n) {
    typedef mt_acc_t<T> A;
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        const A gv = mt_widen(g[i]);
        out[i] = mt_narrow<T>(mt_widen(x[i]) > A(0) ? gv : gv * slope);
    }
}

// ------------------------------------------------------------------ softmax over rows
// Block b handles rows b, b + gridDim.x, ...; its threads stride over the row's columns.
// Every thread runs the same row loop, so the reductions' __syncthreads are reached by all.
// Maxima and sums are taken in A; each output element is rounded to T once.

// out = exp(x - max) / sum(exp(x - max)) per row. The exponentials are computed twice
// rather than stored in `out` between passes: for a half type that would round them early.
template <class T>
__global__ void softmax_fwd(const T* x, T* out, long long rows, long long cols) {
    typedef mt_acc_t<T> A;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols;
        T* yr = out + r * cols;
        A m = mt_neg_inf(A(0));
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) m = mt_max(m, mt_widen(xr[j]));
        m = mt_block_max(m);
        A s = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += mt_exp(mt_widen(xr[j]) - m);
        const A inv = A(1) / mt_block_sum(s);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            yr[j] = mt_narrow<T>(mt_exp(mt_widen(xr[j]) - m) * inv);
    }
}

// out = x - max - log(sum(exp(x - max))) per row.
template <class T>
__global__ void log_softmax_fwd(const T* x, T* out, long long rows, long long cols) {
    typedef mt_acc_t<T> A;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols;
        A m = mt_neg_inf(A(0));
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) m = mt_max(m, mt_widen(xr[j]));
        m = mt_block_max(m);
        A s = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += mt_exp(mt_widen(xr[j]) - m);
        const A shift = m + mt_log(mt_block_sum(s));
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            out[r * cols + j] = mt_narrow<T>(mt_widen(xr[j]) - shift);
    }
}

// Gradient of softmax through its output y: y * (g - sum(g * y)) per row.
template <class T>
__global__ void softmax_bwd(const T* g, const T* y, T* out, long long rows, long long cols) {
    typedef mt_acc_t<T> A;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const long long base = r * cols;
        A dot = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            dot += mt_widen(g[base + j]) * mt_widen(y[base + j]);
        dot = mt_block_sum(dot);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            out[base + j] = mt_narrow<T>(mt_widen(y[base + j]) * (mt_widen(g[base + j]) - dot));
    }
}

// Gradient of log_softmax through its output y: g - exp(y) * sum(g) per row.
template <class T>
__global__ void log_softmax_bwd(const T* g, const T* y, T* out, long long rows, long long cols) {
    typedef mt_acc_t<T> A;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const long long base = r * cols;
        A total = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) total += mt_widen(g[base + j]);
        total = mt_block_sum(total);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            const A p = mt_exp(mt_widen(y[base + j]));
            out[base + j] = mt_narrow<T>(mt_widen(g[base + j]) - p * total);
        }
    }
}
