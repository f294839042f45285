// Dropout with a counter-based random number generator: no state lives on the GPU.
//
// Element i of a call draws u_i in [0, 1) from a hash of (seed, offset + i), SplitMix64's
// output function applied to mix(seed) + (offset + i + 1) * golden ratio: the same numbers
// for the same (seed, offset) on any grid, any device, in any order, and on the CPU (the
// numpy twin in dropout.py). The caller advances `offset` by the element count per call.
// An element is kept when u_i >= p; kept elements are scaled by `scale` = 1 / (1 - p), the
// product taken in A = mt_acc_t<T> (float for __half / __nv_bfloat16) and rounded once.
#include "common.cuh"

__device__ __forceinline__ unsigned long long mt_splitmix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// u in [0, 1) with 24 random bits (exact in float and double).
__device__ __forceinline__ double mt_uniform(unsigned long long seed, unsigned long long counter) {
    const unsigned long long golden = 0x9E3779B97F4A7C15ULL;
    const unsigned long long bits = mt_splitmix64(mt_splitmix64(seed) + (counter + 1) * golden);
    return (double)(bits >> 40) * (1.0 / 16777216.0);
}

// mask[i] = 1 if element offset + i is kept, else 0.
__global__ void dropout_mask(unsigned char* mask, double p, unsigned long long seed,
                                    unsigned long long offset, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        mask[i] = mt_uniform(seed, offset + (unsigned long long)i) >= p ? 1 : 0;
}

// out = x * scale where kept, else 0; the mask is written for the backward pass.
template <class T>
__global__ void dropout_fwd(const T* x, T* out, unsigned char* mask, double p,
                            mt_acc_t<T> scale, unsigned long long seed, unsigned long long offset,
                            long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        const bool keep = mt_uniform(seed, offset + (unsigned long long)i) >= p;
        mask[i] = keep ? 1 : 0;
        out[i] = mt_narrow<T>(keep ? mt_widen(x[i]) * scale : mt_acc_t<T>(0));
    }
}

// out = g * scale where the mask kept the element, else 0.
template <class T>
__global__ void dropout_bwd(const T* g, const unsigned char* mask, T* out, mt_acc_t<T> scale,
                            long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride())
        out[i] = mt_narrow<T>(mask[i] ? mt_widen(g[i]) * scale : mt_acc_t<T>(0));
}
