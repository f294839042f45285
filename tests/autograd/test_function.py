"""autograd.Function (minitorch_nn/autograd/function.py): custom Functions, their context,
saved tensors, errors.

Tests take `T` (minitorch_nn, and PyTorch when installed) so each assertion is also proved
against PyTorch; error messages are matched by substring.
"""
from __future__ import annotations

import pytest

from autograd_util import LIBS, SECOND_TIME, custom_square, raises_like


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
