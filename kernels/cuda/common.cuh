// Helpers shared by every kernel family in kernels/cuda/*.cu.
//
// The sources are compiled three ways, so this file uses nothing but the CUDA language and
// the toolkit's half-precision headers (cuda_fp16.h, cuda_bf16.h):
// - by CuPy's RawModule (NVRTC) on a GPU machine: no host headers exist there, which is why
//   the launcher inlines this file into each source and nothing here includes <cmath>;
// - by nvcc in the test suite (compile check for the supported architectures);
// - by g++ as C++20 with MINITORCH_CUDA_EMULATION defined, which pulls in the emulation
//   header (CUDA built-ins on std::thread) so the kernels' logic runs on the CPU.
//
// Conventions of the kernels:
// - Kernels are templates over the element type T (float, double, and for most families
//   __half and __nv_bfloat16), instantiated by name ("relu_fwd<float>") from the signature
//   table next to each launcher (<family>.py).
// - Arithmetic is done in the accumulation type A = mt_acc_t<T>: float for __half,
//   __nv_bfloat16 and float, double for double. Loads widen (`mt_widen(x[i])`), stores round
//   once to nearest even (`out[i] = mt_narrow<T>(value)`); reductions accumulate in A.
//   Scalar parameters are passed in A (the tables spell it `A`), never in a half type.
// - Sizes and flat indices are `long long`; flags are `int` (0 or 1).
// - Elementwise kernels use grid-stride loops, so any grid size gives the right result.
// - Row kernels give one block per row (block-stride over rows when the grid is smaller);
//   blockDim.x must be a power of two no larger than MT_MAX_BLOCK for the block reductions.
#pragma once

#ifdef MINITORCH_CUDA_EMULATION
#include "emulation/cuda_emulation.h"
#elif !defined(MT_NO_HALF_TYPES)
// (CuPy compiles each family twice: float/double instances with MT_NO_HALF_TYPES defined, so
// they never depend on the half headers, and the half instances on their first use.)
// Half types without implicit conversions or operators: every conversion is written out, so
// nothing is computed in half precision by accident (the emulated types have none either).
// Without the conversions, cuda_fp16.h also stops depending on cuda_bf16.h, which CuPy's
// bundled fp16 headers may not match (cupy/cupy#8146).
#define __CUDA_NO_HALF_CONVERSIONS__
#define __CUDA_NO_HALF_OPERATORS__
#define __CUDA_NO_HALF2_OPERATORS__
#define __CUDA_NO_BFLOAT16_CONVERSIONS__
#define __CUDA_NO_BFLOAT16_OPERATORS__
#define __CUDA_NO_BFLOAT162_OPERATORS__
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#endif

#define MT_MAX_BLOCK 1024   // largest block the shared-memory reductions support

// ------------------------------------------------------------------ accumulation type
// mt_acc_t<T>: the type kernels compute and accumulate in for elements of type T.
template <class T>
struct mt_acc {
    typedef T type;
};
#ifndef MT_NO_HALF_TYPES
template <>
struct mt_acc<__half> {
    typedef float type;
};
template <>
struct mt_acc<__nv_bfloat16> {
    typedef float type;
};
#endif
template <class T>
using mt_acc_t = typename mt_acc<T>::type;

// An element widened to its accumulation type (exact).
__device__ __forceinline__ float mt_widen(float x) { return x; }
__device__ __forceinline__ double mt_widen(double x) { return x; }
#ifndef MT_NO_HALF_TYPES
__device__ __forceinline__ float mt_widen(__half x) { return __half2float(x); }
__device__ __forceinline__ float mt_widen(__nv_bfloat16 x) { return __bfloat162float(x); }
#endif

// A value of the accumulation type rounded to the element type (to nearest, ties to even).
template <class T>
__device__ __forceinline__ T mt_narrow(mt_acc_t<T> x) {
    return x;
}
#ifndef MT_NO_HALF_TYPES
template <>
__device__ __forceinline__ __half mt_narrow<__half>(float x) {
    return __float2half(x);
}
template <>
__device__ __forceinline__ __nv_bfloat16 mt_narrow<__nv_bfloat16>(float x) {
    return __float2bfloat16(x);
}
#endif

// ------------------------------------------------------------------ math, overloaded on A
__device__ __forceinline__ float mt_exp(float x) { return expf(x); }
__device__ __forceinline__ double mt_exp(double x) { return exp(x); }
__device__ __forceinline__ float mt_expm1(float x) { return expm1f(x); }
__device__ __forceinline__ double mt_expm1(double x) { return expm1(x); }
__device__ __forceinline__ float mt_log(float x) { return logf(x); }
__device__ __forceinline__ double mt_log(double x) { return log(x); }
__device__ __forceinline__ float mt_log1p(float x) { return log1pf(x); }
__device__ __forceinline__ double mt_log1p(double x) { return log1p(x); }
__device__ __forceinline__ float mt_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double mt_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float mt_erf(float x) { return erff(x); }
__device__ __forceinline__ double mt_erf(double x) { return erf(x); }
__device__ __forceinline__ float mt_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double mt_sqrt(double x) { return sqrt(x); }

__device__ __forceinline__ float mt_neg_inf(float) { return __int_as_float((int)0xff800000u); }
__device__ __forceinline__ double mt_neg_inf(double) {
    return __longlong_as_double((long long)0xfff0000000000000ULL);
}

template <class T>
__device__ __forceinline__ T mt_max(T a, T b) {
    return a > b ? a : b;
}

template <class T>
__device__ __forceinline__ T mt_min(T a, T b) {
    return a < b ? a : b;
}

template <class T>
__device__ __forceinline__ bool mt_isnan(T x) {
    return x != x;
}

// 1 / (1 + exp(-x)) without overflow for large |x|.
template <class T>
__device__ __forceinline__ T mt_sigmoid(T x) {
    if (x >= T(0)) return T(1) / (T(1) + mt_exp(-x));
    T e = mt_exp(x);
    return e / (T(1) + e);
}

// ------------------------------------------------------------------ grid-stride indexing
__device__ __forceinline__ long long mt_global_index() {
    return (long long)blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ long long mt_grid_stride() {
    return (long long)gridDim.x * blockDim.x;
}

// ------------------------------------------------------------------ block reductions
// Every thread of the block calls these with its partial value and receives the block's
// total. Tree reduction in shared memory, one __syncthreads per level; the last barrier
// lets the next reduction reuse the buffer. All threads must call them (no early return).
template <class T>
__device__ T mt_block_sum(T value) {
    __shared__ T buf[MT_MAX_BLOCK];
    const unsigned t = threadIdx.x;
    buf[t] = value;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) buf[t] += buf[t + s];
        __syncthreads();
    }
    T total = buf[0];
    __syncthreads();
    return total;
}

// The largest value. A NaN may or may not win: callers use the maximum only as a shift,
// and a row holding a NaN gives NaN results through exp(x - max) either way.
template <class T>
__device__ T mt_block_max(T value) {
    __shared__ T buf[MT_MAX_BLOCK];
    const unsigned t = threadIdx.x;
    buf[t] = value;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) buf[t] = mt_max(buf[t], buf[t + s]);
        __syncthreads();
    }
    T best = buf[0];
    __syncthreads();
    return best;
}
