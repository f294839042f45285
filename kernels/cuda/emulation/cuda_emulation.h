// CUDA built-ins for running kernels/cuda/*.cu on the CPU, compiled by g++ as C++20.
//
// Included by common.cuh only when MINITORCH_CUDA_EMULATION is defined (never under nvcc or
// NVRTC). It lets the test suite execute the real kernel sources on a machine without a GPU:
//
// - A launch `mt_emu::launch(grid, block, kernel, args...)` starts one std::thread per thread
//   of a block. Those threads run the blocks of the grid one after another (x fastest, then
//   y, then z), each thread keeping its threadIdx; blockIdx, blockDim and gridDim are
//   thread_local variables set before the kernel body runs.
// - __syncthreads() is a real barrier among the threads of the block. A block whose threads
//   do not all reach the same __syncthreads (some returned, others wait: undefined behaviour
//   on a GPU, usually a hang) stops the launch with an error instead of hanging.
// - __shared__ is `static`: one copy per kernel (per template instance), shared by the
//   threads of the block that is running. Blocks run one at a time, so this is per block.
//   Dynamic shared memory (extern __shared__) is not supported: kernels use fixed sizes.
// - atomicAdd / atomicMax / atomicCAS / atomicExch go through std::atomic_ref.
// - Math: the C functions of <cmath> (expf, logf, erff, ...), plus rsqrtf, __expf, __logf,
//   __int_as_float, __longlong_as_double and __ldg.
// - Half types: __half and __nv_bfloat16 are 2-byte structs holding the bits, with the
//   conversions the kernels use (__half2float, __float2half, __bfloat162float,
//   __float2bfloat16; float to half rounds to nearest, ties to even, as on the GPU). They
//   have no arithmetic and no implicit conversions, so a kernel that would compute in half
//   precision does not compile here (common.cuh turns CUDA's operators off likewise).
// - Warp intrinsics (__shfl_*, __ballot_sync, warp-synchronous code) are NOT emulated:
//   kernels that need them must be listed as compile-only (docs/kernels.md).
//
// Launch errors (bad configuration, divergent __syncthreads, a C++ exception in a kernel)
// make launch() return non-zero; mt_emu::last_error() holds the message.
#pragma once

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdio>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

// ------------------------------------------------------------------ qualifiers
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)

// ------------------------------------------------------------------ built-in variables
struct uint3 {
    unsigned x, y, z;
};

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

inline thread_local uint3 threadIdx{0, 0, 0};
inline thread_local uint3 blockIdx{0, 0, 0};
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;

namespace mt_emu {

// Thrown in the threads of a block whose barrier was broken by an error in another thread.
struct BrokenBarrier : std::exception {
    const char* what() const noexcept override { return "barrier broken"; }
};

// The barrier of one block. `sync()` is __syncthreads; `finish_block()` is what each thread
// calls when it returns from the kernel, so that no thread starts the next block (and
// overwrites the shared `static` buffers) while others still run this one. Mixing the two in
// one phase means the block's threads diverged around a __syncthreads: that is an error.
//
// Both arrival counts live in one atomic word (low half: __syncthreads, high half: kernel
// returns), so of two threads arriving at different barriers the later one always sees the
// other's count. Waiters sleep on `generation_` (C++20 atomic wait: a futex on Linux), which
// the last arriving thread bumps after resetting the counts.
class BlockBarrier {
  public:
    explicit BlockBarrier(unsigned threads) : threads_(threads) {}

    void sync() { arrive(kSync, "__syncthreads"); }
    void finish_block() { arrive(kFinish, "the end of the kernel"); }

    // Releases every waiting thread with BrokenBarrier (after an error elsewhere).
    void breakdown(const std::string& message) {
        {
            std::lock_guard<std::mutex> lock(error_mutex_);
            if (error_.empty()) error_ = message;
        }
        broken_.store(true);
        generation_.fetch_add(1);
        generation_.notify_all();
    }

    std::string error() {
        std::lock_guard<std::mutex> lock(error_mutex_);
        return error_;
    }

  private:
    static constexpr unsigned long long kSync = 1ULL;
    static constexpr unsigned long long kFinish = 1ULL << 32;

    void arrive(unsigned long long kind, const char* where) {
        if (broken_.load()) throw BrokenBarrier();
        const unsigned generation = generation_.load();
        const unsigned long long before = counts_.fetch_add(kind);
        const unsigned long long other = kind == kSync ? before >> 32 : before & 0xffffffffULL;
        if (other > 0) {
            breakdown(std::string("divergent __syncthreads: a thread reached ") + where +
                      " while others of its block were at another barrier");
            throw BrokenBarrier();
        }
        const unsigned long long mine = kind == kSync ? before & 0xffffffffULL : before >> 32;
        if (mine + 1 == threads_) {
            counts_.store(0);
            generation_.fetch_add(1);
            generation_.notify_all();
            return;
        }
        while (generation_.load() == generation) generation_.wait(generation);
        if (broken_.load()) throw BrokenBarrier();
    }

    const unsigned threads_;
    std::atomic<unsigned long long> counts_{0};
    std::atomic<unsigned> generation_{0};
    std::atomic<bool> broken_{false};
    std::mutex error_mutex_;
    std::string error_;
};

inline thread_local BlockBarrier* current_barrier = nullptr;

inline std::string& last_error() {
    static std::string message;
    return message;
}

// One launch at a time: `static` shared buffers belong to the block that is running.
inline std::mutex& launch_mutex() {
    static std::mutex m;
    return m;
}

inline std::string check_config(dim3 grid, dim3 block) {
    unsigned long long threads = 1ULL * block.x * block.y * block.z;
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || threads == 0)
        return "invalid configuration: a grid or block dimension is 0";
    if (threads > 1024 || block.z > 64)
        return "invalid configuration: more than 1024 threads per block (or block.z > 64)";
    if (grid.y > 65535 || grid.z > 65535)
        return "invalid configuration: grid.y and grid.z must be at most 65535";
    return "";
}

// Runs kernel<<<grid, block>>>(args...) on the CPU; returns 0, or 1 with last_error() set.
// The argument types must be exactly the kernel's parameter types: the signature table that
// generated the caller is checked against the kernel's declaration here, at compile time.
template <class... Params, class... Args>
int launch(dim3 grid, dim3 block, void (*kernel)(Params...), Args... args) {
    static_assert(std::is_same_v<std::tuple<Params...>, std::tuple<Args...>>,
                  "the signature table disagrees with the kernel's parameter types");
    std::lock_guard<std::mutex> serial(launch_mutex());
    last_error() = check_config(grid, block);
    if (!last_error().empty()) return 1;
    const unsigned threads = block.x * block.y * block.z;
    BlockBarrier barrier(threads);

    auto run_thread = [&](unsigned t) {
        threadIdx = uint3{t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
        blockDim = block;
        gridDim = grid;
        current_barrier = &barrier;
        try {
            for (unsigned z = 0; z < grid.z; ++z)
                for (unsigned y = 0; y < grid.y; ++y)
                    for (unsigned x = 0; x < grid.x; ++x) {
                        blockIdx = uint3{x, y, z};
                        kernel(args...);
                        barrier.finish_block();
                    }
        } catch (const BrokenBarrier&) {
            // another thread recorded the error
        } catch (const std::exception& e) {
            barrier.breakdown(std::string("exception in kernel: ") + e.what());
        }
        current_barrier = nullptr;
    };

    std::vector<std::thread> pool;
    pool.reserve(threads);
    try {
        for (unsigned t = 0; t < threads; ++t) pool.emplace_back(run_thread, t);
    } catch (const std::system_error& e) {
        barrier.breakdown(std::string("could not start the block's threads: ") + e.what());
    }
    for (auto& th : pool) th.join();
    last_error() = barrier.error();
    return last_error().empty() ? 0 : 1;
}

}  // namespace mt_emu

// ------------------------------------------------------------------ intrinsics
inline void __syncthreads() { mt_emu::current_barrier->sync(); }

template <class T>
inline T atomicAdd(T* address, T value) {
    return std::atomic_ref<T>(*address).fetch_add(value);
}

template <class T>
inline T atomicExch(T* address, T value) {
    return std::atomic_ref<T>(*address).exchange(value);
}

template <class T>
inline T atomicCAS(T* address, T compare, T value) {
    std::atomic_ref<T>(*address).compare_exchange_strong(compare, value);
    return compare;   // the old value, whether or not the exchange happened
}

template <class T>
inline T atomicMax(T* address, T value) {
    std::atomic_ref<T> ref(*address);
    T old = ref.load();
    while (old < value && !ref.compare_exchange_weak(old, value)) {
    }
    return old;
}

template <class T>
inline T atomicMin(T* address, T value) {
    std::atomic_ref<T> ref(*address);
    T old = ref.load();
    while (value < old && !ref.compare_exchange_weak(old, value)) {
    }
    return old;
}

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __int_as_float(int bits) { return std::bit_cast<float>(bits); }
inline int __float_as_int(float value) { return std::bit_cast<int>(value); }
inline double __longlong_as_double(long long bits) { return std::bit_cast<double>(bits); }
inline long long __double_as_longlong(double value) { return std::bit_cast<long long>(value); }

template <class T>
inline T __ldg(const T* address) {
    return *address;
}

// ------------------------------------------------------------------ half types
// The bits of an IEEE binary16 value (__half) and of a bfloat16 value (the upper half of a
// float). Conversions to float are exact; conversions from float round to nearest, ties to
// even, with CUDA's results for overflow (infinity) and NaN (the canonical NaN 0x7fff).
struct __half {
    unsigned short __x;
};

struct __nv_bfloat16 {
    unsigned short __x;
};

static_assert(sizeof(__half) == 2 && sizeof(__nv_bfloat16) == 2);

namespace mt_emu {

// Rounds `value >> shift` to nearest, ties to even (0 < shift < 32).
inline unsigned round_shift(unsigned value, unsigned shift) {
    const unsigned kept = value >> shift;
    const unsigned rest = value & ((1u << shift) - 1u);
    const unsigned half_way = 1u << (shift - 1u);
    return kept + (rest > half_way || (rest == half_way && (kept & 1u)) ? 1u : 0u);
}

inline unsigned short float_to_half_bits(float value) {
    const unsigned bits = std::bit_cast<unsigned>(value);
    const unsigned sign = (bits >> 16) & 0x8000u;
    const unsigned magnitude = bits & 0x7fffffffu;
    if (magnitude > 0x7f800000u) return 0x7fff;                    // NaN
    if (magnitude >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u);   // >= 65520: inf
    const unsigned exponent = magnitude >> 23;
    if (exponent >= 113) {   // a normal half: 10 of the 23 fraction bits stay, rounded
        const unsigned rebased = ((exponent - 112) << 23) | (magnitude & 0x7fffffu);
        return (unsigned short)(sign | round_shift(rebased, 13));   // a carry is fine
    }
    // a subnormal half (or zero): units of 2^-24; a float below 2^-25 rounds to zero
    if (exponent < 102) return (unsigned short)sign;
    const unsigned significand = (magnitude & 0x7fffffu) | 0x800000u;
    return (unsigned short)(sign | round_shift(significand, 126 - exponent));
}

inline float half_bits_to_float(unsigned short h) {
    const unsigned sign = (unsigned)(h & 0x8000u) << 16;
    const unsigned exponent = (h >> 10) & 0x1fu;
    const unsigned fraction = h & 0x3ffu;
    if (exponent == 0) {   // zero or subnormal: fraction * 2^-24, exact in float
        const float magnitude = (float)fraction * 5.9604644775390625e-8f;
        return sign ? -magnitude : magnitude;
    }
    if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (fraction << 13));
    return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (fraction << 13));
}

inline unsigned short float_to_bfloat16_bits(float value) {
    const unsigned bits = std::bit_cast<unsigned>(value);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return 0x7fff;   // NaN
    if ((bits & 0xffffu) == 0) return (unsigned short)(bits >> 16);
    // round_shift cannot take bits with the top bit set: round the magnitude, keep the sign
    return (unsigned short)(((bits >> 16) & 0x8000u) | round_shift(bits & 0x7fffffffu, 16));
}

}  // namespace mt_emu

inline float __half2float(__half h) { return mt_emu::half_bits_to_float(h.__x); }
inline __half __float2half(float value) { return __half{mt_emu::float_to_half_bits(value)}; }
inline __half __float2half_rn(float value) { return __float2half(value); }
inline float __bfloat162float(__nv_bfloat16 b) {
    return std::bit_cast<float>((unsigned)b.__x << 16);
}
inline __nv_bfloat16 __float2bfloat16(float value) {
    return __nv_bfloat16{mt_emu::float_to_bfloat16_bits(value)};
}
inline __nv_bfloat16 __float2bfloat16_rn(float value) { return __float2bfloat16(value); }
