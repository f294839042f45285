// Fused elementwise backward kernels: the gradients of sigmoid and tanh through their output.
//
// Same contract as kernels/cpu/elementwise.py: flat contiguous arrays of one size, `result`
// preallocated. One pass reads grad and out once (numpy needs three passes).
#include "common.cuh"

// result = grad * out * (1 - out)
template <class T>
__global__ void sigmoid_backward(const T* grad, const T* out, T* result, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T o = out[i];
        result[i] = grad[i] * (o * (T(1) - o));
    }
}

// result = grad * (1 - out * out)
template <class T>
__global__ void tanh_backward(const T* grad, const T* out, T* result, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        T o = out[i];
        result[i] = grad[i] * (T(1) - o * o);
    }
}
