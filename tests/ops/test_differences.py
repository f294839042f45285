"""diff, trapezoid / trapz, cumulative_trapezoid (ops/differences.py)."""
from __future__ import annotations

import numpy as np
import pytest

from op_harness import check_op
from parity_util import same_error, same_values


@pytest.mark.parametrize("n, dim", [(1, -1), (2, 1), (1, 0), (3, 1), (0, 0), (6, 1)])
def test_diff_values_and_gradients(n, dim):
    check_op(lambda T, x: T.diff(x, n, dim), [(3, 5)], ref=lambda a: np.diff(a, n, dim))


def test_diff_prepend_append():
    check_op(lambda T, x, p, q: T.diff(x, dim=0, prepend=p, append=q), [(3, 4), (2, 4), (1, 4)],
             ref=lambda a, p, q: np.diff(a, axis=0, prepend=p, append=q))
    check_op(lambda T, x, q: x.diff(2, append=q), [(3, 4), (3, 2)],
             ref=lambda a, q: np.diff(a, 2, append=q))


def test_diff_integer_and_bool():
    same_values(lambda T: T.diff(T.tensor([1, 5, 2, 2])))
    same_values(lambda T: T.diff(T.tensor([True, False, False, True]), 2))
    same_values(lambda T: T.diff(T.tensor([1, 2], dtype=T.uint8), prepend=T.tensor([3],
                                                                                 dtype=T.uint8)))


@pytest.mark.parametrize("expr", [
    lambda T: T.diff(T.tensor(1.)),
    lambda T: T.diff(T.ones(2, 3), n=-1),
    lambda T: T.diff(T.ones(2, 3), prepend=T.zeros(3)),
    lambda T: T.diff(T.ones(2, 3), dim=0, prepend=T.zeros(1, 2)),
    lambda T: T.diff(T.ones(2, 3), dim=2)])
def test_diff_errors_match_pytorch(expr):
    same_error(expr)


@pytest.mark.parametrize("name", ["trapezoid", "trapz"])
@pytest.mark.parametrize("dim", [-1, 0])
def test_trapezoid_with_spacing(name, dim):
    check_op(lambda T, y: getattr(T, name)(y, dim=dim), [(3, 4)],
             ref=lambda a: np.trapezoid(a, axis=dim) if hasattr(np, "trapezoid")
             else np.trapz(a, axis=dim))
    check_op(lambda T, y: getattr(T, name)(y, dx=0.5, dim=dim), [(3, 4)])


def test_trapezoid_with_sample_points():
    xs = np.array([0., 0.5, 2., 3.5])
    ys = np.random.default_rng(0).normal(size=(3, 4))
    check_op(lambda T, y, x: T.trapezoid(y, x), [], arrays=[ys, xs], grad_inputs=(0,),
             ref=lambda a, b: ((b[1:] - b[:-1]) * (a[..., 1:] + a[..., :-1])).sum(-1) / 2)
    check_op(lambda T, y, x: T.trapezoid(y, x, dim=0), [(4, 3), (4, 3)])
    check_op(lambda T, y, x: T.trapezoid(y, x), [(2, 3, 4), (3, 4)])


def test_trapezoid_integers_empty_and_scalar_spacing():
    same_values(lambda T: T.trapezoid(T.tensor([1, 2, 3])))
    same_values(lambda T: T.trapezoid(T.tensor([1, 2, 3]), dx=2))
    same_values(lambda T: T.trapz(T.tensor([1., 2., 4.]), dx=0.25))
    same_values(lambda T: T.trapezoid(T.zeros(2, 0)))


@pytest.mark.parametrize("expr", [
    lambda T: T.trapezoid(T.ones(2, 3), T.ones(2)),
    lambda T: T.trapezoid(T.zeros(())),
    lambda T: T.cumulative_trapezoid(T.ones(3), T.ones(4)),
    lambda T: T.trapezoid(T.tensor([True, False])),
    lambda T: T.trapz(T.tensor([True, False])),
    lambda T: T.cumulative_trapezoid(T.tensor([True, False])),
    lambda T: T.trapezoid(T.ones(3), T.tensor([True, False, True]))])
def test_trapezoid_errors_match_pytorch(expr):
    same_error(expr)


@pytest.mark.parametrize("name", ["trapezoid", "trapz", "cumulative_trapezoid"])
def test_trapezoid_argument_forms_are_refused_like_pytorch(name):
    same_error(lambda T: getattr(T, name)(T.ones(3), 2.0), match="invalid combination",
               exact=False)
    same_error(lambda T: getattr(T, name)(T.ones(3), T.arange(3.), dx=2),
               match="invalid combination", exact=False)


def test_cumulative_trapezoid():
    check_op(lambda T, y: T.cumulative_trapezoid(y), [(3, 5)])
    check_op(lambda T, y: T.cumulative_trapezoid(y, dx=2., dim=0), [(3, 5)])
    check_op(lambda T, y, x: T.cumulative_trapezoid(y, x), [(3, 5), (5,)])
    same_values(lambda T: T.cumulative_trapezoid(T.tensor([1, 2, 3])))
    same_values(lambda T: T.cumulative_trapezoid(T.zeros(0)))
    y = np.random.default_rng(1).normal(size=6)
    check_op(lambda T, t: T.cumulative_trapezoid(t), [], arrays=[y],
             ref=lambda a: np.cumsum((a[1:] + a[:-1]) / 2))
