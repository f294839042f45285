"""backward() and autograd.grad (minitorch_nn/autograd/api.py): gradients, retain_graph,
inputs, accumulation, retain_grad, errors.

Tests take `T` (minitorch_nn, and PyTorch when installed) so each assertion is also proved
against PyTorch; error messages are matched by substring.
"""
from __future__ import annotations

import warnings

import pytest

from autograd_util import LIBS, SECOND_TIME, raises_like


# ------------------------------------------------------------------ backward()
@pytest.mark.parametrize("T", LIBS)
def test_backward_with_gradient_and_retain_graph(T):
    a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = a * a
    y.backward(gradient=T.tensor([1.0, 0.0, 2.0]), retain_graph=True)
    assert a.grad.tolist() == [2.0, 0.0, 12.0]
    y.backward(T.ones(3))
    assert a.grad.tolist() == [4.0, 4.0, 18.0]             # accumulated
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        y.backward(T.ones(3))


@pytest.mark.parametrize("T", LIBS)
def test_gradient_is_cast_to_the_output_dtype(T):
    a = T.tensor([1.0, 2.0], requires_grad=True)
    (a * 2).backward(T.ones(2, dtype=T.float64))
    assert a.grad.dtype is T.float32 and a.grad.tolist() == [2.0, 2.0]


def test_backward_errors():
    raises_like(lambda T: (T.ones(3, requires_grad=True) * 2).backward(), RuntimeError,
                "grad can be implicitly created only for scalar outputs")
    raises_like(lambda T: (T.ones(3, requires_grad=True) * 2).backward(T.ones(2)), RuntimeError,
                r"Mismatch in shape: grad_output\[0\] has a shape of torch.Size\(\[2\]\) and "
                r"output\[0\] has a shape of torch.Size\(\[3\]\)")
    raises_like(lambda T: T.ones(3).sum().backward(), RuntimeError,
                "element 0 of tensors does not require grad and does not have a grad_fn")
    raises_like(lambda T: (T.ones(1, requires_grad=True) * 2).sum().backward(inputs=[]),
                RuntimeError, "`inputs` argument to `backward\\(\\)` cannot be empty.")

    def twice(T):
        y = (T.ones(3, requires_grad=True) * 2).sum()
        y.backward()
        y.backward()
    raises_like(twice, RuntimeError, SECOND_TIME)


@pytest.mark.parametrize("T", LIBS)
def test_backward_twice_without_saved_tensors_is_allowed(T):
    a = T.ones(2, requires_grad=True)
    y = (a + 1).sum()             # Add and Sum save nothing
    y.backward()
    y.backward()
    assert a.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("T", LIBS)
def test_grad_accumulates_in_place(T):
    x = T.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    assert x.grad is g and x.grad.tolist() == [5.0, 5.0]
    x.grad = None
    (x * 4).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]


@pytest.mark.parametrize("T", LIBS)
def test_backward_inputs_restricts_accumulation(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    w = T.tensor([3.0, 4.0], requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    assert x.grad.tolist() == [3.0, 4.0] and w.grad is None


@pytest.mark.parametrize("T", LIBS)
def test_autograd_backward_function(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    T.autograd.backward([x * 2], [T.ones(2)])
    T.autograd.backward((x * 3).sum())
    T.autograd.backward([(x * 1).sum(), (x * 1).sum()])
    assert x.grad.tolist() == [7.0, 7.0]


@pytest.mark.parametrize("T", LIBS)
def test_non_leaf_grad_warns(T):
    y = T.ones(3, requires_grad=True) * 2
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf "
                                         "Tensor is being accessed"):
        assert y.grad is None
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is None


@pytest.mark.parametrize("T", LIBS)
def test_retain_grad(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    z = y * 3
    z.sum().backward(retain_graph=True)
    assert y.grad.tolist() == [3.0, 3.0]
    z.sum().backward()
    assert y.grad.tolist() == [6.0, 6.0] and x.grad.tolist() == [12.0, 12.0]
    x.retain_grad()                                  # a leaf: no-op
    assert not x.retains_grad
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has "
                                           "requires_grad=False"):
        T.ones(2).retain_grad()


# ------------------------------------------------------------------ autograd.grad
@pytest.mark.parametrize("T", LIBS)
def test_grad_function(T):
    a = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (ga,) = T.autograd.grad((a * a).sum(), a)
    assert ga.tolist() == [2.0, 4.0, 6.0] and a.grad is None     # nothing accumulated
    assert T.autograd.grad(a * 2, a, grad_outputs=T.tensor([1.0, 0.0, 2.0]))[0].tolist() == \
        [2.0, 0.0, 4.0]
    assert T.autograd.grad([(a * 2).sum(), (a * a).sum()], a)[0].tolist() == [4.0, 6.0, 8.0]
    b = T.tensor([1.0], requires_grad=True)
    out = T.autograd.grad((a * 2).sum(), [a, b], allow_unused=True)
    assert out[0].tolist() == [2.0, 2.0, 2.0] and out[1] is None
    out = T.autograd.grad((a * 2).sum(), [a, b], materialize_grads=True)
    assert out[1].tolist() == [0.0]
    y = a * 2
    gy, gx = T.autograd.grad(y.sum(), [y, a])
    assert gy.tolist() == [1.0] * 3 and gx.tolist() == [2.0] * 3
    assert T.autograd.grad(a.sum(), a, grad_outputs=T.tensor(3.0))[0].tolist() == [3.0] * 3
    assert T.autograd.grad((a * 2).sum(), a, grad_outputs=[None])[0].tolist() == [2.0] * 3
    z = (a * a).sum()
    T.autograd.grad(z, a, retain_graph=True)
    T.autograd.grad(z, a)
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        T.autograd.grad(z, a)


def test_grad_errors():
    def unused(T):
        a = T.ones(3, requires_grad=True)
        T.autograd.grad((a * 2).sum(), [a, T.ones(1, requires_grad=True)])

    raises_like(unused, RuntimeError, "The differentiated Tensor at index 1 appears to not have "
                                      "been used in the graph. Set allow_unused=True")
    raises_like(lambda T: T.autograd.grad((T.ones(2, requires_grad=True) * 2).sum(), T.ones(2)),
                RuntimeError, "One of the differentiated Tensors does not require grad")
    raises_like(lambda T: T.autograd.grad(T.ones(2, requires_grad=True) * 2,
                                          T.ones(2, requires_grad=True)),
                RuntimeError, "grad can be implicitly created only for scalar outputs")

    def count_mismatch(T):
        a = T.ones(2, requires_grad=True)
        T.autograd.grad([(a * 2).sum(), (a * 3).sum()], a, grad_outputs=[T.tensor(1.0)])

    raises_like(count_mismatch, RuntimeError, "got 2 tensors and 1 gradients")

    def materialize_and_not_unused(T):
        a = T.ones(2, requires_grad=True)
        T.autograd.grad((a * 2).sum(), a, allow_unused=False, materialize_grads=True)

    raises_like(materialize_and_not_unused, ValueError,
                "Expected allow_unused to be True or not passed when materialize_grads=True")
