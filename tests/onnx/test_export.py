"""torch.onnx.export: the ONNX file passes onnx.checker and onnxruntime computes what our
forward computes (float32, 1e-5), also for another batch size through dynamic_axes."""
from __future__ import annotations

import io

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="torch.onnx.export needs the onnx package "
                                          "(pip install 'minitorch_nn[onnx]')")
ort = pytest.importorskip("onnxruntime", reason="the round-trip tests run the exported model "
                                                "with onnxruntime (pip install onnxruntime)")

import minitorch_nn as torch  # noqa: E402
import minitorch_nn.nn.functional as F  # noqa: E402
from minitorch_nn import nn  # noqa: E402
from minitorch_nn.examples.train import SmallCNN  # noqa: E402


class TokenModel(nn.Module):
    """embedding -> layer_norm -> gelu -> linear -> mean over tokens -> batch_norm -> softmax."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.norm = nn.LayerNorm(8)
        self.drop = nn.Dropout(0.2)
        self.proj = nn.Linear(8, 5)
        self.bn = nn.BatchNorm1d(5)

    def forward(self, tokens):
        h = F.gelu(self.drop(self.norm(self.emb(tokens))))
        y = self.bn(self.proj(h).mean(dim=1))
        return torch.softmax(y - 0.5 * y.sum(-1, keepdim=True), dim=-1)


def _export(model, x, **kw):
    buf = io.BytesIO()
    torch.onnx.export(model, (x,), buf, input_names=["x"], output_names=["y"], **kw)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    return proto, ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])


def _ours(model, x):
    with torch.no_grad():
        return model(x).numpy()


def _check_round_trip(model, make_input):
    torch.manual_seed(0)
    model.eval()
    x = make_input(2)
    proto, sess = _export(model, x, dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    assert proto.opset_import[0].version == 17
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    for batch in (2, 5):   # 5: another batch size through the symbolic dim
        xb = make_input(batch)
        got = sess.run(None, {"x": xb.numpy()})[0]
        want = _ours(model, xb)
        assert got.dtype == np.float32 and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    return proto


def test_mlp_round_trip():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    proto = _check_round_trip(model, lambda n: torch.randn(n, 4))
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Relu", "Gemm"]
    names = {i.name for i in proto.graph.initializer}
    assert names == {k for k in model.state_dict()}   # initializers named as the state_dict


def test_small_cnn_round_trip():
    torch.manual_seed(0)
    proto = _check_round_trip(SmallCNN(8), lambda n: torch.randn(n, 1, 8, 8))
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("Conv") == 2 and ops.count("MaxPool") == 2 and "Reshape" in ops


def test_embedding_layer_norm_softmax_round_trip():
    torch.manual_seed(0)
    model = TokenModel()
    model.bn.running_mean.uniform_(-0.5, 0.5)   # not the identity statistics
    model.bn.running_var.uniform_(0.5, 2.0)
    proto = _check_round_trip(model, lambda n: torch.randint(0, 20, (n, 3)))
    ops = {n.op_type for n in proto.graph.node}
    assert {"Gather", "LayerNormalization", "BatchNormalization", "Softmax"} <= ops


def test_mode_is_restored_and_eval_is_used():
    model = TokenModel()
    model.train()
    x = torch.randint(0, 20, (2, 3))
    _, sess = _export(model, x)
    assert model.training is True   # export ran it in eval mode, then restored train()
    model.eval()
    np.testing.assert_allclose(sess.run(None, {"x": x.numpy()})[0], _ours(model, x),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("opset", [13, 18, 20])
def test_other_opsets(opset):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.GELU(), nn.Linear(6, 2), nn.Softmax(dim=1))
    x = torch.randn(3, 4)
    proto, sess = _export(model.eval(), x, opset_version=opset)
    assert proto.opset_import[0].version == opset
    np.testing.assert_allclose(sess.run(None, {"x": x.numpy()})[0], _ours(model, x),
                               rtol=1e-5, atol=1e-5)


def test_views_cat_inplace_relu_constants_and_two_outputs(tmp_path):
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)
            self.act = nn.ReLU(inplace=True)   # relu_(): its result replaces the tensor

        def forward(self, x):
            y = self.act(self.lin(x))
            scale = torch.arange(3, dtype=torch.float32)   # made inside forward: a Constant
            z = torch.cat([y * scale, x / 2], dim=1).view(x.shape[0], 2, 3)
            return z.permute(0, 2, 1).reshape(-1, 2), y.t()

    torch.manual_seed(0)
    model = M()
    path = tmp_path / "m.onnx"
    torch.onnx.export(model, (torch.randn(2, 3),), str(path), input_names=["x"],
                      output_names=["z", "yt"], dynamic_axes={"x": [0]})
    onnx.checker.check_model(str(path), full_check=True)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = torch.randn(4, 3)   # another batch: Reshape targets follow it (0 / -1)
    with torch.no_grad():
        want = [t.numpy() for t in model(x)]
    got = sess.run(None, {"x": x.numpy()})
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    assert [o.name for o in sess.get_outputs()] == ["z", "yt"]


def test_unmapped_op_raises_naming_it_and_writes_nothing(tmp_path):
    class M(nn.Module):
        def forward(self, x):
            return torch.cumsum(x.relu(), 0)

    path = tmp_path / "m.onnx"
    with pytest.raises(torch.onnx.OnnxExporterError, match=r"'cumsum'.*Cumsum"):
        torch.onnx.export(M(), (torch.randn(2, 3),), str(path))
    assert not path.exists()
    buf = io.BytesIO()
    with pytest.raises(RuntimeError, match="Cumsum"):
        torch.onnx.export(M(), (torch.randn(2, 3),), buf)
    assert buf.getvalue() == b""
    assert torch.onnx.is_in_onnx_export() is False


def test_untraced_in_place_write_raises_instead_of_exporting_stale_values(tmp_path):
    class M(nn.Module):
        def forward(self, x):
            y = x * 2
            y[0] = 0.0      # an indexed assignment: not traced
            return y + 1

    with pytest.raises(torch.onnx.OnnxExporterError, match="in place"):
        torch.onnx.export(M(), (torch.randn(2, 3),), str(tmp_path / "m.onnx"))
    assert not (tmp_path / "m.onnx").exists()


def test_in_place_arithmetic_residual_round_trip():
    """`y += x` (a residual connection) and `y *= 2` go through the traced path in export."""
    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            y = self.lin(x)
            y += x
            y *= 2
            return y

    _check_round_trip(Residual(), lambda b: torch.randn(b, 4))


def test_is_in_onnx_export_only_during_export():
    seen = []

    class M(nn.Module):
        def forward(self, x):
            seen.append(torch.onnx.is_in_onnx_export())
            return x + 1

    M()(torch.ones(1))
    torch.onnx.export(M(), (torch.ones(1),), io.BytesIO())
    assert seen == [False, True] and torch.onnx.is_in_onnx_export() is False


def test_select_model_mode_and_training_mode():
    model = nn.Linear(2, 2)
    with torch.onnx.select_model_mode_for_export(model, torch.onnx.TrainingMode.EVAL):
        assert model.training is False
    assert model.training is True
    with torch.onnx.select_model_mode_for_export(model, torch.onnx.TrainingMode.PRESERVE):
        assert model.training is True
    assert [int(m) for m in torch.onnx.TrainingMode] == [0, 1, 2]
    assert issubclass(torch.onnx.OnnxExporterError, RuntimeError)


def test_f_none_returns_the_model_and_bad_opset_raises():
    proto = torch.onnx.export(nn.Linear(2, 2), torch.ones(1, 2), None, dynamo=False)
    assert isinstance(proto, onnx.ModelProto)
    assert [i.name for i in proto.graph.input] == ["input"]   # forward's parameter name
    with pytest.raises(torch.onnx.OnnxExporterError, match="opset_version 7"):
        torch.onnx.export(nn.Linear(2, 2), torch.ones(1, 2), io.BytesIO(), opset_version=7)


def test_export_params_false_makes_parameters_inputs():
    model = nn.Linear(2, 3)
    proto = torch.onnx.export(model, torch.ones(1, 2), None, export_params=False)
    assert not proto.graph.initializer
    assert {i.name for i in proto.graph.input} == {"input", "weight", "bias"}


def test_export_doc_round_trip_runs():
    import pathlib
    import re
    text = (pathlib.Path(__file__).resolve().parents[2] / "docs/export.md").read_text()
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.S))
    assert "torch.onnx.export" in code
    exec(compile(code, "docs/export.md", "exec"), {"__name__": "__doc_example__"})


class _Ops(nn.Module):
    """One of the smaller mappings, applied to a (N, 2, 6, 6) input."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.conv = nn.Conv2d(2, 3, 4, padding="same")
        self.conv1d = nn.Conv1d(2, 3, 3, stride=2, padding=1)

    def forward(self, x):
        k = self.kind
        if k == "conv_same_avgpool":
            return F.avg_pool2d(self.conv(x), 3, stride=2, padding=1, ceil_mode=True)
        if k == "conv1d":
            return self.conv1d(x.flatten(2))
        if k == "adaptive":
            return F.adaptive_avg_pool2d(x, 3) + F.adaptive_avg_pool2d(x, 1)
        if k == "activations":
            return F.log_softmax(F.silu(x) + F.leaky_relu(x, 0.2) + torch.tanh(x).sigmoid(),
                                 dim=1)
        if k == "views":
            u = x.flatten(2).unflatten(2, (3, 12)).mT.transpose(1, 2)
            return u.expand(2, *u.shape).sum(0).mean((1, 2)) / x.abs().sqrt().sum()
        if k == "matmul":
            return torch.matmul(x, x.transpose(-1, -2)).exp().log() - x.mean(-1, keepdim=True)
        raise AssertionError(k)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("kind", ["conv_same_avgpool", "conv1d", "adaptive", "activations",
                                  "views", "matmul"])
def test_more_mappings_round_trip(kind):
    torch.manual_seed(0)
    _check_round_trip(_Ops(kind), lambda n: torch.randn(n, 2, 6, 6))


class _Indexing(nn.Module):
    def forward(self, x):
        a = x[:, 1:, None, ..., -1]              # slice, None, Ellipsis, negative int
        b = x.select(1, 0).narrow(2, 1, 2).unsqueeze(1)   # (N, 1, 6, 2)
        c = x[:, :, ::2].squeeze(1)[..., 0:2].sum(-1)       # (N, 3, 3, 2) -> (N, 3, 3)
        return a.sum((1, 2)) + b.squeeze(1).mean(-1) + c.flatten(1)[:, :6]


def test_basic_indexing_views_round_trip():
    torch.manual_seed(0)
    proto = _check_round_trip(_Indexing(), lambda n: torch.randn(n, 3, 6, 4))
    ops = {n.op_type for n in proto.graph.node}
    assert {"Slice", "Squeeze", "Unsqueeze"} <= ops
