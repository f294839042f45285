"""gradcheck (minitorch_nn/autograd/gradcheck.py): passes on correct functions, fails on a
wrong backward, its errors and warnings.
"""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from autograd_util import LIBS, custom_square, raises_like, torch


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


@pytest.mark.parametrize("shape, fn", [
    ((0, 3), lambda a: a.sum(0)),                       # empty input, non-empty output
    ((2, 3), lambda a: a[:, :0] * 2),                    # non-empty input, empty output
    ((0, 0), lambda a: mt.linalg.det(a)),                # empty input, one output element
])
def test_gradcheck_handles_zero_element_inputs_and_outputs(shape, fn):
    """Both Jacobians are (output elements x input elements) even when one side is empty."""
    x = mt.zeros(*shape, dtype=mt.float64, requires_grad=True)
    assert mt.autograd.gradcheck(fn, (x,))
