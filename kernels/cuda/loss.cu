// Cross-entropy over class indices: log-softmax and NLL fused, one block per row.
//
// Same contract and formulas as kernels/cpu/loss.py. For row i of the logits x (N, C):
//   lse_i  = log(sum_c exp(x_ic))   (the row max subtracted first)
//   loss_i = (1 - eps) * w[y_i] * (lse_i - x_i,y_i) + eps / C * sum_c w[c] * (lse_i - x_ic)
// (eps = label smoothing; loss 0 and weight 0 when y_i == ignore_index), and backward
//   dx_ic = s_i * ((1 - eps) * w[y_i] * (p_ic - [c == y_i]) + eps / C * (W * p_ic - w[c]))
// with p = exp(x - lse), W = sum_c w[c], s_i the incoming gradient of row i. Targets are
// int64 and checked against [0, C) by the caller.
#include "common.cuh"

template <class T>
__global__ void cross_entropy_fwd(const T* x, const long long* target, const T* weight,
                                  long long ignore_index, T eps, T* lse_out, T* loss_out,
                                  T* wt_out, long long rows, long long cols) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols;
        T m = mt_neg_inf(T(0));
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) m = mt_max(m, xr[j]);
        m = mt_block_max(m);
        T s = T(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += mt_exp(xr[j] - m);
        const T lse = m + mt_log(mt_block_sum(s));
        const long long y = target[r];   // the same for every thread: uniform branches
        if (y == ignore_index) {
            if (threadIdx.x == 0) {
                lse_out[r] = lse;
                loss_out[r] = T(0);
                wt_out[r] = T(0);
            }
            continue;
        }
        const T wy = weight[y];
        T loss = (T(1) - eps) * wy * (lse - xr[y]);
        if (eps > T(0)) {
            T smooth = T(0);
            for (long long j = threadIdx.x; j < cols; j += blockDim.x)
                smooth += weight[j] * (lse - xr[j]);
            loss += eps / T(cols) * mt_block_sum(smooth);
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
                                  long long ignore_index, T eps, const T* lse, const T* scale,
                                  T* out, long long rows, long long cols) {
    T wsum = T(0);
    if (eps > T(0)) {
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) wsum += weight[j];
        wsum = mt_block_sum(wsum);
    }
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const long long base = r * cols;
        const long long y = target[r];
        if (y == ignore_index) {
            for (long long j = threadIdx.x; j < cols; j += blockDim.x) out[base + j] = T(0);
            continue;
        }
        const T s = scale[r];
        const T hard = (T(1) - eps) * weight[y];
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            T p = mt_exp(x[base + j] - lse[r]);
            T d = hard * (j == y ? p - T(1) : p);
            if (eps > T(0)) d += eps / T(cols) * (wsum * p - weight[j]);
            out[base + j] = s * d;
        }
    }
}
