"""Checks for ops with complex inputs or outputs (op_harness handles real ones only).

`check_complex(fn, arrays)` runs `fn(T, *tensors)` with T = minitorch_nn and, when installed,
T = torch, and checks:
  1. forward against `ref(*arrays)` (NumPy) when given;
  2. the gradient of every float/complex input against central finite differences of the
     real loss L = Re(sum(conj(w) * out)) for a random w: PyTorch's convention makes the
     gradient of a complex input dL/d(re) + i dL/d(im), and of a real input dL/dx;
  3. values, dtype and shape of the outputs and every input gradient against PyTorch;
  4. with a (fake) GPU, the outputs and gradients on `cuda` against the CPU.
"""
from __future__ import annotations

import numpy as np

import minitorch_nn as mt
from op_harness import DEVICE_CHECKS, torch

__all__ = ["check_complex", "crandn", "same_error"]


def crandn(shape, dtype=np.complex128, seed=0):
    """Random complex (or real, for a float dtype) array of `shape`."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def _lib_tensor(T, a, requires_grad):
    t = T.from_numpy(np.array(a, copy=True))
    return t.requires_grad_(True) if requires_grad else t


def _outs(r):
    return list(r) if isinstance(r, (tuple, list)) else [r]


def _np(t):
    if torch is not None and isinstance(t, torch.Tensor):
        return t.detach().resolve_conj().resolve_neg().cpu().numpy()
    return t.detach().cpu().numpy() if t.is_cuda else t.detach().numpy()


def _weights(outs, seed=1):
    rng = np.random.default_rng(seed)
    ws = []
    for o in outs:
        a = _np(o)
        w = rng.standard_normal(a.shape)
        if a.dtype.kind == "c":
            w = w + 1j * rng.standard_normal(a.shape)
        ws.append(np.asarray(w, dtype=a.dtype))
    return ws


def _loss_value(fn, arrays):
    with mt.no_grad():
        outs = _outs(fn(mt, *[mt.from_numpy(np.array(a, copy=True)) for a in arrays]))
    ws = _weights(outs)
    return sum(float(np.real(np.sum(np.conj(w) * _np(o)))) for w, o in zip(ws, outs))


def _numerical_grad(fn, arrays, k, eps):
    a = arrays[k]
    grad = np.zeros(a.shape, dtype=a.dtype)
    steps = [1.0, 1j] if a.dtype.kind == "c" else [1.0]
    for idx in np.ndindex(*a.shape):
        for step in steps:
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[k][idx] += eps * step
            minus[k][idx] -= eps * step
            d = (_loss_value(fn, plus) - _loss_value(fn, minus)) / (2 * eps)
            grad[idx] += d * step
    return grad


def _run(T, fn, arrays, wants, device=None):
    ins = [_lib_tensor(T, a, w) for a, w in zip(arrays, wants)]
    if device is not None:
        ins = [t.detach().to(device).requires_grad_(w) for t, w in zip(ins, wants)]
    outs = _outs(fn(T, *ins))
    roots = [(o, w) for o, w in zip(outs, _weights(outs)) if o.requires_grad
             and (T is mt or o.numel())]   # PyTorch's backward of empty views can fail
    if roots:
        T.autograd.backward([o for o, _ in roots],
                            [T.from_numpy(w.copy()).to(o.device) for o, w in roots])
    return outs, [_np(t.grad) if t.grad is not None else None for t in ins]


def check_complex(fn, arrays, *, ref=None, grad=True, atol=1e-6, rtol=1e-5, eps=1e-6,
                  grad_inputs=None, numeric=True):
    """Check `fn(T, *tensors)` on `arrays` (see the module docstring); returns mt outputs."""
    arrays = [np.asarray(a) for a in arrays]
    wants = [grad and a.dtype.kind in "fc" for a in arrays]
    if grad_inputs is not None:
        wants = [grad and i in grad_inputs for i in range(len(arrays))]
    outs, grads = _run(mt, fn, arrays, wants)
    if ref is not None:
        for o, e in zip(outs, _outs(ref(*[a.copy() for a in arrays]))):
            np.testing.assert_allclose(_np(o), e, atol=atol, rtol=rtol, err_msg="vs NumPy")
    if numeric and any(wants):
        wide = [a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
                if a.dtype.kind in "fc" else a for a in arrays]
        for k, w in enumerate(wants):
            if w:
                num = _numerical_grad(fn, wide, k, eps)
                assert grads[k] is not None, f"input {k}: no gradient"
                np.testing.assert_allclose(grads[k], num, atol=1e-4, rtol=1e-3,
                                           err_msg=f"input {k} grad vs finite differences")
    if torch is not None:
        th_outs, th_grads = _run(torch, fn, arrays, wants)
        assert len(th_outs) == len(outs)
        for i, (o, e) in enumerate(zip(outs, th_outs)):
            assert str(o.dtype) == str(e.dtype), f"output {i} dtype {o.dtype} vs {e.dtype}"
            assert tuple(o.shape) == tuple(e.shape), f"output {i} shape"
            np.testing.assert_allclose(_np(o), _np(e), atol=atol, rtol=rtol,
                                       err_msg=f"output {i} vs PyTorch")
        for k, (g, e) in enumerate(zip(grads, th_grads)):
            if e is None:
                assert g is None or np.allclose(g, 0), f"input {k} grad"
                continue
            assert g is not None and g.dtype == e.dtype, f"input {k} grad dtype"
            np.testing.assert_allclose(g, e, atol=atol * 10, rtol=rtol * 10,
                                       err_msg=f"input {k} grad vs PyTorch")
    _check_on_gpu(fn, arrays, wants, outs, grads, atol, rtol)
    return outs


def _check_on_gpu(fn, arrays, wants, outs, grads, atol, rtol):
    if not mt.cuda.is_available():
        DEVICE_CHECKS["skipped"] += 1
        return
    DEVICE_CHECKS["ran"] += 1
    g_outs, g_grads = _run(mt, fn, arrays, wants, device="cuda")
    for o, e in zip(g_outs, outs):
        assert o.device.type == "cuda", "output left the GPU"
        np.testing.assert_allclose(_np(o), _np(e), atol=atol * 10, rtol=rtol * 10)
    for g, e in zip(g_grads, grads):
        if e is not None:
            np.testing.assert_allclose(g, e, atol=atol * 10, rtol=rtol * 10)


def same_error(fn, *args_builders):
    """Call `fn(T)` for minitorch_nn and torch; both must raise the same exception class.
    Returns our exception (for message checks)."""
    errors = []
    for T in ([mt] if torch is None else [mt, torch]):
        try:
            fn(T)
        except Exception as e:   # noqa: BLE001 - the class is what is compared
            errors.append(e)
        else:
            errors.append(None)
    assert errors[0] is not None, "minitorch_nn raised nothing"
    if len(errors) > 1:
        assert errors[1] is not None, f"PyTorch raised nothing (we raised {errors[0]!r})"
        assert type(errors[0]) is type(errors[1]) or isinstance(errors[0], type(errors[1])), \
            f"{type(errors[0]).__name__} vs PyTorch's {type(errors[1]).__name__}"
    return errors[0]
