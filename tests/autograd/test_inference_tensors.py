"""Inference tensors (tensor.py `_is_inference`, autograd/grad_mode.py `inference_mode`):
a tensor created inside `inference_mode` is an inference tensor; outside that mode it cannot
be saved for backward, updated in place, or made to require grad (PyTorch's errors, checked
in autograd/function.py `_pack`, ops/inplace.py `check_inplace`, `Tensor.requires_grad_`).
Modules built inside `inference_mode` have inference parameters and buffers (nn/parameter.py);
products save only the factor the other factor's gradient needs (ops/saved_factors.py); an op
whose tensor inputs are all inference tensors records nothing (autograd/function.py
`_below_autograd`), as in PyTorch.

Tests take `T` (minitorch_nn, and PyTorch when installed); messages are matched in full.
"""
from __future__ import annotations

import re

import numpy as np
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


# ---------------------------------------------------------------- modules built in inference_mode
# A module built under inference_mode has inference tensors for parameters and buffers
# (nn/parameter.py `_share`). Products save a factor only when the other factor needs a
# gradient (ops/saved_factors.py), so a backward that never needs such a weight works; an op
# whose tensor inputs are all inference tensors records nothing (autograd/function.py
# `_below_autograd`), so `nn.Linear`'s weight (used as `weight.t()`) gets no gradient.

def _values(rng, *shape):
    return rng.standard_normal(shape).round(2).tolist()


def _made_in_inference_mode(T, values):
    """An inference tensor that requires grad (as a module's parameter is)."""
    with T.inference_mode():
        return T.tensor(values, dtype=T.float64).requires_grad_()


@pytest.mark.parametrize("T", LIBS)
def test_parameters_and_buffers_made_in_inference_mode_are_inference_tensors(T):
    ordinary = T.ones(2)
    with T.inference_mode():
        lin = T.nn.Linear(3, 2)
        bn = T.nn.BatchNorm1d(3)
        wrapped = T.nn.Parameter(ordinary)   # a Parameter is an inference tensor iff its data is
        made = T.nn.Parameter(T.ones(2))
        buffer = T.nn.Buffer(T.ones(2))
    assert lin.weight.is_inference() and lin.bias.is_inference()
    assert lin.weight.requires_grad and isinstance(lin.weight, T.nn.Parameter)
    assert bn.running_mean.is_inference() and bn.num_batches_tracked.is_inference()
    assert made.is_inference() and buffer.is_inference() and not wrapped.is_inference()
    assert lin.weight.data.is_inference() and lin.weight.detach().is_inference()
    assert not T.nn.Linear(3, 2).weight.is_inference()
    with pytest.raises(RuntimeError, match=_full(REQUIRES_GRAD)):
        T.nn.Parameter(made.detach())   # outside: requires_grad=True is refused
    assert T.nn.Parameter(made.detach(), requires_grad=False).is_inference()


PRODUCTS = {   # op(W, x): W an inference tensor that requires grad, x an ordinary tensor
    "mm": ((3, 2), (4, 3), lambda T, W, x: T.mm(x, W)),
    "mm_right": ((2, 3), (3, 4), lambda T, W, x: T.mm(W, x)),
    "matmul_3d": ((3, 2), (5, 4, 3), lambda T, W, x: T.matmul(x, W)),
    "matmul_1d": ((3, 2), (3,), lambda T, W, x: T.matmul(x, W)),
    "matmul_batched": ((5, 3, 2), (5, 4, 3), lambda T, W, x: T.matmul(x, W)),
    "addmm": ((3, 2), (4, 3), lambda T, W, x: T.addmm(T.ones(2, dtype=T.float64), x, W,
                                                      beta=2, alpha=0.5)),
    "bmm": ((5, 3, 2), (5, 4, 3), lambda T, W, x: T.bmm(x, W)),
    "baddbmm": ((5, 3, 2), (5, 4, 3), lambda T, W, x: T.baddbmm(
        T.ones(5, 4, 2, dtype=T.float64), x, W, beta=0.5, alpha=3)),
    "mv": ((3,), (4, 3), lambda T, W, x: T.mv(x, W)),
    "mv_matrix": ((4, 3), (3,), lambda T, W, x: T.mv(W, x)),
    "dot": ((3,), (3,), lambda T, W, x: T.dot(W, x)),
    "vdot": ((3,), (3,), lambda T, W, x: T.vdot(x, W)),
    "outer": ((3,), (4,), lambda T, W, x: T.outer(x, W)),
    "linear_input": ((4, 3), (2, 3), lambda T, W, x: T.nn.functional.linear(W, x)),
}


@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("name", sorted(set(PRODUCTS) - {"matmul_batched"}))
def test_product_backward_that_never_needs_the_inference_factor(T, name):
    """Only the inference factor needs a gradient: the other factor is saved, it is not."""
    w_shape, x_shape, fn = PRODUCTS[name]
    rng = np.random.default_rng(0)
    w_values, x_values = _values(rng, *w_shape), _values(rng, *x_shape)
    W = _made_in_inference_mode(T, w_values)
    x = T.tensor(x_values, dtype=T.float64)
    (fn(T, W, x) ** 2).sum().backward()
    # the same gradient as for an ordinary W
    W2 = T.tensor(w_values, dtype=T.float64, requires_grad=True)
    (fn(T, W2, x) ** 2).sum().backward()
    assert W.grad is not None and np.allclose(W.grad.tolist(), W2.grad.tolist(), atol=1e-12)


@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_product_that_needs_the_inference_factor_raises(T, name):
    """The other factor needs a gradient: the inference factor would be saved."""
    w_shape, x_shape, fn = PRODUCTS[name]
    rng = np.random.default_rng(1)
    with T.inference_mode():
        W = T.tensor(_values(rng, *w_shape), dtype=T.float64)
    x = T.tensor(_values(rng, *x_shape), dtype=T.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match=_full(SAVED)):
        fn(T, W, x)


@pytest.mark.parametrize("T", LIBS)
def test_matmul_operands_pytorch_reshapes_get_no_gradient(T):
    """PyTorch's matmul views some operands before its product (ops/products.py
    `_as_pytorch_views`): such an inference operand gets no gradient. Which ones, by dims."""
    shapes = {1: (3,), 2: (3, 3), 3: (2, 3, 3), 4: (2, 2, 3, 3)}
    left_gets_grad = {(1, 1), (1, 3), (1, 4), (2, 1), (2, 2)}
    with T.inference_mode():
        v = T.ones(3).requires_grad_()
    assert not T.outer(v, T.ones(2)).requires_grad   # PyTorch's outer reshapes its input
    for da in shapes:
        for db in shapes:
            with T.inference_mode():
                left = T.ones(shapes[da]).requires_grad_()
                right = T.ones(shapes[db]).requires_grad_()
            assert (left @ T.ones(shapes[db])).requires_grad == ((da, db) in left_gets_grad)
            assert (T.ones(shapes[da]) @ right).requires_grad == (db <= 2)


@pytest.mark.parametrize("T", LIBS)
def test_linear_built_in_inference_mode(T):
    """PyTorch's nn.Linear multiplies by `weight.t()`, a view that records nothing for an
    inference weight: the bias gets its gradient, the weight none."""
    with T.inference_mode():
        lin = T.nn.Linear(3, 2)
        no_bias = T.nn.Linear(3, 2, bias=False)
        seq = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.Tanh(), T.nn.Linear(4, 2))
    x = T.ones(4, 3)
    for inp in (x, T.ones(2, 4, 3), T.ones(3)):
        lin.bias.grad = None
        y = lin(inp)
        assert y.requires_grad and not y.is_inference()
        y.sum().backward()
        assert lin.weight.grad is None
        assert lin.bias.grad.tolist() == [float(inp.numel() // 3)] * 2
    assert not no_bias(x).requires_grad
    F = T.nn.functional
    assert F.linear(x, lin.weight, lin.bias).grad_fn is not None
    assert not F.linear(x, lin.weight).requires_grad
    with pytest.raises(RuntimeError, match=_full(SAVED)):   # the input needs a gradient
        lin(T.ones(4, 3, requires_grad=True))
    with pytest.raises(RuntimeError, match=_full(SAVED)):   # the second layer's input does
        seq(x)


@pytest.mark.parametrize("T", LIBS)
def test_ops_on_inference_tensors_alone_record_nothing(T):
    with T.inference_mode():
        W = T.tensor([[1.0, 2.0], [3.0, 4.0]]).requires_grad_()
        V = T.ones(2, 2)
    N = T.ones(2, 2)
    for r in (W.t(), W[0], W.view(4), W.exp(), W * V, W + V, W ** 2, W.sum(), 2 / W,
              T.relu(W), W @ W):
        assert not r.requires_grad and r.grad_fn is None
    assert W.t().is_inference() and not W.exp().is_inference()
    # an ordinary tensor, a Python number PyTorch wraps as one, or a copy: recorded
    for r in (W * N, W * 2, 2 * W, W + 1, 1 - W, W / 2, W.add(1, alpha=2), N @ W, W.clone(),
              W.to(T.float64), W.masked_fill(N > 0, 1.0)):
        assert r.requires_grad and r.grad_fn is not None and not r.is_inference()
    (W * N).sum().backward()
    assert W.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]


@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("name", ["mm", "mm_right", "matmul_3d", "matmul_1d", "matmul_batched",
                                  "addmm", "baddbmm", "mv", "dot", "outer", "linear_input"])
def test_double_backward_with_one_factor_saved(T, name):
    """grad_formula (create_graph) works when the factor no gradient needs was not saved:
    the second derivative for W is the one computed when x needs a gradient too (then both
    factors are saved)."""
    w_shape, x_shape, fn = PRODUCTS[name]
    rng = np.random.default_rng(2)
    w_values, x_values = _values(rng, *w_shape), _values(rng, *x_shape)
    grads = []
    for x_needs_grad in (False, True):
        W = T.tensor(w_values, dtype=T.float64, requires_grad=True)
        x = T.tensor(x_values, dtype=T.float64, requires_grad=x_needs_grad)
        (gw,) = T.autograd.grad((fn(T, W, x) ** 3).sum(), W, create_graph=True)
        (gw ** 2).sum().backward()
        grads.append(np.array(W.grad.tolist()))
    assert np.abs(grads[0]).max() > 0
    assert np.allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)


def test_unsaved_transposed_factor_keeps_the_gradient_layout():
    """`x @ weight.t()` where only the weight needs a gradient: weight.t() is not saved, yet
    its gradient reaches the weight C-contiguous, like the weight (ops/saved_factors.py)."""
    weight = mt.randn(5, 3, requires_grad=True)
    x, x3 = mt.randn(4, 3), mt.randn(2, 4, 3)
    for rows, product in ((x, lambda: x @ weight.t()), (x3, lambda: x3 @ weight.t()),
                          (x, lambda: mt.addmm(mt.ones(5), x, weight.t()))):
        weight.grad = None
        product().sum().backward()
        assert weight.grad._data.flags.c_contiguous
        expected = np.ones((rows.numel() // 3, 5)).T @ np.array(rows.tolist()).reshape(-1, 3)
        assert np.allclose(weight.grad.tolist(), expected, atol=1e-5)


@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam",
                                  "Adamax", "Rprop"])
def test_optimizer_cannot_update_inference_parameters(T, name):
    """An optimizer step is an in-place update: refused for a module built under
    inference_mode (optim/optimizer.py `_params_with_grad`)."""
    with T.inference_mode():
        lin = T.nn.Linear(3, 2)
    lin(T.ones(4, 3)).sum().backward()   # the bias gets a gradient
    opt = getattr(T.optim, name)(lin.parameters(), lr=0.1)
    with pytest.raises(RuntimeError, match=_full(INPLACE)):
        opt.step()
    before = lin.bias.tolist()
    with T.inference_mode():   # inside the mode the update is allowed
        opt.step()
    assert lin.bias.tolist() != before


@pytest.mark.parametrize("product", ["mm", "matmul_3d", "addmm", "linear", "bmm"])
def test_the_factor_no_gradient_needs_is_not_kept_alive(product):
    """x needs a gradient, W does not: the graph keeps W (for x's gradient), not x."""
    import gc
    import weakref
    leaf = mt.randn(*((2, 4, 3) if product in ("matmul_3d", "bmm") else (4, 3)),
                    requires_grad=True)
    W = mt.randn(*((2, 3, 5) if product == "bmm" else (3, 5)))
    fns = {"mm": lambda x: mt.mm(x, W), "matmul_3d": lambda x: x @ W,
           "addmm": lambda x: mt.addmm(mt.zeros(5), x, W), "bmm": lambda x: mt.bmm(x, W),
           "linear": lambda x: mt.nn.functional.linear(x, W.t())}
    gc.disable()
    try:
        x = leaf * 2   # not a leaf: nothing but the product's node could hold it
        alive = weakref.ref(x)
        y = fns[product](x)
        del x
        assert alive() is None
    finally:
        gc.enable()
    y.sum().backward()
    assert leaf.grad is not None and leaf.grad.shape == leaf.shape
