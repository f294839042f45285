"""The fake CuPy itself (tests/fake_cupy): it must be as strict as CuPy where CuPy and numpy
differ, or GPU bugs would pass on it. These run everywhere (not marked `cuda`) and import the
fake directly, without installing it as `cupy`. The last test checks the package with no
CuPy at all."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import fake_cupy as cp
from fake_cupy import install


def test_no_implicit_conversion_to_numpy():
    a = cp.arange(3.0)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    np.testing.assert_array_equal(a.get(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(cp.asnumpy(a), [0.0, 1.0, 2.0])


@pytest.mark.parametrize("op", [
    lambda a, h: a + h, lambda a, h: h + a, lambda a, h: a * h, lambda a, h: h < a,
    lambda a, h: cp.maximum(a, h), lambda a, h: np.maximum(h, a), lambda a, h: cp.where(a > 0, a, h),
    lambda a, h: cp.matmul(a, h), lambda a, h: a @ h, lambda a, h: cp.concatenate([a, h]),
])
def test_numpy_arrays_do_not_mix_with_device_arrays(op):
    with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
        op(cp.ones(3), np.ones(3))


def test_scalars_mix_and_results_stay_on_the_device():
    a = cp.arange(4.0)
    assert type(a + np.float32(1)) is cp.ndarray and type(2 * a) is cp.ndarray
    total = a.sum()
    assert type(total) is cp.ndarray and total.ndim == 0   # a 0-d array, not a numpy scalar
    assert float(total) == 6.0 and int(a[3]) == 3 and bool(a[1]) and total.item() == 6.0
    assert type(np.sum(a)) is cp.ndarray and type(np.exp(a)) is cp.ndarray   # dispatch


def test_integer_indexing_gives_a_0d_view():
    a = cp.zeros(3)
    v = a[1]
    assert type(v) is cp.ndarray and v.shape == ()
    v[...] = 5
    assert a.tolist() == [0.0, 5.0, 0.0]


def test_only_cupys_names_exist():
    for name in ("errstate", "frompyfunc", "nditer", "matrix"):
        with pytest.raises(AttributeError, match=f"has no attribute '{name}'"):
            getattr(cp, name)
    assert cp.linalg.norm(cp.ones(4)).item() == 2.0
    with pytest.raises(NotImplementedError, match="cupy_multiply.at"):
        cp.multiply.at(cp.ones(3), cp.asarray([0, 0]), 2.0)
    with pytest.raises(NotImplementedError, match="cupy_maximum.reduce"):
        cp.maximum.reduce(cp.ones(3))
    a = cp.zeros(3)
    cp.add.at(a, cp.asarray([0, 0, 2]), 1.0)
    assert a.tolist() == [2.0, 0.0, 1.0]


def test_transfers_copy():
    host = np.ones(3)
    dev = cp.asarray(host)
    host[0] = 7
    assert dev.tolist() == [1.0, 1.0, 1.0]
    back = dev.get()
    back[1] = 9
    assert dev.tolist() == [1.0, 1.0, 1.0]
    assert cp.asarray(dev) is dev and dev.astype(dev.dtype, copy=False) is dev


def test_unsupported_dtypes_and_the_bfloat16_switch():
    import ml_dtypes
    with pytest.raises(ValueError, match="Unsupported dtype"):
        cp.asarray(np.array(["a"]))
    assert cp.ones(2, dtype=ml_dtypes.bfloat16).dtype.name == "bfloat16"   # CuPy v14
    cp.SETTINGS["bfloat16"] = False   # CuPy before v14
    try:
        with pytest.raises(ValueError, match="Unsupported dtype bfloat16"):
            cp.ones(2, dtype=ml_dtypes.bfloat16)
    finally:
        cp.SETTINGS["bfloat16"] = True


def test_memory_pool_counts_live_arrays_and_caches_freed_blocks():
    pool = cp.get_default_memory_pool()
    pool.free_all_blocks()
    used = pool.used_bytes()
    a = cp.empty(1000, dtype=cp.float32)   # 4000 bytes -> 4096 (512-byte blocks)
    assert pool.used_bytes() == used + 4096
    view = a[10:20].reshape(2, 5)
    assert pool.used_bytes() == used + 4096   # views share the block
    del a
    assert pool.used_bytes() == used + 4096   # the view keeps it alive
    del view
    assert pool.used_bytes() == used
    assert pool.total_bytes() == used + 4096   # cached ...
    b = cp.empty(1024, dtype=cp.float32)       # ... and reused for the same rounded size
    assert pool.total_bytes() == used + 4096
    del b
    pool.free_all_blocks()
    assert pool.total_bytes() == used


def test_allocations_go_through_the_current_allocator():
    sizes = []
    pool = cp.get_default_memory_pool()

    def allocator(size):
        sizes.append(size)
        return pool.malloc(size)

    previous = cp.cuda.get_allocator()
    cp.cuda.set_allocator(allocator)
    try:
        cp.zeros(10)
    finally:
        cp.cuda.set_allocator(previous)
    assert sizes == [80]


def test_dlpack_stays_on_the_device():
    a = cp.arange(3.0)
    assert a.__dlpack_device__() == (2, 0)
    assert cp.from_dlpack(a) is a
    with pytest.raises(BufferError):
        cp.from_dlpack(np.arange(3.0))


def test_emulated_kernel_runtime_refuses_host_arrays():
    import shutil
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed: the CUDA kernels cannot be emulated")
    from minitorch_nn.kernels.cuda import activation
    runtime = install.FakeGpuRuntime()
    family = activation.KERNELS
    x = cp.asarray(np.linspace(-2, 2, 7, dtype=np.float32))
    out = cp.empty(7, dtype=cp.float32)
    runtime.launch(family, "relu_fwd", "float", (1, 1, 1), (32, 1, 1), [x, out, np.int64(7)])
    np.testing.assert_array_equal(out.get(), np.maximum(x.get(), 0))
    with pytest.raises(TypeError, match="not a device array"):
        runtime.launch(family, "relu_fwd", "float", (1, 1, 1), (32, 1, 1),
                       [x.get(), out, np.int64(7)])


# ------------------------------------------------------------------ without CuPy
def _without_cupy(code: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter where `import cupy` fails."""
    prelude = "import sys; sys.modules['cupy'] = None\n"
    env = dict(os.environ)
    env.pop("MINITORCH_FAKE_GPU", None)
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True,
                          text=True, env=env, timeout=120)


def test_without_cupy_the_package_imports_and_cuda_is_unavailable():
    result = _without_cupy(
        "import minitorch_nn as mt\n"
        "assert mt.cuda.is_available() is False and mt.cuda.device_count() == 0\n"
        "assert (mt.ones(2) + 1).tolist() == [2.0, 2.0]\n"
        "try:\n"
        "    mt.zeros(2, device='cuda')\n"
        "except RuntimeError as e:\n"
        "    assert 'CUDA is not available' in str(e), e\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
        "print('ok')\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
