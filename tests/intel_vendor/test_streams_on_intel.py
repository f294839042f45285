"""PyTorch 2.13 on an Intel CPU draws bernoulli_(p) and exponential_ from the mt19937 stream,
as on AMD, so our streams equal PyTorch's on both vendors.

Older PyTorch builds drew these two through MKL's streams when cpuinfo reported an Intel CPU.
This test runs PyTorch under an LD_PRELOAD shim that makes the cpuid instruction report
"GenuineIntel" (fake_intel_cpuid.c) and compares its draws with ours bit for bit. It needs
Linux on x86-64 with CPUID faulting (the "cpuid_fault" flag), a C compiler and PyTorch;
otherwise it skips and says which is missing.
"""
from __future__ import annotations

import ctypes
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minitorch_nn as mt

from draw_recipe import draws

HERE = Path(__file__).resolve().parent

SUBPROCESS = r"""
import ctypes, sys
import numpy as np
import torch
sys.path.insert(0, {here!r})
from draw_recipe import draws
vendor = ctypes.create_string_buffer(13)
active = ctypes.CDLL({shim!r}).seen_vendor(vendor)
assert active == 1 and vendor.value == b"GenuineIntel", (active, vendor.value)
torch.set_num_threads(2)   # several chunks run in parallel, as on a real machine
np.savez({out!r}, **draws(torch))
"""


def _why_not_runnable():
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return "needs Linux on x86-64"
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "cannot read /proc/cpuinfo"
    if "cpuid_fault" not in flags.split():
        return "this CPU (or its hypervisor) has no CPUID faulting"
    if shutil.which("cc") is None:
        return "no C compiler (cc) to build the fake-Intel shim"
    try:
        import torch  # noqa: F401
    except ImportError:
        return "PyTorch is not installed"
    return None


@pytest.fixture(scope="module")
def torch_on_intel(tmp_path_factory):
    reason = _why_not_runnable()
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("intel_vendor")
    shim = work / "fake_intel_cpuid.so"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(shim),
                    str(HERE / "fake_intel_cpuid.c")], check=True)
    out = work / "torch_draws.npz"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    env["LD_PRELOAD"] = str(shim)
    script = SUBPROCESS.format(here=str(HERE), shim=str(shim), out=str(out))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(out) as data:
        return {key: data[key] for key in data.files}


def test_shim_reports_intel_vendor(tmp_path):
    reason = _why_not_runnable()
    if reason:
        pytest.skip(reason)
    shim = tmp_path / "shim.so"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(shim),
                    str(HERE / "fake_intel_cpuid.c")], check=True)
    probe = ("import ctypes, sys; b = ctypes.create_string_buffer(13); "
             f"a = ctypes.CDLL({str(shim)!r}).seen_vendor(b); print(a, b.value.decode())")
    seen = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env={**os.environ, "LD_PRELOAD": str(shim)}, timeout=60)
    assert seen.stdout.split() == ["1", "GenuineIntel"], seen


def test_draws_equal_pytorch_on_intel(torch_on_intel):
    ours = draws(mt)
    assert ours.keys() == torch_on_intel.keys()
    for key, theirs in torch_on_intel.items():
        np.testing.assert_array_equal(ours[key], theirs, err_msg=key)
