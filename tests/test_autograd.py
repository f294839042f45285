"""Autograd: custom Functions, backward/grad, hooks, grad mode, detach/.data, in-place
checks, views, the engine's traversal and gradcheck.

Tests take `T` (minitorch_nn, and PyTorch when installed) so each assertion is also proved
against PyTorch; error messages are matched by substring. The examples of the user's notes
(seeds/004) are reproduced exactly, printed output included.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None

LIBS = [pytest.param(mt, id="mt"),
        pytest.param(torch, id="torch",
                     marks=pytest.mark.skipif(torch is None, reason="PyTorch not installed"))]

SECOND_TIME = "Trying to backward through the graph a second time"
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
MODIFIED = "one of the variables needed for gradient computation has been modified by an " \
           "inplace operation"


def raises_like(fn, exc, match):
    for T in (mt, torch):
        if T is not None:
            with pytest.raises(exc, match=match or None):
                fn(T)


def custom_square(T):
    """A correct custom Function: x**2 * k, saving its input."""
    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x * x * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x * ctx.k, None
    return Square


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


# ------------------------------------------------------------------ custom Function
@pytest.mark.parametrize("T", LIBS)
def test_custom_function(T):
    Square = custom_square(T)
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x, 3.0)
    assert y.tolist() == [3.0, 12.0]
    assert type(y.grad_fn).__name__ == "SquareBackward" and y.grad_fn.name() == "SquareBackward"
    assert repr(y) == "tensor([ 3., 12.], grad_fn=<SquareBackward>)"
    nf = y.grad_fn.next_functions
    assert len(nf) == 1 and nf[0][0].variable is x            # non-tensor args have no edge
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]


@pytest.mark.parametrize("T", LIBS)
def test_custom_function_needs_input_grad_and_keywords(T):
    class Mul(T.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, scale=1.0):
            ctx.seen = ctx.needs_input_grad
            ctx.save_for_backward(x, y)
            return x * y * scale

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return (g * y if ctx.needs_input_grad[0] else None,
                    g * x if ctx.needs_input_grad[1] else None, None)

    x = T.tensor([1.0, 2.0], requires_grad=True)
    w = T.tensor([3.0, 4.0])
    out = Mul.apply(x, w, 2.0)
    assert out.grad_fn.seen == (True, False, False)
    assert out.grad_fn.needs_input_grad == (True, False, False)
    out.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]
    nf = out.grad_fn.next_functions
    assert len(nf) == 2 and nf[1] == (None, 0)                 # a tensor that needs no grad
    assert not Mul.apply(w, w).requires_grad                   # nothing recorded


@pytest.mark.parametrize("T", LIBS)
def test_custom_function_multiple_outputs_and_non_differentiable(T):
    class Split(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            a, b = x * 2, x * 3
            ctx.mark_non_differentiable(b)
            return a, b

        @staticmethod
        def backward(ctx, ga, gb):
            return ga * 2

    x = T.tensor([1.0, 2.0], requires_grad=True)
    a, b = Split.apply(x)
    assert a.requires_grad and not b.requires_grad and b.grad_fn is None
    a.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("T", LIBS)
def test_custom_function_unused_output_gets_zero_gradient(T):
    class Two(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            assert gb is not None                       # materialized as zeros
            return ga * 2 + gb * 3

    class TwoLazy(Two):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            assert gb is None
            return ga * 2

    for fn in (Two, TwoLazy):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        a, _ = fn.apply(x)
        a.sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("T", LIBS)
def test_custom_function_returning_its_input(T):
    class Ident(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Ident.apply(x)
    assert y is not x and y.grad_fn.name() == "IdentBackward"
    y.sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


@pytest.mark.parametrize("T", LIBS)
def test_custom_function_mark_dirty(T):
    class Double_(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x.mul_(2)

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = Double_.apply(y)
    assert z is y and y.grad_fn.name() == "Double_Backward"
    assert y._version == 2                       # mul_ bumps it, and mark_dirty once more
    z.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used "
                                           "in an in-place operation"):
        Double_.apply(T.ones(2, requires_grad=True))


@pytest.mark.parametrize("T", LIBS)
def test_custom_function_gradient_is_reduced_and_cast(T):
    class Wide(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return T.ones(3, 2, dtype=T.float64)                # broadcast shape, other dtype

    x = T.tensor([1.0, 2.0], requires_grad=True)
    Wide.apply(x).sum().backward()
    assert x.grad.dtype is T.float32 and x.grad.tolist() == [3.0, 3.0]


def test_custom_function_errors():
    def wrong_count(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g, g
        F.apply(T.ones(2, requires_grad=True)).sum().backward()

    def too_few(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, g):
                return g
        F.apply(T.ones(2, requires_grad=True), T.ones(2)).sum().backward()

    def grad_for_number(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g, g
        F.apply(T.ones(2, requires_grad=True), 2.0).sum().backward()

    def bad_shape(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return T.ones(1)
        F.apply(T.ones(2, requires_grad=True)).sum().backward()

    def not_a_tensor(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.clone()

            @staticmethod
            def backward(ctx, g):
                return 3
        F.apply(T.ones(2, requires_grad=True)).sum().backward()

    def no_backward(T):
        class F(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.clone()
        F.apply(T.ones(2, requires_grad=True)).sum().backward()

    raises_like(wrong_count, RuntimeError,
                r"function FBackward returned an incorrect number of gradients \(expected 1, "
                r"got 2\)")
    raises_like(too_few, RuntimeError, r"incorrect number of gradients \(expected 2, got 1\)")
    raises_like(grad_for_number, RuntimeError,
                "function FBackward returned a gradient different than None at position 2, but "
                "the corresponding forward input was not a Variable")
    raises_like(bad_shape, RuntimeError,
                r"Function FBackward returned an invalid gradient at index 0 - got \[1\] but "
                r"expected shape compatible with \[2\]")
    raises_like(not_a_tensor, RuntimeError, r"expected Variable or None \(got int\)")
    raises_like(no_backward, NotImplementedError,
                "You must implement either the backward or vjp method")


@pytest.mark.parametrize("T", LIBS)
def test_saved_tensors_freed_after_backward(T):
    Square = custom_square(T)
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x, 1.0)
    y.sum().backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        y.grad_fn.saved_tensors


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


# ------------------------------------------------------------------ hooks
@pytest.mark.parametrize("T", LIBS)
def test_hook_on_leaf_and_non_leaf(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 2
    h = y.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert seen == [[20.0, 20.0]] and x.grad.tolist() == [20.0, 20.0]
    h.remove()
    h.remove()                                       # idempotent
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("T", LIBS)
def test_hook_order_and_retain_grad_sees_hooked_value(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    order = []
    y.register_hook(lambda g: order.append("a"))
    y.register_hook(lambda g: order.append("b") or g * 10)
    y.retain_grad()
    (y * 3).sum().backward()
    assert order == ["a", "b"] and y.grad.tolist() == [30.0, 30.0]
    assert x.grad.tolist() == [60.0, 60.0]


@pytest.mark.parametrize("T", LIBS)
def test_hook_handle_context_manager(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with y.register_hook(lambda g: g * 10):
        pass
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_hook_errors():
    raises_like(lambda T: T.ones(2).register_hook(lambda g: g), RuntimeError,
                "cannot register a hook on a tensor that doesn't require gradient")

    def returns_int(T):
        x = T.ones(2, requires_grad=True)
        x.register_hook(lambda g: 5)
        (x * 2).sum().backward()

    def changes_size(T):
        x = T.ones(2, requires_grad=True)
        x.register_hook(lambda g: g.sum())
        (x * 2).sum().backward()

    raises_like(returns_int, TypeError, "expected Variable, but hook returned 'int'")
    raises_like(changes_size, RuntimeError, "hook '<lambda>' has changed the size of value")


@pytest.mark.parametrize("T", LIBS)
def test_post_accumulate_grad_hook(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    h.remove()
    (x * 2).sum().backward()
    assert seen == [[2.0, 2.0], [4.0, 4.0]]
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on "
                                           "non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)


@pytest.mark.parametrize("T", LIBS)
def test_node_hooks(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.grad_fn.register_prehook(lambda go: (go[0] * 10,))
    y.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]
    x.grad = None
    z = x * 2
    z.grad_fn.register_hook(lambda gi, go: (gi[0] * 3, None))
    z.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    w = x * 2
    w.grad_fn.register_hook(lambda gi, go: (gi[0],))
    with pytest.raises(RuntimeError, match="hook '<lambda>' has returned an incorrect number of "
                                           r"values \(got 1, but expected 2\)"):
        w.sum().backward()


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


# ------------------------------------------------------------------ grad mode
@pytest.mark.parametrize("T", LIBS)
def test_no_grad_context_and_decorators(T):
    x = T.ones(2, requires_grad=True)
    with T.no_grad():
        assert not T.is_grad_enabled()
        y = x * 2
        with T.enable_grad():
            assert T.is_grad_enabled() and (x * 2).requires_grad
        assert not T.is_grad_enabled()
    assert T.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf

    @T.no_grad()
    def f(a):
        return a * 2

    @T.no_grad
    def g(a):
        return a * 2

    @T.enable_grad
    def h(a):
        return a * 2

    assert not f(x).requires_grad and not g(x).requires_grad and g.__name__ == "g"
    with T.no_grad():
        assert h(x).requires_grad


@pytest.mark.parametrize("T", LIBS)
def test_set_grad_enabled_forms(T):
    T.set_grad_enabled(False)
    assert not T.is_grad_enabled()
    T.set_grad_enabled(True)
    with T.set_grad_enabled(False):
        assert not (T.ones(1, requires_grad=True) * 2).requires_grad
        with T.set_grad_enabled(True):
            assert T.is_grad_enabled()
        assert not T.is_grad_enabled()
    assert T.is_grad_enabled()

    @T.set_grad_enabled(False)
    def f(a):
        return a * 2

    assert T.is_grad_enabled()                       # decorating switched nothing
    assert not f(T.ones(2, requires_grad=True)).requires_grad
    assert T.is_grad_enabled()


@pytest.mark.parametrize("T", LIBS)
def test_grad_mode_restored_after_exceptions_and_in_generators(T):
    with pytest.raises(ValueError):
        with T.no_grad():
            raise ValueError
    assert T.is_grad_enabled()

    @T.no_grad()
    def gen():
        yield T.is_grad_enabled()
        yield T.is_grad_enabled()

    it = gen()
    assert next(it) is False and T.is_grad_enabled() and next(it) is False


@pytest.mark.parametrize("T", LIBS)
def test_inference_mode(T):
    x = T.ones(2, requires_grad=True)
    with T.inference_mode():
        assert not (x * 2).requires_grad and not T.is_grad_enabled()
    with T.inference_mode(False):
        assert (x * 2).requires_grad


def test_set_grad_enabled_error():
    raises_like(lambda T: T.set_grad_enabled(1), TypeError,
                r"set_grad_enabled\(\): argument 'enabled' \(position 1\) must be bool, not int")


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


# ------------------------------------------------------------------ graph structure
@pytest.mark.parametrize("T", LIBS)
def test_next_functions(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    w = T.tensor([3.0, 4.0])
    y = x * w
    nf = y.grad_fn.next_functions
    assert len(nf) == 2 and nf[1] == (None, 0)
    acc, nr = nf[0]
    assert type(acc).__name__ == "AccumulateGrad" and nr == 0 and acc.variable is x
    assert acc.name() == "torch::autograd::AccumulateGrad"
    s = (x * 2 + 1).sum()
    assert s.grad_fn.name() == "SumBackward0"
    assert s.grad_fn.next_functions[0][0].name() == "AddBackward0"
    z = x + x
    assert z.grad_fn.next_functions[0][0] is z.grad_fn.next_functions[1][0]   # one accumulator
    assert y.grad_fn.metadata == {}


@pytest.mark.parametrize("T", LIBS)
def test_diamond_graph_runs_each_node_once(T):
    x = T.tensor(2.0, requires_grad=True)
    calls = []
    y = x * x
    y.register_hook(lambda g: calls.append(g.item()))
    z = y + y                     # y is reached by two paths
    w = z * y
    w.backward()
    assert x.grad.item() == 64.0                       # w = 2 y^2: dw/dy = 4 y = 16, * 2x
    assert calls == [16.0]                             # one summed gradient (8 + 8), one call


def test_deep_chain_has_no_recursion_limit():
    T = mt
    x = T.ones(1, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]


# ------------------------------------------------------------------ gradcheck
def test_gradcheck_passes_on_correct_functions():
    x = mt.randn(3, dtype=mt.float64, requires_grad=True)
    y = mt.randn(3, dtype=mt.float64, requires_grad=True)
    assert mt.autograd.gradcheck(lambda a: (a * a).sum(), (x,))
    assert mt.autograd.gradcheck(lambda a: a.exp(), x)
    assert mt.autograd.gradcheck(lambda a, b: (a * b, a + b), (x, y), eps=1e-6, atol=1e-5,
                                 rtol=1e-3)
    assert mt.autograd.gradcheck(lambda a, k: a * k, (x, 3.0))
    Square = custom_square(mt)
    assert mt.autograd.gradcheck(lambda a: Square.apply(a, 2.0), (x,))


@pytest.mark.parametrize("T", LIBS)
def test_gradcheck_fails_on_a_wrong_backward(T):
    class Bad(T.autograd.Function):
        @staticmethod
        def forward(ctx, k, x, y):
            return x * 2, y * 3

        @staticmethod
        def backward(ctx, g, h):
            return None, g * 2, h * 4            # d(y*3)/dy is 3, not 4

    x = T.randn(2, dtype=T.float64, requires_grad=True)
    y = T.randn(2, dtype=T.float64, requires_grad=True)
    fn = lambda k, a, b: Bad.apply(k, a, b)      # noqa: E731
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 1 with respect to "
                                           "input 1,\nnumerical:tensor") as err:
        T.autograd.gradcheck(fn, (3.0, x, y))
    assert "analytical:tensor([[4., 0.],\n        [0., 4.]], dtype=torch.float64)" in \
        str(err.value)
    assert type(err.value).__name__ == "GradcheckError"
    assert T.autograd.gradcheck(fn, (3.0, x, y), raise_exception=False) is False


def test_gradcheck_errors_and_warnings():
    raises_like(lambda T: T.autograd.gradcheck(lambda a: a * 2, (T.ones(2, dtype=T.float64),)),
                ValueError, "gradcheck expects at least one input tensor to require gradient, "
                            "but none of them have requires_grad=True.")
    for T in (mt, torch):
        if T is not None:
            with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double "
                                                 "precision floating point"):
                T.autograd.gradcheck(lambda a: a * 2, (T.ones(2, requires_grad=True),),
                                     raise_exception=False)
