"""In-place view methods t_, transpose_ / swapaxes_ / swapdims_, squeeze_, unsqueeze_
(ops/inplace_views.py): the tensor itself changes shape, keeps its storage, and gradients
flow back through the change."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op
from parity_util import same_error, same_values

CASES = [
    ("t_", (2, 3), (), np.transpose),
    ("transpose_", (2, 3, 4), (0, 2), lambda a: a.swapaxes(0, 2)),
    ("swapaxes_", (2, 3, 4), (1, -1), lambda a: a.swapaxes(1, 2)),
    ("swapdims_", (2, 3), (0, 1), lambda a: a.swapaxes(0, 1)),
    ("squeeze_", (2, 1, 3, 1), (), np.squeeze),
    ("squeeze_", (2, 1, 3, 1), (1,), lambda a: a.squeeze(1)),
    ("squeeze_", (2, 1, 3, 1), ((1, 3),), lambda a: a.squeeze((1, 3))),
    ("unsqueeze_", (2, 3), (1,), lambda a: a[:, None]),
    ("unsqueeze_", (2, 3), (-1,), lambda a: a[..., None]),
]


@pytest.mark.parametrize("name, shape, args, ref", CASES)
def test_inplace_view_values_and_gradient(name, shape, args, ref):
    def fn(T, x):
        y = x * 1                       # a non-leaf: in-place ops on it are recorded
        out = getattr(y, name)(*args)
        assert out is y
        return y
    check_op(fn, [shape], ref=ref)


@pytest.mark.parametrize("name, shape, args, ref", CASES)
def test_inplace_view_keeps_the_storage_and_bumps_the_version(name, shape, args, ref):
    x = mt.arange(float(np.prod(shape))).reshape(shape)
    ptr, version = x.data_ptr(), x._version
    getattr(x, name)(*args)
    assert x.data_ptr() == ptr and x._version == version + 1
    assert tuple(x.shape) == ref(np.zeros(shape)).shape


def test_inplace_view_of_a_view_stays_a_view_of_the_base():
    def fn(T):
        base = T.arange(6.)
        v = base[1:]
        v.unsqueeze_(0)
        v[0, 0] = 10.
        return base, v, v._base is base
    same_values(fn)


def test_inplace_view_refused_on_a_leaf_that_requires_grad():
    same_error(lambda T: T.ones(2, 3, requires_grad=True).t_())
    with mt.no_grad():
        x = mt.ones(2, 3, requires_grad=True)
        assert tuple(x.t_().shape) == (3, 2)


@pytest.mark.parametrize("expr", [
    lambda T: T.ones(2, 3, 4).t_(), lambda T: T.ones(2, 3).transpose_(0, 2),
    lambda T: T.ones(2, 3).unsqueeze_(3), lambda T: T.ones(2, 3).squeeze_(2)])
def test_inplace_view_bad_dims_match_pytorch(expr):
    same_error(expr)
