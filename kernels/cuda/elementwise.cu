// Fused elementwise backward kernels: the gradients of sigmoid and tanh through their output.
//
// Same contract as kernels/cpu/elementwise.py: flat contiguous arrays of one size, `result`
// preallocated. One pass reads grad and out once (numpy needs three passes). Computed in
// A = mt_acc_t<T> (float for __half/__nv_bfloat16), rounded once into result.
#include "common.cuh"

// result = grad * out * (1 - out)
template <class T>
__global__ void sigmoid_backward(const T* grad, const T* out, T* result, long long n) {
    typedef mt_acc_t<T> A;
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        const A o = mt_widen(out[i]);
        result[i] = mt_narrow<T>(mt_widen(grad[i]) * (o * (A(1) - o)));
    }
}

// result = grad * (1 - out * out)
template <class T>
__global__ void tanh_backward(const T* grad, const T* out, T* result, long long n) {
    typedef mt_acc_t<T> A;
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        const A o = mt_widen(out[i]);
        result[i] = mt_narrow<T>(mt_widen(grad[i]) * (A(1) - o * o));
    }
}
