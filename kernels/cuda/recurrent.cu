// LSTM and GRU gate arithmetic for one time step, forward and backward (kernels/cpu/recurrent.py).
//
// Same contract as the Numba kernels: every array is the flat view of a C-contiguous
// gate-major array, a step's gates (4H, B) and states (H, B), so gate k of element p sits at
// k * n + p with n = H * B. `b_hh` is the recurrent bias broadcast to (4H, B), read only when
// has_bias is set. One thread per element p, grid-stride loop.
#include "common.cuh"

template <class T>
__global__ void lstm_gates_fwd(const T* gi, const T* rec, const T* b_hh, int has_bias,
                               const T* c_prev, T* act, T* c, T* h, long long n) {
    for (long long p = mt_global_index(); p < n; p += mt_grid_stride()) {
        T r_i = rec[p], r_f = rec[n + p], r_g = rec[2 * n + p], r_o = rec[3 * n + p];
        if (has_bias) {   // recurrent product plus its bias, then the input projection
            r_i += b_hh[p];
            r_f += b_hh[n + p];
            r_g += b_hh[2 * n + p];
            r_o += b_hh[3 * n + p];
        }
        const T i = T(1) / (T(1) + mt_exp(-(gi[p] + r_i)));
        const T f = T(1) / (T(1) + mt_exp(-(gi[n + p] + r_f)));
        const T g = mt_tanh(gi[2 * n + p] + r_g);
        const T o = T(1) / (T(1) + mt_exp(-(gi[3 * n + p] + r_o)));
        act[p] = i;
        act[n + p] = f;
        act[2 * n + p] = g;
        act[3 * n + p] = o;
        const T cell = f * c_prev[p] + i * g;
        c[p] = cell;
        h[p] = o * mt_tanh(cell);
    }
}

// dh: the gradient reaching h from the next step; g_out: the output's own gradient. Writes
// the four pre-activation gradients into d and replaces dc by the gradient of c_prev.
template <class T>
__global__ void lstm_gates_bwd(const T* act, const T* c, const T* c_prev, const T* dh,
                               const T* g_out, T* dc, T* d, long long n) {
    for (long long p = mt_global_index(); p < n; p += mt_grid_stride()) {
        const T i = act[p], f = act[n + p], g = act[2 * n + p], o = act[3 * n + p];
        const T dh_p = dh[p] + g_out[p];
        const T tc = mt_tanh(c[p]);
        const T dc_p = dc[p] + dh_p * o * (T(1) - tc * tc);
        d[p] = dc_p * g * i * (T(1) - i);
        d[n + p] = dc_p * c_prev[p] * f * (T(1) - f);
        d[2 * n + p] = dc_p * i * (T(1) - g * g);
        d[3 * n + p] = dh_p * tc * o * (T(1) - o);
        dc[p] = dc_p * f;
    }
}

// GRU (gates r, z, n): gh is the recurrent product (3H, B); h_n receives its n block with the
// bias, which backward needs.
template <class T>
__global__ void gru_gates_fwd(const T* gi, const T* gh, const T* b_hh, int has_bias,
                              const T* h_prev, T* act, T* h_n, T* h, long long n) {
    for (long long p = mt_global_index(); p < n; p += mt_grid_stride()) {
        T r_r = gh[p], r_z = gh[n + p], r_n = gh[2 * n + p];
        if (has_bias) {
            r_r += b_hh[p];
            r_z += b_hh[n + p];
            r_n += b_hh[2 * n + p];
        }
        const T r = T(1) / (T(1) + mt_exp(-(gi[p] + r_r)));
        const T z = T(1) / (T(1) + mt_exp(-(gi[n + p] + r_z)));
        const T nw = mt_tanh(gi[2 * n + p] + r * r_n);
        act[p] = r;
        act[n + p] = z;
        act[2 * n + p] = nw;
        h_n[p] = r_n;
        h[p] = nw + z * (h_prev[p] - nw);
    }
}

// d_in: pre-activation gradients of the input projection; d_rec: of the recurrent product
// (its n block times r); dh_z: h_prev's gradient not through W_hh.
template <class T>
__global__ void gru_gates_bwd(const T* act, const T* h_n, const T* h_prev, const T* dh,
                              const T* g_out, T* d_in, T* d_rec, T* dh_z, long long n) {
    for (long long p = mt_global_index(); p < n; p += mt_grid_stride()) {
        const T r = act[p], z = act[n + p], nw = act[2 * n + p];
        const T dh_p = dh[p] + g_out[p];
        const T d_new = dh_p * (T(1) - z) * (T(1) - nw * nw);
        const T d_z = dh_p * (h_prev[p] - nw) * z * (T(1) - z);
        const T d_r = d_new * h_n[p] * r * (T(1) - r);
        d_in[p] = d_r;
        d_in[n + p] = d_z;
        d_in[2 * n + p] = d_new;
        d_rec[p] = d_r;
        d_rec[n + p] = d_z;
        d_rec[2 * n + p] = d_new * r;
        dh_z[p] = dh_p * z;
    }
}
