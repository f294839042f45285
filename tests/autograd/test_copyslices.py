"""Assignments into views and `x[i] = v` on non-leaves: PyTorch's CopySlices, and version
checks no stricter than PyTorch's (issue 15).

Each case runs on minitorch_nn and on PyTorch (when installed): same grad_fn name at the
root, same gradient, same error.
"""
from __future__ import annotations

import numpy as np
import pytest

from autograd_util import LIBS, MODIFIED, mt, raises_like, torch


def _x(T):
    return T.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)


def _s_int(T, x, z):
    z[0] = 5


def _s_tensor(T, x, z):
    z[0] = T.tensor([7., 8., 9.])


def _s_list(T, x, z):
    z[[0]] = 5


def _s_int_list(T, x, z):
    z[0, [0, 1]] = 5


def _s_own_view(T, x, z):
    z[:, 1] = z[:, 0] * 2


def _s_view_int(T, x, z):
    v = z[1]
    v[0] = 5


def _s_view_list(T, x, z):
    v = z[1]
    v[[0]] = 5


def _s_view_of_view(T, x, z):
    v = z[1]
    v[1:][0] = 5


def _s_mask(T, x, z):
    z[z > 2] = 0


def _s_iadd_view(T, x, z):
    z[0] += 1


def _s_chained(T, x, z):
    z[0][1] = 3


def _s_index_put(T, x, z):
    z.index_put_((T.tensor([0]),), T.tensor(1.))


def _s_from_leaf(T, x, z):
    z[0] = x[1]


def _s_slice_list(T, x, z):
    z[0:1, [0, 2]] = 5.


CASES = [_s_int, _s_tensor, _s_list, _s_int_list, _s_own_view, _s_view_int, _s_view_list,
         _s_view_of_view, _s_mask, _s_iadd_view, _s_chained, _s_index_put, _s_from_leaf,
         _s_slice_list]

# What PyTorch 2.x answers (checked against torch below when it is installed).
EXPECTED = {
    "_s_int": ("CopySlices", [[0, 0, 0], [8, 10, 12]]),
    "_s_tensor": ("CopySlices", [[0, 0, 0], [8, 10, 12]]),
    "_s_list": ("IndexPutBackward0", [[0, 0, 0], [8, 10, 12]]),
    "_s_int_list": ("CopySlices", [[0, 0, 6], [8, 10, 12]]),
    "_s_own_view": ("CopySlices", [[10, 0, 6], [40, 0, 12]]),
    "_s_view_int": ("CopySlices", [[2, 4, 6], [0, 10, 12]]),
    "_s_view_list": ("CopySlices", [[2, 4, 6], [0, 10, 12]]),
    "_s_view_of_view": ("CopySlices", [[2, 4, 6], [8, 0, 12]]),
    "_s_mask": ("IndexPutBackward0", [[2, 4, 0], [0, 0, 0]]),
    "_s_iadd_view": ("CopySlices", [[4, 6, 8], [8, 10, 12]]),
    "_s_chained": ("CopySlices", [[2, 0, 6], [8, 10, 12]]),
    "_s_index_put": ("IndexPutBackward0", [[0, 0, 0], [8, 10, 12]]),
    "_s_from_leaf": ("CopySlices", [[0, 0, 0], [16, 20, 24]]),
    "_s_slice_list": ("CopySlices", [[0, 4, 0], [8, 10, 12]]),
}


@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__[3:])
def test_setitem_on_non_leaf_records_copyslices_as_pytorch(T, case):
    x = _x(T)
    z = x * 1
    case(T, x, z)
    name, grad = EXPECTED[case.__name__]
    assert type(z.grad_fn).__name__ == name
    (z ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), np.array(grad, np.float32))


@pytest.mark.parametrize("T", LIBS)
def test_write_from_own_view_times_scalar(T):
    """The issue's program: PyTorch saves nothing of z[1] for `z[1] * 2`."""
    x = T.tensor([1., 2., 3.], requires_grad=True)
    z = x * 1
    z[0] = z[1] * 2
    assert type(z.grad_fn).__name__ == "CopySlices"
    (z ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0., 20., 6.])


@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("op", ["mul", "rmul", "div", "mul_const", "div_const", "const_mul"])
def test_version_check_no_stricter_than_pytorch(T, op):
    """An operand saved by PyTorch only for another input's gradient is not saved at all."""
    x = _x(T)
    c = T.tensor([1.5, 2.5, 0.5])      # requires no gradient
    z = x * 1
    v = z[1]
    y = {"mul": lambda: v * 2, "rmul": lambda: 2 * v, "div": lambda: v / 2,
         "mul_const": lambda: v * c, "div_const": lambda: v / c,
         "const_mul": lambda: c * v}[op]()
    z[0] = 5
    y.sum().backward()
    assert x.grad is not None


@pytest.mark.parametrize("op", ["sin", "mul_by_grad", "div_by_grad", "pow"])
def test_version_check_still_raises_where_pytorch_does(op):
    def run(T):
        x = _x(T)
        w = T.tensor([1.5, 2.5, 0.5], requires_grad=True)
        z = x * 1
        v = z[1]
        y = {"sin": lambda: v.sin(), "mul_by_grad": lambda: v * w,
             "div_by_grad": lambda: w / v, "pow": lambda: v ** 2}[op]()
        z[0] = 5
        y.sum().backward()
    raises_like(run, RuntimeError, MODIFIED)


def test_copyslices_next_functions_are_base_then_value():
    x = mt.tensor([1., 2., 3.], requires_grad=True)
    z = x * 1
    z[0] = x[1]
    names = [type(n).__name__ for n, _ in z.grad_fn.next_functions if n is not None]
    assert names == ["MulBackward0", "SelectBackward0"]
    if torch is not None:
        tx = torch.tensor([1., 2., 3.], requires_grad=True)
        tz = tx * 1
        tz[0] = tx[1]
        assert [type(n).__name__ for n, _ in tz.grad_fn.next_functions] == names


@pytest.mark.parametrize("T", LIBS)
def test_setitem_on_leaf_says_view_of_leaf(T):
    x = T.tensor([1., 2., 3.], requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[0] = 5
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad"):
        x[[0]] = 5


@pytest.mark.parametrize("T", LIBS)
def test_value_requiring_grad_into_plain_tensor(T):
    x = T.tensor([1., 2., 3.], requires_grad=True)
    z = T.zeros(3)
    z[0] = x[1]
    assert type(z.grad_fn).__name__ == "CopySlices"
    (z * T.tensor([3., 1., 1.])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0., 3., 0.])


@pytest.mark.parametrize("T", LIBS)
def test_retain_graph_through_copyslices(T):
    x = T.tensor([1., 2., 3.], requires_grad=True)
    z = x * 1
    z[0] = z[1] * 3
    y = (z ** 2).sum()
    y.backward(retain_graph=True)
    g = x.grad.clone()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * g.numpy())


@pytest.mark.parametrize("T", LIBS)
def test_setitem_on_a_view_rebases_that_view(T):
    """`zz` is a view: after `zz[0, 1:] = w` it continues from its base's CopySlices."""
    x = _x(T)
    w = T.tensor([0.5, -1.5], requires_grad=True)
    zz = (x * 1).t().contiguous().t()
    zz[0, 1:] = w
    assert type(zz.grad_fn).__name__ == "AsStridedBackward0"
    (zz ** 2 * T.arange(6.).reshape(2, 3)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0, 0], [24, 40, 60]])
    np.testing.assert_allclose(w.grad.numpy(), [1, -6])
