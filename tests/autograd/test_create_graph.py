"""create_graph=True: the backward pass records its own graph (autograd/higher_order.py).

The engine behaviours, independent of any one op: gradients that can be differentiated again
(via autograd.grad and backward), `.grad` keeping its graph, retain_graph defaulting to
create_graph, user Functions differentiated through their own backward, once_differentiable
and ops without a double-backward formula raising PyTorch's errors, hooks seeing recorded
gradients, gradgradcheck. Per-op second derivatives are in test_double_backward_*.py.
"""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from double_backward import check_double_backward

try:
    import torch
except ImportError:
    torch = None
requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
# backward(create_graph=True) warns once per process (PyTorch's); one test checks the warning
pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")

X = np.array([0.5, 1.5, -2.0])


def _x(lib=mt):
    return lib.tensor(X.copy(), requires_grad=True)


def test_grad_of_grad_is_the_second_derivative():
    x = _x()
    (g,) = mt.autograd.grad((x * x * x).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    np.testing.assert_allclose(g.detach().numpy(), 3 * X ** 2)
    (h,) = mt.autograd.grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(h.detach().numpy(), 6 * X)
    (k,) = mt.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(k.numpy(), np.full(3, 6.0))


def test_without_create_graph_the_gradient_is_a_constant():
    x = _x()
    (g,) = mt.autograd.grad((x * x).sum(), x)
    assert not g.requires_grad and g.grad_fn is None


def test_backward_create_graph_warns_once_about_the_cycle(monkeypatch):
    from minitorch_nn.autograd import api
    monkeypatch.setitem(api._CYCLE_WARNING, "given", False)
    x = _x()
    with pytest.warns(UserWarning, match="Using backward\\(\\) with create_graph=True will "
                                         "create a reference cycle"):
        (x * x).sum().backward(create_graph=True)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x * x).sum().backward(create_graph=True)   # once per process, as PyTorch


def test_backward_create_graph_keeps_the_graph_of_grad():
    x = _x()
    (x * x * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    np.testing.assert_allclose(x.grad.detach().numpy(), 3 * X ** 2)
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * X)


def test_create_graph_retains_the_graph_by_default():
    x = _x()
    y = (x * x.exp()).sum()
    (g1,) = mt.autograd.grad(y, x, create_graph=True)
    (g2,) = mt.autograd.grad(y, x, create_graph=True)   # no "backward a second time" error
    np.testing.assert_allclose(g1.detach().numpy(), g2.detach().numpy())


def test_create_graph_with_retain_graph_false_frees_the_graph():
    x = _x()
    y = (x * x.exp()).sum()
    mt.autograd.grad(y, x, create_graph=True, retain_graph=False)
    with pytest.raises(RuntimeError, match="a second time"):
        mt.autograd.grad(y, x)


def test_gradient_of_the_gradient_with_respect_to_grad_outputs():
    """d/dv <grad(f)(x) * v>: the vector-Jacobian product is linear in v (jvp by double vjp)."""
    x = _x()
    y = x.exp() * x
    v = mt.zeros(3, dtype=mt.float64, requires_grad=True)
    (g,) = mt.autograd.grad(y, x, v, create_graph=True)
    u = mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64)
    (jvp,) = mt.autograd.grad(g, v, u)
    np.testing.assert_allclose(jvp.numpy(), (np.exp(X) * (1 + X)) * [1, 2, 3])


class _Cube(mt.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class _CubeOnce(mt.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    @mt.autograd.once_differentiable
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


def test_user_function_backward_is_differentiated():
    x = _x()
    (g,) = mt.autograd.grad(_Cube.apply(x).sum(), x, create_graph=True)
    (h,) = mt.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * X)


def _once_cube(lib):
    class CubeOnce(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x
    return CubeOnce


@pytest.mark.parametrize("lib", ["minitorch_nn", "torch"])
def test_once_differentiable_raises_when_differentiated_twice(lib):
    """As PyTorch: the result is attached to an error node only where an incoming gradient
    requires grad; with the implicit gradient of ones it is a plain constant."""
    if lib == "torch" and torch is None:
        pytest.skip("PyTorch is not installed")
    T = mt if lib == "minitorch_nn" else torch
    cube = _once_cube(T)
    x = _x(T)
    (g,) = T.autograd.grad(cube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * X ** 2)   # first order is right
    assert not g.requires_grad
    v = T.ones(3, dtype=T.float64, requires_grad=True)
    (g,) = T.autograd.grad(cube.apply(x), x, v, create_graph=True)
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that "
                                           "was marked with @once_differentiable"):
        g.sum().backward()


def test_an_op_without_a_double_backward_names_itself():
    """grid_sample has no double backward in PyTorch either ("derivative for
    aten::grid_sampler_2d_backward is not implemented"): the first derivative is right, the
    second raises a RuntimeError naming the op, never a silent zero."""
    inp = mt.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    grid = mt.tensor(np.full((1, 2, 2, 2), 0.25), requires_grad=True)
    out = mt.nn.functional.grid_sample(inp, grid, align_corners=False)
    (g,) = mt.autograd.grad(out.sum(), grid, create_graph=True)
    (g_plain,) = mt.autograd.grad(mt.nn.functional.grid_sample(inp, grid, align_corners=False)
                                  .sum(), grid)
    np.testing.assert_allclose(g.detach().numpy(), g_plain.numpy())
    with pytest.raises(RuntimeError, match="derivative for GridSampler2DBackward0 is not "
                                           "implemented"):
        g.sum().backward()


def test_tensor_hooks_see_recorded_gradients():
    x = _x()
    seen = []
    y = x * x
    y.register_hook(lambda g: seen.append(g.requires_grad) or g * 2)
    (g,) = mt.autograd.grad(y.sum(), x, create_graph=True)
    assert seen == [False]   # the root gradient of ones does not depend on x
    np.testing.assert_allclose(g.detach().numpy(), 4 * X)
    (h,) = mt.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), np.full(3, 4.0))


def test_retain_grad_under_create_graph():
    x = _x()
    y = x * x
    y.retain_grad()
    (y * x).sum().backward(create_graph=True)
    np.testing.assert_allclose(y.grad.detach().numpy(), X)
    assert y.grad.requires_grad


def test_materialize_and_allow_unused_with_create_graph():
    x, z = _x(), _x()
    (gx, gz) = mt.autograd.grad((x * x).sum(), (x, z), create_graph=True, allow_unused=True)
    assert gz is None and gx.requires_grad
    (gx, gz) = mt.autograd.grad((x * x).sum(), (x, z), create_graph=True,
                                materialize_grads=True)
    np.testing.assert_allclose(gz.numpy(), np.zeros(3))


def test_gradgradcheck_detects_a_wrong_second_derivative():
    class WrongSecond(mt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x.detach() * x.detach()   # first order right, second order lost
    x = _x()
    assert mt.autograd.gradcheck(WrongSecond.apply, (x,))
    assert not mt.autograd.gradgradcheck(WrongSecond.apply, (x,), raise_exception=False)
    with pytest.raises(mt.autograd.gradcheck_error if hasattr(mt.autograd, "gradcheck_error")
                       else RuntimeError):
        mt.autograd.gradgradcheck(WrongSecond.apply, (x,))


def test_harness_against_pytorch_on_arithmetic():
    a = np.array([[0.5, 1.2], [-0.7, 2.0]])
    b = np.array([1.5, -0.3])
    check_double_backward(lambda T, x, y: (x * y - x / y.exp() + (-x) * x).sum(1), a, b,
                          third=True)


@requires_torch
def test_leaf_grad_accumulates_out_of_place_with_create_graph():
    ours, theirs = _x(), _x(torch)
    for lib, x in ((mt, ours), (torch, theirs)):
        (x * x * x).sum().backward(create_graph=True)
        (x * x).sum().backward(create_graph=True)
    np.testing.assert_allclose(ours.grad.detach().numpy(), theirs.grad.detach().numpy())
    (h_ours,) = mt.autograd.grad(ours.grad.sum(), ours)
    (h_theirs,) = torch.autograd.grad(theirs.grad.sum(), theirs)
    np.testing.assert_allclose(h_ours.numpy(), h_theirs.numpy())


def test_real_inputs_of_complex_intermediates():
    """A complex intermediate between real inputs and a real loss: the conjugation around
    the formulas keeps the real inputs' gradients (and their derivatives)."""
    x = np.array([0.5, -1.2, 2.0])
    check_double_backward(lambda T, a: ((a * (1 + 2j)) * (a * (1 - 1j))).real * a
                          + (a * (1 - 1j)).exp().imag, x, third=True)
