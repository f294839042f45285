"""ctc_loss (ops/ctc_loss.py, kernels/cpu/ctc.py): a brute-force NumPy reference (every
alignment enumerated), float64 gradchecks through log_softmax, PyTorch differentials of values
and gradients (Numba kernel and the xp path), zero_infinity, target layouts and errors."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.ops import ctc_loss as ctc_module
from op_harness import assert_close, check_op, requires_torch, torch

REDUCTIONS = ["none", "mean", "sum"]


def F(T):
    return T.nn.functional


def _log_probs(t, n, c, seed=0):
    logits = np.random.default_rng(seed).standard_normal((t, n, c))
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


def _collapse(path, blank):
    out, prev = [], None
    for k in path:
        if k != prev and k != blank:
            out.append(k)
        prev = k
    return out


def _brute_nll(lp, target, blank):
    """-log sum over every alignment of length T that collapses to `target`."""
    t_len, c = lp.shape
    total = [lp[np.arange(t_len), list(p)].sum()
             for p in itertools.product(range(c), repeat=t_len)
             if _collapse(p, blank) == list(target)]
    return -np.logaddexp.reduce(total) if total else np.inf


def _ref(lp, targets, il, tl, blank, reduction, zero_infinity=False):
    nll = []
    for b in range(lp.shape[1]):
        row = targets[b, :tl[b]] if targets.ndim == 2 else \
            targets[sum(tl[:b]):sum(tl[:b]) + tl[b]]
        v = _brute_nll(lp[:il[b], b], row, blank) if il[b] else (0.0 if tl[b] == 0 else np.inf)
        nll.append(0.0 if zero_infinity and v == np.inf else v)
    nll = np.array(nll)
    if reduction == "mean":
        return (nll / np.maximum(tl, 1)).mean()
    return nll.sum() if reduction == "sum" else nll


CASES = [   # targets, input lengths, target lengths, blank
    (np.array([[1, 2, 2], [2, 2, 0], [1, 1, 1]]), [4, 4, 3], [3, 2, 1], 0),   # repeats
    (np.array([[1, 2], [2, 1], [1, 1]]), [4, 2, 1], [2, 1, 0], 0),            # short inputs
    (np.array([1, 2, 2, 1, 1]), [4, 3, 4], [2, 1, 2], 0),                      # concatenated
    (np.array([[0, 1], [1, 1], [0, 0]]), [4, 4, 2], [2, 2, 1], 2),             # blank = C-1
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_ctc_loss_against_brute_force_and_pytorch(reduction, case):
    targets, il, tl, blank = CASES[case]
    lp = _log_probs(4, 3, 3, seed=case)

    def fn(T, x, tg):
        return F(T).ctc_loss(x.log_softmax(2), tg, il, tl, blank=blank, reduction=reduction)
    check_op(fn, None, arrays=[lp, targets], grad_inputs=(0,),
             ref=lambda x, tg: _ref(x - np.log(np.exp(x).sum(-1, keepdims=True)), tg,
                                    np.array(il), np.array(tl), blank, reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_impossible_alignments(reduction, zero_infinity):
    # sample 1 needs 3 frames for "1 1" (a blank between the repeats) but has 2: inf loss
    # (nan gradient, as PyTorch) unless zero_infinity
    targets, il, tl = np.array([[1, 2], [1, 1], [2, 0]]), [3, 2, 0], [2, 2, 1]
    lp = _log_probs(3, 3, 3)
    check_op(lambda T, x, tg: F(T).ctc_loss(x.log_softmax(2), tg, il, tl, reduction=reduction,
                                            zero_infinity=zero_infinity),
             None, arrays=[lp, targets], grad=zero_infinity, grad_inputs=(0,),
             ref=lambda x, tg: _ref(x, tg, np.array(il), np.array(tl), 0, reduction,
                                    zero_infinity))


def _both(fn):
    """Value and log_probs gradient (random upstream) in minitorch_nn and PyTorch."""
    out = []
    for T in (mt, torch):
        rng = np.random.default_rng(5)
        res = fn(T)
        x, loss = res
        g = rng.standard_normal(tuple(loss.shape))
        loss.backward(T.tensor(g, dtype=loss.dtype))
        out.append((loss.detach().numpy(), x.grad.numpy(), loss.grad_fn.name(), str(loss.dtype)))
    return out


@requires_torch
@pytest.mark.parametrize("kernel", [True, False])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ctc_loss_direct_gradient_vs_pytorch(kernel, reduction, zero_infinity, dtype,
                                             monkeypatch):
    """The gradient on log_probs themselves (PyTorch's exp(lp) - posterior convention),
    on the Numba kernel and on the xp path."""
    if not kernel:
        monkeypatch.setattr(ctc_module, "kernel_for", lambda *a: None)
    lp = _log_probs(7, 4, 5, seed=2)
    targets = np.array([[1, 2, 2, 3], [4, 4, 4, 0], [3, 1, 0, 0], [2, 2, 1, 1]])
    il, tl = [7, 6, 2, 7], [4, 3, 2, 0]

    def fn(T):
        x = T.tensor(lp, dtype=getattr(T, dtype), requires_grad=True)
        return x, F(T).ctc_loss(x, T.tensor(targets), T.tensor(il), T.tensor(tl),
                                reduction=reduction, zero_infinity=zero_infinity)
    ours, theirs = _both(fn)
    tol = dict(atol=1e-10, rtol=1e-9) if dtype == "float64" else dict(atol=2e-5, rtol=2e-5)
    assert ours[2:] == theirs[2:]
    np.testing.assert_allclose(ours[0], theirs[0], **tol)
    np.testing.assert_allclose(ours[1], theirs[1], equal_nan=True, **tol)


@requires_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_unbatched_and_aten(reduction):
    lp = _log_probs(5, 1, 4)[:, 0]
    for lengths in (([5], [2]), (mt.tensor(5), mt.tensor(2))):
        def fn(T):
            x = T.tensor(lp, requires_grad=True)
            il, tl = ((T.tensor(5), T.tensor(2)) if isinstance(lengths[0], mt.Tensor)
                      else lengths)
            return x, F(T).ctc_loss(x, T.tensor([1, 3]), il, tl, reduction=reduction)
        ours, theirs = _both(fn)
        # (unreduced: PyTorch's squeeze(0) node is SqueezeBackward1, views.py names its
        # squeeze node SqueezeBackward0 whichever overload ran)
        assert ours[3] == theirs[3] and ours[0].shape == theirs[0].shape
        assert reduction == "none" or ours[2] == theirs[2]
        assert_close(ours[0], theirs[0], 1e-12, 1e-10)
        assert_close(ours[1], theirs[1], 1e-12, 1e-10)
    lp3 = _log_probs(5, 2, 4)
    for red in (0, 1, 2):
        args = ([[1, 2], [3, 3]], [5, 4], [2, 2], 0, red)
        ours = mt.ctc_loss(mt.tensor(lp3), mt.tensor(args[0]), *args[1:])
        theirs = torch.ctc_loss(torch.tensor(lp3), torch.tensor(args[0]), *args[1:])
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert_close(ours.numpy(), theirs.numpy(), 1e-12, 1e-10)


@requires_torch
def test_ctc_loss_target_dtypes_and_zero_lengths():
    lp = _log_probs(4, 2, 3)
    for tg in (np.array([[1, 2], [2, 2]], np.int32), np.array([[1.0, 2.0], [2.0, 2.0]])):
        vals = [F(T).ctc_loss(T.tensor(lp), T.tensor(tg), [4, 0], [2, 0], reduction="none")
                for T in (mt, torch)]
        assert_close(vals[0].numpy(), vals[1].numpy(), 1e-12, 1e-10)
        assert str(vals[0][1].item()) == str(vals[1][1].item())   # -0.0, as PyTorch


def _error(T, lp_shape=(5, 2, 4), targets=((1, 2), (3, 3)), il=(5, 4), tl=(2, 2), **kw):
    dtype = kw.pop("dtype", "float64")
    lp = T.zeros(lp_shape, dtype=getattr(T, dtype))
    return F(T).ctc_loss(lp, T.tensor(targets), list(il), list(tl), **kw)


@requires_torch
@pytest.mark.parametrize("kw", [
    dict(il=(6, 4)), dict(il=(-1, 4)), dict(tl=(3, 2)), dict(tl=(-1, 2)), dict(il=(5, 4, 3)),
    dict(tl=(2, 2, 1)), dict(blank=4), dict(blank=-1), dict(targets=((1, 2),)),
    dict(targets=(1, 2, 3, 3), tl=(2, 1)), dict(targets=(1, 2, 3, 3), tl=(2, 3)),
    dict(lp_shape=(1, 5, 2, 4)), dict(targets=(((1, 2), (3, 3)),)), dict(reduction="x"),
    dict(lp_shape=(0, 2, 4), il=(0, 0)), dict(dtype="float16"), dict(dtype="bfloat16"),
    dict(dtype="int64")])
def test_ctc_loss_errors(kw):
    errors = []
    for T in (mt, torch):
        with pytest.raises(Exception) as info:
            _error(T, **dict(kw))
        errors.append(info.value)
    assert type(errors[0]) is type(errors[1]) and str(errors[0]) == str(errors[1]), errors


@requires_torch
def test_ctc_loss_length_argument_errors():
    lp = mt.zeros(5, 2, 4)
    tg = mt.tensor([[1, 2], [3, 3]])
    with pytest.raises(RuntimeError, match="input_lengths must be integral"):
        F(mt).ctc_loss(lp, tg, mt.tensor([5.0, 4.0]), mt.tensor([2, 2]))
    with pytest.raises(RuntimeError, match="target_lengths must be integral"):
        F(mt).ctc_loss(lp, tg, mt.tensor([5, 4]), mt.tensor([2.0, 2.0]))
    with pytest.raises(TypeError):
        F(torch).ctc_loss(torch.zeros(5, 2, 4), torch.tensor([[1, 2], [3, 3]]), 5, 2)
    with pytest.raises(TypeError, match="input_lengths"):
        F(mt).ctc_loss(lp, tg, 5, 2)


@pytest.mark.parametrize("targets", [((1, 4), (3, 3)), ((1, 2), (-1, 3)), ((0, 2), (3, 3))])
def test_ctc_loss_rejects_bad_target_values(targets):
    """PyTorch reads out of bounds here (or computes with a blank label): an error here."""
    with pytest.raises(RuntimeError, match="target values must be in \\[0, 4\\)"):
        _error(mt, targets=targets)
    _error(mt, targets=((1, 2), (3, 3)))   # the same call with valid targets runs
    _error(mt, targets=((1, 2), (3, 9)), tl=(2, 1))   # past the target length: not read


def test_ctc_kernels_never_read_outside_their_arrays():
    from kernels.cpu import ctc as kernels   # the kernels themselves, given bad lengths
    lp = np.zeros((3, 2, 4))
    tg = np.array([[1, 2], [1, 7]], dtype=np.int64)     # sample 1 is the bad one
    la = np.zeros((2, 3, 5))
    nll = np.zeros(2)
    for il, tl in (([3, 9], [1, 1]), ([3, 3], [1, 5]), ([3, 3], [2, 2]), ([3, -1], [1, 1])):
        il, tl = np.array(il, np.int64), np.array(tl, np.int64)
        kernels.ctc_fwd(lp, tg, il, tl, 0, la, nll)
        assert np.isnan(nll).any() and np.isfinite(nll[0])
        grad = np.zeros_like(lp)
        kernels.ctc_bwd(lp, tg, il, tl, 0, nll, la, np.ones(2), False, np.zeros_like(la), grad)
        assert np.isnan(grad[:, 1]).all()


def test_ctc_loss_no_numpy_warnings(monkeypatch):
    lp = mt.tensor(_log_probs(3, 2, 3), requires_grad=True)
    for kernel in (True, False):
        if not kernel:
            monkeypatch.setattr(ctc_module, "kernel_for", lambda *a: None)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            F(mt).ctc_loss(lp, mt.tensor([[1, 1], [2, 2]]), [3, 2], [2, 2],
                           reduction="sum").backward()
