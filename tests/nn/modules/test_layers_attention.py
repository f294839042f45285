"""MultiheadAttention against PyTorch: self/cross attention, batch_first, masks (bool and
float, key padding, causal), need_weights / average_attn_weights, kdim/vdim, bias_kv,
zero attention, unbatched input; state_dict keys, repr, init and errors."""
from __future__ import annotations

import re

import numpy as np
import pytest

from layer_harness import check_layer, mt, np_of, to_mt_state, torch

RNG = np.random.default_rng(7)
L, S, N, E = 3, 4, 2, 6


def _x(*shape):
    return RNG.standard_normal(shape)


def _wrap(T, mha, mode, kwargs_of):
    """A module calling `mha` in self- or cross-attention style with mask kwargs built by
    `kwargs_of(T)`, so check_layer can compare gradients of the inputs."""
    class Wrap(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = mha

        def forward(self, *xs):
            kw = kwargs_of(T)
            if mode == "self":
                return self.mha(xs[0], xs[0], xs[0], **kw)
            if mode == "kv":
                return self.mha(xs[0], xs[1], xs[1], **kw)
            return self.mha(*xs, **kw)
    return Wrap()


def _check(make_mha, mode, inputs, kwargs_of=lambda T: {}, train=True):
    return check_layer(lambda T: _wrap(T, make_mha(T), mode, kwargs_of), inputs,
                       check_repr=False, train=train)


def _inputs(mode, batch_first=False, kdim=E, vdim=E, batched=True):
    def shape(length, dim):
        if not batched:
            return (length, dim)
        return (N, length, dim) if batch_first else (length, N, dim)
    if mode == "self":
        return [_x(*shape(L, E))]
    if mode == "kv":
        return [_x(*shape(L, E)), _x(*shape(S, E))]
    return [_x(*shape(L, E)), _x(*shape(S, kdim)), _x(*shape(S, vdim))]


@pytest.mark.parametrize("mode", ["self", "kv", "qkv"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False), (False, True)])
def test_matches_torch(mode, batch_first, need_weights, average):
    _check(lambda T: T.nn.MultiheadAttention(E, 2, batch_first=batch_first), mode,
           _inputs(mode, batch_first),
           lambda T: dict(need_weights=need_weights, average_attn_weights=average))


@pytest.mark.parametrize("kw", [dict(bias=False), dict(add_bias_kv=True),
                                dict(add_zero_attn=True),
                                dict(add_bias_kv=True, add_zero_attn=True, num_heads=3)])
@pytest.mark.parametrize("need_weights", [True, False])
def test_options(kw, need_weights):
    kw = dict(kw)
    heads = kw.pop("num_heads", 2)
    _check(lambda T: T.nn.MultiheadAttention(E, heads, **kw), "qkv", _inputs("qkv"),
           lambda T: dict(need_weights=need_weights))


@pytest.mark.parametrize("need_weights", [True, False])
def test_kdim_vdim(need_weights):
    _check(lambda T: T.nn.MultiheadAttention(E, 3, kdim=4, vdim=5, batch_first=True), "qkv",
           _inputs("qkv", True, kdim=4, vdim=5), lambda T: dict(need_weights=need_weights))


def _bool_attn_mask(T):
    m = np.triu(np.ones((L, S), dtype=bool), k=1)
    return T.tensor(m)


_FLOAT_MASK = np.random.default_rng(8).standard_normal((L, S))
_PAD = np.array([[False, False, True, True], [False, False, False, True]])
_MASK3 = np.random.default_rng(9).standard_normal((N * 2, L, S))


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("masks", [
    lambda T: dict(attn_mask=_bool_attn_mask(T)),
    lambda T: dict(attn_mask=T.tensor(_FLOAT_MASK)),
    lambda T: dict(attn_mask=T.tensor(_MASK3)),
    lambda T: dict(key_padding_mask=T.tensor(_PAD)),
    lambda T: dict(key_padding_mask=T.tensor(np.where(_PAD, -1e9, 0.0))),
    lambda T: dict(key_padding_mask=T.tensor(_PAD), attn_mask=_bool_attn_mask(T)),
])
def test_masks(masks, need_weights):
    _check(lambda T: T.nn.MultiheadAttention(E, 2), "kv", _inputs("kv"),
           lambda T: dict(need_weights=need_weights, **masks(T)))


@pytest.mark.parametrize("need_weights", [True, False])
def test_causal_hint(need_weights):
    causal = np.triu(np.full((L, L), -np.inf), k=1)
    _check(lambda T: T.nn.MultiheadAttention(E, 2, batch_first=True), "self",
           _inputs("self", True),
           lambda T: dict(attn_mask=T.tensor(causal), is_causal=True,
                          need_weights=need_weights))


@pytest.mark.parametrize("mode", ["self", "qkv"])
def test_unbatched(mode):
    _check(lambda T: T.nn.MultiheadAttention(E, 2, batch_first=True), mode,
           _inputs(mode, batched=False))
    _check(lambda T: T.nn.MultiheadAttention(E, 2), "qkv", _inputs("qkv", batched=False),
           lambda T: dict(key_padding_mask=T.tensor(_PAD[0]), average_attn_weights=False))


def test_eval_mode_matches_torch_fast_path():
    """PyTorch takes its fused fast path in eval mode under no_grad: same numbers."""
    th = torch.nn.MultiheadAttention(E, 2, batch_first=True).eval()
    ours = mt.nn.MultiheadAttention(E, 2, batch_first=True).eval()
    ours.load_state_dict(to_mt_state(th))
    x = _x(N, L, E).astype(np.float32)
    with torch.no_grad():
        ref, ref_w = th(*(torch.tensor(x),) * 3)
    with mt.no_grad():
        t = mt.tensor(x)
        out, w = ours(t, t, t)
    np.testing.assert_allclose(np_of(out), np_of(ref), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np_of(w), np_of(ref_w), rtol=1e-5, atol=1e-6)


def test_dropout_only_in_training():
    m = mt.nn.MultiheadAttention(E, 2, dropout=0.5)
    x = mt.tensor(_x(L, N, E).astype(np.float32))
    a, b = m(x, x, x)[1], m(x, x, x)[1]
    assert not np.allclose(np_of(a), np_of(b))
    m.eval()
    np.testing.assert_array_equal(np_of(m(x, x, x)[1]), np_of(m(x, x, x)[1]))


@pytest.mark.parametrize("kw", [{}, dict(bias=False), dict(kdim=3, vdim=5),
                                dict(add_bias_kv=True, bias=False)])
def test_state_dict_keys_repr_and_init(kw):
    ours, ref = mt.nn.MultiheadAttention(E, 2, **kw), torch.nn.MultiheadAttention(E, 2, **kw)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for name, p in ref.named_parameters():
        assert tuple(dict(ours.named_parameters())[name].shape) == tuple(p.shape)
    if ours.in_proj_bias is not None:
        assert np.all(np_of(ours.in_proj_bias) == 0) and np.all(np_of(ours.out_proj.bias) == 0)
    w = ours.in_proj_weight if ours.in_proj_weight is not None else ours.q_proj_weight
    fan_in, fan_out = w.shape[1], w.shape[0]
    bound = np.sqrt(6 / (fan_in + fan_out))   # xavier_uniform
    assert np.abs(np_of(w)).max() <= bound
    assert ours.head_dim == ref.head_dim and ours._qkv_same_embed_dim == ref._qkv_same_embed_dim


def test_merge_masks():
    for T in (torch, mt):
        m = T.nn.MultiheadAttention(4, 2, batch_first=True)
        q = T.zeros(2, 3, 4)
        am = T.zeros(3, 3)
        kpm = T.ones(2, 3)
        merged, kind = m.merge_masks(am, kpm, q)
        assert kind == 2 and tuple(merged.shape) == (2, 2, 3, 3)
        assert m.merge_masks(None, None, q) == (None, None)


@pytest.mark.parametrize("call, exc, message", [
    (lambda T: T.nn.MultiheadAttention(6, 4), AssertionError,
     "embed_dim must be divisible by num_heads"),
    (lambda T: T.nn.MultiheadAttention(0, 2), ValueError,
     "embed_dim and num_heads must be greater than 0, got embed_dim=0 and num_heads=2 instead"),
    (lambda T: T.nn.MultiheadAttention(4, 2)(T.zeros(3, 2, 4), T.zeros(3, 4), T.zeros(3, 4)),
     AssertionError, "For batched (3-D) `query`, expected `key` and `value` to be 3-D but "
                     "found 2-D and 2-D tensors respectively"),
    (lambda T: T.nn.MultiheadAttention(4, 2)(T.zeros(3, 2, 5), T.zeros(3, 2, 5),
                                             T.zeros(3, 2, 5)),
     AssertionError, "was expecting embedding dimension of 4, but got 5"),
    (lambda T: T.nn.MultiheadAttention(4, 2)(T.zeros(3, 2, 4), T.zeros(3, 2, 4),
                                             T.zeros(3, 2, 4), attn_mask=T.zeros(2, 2)),
     RuntimeError, "The shape of the 2D attn_mask is torch.Size([2, 2]), but should be "
                   "(3, 3)."),
    (lambda T: T.nn.MultiheadAttention(4, 2)(T.zeros(3, 2, 4), T.zeros(3, 2, 4),
                                             T.zeros(3, 2, 4),
                                             key_padding_mask=T.zeros(2, 3, dtype=T.int64)),
     AssertionError, "only bool and floating types of key_padding_mask are supported"),
    (lambda T: T.nn.MultiheadAttention(4, 2)(T.zeros(3, 2, 4), T.zeros(3, 2, 4),
                                             T.zeros(3, 2, 4), is_causal=True),
     RuntimeError, "Need attn_mask if specifying the is_causal hint."),
    (lambda T: T.nn.MultiheadAttention(4, 2)(T.zeros(3, 2, 4), T.zeros(3, 2, 4),
                                             T.zeros(3, 2, 4),
                                             key_padding_mask=T.zeros(2, 5, dtype=T.bool)),
     AssertionError, "Expected key_padded_mask.shape[1] to be 3, but got 5"),
])
def test_errors(call, exc, message):
    for T in (torch, mt):
        with pytest.raises(exc, match=re.escape(message)):
            call(T)


def test_mismatched_mask_types_warn():
    for T in (torch, mt):
        m = T.nn.MultiheadAttention(4, 2)
        x = T.zeros(3, 2, 4)
        with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and "
                                             "attn_mask is deprecated"):
            m(x, x, x, key_padding_mask=T.zeros(2, 3, dtype=T.bool), attn_mask=T.zeros(3, 3))
