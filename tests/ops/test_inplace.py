"""In-place ops and autograd (minitorch_nn/ops/inplace.py): PyTorch's errors for leaves, the
version counter that catches modified saved tensors, in-place on non-leaves and on views
(the base gets a CopySlices node).

Tests take `T` (minitorch_nn, and PyTorch when installed) so each assertion is also proved
against PyTorch; error messages are matched by substring.
"""
from __future__ import annotations

import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None

LIBS = [pytest.param(mt, id="mt"),
        pytest.param(torch, id="torch",
                     marks=pytest.mark.skipif(torch is None, reason="PyTorch not installed"))]

LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
MODIFIED = "one of the variables needed for gradient computation has been modified by an " \
           "inplace operation"


def raises_like(fn, exc, match):
    for T in (mt, torch):
        if T is not None:
            with pytest.raises(exc, match=match or None):
                fn(T)


# ------------------------------------------------------------------ in-place checks
def test_in_place_on_leaf_errors():
    raises_like(lambda T: T.ones(3, requires_grad=True).add_(1), RuntimeError, LEAF_INPLACE)
    raises_like(lambda T: T.ones(3, requires_grad=True).mul_(2), RuntimeError, LEAF_INPLACE)
    raises_like(lambda T: T.ones(3, requires_grad=True)[:2].mul_(2), RuntimeError,
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation.")


@pytest.mark.parametrize("T", LIBS)
def test_in_place_on_leaf_allowed_under_no_grad(T):
    a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with T.no_grad():
        a.add_(1)
    assert a.tolist() == [2.0, 3.0, 4.0] and a.requires_grad and a.is_leaf and a._version == 1
    assert repr(a) == "tensor([2., 3., 4.], requires_grad=True)"


@pytest.mark.parametrize("T", LIBS)
def test_modified_saved_output_and_input(T):
    e = T.ones(3, requires_grad=True).exp()
    e.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED + r": \[torch.FloatTensor \[3\]\], which is "
                                                      r"output 0 of Exp, is at version 1; "
                                                      r"expected version 0 instead. Hint:"):
        e.sum().backward()
    x = T.ones(3, requires_grad=True)
    y = x * 1
    z = y.sin()
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"which is output 0 of Add, is at version 1"):
        z.sum().backward()
    w = T.ones(3, requires_grad=True)
    s = w.sin()
    with T.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED + r": \[torch.FloatTensor \[3\]\] is at "
                                                      r"version 1; expected version 0"):
        s.sum().backward()
    d = T.ones(3, requires_grad=True, dtype=T.float64).exp()
    d.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[torch.DoubleTensor \[3\]\], which is output 0"):
        d.sum().backward()


@pytest.mark.parametrize("T", LIBS)
def test_modified_saved_tensor_that_needs_no_grad(T):
    x = T.ones(3, requires_grad=True)
    w = T.ones(3)
    z = x * w
    w.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.sum().backward()


@pytest.mark.parametrize("T", LIBS)
def test_in_place_on_non_leaf_is_differentiable(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    y.mul_(3)
    assert y.grad_fn.name() == "MulBackward0" and y._version == 2
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


# ------------------------------------------------------------------ views + in-place
@pytest.mark.parametrize("T", LIBS)
def test_in_place_on_a_view_rebases_the_base(T):
    a = T.ones(4, requires_grad=True)
    b = a * 1
    v = b[1:3]
    v.mul_(2)
    assert b.grad_fn.name() == "torch::autograd::CopySlices"
    assert repr(b) == "tensor([1., 2., 2., 1.], grad_fn=<CopySlices>)"
    assert v.grad_fn.name() == "AsStridedBackward0"
    assert b.grad_fn.next_functions[0][0].name() == "MulBackward0"
    b.sum().backward()
    assert a.grad.tolist() == [1.0, 2.0, 2.0, 1.0]


@pytest.mark.parametrize("T", LIBS)
def test_in_place_on_a_view_backward_through_the_view(T):
    a = T.ones(4, requires_grad=True)
    b = a * 1
    v = b[1:3]
    v.mul_(2)
    v.sum().backward()
    assert a.grad.tolist() == [0.0, 2.0, 2.0, 0.0]


@pytest.mark.parametrize("T", LIBS)
def test_views_and_transposes_in_place(T):
    a = T.ones(2, 3, requires_grad=True)
    b = a * 2
    b.t().add_(1)
    b.sum().backward()
    assert a.grad.tolist() == [[2.0] * 3] * 2
    c = T.ones(2, 3, requires_grad=True)
    d = c * 2
    d[0].zero_()
    d.sum().backward()
    assert c.grad.tolist() == [[0.0] * 3, [2.0] * 3]


@pytest.mark.parametrize("T", LIBS)
def test_view_modified_after_being_saved(T):
    a = T.arange(4.0).requires_grad_()
    b = a * 1
    v = b[::2]
    v.mul_(v)
    with pytest.raises(RuntimeError, match=MODIFIED + r".*which is output 0 of AsStrided"):
        (b * b).sum().backward()
    e = T.ones(4, requires_grad=True).exp()
    e[1:3].add_(1)                                   # the view shares Exp's saved output
    with pytest.raises(RuntimeError, match=r"\[torch.FloatTensor \[4\]\], which is output 0 "
                                           r"of Exp"):
        e.sum().backward()
