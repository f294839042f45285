"""Every nn layer and loss on `cuda` against the same layer on the CPU (marked `cuda`).

A module is built on the CPU, deep-copied and moved with `.cuda()`; both copies get the same
input. Outputs, input gradients and parameter gradients must agree, and everything the GPU
copy produced must stay on the GPU. Without a GPU: `pytest --fake-gpu` (code paths only).
"""
from __future__ import annotations

import copy

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn import nn

pytestmark = pytest.mark.cuda

# (name, module factory, input shapes, integer inputs' upper bound or None)
LAYERS = [
    ("linear", lambda: nn.Linear(5, 3), [(4, 5)]),
    ("bilinear", lambda: nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    ("conv1d", lambda: nn.Conv1d(2, 3, 3, padding=1, stride=2), [(2, 2, 9)]),
    ("conv2d", lambda: nn.Conv2d(2, 3, 3, padding=1, dilation=2, padding_mode="zeros"),
     [(2, 2, 7, 6)]),
    ("conv2d_groups", lambda: nn.Conv2d(4, 4, 3, groups=2, bias=False), [(1, 4, 5, 5)]),
    ("conv_transpose1d", lambda: nn.ConvTranspose1d(2, 3, 3, stride=2), [(2, 2, 5)]),
    ("conv_transpose2d", lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1),
     [(1, 2, 4, 5)]),
    ("batch_norm1d", lambda: nn.BatchNorm1d(3), [(6, 3)]),
    ("batch_norm2d", lambda: nn.BatchNorm2d(3), [(2, 3, 4, 4)]),
    ("batch_norm3d", lambda: nn.BatchNorm3d(2), [(2, 2, 2, 3, 3)]),
    ("batch_norm_eval", lambda: nn.BatchNorm2d(3).eval(), [(2, 3, 4, 4)]),
    ("layer_norm", lambda: nn.LayerNorm(5), [(3, 4, 5)]),
    ("group_norm", lambda: nn.GroupNorm(2, 4), [(2, 4, 3, 3)]),
    ("max_pool1d", lambda: nn.MaxPool1d(2), [(2, 3, 8)]),
    ("max_pool2d", lambda: nn.MaxPool2d(2), [(2, 3, 6, 6)]),
    ("max_pool2d_general", lambda: nn.MaxPool2d(3, stride=2, padding=1), [(2, 3, 7, 5)]),
    ("avg_pool1d", lambda: nn.AvgPool1d(3, stride=2, padding=1), [(2, 3, 8)]),
    ("avg_pool2d", lambda: nn.AvgPool2d(2, ceil_mode=True), [(2, 3, 5, 5)]),
    ("adaptive_avg_pool1d", lambda: nn.AdaptiveAvgPool1d(3), [(2, 3, 7)]),
    ("adaptive_avg_pool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), [(2, 3, 7, 5)]),
    ("relu", lambda: nn.ReLU(), [(3, 4)]),
    ("relu6", lambda: nn.ReLU6(), [(3, 4)]),
    ("leaky_relu", lambda: nn.LeakyReLU(0.2), [(3, 4)]),
    ("elu", lambda: nn.ELU(), [(3, 4)]),
    ("gelu", lambda: nn.GELU(), [(3, 4)]),
    ("gelu_tanh", lambda: nn.GELU("tanh"), [(3, 4)]),
    ("silu", lambda: nn.SiLU(), [(3, 4)]),
    ("sigmoid", lambda: nn.Sigmoid(), [(3, 4)]),
    ("tanh", lambda: nn.Tanh(), [(3, 4)]),
    ("softplus", lambda: nn.Softplus(), [(3, 4)]),
    ("hardtanh", lambda: nn.Hardtanh(), [(3, 4)]),
    ("softmax", lambda: nn.Softmax(dim=1), [(3, 4)]),
    ("softmin", lambda: nn.Softmin(dim=0), [(3, 4)]),
    ("log_softmax", lambda: nn.LogSoftmax(dim=-1), [(2, 3, 4)]),
    ("flatten_unflatten", lambda: nn.Sequential(nn.Flatten(), nn.Unflatten(1, (4, 3))),
     [(2, 3, 4)]),
    ("embedding", lambda: nn.Embedding(7, 3, padding_idx=1), [(2, 5, "int7")]),
    ("rnn", lambda: nn.RNN(3, 4, num_layers=2), [(5, 2, 3)]),
    ("lstm", lambda: nn.LSTM(3, 4, batch_first=True, bidirectional=True), [(2, 5, 3)]),
    ("gru", lambda: nn.GRU(3, 4), [(5, 2, 3)]),
    ("lstm_cell", lambda: nn.LSTMCell(3, 4), [(2, 3)]),
    ("gru_cell", lambda: nn.GRUCell(3, 4), [(2, 3)]),
    ("rnn_cell", lambda: nn.RNNCell(3, 4), [(2, 3)]),
    ("multihead_attention", lambda: nn.MultiheadAttention(8, 2, batch_first=True),
     [(2, 5, 8), (2, 4, 8), (2, 4, 8)]),
    ("transformer_encoder_layer",
     lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0,
                                        batch_first=True), [(2, 5, 8)]),
    ("transformer_encoder",
     lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, 0.0, norm_first=True),
                                   num_layers=2, enable_nested_tensor=False), [(5, 2, 8)]),
]

LOSSES = [
    ("mse", nn.MSELoss(), "float"),
    ("l1", nn.L1Loss(reduction="sum"), "float"),
    ("smooth_l1", nn.SmoothL1Loss(beta=0.5), "float"),
    ("huber", nn.HuberLoss(delta=0.7), "float"),
    ("cross_entropy", nn.CrossEntropyLoss(label_smoothing=0.1), "class"),
    ("cross_entropy_weighted", nn.CrossEntropyLoss(weight=mt.tensor([1.0, 2.0, 0.5, 1.0]),
                                                   ignore_index=2), "class"),
    ("cross_entropy_probs", nn.CrossEntropyLoss(), "probs"),
    ("nll", nn.NLLLoss(reduction="none"), "class"),
    ("bce", nn.BCELoss(), "unit"),
    ("bce_logits", nn.BCEWithLogitsLoss(pos_weight=mt.tensor([1.0, 2.0, 3.0, 0.5])),
     "float01"),
    ("kl_div", nn.KLDivLoss(reduction="batchmean", log_target=True), "logprob"),
]


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        if isinstance(shape[-1], str):   # (.., "int7"): integer indices below 7
            out.append(mt.from_numpy(rng.integers(0, int(shape[-1][3:]), shape[:-1])))
        else:
            out.append(mt.from_numpy(rng.standard_normal(shape)).float())
    return out


def _outputs(result):
    if isinstance(result, mt.Tensor):
        return [result]
    flat = []
    for r in result:
        flat += _outputs(r) if r is not None else []
    return flat


def _close(gpu, cpu, what):
    assert gpu.device.type == "cuda", f"{what} left the GPU"
    np.testing.assert_allclose(gpu.detach().cpu().numpy(), cpu.detach().numpy(), rtol=1e-4,
                               atol=1e-5, err_msg=what)


@pytest.mark.parametrize("name,factory,shapes", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_on_gpu_matches_cpu(name, factory, shapes):
    mt.manual_seed(0)
    cpu_module = factory()
    gpu_module = copy.deepcopy(cpu_module).cuda()
    cpu_in = _inputs(shapes)
    gpu_in = [x.cuda() for x in cpu_in]
    for x, y in zip(cpu_in, gpu_in):
        if x.is_floating_point():
            x.requires_grad_()
            y.requires_grad_()
    cpu_out, gpu_out = _outputs(cpu_module(*cpu_in)), _outputs(gpu_module(*gpu_in))
    assert len(cpu_out) == len(gpu_out)
    for i, (g, c) in enumerate(zip(gpu_out, cpu_out)):
        _close(g, c, f"{name} output {i}")
    weights = [mt.randn(o.shape) for o in cpu_out]
    sum(((o * w).sum() for o, w in zip(cpu_out, weights) if o.requires_grad),
        mt.zeros(())).backward()
    sum(((o * w.cuda()).sum() for o, w in zip(gpu_out, weights) if o.requires_grad),
        mt.zeros((), device="cuda")).backward()
    for i, (y, x) in enumerate(zip(gpu_in, cpu_in)):
        if x.grad is not None:
            _close(y.grad, x.grad, f"{name} input {i} grad")
    for (pname, p), q in zip(gpu_module.named_parameters(), cpu_module.parameters()):
        if q.grad is not None:
            _close(p.grad, q.grad, f"{name} {pname}.grad")
    for (bname, b), c in zip(gpu_module.named_buffers(), cpu_module.buffers()):
        _close(b, c, f"{name} buffer {bname}")


def _loss_inputs(kind, rng):
    x = rng.standard_normal((5, 4))
    if kind == "class":
        return x, rng.integers(0, 4, 5)
    if kind == "probs":
        p = rng.random((5, 4))
        return x, p / p.sum(axis=1, keepdims=True)
    if kind == "unit":
        return rng.uniform(0.05, 0.95, (5, 4)), rng.random((5, 4))
    if kind == "float01":
        return x, rng.random((5, 4))
    if kind == "logprob":
        lp = np.log(rng.dirichlet(np.ones(4), 5))
        return lp - 0.1, lp
    return x, rng.standard_normal((5, 4))


@pytest.mark.parametrize("name,loss,kind", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss_on_gpu_matches_cpu(name, loss, kind):
    x, t = _loss_inputs(kind, np.random.default_rng(3))
    cpu_x = mt.from_numpy(x).float().requires_grad_()
    cpu_t = mt.from_numpy(t) if kind == "class" else mt.from_numpy(t).float()
    gpu_x = cpu_x.detach().cuda().requires_grad_()
    gpu_t = cpu_t.cuda()
    gpu_loss = copy.deepcopy(loss).cuda()
    c, g = loss(cpu_x, cpu_t), gpu_loss(gpu_x, gpu_t)
    _close(g, c, f"{name} loss")
    c.sum().backward()
    g.sum().backward()
    _close(gpu_x.grad, cpu_x.grad, f"{name} input grad")


def test_dropout_layers_on_gpu():
    mt.manual_seed(0)
    x = mt.ones(4, 6, 5, 5, device="cuda", requires_grad=True)
    for layer, arg in ((nn.Dropout(0.3), x), (nn.Dropout2d(0.3), x),
                       (nn.Dropout1d(0.3), x[:, :, 0])):
        out = layer(arg)
        assert out.device.type == "cuda"
        values = set(np.unique(out.detach().cpu().numpy()).tolist())
        assert values <= {0.0, float(np.float32(1 / 0.7))} and len(values) == 2, values
        out.sum().backward()
        assert x.grad.device.type == "cuda"
        x.grad = None
    out = nn.functional.dropout(x, 0.3, training=True)
    assert out.device.type == "cuda"


def test_clip_grad_norm_and_parameter_vectors_on_gpu():
    model = nn.Linear(4, 3).cuda()
    model(mt.randn(2, 4, device="cuda")).pow(2).sum().backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), 0.1)
    assert total.device.type == "cuda"
    norm = sum((p.grad ** 2).sum() for p in model.parameters()).sqrt().item()
    assert norm == pytest.approx(0.1, rel=1e-4)
    nn.utils.clip_grad_value_(model.parameters(), 0.01)
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.device.type == "cuda" and vec.numel() == 15
    nn.utils.vector_to_parameters(vec * 0, model.parameters())
    assert model.weight.abs().sum().item() == 0.0
