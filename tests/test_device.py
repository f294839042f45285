"""Devices: parsing, repr, equality and hashing, PyTorch's errors, and the no-GPU behaviour.

Strings are accepted wherever a device is (`to`, factories); without CuPy and a GPU,
`cuda.is_available()` is False, `device_count()` is 0 and moving to cuda raises a clear
RuntimeError (also an AssertionError, what PyTorch's CPU builds raise).
"""
from __future__ import annotations

import copy
import pickle

import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:
    torch = None

LIBS = [pytest.param(mt, id="mt"),
        pytest.param(torch, id="torch",
                     marks=pytest.mark.skipif(torch is None, reason="PyTorch not installed"))]
NO_GPU = pytest.mark.skipif(mt.cuda.is_available(), reason="checks the no-GPU behaviour")


def raises_like(fn, exc, match):
    for T in (mt, torch):
        if T is not None:
            with pytest.raises(exc, match=match or None):
                fn(T)


@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("spec, type_, index, text, rep", [
    ("cpu", "cpu", None, "cpu", "device(type='cpu')"),
    ("cpu:0", "cpu", 0, "cpu:0", "device(type='cpu', index=0)"),
    ("cuda", "cuda", None, "cuda", "device(type='cuda')"),
    ("cuda:0", "cuda", 0, "cuda:0", "device(type='cuda', index=0)"),
    ("cuda:12", "cuda", 12, "cuda:12", "device(type='cuda', index=12)"),
    ("meta", "meta", None, "meta", "device(type='meta')"),
])
def test_parse_and_repr(T, spec, type_, index, text, rep):
    d = T.device(spec)
    assert d.type == type_ and d.index == index
    assert str(d) == text and repr(d) == rep


@pytest.mark.parametrize("T", LIBS)
def test_type_and_index_forms(T):
    assert T.device("cuda", 1) == T.device("cuda:1")
    assert T.device(type="cuda", index=1) == T.device("cuda:1")
    assert T.device("cuda", index=None) == T.device("cuda")
    assert T.device("cpu", 0).index == 0
    assert T.device(T.device("cuda:1")) == T.device("cuda:1")


@pytest.mark.parametrize("T", LIBS)
def test_equality_and_hash(T):
    assert T.device("cuda:0") == T.device("cuda", 0)
    assert T.device("cuda") != T.device("cuda:0")          # no index is not index 0
    assert T.device("cpu") != T.device("cuda")
    assert not (T.device("cpu") == "cpu")                  # a device never equals a string
    assert not (T.device("cpu") == 5)
    assert hash(T.device("cuda:0")) == hash(T.device("cuda", 0))
    assert len({T.device("cpu"), T.device("cpu"), T.device("cuda:1")}) == 2


@pytest.mark.parametrize("T", LIBS)
def test_copy_and_pickle(T):
    d = T.device("cuda:1")
    assert pickle.loads(pickle.dumps(d)) == d and copy.deepcopy(d) == d


@pytest.mark.parametrize("spec, match", [
    ("cuda:x", "Invalid device string: 'cuda:x'"),
    ("cuda:-1", "Invalid device string: 'cuda:-1'"),
    ("cuda:1:2", "Invalid device string: 'cuda:1:2'"),
    ("cuda:01", "Invalid device string: 'cuda:01'"),
    ("cpu:", "Invalid device string: 'cpu:'"),
    (" cpu", "Invalid device string: ' cpu'"),
    ("float64", "Invalid device string: 'float64'"),
    ("", "Device string must not be empty"),
    ("CPU", "Expected one of cpu, cuda, .* device type at start of device string: CPU"),
    ("foo", "Expected one of cpu, cuda, .* device type at start of device string: foo"),
])
def test_bad_strings(spec, match):
    raises_like(lambda T: T.device(spec), RuntimeError, match)


def test_bad_arguments():
    raises_like(lambda T: T.device("cuda", -1), RuntimeError, "Device index must not be negative")
    raises_like(lambda T: T.device("cuda", "1"), TypeError,
                "argument 'index' \\(position 2\\) must be int, not str")
    raises_like(lambda T: T.device("cuda", True), TypeError, "must be int, not bool")
    raises_like(lambda T: T.device("cuda:1", 2), RuntimeError,
                "type \\(string\\) must not include an index because index was passed "
                "explicitly: cuda:1")
    raises_like(lambda T: T.device(T.device("cuda:1"), 1), TypeError,
                "argument 'type' \\(position 1\\) must be str, not torch.device")
    raises_like(lambda T: T.device(1.5), TypeError,
                "device\\(\\) received an invalid combination of arguments - got \\(float\\)")


@NO_GPU
def test_integer_device_needs_an_accelerator():
    raises_like(lambda T: T.device(1), RuntimeError,
                "Cannot access accelerator device when none is available.")
    raises_like(lambda T: T.ones(1).to(0), RuntimeError, "Cannot access accelerator device")


@NO_GPU
def test_cuda_module_without_gpu():
    assert mt.cuda.is_available() is False and mt.cuda.device_count() == 0
    if torch is not None:
        assert torch.cuda.is_available() is False and torch.cuda.device_count() == 0


@NO_GPU
def test_cuda_device_queries_without_gpu():
    """As PyTorch's CPU build: no bfloat16 support, and an AssertionError for names."""
    assert mt.cuda.is_bf16_supported() is False
    for query in (mt.cuda.get_device_name, mt.cuda.get_device_capability):
        with pytest.raises(AssertionError):
            query()
    if torch is not None:
        assert torch.cuda.is_bf16_supported() is False
        with pytest.raises(AssertionError):
            torch.cuda.get_device_name()


@NO_GPU
@pytest.mark.parametrize("make", [
    lambda: mt.ones(2).cuda(),
    lambda: mt.ones(2).cuda(0),
    lambda: mt.ones(2).to("cuda"),
    lambda: mt.ones(2).to("cuda:0", mt.float64),
    lambda: mt.zeros(2, device="cuda"),
    lambda: mt.tensor([1.0], device="cuda:0"),
    lambda: mt.rand(2, device=mt.device("cuda")),
])
def test_moving_to_cuda_without_gpu(make):
    with pytest.raises(RuntimeError, match="CUDA is not available") as err:
        make()
    assert isinstance(err.value, AssertionError)
    assert mt.ones(2).tolist() == [1.0, 1.0]   # nothing else broke


@pytest.mark.parametrize("T", LIBS)
def test_strings_accepted_everywhere(T):
    for dev in ("cpu", T.device("cpu"), "cpu:0"):
        assert T.ones(2, device=dev).device.type == "cpu"
        assert T.zeros(2, device=dev).device.type == "cpu"
        assert T.empty(2, device=dev).device.type == "cpu"
        assert T.full((2,), 1.0, device=dev).device.type == "cpu"
        assert T.tensor([1], device=dev).device.type == "cpu"
        assert T.arange(3, device=dev).device.type == "cpu"
        assert T.linspace(0, 1, 3, device=dev).device.type == "cpu"
        assert T.eye(2, device=dev).device.type == "cpu"
        assert T.rand(2, device=dev).device.type == "cpu"
        assert T.randn(2, device=dev).device.type == "cpu"
        assert T.randint(3, (2,), device=dev).device.type == "cpu"
        assert T.zeros_like(T.ones(2), device=dev).device.type == "cpu"
        x = T.ones(2)
        assert (x.to(dev) is x) == (dev != "cpu:0")   # cpu:0 is not cpu: PyTorch copies
        assert x.to(dev).device == T.device("cpu")
    assert T.ones(2, device="cpu:0").device == T.device("cpu")   # cpu tensors drop the index


@pytest.mark.cuda
def test_cuda_device_of_tensors():
    x = mt.ones(2, device="cuda")
    assert x.device == mt.device("cuda", 0) and x.is_cuda and x.get_device() == 0
    assert repr(x) == "tensor([1., 1.], device='cuda:0')"
    assert x.cpu().device == mt.device("cpu")
