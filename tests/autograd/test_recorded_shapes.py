"""A tensor whose shape changes in place without a graph (`y.t_()` under no_grad, `y.data =
other`) keeps its old node; the gradients reaching that node are checked against the shape
the tensor had when it was recorded, as PyTorch's engine checks every gradient ("returned an
invalid gradient"). Before, such a gradient flowed on and `.grad` got the wrong shape."""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from op_harness import torch

LIBS = [pytest.param(mt, id="mt"),
        pytest.param(torch, id="torch", marks=pytest.mark.skipif(torch is None,
                                                                 reason="PyTorch absent"))]


def _reshape_unrecorded(T, y, how):
    with T.no_grad():
        if how == "t_":
            y.t_()
        elif how == "unsqueeze_":
            y.unsqueeze_(0)
        elif how == "data (3, 2)":
            y.data = T.ones(3, 2, dtype=y.dtype)
        else:
            y.data = T.ones(1, 3, dtype=y.dtype)


@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("how", ["t_", "data (3, 2)", "data (1, 3)"])
def test_a_gradient_that_no_longer_fits_is_an_error(T, how):
    x = T.ones(2, 3, requires_grad=True)
    y = x * 1
    _reshape_unrecorded(T, y, how)
    got = [3, 2] if how != "data (1, 3)" else [1, 3]
    with pytest.raises(RuntimeError, match=(r"Function MulBackward0 returned an invalid "
                                            rf"gradient at index 0 - got \{got}\ but expected "
                                            r"shape compatible with \[2, 3\]")):
        (y * 2).sum().backward()
    assert x.grad is None


@pytest.mark.parametrize("T", LIBS)
def test_a_gradient_that_broadcasts_is_summed_back(T):
    x = T.ones(2, 3, requires_grad=True)
    y = x * 1
    _reshape_unrecorded(T, y, "unsqueeze_")
    (y * T.arange(1.0, 4.0)).sum().backward()
    assert tuple(x.grad.shape) == (2, 3)
    assert x.grad.tolist() == [[1.0, 2.0, 3.0]] * 2


@pytest.mark.parametrize("T", LIBS)
def test_create_graph_checks_too(T):
    x = T.ones(2, 3, requires_grad=True)
    y = x * 1
    _reshape_unrecorded(T, y, "t_")
    with pytest.raises(RuntimeError, match=r"Function SumBackward0 returned an invalid gradient"):
        T.autograd.grad(y.sum(), x, create_graph=True)


def test_recorded_in_place_views_are_not_affected():
    x = mt.ones(2, 3, requires_grad=True)
    y = x * 1
    y.t_()                                  # recorded: the gradient goes back through it
    (y * mt.arange(1.0, 3.0)).sum().backward()
    assert x.grad.tolist() == [[1.0] * 3, [2.0] * 3]
