// Embedding backward: scatter-add the output gradient rows into the weight gradient.
//
// Same contract as kernels/cpu/embedding.py: idx (M,) int64, g (M, D), out (V, D) zeroed by
// the caller. Row m of g is added to row idx[m] of out, except where idx[m] == padding_idx
// (negative: no padding index). Several m may share one row, so the additions are atomic;
// one thread per element of g.
#include "common.cuh"

template <class T>
__global__ void embedding_bwd(const long long* idx, const T* g, T* out, long long padding_idx,
                              long long m, long long d) {
    for (long long k = mt_global_index(); k < m * d; k += mt_grid_stride()) {
        const long long row = idx[k / d];
        if (row != padding_idx) atomicAdd(out + row * d + k % d, g[k]);
    }
}
