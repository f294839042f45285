// Pooling kernels over (N, C, H, W) arrays: max (with indices), average, adaptive average.
//
// Same contract and rules as kernels/cpu/pool.py. One thread per output element (grid-stride)
// walks its window: rows ih = oh*sh - ph + i*dh (i < kh), cols iw = ow*sw - pw + j*dw
// (j < kw), positions outside the input skipped. Max pooling records the winner as ih*W + iw
// (PyTorch's index) and lets NaN win; average pooling follows PyTorch's divisor rule (window
// clipped to the padded input for count_include_pad, to the input otherwise;
// divisor_override > 0 replaces both). Backward kernels scatter each output gradient into
// its window with atomicAdd, since windows may overlap; the gradient array is zeroed by the
// caller. `planes` is N * C. Sums and divisions are done in A = mt_acc_t<T>; the backward
// kernels add into an array of type A (for __half / __nv_bfloat16 a float buffer that the
// launcher rounds into the gradient once at the end: no half-precision atomics).
#include "common.cuh"

template <class T>
__global__ void max_pool2d_fwd(const T* x, T* out, long long* idx, int kh, int kw, int sh,
                               int sw, int ph, int pw, int dh, int dw, long long planes,
                               long long height, long long width, long long oh_n,
                               long long ow_n) {
    typedef mt_acc_t<T> A;
    const long long total = planes * oh_n * ow_n;
    for (long long k = mt_global_index(); k < total; k += mt_grid_stride()) {
        const long long ow = k % ow_n;
        const long long oh = (k / ow_n) % oh_n;
        const T* plane = x + (k / (oh_n * ow_n)) * height * width;
        const long long h0 = oh * sh - ph;
        const long long w0 = ow * sw - pw;
        long long hs = h0;
        while (hs < 0) hs += dh;
        long long ws = w0;
        while (ws < 0) ws += dw;
        A best = mt_neg_inf(A(0));
        long long best_i = hs * width + ws;   // PyTorch's index when nothing beats -inf
        for (int i = 0; i < kh; ++i) {
            const long long ih = h0 + (long long)i * dh;
            if (ih < 0 || ih >= height) continue;
            for (int j = 0; j < kw; ++j) {
                const long long iw = w0 + (long long)j * dw;
                if (iw < 0 || iw >= width) continue;
                const A v = mt_widen(plane[ih * width + iw]);
                if (v > best || mt_isnan(v)) {
                    best = v;
                    best_i = ih * width + iw;
                }
            }
        }
        out[k] = mt_narrow<T>(best);   // exact: best is -inf or one of the inputs
        idx[k] = best_i;
    }
}

// gx (N, C, H, W), zeroed by the caller, receives g at the recorded positions; an index
// outside [0, H*W) (PyTorch's index of a window wholly in the padding) is skipped.
template <class T>
__global__ void max_pool2d_bwd(const T* g, const long long* idx, mt_acc_t<T>* gx,
                               long long planes, long long height, long long width,
                               long long oh_n, long long ow_n) {
    const long long total = planes * oh_n * ow_n;
    for (long long k = mt_global_index(); k < total; k += mt_grid_stride()) {
        const long long plane = k / (oh_n * ow_n);
        const long long i = idx[k];
        if (i < 0 || i >= height * width) continue;   // a window wholly in the padding
        atomicAdd(gx + plane * height * width + i, mt_widen(g[k]));
    }
}

// The clipped window [*start, *end) of output o along one axis, and its padded size.
__device__ __forceinline__ long long avg_window(long long o, int stride, int pad, int k,
                                                long long size, long long* start,
                                                long long* end) {
    long long s = o * stride - pad;
    long long e = mt_min(s + k, size + pad);
    long long padded = e - s;
    *start = mt_max(s, 0LL);
    *end = mt_min(e, size);
    return padded;
}

__device__ __forceinline__ long long avg_divisor(long long h0, long long h1, long long hp,
                                                 long long w0, long long w1, long long wp,
                                                 int count_include_pad, int divisor_override) {
    if (divisor_override > 0) return divisor_override;
    if (count_include_pad) return hp * wp;
    return (h1 - h0) * (w1 - w0);
}

template <class T>
__global__ void avg_pool2d_fwd(const T* x, T* out, int kh, int kw, int sh, int sw, int ph,
                               int pw, int count_include_pad, int divisor_override,
                               long long planes, long long height, long long width,
                               long long oh_n, long long ow_n) {
    typedef mt_acc_t<T> A;
    const long long total = planes * oh_n * ow_n;
    for (long long k = mt_global_index(); k < total; k += mt_grid_stride()) {
        const long long ow = k % ow_n;
        const long long oh = (k / ow_n) % oh_n;
        const T* plane = x + (k / (oh_n * ow_n)) * height * width;
        long long h0, h1, w0, w1;
        const long long hp = avg_window(oh, sh, ph, kh, height, &h0, &h1);
        const long long wp = avg_window(ow, sw, pw, kw, width, &w0, &w1);
        A s = A(0);
        for (long long ih = h0; ih < h1; ++ih)
            for (long long iw = w0; iw < w1; ++iw) s += mt_widen(plane[ih * width + iw]);
        const long long div = avg_divisor(h0, h1, hp, w0, w1, wp, count_include_pad,
                                          divisor_override);
        out[k] = mt_narrow<T>(div > 0 ? s / A(div) : A(0));
    }
}

// gx (N, C, H, W), zeroed by the caller: each window spreads g / divisor over itself.
template <class T>
__global__ void avg_pool2d_bwd(const T* g, mt_acc_t<T>* gx, int kh, int kw, int sh, int sw,
                               int ph, int pw, int count_include_pad, int divisor_override,
                               long long planes, long long height, long long width,
                               long long oh_n, long long ow_n) {
    typedef mt_acc_t<T> A;
    const long long total = planes * oh_n * ow_n;
    for (long long k = mt_global_index(); k < total; k += mt_grid_stride()) {
        const long long ow = k % ow_n;
        const long long oh = (k / ow_n) % oh_n;
        A* plane = gx + (k / (oh_n * ow_n)) * height * width;
        long long h0, h1, w0, w1;
        const long long hp = avg_window(oh, sh, ph, kh, height, &h0, &h1);
        const long long wp = avg_window(ow, sw, pw, kw, width, &w0, &w1);
        const long long div = avg_divisor(h0, h1, hp, w0, w1, wp, count_include_pad,
                                          divisor_override);
        if (div <= 0) continue;
        const A v = mt_widen(g[k]) / A(div);
        for (long long ih = h0; ih < h1; ++ih)
            for (long long iw = w0; iw < w1; ++iw) atomicAdd(plane + ih * width + iw, v);
    }
}

// PyTorch's adaptive window along one axis: [floor(o*I/O), ceil((o+1)*I/O)).
__device__ __forceinline__ void adaptive_range(long long o, long long out_size,
                                               long long in_size, long long* start,
                                               long long* end) {
    *start = (o * in_size) / out_size;
    *end = ((o + 1) * in_size + out_size - 1) / out_size;
}

template <class T>
__global__ void adaptive_avg_pool2d_fwd(const T* x, T* out, long long planes, long long height,
                                        long long width, long long oh_n, long long ow_n) {
    typedef mt_acc_t<T> A;
    const long long total = planes * oh_n * ow_n;
    for (long long k = mt_global_index(); k < total; k += mt_grid_stride()) {
        const long long ow = k % ow_n;
        const long long oh = (k / ow_n) % oh_n;
        const T* plane = x + (k / (oh_n * ow_n)) * height * width;
        long long h0, h1, w0, w1;
        adaptive_range(oh, oh_n, height, &h0, &h1);
        adaptive_range(ow, ow_n, width, &w0, &w1);
        A s = A(0);
        for (long long ih = h0; ih < h1; ++ih)
            for (long long iw = w0; iw < w1; ++iw) s += mt_widen(plane[ih * width + iw]);
        out[k] = mt_narrow<T>(s / A((h1 - h0) * (w1 - w0)));
    }
}

template <class T>
__global__ void adaptive_avg_pool2d_bwd(const T* g, mt_acc_t<T>* gx, long long planes,
                                        long long height, long long width, long long oh_n,
                                        long long ow_n) {
    typedef mt_acc_t<T> A;
    const long long total = planes * oh_n * ow_n;
    for (long long k = mt_global_index(); k < total; k += mt_grid_stride()) {
        const long long ow = k % ow_n;
        const long long oh = (k / ow_n) % oh_n;
        A* plane = gx + (k / (oh_n * ow_n)) * height * width;
        long long h0, h1, w0, w1;
        adaptive_range(oh, oh_n, height, &h0, &h1);
        adaptive_range(ow, ow_n, width, &w0, &w1);
        const A v = mt_widen(g[k]) / A((h1 - h0) * (w1 - w0));
        for (long long ih = h0; ih < h1; ++ih)
            for (long long iw = w0; iw < w1; ++iw) atomicAdd(plane + ih * width + iw, v);
    }
}
