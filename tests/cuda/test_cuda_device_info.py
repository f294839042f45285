"""minitorch_nn.cuda's device queries: name, compute capability, bfloat16 support.

On the fake GPU (`--fake-gpu`) the values are the fake's; on a real GPU they are the card's.
Without a GPU: PyTorch's answers (False, or its AssertionError), in tests/test_device.py.
"""
from __future__ import annotations

import pytest

import minitorch_nn as mt

pytestmark = pytest.mark.cuda


def test_name_and_capability_of_the_current_device():
    name = mt.cuda.get_device_name()
    assert isinstance(name, str) and name
    assert mt.cuda.get_device_name(0) == mt.cuda.get_device_name("cuda:0") == name
    assert mt.cuda.get_device_name(mt.device("cuda")) == name
    major, minor = mt.cuda.get_device_capability()
    assert isinstance(major, int) and isinstance(minor, int) and major >= 3


def test_device_queries_reject_cpu_devices():
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        mt.cuda.get_device_name("cpu")


def test_bf16_support_matches_what_the_gpu_can_hold():
    supported = mt.cuda.is_bf16_supported()
    assert isinstance(supported, bool)
    if supported:   # then bfloat16 tensors must really work on the GPU
        x = mt.ones(3, dtype=mt.bfloat16).cuda()
        assert (x * 2).sum().item() == 6.0
    native = mt.cuda.is_bf16_supported(including_emulation=False)
    assert native == (supported and mt.cuda.get_device_capability()[0] >= 8)


def test_bf16_unsupported_on_a_cupy_without_it():
    core = pytest.importorskip("fake_cupy._core", reason="the switch exists on the fake GPU")
    old = core.SETTINGS["bfloat16"]
    core.SETTINGS["bfloat16"] = False
    try:
        assert mt.cuda.is_bf16_supported() is False
    finally:
        core.SETTINGS["bfloat16"] = old
