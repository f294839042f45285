"""Autograd: detach() and .data, and the examples of the user's notes (seeds/004), reproduced
exactly, printed output included.

Tests take `T` (minitorch_nn, and PyTorch when installed) so each assertion is also proved
against PyTorch; error messages are matched by substring.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from autograd_util import LIBS, MODIFIED


# ------------------------------------------------------------------ seeds/004 examples
@pytest.mark.parametrize("T", LIBS)
def test_notes_detach_then_backward_raises(T):
    x = T.ones(5, requires_grad=True)
    y = x.detach() * 2
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and "
                                           "does not have a grad_fn"):
        y.sum().backward()


@pytest.mark.parametrize("T", LIBS)
def test_notes_both_paths_give_5(T):
    x = T.ones(5, requires_grad=True)
    y = x ** 2
    z = x ** 3
    (z + y).sum().backward()
    assert repr(x.grad) == "tensor([5., 5., 5., 5., 5.])"


@pytest.mark.parametrize("T", LIBS)
def test_notes_detached_path_gives_2(T):
    x = T.ones(5, requires_grad=True)
    y = x ** 2
    z = x.detach() ** 3
    (y + z).sum().backward()
    assert repr(x.grad) == "tensor([2., 2., 2., 2., 2.])"


@pytest.mark.parametrize("T", LIBS)
def test_notes_assigning_x_detach_keeps_5(T):
    x = T.ones(5, requires_grad=True)
    z = x ** 2
    x.detach = T.tensor([2, 2, 2, 2, 2], dtype=float)
    y = x ** 3
    (z + y).sum().backward()
    assert repr(x.grad) == "tensor([5., 5., 5., 5., 5.])"


@pytest.mark.parametrize("T", LIBS)
def test_notes_assigning_x_data_gives_16(T):
    """x**2 saved x itself: after x.data = 2s both terms see the new values (4 + 12)."""
    x = T.ones(5, requires_grad=True)
    z = x ** 2
    x.data = T.tensor([2, 2, 2, 2, 2], dtype=float)
    y = x ** 3
    (z + y).sum().backward()
    assert repr(x.grad) == "tensor([16., 16., 16., 16., 16.], dtype=torch.float64)"


def test_notes_print_output(capsys):
    x = mt.rand(3, 4, requires_grad=True)
    y = x.detach()
    print(y.requires_grad, y.grad_fn, x.requires_grad)
    assert capsys.readouterr().out == "False None True\n"


# ------------------------------------------------------------------ detach and .data
@pytest.mark.parametrize("T", LIBS)
def test_detach_shares_memory_and_version(T):
    x = T.ones(3, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.data_ptr() == y.data_ptr() and not d.requires_grad and d.is_leaf and d.grad_fn is None
    d.add_(1)
    assert y._version == 1 and y.tolist() == [3.0, 3.0, 3.0]
    e = x.exp()
    e.detach().add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED + r".*which is output 0 of Exp, is at "
                                                      r"version 1; expected version 0"):
        e.sum().backward()


@pytest.mark.parametrize("T", LIBS)
def test_data_does_not_share_the_version(T):
    """PyTorch's documented trap: edits through .data change gradients silently."""
    a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    e = a.exp()
    e.data.add_(1)
    e.sum().backward()
    assert np.allclose(a.grad.numpy(), np.exp([1.0, 2.0, 3.0]) + 1)


@pytest.mark.parametrize("T", LIBS)
def test_detach_(T):
    x = T.ones(3, requires_grad=True)
    y = x * 2
    assert y.detach_() is y and not y.requires_grad and y.is_leaf and y.grad_fn is None
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="Can't detach views in-place. Use detach\\(\\) "
                                           "instead."):
        (x * 2)[:2].detach_()
