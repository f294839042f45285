"""The op lists themselves: every listed op has its hook, the CPU-only rules (einsum, pad),
and the CUDA lists' behaviour. PyTorch here is a CPU build, so the CUDA expectations below
are PyTorch's CUDA lists (aten/src/ATen/autocast_mode.h: AT_FORALL_LOWER_PRECISION_FP,
AT_FORALL_FP32, AT_FORALL_FP32_SET_OPT_DTYPE, AT_FORALL_PROMOTE, binary_cross_entropy banned)
written out per op. They run twice: on `cuda` tensors (a GPU, or `--fake-gpu`), and on the
CPU with the CUDA table swapped in for the CPU one, so the CUDA list is exercised everywhere.
"""
from __future__ import annotations

import pathlib
import re

import pytest

import minitorch_nn as mt
import minitorch_nn.nn.functional as F
from minitorch_nn.amp import op_lists
from minitorch_nn.ops.registry import REGISTRY

OPS_DIR = pathlib.Path(mt.__file__).parent / "ops"
UNARY_HOOKED = {"reciprocal", "log", "log2", "log10", "log1p", "expm1", "rsqrt", "tan"}


RNN_FILE = OPS_DIR.parent / "nn" / "modules" / "rnn.py"
RNN_DYNAMIC = {"gru", "rnn_tanh", "rnn_relu", "rnn_tanh_cell", "rnn_relu_cell"}


def _hooked_names() -> set:
    """The autocast keys of the declared ops (the registry hooks each), and the ones the
    recurrent layers cast their input and states by."""
    names = {decl.autocast for decl in REGISTRY.values() if decl.autocast}
    names |= set(re.findall(r'autocast_args\("(\w+)"', RNN_FILE.read_text()))
    return names | RNN_DYNAMIC


def test_recurrent_layers_name_their_ops():
    """RNN/GRU and RNNCell build their op names: mode.lower() and rnn_<nonlinearity>_cell."""
    source = RNN_FILE.read_text()
    assert 'autocast_args(self.mode.lower(), input, hx)' in source
    assert 'autocast_args(f"rnn_{self.nonlinearity}_cell", input, hx)' in source
    assert '"GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1' in source


def test_every_listed_op_has_a_hook():
    hooked = _hooked_names()
    for table in (op_lists.CPU, op_lists.CUDA):
        missing = sorted(set(table) - hooked)
        assert not missing, f"listed but no op declares it: {missing}"


def test_every_hook_names_a_listed_op():
    """The registry hooks only listed keys, and no in-place method: PyTorch's lists hold no
    in-place op, so x.addmm_(a, b) in a region computes in x's dtype."""
    listed = set(op_lists.CPU) | set(op_lists.CUDA)
    assert not sorted(_hooked_names() - listed)
    for decl in REGISTRY.values():
        for method, fn in decl.methods.items():
            if method.endswith("_") and not method.endswith("__"):
                assert getattr(fn, "__wrapped_op__", None) is None, method


def test_unary_ops_share_one_hook():
    """The pointwise ops come from one factory in ops/unary.py, hooked by the registry."""
    from minitorch_nn.ops.registry import lookup
    for name in UNARY_HOOKED:
        decl = lookup(name)
        assert decl.autocast == name and decl.fn.__module__ == "minitorch_nn.ops.unary"
        assert decl.public is not decl.fn   # wrapped once, by the registry
    assert lookup("square").autocast == "pow" and lookup("pow").autocast == "pow"


@pytest.mark.parametrize("equation, n, expected", [
    ("ij,jk->ik", 2, op_lists.LOWER), ("i,i->", 2, op_lists.LOWER),
    ("ij,j->i", 2, op_lists.LOWER), ("bij,bjk", 2, op_lists.LOWER),
    ("i,j->ij", 2, None), ("ij,ij->ij", 2, None), ("ii->i", 1, None), ("ij->", 1, None),
    ("i,i", 2, op_lists.LOWER), ("i,j", 2, None),
])
def test_cpu_einsum_rule(equation, n, expected):
    """PyTorch's CPU einsum goes through bmm (low precision) only when a label is summed."""
    args = (equation,) + tuple(mt.ones(2) for _ in range(n))
    assert op_lists.policy_for("cpu", "einsum", args, {}) == expected
    assert op_lists.policy_for("cpu", "einsum", (equation, list(args[1:])), {}) == expected
    assert op_lists.policy_for("cuda", "einsum", args, {}) == op_lists.LOWER


@pytest.mark.parametrize("args, kwargs, expected", [
    ((None, (1, 1)), {}, None), ((None, (1, 1), "reflect"), {}, op_lists.FP32),
    ((None, (1, 1)), {"mode": "replicate"}, op_lists.FP32),
    ((None, (1, 1)), {"mode": "circular"}, None),
])
def test_cpu_pad_rule(args, kwargs, expected):
    assert op_lists.policy_for("cpu", "pad", args, kwargs) == expected
    assert op_lists.policy_for("cuda", "pad", args, kwargs) is None


def test_devices_differ_where_pytorch_does():
    assert op_lists.CPU["tensordot"] == op_lists.LOWER
    assert op_lists.CUDA["tensordot"] == op_lists.PROMOTE
    assert "softmax" not in op_lists.CPU and op_lists.CUDA["softmax"] == op_lists.FP32_OPT_DTYPE
    assert op_lists.CPU["prod"] == op_lists.FP32
    assert op_lists.CUDA["prod"] == op_lists.FP32_OPT_DTYPE
    assert op_lists.CPU["binary_cross_entropy"] == op_lists.FP32
    assert op_lists.CUDA["binary_cross_entropy"] == op_lists.BANNED
    assert "cat" not in op_lists.CUDA and op_lists.CPU["cat"] == op_lists.PROMOTE
    assert op_lists.policy_for("xla", "mm", (), {}) is None


# ------------------------------------------------------------------ CUDA list behaviour
def _r(dev, *shape, dtype=None):
    return mt.randn(*shape, device=dev, dtype=dtype)


# name -> (fn(dev, low dtype), expected output dtype: "low", "float32" or a dtype name)
CUDA_CASES = {
    "linear": (lambda d, lo: F.linear(_r(d, 3, 4), _r(d, 2, 4)), "low"),
    "mv": (lambda d, lo: mt.mv(_r(d, 3, 4), _r(d, 4)), "low"),
    "einsum_outer": (lambda d, lo: mt.einsum("i,j->ij", _r(d, 3), _r(d, 2)), "low"),
    "conv2d": (lambda d, lo: F.conv2d(_r(d, 1, 2, 5, 5), _r(d, 3, 2, 3, 3)), "low"),
    "sdpa": (lambda d, lo: F.scaled_dot_product_attention(_r(d, 2, 3, 4), _r(d, 2, 3, 4),
                                                          _r(d, 2, 3, 4)), "low"),
    "tensordot_f32": (lambda d, lo: mt.tensordot(_r(d, 3, 4), _r(d, 4, 2), dims=1), "float32"),
    "tensordot_low": (lambda d, lo: mt.tensordot(_r(d, 3, 4, dtype=lo), _r(d, 4, 2, dtype=lo),
                                                 dims=1), "low"),
    "dot_mixed": (lambda d, lo: mt.dot(_r(d, 4, dtype=lo), _r(d, 4)), "float32"),
    "bilinear_mixed": (lambda d, lo: F.bilinear(_r(d, 2, 3, dtype=lo), _r(d, 2, 4),
                                                _r(d, 5, 3, 4)), "float32"),
    "softmax_low": (lambda d, lo: F.softmax(_r(d, 3, 4, dtype=lo), 1), "float32"),
    "softmax_given_dtype": (lambda d, lo: mt.softmax(_r(d, 3, 4, dtype=lo), 1, dtype=lo),
                            "low"),
    "log_softmax_method": (lambda d, lo: _r(d, 3, 4, dtype=lo).log_softmax(-1), "float32"),
    "sum_low": (lambda d, lo: _r(d, 3, 4, dtype=lo).sum(), "float32"),
    "sum_int": (lambda d, lo: mt.ones(3, dtype=mt.int64, device=d).sum(), "int64"),
    "sum_f64": (lambda d, lo: _r(d, 3, dtype=mt.float64).sum(), "float64"),
    "cumsum_low": (lambda d, lo: mt.cumsum(_r(d, 3, dtype=lo), 0), "float32"),
    "prod_low": (lambda d, lo: mt.prod(_r(d, 3, dtype=lo)), "float32"),
    "exp_low": (lambda d, lo: _r(d, 3, dtype=lo).exp(), "float32"),
    "log_low": (lambda d, lo: mt.log(_r(d, 3, dtype=lo).abs() + 1), "float32"),
    "pow_low": (lambda d, lo: _r(d, 3, dtype=lo) ** 2, "float32"),
    "rpow_low": (lambda d, lo: 2 ** _r(d, 3, dtype=lo), "float32"),
    "rsqrt_low": (lambda d, lo: mt.rsqrt(_r(d, 3, dtype=lo).abs() + 1), "float32"),
    "softplus_low": (lambda d, lo: F.softplus(_r(d, 3, dtype=lo)), "float32"),
    "layer_norm_low": (lambda d, lo: F.layer_norm(_r(d, 2, 4, dtype=lo), (4,)), "float32"),
    "group_norm_low": (lambda d, lo: F.group_norm(_r(d, 2, 4, 3, dtype=lo), 2), "float32"),
    "logsumexp_low": (lambda d, lo: mt.logsumexp(_r(d, 2, 4, dtype=lo), 1), "float32"),
    "norm_low": (lambda d, lo: _r(d, 2, 4, dtype=lo).norm(), "float32"),
    "normalize_low": (lambda d, lo: F.normalize(_r(d, 2, 4, dtype=lo)), "float32"),
    "cosine_low": (lambda d, lo: F.cosine_similarity(_r(d, 2, 4, dtype=lo),
                                                     _r(d, 2, 4, dtype=lo)), "float32"),
    "mse_low": (lambda d, lo: F.mse_loss(_r(d, 4, dtype=lo), _r(d, 4, dtype=lo)), "float32"),
    "cross_entropy_low": (lambda d, lo: F.cross_entropy(_r(d, 3, 5, dtype=lo),
                                                        mt.tensor([0, 4, 2], device=d)),
                          "float32"),
    "cat_low": (lambda d, lo: mt.cat([_r(d, 2, dtype=lo), _r(d, 2, dtype=lo)]), "low"),
    "relu_low": (lambda d, lo: F.relu(_r(d, 2, dtype=lo)), "low"),
    "batch_norm_low": (lambda d, lo: F.batch_norm(_r(d, 4, 3, dtype=lo), None, None,
                                                  training=True), "low"),
    "gru_layer": (lambda d, lo: mt.nn.GRU(4, 3).to(d)(_r(d, 5, 2, 4))[0], "low"),
    "rnn_layer_state": (lambda d, lo: mt.nn.RNN(4, 3).to(d)(_r(d, 5, 2, 4))[1], "low"),
    "lstm_layer": (lambda d, lo: mt.nn.LSTM(4, 3).to(d)(_r(d, 5, 2, 4))[1][1], "low"),
    "gru_cell": (lambda d, lo: mt.nn.GRUCell(4, 3).to(d)(_r(d, 2, 4), _r(d, 2, 3)), "low"),
    "lstm_cell": (lambda d, lo: mt.nn.LSTMCell(4, 3).to(d)(_r(d, 2, 4))[1], "low"),
    "rnn_relu_cell": (lambda d, lo: mt.nn.RNNCell(4, 3, nonlinearity="relu").to(d)(
        _r(d, 2, 4)), "low"),
    "reflect_pad_low": (lambda d, lo: F.pad(_r(d, 1, 2, 4, dtype=lo), (1, 1), mode="reflect"),
                        "low"),
}


def _expected(kind: str, low):
    return low if kind == "low" else getattr(mt, kind)


def _check_cuda_case(name, dev, low):
    fn, kind = CUDA_CASES[name]
    with mt.autocast(dev, dtype=low):
        out = fn(dev, low)
    assert out.dtype is _expected(kind, low), name


@pytest.fixture
def cuda_table_on_cpu(monkeypatch):
    """The CUDA list applied to CPU tensors (the CPU region's dtype is set per test)."""
    monkeypatch.setitem(op_lists._TABLES, "cpu", op_lists.CUDA)


@pytest.mark.parametrize("low", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", sorted(CUDA_CASES))
def test_cuda_list_emulated_on_cpu(name, low, cuda_table_on_cpu):
    _check_cuda_case(name, "cpu", getattr(mt, low))


def test_cuda_list_bans_binary_cross_entropy(cuda_table_on_cpu):
    x, y = mt.rand(4), mt.rand(4)
    with mt.autocast("cpu", dtype=mt.float16):
        with pytest.raises(RuntimeError, match="torch.nn.functional.binary_cross_entropy and "
                                               "torch.nn.BCELoss are unsafe to autocast."):
            F.binary_cross_entropy(x, y)
        assert F.binary_cross_entropy_with_logits(x, y).dtype is mt.float32


@pytest.mark.parametrize("call, expected", [
    (lambda x: mt.softmax(x, 1, mt.float64), "float64"),      # dtype given positionally
    (lambda x: F.log_softmax(x, 1, 3, mt.float64), "float64"),
    (lambda x: mt.softmax(x, 1, None), "float32"),           # None given: float32 is used
    (lambda x: mt.sum(input=x), "float32"),                  # the input by keyword
    (lambda x: mt.cumsum(input=x, dim=0), "float32"),
    (lambda x: mt.prod(x, dtype=mt.float16), "float16"),
    (lambda x: x.double().sum(), "float64"),                 # float64 input: not eligible
])
def test_cuda_opt_dtype_reads_the_arguments_as_bound(call, expected, cuda_table_on_cpu):
    """FP32_OPT_DTYPE ops get dtype=float32 unless a dtype was given in any spelling; the
    registry hook passes the caller's arguments as they came."""
    x = mt.randn(2, 3, dtype=mt.bfloat16)
    with mt.autocast("cpu", dtype=mt.bfloat16):
        assert call(x).dtype is getattr(mt, expected)


def test_cuda_list_values_are_the_float32_computation(cuda_table_on_cpu):
    x = mt.randn(3, 5, dtype=mt.float16, requires_grad=True)
    with mt.autocast("cpu", dtype=mt.float16):
        s = F.softmax(x, 1)
        total = (x * 3).sum()
    ref = F.softmax(x.detach().float(), 1)
    assert mt.allclose(s, ref)
    assert total.dtype is mt.float32
    (s.sum() + total).backward()
    assert x.grad.dtype is mt.float16


@pytest.mark.cuda
@pytest.mark.parametrize("low", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", sorted(CUDA_CASES))
def test_cuda_list_on_cuda_tensors(name, low):
    _check_cuda_case(name, "cuda", getattr(mt, low))


@pytest.mark.cuda
def test_cuda_region_leaves_cpu_tensors_alone():
    with mt.autocast("cuda"):
        assert mt.mm(mt.ones(2, 2), mt.ones(2, 2)).dtype is mt.float32
        assert mt.mm(mt.ones(2, 2, device="cuda"), mt.ones(2, 2, device="cuda")).dtype \
            is mt.float16
    with mt.autocast("cpu"):
        assert mt.mm(mt.ones(2, 2, device="cuda"), mt.ones(2, 2, device="cuda")).dtype \
            is mt.float32


@pytest.mark.cuda
def test_cuda_training_step_with_scaler():
    mt.manual_seed(0)
    model = mt.nn.Linear(4, 3).cuda()
    opt = mt.optim.SGD(model.parameters(), lr=0.1)
    scaler = mt.amp.GradScaler("cuda", init_scale=1024.0)
    x, y = mt.randn(5, 4, device="cuda"), mt.tensor([0, 1, 2, 1, 0], device="cuda")
    before = model.weight.detach().clone()
    with mt.autocast("cuda"):
        out = model(x)
        loss = F.cross_entropy(out, y)
    assert out.dtype is mt.float16 and loss.dtype is mt.float32
    scaler.scale(loss).backward()
    assert model.weight.grad.dtype is mt.float32
    scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == 1024.0 and scaler.is_enabled()
    assert not mt.equal(before, model.weight.detach())
