"""Attention dropout draws as PyTorch 2.13's CPU math path does (issue 13): under the same seed,
F.scaled_dot_product_attention(dropout_p > 0), nn.MultiheadAttention and
nn.TransformerEncoderLayer in training mode drop the same attention weights as PyTorch, leave
the generator where PyTorch leaves it, and give PyTorch's outputs and gradients to float
rounding (not to the bit: the two libraries' matmul and softmax kernels round differently)."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")

TOL = {"float64": dict(rtol=1e-11, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-5)}


def _pair(shape, dtype: str, seed: int, requires_grad=True):
    """The same random tensor in torch and here (drawn by a private torch generator)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=getattr(torch, dtype))
    m = mt.tensor(x.numpy())
    return x.requires_grad_(requires_grad), m.requires_grad_(requires_grad)


def _next_draws_equal():
    """The default generators' next numbers are equal: both are in the same state."""
    return torch.rand(4, dtype=torch.float64).tolist() == mt.rand(4, dtype=mt.float64).tolist()


def _close(a, b, dtype):
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), **TOL[dtype])


def _mask(kind: str, shape, dtype: str, seed: int):
    """(torch mask, our mask, is_causal) for kind none / causal / bool / float."""
    if kind == "none" or kind == "causal":
        return None, None, kind == "causal"
    g = torch.Generator().manual_seed(seed)
    if kind == "bool":
        t = torch.rand(shape, generator=g) > 0.3
    else:
        t = torch.randn(shape, generator=g, dtype=getattr(torch, dtype))
    return t, mt.tensor(t.numpy()), False


# (q shape, k shape, mask shape): 4-D, 3-D, batch dims that broadcast
SHAPES = [((2, 3, 4, 8), (2, 3, 6, 8), (4, 6)),
          ((3, 5, 4), (3, 7, 4), (3, 5, 7)),
          ((2, 1, 3, 4), (1, 2, 5, 4), (2, 1, 3, 5))]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["none", "causal", "bool", "float"])
def test_sdpa_dropout_mask_and_state_equal_pytorch(dtype, kind):
    """v = identity makes the output the dropped weights themselves: the zeros (dropped or
    masked weights) are PyTorch's exactly, the kept values equal to float rounding."""
    for seed, ((qs, ks, ms), p) in enumerate(zip(SHAPES * 2, [0.2, 0.5, 0.9, 0.3, 0.7, 0.1])):
        tq, mq = _pair(qs, dtype, 10 + seed, requires_grad=False)
        tk, mk = _pair(ks, dtype, 20 + seed, requires_grad=False)
        eye = torch.eye(ks[-2], dtype=getattr(torch, dtype)).expand(ks[:-1] + (ks[-2],))
        tm, mm, causal = _mask(kind, ms, dtype, 30 + seed)
        torch.manual_seed(seed)
        mt.manual_seed(seed)
        out_t = torch.nn.functional.scaled_dot_product_attention(
            tq, tk, eye, attn_mask=tm, dropout_p=p, is_causal=causal)
        out_m = mt.nn.functional.scaled_dot_product_attention(
            mq, mk, mt.tensor(eye.numpy()), attn_mask=mm, dropout_p=p, is_causal=causal)
        np.testing.assert_array_equal(out_m.numpy() == 0, out_t.numpy() == 0)
        _close(out_t, out_m, dtype)
        assert _next_draws_equal()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["none", "causal", "float"])
def test_sdpa_dropout_outputs_and_gradients_equal_pytorch(dtype, kind):
    for seed, (qs, ks, ms) in enumerate(SHAPES):
        tq, mq = _pair(qs, dtype, 40 + seed)
        tk, mk = _pair(ks, dtype, 50 + seed)
        tv, mv = _pair(ks[:-1] + (6,), dtype, 60 + seed)
        tm, mm, causal = _mask(kind, ms, dtype, 70 + seed)
        if tm is not None and kind == "float":
            tm.requires_grad_()
            mm.requires_grad_()
        torch.manual_seed(seed)
        mt.manual_seed(seed)
        out_t = torch.nn.functional.scaled_dot_product_attention(
            tq, tk, tv, attn_mask=tm, dropout_p=0.4, is_causal=causal, scale=0.7 - seed * 0.6)
        out_m = mt.nn.functional.scaled_dot_product_attention(
            mq, mk, mv, attn_mask=mm, dropout_p=0.4, is_causal=causal, scale=0.7 - seed * 0.6)
        _close(out_t, out_m, dtype)
        assert _next_draws_equal()
        g_t, g_m = _pair(tuple(out_t.shape), dtype, 80 + seed, requires_grad=False)
        out_t.backward(g_t)
        out_m.backward(g_m)
        for a, b in [(tq, mq), (tk, mk), (tv, mv)] + ([(tm, mm)] if kind == "float" else []):
            _close(a.grad, b.grad, dtype)


def test_sdpa_dropout_p_one_zeroes_without_drawing():
    tq, mq = _pair((2, 3, 4), "float32", 1, requires_grad=False)
    torch.manual_seed(3)
    mt.manual_seed(3)
    out_t = torch.nn.functional.scaled_dot_product_attention(tq, tq, tq, dropout_p=1.0)
    out_m = mt.nn.functional.scaled_dot_product_attention(mq, mq, mq, dropout_p=1.0)
    assert not out_t.any() and not out_m.numpy().any()
    assert _next_draws_equal()


def _modules(T, dtype):
    T.manual_seed(0)   # PyTorch's default initialisation: the same weights in both
    mha = T.nn.MultiheadAttention(8, 2, dropout=0.4).to(getattr(T, dtype))
    layer = T.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3).to(getattr(T, dtype))
    return mha, layer


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_multihead_attention_and_encoder_layer_training_equal_pytorch(dtype):
    (t_mha, t_layer), (m_mha, m_layer) = _modules(torch, dtype), _modules(mt, dtype)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=getattr(torch, dtype))
    calls = [
        lambda T, m, l, x, c: m(x, x, x)[0],                        # weights returned: F.dropout
        lambda T, m, l, x, c: m(x, x, x, need_weights=False)[0],    # scaled_dot_product_attention
        lambda T, m, l, x, c: l(x),
        lambda T, m, l, x, c: l(x, src_mask=c, is_causal=True),
    ]
    for seed, call in enumerate(calls):
        tx, mx = _pair((5, 3, 8), dtype, 90 + seed)
        torch.manual_seed(seed)
        mt.manual_seed(seed)
        out_t = call(torch, t_mha, t_layer, tx, causal)
        out_m = call(mt, m_mha, m_layer, mx, mt.tensor(causal.numpy()))
        np.testing.assert_array_equal(out_m.detach().numpy() == 0, out_t.detach().numpy() == 0)
        _close(out_t, out_m, dtype)
        assert _next_draws_equal()
        out_t.square().sum().backward()
        out_m.square().sum().backward()
        _close(tx.grad, mx.grad, dtype)
    for module_t, module_m in [(t_mha, m_mha), (t_layer, m_layer)]:
        for (name, a), b in zip(module_t.named_parameters(), module_m.parameters()):
            _close(a.grad, b.grad, dtype)


@pytest.mark.cuda
def test_sdpa_dropout_on_the_gpu_draws_from_the_gpu_generator():
    """A GPU draws the mask the same way from its own generator (seeded by manual_seed),
    leaving the CPU stream where it was."""
    q, k = mt.randn(2, 3, 4, 8), mt.randn(2, 3, 6, 8)
    v = mt.eye(6).expand(2, 3, 6, 6)
    mt.manual_seed(4)
    cpu = mt.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    mt.manual_seed(4)
    gpu = mt.nn.functional.scaled_dot_product_attention(q.cuda(), k.cuda(), v.cuda(),
                                                        dropout_p=0.5)
    assert gpu.device.type == "cuda"
    np.testing.assert_array_equal(gpu.cpu().numpy() == 0, cpu.numpy() == 0)
    np.testing.assert_allclose(gpu.cpu().numpy(), cpu.numpy(), rtol=1e-5, atol=1e-6)
    torch.manual_seed(4)
    assert _next_draws_equal()
