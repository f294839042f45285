"""One harness for op tests: NumPy reference, gradient check and PyTorch differential test.

    check_op(lambda T, x, y: T.maximum(x, y), [(3, 4), (4,)], ref=np.maximum)

`fn(T, *tensors)` is called with `T = minitorch_nn` and (when installed) `T = torch`, so one
line drives three checks:
  1. forward against `ref(*numpy_arrays)` when a NumPy reference is given;
  2. `minitorch_nn.autograd.gradcheck` in float64 (finite differences);
  3. forward values, shape and dtype, and every input gradient, against PyTorch;
  4. on a machine with a GPU (CuPy), the same op on `cuda` against the CPU result, values and
     gradients. Without a GPU this step is skipped and counted: the test session's summary
     says how many device checks did not run (`DEVICE_CHECKS`).
Inputs are random (seeded) and, by default, non-contiguous (transposed views), because ops
that only work on contiguous arrays are a classic bug.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:   # the differential part is skipped without PyTorch
    torch = None

__all__ = ["check_op", "make_arrays", "to_mt", "to_torch", "torch", "requires_torch",
           "assert_close"]

requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

# How many CPU-vs-GPU comparisons ran and how many were skipped (no GPU): conftest reports it.
DEVICE_CHECKS = {"ran": 0, "skipped": 0}


def make_arrays(shapes, *, low=-2.0, high=2.0, dtype=np.float64, seed=0, positive=False,
                noncontiguous=True):
    """Random arrays of `shapes`; non-contiguous (a transposed copy's transpose) when 2-D+."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if positive:
            a = rng.uniform(0.5, high if high > 0.5 else 2.0, size=shape)
        else:
            a = rng.uniform(low, high, size=shape)
        a = a.astype(dtype)
        if noncontiguous and a.ndim >= 2:
            a = np.ascontiguousarray(a.swapaxes(0, 1)).swapaxes(0, 1)
        arrays.append(a)
    return arrays


def _copy_keep_layout(a):
    """A copy of `a` with the same (possibly non-contiguous) memory layout."""
    a = np.asarray(a)
    if a.ndim >= 2 and not a.flags.c_contiguous:
        return np.ascontiguousarray(a.swapaxes(0, 1)).swapaxes(0, 1)
    return a.copy()


def to_mt(a, requires_grad=False):
    t = mt.from_numpy(_copy_keep_layout(a))
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_torch(a, requires_grad=False):
    t = torch.from_numpy(_copy_keep_layout(a))
    if requires_grad:
        t.requires_grad_(True)
    return t


def assert_close(actual, expected, atol=1e-6, rtol=1e-5, msg=""):
    actual = np.asarray(actual, dtype=np.float64) if np.asarray(actual).dtype.kind != "c" \
        else np.asarray(actual)
    expected = np.asarray(expected, dtype=actual.dtype)
    assert actual.shape == expected.shape, f"{msg} shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol, err_msg=msg)


def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def check_op(fn, shapes, *, ref=None, arrays=None, grad=True, atol=1e-6, rtol=1e-5,
             low=-2.0, high=2.0, positive=False, dtype=np.float64, gradcheck_eps=1e-6,
             grad_atol=1e-5, seed=0, grad_inputs=None):
    """Check op `fn(T, *tensors)` on inputs of `shapes` (or given `arrays`). See module doc."""
    if arrays is None:
        arrays = make_arrays(shapes, low=low, high=high, dtype=dtype, seed=seed,
                             positive=positive)
    differentiable = [np.asarray(a).dtype.kind == "f" for a in arrays]
    if grad_inputs is not None:
        differentiable = [i in grad_inputs for i in range(len(arrays))]
    wants_grad = [grad and d for d in differentiable]

    mt_in = [to_mt(a, g) for a, g in zip(arrays, wants_grad)]
    mt_out = _outputs(fn(mt, *mt_in))
    if ref is not None:
        expected = _outputs(ref(*[a.copy() for a in arrays]))
        for i, (o, e) in enumerate(zip(mt_out, expected)):
            assert_close(o.detach().numpy(), e, atol, rtol, f"output {i} vs NumPy")

    if grad and any(wants_grad):
        gc_in = [to_mt(a.astype(np.float64) if a.dtype.kind == "f" else a, g)
                 for a, g in zip(arrays, wants_grad)]
        assert mt.autograd.gradcheck(lambda *xs: fn(mt, *xs), gc_in, eps=gradcheck_eps,
                                     atol=grad_atol, rtol=1e-3)

    if torch is not None:
        th_in = [to_torch(a, g) for a, g in zip(arrays, wants_grad)]
        th_out = _outputs(fn(torch, *th_in))
        assert len(th_out) == len(mt_out)
        for i, (o, e) in enumerate(zip(mt_out, th_out)):
            if isinstance(e, torch.Tensor):
                assert tuple(o.shape) == tuple(e.shape), f"output {i} shape vs PyTorch"
                assert str(o.dtype) == str(e.dtype), f"output {i} dtype {o.dtype} vs {e.dtype}"
                assert_close(o.detach().numpy(), e.detach().numpy(), atol, rtol,
                             f"output {i} vs PyTorch")
            else:
                assert o == e, f"output {i}: {o!r} vs PyTorch {e!r}"
        if grad and any(wants_grad):
            _compare_grads(mt_in, mt_out, th_in, th_out, atol, rtol)
    _check_on_gpu(fn, arrays, wants_grad, mt_out, atol, rtol)
    return mt_out


def _check_on_gpu(fn, arrays, wants_grad, cpu_out, atol, rtol):
    """Run the op on `cuda` and compare with the CPU run (skipped and counted without a GPU)."""
    if not mt.cuda.is_available():
        DEVICE_CHECKS["skipped"] += 1
        return
    DEVICE_CHECKS["ran"] += 1
    gpu_in = [to_mt(a, g).detach().cuda().requires_grad_(g) for a, g in zip(arrays, wants_grad)]
    gpu_out = _outputs(fn(mt, *gpu_in))
    for i, (o, e) in enumerate(zip(gpu_out, cpu_out)):
        if isinstance(e, mt.Tensor):
            assert o.device.type == "cuda", f"output {i} left the GPU"
            assert_close(o.detach().cpu().numpy(), e.detach().numpy(), atol * 10, rtol * 10,
                         f"output {i} on cuda vs cpu")
    roots = [o for o in gpu_out if isinstance(o, mt.Tensor) and o.requires_grad]
    if roots:
        mt.autograd.backward([r.sum() for r in roots])
        cpu_in = [to_mt(a, g) for a, g in zip(arrays, wants_grad)]
        cpu_roots = [o for o in _outputs(fn(mt, *cpu_in))
                     if isinstance(o, mt.Tensor) and o.requires_grad]
        mt.autograd.backward([r.sum() for r in cpu_roots])
        for i, (a, b) in enumerate(zip(gpu_in, cpu_in)):
            if b.grad is not None:
                assert_close(a.grad.cpu().numpy(), b.grad.numpy(), atol * 10, rtol * 10,
                             f"input {i} grad on cuda vs cpu")


def _compare_grads(mt_in, mt_out, th_in, th_out, atol, rtol):
    """Backward with the same random upstream gradient in both libraries; compare .grad."""
    rng = np.random.default_rng(1)
    mt_roots, th_roots, mt_g, th_g = [], [], [], []
    for o, e in zip(mt_out, th_out):
        if isinstance(e, torch.Tensor) and e.requires_grad and e.dtype.is_floating_point:
            g = rng.standard_normal(tuple(e.shape)).astype(e.detach().numpy().dtype)
            mt_roots.append(o)
            th_roots.append(e)
            mt_g.append(mt.from_numpy(g.copy()))
            th_g.append(torch.from_numpy(g.copy()))
    if not th_roots:
        return
    mt.autograd.backward(mt_roots, mt_g)
    torch.autograd.backward(th_roots, th_g)
    for i, (a, b) in enumerate(zip(mt_in, th_in)):
        if b.grad is None:
            assert a.grad is None or np.allclose(a.grad.numpy(), 0), f"input {i} grad"
            continue
        assert a.grad is not None, f"input {i}: no gradient (PyTorch has one)"
        assert_close(a.grad.numpy(), b.grad.numpy(), atol * 10, rtol * 10,
                     f"input {i} grad vs PyTorch")
