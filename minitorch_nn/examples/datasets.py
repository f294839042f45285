"""The data sets the main job trains on: scikit-learn's bundled digits, or MNIST IDX files.

digits: 1,797 handwritten digits, 8×8 pixels, installed with scikit-learn (no download).
MNIST: pass the folder holding the four IDX files (optionally .gz) from yann.lecun.com.
"""
from __future__ import annotations

import gzip
import os
import struct

import numpy as np

__all__ = ["load_digits", "load_mnist", "read_idx"]


def load_digits(test_fraction: float = 0.25, seed: int = 0):
    """(x_train, y_train, x_test, y_test): float32 images in [0, 1] shaped (N, 1, 8, 8)."""
    try:
        from sklearn.datasets import load_digits as sk_digits
    except ImportError:
        raise ImportError("the digits data set comes with scikit-learn: "
                          "pip install 'minitorch_nn[examples]'") from None
    data = sk_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None]
    y = data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def read_idx(path: str) -> np.ndarray:
    """Read one IDX file (MNIST's format: magic, dims, then big-endian data)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if raw[2] not in dtypes:
        raise ValueError(f"{path}: unknown IDX element type 0x{raw[2]:02x}")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=dtypes[raw[2]], offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: expected {int(np.prod(shape))} values, found {data.size} "
                         "(truncated file?)")
    return data.reshape(shape)


def _find(folder: str, stem: str) -> str:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                 stem.replace("-idx", ".idx") + ".gz"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"no {stem}[.gz] in {folder}: expected the four MNIST IDX files")


def load_mnist(folder: str):
    """(x_train, y_train, x_test, y_test) from MNIST IDX files, images shaped (N, 1, 28, 28)."""
    def images(stem):
        return (read_idx(_find(folder, stem)).astype(np.float32) / 255.0)[:, None]

    def labels(stem):
        return read_idx(_find(folder, stem)).astype(np.int64)

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))
