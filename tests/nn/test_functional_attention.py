"""nn.functional.scaled_dot_product_attention: masks, causal, scale, dropout, GQA."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch_nn as mt
from functional_util import F, compare_paths, contiguous
from op_harness import check_op


def _np_attention(q, k, v, mask=None, scale=None):
    s = q @ np.swapaxes(k, -1, -2) * (scale or 1 / math.sqrt(q.shape[-1]))
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ v


SHAPES = [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6)]


def test_plain_attention():
    check_op(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v), SHAPES,
             ref=_np_attention)
    check_op(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v, scale=0.3), None,
             arrays=contiguous(*SHAPES), ref=lambda q, k, v: _np_attention(q, k, v, scale=0.3))


def test_bool_mask_and_fully_masked_rows():
    mask = np.random.default_rng(1).random((3, 5)) > 0.4
    mask[0] = False   # a fully masked row gives zeros (PyTorch's safe softmax)
    out = check_op(lambda T, q, k, v: F(T).scaled_dot_product_attention(
        q, k, v, attn_mask=T.from_numpy(mask.copy()).to(q.device)), SHAPES)
    assert np.all(out[0].detach().numpy()[:, :, 0] == 0)


def test_float_mask_gets_gradient():
    check_op(lambda T, q, k, v, m: F(T).scaled_dot_product_attention(q, k, v, attn_mask=m),
             SHAPES + [(2, 1, 3, 5)], ref=lambda q, k, v, m: _np_attention(q, k, v, m))


@pytest.mark.parametrize("lengths", [(3, 5), (5, 3), (4, 4)])
def test_causal(lengths):
    L, S = lengths
    shapes = [(1, 2, L, 4), (1, 2, S, 4), (1, 2, S, 3)]
    causal = np.tril(np.ones((L, S), dtype=bool))
    check_op(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v, is_causal=True),
             shapes, ref=lambda q, k, v: np.nan_to_num(_np_attention(q, k, v, causal)))


def test_broadcast_batch_unbatched_and_gqa():
    check_op(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v),
             [(2, 1, 3, 4), (3, 5, 4), (3, 5, 6)])
    check_op(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v),
             [(3, 4), (5, 4), (5, 6)])
    check_op(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v, enable_gqa=True),
             [(1, 4, 3, 4), (1, 2, 5, 4), (1, 2, 5, 6)])


def test_dropout_is_seeded_and_scaled():
    q, k, v = (mt.from_numpy(a) for a in contiguous(*SHAPES))
    mt.manual_seed(5)
    a = F(mt).scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    mt.manual_seed(5)
    b = F(mt).scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    c = F(mt).scaled_dot_product_attention(q, k, v)
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()
    ones = mt.ones(1, 1, 4000, 1)
    out = F(mt).scaled_dot_product_attention(mt.zeros(1, 1, 1, 1), mt.zeros(1, 1, 4000, 1),
                                             ones, dropout_p=0.25)
    assert out.item() == pytest.approx(1.0, abs=0.05)   # E[dropout(p) * v] == mean(v)


def test_dropout_gradient_uses_the_same_mask():
    q, k, v = (mt.from_numpy(a).requires_grad_() for a in contiguous(*SHAPES))
    mt.manual_seed(0)
    out = F(mt).scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    g = mt.from_numpy(contiguous(tuple(out.shape), seed=9)[0])
    out.backward(g)
    # out is linear in v: <out, g> must equal <v, grad_v>
    assert (out * g).sum().item() == pytest.approx((v * v.grad).sum().item())


def test_kernel_and_numpy_paths_agree():
    compare_paths(lambda q, k, v: F(mt).scaled_dot_product_attention(q, k, v, is_causal=True),
                  contiguous(*SHAPES), grad_inputs=(0, 1, 2))


@pytest.mark.parametrize("lengths", [(3, 5), (5, 3), (20, 20), (17, 40)])
@pytest.mark.parametrize("causal", [False, True])
def test_fused_rows_agree_with_the_math_path(lengths, causal):
    """The attention softmax kernels (no mask or is_causal, no dropout; rows shorter and
    longer than a SIMD vector, masked tails) against the math path, forward and gradients."""
    L, S = lengths
    arrays = contiguous((2, 2, L, 4), (2, 2, S, 4), (2, 2, S, 3), seed=L + S)
    compare_paths(lambda q, k, v: F(mt).scaled_dot_product_attention(q, k, v, is_causal=causal),
                  arrays, grad_inputs=(0, 1, 2))
    compare_paths(lambda q, k, v: F(mt).scaled_dot_product_attention(
        q, k, v, is_causal=causal, scale=-0.7), arrays, grad_inputs=(0, 1, 2))


def _fused_calls(monkeypatch):
    """Count the calls of the attention softmax kernels made through ops/attention.py."""
    import minitorch_nn.ops.attention as attention
    calls = []
    real = attention.kernel_for

    def spy(array, family, name):
        fn = real(array, family, name)
        if family != "attention" or fn is None:
            return fn
        return lambda *args: (calls.append(name), fn(*args))
    monkeypatch.setattr(attention, "kernel_for", spy)
    return calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_rows_are_used_without_mask_arrays(monkeypatch, dtype):
    calls = _fused_calls(monkeypatch)
    q, k, v = (mt.from_numpy(a).requires_grad_() for a in contiguous(*SHAPES, dtype=dtype))
    F(mt).scaled_dot_product_attention(q, k, v, is_causal=True).sum().backward()
    F(mt).scaled_dot_product_attention(q, k, v).sum().backward()
    assert calls == ["attention_softmax_fwd", "attention_softmax_bwd"] * 2
    calls.clear()   # a mask array or dropout takes the math path
    F(mt).scaled_dot_product_attention(q, k, v, attn_mask=mt.ones(3, 5, dtype=mt.bool))
    F(mt).scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert calls == []


def test_fused_rows_of_minus_inf_scores_give_zeros():
    """Scores that are -inf for every visible key give zero weights on both paths (the math
    path's safe softmax)."""
    q, k, v = contiguous((1, 1, 3, 2), (1, 1, 4, 2), (1, 1, 4, 2), seed=3)
    q[0, 0, 1] = np.inf
    k[..., 0], k[..., 1] = -1.0, -1.0   # row 1: (inf, inf) . (-1, -1) = -inf for every key
    for causal in (False, True):
        out = F(mt).scaled_dot_product_attention(*(mt.from_numpy(a) for a in (q, k, v)),
                                                 is_causal=causal).numpy()
        assert np.all(out[0, 0, 1] == 0) and np.isfinite(out).all()
    compare_paths(lambda q, k, v: F(mt).scaled_dot_product_attention(q, k, v, is_causal=True),
                  [q, k, v], grad_inputs=(2,))


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("lengths", [(3, 0), (0, 3)])
def test_no_query_or_no_key(causal, lengths):
    """Empty query or key sequences (where the fused rows do not apply) against PyTorch:
    shapes, values and gradients."""
    L, S = lengths
    check_op(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v, is_causal=causal),
             [(1, 2, L, 4), (1, 2, S, 4), (1, 2, S, 5)])


def test_fused_rows_differentiate_twice():
    """Double backward through the fused path (grad_formula recomputes the weights)."""
    q, k, v = (mt.from_numpy(a).requires_grad_()
               for a in contiguous((1, 2, 4, 3), (1, 2, 5, 3), (1, 2, 5, 2), seed=4))
    for causal in (False, True):
        assert mt.autograd.gradgradcheck(
            lambda q, k, v: F(mt).scaled_dot_product_attention(q, k, v, is_causal=causal),
            (q, k, v))


def test_half_precision():
    arrays = contiguous(*SHAPES, dtype=np.float16)
    check_op(lambda T, q, k, v: F(T).scaled_dot_product_attention(q, k, v), None, arrays=arrays,
             grad=False, atol=3e-3, rtol=3e-3)


def test_attention_errors():
    q, k, v = mt.randn(1, 2, 3, 4), mt.randn(1, 2, 5, 4), mt.randn(1, 2, 5, 6)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when "
                                           "is_causal=True"):
        F(mt).scaled_dot_product_attention(q, k, v, attn_mask=mt.ones(3, 5, dtype=mt.bool),
                                           is_causal=True)
    with pytest.raises(RuntimeError, match="Expected query, key, and value to have the same "
                                           "dtype"):
        F(mt).scaled_dot_product_attention(q, k.double(), v)
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float"):
        F(mt).scaled_dot_product_attention(q, k, v, attn_mask=mt.zeros(3, 5, dtype=mt.int64))
    with pytest.raises(RuntimeError, match="Expected size for first two dimensions of batch2"):
        F(mt).scaled_dot_product_attention(q, k[..., :3], v)
