"""minitorch_nn.array_backends._malloc: when the glibc heap thresholds are set, and when not."""
from __future__ import annotations

import os

import numpy as np
import pytest

from minitorch_nn.array_backends import _malloc, cpu


def test_tuned_at_import_on_glibc_unless_told_otherwise():
    wanted = _malloc._is_glibc() and not any(key in os.environ for key in _malloc._ENV_KEYS)
    assert cpu.MALLOC_TUNED is wanted


@pytest.mark.parametrize("key,value", [("MALLOC_MMAP_THRESHOLD_", "131072"),
                                       ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1")])
def test_skipped_when_the_user_chose(monkeypatch, key, value):
    monkeypatch.setenv(key, value)
    assert _malloc.tune() is False


def test_skipped_off_glibc(monkeypatch):
    monkeypatch.setattr(_malloc, "_is_glibc", lambda: False)
    assert _malloc.tune() is False


def test_thresholds_and_arrays_after_tuning(monkeypatch):
    for key in _malloc._ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    assert _malloc.MMAP_THRESHOLD == 32 << 20 and _malloc.TRIM_THRESHOLD == 64 << 20
    assert _malloc.tune() is _malloc._is_glibc()
    a = np.zeros(1 << 20, np.float32)          # 4 MiB: from the heap now, still zeroed
    assert not a.any()
    a[:] = 1.0
    del a
    assert not np.zeros(1 << 20, np.float32).any()
