"""Second and third derivatives of reductions (sum, mean, nansum, nanmean, prod, logsumexp),
views and shape ops (view, reshape, slicing, squeeze/unsqueeze, transpose, permute, t/mT,
expand, repeat, flip, roll, rot90, repeat_interleave, diagonal, unfold, tril/triu) against
PyTorch and finite differences (tests/autograd/double_backward.py)."""
from __future__ import annotations

import numpy as np
import pytest

from double_backward import check_double_backward

RNG = np.random.default_rng(1)
X = RNG.uniform(0.5, 1.5, (3, 4))
Y = RNG.uniform(0.5, 1.5, (4,))

CASES = {
    "sum": lambda T, a, b: (a * b).sum(1) * (a * b).sum(0).sum(),
    "sum_keepdim": lambda T, a, b: (a * a).sum((0, 1), keepdim=True) * a,
    "mean": lambda T, a, b: (a * b).mean((0, 1), keepdim=True) * a,
    "mean_dim": lambda T, a, b: (a * b * a).mean(0),
    "nansum": lambda T, a, b: (a * b).nansum(1) * (a * b).nansum(1),
    "nanmean": lambda T, a, b: (a * b).nanmean(0) * a.nanmean(0),
    "prod_dim": lambda T, a, b: (a * b).prod(1),
    "prod_all": lambda T, a, b: (a * b).prod(),
    "logsumexp": lambda T, a, b: (a * b).logsumexp(1),
    "view_reshape": lambda T, a, b: (a.view(4, 3) * a.reshape(4, 3)).exp(),
    "t": lambda T, a, b: (a.t() * b[:, None]).exp(),
    "mT": lambda T, a, b: (a.mT * a.T).exp(),
    "permute_transpose": lambda T, a, b: (a[None].permute(2, 0, 1)
                                          * a.transpose(0, 1)[:, :, None]).exp(),
    "slicing": lambda T, a, b: (a[1:, ::2] * a[0, 1:3] * a[..., None][:2, 1:3, 0]).exp(),
    "squeeze": lambda T, a, b: (a[None].squeeze(0).unsqueeze(1) * b).exp(),
    "expand": lambda T, a, b: (b.expand(3, 4) * a).exp(),
    "diagonal": lambda T, a, b: (a.diagonal() * a.diagonal(1)).exp(),
    "unfold": lambda T, a, b: a.unfold(1, 2, 1).exp(),
    "repeat": lambda T, a, b: (b.repeat(2, 1) * b).exp(),
    "flip": lambda T, a, b: (a.flip(0) * a).exp(),
    "roll": lambda T, a, b: (a.roll(1, 1) * a).exp(),
    "rot90": lambda T, a, b: (a.rot90(1, (0, 1)) * a.t()).exp(),
    "repeat_interleave": lambda T, a, b: (b.repeat_interleave(2) * b.repeat(2)).exp(),
    "tril_triu": lambda T, a, b: (a.tril(1) * a.triu(-1) * a).exp(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_and_third_derivatives_equal_pytorchs(name):
    check_double_backward(CASES[name], X, Y, third=True)


def test_prod_with_zeros_is_exact_to_third_order():
    a = X.copy()
    a[1, 2] = 0.0
    a[2, 0] = a[2, 3] = 0.0
    check_double_backward(lambda T, x: x.prod(1) + x.prod(0).sum(), a, third=True)
