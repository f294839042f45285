"""The CPU emulation of CUDA itself: coordinates, shared memory, barriers, atomics, checks.

If the emulator were wrong, the kernel tests built on it would prove nothing; these tests
pin down the CUDA behaviour each kernel relies on, using emulator_selftest.cu.
"""
from __future__ import annotations

import numpy as np
import pytest

import emulation_harness as harness
from minitorch_nn.kernels.cuda import _launch

SELFTEST_FAMILY = _launch.Family("emulator_selftest", """
    coordinates(long long* out)
    reverse_in_block(const T* x, T* out)
    block_reductions(const T* x, T* sums, T* maxima)
    atomics(const float* x, unsigned long long* counter, float* total, int* flags,
            int* winners, long long n)
    divergent(int* out)
    out_of_bounds(float* out, long long n)
""")
SOURCE = harness.ROOT / "tests" / "kernels" / "cuda_emulation" / "emulator_selftest.cu"


@pytest.fixture(scope="module")
def selftest():
    if harness.gxx_path() is None:
        pytest.skip("g++ is not installed: the CUDA emulation cannot run")
    path = harness.build("emulator_selftest", fam=SELFTEST_FAMILY, source=SOURCE)
    runtime = harness.EmulatedRuntime({"emulator_selftest": path})
    previous = _launch.set_runtime(runtime)
    yield runtime
    _launch.set_runtime(previous)


@pytest.mark.parametrize("grid, block", [((3,), (5,)), ((2, 3, 2), (4, 2, 3))])
def test_thread_and_block_coordinates(selftest, grid, block):
    g, b = _launch._dims(grid), _launch._dims(block)
    out = np.full((g[0] * g[1] * g[2] * b[0] * b[1] * b[2], 6), -1, np.int64)
    SELFTEST_FAMILY.launch("coordinates", grid, block, out)
    expect = [(tx, ty, tz, bx, by, bz)
              for bz in range(g[2]) for by in range(g[1]) for bx in range(g[0])
              for tz in range(b[2]) for ty in range(b[1]) for tx in range(b[0])]
    np.testing.assert_array_equal(out, np.array(expect))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shared_memory_is_per_block_and_synchronized(selftest, dtype):
    x = np.arange(4 * 64, dtype=dtype)
    out = np.zeros_like(x)
    SELFTEST_FAMILY.launch("reverse_in_block", (4,), (64,), x, out)
    np.testing.assert_array_equal(out, x.reshape(4, 64)[:, ::-1].reshape(-1))


@pytest.mark.parametrize("threads", [1, 2, 32, 128])
def test_block_reductions_reach_every_thread(selftest, threads):
    rng = np.random.default_rng(threads)
    x = rng.standard_normal(3 * threads)
    sums, maxima = np.zeros_like(x), np.zeros_like(x)
    SELFTEST_FAMILY.launch("block_reductions", (3,), (threads,), x, sums, maxima)
    blocks = x.reshape(3, threads)
    np.testing.assert_allclose(sums.reshape(3, threads),
                               np.repeat(blocks.sum(1, keepdims=True), threads, 1), rtol=1e-12)
    np.testing.assert_array_equal(maxima.reshape(3, threads),
                                  np.repeat(blocks.max(1, keepdims=True), threads, 1))


def test_atomics(selftest):
    n = 1000
    x = np.full(n, 0.5, np.float32)
    counter = np.zeros(2, np.uint64)
    total = np.zeros(1, np.float32)
    flags = np.zeros(4, np.int32)
    winners = np.zeros(1, np.int32)
    SELFTEST_FAMILY.launch("atomics", (3,), (64,), x, counter, total, flags, winners, n)
    assert counter.tolist() == [n, n - 1]
    assert total[0] == 500.0
    assert flags.tolist() == [1, 1, 1, 1] and winners[0] == 4


def test_divergent_syncthreads_is_an_error_not_a_hang(selftest):
    with pytest.raises(harness.LaunchError, match="divergent __syncthreads"):
        SELFTEST_FAMILY.launch("divergent", (2,), (8,), np.zeros(8, np.int32))


def test_out_of_bounds_write_is_caught(selftest):
    with pytest.raises(AssertionError, match="wrote outside"):
        SELFTEST_FAMILY.launch("out_of_bounds", (1,), (4,), np.zeros(5, np.float32), 5)


def test_bad_configuration_is_refused(selftest):
    with pytest.raises(harness.LaunchError, match="more than 1024 threads"):
        SELFTEST_FAMILY.launch("divergent", (1,), (2048,), np.zeros(8, np.int32))
    with pytest.raises(harness.LaunchError, match="at most 65535"):
        SELFTEST_FAMILY.launch("divergent", (1, 70000), (1,), np.zeros(8, np.int32))


def test_empty_grid_launches_nothing(selftest):
    out = np.zeros(8, np.int32)
    count = len(selftest.launches)
    SELFTEST_FAMILY.launch("divergent", (0,), (8,), out)
    assert len(selftest.launches) == count


def test_arguments_are_checked_before_launch(selftest):
    with pytest.raises(TypeError, match="must have dtype float32"):
        SELFTEST_FAMILY.launch("out_of_bounds", (1,), (1,), np.zeros(5, np.float64), 4)
    with pytest.raises(ValueError, match="C-contiguous"):
        SELFTEST_FAMILY.launch("out_of_bounds", (1,), (1,), np.zeros(10, np.float32)[::2], 4)
    with pytest.raises(TypeError, match="takes 2 arguments"):
        SELFTEST_FAMILY.launch("out_of_bounds", (1,), (1,), np.zeros(5, np.float32))
    with pytest.raises(TypeError, match="expected one of"):
        SELFTEST_FAMILY.launch("reverse_in_block", (1,), (1,), np.zeros(1, np.int32),
                               np.zeros(1, np.int32))


def test_const_arrays_must_stay_unchanged(selftest):
    """A kernel writing through a pointer declared const in the table is reported."""
    fam = _launch.Family("emulator_selftest", "out_of_bounds(const float* out, long long n)")
    with pytest.raises(AssertionError, match="wrote outside"):
        fam.launch("out_of_bounds", (1,), (1,), np.zeros(5, np.float32), 5)
    with pytest.raises(AssertionError, match="changed a const array"):
        fam.launch("out_of_bounds", (1,), (1,), np.zeros(5, np.float32), 3)
