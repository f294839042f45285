"""F.unfold (im2col) and F.fold (col2im): values, gradients, errors."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch

F = mt.nn.functional


def _unfold_ref(x, k, d, p, s):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c * k[0] * k[1], oh * ow))
    for ci in range(c):
        for i in range(k[0]):
            for j in range(k[1]):
                row = (ci * k[0] + i) * k[1] + j
                for a in range(oh):
                    for b in range(ow):
                        out[:, row, a * ow + b] = xp[:, ci, a * s[0] + i * d[0],
                                                     b * s[1] + j * d[1]]
    return out


_GEOMS = [((2, 2), (1, 1), (0, 0), (1, 1)), ((2, 3), (2, 1), (1, 0), (2, 1)),
          ((3, 1), (1, 2), (1, 1), (1, 3)), ((1, 1), (1, 1), (0, 0), (1, 1))]


@pytest.mark.parametrize("geom", _GEOMS, ids=str)
def test_unfold(geom):
    k, d, p, s = geom
    check_op(lambda T, x: T.nn.functional.unfold(x, k, dilation=d, padding=p, stride=s),
             [(2, 3, 5, 6)], ref=lambda a: _unfold_ref(a, k, d, p, s))


@pytest.mark.parametrize("geom", _GEOMS, ids=str)
def test_fold(geom):
    k, d, p, s = geom
    blocks = _unfold_ref(np.zeros((1, 1, 5, 6)), k, d, p, s).shape[-1]

    def ref(cols):   # fold is the adjoint of unfold: <fold(c), x> = <c, unfold(x)>
        out = np.zeros((cols.shape[0], 2, 5, 6))
        for idx in np.ndindex(2, 5, 6):
            e = np.zeros((1, 2, 5, 6))
            e[(0,) + idx] = 1
            out[(slice(None),) + idx] = (cols * _unfold_ref(e, k, d, p, s)).sum((1, 2))
        return out
    check_op(lambda T, c: T.nn.functional.fold(c, (5, 6), k, dilation=d, padding=p, stride=s),
             [(2, 2 * k[0] * k[1], blocks)], ref=ref)


def test_unbatched_and_empty():
    check_op(lambda T, x: T.nn.functional.unfold(x, 2), [(3, 4, 5)])
    check_op(lambda T, c: T.nn.functional.fold(c, (4, 5), 2), [(12, 12)])
    assert tuple(F.unfold(mt.zeros(0, 2, 3, 3), 2).shape) == (0, 8, 4)
    assert tuple(F.fold(mt.zeros(0, 8, 4), 3, 2).shape) == (0, 2, 3, 3)


@requires_torch
@pytest.mark.parametrize("dtype", ["float16", "bool"])
def test_other_dtypes(dtype):
    a = (np.random.default_rng(0).standard_normal((1, 2, 3, 4)) > 0)
    y = F.unfold(mt.tensor(a).to(getattr(mt, dtype)), 2)
    e = torch.nn.functional.unfold(torch.tensor(a).to(getattr(torch, dtype)), 2)
    assert str(y.dtype) == str(e.dtype)
    np.testing.assert_array_equal(y.numpy(), e.numpy())


@requires_torch
def test_node_names():
    y = F.unfold(mt.zeros(1, 2, 3, 3, requires_grad=True), 2)
    assert y.grad_fn.name() == "Im2ColBackward0"
    y = F.fold(mt.zeros(8, 4, requires_grad=True), 3, 2)
    e = torch.nn.functional.fold(torch.zeros(8, 4, requires_grad=True), 3, 2)
    assert y.grad_fn.name() == e.grad_fn.name()


_BAD = [
    lambda T, F: F.unfold(T.randn(2, 3, 5, 6), 7),
    lambda T, F: F.unfold(T.randn(2, 3, 5, 6), 0),
    lambda T, F: F.unfold(T.randn(2, 3, 5, 6), 2, stride=0),
    lambda T, F: F.unfold(T.randn(2, 3, 5, 6), 2, padding=-1),
    lambda T, F: F.unfold(T.randn(2, 3, 5, 6), 2, dilation=0),
    lambda T, F: F.unfold(T.randn(5, 6), 2),
    lambda T, F: F.unfold(T.randn(1, 2, 3, 4, 5), 2),
    lambda T, F: F.unfold(T.ones(1, 2, 3, 3).long(), 2),
    lambda T, F: F.unfold(T.ones(1, 0, 3, 3), 2),
    lambda T, F: F.unfold(T.ones(1, 2, 3, 3), (2, 2, 2)),
    lambda T, F: F.fold(T.randn(2, 12, 20), (5, 6), 3),
    lambda T, F: F.fold(T.randn(2, 12, 20), (5, 7), 2),
    lambda T, F: F.fold(T.randn(2, 12, 20, 1), (5, 6), 2),
    lambda T, F: F.fold(T.randn(2, 12, 20), (1, 1), 2),
    lambda T, F: F.fold(T.ones(2, 12, 20).long(), (5, 6), 2),
    lambda T, F: F.fold(T.ones(2, 0, 20), (5, 6), 2),
]


@requires_torch
@pytest.mark.parametrize("call", range(len(_BAD)))
def test_errors_match_pytorch(call):
    fn = _BAD[call]
    with pytest.raises(Exception) as expected:
        fn(torch, torch.nn.functional)
    with pytest.raises(type(expected.value)) as got:
        fn(mt, F)
    assert str(got.value) == str(expected.value)
