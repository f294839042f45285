"""nn.functional linear, bilinear, pad, normalize, cosine_similarity, pairwise_distance, and
the namespace itself (names, top-level exports, signatures)."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import minitorch_nn as mt
from functional_util import F
from op_harness import check_op, requires_torch, torch


@pytest.mark.parametrize("shapes", [[(4, 3), (5, 3), (5,)], [(2, 4, 3), (5, 3), (5,)],
                                    [(3,), (5, 3), (5,)], [(4, 3), (5, 3), (4, 5)]])
def test_linear_with_bias(shapes):
    check_op(lambda T, x, w, b: F(T).linear(x, w, b), shapes,
             ref=lambda x, w, b: x @ w.T + b)


@pytest.mark.parametrize("shapes", [[(4, 3), (5, 3)], [(2, 3), (3,)], [(3,), (3,)]])
def test_linear_without_bias(shapes):
    check_op(lambda T, x, w: F(T).linear(x, w), shapes, ref=lambda x, w: x @ w.T)


def test_linear_grad_fn_and_errors():
    x = mt.randn(4, 3, requires_grad=True)
    assert type(F(mt).linear(x, mt.randn(5, 3), mt.randn(5)).grad_fn).__name__ == \
        "AddmmBackward0"
    assert type(F(mt).linear(x, mt.randn(5, 3)).grad_fn).__name__ == "MmBackward0"
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(4x3 and 4x5\)"):
        F(mt).linear(x, mt.randn(5, 4))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype"):
        F(mt).linear(x, mt.randn(5, 3, dtype=mt.float64))
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(5\) must match "
                                           r"the existing size \(4\)"):
        F(mt).linear(x, mt.randn(5, 3), mt.randn(4))


def test_bilinear():
    check_op(lambda T, a, b, w, bias: F(T).bilinear(a, b, w, bias),
             [(4, 3), (4, 2), (5, 3, 2), (5,)],
             ref=lambda a, b, w, bias: np.einsum("ni,oij,nj->no", a, w, b) + bias)
    check_op(lambda T, a, b, w: T.bilinear(a, b, w), [(2, 4, 3), (2, 4, 2), (5, 3, 2)])
    with pytest.raises(RuntimeError, match="input1 size does not match weight size"):
        F(mt).bilinear(mt.randn(4, 2), mt.randn(4, 2), mt.randn(5, 3, 2))


@pytest.mark.parametrize("pad,mode,shape", [
    ((1, 2), "constant", (2, 3)), ((1, -1, 2, 0), "constant", (2, 3, 4)),
    ((2, 2), "reflect", (2, 3)), ((2, 1, 1, 2), "reflect", (1, 2, 3, 4)),
    ((2, 3), "replicate", (2, 3)), ((1, 2, 2, 1), "replicate", (2, 3, 4)),
    ((2, 3), "circular", (1, 2, 3)), ((1, 1, 1, 1, 1, 1), "reflect", (1, 2, 3, 3, 3))])
def test_pad_modes(pad, mode, shape):
    check_op(lambda T, x: F(T).pad(x, pad, mode), [shape])


def test_pad_value_reference_and_top_level():
    check_op(lambda T, x: F(T).pad(x, (1, 1, 0, 2), value=2.5), [(2, 3)],
             ref=lambda x: np.pad(x, ((0, 2), (1, 1)), constant_values=2.5))
    check_op(lambda T, x: T.constant_pad_nd(x, (1, 0), 1.0), [(2, 3)])


def test_pad_errors():
    x = mt.randn(2, 3)
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F(mt).pad(x, (1,))
    with pytest.raises(RuntimeError, match="Padding length should be less than or equal to two "
                                           "times the input dimension"):
        F(mt).pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding "
                                           "input dimension"):
        F(mt).pad(x, (3, 3), mode="reflect")
    with pytest.raises(RuntimeError, match="Padding value causes wrapping around more than "
                                           "once."):
        F(mt).pad(x.unsqueeze(0), (4, 4), mode="circular")
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode foo"):
        F(mt).pad(x, (1, 1), mode="foo")
    with pytest.raises(RuntimeError, match="Padding mode \"reflect\" doesn't take in value"):
        F(mt).pad(x, (1, 1), mode="reflect", value=2)


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize(p, dim):
    def ref(x):
        n = (np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p)
        return x / np.maximum(n, 1e-12)

    check_op(lambda T, x: F(T).normalize(x, p, dim), [(3, 4)], ref=ref)


def test_normalize_zero_vector_and_cosine_similarity():
    assert F(mt).normalize(mt.zeros(1, 3)).tolist() == [[0.0, 0.0, 0.0]]

    def ref(a, b):
        return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))

    check_op(lambda T, a, b: F(T).cosine_similarity(a, b), [(3, 4), (3, 4)], ref=ref)
    check_op(lambda T, a, b: T.cosine_similarity(a, b, dim=-1), [(3, 4), (4,)])


def test_pairwise_distance():
    check_op(lambda T, a, b: F(T).pairwise_distance(a, b), [(3, 4), (3, 4)],
             ref=lambda a, b: np.linalg.norm(a - b + 1e-6, axis=-1))
    check_op(lambda T, a, b: T.pairwise_distance(a, b, 1.0, keepdim=True), [(3, 4), (3, 4)])


# ------------------------------------------------------------------ the namespace
def test_functional_names_exist():
    for name in F(mt).__all__:
        assert callable(getattr(F(mt), name)), name


@requires_torch
def test_top_level_exports_follow_pytorch():
    """Functions of the nn families are top-level names exactly where PyTorch has them."""
    for name in F(mt).__all__:
        if name in ("relu", "relu_", "sigmoid", "tanh"):
            continue   # unary ops, exported by their own family
        in_torch = hasattr(torch, name)
        assert hasattr(mt, name) == in_torch or (in_torch and name in (
            "hardtanh", "celu",
            "embedding_bag")), name   # torch.embedding_bag: another signature, 4 outputs


@requires_torch
def test_signatures_match_pytorch():
    skip = {"relu_", "leaky_relu_", "elu_", "hardtanh_", "sigmoid", "tanh", "one_hot",
            "gelu", "softplus", "linear", "bilinear", "conv1d", "conv2d", "conv_transpose1d",
            "conv_transpose2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
            "scaled_dot_product_attention", "cosine_similarity", "pairwise_distance",
            "max_pool1d", "max_pool2d", "adaptive_avg_pool2d"}   # C functions or *args in torch
    for name in F(mt).__all__:
        if name in skip:
            continue
        theirs_fn = getattr(torch.nn.functional, name)
        if inspect.isbuiltin(theirs_fn):
            continue   # a C function in torch (avg_pool3d, pdist, ...): no Python signature
        ours = inspect.signature(getattr(F(mt), name)).parameters
        theirs = inspect.signature(theirs_fn).parameters
        if list(theirs) == ["args", "kwargs"]:
            continue   # a dispatcher in torch (return_indices picks the function)
        assert list(ours) == list(theirs), name
        for p in ours:
            if theirs[p].default is not inspect.Parameter.empty:
                assert ours[p].default == theirs[p].default, (name, p)


def test_docs_functional_example_runs(capsys):
    import pathlib
    import re
    doc = pathlib.Path(__file__).resolve().parents[2] / "docs" / "functional.md"
    code = "\n".join(re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.S))
    exec(compile(code, "functional.md", "exec"), {})
    assert "NllLossBackward0 torch.Size([8, 3, 16, 16])" in capsys.readouterr().out
