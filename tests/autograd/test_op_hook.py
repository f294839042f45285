"""OpHook: tools hooked into ArrayFunction.apply chain, each seeing every top-level op once,
and put back what was there when they leave (also after an exception)."""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from minitorch_nn.autograd import function as _function
from minitorch_nn.autograd.op_hook import OpHook


class Names(OpHook):
    def __init__(self):
        self.seen = []

    def run(self, cls, args, kwargs):
        self.seen.append(cls.__name__)
        return self.call(cls, args, kwargs)


def test_nested_hooks_both_see_each_op_and_unwind():
    x = mt.ones(3)
    with Names() as outer:
        with Names() as inner:
            assert _function._tracer is inner and inner.outer is outer
            y = (x * 2).exp()
        z = y.sum()
    assert inner.seen == ["Mul", "Exp"]
    assert outer.seen == ["Mul", "Exp", "Sum"]
    assert _function._tracer is None and float(z) == pytest.approx(3 * 2.718281828 ** 2)


def test_hook_is_removed_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with Names():
            mt.ones(2) + 1
            1 / 0
    assert _function._tracer is None


def test_paused_hides_ops_from_this_hook_only():
    with Names() as outer, Names() as inner:
        with inner.paused():
            mt.ones(2).exp()
    assert inner.seen == [] and outer.seen == ["Exp"]
