// Cross-entropy over class indices: log-softmax and NLL fused, one block per row.
//
// Same contract and formulas as kernels/cpu/loss.py. For row i of the logits x (N, C):
//   lse_i  = log(sum_c exp(x_ic))   (the row max subtracted first)
//   loss_i = (1 - eps) * w[y_i] * (lse_i - x_i,y_i) + eps / C * sum_c w[c] * (lse_i - x_ic)
// (eps = label smoothing; loss 0 and weight 0 when y_i == ignore_index, whose gradient is
// 0 * p: NaN where lse_i is not finite, as PyTorch's log_softmax backward gives), and backward
//   dx_ic = s_i * ((1 - eps) * w[y_i] * (p_ic - [c == y_i]) + eps / C * (W * p_ic - w[c]))
// with p = exp(x - lse), W = sum_c w[c], s_i the incoming gradient of row i. Targets are
// int64 and checked against [0, C) by the caller. Everything is computed in A = mt_acc_t<T>
// (float for __half/__nv_bfloat16): the row max, the sums and the per-row results, which are
// kept in A (lse, loss, weight, incoming scale); only the gradient is rounded to T, once.
// `eps` is passed in A.
#include "common.cuh"

template <class T>
__global__ void cross_entropy_fwd(const T* x, const long long* target, const T* weight,
                                  long long ignore_index, mt_acc_t<T> eps,
                                  mt_acc_t<T>* lse_out, mt_acc_t<T>* loss_out,
                                  mt_acc_t<T>* wt_out, long long rows, long long cols) {
    typedef mt_acc_t<T> A;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols;
        A m = mt_neg_inf(A(0));
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) m = mt_max(m, mt_widen(xr[j]));
        m = mt_block_max(m);
        A s = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += mt_exp(mt_widen(xr[j]) - m);
        const A lse = m + mt_log(mt_block_sum(s));
        const long long y = target[r];   // the same for every thread: uniform branches
        if (y == ignore_index) {
            if (threadIdx.x == 0) {
                lse_out[r] = lse;
                loss_out[r] = A(0);
                wt_out[r] = A(0);
            }
            continue;
        }
        const A wy = mt_widen(weight[y]);
        A loss = (A(1) - eps) * wy * (lse - mt_widen(xr[y]));
        if (eps > A(0)) {
            A smooth = A(0);
            for (long long j = threadIdx.x; j < cols; j += blockDim.x)
                smooth += mt_widen(weight[j]) * (lse - mt_widen(xr[j]));
            loss += eps / A(cols) * mt_block_sum(smooth);
        }
        if (threadIdx.x == 0) {
            lse_out[r] = lse;
            loss_out[r] = loss;
            wt_out[r] = wy;
        }
    }
}

template <class T>
__global__ void cross_entropy_bwd(const T* x, const long long* target, const T* weight,
                                  long long ignore_index, mt_acc_t<T> eps,
                                  const mt_acc_t<T>* lse, const mt_acc_t<T>* scale, T* out,
                                  long long rows, long long cols) {
    typedef mt_acc_t<T> A;
    A wsum = A(0);
    if (eps > A(0)) {
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) wsum += mt_widen(weight[j]);
        wsum = mt_block_sum(wsum);
    }
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const long long base = r * cols;
        const long long y = target[r];
        const A lse_r = lse[r];
        if (y == ignore_index) {   // 0 * softmax: NaN where lse is not finite (PyTorch's)
            for (long long j = threadIdx.x; j < cols; j += blockDim.x)
                out[base + j] = mt_narrow<T>(lse_r - lse_r);
            continue;
        }
        const A s = scale[r];
        const A hard = (A(1) - eps) * mt_widen(weight[y]);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            const A p = mt_exp(mt_widen(x[base + j]) - lse_r);
            A d = hard * (j == y ? p - A(1) : p);
            if (eps > A(0)) d += eps / A(cols) * (wsum * p - mt_widen(weight[j]));
            out[base + j] = mt_narrow<T>(s * d);
        }
    }
}
