"""Grad mode (minitorch_nn/autograd/grad_mode.py): no_grad, enable_grad, set_grad_enabled,
inference_mode, as contexts and decorators.

Tests take `T` (minitorch_nn, and PyTorch when installed) so each assertion is also proved
against PyTorch; error messages are matched by substring.
"""
from __future__ import annotations

import pytest

from autograd_util import LIBS, raises_like


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
