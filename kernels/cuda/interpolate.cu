// interpolate kernels (F.interpolate mode='bilinear', no antialias): the bilinear2d kernels
// of kernels/cpu/interpolate.py.
//
// Same contract: x and gx (N, C, H, W), out and g (N, C, OH, OW); per output row oh the
// input rows hi[0, oh], hi[1, oh] with weights hw[0, oh], hw[1, oh] (tap arrays (2, OH),
// columns likewise (2, OW)), and
//     out[n, c, oh, ow] = hw0 * (ww0 * x[h0, w0] + ww1 * x[h0, w1])
//                       + hw1 * (ww0 * x[h1, w0] + ww1 * x[h1, w1])
// in A = mt_acc_t<T> (PyTorch's summation order), rounded once. The weights are A arrays
// (the op computes them in float32, or float64 for float64 inputs). One thread per output
// element; the backward pass adds a0 * b0 * g (and the three other products) into its four
// taps with atomicAdd (neighbouring outputs share taps), into an A buffer: float for the
// half types, rounded once by the launcher. The Numba kernels raise on a tap outside the
// input; here such a tap reads 0 and receives nothing, so no tap array makes a kernel touch
// memory outside the arrays (the op never passes one).
#include "common.cuh"

// x[h, w] of one plane widened to A, or 0 for a tap outside the plane.
template <class T>
__device__ __forceinline__ mt_acc_t<T> bl_load(const T* plane, long long h, long long w,
                                               long long height, long long width) {
    if (h < 0 || h >= height || w < 0 || w >= width) return mt_acc_t<T>(0);
    return mt_widen(plane[h * width + w]);
}

template <class A>
__device__ __forceinline__ void bl_add(A* plane, long long h, long long w, long long height,
                                       long long width, A value) {
    if (h < 0 || h >= height || w < 0 || w >= width) return;
    atomicAdd(plane + h * width + w, value);
}

template <class T>
__global__ void bilinear2d_fwd(const T* x, T* out, const long long* hi, const mt_acc_t<T>* hw,
                               const long long* wi, const mt_acc_t<T>* ww, long long planes,
                               long long height, long long width, long long out_h,
                               long long out_w) {
    typedef mt_acc_t<T> A;
    const long long total = planes * out_h * out_w;
    for (long long k = mt_global_index(); k < total; k += mt_grid_stride()) {
        const long long ow = k % out_w;
        const long long oh = (k / out_w) % out_h;
        const T* src = x + (k / (out_w * out_h)) * height * width;
        const long long h0 = hi[oh], h1 = hi[out_h + oh];
        const long long w0 = wi[ow], w1 = wi[out_w + ow];
        const A a0 = hw[oh], a1 = hw[out_h + oh];
        const A b0 = ww[ow], b1 = ww[out_w + ow];
        const A top = b0 * bl_load(src, h0, w0, height, width) +
                      b1 * bl_load(src, h0, w1, height, width);
        const A bottom = b0 * bl_load(src, h1, w0, height, width) +
                         b1 * bl_load(src, h1, w1, height, width);
        out[k] = mt_narrow<T>(a0 * top + a1 * bottom);
    }
}

// gx (zeroed by the caller) += the transpose of the forward applied to g.
template <class T>
__global__ void bilinear2d_bwd(const T* g, mt_acc_t<T>* gx, const long long* hi,
                               const mt_acc_t<T>* hw, const long long* wi,
                               const mt_acc_t<T>* ww, long long planes, long long height,
                               long long width, long long out_h, long long out_w) {
    typedef mt_acc_t<T> A;
    const long long total = planes * out_h * out_w;
    for (long long k = mt_global_index(); k < total; k += mt_grid_stride()) {
        const long long ow = k % out_w;
        const long long oh = (k / out_w) % out_h;
        A* dst = gx + (k / (out_w * out_h)) * height * width;
        const long long h0 = hi[oh], h1 = hi[out_h + oh];
        const long long w0 = wi[ow], w1 = wi[out_w + ow];
        const A a0 = hw[oh], a1 = hw[out_h + oh];
        const A b0 = ww[ow], b1 = ww[out_w + ow];
        const A v = mt_widen(g[k]);
        bl_add(dst, h0, w0, height, width, a0 * b0 * v);
        bl_add(dst, h0, w1, height, width, a0 * b1 * v);
        bl_add(dst, h1, w0, height, width, a1 * b0 * v);
        bl_add(dst, h1, w1, height, width, a1 * b1 * v);
    }
}
