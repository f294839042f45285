// Embedding backward: scatter-add the output gradient rows into the weight gradient.
//
// Same contract as kernels/cpu/embedding.py: idx (M,) int64, g (M, D), out (V, D) zeroed by
// the caller. Row m of g is added to row idx[m] of out, except where idx[m] == padding_idx
// (negative: no padding index); a row outside [0, V) is skipped. Several m may share one row, so the additions are atomic;
// one thread per element of g. They add into `out` of type A = mt_acc_t<T>: for __half and
// __nv_bfloat16 a float buffer that the launcher rounds into the gradient once at the end,
// so the sums are accumulated in float (no half-precision atomics).
#include "common.cuh"

template <class T>
__global__ void embedding_bwd(const long long* idx, const T* g, mt_acc_t<T>* out,
                              long long padding_idx, long long m, long long d,
                              long long v) {
    for (long long k = mt_global_index(); k < m * d; k += mt_grid_stride()) {
        const long long row = idx[k / d];
        if (row != padding_idx && row >= 0 && row < v)   // never outside out (V, D)
            atomicAdd(out + row * d + k % d, mt_widen(g[k]));
    }
}
