// Normalization kernels: rows (layer norm, group norm) and channels (batch norm).
//
// Same contract and formulas as kernels/cpu/norm.py.
// Row norm: x is (M, D); each row is normalized by its own mean and biased variance,
//   y = (x - mean) * rstd * w + b,  rstd = 1 / sqrt(var + eps);
// backward, with xhat = (x - mean) * rstd and dxhat = g * w:
//   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
//   dw = sum over rows of g * xhat,  db = sum over rows of g,
// dw and db summed into (P, D) partial arrays over P chunks of rows (the caller adds them).
// One block per row for y and dx (block reductions); one thread per (chunk, column) for the
// partial sums, so the partial arrays are written without atomics and deterministically.
// Channel norm (batch norm): x is (N, C, L); one block per channel c reduces its N * L
// values (two passes: mean, then squared deviations) and writes y; backward likewise.
// Statistics, sums and formulas are computed in A = mt_acc_t<T> (float for __half and
// __nv_bfloat16). The statistics (mean, var, rstd) and the weight-gradient partial sums are
// kept in A too, as PyTorch keeps them in float for half inputs: a mean rounded to bfloat16
// (8 bits) would spoil x - mean, and so the backward. The other arrays have x's type T,
// each stored value rounded once.
#include "common.cuh"

template <class T>
__global__ void row_norm_fwd(const T* x, const T* w, const T* b, mt_acc_t<T> eps, T* out,
                             mt_acc_t<T>* mean, mt_acc_t<T>* rstd, long long rows,
                             long long cols) {
    typedef mt_acc_t<T> A;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols;
        A s = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += mt_widen(xr[j]);
        const A mu = mt_block_sum(s) / A(cols);
        A q = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            A t = mt_widen(xr[j]) - mu;
            q += t * t;
        }
        const A rs = A(1) / mt_sqrt(mt_block_sum(q) / A(cols) + eps);
        if (threadIdx.x == 0) {
            mean[r] = mu;
            rstd[r] = rs;
        }
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            out[r * cols + j] =
                mt_narrow<T>((mt_widen(xr[j]) - mu) * rs * mt_widen(w[j]) + mt_widen(b[j]));
    }
}

// dx of the row norm (one block per row).
template <class T>
__global__ void row_norm_bwd_input(const T* x, const T* g, const mt_acc_t<T>* mean,
                                   const mt_acc_t<T>* rstd, const T* w, T* gx, long long rows,
                                   long long cols) {
    typedef mt_acc_t<T> A;
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const long long base = r * cols;
        const A mu = mean[r];
        const A rs = rstd[r];
        A s1 = A(0);
        A s2 = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            A dxh = mt_widen(g[base + j]) * mt_widen(w[j]);
            s1 += dxh;
            s2 += dxh * (mt_widen(x[base + j]) - mu) * rs;
        }
        s1 = mt_block_sum(s1) / A(cols);
        s2 = mt_block_sum(s2) / A(cols);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            const A xh = (mt_widen(x[base + j]) - mu) * rs;
            const A dxh = mt_widen(g[base + j]) * mt_widen(w[j]);
            gx[base + j] = mt_narrow<T>(rs * (dxh - s1 - xh * s2));
        }
    }
}

// gw_parts[p, j] += sum of g * xhat and gb_parts[p, j] += sum of g over the rows of chunk
// p = [p * per, min(rows, (p + 1) * per)), per = ceil(rows / parts): one thread per (p, j).
template <class T>
__global__ void row_norm_bwd_params(const T* x, const T* g, const mt_acc_t<T>* mean,
                                    const mt_acc_t<T>* rstd, mt_acc_t<T>* gw_parts,
                                    mt_acc_t<T>* gb_parts, long long rows, long long cols,
                                    long long parts) {
    typedef mt_acc_t<T> A;
    const long long per = (rows + parts - 1) / parts;
    for (long long k = mt_global_index(); k < parts * cols; k += mt_grid_stride()) {
        const long long p = k / cols;
        const long long j = k % cols;
        const long long end = mt_min(rows, (p + 1) * per);
        A sw = A(0);
        A sb = A(0);
        for (long long i = p * per; i < end; ++i) {
            const A gv = mt_widen(g[i * cols + j]);
            sw += gv * (mt_widen(x[i * cols + j]) - mean[i]) * rstd[i];
            sb += gv;
        }
        gw_parts[k] += sw;
        gb_parts[k] += sb;
    }
}

// Batch norm forward; with compute_stats, mean/var (C,) are filled from the batch.
template <class T>
__global__ void channel_norm_fwd(const T* x, mt_acc_t<T>* mean, mt_acc_t<T>* var, const T* w,
                                 const T* b, mt_acc_t<T> eps, int compute_stats, T* out,
                                 mt_acc_t<T>* rstd, long long n, long long channels,
                                 long long len) {
    typedef mt_acc_t<T> A;
    const long long count = n * len;
    for (long long c = blockIdx.x; c < channels; c += gridDim.x) {
        // element k of channel c: sample k / len, position k % len
        A mu, variance;
        if (compute_stats) {
            A s = A(0);
            for (long long k = threadIdx.x; k < count; k += blockDim.x)
                s += mt_widen(x[((k / len) * channels + c) * len + k % len]);
            mu = mt_block_sum(s) / A(count);
            A q = A(0);
            for (long long k = threadIdx.x; k < count; k += blockDim.x) {
                A t = mt_widen(x[((k / len) * channels + c) * len + k % len]) - mu;
                q += t * t;
            }
            variance = mt_block_sum(q) / A(count);
            if (threadIdx.x == 0) {
                mean[c] = mu;
                var[c] = variance;
            }
        } else {
            mu = mean[c];
            variance = var[c];
        }
        const A rs = A(1) / mt_sqrt(variance + eps);
        if (threadIdx.x == 0) rstd[c] = rs;
        const A scale = rs * mt_widen(w[c]);
        const A shift = mt_widen(b[c]) - mu * scale;
        for (long long k = threadIdx.x; k < count; k += blockDim.x) {
            const long long at = ((k / len) * channels + c) * len + k % len;
            out[at] = mt_narrow<T>(mt_widen(x[at]) * scale + shift);
        }
    }
}

// Batch norm backward; batch_stats says whether mean/var came from this batch.
template <class T>
__global__ void channel_norm_bwd(const T* x, const T* g, const mt_acc_t<T>* mean,
                                 const mt_acc_t<T>* rstd, const T* w, int batch_stats, T* gx,
                                 T* gw, T* gb, long long n, long long channels, long long len) {
    typedef mt_acc_t<T> A;
    const long long count = n * len;
    for (long long c = blockIdx.x; c < channels; c += gridDim.x) {
        const A mu = mean[c];
        const A rs = rstd[c];
        A sg = A(0);
        A sgx = A(0);
        for (long long k = threadIdx.x; k < count; k += blockDim.x) {
            const long long at = ((k / len) * channels + c) * len + k % len;
            const A gv = mt_widen(g[at]);
            sg += gv;
            sgx += gv * (mt_widen(x[at]) - mu);
        }
        sg = mt_block_sum(sg);
        sgx = mt_block_sum(sgx);
        if (threadIdx.x == 0) {
            gb[c] = mt_narrow<T>(sg);
            gw[c] = mt_narrow<T>(sgx * rs);
        }
        const A k_scale = mt_widen(w[c]) * rs;
        if (batch_stats) {
            const A a = sg / A(count);
            const A bcoef = sgx * rs * rs / A(count);
            for (long long k = threadIdx.x; k < count; k += blockDim.x) {
                const long long at = ((k / len) * channels + c) * len + k % len;
                const A centered = mt_widen(x[at]) - mu;
                gx[at] = mt_narrow<T>(k_scale * (mt_widen(g[at]) - a - centered * bcoef));
            }
        } else {
            for (long long k = threadIdx.x; k < count; k += blockDim.x) {
                const long long at = ((k / len) * channels + c) * len + k % len;
                gx[at] = mt_narrow<T>(k_scale * mt_widen(g[at]));
            }
        }
    }
}
