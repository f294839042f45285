"""The nn names written last (issue 12): Dropout3d / F.dropout3d, alpha dropout (AlphaDropout,
FeatureAlphaDropout, F.alpha_dropout, F.feature_alpha_dropout, torch.alpha_dropout[_],
torch.feature_alpha_dropout[_]), F.native_channel_shuffle, pdist, F.gumbel_softmax, NLLLoss2d
and fractional_max_pool3d / FractionalMaxPool3d.

Random ops can't match PyTorch's stream: they are checked by their properties (the values a
kept or dropped element can take, rates, moments, gradient structure), by eval-mode identity,
and, for gumbel_softmax, against PyTorch with the same exponential noise injected into both.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch

F = mt.nn.functional
ALPHA = 1.7580993408473766


def _raises_like(ours, theirs):
    """Both calls fail with the same exception class; returns our message."""
    with pytest.raises(Exception) as want:
        theirs()
    with pytest.raises(type(want.value)) as got:
        ours()
    return str(got.value)


# ------------------------------------------------------------------ dropout3d
@pytest.mark.parametrize("shape", [(4, 6, 2, 3, 2), (6, 2, 3, 2)])
def test_dropout3d_zeroes_whole_channels(shape):
    mt.manual_seed(0)
    x = mt.rand(*shape, dtype=mt.float64) + 1.0
    y = F.dropout3d(x, 0.5, True)
    planes = y.numpy().reshape(-1, int(np.prod(shape[-3:])))
    ratios = planes / x.numpy().reshape(planes.shape)
    for row in ratios:   # each channel all kept (x 2) or all zeroed
        assert np.allclose(row, 0.0) or np.allclose(row, 2.0)
    assert 0 < (ratios[:, 0] == 0).sum() < len(ratios)


def test_dropout3d_gradient_is_the_mask():
    mt.manual_seed(1)
    x = mt.randn(3, 4, 2, 2, 2, dtype=mt.float64, requires_grad=True)
    y = F.dropout3d(x, 0.3, True)
    y.sum().backward()
    mask = y.detach().numpy() / x.detach().numpy()
    assert np.allclose(x.grad.numpy(), mask)
    assert y.grad_fn.name() == "MulBackward0"


def test_dropout3d_eval_and_inplace():
    x = mt.randn(2, 3, 2, 2, 2)
    assert F.dropout3d(x, 0.5, False) is x
    assert mt.nn.Dropout3d(0.5).eval()(x) is x
    z = mt.randn(3, 2, 2, 2)
    before = z.clone()
    out = F.dropout3d(z, 1.0, True, inplace=True)
    assert out is z and bool((z == 0).all()) and not bool((before == 0).all())


@requires_torch
def test_dropout3d_warning_errors_and_repr():
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        F.dropout3d(mt.randn(2, 3, 4), 0.5, True)
    msg = _raises_like(lambda: F.dropout3d(mt.randn(2, 3, 2, 2, 2), 1.5),
                       lambda: torch.nn.functional.dropout3d(torch.randn(2, 3, 2, 2, 2), 1.5))
    assert "1.5" in msg
    with pytest.raises(ValueError):
        mt.nn.Dropout3d(-0.1)
    assert repr(mt.nn.Dropout3d(0.2, True)) == repr(torch.nn.Dropout3d(0.2, True))


# ------------------------------------------------------------------ alpha dropout
def _alpha_consts(p):
    a = 1.0 / math.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
    return a, ALPHA * a * p, ALPHA * a * (p - 1)   # scale, kept shift, dropped value


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_values_and_gradient(p):
    mt.manual_seed(2)
    x = mt.randn(50, 40, dtype=mt.float64, requires_grad=True)
    y = F.alpha_dropout(x, p, True)
    a, shift, dropped = _alpha_consts(p)
    xv, yv = x.detach().numpy(), y.detach().numpy()
    kept = np.isclose(yv, a * xv + shift, rtol=0, atol=1e-12)
    gone = np.isclose(yv, dropped, rtol=0, atol=1e-12)
    assert (kept | gone).all()
    assert abs(gone.mean() - p) < 0.05
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), np.where(gone, 0.0, a))
    assert y.grad_fn.name() == "AddBackward0"


def test_alpha_dropout_keeps_zero_mean_unit_variance():
    mt.manual_seed(3)
    y = F.alpha_dropout(mt.randn(400, 500, dtype=mt.float64), 0.3, True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02


def test_feature_alpha_dropout_is_per_channel():
    mt.manual_seed(4)
    x = mt.randn(8, 6, 3, 4, dtype=mt.float64)
    y = F.feature_alpha_dropout(x, 0.5, True).numpy()
    a, shift, dropped = _alpha_consts(0.5)
    xv = x.numpy()
    for n in range(8):
        for c in range(6):
            assert (np.allclose(y[n, c], a * xv[n, c] + shift)
                    or np.allclose(y[n, c], dropped))
    y = F.feature_alpha_dropout(mt.randn(300, 200, 2, dtype=mt.float64), 0.3, True).numpy()
    assert abs(y.mean()) < 0.05 and abs(y.std() - 1.0) < 0.05


@requires_torch
@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_identity_cases_match_pytorch(name):
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    a = np.random.default_rng(0).standard_normal((3, 4, 2))
    for kwargs in ({}, {"training": False}, {"p": 0.0, "training": True},
                   {"p": 1.0, "training": True}):
        assert np.array_equal(ours(mt.tensor(a), **kwargs).numpy(),
                              theirs(torch.tensor(a), **kwargs).numpy())
    x = mt.randn(2, 3)
    assert ours(x) is x   # training defaults to False
    empty = ours(mt.randn(0, 3), 0.5, True)
    assert tuple(empty.shape) == (0, 3)


@requires_torch
def test_alpha_dropout_top_level_and_inplace_forms():
    mt.manual_seed(5)
    x = mt.randn(4, 5, dtype=mt.float64)
    before = x.clone()
    assert mt.alpha_dropout_(x, 0.5, True) is x and not bool((x == before).all())
    z = mt.randn(4, 5, 3, dtype=mt.float64)
    assert mt.feature_alpha_dropout_(z, 0.5, True) is z
    w = mt.randn(3, 3)
    assert F.alpha_dropout(w, 0.4, True, inplace=True) is w
    y = mt.alpha_dropout(before, 0.5, False)
    assert y is before
    for fn in ("alpha_dropout", "feature_alpha_dropout"):
        _raises_like(lambda: getattr(mt, fn)(mt.randn(3)),
                     lambda: getattr(torch, fn)(torch.randn(3)))


@requires_torch
def test_alpha_dropout_errors_match_pytorch():
    msg = _raises_like(lambda: F.alpha_dropout(mt.randn(3), 1.3, True),
                       lambda: torch.nn.functional.alpha_dropout(torch.randn(3), 1.3, True))
    assert "1.3" in msg
    msg = _raises_like(lambda: mt.alpha_dropout(mt.randn(3), -0.5, True),
                       lambda: torch.alpha_dropout(torch.randn(3), -0.5, True))
    assert "-0.5" in msg
    msg = _raises_like(lambda: mt.feature_alpha_dropout(mt.randn(3), 0.3, True),
                       lambda: torch.feature_alpha_dropout(torch.randn(3), 0.3, True))
    assert "2 dimensions" in msg
    msg = _raises_like(lambda: mt.alpha_dropout(mt.ones(3, dtype=mt.int64), 0.3, True),
                       lambda: torch.alpha_dropout(torch.ones(3, dtype=torch.int64), 0.3, True))
    assert "Long" in msg


@requires_torch
def test_alpha_dropout_modules():
    for name in ("AlphaDropout", "FeatureAlphaDropout"):
        ours, theirs = getattr(mt.nn, name), getattr(torch.nn, name)
        assert repr(ours(0.2)) == repr(theirs(0.2))
        assert repr(ours(0.3, True)) == repr(theirs(0.3, True))
        with pytest.raises(ValueError):
            ours(1.5)
        m = ours(0.5)
        x = mt.randn(4, 3, 2, dtype=mt.float64)
        assert m.eval()(x) is x
        mt.manual_seed(6)
        y = m.train()(x)
        assert not np.allclose(y.numpy(), x.numpy())
        assert m.state_dict() == {} or list(m.state_dict()) == []


# ------------------------------------------------------------------ native_channel_shuffle
@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 3), ((1, 4, 2, 2), 2), ((0, 4, 3), 2)])
def test_f_native_channel_shuffle(shape, groups):
    assert F.native_channel_shuffle is mt.native_channel_shuffle
    # PyTorch records no derivative for it: values here, our gradient by gradcheck below
    check_op(lambda T, x: T.nn.functional.native_channel_shuffle(x, groups), [shape],
             grad=False)
    if shape[0]:
        x = mt.randn(*shape, dtype=mt.float64, requires_grad=True)
        assert mt.autograd.gradcheck(lambda v: F.native_channel_shuffle(v, groups), [x])


@requires_torch
def test_f_native_channel_shuffle_errors():
    _raises_like(lambda: F.native_channel_shuffle(mt.randn(2, 5, 3), 2),
                 lambda: torch.nn.functional.native_channel_shuffle(torch.randn(2, 5, 3), 2))


# ------------------------------------------------------------------ pdist
def _pdist_ref(p):
    def ref(x):
        n = x.shape[0]
        i, j = np.triu_indices(n, 1)
        d = x[i] - x[j]
        if p == 0:
            return (d != 0).sum(1).astype(x.dtype)
        if math.isinf(p):
            return np.abs(d).max(1) if d.shape[1] else np.zeros(len(d))
        return (np.abs(d) ** p).sum(1) ** (1 / p)
    return ref


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, math.inf])
@pytest.mark.parametrize("shape", [(5, 3), (2, 1), (1, 4)])
def test_pdist(p, shape):
    check_op(lambda T, x: T.pdist(x, p), [shape], ref=_pdist_ref(p), grad=p != 0)
    check_op(lambda T, x: T.nn.functional.pdist(x, p=p), [shape], grad=False)


@requires_torch
@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, math.inf])
def test_pdist_gradient_with_repeated_rows(p):
    a = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 1.0], [3.0, 2.0]])
    x, t = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    w = np.random.default_rng(1).standard_normal(6)
    (mt.pdist(x, p) * mt.tensor(w)).sum().backward()
    (torch.pdist(t, p) * torch.tensor(w)).sum().backward()
    assert np.allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-12)
    assert mt.pdist(x, p).grad_fn.name() == "PdistBackward0"


@requires_torch
def test_pdist_sizes_dtypes_and_errors():
    for shape in [(0, 3), (3, 0), (1, 2)]:
        y, t = mt.pdist(mt.zeros(*shape)), torch.pdist(torch.zeros(*shape))
        assert tuple(y.shape) == tuple(t.shape) and y.dtype is mt.float32
        assert np.array_equal(y.numpy(), t.numpy())
    assert mt.pdist(mt.randn(3, 2)).dtype is mt.float32
    cases = [((3,), mt.float32, 2), ((2, 3, 4), mt.float32, 2), ((3, 2), mt.int64, 2),
             ((3, 2), mt.float32, -1), ((3, 2), mt.float16, 2), ((3, 2), mt.bfloat16, 2)]
    for shape, dtype, p in cases:
        tdtype = getattr(torch, str(dtype).split(".")[-1])
        msg = _raises_like(lambda: mt.pdist(mt.ones(*shape, dtype=dtype), p),
                           lambda: torch.pdist(torch.ones(*shape, dtype=tdtype), p))
        assert "pdist" in msg


# ------------------------------------------------------------------ gumbel_softmax
def _inject(monkeypatch, cls, values):
    """Make `cls.exponential_` fill the tensor with `values` (the same noise for both)."""
    def fill(self, *args, **kwargs):
        self.copy_(mt.tensor(values) if cls is mt.Tensor else torch.tensor(values))
        return self
    monkeypatch.setattr(cls, "exponential_", fill)


@requires_torch
@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("tau,dim", [(1.0, -1), (0.5, 0), (2.0, 1)])
def test_gumbel_softmax_matches_pytorch_with_the_same_noise(monkeypatch, hard, tau, dim):
    rng = np.random.default_rng(7)
    logits = rng.standard_normal((3, 4, 5))
    noise = rng.exponential(size=(3, 4, 5))
    w = rng.standard_normal((3, 4, 5))
    _inject(monkeypatch, torch.Tensor, noise)
    t = torch.tensor(logits, requires_grad=True)
    expect = torch.nn.functional.gumbel_softmax(t, tau=tau, hard=hard, dim=dim)
    (expect * torch.tensor(w)).sum().backward()
    monkeypatch.undo()
    _inject(monkeypatch, mt.Tensor, noise)
    x = mt.tensor(logits, requires_grad=True)
    got = F.gumbel_softmax(x, tau=tau, hard=hard, dim=dim)
    (got * mt.tensor(w)).sum().backward()
    assert np.allclose(got.detach().numpy(), expect.detach().numpy(), atol=1e-12)
    assert np.allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-12)


def test_gumbel_softmax_samples():
    mt.manual_seed(8)
    logits = mt.tensor(np.log([0.6, 0.3, 0.1]))
    hard = F.gumbel_softmax(logits.expand(4000, 3), hard=True).numpy()
    assert set(np.unique(hard)) <= {0.0, 1.0} and np.array_equal(hard.sum(1), np.ones(4000))
    assert np.allclose(hard.mean(0), [0.6, 0.3, 0.1], atol=0.03)   # argmax ~ softmax(logits)
    soft = F.gumbel_softmax(mt.randn(5, 6, dtype=mt.float64), tau=0.7, dim=0).numpy()
    assert (soft > 0).all() and np.allclose(soft.sum(0), 1.0)


def test_gumbel_softmax_hard_gradient_is_the_soft_one():
    mt.manual_seed(9)
    x = mt.randn(4, 5, dtype=mt.float64, requires_grad=True)
    w = mt.randn(4, 5, dtype=mt.float64)
    state = mt.get_rng_state()
    (F.gumbel_softmax(x, hard=True) * w).sum().backward()
    hard_grad = x.grad.clone()
    x.grad = None
    mt.set_rng_state(state)
    (F.gumbel_softmax(x, hard=False) * w).sum().backward()
    assert np.allclose(hard_grad.numpy(), x.grad.numpy(), atol=1e-12)


def test_gumbel_softmax_eps_is_deprecated():
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(mt.randn(2, 3), eps=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.gumbel_softmax(mt.randn(2, 3))


# ------------------------------------------------------------------ NLLLoss2d
@requires_torch
def test_nllloss2d_is_nllloss_with_a_future_warning():
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        ours = mt.nn.NLLLoss2d(ignore_index=1, reduction="sum")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.NLLLoss2d(ignore_index=1, reduction="sum")
    assert isinstance(ours, mt.nn.NLLLoss) and repr(ours) == repr(theirs)
    rng = np.random.default_rng(10)
    a = rng.standard_normal((2, 3, 4, 5))
    target = rng.integers(0, 3, (2, 4, 5))
    x, t = mt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, e = ours(x, mt.tensor(target)), theirs(t, torch.tensor(target))
    y.backward()
    e.backward()
    assert np.allclose(y.item(), e.item()) and np.allclose(x.grad.numpy(), t.grad.numpy())


# ------------------------------------------------------------------ fractional_max_pool3d
@requires_torch
@pytest.mark.parametrize("shape,kernel,out", [((2, 3, 7, 8, 9), (2, 3, 2), (3, 4, 5)),
                                              ((3, 6, 7, 8), 2, (4, 5, 6)),
                                              ((1, 2, 5, 5, 5), 1, 4),
                                              ((2, 1, 5, 5, 6), (3, 2, 2), 1)])
def test_fractional_max_pool3d_matches_pytorch(shape, kernel, out):
    rng = np.random.default_rng(11)
    a = rng.standard_normal(shape)
    s = rng.random((1 if len(shape) == 4 else shape[0], shape[-4], 3))
    w = None
    results = []
    for T, fn in ((mt, F.fractional_max_pool3d),
                  (torch, torch.nn.functional.fractional_max_pool3d)):
        x = T.tensor(a, requires_grad=True)
        y, i = fn(x, kernel, out, return_indices=True, _random_samples=T.tensor(s))
        w = rng.standard_normal(tuple(y.shape)) if w is None else w
        (y * T.tensor(w)).sum().backward()
        results.append((y.detach().numpy(), i.numpy(), x.grad.numpy(), y.grad_fn.name()))
    for got, want in zip(*results):
        assert np.array_equal(got, want)


@requires_torch
def test_fractional_max_pool3d_ratio_random_samples_and_with_indices():
    x = mt.randn(2, 3, 6, 6, 8)
    y = F.fractional_max_pool3d(x, 2, output_ratio=0.5)
    assert tuple(y.shape) == (2, 3, 3, 3, 4)
    assert len(F.fractional_max_pool3d_with_indices(x, 2, output_size=2)) == 2
    assert tuple(F.fractional_max_pool3d(mt.randn(0, 2, 5, 5, 5), 2, 2).shape) == \
        (0, 2, 2, 2, 2)
    s = mt.rand(2, 3, 3, dtype=mt.float64)
    xd = x.double()
    a = F.fractional_max_pool3d(xd, 2, (3, 4, 5), _random_samples=s)
    b = mt.nn.FractionalMaxPool3d(2, (3, 4, 5), _random_samples=s)(xd)
    assert np.array_equal(a.numpy(), b.numpy())


@requires_torch
def test_fractional_max_pool3d_errors_match_pytorch():
    x, t = mt.randn(2, 3, 5, 6, 7), torch.randn(2, 3, 5, 6, 7)
    tf = torch.nn.functional
    cases = [
        ((2,), {"output_size": (5, 5, 6)}),               # too large (strict in 3-D)
        ((2,), {"output_size": (3, 5, 6)}),
        (((2, 2),), {"output_size": (3, 3, 3)}),
        ((2,), {"output_size": (3, 5)}),
        ((2,), {}),
        ((2,), {"output_ratio": (0.5, 0.5)}),
        ((2,), {"output_size": -1}),
    ]
    for args, kwargs in cases:
        msg = _raises_like(lambda: F.fractional_max_pool3d(x, *args, **kwargs),
                           lambda: tf.fractional_max_pool3d(t, *args, **kwargs))
        assert msg
    samples = [((2, 3, 2), mt.float32), ((2, 3, 3), mt.float64), ((1, 3, 3), mt.float32),
               ((2, 4, 3), mt.float32), ((2, 3), mt.float32)]
    for shape, dtype in samples:
        tdtype = torch.float64 if dtype is mt.float64 else torch.float32
        msg = _raises_like(
            lambda: F.fractional_max_pool3d(x, 2, 2, _random_samples=mt.rand(*shape,
                                                                             dtype=dtype)),
            lambda: tf.fractional_max_pool3d(t, 2, 2, _random_samples=torch.rand(*shape,
                                                                                 dtype=tdtype)))
        assert "_random_samples" in msg
    for shape in [(3, 5, 6), (2, 0, 4, 5, 5)]:
        _raises_like(lambda: F.fractional_max_pool3d(mt.randn(*shape), 2, 2),
                     lambda: tf.fractional_max_pool3d(torch.randn(*shape), 2, 2))
    _raises_like(lambda: F.fractional_max_pool3d(x.long(), 2, 2,
                                                 _random_samples=mt.rand(2, 3, 3).long()),
                 lambda: tf.fractional_max_pool3d(t.long(), 2, 2,
                                                  _random_samples=torch.rand(2, 3, 3).long()))


@requires_torch
def test_fractional_max_pool3d_module():
    for args, kwargs in [((2,), {"output_size": 3}),
                         (((2, 3, 2),), {"output_ratio": 0.5, "return_indices": True})]:
        assert repr(mt.nn.FractionalMaxPool3d(*args, **kwargs)) == \
            repr(torch.nn.FractionalMaxPool3d(*args, **kwargs))
    m = mt.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 0.5))
    assert m.output_ratio == (0.5, 0.5, 0.5) and m.kernel_size == (2, 2, 2)
    for args, kwargs in [((2,), {}), ((2,), {"output_ratio": 1.5}),
                         ((2,), {"output_ratio": 0.5, "output_size": 2}),
                         ((0,), {"output_size": 2}), (((2, -1, 2),), {"output_size": 2})]:
        _raises_like(lambda: mt.nn.FractionalMaxPool3d(*args, **kwargs),
                     lambda: torch.nn.FractionalMaxPool3d(*args, **kwargs))
