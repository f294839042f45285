"""torch.onnx.export of sequence models: TransformerEncoder, LSTM/GRU/RNN language models,
transposed convolutions and the smaller mappings; onnxruntime's outputs equal our forward to
1e-5 (float32) at the traced sizes and at other batch sizes / sequence lengths."""
from __future__ import annotations

import io
import math

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="torch.onnx.export needs the onnx package "
                                          "(pip install 'minitorch_nn[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="the round-trip tests run the exported model "
                                                "with onnxruntime (pip install onnxruntime)")

import minitorch_nn as torch  # noqa: E402
import minitorch_nn.nn.functional as F  # noqa: E402
from minitorch_nn import nn  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")


def _flat(out):
    if isinstance(out, torch.Tensor):
        return [out.numpy()]
    return [a for o in out for a in _flat(o)]


def export_and_run(model, inputs, names, dynamic_axes=None, **kw):
    """Export `model` traced on inputs[0]; run every input tuple through onnxruntime and
    assert it equals our forward. Returns the ModelProto."""
    model.eval()
    buf = io.BytesIO()
    torch.onnx.export(model, inputs[0], buf, input_names=names, dynamic_axes=dynamic_axes,
                      **kw)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    for args in inputs:
        got = sess.run(None, {n: a.numpy() for n, a in zip(names, args)})
        with torch.no_grad():
            want = _flat(model(*args))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    return proto


def _ops(proto):
    return {n.op_type for n in proto.graph.node}


# --- TransformerEncoder ---------------------------------------------------------------------
@pytest.mark.parametrize("batch_first,norm_first,activation",
                         [(False, False, "relu"), (True, True, "gelu")])
def test_transformer_encoder_batch_and_sequence_length_are_dynamic(batch_first, norm_first,
                                                                   activation):
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.1, batch_first=batch_first,
                                       norm_first=norm_first, activation=activation)
    enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    shape = (lambda b, t: (b, t, 16)) if batch_first else (lambda b, t: (t, b, 16))
    axes = {0: "batch", 1: "seq"} if batch_first else {0: "seq", 1: "batch"}
    proto = export_and_run(enc, [(torch.randn(*shape(2, 5)),), (torch.randn(*shape(4, 5)),),
                                 (torch.randn(*shape(3, 9)),)], ["x"], {"x": axes})
    assert {"LayerNormalization", "Softmax", "MatMul"} <= _ops(proto)


@pytest.mark.filterwarnings("ignore:Support for mismatched src_key_padding_mask")
def test_transformer_encoder_with_a_causal_mask_and_padding_mask():
    torch.manual_seed(0)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 2,
                                enable_nested_tensor=False)

    class Causal(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = enc

        def forward(self, x, pad):
            mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
            return self.enc(x, mask=mask, src_key_padding_mask=pad, is_causal=True)

    def inputs(b):
        pad = torch.zeros(b, 6, dtype=torch.bool)
        pad[0, 4:] = True
        return torch.randn(b, 6, 16), pad

    proto = export_and_run(Causal(), [inputs(2), inputs(5)], ["x", "pad"],
                           {"x": {0: "batch"}, "pad": {0: "batch"}})
    assert "Trilu" not in _ops(proto)   # the mask made in forward is folded to a constant


def test_mask_folding_off_exports_the_triangle_op():
    torch.manual_seed(0)

    class Masked(nn.Module):
        def forward(self, q):
            mask = torch.ones(q.shape[-2], q.shape[-2], dtype=torch.bool).tril()
            return F.scaled_dot_product_attention(q, q.sin(), q.cos(), attn_mask=mask)

    q = torch.randn(2, 3, 5, 4)
    proto = export_and_run(Masked(), [(q,)], ["q"], do_constant_folding=False)
    assert "Trilu" in _ops(proto)
    proto = export_and_run(Masked(), [(q,)], ["q"])
    assert "Trilu" not in _ops(proto)


def test_attention_row_with_every_key_masked_is_zero_as_in_our_op():
    class AllMasked(nn.Module):
        def forward(self, q, mask):
            return F.scaled_dot_product_attention(q, q, q, attn_mask=mask)

    mask = torch.ones(4, 4, dtype=torch.bool)
    mask[1] = False                   # query row 1 sees no key
    q = torch.randn(2, 4, 8)
    with torch.no_grad():
        assert float(AllMasked()(q, mask)[:, 1].abs().sum()) == 0.0
    export_and_run(AllMasked(), [(q, mask)], ["q", "mask"])


# --- recurrent language models --------------------------------------------------------------
class RNNLanguageModel(nn.Module):
    """PyTorch's word_language_model RNNModel: embedding -> recurrent net -> decoder."""

    def __init__(self, kind, ntoken=30, ninp=16, nhid=24, **kw):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, kind)(ninp, nhid, **kw)
        self.decoder = nn.Linear(nhid * (2 if kw.get("bidirectional") else 1), ntoken)

    def forward(self, tokens, *hidden):
        hidden = hidden if len(hidden) == 2 else (hidden[0] if hidden else None)
        output, hidden = self.rnn(self.encoder(tokens), hidden)
        return F.log_softmax(self.decoder(output), dim=-1), hidden


def _lm_inputs(kind, layers, batch_first=False):
    def make(seq, batch):
        tokens = torch.randint(0, 30, (batch, seq) if batch_first else (seq, batch))
        h = torch.randn(layers, batch, 24)
        return (tokens, h, torch.randn(layers, batch, 24)) if kind == "LSTM" else (tokens, h)
    return make


def test_lstm_language_model_exports_as_the_onnx_lstm_op_with_dynamic_length_and_batch():
    torch.manual_seed(0)
    model = RNNLanguageModel("LSTM", num_layers=2, dropout=0.2)
    make = _lm_inputs("LSTM", 2)
    axes = {"tokens": {0: "seq", 1: "batch"}, "h": {1: "batch"}, "c": {1: "batch"}}
    proto = export_and_run(model, [make(7, 3), make(4, 5), make(12, 1)], ["tokens", "h", "c"],
                           axes)
    assert [n.op_type for n in proto.graph.node].count("LSTM") == 2   # one per layer
    # the graph does not grow with the traced length: no per-step nodes
    proto_long = export_and_run(model, [make(15, 3)], ["tokens", "h", "c"], axes)
    assert len(proto_long.graph.node) == len(proto.graph.node)
    inits = {i.name for i in proto.graph.initializer}
    assert "rnn.weight_ih_l0" in inits and "encoder.weight" in inits


@pytest.mark.parametrize("kind,kw", [
    ("GRU", dict(num_layers=2, bidirectional=True)),
    ("RNN", dict(nonlinearity="relu", batch_first=True)),
    ("RNN", dict(num_layers=2, bias=False)),
    ("LSTM", dict(bidirectional=True, batch_first=True)),
])
def test_gru_and_rnn_language_models(kind, kw):
    torch.manual_seed(0)
    model = RNNLanguageModel(kind, **kw)
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    bf = kw.get("batch_first", False)
    make = _lm_inputs(kind, layers, bf)
    names = ["tokens", "h", "c"] if kind == "LSTM" else ["tokens", "h"]
    axes = {"tokens": {0: "batch", 1: "seq"} if bf else {0: "seq", 1: "batch"},
            "h": {1: "batch"}, "c": {1: "batch"}}
    proto = export_and_run(model, [make(6, 2), make(3, 4)], names,
                           {k: v for k, v in axes.items() if k in names})
    assert ("LSTM" if kind == "LSTM" else kind) in _ops(proto)


def test_rnn_without_initial_state_follows_the_batch():
    torch.manual_seed(0)

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(4, 6, batch_first=True)

        def forward(self, x):
            return self.lstm(x)[0]

    export_and_run(Tagger(), [(torch.randn(2, 5, 4),), (torch.randn(3, 8, 4),)], ["x"],
                   {"x": {0: "batch", 1: "seq"}})


def test_lstm_with_projections_is_traced_step_by_step():
    torch.manual_seed(0)
    model = RNNLanguageModel("LSTM", proj_size=8)
    model.decoder = nn.Linear(8, 30)

    def make(batch):
        return (torch.randint(0, 30, (5, batch)), torch.randn(1, batch, 8),
                torch.randn(1, batch, 24))
    proto = export_and_run(model, [make(2), make(3)], ["tokens", "h", "c"],
                           {"tokens": {1: "batch"}, "h": {1: "batch"}, "c": {1: "batch"}})
    assert "LSTM" not in _ops(proto)


# --- PyTorch's word_language_model TransformerModel ------------------------------------------
class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=50):
        super().__init__()
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() *
                             (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0).transpose(0, 1))
        self.dropout = nn.Dropout(0.1)

    def forward(self, x):
        return self.dropout(x + self.pe[:x.size(0), :])


class TransformerLM(nn.Module):
    def __init__(self, has_mask, ntoken=40, ninp=16):
        super().__init__()
        self.has_mask, self.ninp = has_mask, ninp
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.pos_encoder = PositionalEncoding(ninp)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(ninp, 2, 32), 2,
                                             enable_nested_tensor=False)
        self.decoder = nn.Linear(ninp, ntoken)

    def forward(self, src):
        mask = nn.Transformer.generate_square_subsequent_mask(len(src)) \
            if self.has_mask else None
        src = self.pos_encoder(self.input_emb(src) * math.sqrt(self.ninp))
        return F.log_softmax(self.decoder(self.encoder(src, mask=mask)), dim=-1)


def test_word_language_model_transformer():
    torch.manual_seed(0)
    tokens = lambda t, b: (torch.randint(0, 40, (t, b)),)   # noqa: E731
    # a mask made from the length in forward fixes the length; the batch stays dynamic
    export_and_run(TransformerLM(True), [tokens(7, 3), tokens(7, 5)], ["src"],
                   {"src": {1: "batch"}})
    # without it both stay dynamic: pe[:x.size(0)] reads the length from the input's shape
    proto = export_and_run(TransformerLM(False), [tokens(7, 3), tokens(11, 2)], ["src"],
                           {"src": {0: "seq", 1: "batch"}})
    assert "Shape" in _ops(proto)


def test_sizes_that_change_control_flow_fall_back_to_the_one_trace():
    class Branchy(nn.Module):
        def forward(self, x):
            y = x.relu() if x.shape[0] < 3 else x.tanh()   # another op at the grown size
            return y.reshape(x.shape[0], -1)

    export_and_run(Branchy(), [(torch.randn(2, 3, 4),)], ["x"], {"x": {0: "batch"}})


# --- convolutions and smaller mappings ------------------------------------------------------
class Decoder(nn.Module):
    """An upsampling decoder: transposed convolutions (2-D, 1-D, 3-D) and clipping."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1)
        self.up_grouped = nn.ConvTranspose2d(4, 4, (2, 3), stride=(1, 2), groups=2,
                                             dilation=(2, 1), bias=False)
        self.up1d = nn.ConvTranspose1d(3, 2, 4, stride=3, padding=2)
        self.up3d = nn.ConvTranspose3d(3, 2, 2, stride=2)
        self.conv3d = nn.Conv3d(2, 2, 3, padding=1)

    def forward(self, x):
        a = F.hardtanh(self.up_grouped(self.up(x)), -0.5, 0.5).flatten(1)
        b = torch.clamp(self.up1d(x.flatten(2)), min=-0.2).flatten(1)
        c = F.relu6(self.conv3d(self.up3d(x.unsqueeze(2)))).flatten(1)
        return torch.cat([a, b, c], 1)


def test_transposed_convolutions_round_trip():
    torch.manual_seed(0)
    proto = export_and_run(Decoder(), [(torch.randn(2, 3, 5, 5),), (torch.randn(3, 3, 5, 5),)],
                           ["x"], {"x": {0: "batch"}})
    assert {"ConvTranspose", "Clip", "Conv"} <= _ops(proto)


class Pointwise(nn.Module):
    def forward(self, x):
        m = x > 0.3
        y = torch.where(m, x ** 2, F.softplus(x, beta=2.0, threshold=1.0))
        y = y.masked_fill(x < -1, 0.5) + F.elu(x, 0.7) + x.pow(3)
        parts = torch.stack(list(x.chunk(2, dim=-1)), 0)          # Split, Stack
        rows = torch.stack(x.unbind(1), -1).sum(1)                # Unbind
        return y.sum(-1) + parts.sum((0, -1)) + rows, torch.triu(x[0, :4, :4], 1)


def test_pointwise_split_stack_unbind_triu():
    torch.manual_seed(0)
    proto = export_and_run(Pointwise(), [(torch.randn(2, 5, 6),), (torch.randn(4, 5, 6),)],
                           ["x"], {"x": {0: "batch"}})
    assert {"Where", "Split", "Concat", "Trilu", "Softplus", "Elu", "Pow"} <= _ops(proto)


def test_triangle_needs_opset_14():
    with pytest.raises(torch.onnx.OnnxExporterError, match="Trilu needs opset 14"):
        torch.onnx.export(Pointwise(), (torch.randn(2, 5, 6),), io.BytesIO(), opset_version=13)


# --- ops computed without a traced Function -------------------------------------------------
class Compare(nn.Module):
    def forward(self, x):
        keep = (x >= 0) & ~torch.isnan(x) | (x == -1.0)         # ge, isnan, eq, and, or, not
        base = torch.zeros_like(x)                               # value-free: allowed
        return torch.where(keep.logical_xor(x < 0.5), x, base + 1.0), (x != 2).float()


def test_comparisons_and_logical_ops_follow_the_input_values():
    torch.manual_seed(0)
    proto = export_and_run(Compare(), [(torch.randn(2, 7),), (torch.randn(4, 7),)], ["x"],
                           {"x": {0: "batch"}})
    assert {"GreaterOrEqual", "IsNaN", "Equal", "And", "Or", "Xor", "Less", "Not"} <= \
        _ops(proto)


def test_an_op_that_is_not_traced_stops_the_export_instead_of_baking_values(tmp_path):
    class ArgMax(nn.Module):
        def forward(self, x):
            return x.argmax(-1)

    path = tmp_path / "m.onnx"
    with pytest.raises(torch.onnx.OnnxExporterError, match="'argmax'"):
        torch.onnx.export(ArgMax(), (torch.randn(2, 3),), str(path))
    assert not path.exists()
    assert torch.Tensor.argmax(torch.tensor([1.0, 3.0]), 0).item() == 1   # unwrapped again


def test_keyword_arguments_become_named_inputs():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 2)

        def forward(self, x, *, scale):
            return self.lin(x) * scale

    torch.manual_seed(0)
    model = Scaled().eval()
    x = torch.randn(4, 3)
    proto = torch.onnx.export(model, (x,), None, kwargs={"scale": torch.tensor(2.5)})
    assert [i.name for i in proto.graph.input] == ["x", "scale"]
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {"x": x.numpy(), "scale": np.array(4.0, np.float32)})
    with torch.no_grad():
        want = model(x, scale=torch.tensor(4.0)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)
