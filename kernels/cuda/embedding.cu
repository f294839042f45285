// Embedding backward: scatter-add the output gradient rows into the weight gradient.
//
// indices (M,) int64, g (M, D), gw (V, D) zeroed by the caller. Row m of g is added to row
// indices[m] of gw, except where indices[m] == padding_idx (-1: no padding index). Several
// m may share one index, so the additions are atomic; one thread per element of g.
#include "common.cuh"

template <class T>
__global__ void embedding_bwd(const long long* indices, const T* g, T* gw,
                              long long padding_idx, long long m, long long d) {
    for (long long k = mt_global_index(); k < m * d; k += mt_grid_stride()) {
        const long long row = indices[k / d];
        if (row != padding_idx) atomicAdd(gw + row * d + k % d, g[k]);
    }
}
