"""nn.DataParallel on one device: calls the module, `.module`, "module."-prefixed state_dict
keys (checkpoints load both ways with PyTorch), gradients, repr; several GPUs refused."""
from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from layer_harness import check_layer, mt, np_of, to_mt_state, torch

# (the package's `data_parallel` attribute is the function, as in PyTorch)
dp_impl = sys.modules["minitorch_nn.nn.parallel.data_parallel"]


def _net(T):
    return T.nn.Sequential(T.nn.Linear(4, 3), T.nn.BatchNorm1d(3), T.nn.Tanh())


@pytest.fixture
def no_gpu(monkeypatch):
    """The CPU path (PyTorch's without CUDA) even where a (fake) GPU is present."""
    fake = types.SimpleNamespace(is_available=lambda: False, device_count=lambda: 0)
    monkeypatch.setattr(dp_impl, "cuda", fake)


def test_matches_torch_on_cpu(no_gpu):
    x = np.random.default_rng(0).standard_normal((5, 4))
    check_layer(lambda T: T.nn.DataParallel(_net(T)), [x])


def test_module_attribute_and_keys(no_gpu):
    inner = _net(mt)
    model = mt.nn.DataParallel(inner)
    assert model.module is inner and model.device_ids == []
    ref = torch.nn.DataParallel(_net(torch))
    assert list(model.state_dict()) == list(ref.state_dict())
    assert all(k.startswith("module.") for k in model.state_dict())
    model.load_state_dict(to_mt_state(ref))
    inner.load_state_dict({k[len("module."):]: v for k, v in to_mt_state(ref).items()})
    np.testing.assert_array_equal(np_of(model.module[0].weight), np_of(ref.module[0].weight))
    assert repr(model) == repr(ref)
    assert mt.nn.DataParallel is mt.nn.parallel.DataParallel


def test_kwargs_and_nested_inputs_pass_through():
    class Add(mt.nn.Module):
        def forward(self, pair, scale=1.0, extra=None):
            return (pair[0] + pair[1]) * scale + extra["b"]
    out = mt.nn.DataParallel(Add())((mt.ones(2), mt.ones(2)), scale=3.0,
                                    extra={"b": mt.ones(2)})
    np.testing.assert_array_equal(np_of(out), [7.0, 7.0])
    out = mt.nn.parallel.data_parallel(Add(), ((mt.ones(2), mt.ones(2)),),
                                       module_kwargs={"extra": {"b": mt.zeros(2)}})
    np.testing.assert_array_equal(np_of(out), [2.0, 2.0])


def _fake_cuda(monkeypatch, count):
    fake = types.SimpleNamespace(is_available=lambda: True, device_count=lambda: count,
                                 current_device=lambda: 0)
    monkeypatch.setattr(dp_impl, "cuda", fake)


@pytest.mark.parametrize("device_ids", [[0, 1], None, ["cuda:0", "cuda:1"]])
def test_several_gpus_not_implemented(monkeypatch, device_ids):
    _fake_cuda(monkeypatch, 2)
    with pytest.raises(NotImplementedError, match="several GPUs"):
        mt.nn.DataParallel(mt.nn.Linear(2, 2), device_ids=device_ids)
    with pytest.raises(NotImplementedError, match="several GPUs"):
        mt.nn.parallel.data_parallel(mt.nn.Linear(2, 2), mt.ones(1, 2), device_ids=device_ids)


@pytest.mark.cuda
def test_one_gpu_moves_module_and_inputs():
    model = mt.nn.DataParallel(mt.nn.Linear(3, 2), device_ids=[0])
    assert model.device_ids == [0] and model.output_device == 0
    assert model.module.weight.device.type == "cuda"
    x = mt.ones(4, 3, requires_grad=True)
    out = model(x)
    assert out.device.type == "cuda" and tuple(out.shape) == (4, 2)
    out.sum().backward()
    assert x.grad is not None and x.grad.device.type == "cpu"
    model.module.cpu()
    with pytest.raises(RuntimeError, match="module must have its parameters and buffers on "
                                           "device cuda:0"):
        model(x)
