// Kernels that test the CPU emulation of CUDA itself (tests/kernels/cuda_emulation/test_emulator.py).
// Compiled by nvcc too, so they stay valid CUDA.
#include "common.cuh"

// Six coordinates per thread: threadIdx.xyz and blockIdx.xyz, at the thread's linear slot.
__global__ void coordinates(long long* out) {
    const long long block = ((long long)blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x +
                            blockIdx.x;
    const long long threads = (long long)blockDim.x * blockDim.y * blockDim.z;
    const long long t = ((long long)threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x +
                        threadIdx.x;
    long long* slot = out + (block * threads + t) * 6;
    slot[0] = threadIdx.x;
    slot[1] = threadIdx.y;
    slot[2] = threadIdx.z;
    slot[3] = blockIdx.x;
    slot[4] = blockIdx.y;
    slot[5] = blockIdx.z;
}

// Each block reverses its chunk of x through shared memory: needs shared storage per block
// and a barrier between the writes and the reads.
template <class T>
__global__ void reverse_in_block(const T* x, T* out) {
    __shared__ T buf[MT_MAX_BLOCK];
    const long long base = (long long)blockIdx.x * blockDim.x;
    buf[threadIdx.x] = x[base + threadIdx.x];
    __syncthreads();
    out[base + threadIdx.x] = buf[blockDim.x - 1 - threadIdx.x];
}

// Every thread of block b writes the block's sum and max, as each thread receives them.
template <class T>
__global__ void block_reductions(const T* x, T* sums, T* maxima) {
    const long long at = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    sums[at] = mt_block_sum(x[at]);
    maxima[at] = mt_block_max(x[at]);
}

// counter[0] counts the threads, counter[1] is the largest global index (atomicMax), and
// total[0] sums x (atomicAdd on floats); flags[i] is claimed once by atomicCAS.
__global__ void atomics(const float* x, unsigned long long* counter, float* total, int* flags,
                        int* winners, long long n) {
    for (long long i = mt_global_index(); i < n; i += mt_grid_stride()) {
        atomicAdd(counter, 1ULL);
        atomicMax(counter + 1, (unsigned long long)i);
        atomicAdd(total, x[i]);
        if (atomicCAS(flags + i % 4, 0, 1) == 0) atomicAdd(winners, 1);
    }
}

// Undefined behaviour on a GPU: thread 0 returns while the others wait at __syncthreads.
__global__ void divergent(int* out) {
    if (threadIdx.x == 0) return;
    __syncthreads();
    out[threadIdx.x] = 1;
}

// Writes one element past the end of `out`: the harness's guard bytes must notice.
__global__ void out_of_bounds(float* out, long long n) {
    if (mt_global_index() == 0) out[n] = 1.0f;
}
