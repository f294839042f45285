"""The fake CuPy (tests/fake_cupy) offers nothing that the real CuPy package lacks.

Why: the `--fake-gpu` pass decides what "works on the GPU" by what the fake accepts. If the
fake drifts into an API real CuPy does not have (a name, a method, a keyword, a positional
parameter under another name), our code can come to depend on it and pass every test.
Here every public name of the fake's modules and of its classes (ndarray, ufunc, memory
pool, devices, streams, random states) is looked up on the real counterpart, which
imports without a device: it must exist, be the same kind (callable or not), and where
both signatures can be read, the fake must accept no argument the real one refuses
(cupy_api_check.py). The names the fake serves by forwarding to numpy (fake_cupy/_names.py,
CuPy's own list) must all exist in the installed CuPy.

With test_cupy_api_names.py this also covers names our code reaches by routes the source
scan cannot follow: whatever our code gets from the fake (the fake has no attribute
forwarding beyond its module __getattr__ over _names.py), real CuPy has too.

`FAKE_ONLY` lists the fake's own machinery (helpers, internals of its memory model): not
CuPy API, and our code cannot use them (test_cupy_api_names.py checks every name our code
uses against real CuPy).
"""
from __future__ import annotations

import numpy as np
import pytest

import cupy_api_check as check

FAKE_ONLY = {
    "cupy": {"IS_FAKE", "SETTINGS", "from_host", "wrap", "unwrap_kwargs", "np", "types",
             "importlib", "install"},   # install: the submodule that installs the fake
    # defined in the fake's cuda.py; CuPy has them as cupy.cuda.runtime.CUDARuntimeError,
    # cupy.cuda.memory.OutOfMemoryError and cupy.get_default_*_pool (checked there)
    "cupy.cuda": {"DEVICE_COUNT", "types", "weakref", "CUDARuntimeError", "OutOfMemoryError",
                  "get_default_memory_pool", "get_default_pinned_memory_pool"},
    "cupy.random": {"check_dtype", "np", "unwrap", "wrap"},
    "cupy.cuda.Memory": {"root"},              # the numpy buffer behind an allocation
    "cupy.cuda.MemoryPointer": {"offset"},
}


SURFACES = ("cupy", "cupy.cuda", "cupy.cuda.runtime", "cupy.cuda.memory", "cupy.random",
            "cupy.linalg", "cupy.fft", "cupy.lib.stride_tricks", "cupyx",
            "cupyx.scipy.special", "cupy.ndarray", "cupy.ufunc", "cupy.cuda.Device",
            "cupy.cuda.Stream", "cupy.cuda.Memory", "cupy.cuda.MemoryPointer",
            "cupy.cuda.MemoryPool", "cupy.cuda.PinnedMemoryPool", "cupy.random.RandomState",
            "cupy.random.Generator")


def _pairs(cupy):
    """(name, fake object, real object) for every fake module and class."""
    import cupyx
    import cupyx.scipy.special

    import fake_cupy as fake
    from fake_cupy import _core, _cupyx
    return [
        ("cupy", fake, cupy), ("cupy.cuda", fake.cuda, cupy.cuda),
        ("cupy.cuda.runtime", fake.cuda.runtime, cupy.cuda.runtime),
        ("cupy.cuda.memory", fake.cuda.memory, cupy.cuda.memory),
        ("cupy.random", fake.random, cupy.random), ("cupy.linalg", fake.linalg, cupy.linalg),
        ("cupy.fft", fake.fft, cupy.fft),
        ("cupy.lib.stride_tricks", fake.lib.stride_tricks, cupy.lib.stride_tricks),
        ("cupyx", _cupyx.module, cupyx), ("cupyx.scipy.special", _cupyx.special,
                                          cupyx.scipy.special),
        ("cupy.ndarray", fake.ndarray, cupy.ndarray), ("cupy.ufunc", _core.ufunc, cupy.ufunc),
        ("cupy.cuda.Device", fake.cuda.Device, cupy.cuda.Device),
        ("cupy.cuda.Stream", fake.cuda.Stream, cupy.cuda.Stream),
        ("cupy.cuda.Memory", fake.cuda.Memory, cupy.cuda.Memory),
        ("cupy.cuda.MemoryPointer", fake.cuda.MemoryPointer, cupy.cuda.MemoryPointer),
        ("cupy.cuda.MemoryPool", fake.cuda.MemoryPool, cupy.cuda.MemoryPool),
        ("cupy.cuda.PinnedMemoryPool", fake.cuda.PinnedMemoryPool, cupy.cuda.PinnedMemoryPool),
        ("cupy.random.RandomState", fake.random.RandomState, cupy.random.RandomState),
        ("cupy.random.Generator", fake.random.Generator, cupy.random.Generator),
    ]


def test_the_fakes_modules_are_its_own(real_cupy):
    """`cupy.random` of the fake is fake_cupy/random.py, not numpy.random (which the fake's
    module __getattr__ once answered for `from . import random`)."""
    import fake_cupy
    assert fake_cupy.random.__name__ == "fake_cupy.random"
    # CuPy's `unwrap` (numpy's, forwarded), not the fake's helper of the same name
    assert fake_cupy.unwrap.__name__ == "unwrap" and fake_cupy.unwrap.__doc__ == np.unwrap.__doc__


@pytest.mark.parametrize("name", SURFACES)
def test_fake_surface_exists_in_real_cupy(real_cupy, name):
    pairs = {n: (fake_obj, real_obj) for n, fake_obj, real_obj in _pairs(real_cupy)}
    assert tuple(pairs) == SURFACES
    fake_obj, real_obj = pairs[name]
    problems = check.class_surface_problems(name, fake_obj, real_obj,
                                            FAKE_ONLY.get(name, ()))
    assert problems == [], name


def test_fake_only_names_are_still_there(real_cupy):
    """Each FAKE_ONLY entry is a name the fake has and CuPy lacks (a stale entry, which
    would hide nothing but mislead, fails)."""
    for name, fake_obj, real_obj in _pairs(real_cupy):
        for attr in FAKE_ONLY.get(name, ()):
            assert hasattr(fake_obj, attr) and not hasattr(real_obj, attr), f"{name}.{attr}"


def test_names_the_fake_forwards_exist_in_real_cupy(real_cupy):
    """fake_cupy/_names.py (read from CuPy's sources) against the installed CuPy: each
    name exists, and each the fake serves has the real one's kind."""
    import cupy.fft
    import cupy.linalg
    import cupy.random

    import fake_cupy
    from fake_cupy import _names
    lists = [(real_cupy, _names.TOP), (cupy.linalg, _names.LINALG), (cupy.fft, _names.FFT),
             (cupy.random, _names.RANDOM)]
    missing = [f"{m.__name__}.{n}" for m, names in lists for n in sorted(names)
               if not hasattr(m, n)]
    assert missing == []
    kinds = [n for n in sorted(_names.TOP) if hasattr(fake_cupy, n)
             and callable(getattr(fake_cupy, n)) != callable(getattr(real_cupy, n))]
    assert kinds == []
