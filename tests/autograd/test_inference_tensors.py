"""Inference tensors (tensor.py `_is_inference`, autograd/grad_mode.py `inference_mode`):
a tensor created inside `inference_mode` is an inference tensor; outside that mode it cannot
be saved for backward, updated in place, or made to require grad (PyTorch's errors, checked
in autograd/function.py `_pack`, ops/inplace.py `check_inplace`, `Tensor.requires_grad_`).

Tests take `T` (minitorch_nn, and PyTorch when installed); messages are matched in full.
"""
from __future__ import annotations

import re

import pytest

import minitorch_nn as mt
from autograd_util import LIBS

SAVED = ("Inference tensors cannot be saved for backward. Please do not use Tensors created "
         "in inference mode in computation tracked by autograd. To work around this, you can "
         "make a clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` "
         "instead of `torch.inference_mode()`.")
INPLACE = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can "
           "make a clone to get a normal tensor before doing inplace update.See "
           "https://github.com/pytorch/rfcs/pull/17 for more details.")
REQUIRES_GRAD = "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."


def _full(msg):
    return "^" + re.escape(msg) + "$"


def _inference_tensor(T):
    with T.inference_mode():
        return T.ones(3)


@pytest.mark.parametrize("T", LIBS)
def test_tensors_made_inside_inference_mode_are_inference_tensors(T):
    normal = T.ones(2)
    with T.inference_mode():
        t = T.ones(3)
        u = t * 2
        v = normal * 2
        assert not normal.is_inference()
        with T.inference_mode(False):
            assert not T.ones(1).is_inference()
    assert t.is_inference() and u.is_inference() and v.is_inference()
    assert not normal.is_inference() and not T.ones(1).is_inference()
    with T.no_grad():
        assert not T.ones(1).is_inference()
    # views and detach of an inference tensor are inference tensors; clone is not
    assert t.view(3).is_inference() and t[1:].is_inference() and t.detach().is_inference()
    assert not t.clone().is_inference()
    # ops that save nothing, or record nothing, accept it
    w = T.ones(3, requires_grad=True)
    y = t + w
    assert y.requires_grad and not y.is_inference()
    assert not (t * T.ones(3)).is_inference()
    assert not t.exp().is_inference()


@pytest.mark.parametrize("T", LIBS)
def test_normal_use_inside_inference_mode(T):
    normal = T.ones(3)
    with T.inference_mode():
        t = T.ones(3)
        t.add_(1)
        t[0] = 5.0
        normal.add_(1)
        r = T.ones(2).requires_grad_()
        assert r.requires_grad and r.is_inference()
        assert (t * 2).tolist() == [10.0, 4.0, 4.0]
    assert t.tolist() == [5.0, 2.0, 2.0] and normal.tolist() == [2.0, 2.0, 2.0]
    assert not r.requires_grad_(False).requires_grad   # False is always allowed


@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("op", ["mul", "rmul", "matmul", "inplace_mul"])
def test_saving_for_backward_outside_inference_mode_raises(T, op):
    t = _inference_tensor(T)
    w = T.ones(3, requires_grad=True)
    fns = {"mul": lambda: (t * w).sum(), "rmul": lambda: (w * t).sum(),
           "matmul": lambda: t @ w, "inplace_mul": lambda: (w * 1).mul_(t)}
    with pytest.raises(RuntimeError, match=_full(SAVED)):
        fns[op]()


@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("op", ["add_", "zero_", "setitem", "view_add_", "no_grad_add_"])
def test_inplace_update_outside_inference_mode_raises(T, op):
    t = _inference_tensor(T)

    def no_grad_add_():
        with T.no_grad():
            t.add_(1)
    fns = {"add_": lambda: t.add_(1), "zero_": lambda: t.zero_(),
           "setitem": lambda: t.__setitem__(0, 5.0), "view_add_": lambda: t.view(3).add_(1),
           "no_grad_add_": no_grad_add_}
    with pytest.raises(RuntimeError, match=_full(INPLACE)):
        fns[op]()
    # (PyTorch 2.x writes the values before it raises; minitorch_nn raises first, so the
    # tensor's values after the error are not compared.)
    # an inference tensor may be the *source* of an in-place update of a normal tensor
    assert T.ones(3).add_(_inference_tensor(T)).tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("T", LIBS)
def test_requires_grad_outside_inference_mode_raises(T):
    t = _inference_tensor(T)
    with pytest.raises(RuntimeError, match=_full(REQUIRES_GRAD)):
        t.requires_grad_()
    with pytest.raises(RuntimeError, match=_full(REQUIRES_GRAD)):
        t.requires_grad = True
    assert not t.requires_grad_(False).requires_grad


@pytest.mark.parametrize("T", LIBS)
def test_clone_outside_inference_mode_gives_a_normal_tensor(T):
    t = _inference_tensor(T)
    c = t.clone().requires_grad_()
    (c * c).sum().backward()
    assert c.grad.tolist() == [2.0, 2.0, 2.0]
    d = t.clone()
    d.add_(1)
    assert d.tolist() == [2.0, 2.0, 2.0]
    w = T.ones(3, requires_grad=True)
    (t.clone() * w).sum().backward()
    assert w.grad.tolist() == [1.0, 1.0, 1.0]


def test_is_inference_mode_enabled_is_exported():
    assert mt.is_inference_mode_enabled() is False
    with mt.inference_mode():
        assert mt.is_inference_mode_enabled() is True
    with mt.inference_mode(False):
        assert mt.is_inference_mode_enabled() is False
