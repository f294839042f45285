// Attention's softmax rows: scale, causal mask and softmax in one kernel, and its backward
// (the CUDA twins of kernels/cpu/attention.py).
//
// Same contract as the Numba kernels: the scores are a C-contiguous (items, L, S) array,
// seen as rows = items * L rows of `keys` = S entries. Row r is query i = r % L, which sees
// the keys j < n: all S, or n = min(i + 1, S) when causal (upper-left aligned, as PyTorch's
// is_causal). Masked entries are written as 0 and never exponentiated; a row whose visible
// scores are all -inf gives zeros (PyTorch's "safe softmax"). `scale` multiplies the scores
// and may be negative.
//
// One block per row (block-stride over rows when the grid is smaller), its threads striding
// over the keys, with shared-memory reductions in A for the row max and sums (as the softmax
// rows of activation.cu). `out` may be the input array (in place): every thread writes only
// the keys it read itself, and the block reductions put all of a row's reads before its
// first write.
#include "common.cuh"

// out[r, j] = exp(scale s[r, j] - m) / sum_j exp(scale s[r, j] - m) over the visible keys,
// m their largest scaled score; 0 on the masked keys. The exponentials are computed twice
// rather than kept in `out` between the passes, as in activation.cu's softmax_fwd.
template <class T>
__global__ void attention_softmax_fwd(const T* s, mt_acc_t<T> scale, int causal, T* out,
                                      long long rows, long long length, long long keys) {
    typedef mt_acc_t<T> A;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* sr = s + r * keys;
        T* yr = out + r * keys;
        const long long n = causal ? mt_min(r % length + 1, keys) : keys;
        A m = mt_neg_inf(A(0));
        for (long long j = threadIdx.x; j < n; j += blockDim.x)
            m = mt_max(m, scale * mt_widen(sr[j]));
        m = mt_block_max(m);
        const bool dead = m == mt_neg_inf(A(0));   // every visible key at -inf: zeros
        A total = A(0);
        if (!dead)
            for (long long j = threadIdx.x; j < n; j += blockDim.x)
                total += mt_exp(scale * mt_widen(sr[j]) - m);
        const A inv = A(1) / mt_block_sum(total);   // reached by every thread
        for (long long j = threadIdx.x; j < keys; j += blockDim.x)
            yr[j] = mt_narrow<T>(j < n && !dead ? mt_exp(scale * mt_widen(sr[j]) - m) * inv
                                                : A(0));
    }
}

// out[r, j] = scale * p[r, j] * (dp[r, j] - sum_j p[r, j] dp[r, j]) over the visible keys,
// 0 on the masked ones: the gradient of the scores from the gradient dp of the weights p.
template <class T>
__global__ void attention_softmax_bwd(const T* p, const T* dp, mt_acc_t<T> scale, int causal,
                                      T* out, long long rows, long long length,
                                      long long keys) {
    typedef mt_acc_t<T> A;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const long long base = r * keys;
        const long long n = causal ? mt_min(r % length + 1, keys) : keys;
        A dot = A(0);
        for (long long j = threadIdx.x; j < n; j += blockDim.x)
            dot += mt_widen(p[base + j]) * mt_widen(dp[base + j]);
        dot = mt_block_sum(dot);
        for (long long j = threadIdx.x; j < keys; j += blockDim.x)
            out[base + j] = mt_narrow<T>(
                j < n ? scale * mt_widen(p[base + j]) * (mt_widen(dp[base + j]) - dot) : A(0));
    }
}
