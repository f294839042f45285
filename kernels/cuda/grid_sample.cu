// grid_sample kernels (F.grid_sample): sample (N, C, D, H, W) inputs at grid locations.
//
// Same contract and rules as kernels/cpu/grid_sample.py: x (N, C, D, H, W) (2-D: D = 1),
// grid (N, P, nd) with nd = 2 (x, y) or 3 (x, y, z), grid[..., 0] indexing W; out and g
// (N, C, P); gx (N, C, D, H, W) zeroed by the caller; ggrid (N, P, nd). mode 0 bilinear,
// 1 nearest, 2 bicubic (nd = 2 only); padding 0 zeros, 1 border, 2 reflection. Per dim the
// coordinate is unnormalized, padded (border clip, reflection), a non-finite one becomes -100;
// bilinear taps floor(c) and floor(c) + 1, nearest rint(c), bicubic floor(c) - 1 .. + 2 with
// Keys' weights (A = -0.75), each tap padded. A tap coordinate is compared with [0, size - 1]
// as a float before it is converted to an index: no grid value (NaN, inf, 1e30) makes a
// kernel touch memory outside the arrays. One thread per output point (n, p), looping over
// the channels; the backward pass scatters into gx with atomicAdd (an A buffer: float for the
// half types, rounded once by the launcher) and writes its point's grid gradient.
// Coordinates and sums are computed in A = mt_acc_t<T>.
#include "common.cuh"

#define GS_TAPS 4
#define GS_COMBOS 16   // bicubic 4 x 4; 3-D bilinear 2 x 2 x 2

__device__ __forceinline__ float gs_floor(float x) { return floorf(x); }
__device__ __forceinline__ double gs_floor(double x) { return floor(x); }
__device__ __forceinline__ float gs_rint(float x) { return rintf(x); }
__device__ __forceinline__ double gs_rint(double x) { return rint(x); }
__device__ __forceinline__ float gs_fmod(float x, float y) { return fmodf(x, y); }
__device__ __forceinline__ double gs_fmod(double x, double y) { return fmod(x, y); }
__device__ __forceinline__ float gs_abs(float x) { return fabsf(x); }
__device__ __forceinline__ double gs_abs(double x) { return fabs(x); }
__device__ __forceinline__ bool gs_finite(float x) { return fabsf(x) <= 3.402823466e+38f; }
__device__ __forceinline__ bool gs_finite(double x) {
    return fabs(x) <= 1.7976931348623157e+308;
}

// PyTorch's safe_downgrade_to_int_range: a non-finite coordinate goes far outside.
template <class A>
__device__ __forceinline__ A gs_outside_if_nonfinite(A c) {
    return gs_finite(c) ? c : A(-100);
}

// Border clipping and its derivative (0 where clipped; NaN stays NaN).
template <class A>
__device__ __forceinline__ A gs_clip(A c, long long size, A* d) {
    const A hi = A(size - 1);
    if (c > A(0) && c < hi) {
        *d = A(1);
        return c;
    }
    *d = A(0);
    if (c <= A(0)) return A(0);
    if (c >= hi) return hi;
    return c;
}

template <class A>
__device__ __forceinline__ A gs_reflect(A c, long long twice_low, long long twice_high, A* d) {
    if (twice_low == twice_high) {
        *d = A(0);
        return A(0);
    }
    const A lo = A((double)twice_low / 2.0);
    const A span = A((double)(twice_high - twice_low) / 2.0);
    c = c - lo;
    const A sign = c < A(0) ? A(-1) : A(1);
    c = gs_abs(c);
    const A extra = gs_fmod(c, span);
    const A flips = gs_floor(c / span);
    if (gs_fmod(flips, A(2)) == A(0)) {
        *d = sign;
        return extra + lo;
    }
    *d = -sign;
    return span - extra + lo;
}

// PyTorch's compute_coordinates, with its derivative.
template <class A>
__device__ __forceinline__ A gs_pad(A c, long long size, int padding, int align, A* d) {
    if (padding == 1) return gs_clip(c, size, d);
    if (padding == 2) {
        A d1, d2;
        c = align ? gs_reflect(c, 0LL, 2 * (size - 1), &d1)
                  : gs_reflect(c, -1LL, 2 * size - 1, &d1);
        c = gs_clip(c, size, &d2);
        *d = d1 * d2;
        return c;
    }
    *d = A(1);
    return c;
}

// The index of tap coordinate c, or -1 outside [0, size - 1] (compared before converting).
template <class A>
__device__ __forceinline__ long long gs_index(A c, long long size) {
    return (c >= A(0) && c <= A(size - 1)) ? (long long)c : -1LL;
}

template <class A>
__device__ __forceinline__ A gs_cubic1(A x) {
    const A a = A(-0.75);
    return ((a + A(2)) * x - (a + A(3))) * x * x + A(1);
}

template <class A>
__device__ __forceinline__ A gs_cubic2(A x) {
    const A a = A(-0.75);
    return ((a * x - A(5) * a) * x + A(8) * a) * x - A(4) * a;
}

template <class A>
__device__ __forceinline__ A gs_dcubic1(A x) {
    const A a = A(-0.75);
    return (A(3) * (a + A(2)) * x - A(2) * (a + A(3))) * x;
}

template <class A>
__device__ __forceinline__ A gs_dcubic2(A x) {
    const A a = A(-0.75);
    return (A(3) * a * x - A(10) * a) * x + A(8) * a;
}

// The taps of one dim at grid value g: indices (-1: outside, reads zero), weights and their
// derivatives in g; returns their number.
template <class A>
__device__ int gs_dim_taps(A g, long long size, int mode, int padding, int align,
                           long long* idx, A* w, A* dw) {
    const A one = A(1);
    A c, dc;
    if (align) {
        c = (g + one) / A(2) * A(size - 1);
        dc = A((double)(size - 1) / 2.0);
    } else {
        c = ((g + one) * A(size) - one) / A(2);
        dc = A((double)size / 2.0);
    }
    if (mode == 2) {   // bicubic: the coordinate is not padded, each tap index is
        c = gs_outside_if_nonfinite(c);
        const A base = gs_floor(c);
        const A t = c - base;
        w[0] = gs_cubic2(t + one);
        w[1] = gs_cubic1(t);
        w[2] = gs_cubic1(one - t);
        w[3] = gs_cubic2(A(2) - t);
        dw[0] = gs_dcubic2(t + one) * dc;
        dw[1] = gs_dcubic1(t) * dc;
        dw[2] = -gs_dcubic1(one - t) * dc;
        dw[3] = -gs_dcubic2(A(2) - t) * dc;
        for (int k = 0; k < 4; ++k) {
            A unused;
            const A tap = gs_pad(base - one + A(k), size, padding, align, &unused);
            idx[k] = gs_index(gs_outside_if_nonfinite(tap), size);
        }
        return 4;
    }
    A dpad;
    c = gs_outside_if_nonfinite(gs_pad(c, size, padding, align, &dpad));
    dc = dc * dpad;
    if (mode == 1) {
        idx[0] = gs_index(gs_rint(c), size);   // round half to even, as nearbyint
        w[0] = one;
        dw[0] = A(0);
        return 1;
    }
    const A i0 = gs_floor(c);
    const A frac = c - i0;
    idx[0] = gs_index(i0, size);
    idx[1] = gs_index(i0 + one, size);
    w[0] = one - frac;
    w[1] = frac;
    dw[0] = -dc;
    dw[1] = dc;
    return 2;
}

// The valid tap combinations of the point whose grid values start at gp: offsets into the
// (D, H, W) plane, weights, and per-dim derivative weights; returns their number.
template <class T>
__device__ int gs_point(const T* gp, int nd, const long long* sizes, int mode, int padding,
                        int align, long long* offs, mt_acc_t<T>* cw, mt_acc_t<T> (*cdw)[3]) {
    typedef mt_acc_t<T> A;
    long long idx[3][GS_TAPS];
    A w[3][GS_TAPS], dw[3][GS_TAPS];
    int cnt[3];
    if (nd == 2) {   // a 2-D input: one depth tap, index 0, weight 1
        cnt[0] = 1;
        idx[0][0] = 0;
        w[0][0] = A(1);
        dw[0][0] = A(0);
    }
    for (int d = 3 - nd; d < 3; ++d)
        cnt[d] = gs_dim_taps(mt_widen(gp[2 - d]), sizes[d], mode, padding, align, idx[d],
                             w[d], dw[d]);
    int m = 0;
    for (int a = 0; a < cnt[0]; ++a) {
        if (idx[0][a] < 0) continue;
        for (int b = 0; b < cnt[1]; ++b) {
            if (idx[1][b] < 0) continue;
            for (int e = 0; e < cnt[2]; ++e) {
                if (idx[2][e] < 0 || m >= GS_COMBOS) continue;
                offs[m] = (idx[0][a] * sizes[1] + idx[1][b]) * sizes[2] + idx[2][e];
                cw[m] = w[0][a] * w[1][b] * w[2][e];
                cdw[m][0] = dw[0][a] * w[1][b] * w[2][e];
                cdw[m][1] = dw[1][b] * w[0][a] * w[2][e];
                cdw[m][2] = dw[2][e] * w[0][a] * w[1][b];
                ++m;
            }
        }
    }
    return m;
}

template <class T>
__global__ void grid_sample_fwd(const T* x, const T* grid, T* out, int mode, int padding,
                                int align, long long n_batch, long long channels,
                                long long depth, long long height, long long width,
                                long long points, long long nd) {
    typedef mt_acc_t<T> A;
    const long long sizes[3] = {depth, height, width};
    const long long plane = depth * height * width;
    const long long total = n_batch * points;
    for (long long k = mt_global_index(); k < total; k += mt_grid_stride()) {
        const long long n = k / points;
        const long long p = k % points;
        long long offs[GS_COMBOS];
        A cw[GS_COMBOS], cdw[GS_COMBOS][3];
        const int m = gs_point(grid + k * nd, (int)nd, sizes, mode, padding, align, offs, cw,
                               cdw);
        for (long long ch = 0; ch < channels; ++ch) {
            const T* src = x + (n * channels + ch) * plane;
            A acc = A(0);
            for (int j = 0; j < m; ++j) acc += mt_widen(src[offs[j]]) * cw[j];
            out[(n * channels + ch) * points + p] = mt_narrow<T>(acc);
        }
    }
}

// gx (zeroed by the caller) += the input gradient; ggrid = the grid gradient (zeros for
// nearest or when need_grid is 0).
template <class T>
__global__ void grid_sample_bwd(const T* x, const T* grid, const T* g, mt_acc_t<T>* gx,
                                T* ggrid, int mode, int padding, int align, int need_grid,
                                long long n_batch, long long channels, long long depth,
                                long long height, long long width, long long points,
                                long long nd) {
    typedef mt_acc_t<T> A;
    const long long sizes[3] = {depth, height, width};
    const long long plane = depth * height * width;
    const long long total = n_batch * points;
    const bool want_grid = need_grid && mode != 1;
    for (long long k = mt_global_index(); k < total; k += mt_grid_stride()) {
        const long long n = k / points;
        const long long p = k % points;
        long long offs[GS_COMBOS];
        A cw[GS_COMBOS], cdw[GS_COMBOS][3];
        const int m = gs_point(grid + k * nd, (int)nd, sizes, mode, padding, align, offs, cw,
                               cdw);
        A s[3] = {A(0), A(0), A(0)};
        for (int j = 0; j < m; ++j) {
            A gv = A(0);
            for (long long ch = 0; ch < channels; ++ch) {
                const long long row = n * channels + ch;
                const A go = mt_widen(g[row * points + p]);
                atomicAdd(gx + row * plane + offs[j], go * cw[j]);
                gv += mt_widen(x[row * plane + offs[j]]) * go;
            }
            if (want_grid)
                for (int d = 0; d < 3; ++d) s[d] += gv * cdw[j][d];
        }
        for (long long c = 0; c < nd; ++c) ggrid[k * nd + c] = mt_narrow<T>(s[2 - c]);
    }
}
