"""nn.utils gradient clipping and parameter/vector conversion, against PyTorch."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.nn import utils as mt_utils

torch = pytest.importorskip("torch")

BOTH = pytest.mark.parametrize("T", [mt, torch], ids=["minitorch_nn", "torch"])
_rng = np.random.default_rng(7)
VALUES = [_rng.standard_normal((3, 4)), _rng.standard_normal(5), _rng.standard_normal((2,))]
GRADS = [_rng.standard_normal((3, 4)) * 3, _rng.standard_normal(5), None]


def params_with_grads(T, dtype="float64", grads=GRADS):
    """Parameters (the last one without a gradient) with fixed gradients."""
    out = []
    for value, grad in zip(VALUES, grads):
        p = T.tensor(value, dtype=getattr(T, dtype), requires_grad=True)
        if grad is not None:
            p.grad = T.tensor(grad, dtype=getattr(T, dtype))
        out.append(p)
    return out


def grads_of(params):
    return [None if p.grad is None else p.grad.detach().double().numpy().copy()
            for p in params]


@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 0.5, 3.0, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm, dtype):
    norm_type = float(norm_type)
    ours = params_with_grads(mt, dtype)
    theirs = params_with_grads(torch, dtype)
    total_ours = mt_utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    total_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    tol = 1e-12 if dtype == "float64" else 1e-5
    assert isinstance(total_ours, mt.Tensor) and total_ours.dim() == 0
    assert total_ours.dtype is getattr(mt, dtype)
    np.testing.assert_allclose(total_ours.item(), total_theirs.item(), rtol=tol)
    for a, b in zip(grads_of(ours), grads_of(theirs)):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    if max_norm > 1e5:   # nothing to clip: gradients keep their values
        np.testing.assert_allclose(grads_of(ours)[0], GRADS[0], rtol=tol)


def test_clipped_gradients_have_the_requested_norm():
    params = params_with_grads(mt)
    before = mt_utils.clip_grad_norm_(params, 2.0)
    assert before.item() > 2.0
    after = mt_utils.get_total_norm([p.grad for p in params if p.grad is not None])
    assert after.item() == pytest.approx(2.0, rel=1e-6)


@BOTH
def test_single_tensor_and_no_gradients(T):
    p = T.tensor([3.0, 4.0], requires_grad=True)
    p.grad = T.tensor([3.0, 4.0])
    total = T.nn.utils.clip_grad_norm_(p, 1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-6)
    q = T.zeros(2, requires_grad=True)
    total = T.nn.utils.clip_grad_norm_([q], 1.0)
    assert total.item() == 0.0 and q.grad is None


@BOTH
def test_nonfinite_norm_raises_only_when_asked(T):
    p = T.tensor([1.0, 2.0], requires_grad=True)
    p.grad = T.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        T.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    total = T.nn.utils.clip_grad_norm_([p], 1.0)
    assert math.isnan(total.item())


@BOTH
def test_empty_generator_warns(T):
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        T.nn.utils.clip_grad_norm_((p for p in []), 1.0)


@BOTH
@pytest.mark.parametrize("foreach", [None, False, True])
def test_foreach_flag_gives_the_same_result(T, foreach):
    p = T.tensor([1.0, 1.0], requires_grad=True)
    p.grad = T.tensor([1.0, 1.0])
    total = T.nn.utils.clip_grad_norm_([p], 1.0, foreach=foreach)
    assert total.item() == pytest.approx(math.sqrt(2))
    np.testing.assert_allclose(p.grad.numpy(), [0.5 ** 0.5] * 2, rtol=1e-5)
    T.nn.utils.clip_grad_value_([p], 0.1, foreach=foreach)
    np.testing.assert_allclose(p.grad.numpy(), [0.1, 0.1], rtol=1e-6)


def test_mixed_dtypes_promote_like_pytorch():
    def build(T):
        a = T.tensor([3.0], dtype=T.float32, requires_grad=True)
        b = T.tensor([4.0], dtype=T.float64, requires_grad=True)
        a.grad, b.grad = T.tensor([3.0], dtype=T.float32), T.tensor([4.0], dtype=T.float64)
        return T.nn.utils.clip_grad_norm_([a, b], 1.0), a, b
    (ours, a, b), (theirs, ta, tb) = build(mt), build(torch)
    assert str(ours.dtype) == str(theirs.dtype)
    assert a.grad.dtype is mt.float32 and b.grad.dtype is mt.float64
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)


def test_clip_grad_norm_records_no_graph():
    params = params_with_grads(mt)
    total = mt_utils.clip_grad_norm_(params, 0.5)
    assert total.grad_fn is None and not total.requires_grad
    assert all(p.grad is None or p.grad.grad_fn is None for p in params)


def test_deprecated_clip_grad_norm_warns_and_clips():
    params = params_with_grads(mt)
    with pytest.warns(FutureWarning, match="deprecated"):
        total = mt_utils.clip_grad_norm(params, 0.5)
    assert total.item() > 0.5


@pytest.mark.parametrize("clip_value", [0.1, 1, 2.5])
def test_clip_grad_value_matches_pytorch(clip_value):
    ours, theirs = params_with_grads(mt), params_with_grads(torch)
    assert mt_utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for a, b in zip(grads_of(ours), grads_of(theirs)):
        if b is None:
            assert a is None
        else:
            np.testing.assert_array_equal(a, b)
            assert np.abs(a).max() <= clip_value


def test_clip_grad_value_accepts_a_single_tensor():
    p = mt.tensor([1.0, -1.0], requires_grad=True)
    p.grad = mt.tensor([5.0, -0.5])
    mt_utils.clip_grad_value_(p, 1.0)
    np.testing.assert_array_equal(p.grad.numpy(), [1.0, -0.5])


@BOTH
def test_parameters_to_vector_and_back(T):
    a = T.tensor(VALUES[0], requires_grad=True)
    b = T.tensor(VALUES[1], requires_grad=True)
    vec = T.nn.utils.parameters_to_vector([a, b])
    assert tuple(vec.shape) == (17,)
    assert type(vec.grad_fn).__name__ == "CatBackward0"
    np.testing.assert_array_equal(vec.detach().numpy(),
                                  np.concatenate([VALUES[0].ravel(), VALUES[1]]))
    (vec * T.arange(17.0, dtype=vec.dtype)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy().ravel(), np.arange(12.0))
    new = T.arange(17.0, dtype=T.float64)
    T.nn.utils.vector_to_parameters(new, [a, b])
    assert a.requires_grad and tuple(a.shape) == (3, 4)
    np.testing.assert_array_equal(b.detach().numpy(), np.arange(12.0, 17.0))


@BOTH
def test_vector_to_parameters_rejects_non_tensors(T):
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        T.nn.utils.vector_to_parameters([1.0, 2.0], [T.zeros(2)])


def test_clip_then_step_with_an_optimizer():
    p = mt.tensor([3.0, 4.0], requires_grad=True)
    opt = mt.optim.SGD([p], lr=1.0)
    (p * p).sum().backward()
    mt_utils.clip_grad_norm_([p], 1.0)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(p.detach().numpy(), [2.4, 3.2], rtol=1e-5)
