"""array_backends/openblas.py and the parallel-kernel policy of array_backends/base.py:
OpenBLAS's worker threads are stopped before a parallel kernel on a large array (they come
back on the next product, whose result is right), never while another Python thread runs;
small arrays keep the serial twins."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from minitorch_nn.array_backends import base, openblas

pytestmark = pytest.mark.skipif(not openblas.can_stop_threads(),
                                reason="numpy's BLAS is not an OpenBLAS this can stop")


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def _product_with_workers():
    """A product large enough for OpenBLAS to use its workers (when it has more than one
    thread), and its expected value."""
    a = np.arange(256 * 256, dtype=np.float32).reshape(256, 256) % 7
    return a, a @ a


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc")
def test_stop_threads_ends_the_workers_and_the_next_product_restarts_them():
    threadpool_limits = pytest.importorskip("threadpoolctl").threadpool_limits   # scikit-learn's
    with threadpool_limits(2, user_api="blas"):
        a, expected = _product_with_workers()
        a @ a
        running = _threads()
        assert openblas.stop_threads()
        stopped = _threads()
        assert stopped < running                 # the worker thread is gone
        np.testing.assert_array_equal(a @ a, expected)
        assert _threads() == running             # and back for the product


def test_never_stops_while_another_python_thread_runs():
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not openblas.stop_threads()
    finally:
        release.set()
        other.join()
    assert openblas.stop_threads()


def test_large_arrays_take_parallel_kernels_after_stopping_the_threads(monkeypatch):
    if not base._STOP_BLAS_FIRST:
        pytest.skip("the BLAS runs one thread or stops spinning by itself: no stopping")
    calls = []
    monkeypatch.setattr(openblas, "stop_threads", lambda: calls.append(1) or True)
    base._KERNELS.clear()
    try:
        small = base.kernel_for(np.zeros(base.LARGE_PARALLEL_MIN - 1, np.float32),
                                "activation", "gelu_fwd")
        large = base.kernel_for(np.zeros(base.LARGE_PARALLEL_MIN, np.float32),
                                "activation", "gelu_fwd")
        assert small.py_func.__name__ == "gelu_fwd_serial"
        assert large.kernel.py_func.__name__ == "gelu_fwd"
        x = np.linspace(-4, 4, base.LARGE_PARALLEL_MIN, dtype=np.float32)
        out = np.empty_like(x)
        large(x, out, False)
        assert calls == [1]
        expected = np.empty_like(x)
        small(x, expected, False)
        np.testing.assert_allclose(out, expected, rtol=0, atol=0)
    finally:
        base._KERNELS.clear()


@pytest.mark.parametrize("setting, large", [("0", False), ("1", True)])
def test_minitorch_stop_blas_threads_0_keeps_every_kernel_serial(setting, large):
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_THREAD_TIMEOUT")}
    env["MINITORCH_STOP_BLAS_THREADS"] = setting
    code = ("from minitorch_nn.array_backends import base; "
            "print(base._STOP_BLAS_FIRST, base.PARALLEL_MIN == base.LARGE_PARALLEL_MIN)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(large), str(large)]
