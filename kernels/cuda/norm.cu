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
#include "common.cuh"

template <class T>
__global__ void row_norm_fwd(const T* x, const T* w, const T* b, T eps, T* out, T* mean,
                             T* rstd, long long rows, long long cols) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols;
        T s = T(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
        const T mu = mt_block_sum(s) / T(cols);
        T q = T(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            T t = xr[j] - mu;
            q += t * t;
        }
        const T rs = T(1) / mt_sqrt(mt_block_sum(q) / T(cols) + eps);
        if (threadIdx.x == 0) {
            mean[r] = mu;
            rstd[r] = rs;
        }
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            out[r * cols + j] = (xr[j] - mu) * rs * w[j] + b[j];
    }
}

// dx of the row norm (one block per row).
template <class T>
__global__ void row_norm_bwd_input(const T* x, const T* g, const T* mean, const T* rstd,
                                   const T* w, T* gx, long long rows, long long cols) {
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {
        const long long base = r * cols;
        const T mu = mean[r];
        const T rs = rstd[r];
        T s1 = T(0);
        T s2 = T(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            T dxh = g[base + j] * w[j];
            s1 += dxh;
            s2 += dxh * (x[base + j] - mu) * rs;
        }
        s1 = mt_block_sum(s1) / T(cols);
        s2 = mt_block_sum(s2) / T(cols);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            T xh = (x[base + j] - mu) * rs;
            gx[base + j] = rs * (g[base + j] * w[j] - s1 - xh * s2);
        }
    }
}

// gw_parts[p, j] += sum of g * xhat and gb_parts[p, j] += sum of g over the rows of chunk
// p = [p * per, min(rows, (p + 1) * per)), per = ceil(rows / parts): one thread per (p, j).
template <class T>
__global__ void row_norm_bwd_params(const T* x, const T* g, const T* mean, const T* rstd,
                                    T* gw_parts, T* gb_parts, long long rows, long long cols,
                                    long long parts) {
    const long long per = (rows + parts - 1) / parts;
    for (long long k = mt_global_index(); k < parts * cols; k += mt_grid_stride()) {
        const long long p = k / cols;
        const long long j = k % cols;
        const long long end = mt_min(rows, (p + 1) * per);
        T sw = T(0);
        T sb = T(0);
        for (long long i = p * per; i < end; ++i) {
            T gv = g[i * cols + j];
            sw += gv * (x[i * cols + j] - mean[i]) * rstd[i];
            sb += gv;
        }
        gw_parts[k] += sw;
        gb_parts[k] += sb;
    }
}

// Batch norm forward; with compute_stats, mean/var (C,) are filled from the batch.
template <class T>
__global__ void channel_norm_fwd(const T* x, T* mean, T* var, const T* w, const T* b, T eps,
                                 int compute_stats, T* out, T* rstd, long long n,
                                 long long channels, long long len) {
    const long long count = n * len;
    for (long long c = blockIdx.x; c < channels; c += gridDim.x) {
        // element k of channel c: sample k / len, position k % len
        T mu, variance;
        if (compute_stats) {
            T s = T(0);
            for (long long k = threadIdx.x; k < count; k += blockDim.x)
                s += x[((k / len) * channels + c) * len + k % len];
            mu = mt_block_sum(s) / T(count);
            T q = T(0);
            for (long long k = threadIdx.x; k < count; k += blockDim.x) {
                T t = x[((k / len) * channels + c) * len + k % len] - mu;
                q += t * t;
            }
            variance = mt_block_sum(q) / T(count);
            if (threadIdx.x == 0) {
                mean[c] = mu;
                var[c] = variance;
            }
        } else {
            mu = mean[c];
            variance = var[c];
        }
        const T rs = T(1) / mt_sqrt(variance + eps);
        if (threadIdx.x == 0) rstd[c] = rs;
        const T scale = rs * w[c];
        const T shift = b[c] - mu * scale;
        for (long long k = threadIdx.x; k < count; k += blockDim.x) {
            const long long at = ((k / len) * channels + c) * len + k % len;
            out[at] = x[at] * scale + shift;
        }
    }
}

// Batch norm backward; batch_stats says whether mean/var came from this batch.
template <class T>
__global__ void channel_norm_bwd(const T* x, const T* g, const T* mean, const T* rstd,
                                 const T* w, int batch_stats, T* gx, T* gw, T* gb, long long n,
                                 long long channels, long long len) {
    const long long count = n * len;
    for (long long c = blockIdx.x; c < channels; c += gridDim.x) {
        const T mu = mean[c];
        const T rs = rstd[c];
        T sg = T(0);
        T sgx = T(0);
        for (long long k = threadIdx.x; k < count; k += blockDim.x) {
            const long long at = ((k / len) * channels + c) * len + k % len;
            sg += g[at];
            sgx += g[at] * (x[at] - mu);
        }
        sg = mt_block_sum(sg);
        sgx = mt_block_sum(sgx);
        if (threadIdx.x == 0) {
            gb[c] = sg;
            gw[c] = sgx * rs;
        }
        const T k_scale = w[c] * rs;
        if (batch_stats) {
            const T a = sg / T(count);
            const T bcoef = sgx * rs * rs / T(count);
            for (long long k = threadIdx.x; k < count; k += blockDim.x) {
                const long long at = ((k / len) * channels + c) * len + k % len;
                gx[at] = k_scale * (g[at] - a - (x[at] - mu) * bcoef);
            }
        } else {
            for (long long k = threadIdx.x; k < count; k += blockDim.x) {
                const long long at = ((k / len) * channels + c) * len + k % len;
                gx[at] = k_scale * g[at];
            }
        }
    }
}
