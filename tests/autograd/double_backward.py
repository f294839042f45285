"""The double-backward harness: second (and third) derivatives of an op, three ways.

`check_double_backward(fn, *arrays)` takes `fn(T, *tensors)`, written once for both libraries
(`T` is `minitorch_nn` or `torch`), and float64 NumPy inputs. It checks:
  1. `autograd.gradgradcheck`: our second derivatives against finite differences of our
     first derivatives (inputs and the random grad_outputs both differentiated);
  2. against PyTorch (when installed): the gradient of `sum(w * grad(fn(x), x, v,
     create_graph=True))` with respect to x and v, for fixed random v and w: every entry of
     a Hessian-vector product and of the mixed derivative, equal to 1e-10;
  3. with `third=True`, one more order against PyTorch (the gradient of that result's sum).
Inputs listed in `no_grad` (their positions) are passed as constants (targets, indices).
"""
from __future__ import annotations

import numpy as np

import minitorch_nn as mt

try:
    import torch
except ImportError:   # the PyTorch comparison is skipped; the finite-difference check runs
    torch = None


def _ours(arrays, no_grad):
    return [mt.tensor(a, requires_grad=(i not in no_grad and np.asarray(a).dtype.kind == "f"))
            if isinstance(a, np.ndarray) else a for i, a in enumerate(arrays)]


def _theirs(arrays, no_grad):
    return [torch.tensor(a, requires_grad=(i not in no_grad and np.asarray(a).dtype.kind == "f"))
            if isinstance(a, np.ndarray) else a for i, a in enumerate(arrays)]


def _outputs(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if o.dtype.is_floating_point and o.requires_grad]


def _second_order(T, fn, tensors, seed: int, third: bool):
    """[d/dx, d/dv of sum(w * grad(fn(x), x, v))] (+ one more order), as float64 arrays."""
    rng = np.random.default_rng(seed)
    diff = [t for t in tensors if hasattr(t, "requires_grad") and t.requires_grad]
    outs = _outputs(fn(T, *tensors))
    vs = [T.tensor(rng.uniform(-1, 1, tuple(o.shape)), dtype=o.dtype, requires_grad=True)
          for o in outs]
    grads = T.autograd.grad(outs, diff, vs, create_graph=True, allow_unused=True)
    ws = [rng.uniform(-1, 1, tuple(x.shape)) for x in diff]
    total = sum((g * T.tensor(w, dtype=g.dtype)).sum() for g, w in zip(grads, ws)
                if g is not None and g.requires_grad)
    if not isinstance(total, T.Tensor):
        return []   # the first derivative is constant: nothing more to compare
    second = T.autograd.grad(total, diff + vs, create_graph=third, allow_unused=True)
    result = [None if s is None else s.detach().numpy(force=True) for s in second]
    if third:
        total3 = sum(s.sum() for s in second if s is not None and s.requires_grad)
        if isinstance(total3, T.Tensor):
            third_grads = T.autograd.grad(total3, diff, allow_unused=True)
            result += [None if s is None else s.detach().numpy(force=True) for s in third_grads]
    return result


def check_double_backward(fn, *arrays, no_grad=(), third=False, gradgrad=True, seed=0,
                          atol=1e-10, rtol=1e-8):
    """Run the checks of the module docstring on `fn(T, *tensors)` at `arrays`."""
    if gradgrad:
        tensors = _ours(arrays, no_grad)
        assert mt.autograd.gradgradcheck(lambda *ts: fn(mt, *ts), tensors)
    if torch is None:
        return
    ours = _second_order(mt, fn, _ours(arrays, no_grad), seed, third)
    theirs = _second_order(torch, fn, _theirs(arrays, no_grad), seed, third)
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        if a is None or b is None:   # one side knows the derivative is zero: compare as zero
            a = np.zeros_like(b) if a is None and b is not None else a
            b = np.zeros_like(a) if b is None and a is not None else b
            if a is None:
                continue
        np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg=f"derivative {k}")
