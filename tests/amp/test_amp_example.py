"""examples/amp_digits_both.py: the AMP recipe trains under minitorch_nn and PyTorch alike."""
from __future__ import annotations

import importlib.util
import pathlib

import pytest

import minitorch_nn as mt

pytest.importorskip("sklearn")
PATH = pathlib.Path(__file__).resolve().parents[2] / "examples" / "amp_digits_both.py"


def _example():
    spec = importlib.util.spec_from_file_location("amp_digits_both", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("dtype, scale", [("bfloat16", 1.0), ("float16", 65536.0)])
def test_amp_example_learns(dtype, scale):
    accuracy, final_scale = _example().run(mt, epochs=1, dtype=dtype)
    assert accuracy > 0.6                    # 10 classes: chance is 0.1
    assert final_scale == scale              # float16: scaled, no overflow at 2**16 here


def test_amp_example_runs_under_pytorch_too():
    torch = pytest.importorskip("torch")
    accuracy, final_scale = _example().run(torch, epochs=1, dtype="float16")
    assert accuracy > 0.6 and final_scale == 65536.0


@pytest.mark.cuda
def test_amp_example_on_cuda():
    accuracy, final_scale = _example().run(mt, epochs=1, dtype="float16", device="cuda")
    assert accuracy > 0.6 and final_scale == 65536.0
