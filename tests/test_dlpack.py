"""DLPack exchange with numpy and PyTorch: zero-copy both ways, PyTorch's refusals."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch


def test_numpy_round_trip_shares_memory():
    a = np.arange(6.0).reshape(2, 3)
    t = mt.from_dlpack(a)
    t[0, 0] = 42.0
    assert a[0, 0] == 42.0
    back = np.from_dlpack(t)
    back[1, 2] = -1.0
    assert t[1, 2].item() == -1.0
    assert t.__dlpack_device__()[0] == 1


def test_export_refuses_tensors_that_require_grad():
    x = mt.ones(2, requires_grad=True)
    with pytest.raises(BufferError, match="require gradient"):
        np.from_dlpack(x)
    assert np.from_dlpack(x.detach()).tolist() == [1.0, 1.0]


def test_bad_objects_and_legacy_capsules():
    with pytest.raises(TypeError, match="expected an object with __dlpack__"):
        mt.from_dlpack([1, 2])
    capsule = mt.utils.dlpack.to_dlpack(mt.arange(3))
    assert mt.utils.dlpack.from_dlpack(capsule).tolist() == [0, 1, 2]


@requires_torch
def test_pytorch_exchange_both_ways_without_copies():
    tt = torch.arange(4.0)
    ours = mt.from_dlpack(tt)
    ours.add_(1)
    assert tt.tolist() == [1.0, 2.0, 3.0, 4.0]
    mine = mt.zeros(3, dtype=mt.float64)
    theirs = torch.from_dlpack(mine)
    theirs += 5
    assert mine.tolist() == [5.0, 5.0, 5.0] and theirs.dtype == torch.float64
