"""Margin losses (ops/margin_losses.py): NumPy references, float64 gradchecks, PyTorch
differentials for every reduction, the top-level ATen forms, dtypes and errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, make_arrays, requires_torch, torch

REDUCTIONS = ["none", "mean", "sum"]
RNG = np.random.default_rng(12)


def F(T):
    return T.nn.functional


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / loss.size if loss.size else np.nan


def _signs(*shape):
    return np.where(RNG.uniform(size=shape) < 0.5, -1.0, 1.0)


def _lib_error(fn):
    try:
        fn()
    except Exception as e:   # noqa: BLE001 - the class is what is compared
        return e
    return None


def same_error(fn, *, same_message=True):
    """fn(T) raises the same exception class in both libraries (and the same message)."""
    ours = _lib_error(lambda: fn(mt))
    assert ours is not None, "minitorch_nn raised nothing"
    if torch is None:
        return ours
    theirs = _lib_error(lambda: fn(torch))
    assert theirs is not None, f"PyTorch raised nothing; we raised {ours!r}"
    assert type(ours) is type(theirs), f"{ours!r} vs PyTorch {theirs!r}"
    if same_message:
        assert str(ours) == str(theirs)
    return ours


# ------------------------------------------------------------------ margin_ranking_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (0,), (1,)])
def test_margin_ranking_loss(reduction, shape):
    arrays = make_arrays([shape, shape]) + [_signs(*shape)]
    check_op(lambda T, a, b, t: F(T).margin_ranking_loss(a, b, t, margin=0.3,
                                                         reduction=reduction),
             None, arrays=arrays, grad_inputs=(0, 1),
             ref=lambda a, b, t: _reduce(np.maximum(0, -t * (a - b) + 0.3), reduction))


@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_margin_ranking_loss_aten(reduction):
    arrays = make_arrays([(4,), (4,)]) + [_signs(4)]
    red = REDUCTIONS[reduction]
    check_op(lambda T, a, b, t: T.margin_ranking_loss(a, b, t, 0.1, reduction), None,
             arrays=arrays, grad_inputs=(0, 1),
             ref=lambda a, b, t: _reduce(np.maximum(0, -t * (a - b) + 0.1), red))
    out = mt.margin_ranking_loss(*[mt.tensor(a) for a in arrays])   # default: unreduced
    assert tuple(out.shape) == (4,)


@requires_torch
def test_margin_ranking_loss_errors():
    a = np.zeros(3)
    same_error(lambda T: F(T).margin_ranking_loss(T.tensor(a), T.tensor(a)[None],
                                                  T.tensor(a)))
    same_error(lambda T: F(T).margin_ranking_loss(T.tensor(a), T.tensor(a), T.tensor(a[:2])),
               same_message=False)
    e = same_error(lambda T: F(T).margin_ranking_loss(T.tensor(a), T.tensor(a), T.tensor(a),
                                                      reduction="avg"))
    assert "avg" in str(e)


def test_margin_ranking_loss_legacy_flags_warn():
    a = mt.tensor([1.0, 2.0])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        out = F(mt).margin_ranking_loss(a, a * 0, mt.tensor([1.0, -1.0]), size_average=False)
    assert float(out) == pytest.approx(2.0)


# ------------------------------------------------------------------ hinge_embedding_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(3, 4), (5,), (2, 0)])
def test_hinge_embedding_loss(reduction, shape):
    arrays = make_arrays([shape]) + [_signs(*shape)]

    def ref(x, t):
        return _reduce(np.where(t == 1, x, 0) + np.where(t == -1, np.maximum(0, 0.5 - x), 0),
                       reduction)
    check_op(lambda T, x, t: F(T).hinge_embedding_loss(x, t, margin=0.5, reduction=reduction),
             None, arrays=arrays, grad_inputs=(0,), ref=ref)
    check_op(lambda T, x, t: T.hinge_embedding_loss(x, t, 0.5, REDUCTIONS.index(reduction)),
             None, arrays=arrays, grad_inputs=(0,), ref=ref)


@requires_torch
def test_hinge_embedding_loss_int_input_and_errors():
    x = np.array([[1, -2, 3]])
    for reduction in ("none", "sum"):
        check_op(lambda T, x, t: F(T).hinge_embedding_loss(x, t, margin=2.5,
                                                           reduction=reduction),
                 None, arrays=[x, np.array([[1, -1, -1]])], grad=False)
    same_error(lambda T: F(T).hinge_embedding_loss(T.tensor(x), T.tensor([[1, -1, -1]])))
    same_error(lambda T: F(T).hinge_embedding_loss(T.zeros(3, 4), T.ones(3)),
               same_message=False)


# ------------------------------------------------------------------ cosine_embedding_loss
def _cos_ref(x1, x2, t, margin, reduction):
    cos = (x1 * x2).sum(-1) / np.sqrt(((x1 * x1).sum(-1) + 1e-12) * ((x2 * x2).sum(-1) + 1e-12))
    out = np.where(t == 1, 1 - cos, 0) + np.where(t == -1, np.maximum(0, cos - margin), 0)
    return _reduce(out, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("n", [3, 1, 0])
def test_cosine_embedding_loss(reduction, n):
    arrays = make_arrays([(n, 4), (n, 4)]) + [_signs(n)]
    check_op(lambda T, a, b, t: F(T).cosine_embedding_loss(a, b, t, margin=-0.2,
                                                           reduction=reduction),
             None, arrays=arrays, grad_inputs=(0, 1),
             ref=lambda a, b, t: _cos_ref(a, b, t, -0.2, reduction))


def test_cosine_embedding_loss_unbatched_and_aten():
    arrays = make_arrays([(5,), (5,)]) + [np.array(-1.0)]
    check_op(lambda T, a, b, t: F(T).cosine_embedding_loss(a, b, t), None, arrays=arrays,
             grad_inputs=(0, 1), ref=lambda a, b, t: _cos_ref(a, b, t, 0.0, "mean"))
    arrays = make_arrays([(3, 2), (3, 2)]) + [_signs(3)]
    check_op(lambda T, a, b, t: T.cosine_embedding_loss(a, b, t, 0.1, 2), None, arrays=arrays,
             grad_inputs=(0, 1), ref=lambda a, b, t: _cos_ref(a, b, t, 0.1, "sum"))


@requires_torch
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 1)), ((4,), (4,), (3,)),
                                    ((3, 4), (3, 4), ()), ((3, 4), (3, 4), (2,))])
def test_cosine_embedding_loss_errors(shapes):
    same_error(lambda T: F(T).cosine_embedding_loss(*[T.ones(s) for s in shapes]),
               same_message=shapes[2] != (2,))


@requires_torch
def test_cosine_embedding_loss_int_inputs():
    check_op(lambda T, a, b, t: F(T).cosine_embedding_loss(a, b, t), None, grad=False,
             arrays=[np.array([[1, 2], [3, 1]]), np.array([[2, 2], [-1, 1]]),
                     np.array([1, -1])])


# ------------------------------------------------------------------ triplet margin losses
def _triplet_ref(a, p, n, margin, pw, eps, swap, reduction):
    def dist(x, y):
        return (np.abs(x - y + eps) ** pw).sum(-1) ** (1 / pw)
    d_neg = dist(a, n)
    if swap:
        d_neg = np.minimum(d_neg, dist(p, n))
    return _reduce(np.maximum(0, margin + dist(a, p) - d_neg), reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("pw, shape", [(2, (4, 3)), (1.5, (4, 3)), (1, (5,)), (2, (0, 3))])
def test_triplet_margin_loss(reduction, swap, pw, shape):
    check_op(lambda T, a, p, n: F(T).triplet_margin_loss(a, p, n, margin=1.5, p=pw, eps=1e-3,
                                                         swap=swap, reduction=reduction),
             [shape] * 3, ref=lambda a, p, n: _triplet_ref(a, p, n, 1.5, pw, 1e-3, swap,
                                                           reduction))


def test_triplet_margin_loss_aten():
    check_op(lambda T, a, p, n: T.triplet_margin_loss(a, p, n, 0.5, 2, 1e-6, True, 1),
             [(3, 2)] * 3, ref=lambda a, p, n: _triplet_ref(a, p, n, 0.5, 2, 1e-6, True, "mean"))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss(reduction, swap):
    check_op(lambda T, a, p, n: F(T).triplet_margin_with_distance_loss(
        a, p, n, swap=swap, margin=2.0, reduction=reduction), [(4, 3)] * 3,
        ref=lambda a, p, n: _triplet_ref(a, p, n, 2.0, 2, 1e-6, swap, reduction))

    def cos_dist(T):
        return lambda x, y: 1.0 - F(T).cosine_similarity(x, y)
    check_op(lambda T, a, p, n: F(T).triplet_margin_with_distance_loss(
        a, p, n, distance_function=cos_dist(T), swap=swap, reduction=reduction), [(4, 3)] * 3)


@requires_torch
def test_triplet_errors():
    same_error(lambda T: F(T).triplet_margin_loss(T.ones(3, 2), T.ones(3, 2), T.ones(2)))
    same_error(lambda T: T.triplet_margin_loss(T.ones(3, 2), T.ones(2), T.ones(3, 2)))
    same_error(lambda T: F(T).triplet_margin_loss(T.ones(3, 2), T.ones(3, 2), T.ones(3, 2),
                                                  margin=0))
    same_error(lambda T: F(T).triplet_margin_with_distance_loss(T.ones(2), T.ones(2),
                                                                T.ones(1, 2)))
    same_error(lambda T: F(T).triplet_margin_with_distance_loss(T.ones(2), T.ones(2),
                                                                T.ones(2), margin=-1.0))
    same_error(lambda T: F(T).triplet_margin_with_distance_loss(T.ones(2), T.ones(2),
                                                                T.ones(2), reduction="x"))
    with pytest.raises(TypeError):   # keyword-only options, as PyTorch
        F(mt).triplet_margin_with_distance_loss(mt.ones(2), mt.ones(2), mt.ones(2), None)


# ------------------------------------------------------------------ multilabel_soft_margin_loss
def _mlsm_ref(x, t, w, reduction):
    ls = -np.logaddexp(0, -x)
    loss = -(t * ls + (1 - t) * -np.logaddexp(0, x))
    if w is not None:
        loss = loss * w
    return _reduce(loss.sum(-1) / x.shape[-1], reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(3, 4), (4,), (0, 2)])
def test_multilabel_soft_margin_loss(reduction, shape):
    arrays = make_arrays([shape]) + [(RNG.uniform(size=shape) < 0.5).astype(np.float64)]
    check_op(lambda T, x, t: F(T).multilabel_soft_margin_loss(x, t, reduction=reduction), None,
             arrays=arrays, ref=lambda x, t: _mlsm_ref(x, t, None, reduction))
    arrays.append(RNG.uniform(0.5, 2.0, shape[-1]))
    check_op(lambda T, x, t, w: F(T).multilabel_soft_margin_loss(x, t, w, reduction=reduction),
             None, arrays=arrays, ref=lambda x, t, w: _mlsm_ref(x, t, w, reduction),
             grad=not (0 in shape and reduction == "mean"))   # nan loss: no finite differences


@requires_torch
def test_multilabel_soft_margin_loss_errors():
    same_error(lambda T: F(T).multilabel_soft_margin_loss(T.ones(2, 3), T.ones(2, 3),
                                                          reduction="bad"))
    same_error(lambda T: F(T).multilabel_soft_margin_loss(T.ones(()), T.ones(())))
    same_error(lambda T: F(T).multilabel_soft_margin_loss(T.ones(2, 3), T.ones(2, 3) > 0))
    same_error(lambda T: F(T).multilabel_soft_margin_loss(T.ones(2, 3), T.ones(3, 3)),
               same_message=False)


# ------------------------------------------------------------------ soft_margin_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape, tshape", [((3, 4), (3, 4)), ((3, 4), (4,)), ((5,), (5,)),
                                           ((0, 3), (0, 3)), ((), ())])
def test_soft_margin_loss(reduction, shape, tshape):
    arrays = make_arrays([shape]) + [_signs(*tshape)]
    check_op(lambda T, x, t: F(T).soft_margin_loss(x, t, reduction=reduction), None,
             arrays=arrays, grad_inputs=(0,),
             ref=lambda x, t: _reduce(np.broadcast_to(np.log1p(np.exp(-x * t)), x.shape),
                                      reduction))


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_soft_margin_loss_dtypes(dtype):
    x = np.array([[0.5, -1.25, 2.0]])
    t = np.array([[1.0, -1.0, -1.0]])
    outs = [F(T).soft_margin_loss(T.tensor(x, dtype=getattr(T, dtype)), T.tensor(t).long(),
                                  reduction="none") for T in (mt, torch)]
    assert str(outs[0].dtype) == str(outs[1].dtype)
    np.testing.assert_allclose(outs[0].float().numpy(), outs[1].float().numpy(), rtol=1e-6)
    mixed = [F(T).soft_margin_loss(T.tensor(x, dtype=T.float32), T.tensor(t)) for T in (mt, torch)]
    assert str(mixed[0].dtype) == "torch.float32"
    np.testing.assert_allclose(mixed[0].numpy(), mixed[1].numpy(), rtol=1e-6)


@requires_torch
def test_soft_margin_loss_errors():
    same_error(lambda T: F(T).soft_margin_loss(T.ones(4), T.ones(3, 4)))
    same_error(lambda T: F(T).soft_margin_loss(T.ones(3, 4), T.ones(2, 4)))
    same_error(lambda T: F(T).soft_margin_loss(T.ones(3).long(), T.ones(3).long()))
    same_error(lambda T: F(T).soft_margin_loss(T.ones(3), T.ones(3, requires_grad=True)))
    same_error(lambda T: F(T).soft_margin_loss(T.ones(3), True), same_message=False)
    same_error(lambda T: F(T).soft_margin_loss(T.ones(3), T.ones(3), reduction="x"))


# ------------------------------------------------------------------ multi_margin_loss
def _mm_ref(x, y, p, margin, w, reduction, out_shape):
    x2 = x.reshape(-1, x.shape[-1] if x.ndim else 1)
    y2 = np.asarray(y).reshape(-1)
    n, c = x2.shape
    loss = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != y2[i]:
                h = max(0.0, margin - x2[i, y2[i]] + x2[i, j]) ** p
                loss[i] += h * (1.0 if w is None else w[y2[i]])
    return _reduce((loss / c).reshape(out_shape), reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss(reduction, p, weighted):
    x, = make_arrays([(4, 5)], low=-1, high=1)
    y = np.array([1, 4, 0, 1])
    arrays = [x, y] + ([RNG.uniform(0.5, 2.0, 5)] if weighted else [])

    def fn(T, x, y, *w):
        return F(T).multi_margin_loss(x, y, p=p, margin=0.8, weight=w[0] if w else None,
                                      reduction=reduction)
    check_op(fn, None, arrays=arrays, grad_inputs=(0,),
             ref=lambda x, y, *w: _mm_ref(x, y, p, 0.8, w[0] if w else None, reduction, (4,)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("xshape, y", [((5,), np.array([2])), ((5,), np.array(3)),
                                       ((), np.array(0)), ((1, 3), np.array([2])),
                                       ((0, 3), np.zeros(0, np.int64))])
def test_multi_margin_loss_shapes(reduction, xshape, y):
    if reduction != "none" and 0 in xshape:
        pytest.skip("PyTorch 2.13 returns uninitialized memory for an empty mean or sum")
    out_shape = (xshape[0],) if len(xshape) == 2 else y.shape
    check_op(lambda T, x, y: F(T).multi_margin_loss(x, y, reduction=reduction), None,
             arrays=make_arrays([xshape]) + [y], grad_inputs=(0,),
             ref=lambda x, y: _mm_ref(x, y, 1, 1.0, None, reduction, out_shape))


@requires_torch
@pytest.mark.parametrize("case", [
    dict(x=(3, 4), y=[1, 2, 4]), dict(x=(3, 4), y=[1, 2, -1]), dict(x=(3, 4), y=[1, 2]),
    dict(x=(3, 0), y=[0, 0, 0]), dict(x=(1, 3, 4), y=[0]), dict(x=(3, 4), y=[1, 2, 0], p=3),
    dict(x=(3, 4), y=[1, 2, 0], w=(3,)), dict(x=(3, 4), y=[1, 2, 0], w=(1, 4)),
    dict(x=(3, 4), y=[1, 2, 0], wdt="float32"), dict(x=(3, 4), y=[1, 2, 0], xdt="int64"),
    dict(x=(3, 4), y=[1, 2, 0], xdt="float16"), dict(x=(3, 4), y=[1.0, 2.0, 0.0]),
    dict(x=(3, 4), y=[1, 2, 0], wgrad=True)])
def test_multi_margin_loss_errors(case):
    def call(T):
        x = T.zeros(case["x"], dtype=getattr(T, case.get("xdt", "float64")))
        w = None
        if "w" in case or "wdt" in case or "wgrad" in case:
            w = T.ones(case.get("w", (4,)), dtype=getattr(T, case.get("wdt", "float64")),
                       requires_grad=case.get("wgrad", False))
        return F(T).multi_margin_loss(x, T.tensor(case["y"]), p=case.get("p", 1), weight=w)
    same_error(call, same_message="y" in case and case["x"] != (3, 4) or "p" in case
               or "wgrad" in case or "xdt" in case)


# ------------------------------------------------------------------ multilabel_margin_loss
def _mlm_ref(x, t, reduction):
    x2 = x.reshape(-1, x.shape[-1] if x.ndim else 1)
    t2 = np.asarray(t).reshape(x2.shape)
    n, c = x2.shape
    loss = np.zeros(n)
    for i in range(n):
        targets = []
        for v in t2[i]:
            if v < 0:
                break
            targets.append(v)
        for j in targets:
            for k in range(c):
                if k not in targets:
                    loss[i] += max(0.0, 1 - x2[i, j] + x2[i, k])
    loss /= c
    return _reduce(loss if x.ndim == 2 else loss[0], reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("x_shape, target", [
    ((3, 4), [[1, 2, -1, 0], [3, -1, 0, 0], [0, 1, 2, 3]]),
    ((3, 4), [[1, 1, 2, -1], [-1, 3, 3, 0], [2, 2, 2, 2]]),
    ((4,), [3, 0, -1, 1]), ((), 0), ((0, 4), np.zeros((0, 4), np.int64))])
def test_multilabel_margin_loss(reduction, x_shape, target):
    if reduction != "none" and 0 in x_shape:
        pytest.skip("PyTorch 2.13 returns uninitialized memory for an empty mean or sum")
    arrays = make_arrays([x_shape], low=-1, high=1) + [np.array(target, dtype=np.int64)]
    check_op(lambda T, x, t: F(T).multilabel_margin_loss(x, t, reduction=reduction), None,
             arrays=arrays, grad_inputs=(0,), ref=lambda x, t: _mlm_ref(x, t, reduction))


@requires_torch
@pytest.mark.parametrize("x, t", [
    ((3, 4), np.full((2, 4), -1)), ((3, 4), np.full((3, 4), 4)), ((3, 4), np.full((3, 4), -2)),
    ((3, 0), np.zeros((3, 0), np.int64)), ((1, 3, 4), np.zeros((1, 3, 4), np.int64)),
    ((3, 4), np.zeros((3, 4), np.float32)), ((3, 4), np.zeros((3, 4), np.int32))])
def test_multilabel_margin_loss_errors(x, t):
    same_error(lambda T: F(T).multilabel_margin_loss(T.zeros(x, dtype=T.float64), T.tensor(t)))
    same_error(lambda T: F(T).multilabel_margin_loss(T.zeros(3, 4).long(),
                                                      T.zeros(3, 4).long()))
    same_error(lambda T: F(T).multilabel_margin_loss(T.zeros(3, 4).half(),
                                                      T.zeros(3, 4).long()))


def test_multilabel_margin_loss_float32():
    x = make_arrays([(2, 3)], dtype=np.float32)[0]
    out = F(mt).multilabel_margin_loss(mt.tensor(x), mt.tensor([[2, -1, 0], [0, 1, -1]]))
    assert out.dtype is mt.float32
    np.testing.assert_allclose(out.item(), _mlm_ref(x.astype(np.float64),
                                                    np.array([[2, -1, 0], [0, 1, -1]]), "mean"),
                               rtol=1e-6)


def test_no_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = mt.tensor([[1000.0, -1000.0]], requires_grad=True)
        F(mt).soft_margin_loss(x, mt.tensor([[-1.0, 1.0]])).backward()
