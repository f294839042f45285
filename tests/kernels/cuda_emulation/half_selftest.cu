// Kernels that test the half-precision conversions of common.cuh (mt_narrow / mt_widen) and,
// under the emulation, of cuda_emulation.h (tests/kernels/cuda_emulation/test_emulated_half.py).
// Compiled by nvcc too, so they stay valid CUDA.
#include "common.cuh"

// h = x rounded to __half; back = h widened to float again.
__global__ void to_half(const float* x, __half* h, float* back, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        h[i] = mt_narrow<__half>(x[i]);
        back[i] = mt_widen(h[i]);
    }
}

// b = x rounded to __nv_bfloat16; back = b widened to float again.
__global__ void to_bfloat16(const float* x, __nv_bfloat16* b, float* back, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        b[i] = mt_narrow<__nv_bfloat16>(x[i]);
        back[i] = mt_widen(b[i]);
    }
}
