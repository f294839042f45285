"""TransformerDecoderLayer, TransformerDecoder and the encoder-decoder nn.Transformer against
PyTorch (training mode with dropout 0, float64): outputs, input and parameter gradients, masks,
causal flags, custom encoder/decoder, repr, state_dict keys, errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from layer_harness import check_layer, mt, np_of, to_mt_state, torch

RNG = np.random.default_rng(12)
T_LEN, S_LEN, N, E = 3, 4, 2, 8


def _x(*shape):
    return RNG.standard_normal(shape)


def _dec_layer(T, **kw):
    kw.setdefault("dropout", 0.0)
    return T.nn.TransformerDecoderLayer(E, 2, dim_feedforward=12, **kw)


def _transformer(T, **kw):
    kw.setdefault("dropout", 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the nested-tensor warning (both libraries)
        return T.nn.Transformer(E, 2, num_encoder_layers=2, num_decoder_layers=1,
                                dim_feedforward=12, **kw)


def _wrap(T, module, call):
    """A Module whose forward calls `module(*inputs, **call(T))` (masks built per library)."""
    class Wrap(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = module

        def forward(self, *inputs):
            return self.inner(*inputs, **call(T))
    return Wrap()


@pytest.mark.parametrize("kw", [{}, dict(batch_first=True), dict(norm_first=True),
                                dict(activation="gelu"), dict(bias=False),
                                dict(activation=lambda x: x.tanh(), layer_norm_eps=1e-3)])
def test_decoder_layer_matches_torch(kw):
    bf = kw.get("batch_first")
    tgt = _x(N, T_LEN, E) if bf else _x(T_LEN, N, E)
    mem = _x(N, S_LEN, E) if bf else _x(S_LEN, N, E)
    check_layer(lambda T: _dec_layer(T, **kw), [tgt, mem])


def test_decoder_layer_unbatched():
    check_layer(lambda T: _dec_layer(T), [_x(T_LEN, E), _x(S_LEN, E)])


_TGT_PAD = np.array([[False, False, True], [False, True, True]])
_MEM_PAD = np.array([[False, False, False, True], [False, False, True, True]])


@pytest.mark.parametrize("call", [
    lambda T: dict(tgt_mask=T.nn.Transformer.generate_square_subsequent_mask(T_LEN),
                   tgt_is_causal=True),
    lambda T: dict(tgt_key_padding_mask=T.tensor(_TGT_PAD),
                   memory_key_padding_mask=T.tensor(_MEM_PAD)),
    lambda T: dict(memory_mask=T.tensor(np.tril(np.ones((T_LEN, S_LEN), bool), -1)),
                   tgt_mask=T.tensor(np.triu(np.ones((T_LEN, T_LEN), bool), 1))),
])
def test_decoder_layer_masks(call):
    check_layer(lambda T: _wrap(T, _dec_layer(T, batch_first=True), call),
                [_x(N, T_LEN, E), _x(N, S_LEN, E)], check_repr=False)


@pytest.mark.parametrize("num_layers, norm, causal", [(2, False, False), (2, True, True),
                                                      (1, True, False)])
def test_decoder_matches_torch(num_layers, norm, causal):
    def call(T):
        if not causal:
            return {}
        return dict(tgt_mask=T.nn.Transformer.generate_square_subsequent_mask(T_LEN))

    def make(T):
        dec = T.nn.TransformerDecoder(_dec_layer(T), num_layers,
                                      norm=T.nn.LayerNorm(E) if norm else None)
        return _wrap(T, dec, call)
    check_layer(make, [_x(T_LEN, N, E), _x(S_LEN, N, E)], check_repr=False)


@pytest.mark.parametrize("kw", [{}, dict(batch_first=True, norm_first=True),
                                dict(activation="gelu", bias=False)])
def test_transformer_matches_torch(kw):
    bf = kw.get("batch_first")
    src = _x(N, S_LEN, E) if bf else _x(S_LEN, N, E)
    tgt = _x(N, T_LEN, E) if bf else _x(T_LEN, N, E)
    check_layer(lambda T: _transformer(T, **kw), [src, tgt])


def test_transformer_all_masks():
    def call(T):
        return dict(src_mask=T.tensor(np.triu(np.ones((S_LEN, S_LEN), bool), 1)),
                    tgt_mask=T.tensor(np.triu(np.ones((T_LEN, T_LEN), bool), 1)),
                    memory_mask=T.tensor(np.tril(np.ones((T_LEN, S_LEN), bool), -2)),
                    src_key_padding_mask=T.tensor(_MEM_PAD),
                    tgt_key_padding_mask=T.tensor(_TGT_PAD),
                    memory_key_padding_mask=T.tensor(_MEM_PAD), tgt_is_causal=True)
    check_layer(lambda T: _wrap(T, _transformer(T, batch_first=True), call),
                [_x(N, S_LEN, E), _x(N, T_LEN, E)], check_repr=False)


def test_transformer_unbatched():
    check_layer(lambda T: _transformer(T), [_x(S_LEN, E), _x(T_LEN, E)])


def test_custom_encoder_decoder():
    def make(T):
        enc = T.nn.Linear(E, E)
        enc_call = type("Enc", (T.nn.Module,), {
            "__init__": lambda self: (T.nn.Module.__init__(self), setattr(self, "lin", enc))[0],
            "forward": lambda self, x, mask=None, src_key_padding_mask=None, is_causal=None:
                self.lin(x).tanh()})()
        dec = T.nn.TransformerDecoder(_dec_layer(T), 1)
        return _transformer(T, custom_encoder=enc_call, custom_decoder=dec)
    ours, ref = check_layer(make, [_x(S_LEN, N, E), _x(T_LEN, N, E)], check_repr=False)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert "encoder.lin.weight" in ours.state_dict()


def test_repr_keys_and_attributes():
    ours, ref = _transformer(mt, batch_first=True), _transformer(torch, batch_first=True)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict(to_mt_state(ref))
    assert (ours.d_model, ours.nhead, ours.batch_first) == (E, 2, True)
    layer_m, layer_t = _dec_layer(mt, norm_first=True), _dec_layer(torch, norm_first=True)
    assert repr(layer_m) == repr(layer_t)
    assert list(layer_m.state_dict()) == list(layer_t.state_dict())
    dec_m = mt.nn.TransformerDecoder(layer_m, 2, norm=mt.nn.LayerNorm(E))
    dec_t = torch.nn.TransformerDecoder(layer_t, 2, norm=torch.nn.LayerNorm(E))
    assert repr(dec_m) == repr(dec_t)
    assert dec_m.layers[0].linear1.weight is not dec_m.layers[1].linear1.weight


def test_xavier_init_of_matrices():
    mt.manual_seed(0)
    model = _transformer(mt)
    w = np_of(model.decoder.layers[0].linear1.weight)   # (12, 8): bound sqrt(6 / 20)
    bound = np.sqrt(6.0 / (12 + 8))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    ln = np_of(model.encoder.norm.weight)
    np.testing.assert_array_equal(ln, np.ones(E))


def test_square_subsequent_mask_dtype():
    ours = mt.nn.Transformer.generate_square_subsequent_mask(3, dtype=mt.float64)
    ref = torch.nn.Transformer.generate_square_subsequent_mask(3, dtype=torch.float64)
    assert str(ours.dtype) == str(ref.dtype)
    np.testing.assert_array_equal(np_of(ours), np_of(ref))


@pytest.mark.parametrize("shapes, match", [
    (((S_LEN, N, E), (T_LEN, N + 1, E)), "the batch number of src and tgt must be equal"),
    (((S_LEN, N, E), (T_LEN, N, E + 1)), "the feature number of src and tgt must be equal"),
])
def test_transformer_errors(shapes, match):
    for T in (torch, mt):
        model = _transformer(T)
        with pytest.raises(RuntimeError, match=match):
            model(T.zeros(*shapes[0]), T.zeros(*shapes[1]))


def test_bad_activation():
    for T in (torch, mt):
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            _dec_layer(T, activation="tanh")
