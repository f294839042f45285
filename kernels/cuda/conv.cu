// Convolution kernels: im2col and col2im for 2-D convolutions (1-D ones use H = 1).
//
// Same layout as kernels/cpu/conv.py: for x (N, C, H, W) and a kh x kw kernel,
//   cols[c*kh*kw + i*kw + j, (n*OH + oh)*OW + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
// (0 where that position is padding): the columns of all samples side by side, so a
// convolution is one matrix product, out (O, N*OH*OW) = weight (O, C*kh*kw) @ cols, done by
// cuBLAS through cupy.matmul. col2im is the adjoint: out (zeroed by the caller) receives the
// sum of every column entry read from each position. Here it is a gather, one thread per
// input element summing the entries that read it, so no two threads write one place.
// im2col copies elements as they are; col2im sums in A = mt_acc_t<T> (float for __half and
// __nv_bfloat16) and rounds once per element of out.
#include "common.cuh"

// One thread per element of cols (C*kh*kw, N*OH*OW).
template <class T>
__global__ void im2col(const T* x, T* cols, int kh, int kw, int sh, int sw, int ph, int pw,
                       int dh, int dw, long long oh_n, long long ow_n, long long n_batch,
                       long long channels, long long height, long long width) {
    const long long spatial = oh_n * ow_n;
    const long long rows = channels * kh * kw;
    const long long total = rows * n_batch * spatial;
    for (long long k = mt_global_index(); k < total; k += mt_grid_stride()) {
        const long long pos = k % spatial;
        const long long n = (k / spatial) % n_batch;
        const long long row = k / (spatial * n_batch);
        const long long c = row / (kh * kw);
        const long long i = (row / kw) % kh;
        const long long j = row % kw;
        const long long ih = (pos / ow_n) * sh - ph + i * dh;
        const long long iw = (pos % ow_n) * sw - pw + j * dw;
        const bool inside = ih >= 0 && ih < height && iw >= 0 && iw < width;
        cols[k] = inside ? x[((n * channels + c) * height + ih) * width + iw]
                         : mt_narrow<T>(mt_acc_t<T>(0));
    }
}

// One thread per element of out (N, C, H, W): for each kernel tap (i, j), the output
// position (oh, ow) that read this element, if any, satisfies
//   oh*sh = ih + ph - i*dh   and   ow*sw = iw + pw - j*dw.
template <class T>
__global__ void col2im(const T* cols, T* out, int kh, int kw, int sh, int sw, int ph, int pw,
                       int dh, int dw, long long oh_n, long long ow_n, long long n_batch,
                       long long channels, long long height, long long width) {
    typedef mt_acc_t<T> A;
    const long long spatial = oh_n * ow_n;
    const long long total = n_batch * channels * height * width;
    for (long long k = mt_global_index(); k < total; k += mt_grid_stride()) {
        const long long iw = k % width;
        const long long ih = (k / width) % height;
        const long long c = (k / (width * height)) % channels;
        const long long n = k / (width * height * channels);
        A s = A(0);
        for (int i = 0; i < kh; ++i) {
            const long long th = ih + ph - (long long)i * dh;
            if (th < 0 || th % sh != 0 || th / sh >= oh_n) continue;
            for (int j = 0; j < kw; ++j) {
                const long long tw = iw + pw - (long long)j * dw;
                if (tw < 0 || tw % sw != 0 || tw / sw >= ow_n) continue;
                const long long row = (c * kh + i) * kw + j;
                s += mt_widen(cols[(row * n_batch + n) * spatial + (th / sh) * ow_n + tw / sw]);
            }
        }
        out[k] = mt_narrow<T>(mt_widen(out[k]) + s);
    }
}
