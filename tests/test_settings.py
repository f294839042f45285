"""Process-wide settings (torch.set_num_threads, matmul precision, deterministic algorithms,
default device) and the torch.backends switches: values read back as PyTorch's do, PyTorch's
errors, and the effects that exist here (threads, default device)."""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from minitorch_nn import settings
from op_harness import requires_torch, torch


@pytest.fixture(autouse=True)
def _restore():
    saved = dict(settings._STATE)
    yield
    settings._STATE.update(saved)
    mt.set_default_device(None)


def test_num_threads_round_trip_and_drive_numba():
    import numba
    before = numba.get_num_threads()
    try:
        mt.set_num_threads(1)
        assert mt.get_num_threads() == 1 and numba.get_num_threads() == 1
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("bad, cls, match", [(0, RuntimeError, "positive integer"),
                                             (1.5, RuntimeError, "expects an int")])
def test_num_threads_errors(bad, cls, match):
    with pytest.raises(cls, match=match):
        mt.set_num_threads(bad)


def test_interop_threads_can_be_set_once():
    settings._STATE["interop_threads"] = None
    mt.set_num_interop_threads(3)
    assert mt.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="cannot set number of interop threads"):
        mt.set_num_interop_threads(2)


def test_matmul_precision_and_allow_tf32_are_one_setting():
    assert mt.get_float32_matmul_precision() == "highest"
    assert mt.backends.cuda.matmul.allow_tf32 is False
    mt.set_float32_matmul_precision("medium")
    assert mt.backends.cuda.matmul.allow_tf32 is True
    mt.backends.cuda.matmul.allow_tf32 = False
    assert mt.get_float32_matmul_precision() == "highest"
    with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
        mt.set_float32_matmul_precision("fast")
    assert mt.get_float32_matmul_precision() == "highest"


def test_deterministic_algorithms_flags():
    mt.use_deterministic_algorithms(True, warn_only=True)
    assert mt.are_deterministic_algorithms_enabled()
    assert mt.is_deterministic_algorithms_warn_only_enabled()
    with pytest.raises(TypeError, match="must be bool, not str"):
        mt.use_deterministic_algorithms("yes")


def test_default_device_is_used_by_factories():
    mt.set_default_device("cpu")
    assert mt.get_default_device() == mt.device("cpu")
    assert mt.zeros(2).device.type == "cpu"
    with pytest.raises(RuntimeError):
        mt.set_default_device("nonsense")


def test_default_device_cuda_reaches_factories(monkeypatch):
    """With 'cuda' as the default, a factory given no device asks for a cuda tensor (without a
    GPU that is the error PyTorch raises too; with one, the tensor lands there)."""
    mt.set_default_device("cuda")
    if mt.cuda.is_available():
        assert mt.ones(2).device.type == "cuda"
    else:
        with pytest.raises((RuntimeError, AssertionError)):
            mt.ones(2)
    assert mt.ones(2, device="cpu").device.type == "cpu"


def test_cudnn_flags_and_context():
    cudnn = mt.backends.cudnn
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == \
        (True, False, False, True)
    with cudnn.flags(enabled=False, benchmark=True):
        assert cudnn.enabled is False and cudnn.benchmark is True
    assert cudnn.enabled is True and cudnn.benchmark is False
    cudnn.benchmark = True
    assert mt.backends.cudnn.benchmark is True
    cudnn.benchmark = False
    assert cudnn.is_available() is False and cudnn.version() is None


def test_mps_and_sdp_switches():
    assert mt.backends.mps.is_available() is False and mt.backends.mps.is_built() is False
    cuda = mt.backends.cuda
    with cuda.sdp_kernel(enable_flash=False):
        assert cuda.flash_sdp_enabled() is False and cuda.math_sdp_enabled() is True
    assert cuda.flash_sdp_enabled() is True
    assert mt.backends.cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT")


@requires_torch
def test_same_names_and_defaults_as_pytorch():
    for mod in ("cuda", "cudnn", "mps", "cpu", "mkl", "mkldnn", "openmp"):
        assert hasattr(mt.backends, mod) and hasattr(torch.backends, mod)
    for flag in ("benchmark", "deterministic", "allow_tf32", "enabled"):
        assert getattr(mt.backends.cudnn, flag) == getattr(torch.backends.cudnn, flag)
    assert mt.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    assert mt.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    assert mt.are_deterministic_algorithms_enabled() == \
        torch.are_deterministic_algorithms_enabled()
