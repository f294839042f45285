"""TransformerEncoderLayer / TransformerEncoder against PyTorch (training mode with dropout 0,
so the slow paths of both libraries are compared), masks, causal detection, repr, keys."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from layer_harness import check_layer, mt, np_of, to_mt_state, torch

RNG = np.random.default_rng(10)
S, N, E = 4, 2, 8


def _x(*shape):
    return RNG.standard_normal(shape)


def _layer(T, **kw):
    kw.setdefault("dropout", 0.0)
    return T.nn.TransformerEncoderLayer(E, 2, dim_feedforward=12, **kw)


@pytest.mark.parametrize("kw", [{}, dict(batch_first=True), dict(norm_first=True),
                                dict(activation="gelu"), dict(bias=False),
                                dict(activation=lambda x: x.tanh(), layer_norm_eps=1e-3)])
def test_encoder_layer_matches_torch(kw):
    shape = (N, S, E) if kw.get("batch_first") else (S, N, E)
    check_layer(lambda T: _layer(T, **kw), [_x(*shape)])


def test_encoder_layer_unbatched():
    check_layer(lambda T: _layer(T), [_x(S, E)])


_PAD = np.array([[False, False, False, True], [False, True, True, True]])


@pytest.mark.parametrize("masks", [
    lambda T: dict(src_mask=T.nn.Transformer.generate_square_subsequent_mask(S),
                   is_causal=True),
    lambda T: dict(src_key_padding_mask=T.tensor(_PAD)),
    lambda T: dict(src_mask=T.tensor(np.triu(np.ones((S, S), bool), 1)),
                   src_key_padding_mask=T.tensor(_PAD)),
])
def test_encoder_layer_masks(masks):
    def make(T):
        layer = _layer(T, batch_first=True)

        class Wrap(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.layer = layer

            def forward(self, x):
                return self.layer(x, **masks(T))
        return Wrap()
    check_layer(make, [_x(N, S, E)], check_repr=False)


@pytest.mark.parametrize("kw, call", [
    (dict(num_layers=2), {}),
    (dict(num_layers=3, norm="ln"), {}),
    (dict(num_layers=2), dict(mask="causal")),
    (dict(num_layers=2), dict(mask="causal", is_causal=True)),
])
def test_encoder_matches_torch(kw, call):
    def make(T):
        kwargs = dict(kw)
        if kwargs.get("norm") == "ln":
            kwargs["norm"] = T.nn.LayerNorm(E)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            enc = T.nn.TransformerEncoder(_layer(T), enable_nested_tensor=False, **kwargs)

        class Wrap(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.enc = enc

            def forward(self, x):
                args = dict(call)
                if args.get("mask") == "causal":
                    args["mask"] = T.nn.Transformer.generate_square_subsequent_mask(S)
                return self.enc(x, **args)
        return Wrap()
    check_layer(make, [_x(S, N, E)], check_repr=False)


def test_encoder_layers_are_independent_copies():
    enc = mt.nn.TransformerEncoder(_layer(mt, batch_first=True), 2)
    a, b = enc.layers[0].linear1.weight, enc.layers[1].linear1.weight
    assert a is not b and np.array_equal(np_of(a), np_of(b))


def test_repr_and_state_dict_keys():
    for kw in ({}, dict(norm_first=True, bias=False, activation="gelu")):
        ours, ref = _layer(mt, **kw), _layer(torch, **kw)
        assert repr(ours) == repr(ref)
        assert list(ours.state_dict()) == list(ref.state_dict())
        assert ours.activation_relu_or_gelu == ref.activation_relu_or_gelu
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = mt.nn.TransformerEncoder(_layer(mt), 2, norm=mt.nn.LayerNorm(E))
        ref = torch.nn.TransformerEncoder(_layer(torch), 2, norm=torch.nn.LayerNorm(E))
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict(to_mt_state(ref))


def test_nested_tensor_warning_like_torch():
    for T in (torch, mt):
        with pytest.warns(UserWarning, match=re.escape(
                "enable_nested_tensor is True, but self.use_nested_tensor is False because "
                "encoder_layer.self_attn.batch_first was not True")):
            enc = T.nn.TransformerEncoder(_layer(T), 1)
        assert enc.use_nested_tensor is False


def test_square_subsequent_mask():
    ours = np_of(mt.nn.Transformer.generate_square_subsequent_mask(4))
    ref = np_of(torch.nn.Transformer.generate_square_subsequent_mask(4))
    np.testing.assert_array_equal(ours, ref)


def test_bad_activation():
    for T in (torch, mt):
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            _layer(T, activation="tanh")
