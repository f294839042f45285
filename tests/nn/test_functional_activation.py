"""nn.functional activations: leaky_relu, elu, gelu, silu, softplus, hardtanh, relu6, softmax,
log_softmax, softmin, dropout (+ relu/sigmoid/tanh forwarded from unary)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_nn as mt
from functional_util import F, compare_paths, contiguous
from op_harness import assert_close, check_op, requires_torch, torch

ERF = np.vectorize(math.erf)

ELEMENTWISE = [
    ("leaky_relu", lambda T, x: F(T).leaky_relu(x, 0.2),
     lambda x: np.where(x > 0, x, 0.2 * x)),
    ("elu", lambda T, x: F(T).elu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
    ("gelu", lambda T, x: F(T).gelu(x), lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2)))),
    ("gelu_tanh", lambda T, x: F(T).gelu(x, approximate="tanh"),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    ("silu", lambda T, x: F(T).silu(x), lambda x: x / (1 + np.exp(-x))),
    ("softplus", lambda T, x: F(T).softplus(x), lambda x: np.log1p(np.exp(x))),
    ("softplus_beta", lambda T, x: F(T).softplus(x, beta=2.0, threshold=3.0),
     lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2)),
    ("hardtanh", lambda T, x: F(T).hardtanh(x, -0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5)),
    ("relu6", lambda T, x: F(T).relu6(x * 4), lambda x: np.clip(x * 4, 0, 6)),
    ("relu", lambda T, x: F(T).relu(x), lambda x: np.maximum(x, 0)),
    ("sigmoid", lambda T, x: F(T).sigmoid(x), lambda x: 1 / (1 + np.exp(-x))),
    ("tanh", lambda T, x: F(T).tanh(x), np.tanh),
]


@pytest.mark.parametrize("name,fn,ref", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
@pytest.mark.parametrize("layout", ["contiguous", "noncontiguous"])
def test_elementwise_activation(name, fn, ref, layout):
    if layout == "contiguous":   # the Numba kernel path
        check_op(fn, None, ref=ref, arrays=contiguous((3, 5)))
    else:                        # the numpy path (transposed views)
        check_op(fn, [(4, 3)], ref=ref)


@pytest.mark.parametrize("name,fn,ref", ELEMENTWISE[:7], ids=[e[0] for e in ELEMENTWISE[:7]])
def test_kernel_and_numpy_paths_agree(name, fn, ref):
    compare_paths(lambda x: fn(mt, x), contiguous((6, 7), low=-25, high=25))


@requires_torch
@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float16, 3e-3)])
@pytest.mark.parametrize("name,fn,ref", ELEMENTWISE[:9], ids=[e[0] for e in ELEMENTWISE[:9]])
def test_low_precision_matches_pytorch(name, fn, ref, dtype, tol):
    """float32 runs the kernels, float16 the numpy path in float32: both as PyTorch."""
    (a,) = contiguous((4, 6), low=-4, high=4, dtype=dtype)
    x = mt.from_numpy(a.copy()).requires_grad_()
    t = torch.from_numpy(a.copy()).requires_grad_()
    y, ty = fn(mt, x), fn(torch, t)
    assert str(y.dtype) == str(ty.dtype)
    assert_close(y.detach().numpy(), ty.detach().numpy(), atol=tol, rtol=tol)
    y.sum().backward()
    ty.sum().backward()
    assert_close(x.grad.numpy(), t.grad.numpy(), atol=2 * tol, rtol=2 * tol)


def test_subgradients_at_boundaries():
    x = mt.tensor([-1.0, 0.0, 1.0, 0.5], requires_grad=True)
    F(mt).hardtanh(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]   # bounds excluded, as in PyTorch
    x.grad = None
    F(mt).leaky_relu(x).sum().backward()
    assert x.grad.tolist() == pytest.approx([0.01, 0.01, 1.0, 1.0])
    x.grad = None
    F(mt).elu(x).sum().backward()
    assert x.grad.tolist() == pytest.approx([math.exp(-1), 1.0, 1.0, 1.0])


def test_softplus_threshold_is_linear_and_large_inputs_stay_finite():
    x = mt.tensor([-100.0, 0.0, 30.0, 100.0])
    y = F(mt).softplus(x).tolist()
    assert y[0] == pytest.approx(0.0, abs=1e-30) and y[2:] == [30.0, 100.0]
    assert F(mt).silu(mt.tensor([-1000.0, 1000.0])).tolist() == [0.0, 1000.0]


@requires_torch
@pytest.mark.parametrize("name", ["leaky_relu", "elu", "hardtanh", "relu6", "silu", "relu"])
def test_inplace_variants(name):
    def run(T):
        base = T.tensor([-1.5, 0.5, 2.0], requires_grad=True)
        x = base * 1
        y = getattr(F(T), name)(x, inplace=True)
        assert y is x and x._version == 1
        (y * y).sum().backward()
        return x.detach().numpy(), base.grad.numpy()

    for ours, theirs in zip(run(mt), run(torch)):
        assert_close(ours, theirs)


def test_inplace_on_leaf_refused():
    leaf = mt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F(mt).leaky_relu_(leaf)


@pytest.mark.parametrize("name", ["gelu", "silu", "elu", "leaky_relu", "softplus"])
def test_integer_input_refused(name):
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        getattr(F(mt), name)(mt.tensor([1, 2]))


def test_gelu_bad_approximate():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F(mt).gelu(mt.ones(2), approximate="fast")


def test_grad_fn_names():
    x = mt.ones(3, requires_grad=True)
    assert type(F(mt).gelu(x).grad_fn).__name__ == "GeluBackward0"
    assert type(F(mt).relu6(x).grad_fn).__name__ == "HardtanhBackward0"
    assert type(F(mt).softmax(x, 0).grad_fn).__name__ == "SoftmaxBackward0"
    assert type(F(mt).log_softmax(x, 0).grad_fn).__name__ == "LogSoftmaxBackward0"


# ------------------------------------------------------------------ softmax family
def _np_softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("layout", ["contiguous", "noncontiguous"])
def test_softmax_and_log_softmax(dim, layout):
    arrays = contiguous((3, 5)) if layout == "contiguous" else None
    check_op(lambda T, x: F(T).softmax(x, dim), [(3, 5)], arrays=arrays,
             ref=lambda x: _np_softmax(x, dim))
    check_op(lambda T, x: F(T).log_softmax(x, dim), [(3, 5)], arrays=arrays,
             ref=lambda x: np.log(_np_softmax(x, dim)))
    check_op(lambda T, x: F(T).softmin(x, dim), [(3, 5)], arrays=arrays,
             ref=lambda x: _np_softmax(-x, dim))


def test_softmax_tensor_methods_and_top_level():
    check_op(lambda T, x: x.softmax(-1), None, arrays=contiguous((2, 3, 4)))
    check_op(lambda T, x: x.log_softmax(dim=1), None, arrays=contiguous((2, 3, 4)))
    check_op(lambda T, x: T.softmax(x, 0), None, arrays=contiguous((2, 3)))
    check_op(lambda T, x: T.log_softmax(x, 1, dtype=T.float64), None,
             arrays=contiguous((2, 3), dtype=np.float32))


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_softmax_any_dim_kernel_and_numpy_agree(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    (a,) = contiguous(tuple(shape), seed=len(shape), low=-30, high=30)
    compare_paths(lambda x: F(mt).softmax(x, dim), [a])
    compare_paths(lambda x: F(mt).log_softmax(x, dim), [a])
    out = F(mt).softmax(mt.from_numpy(a), dim).numpy()
    np.testing.assert_allclose(out.sum(axis=dim), 1.0, rtol=1e-12)


def test_softmax_is_stable_and_handles_edges():
    big = mt.tensor([[1000.0, 1000.0, -1000.0]])
    assert F(mt).softmax(big, 1).tolist() == [[0.5, 0.5, 0.0]]
    assert F(mt).log_softmax(big, 1).tolist()[0][:2] == pytest.approx([-math.log(2)] * 2)
    assert F(mt).softmax(mt.tensor(3.0), 0).item() == 1.0
    assert F(mt).log_softmax(mt.tensor(3.0), 0).item() == 0.0
    assert F(mt).softmax(mt.zeros(0, 3), 1).shape == (0, 3)
    assert F(mt).softmax(mt.zeros(2, 0), 1).shape == (2, 0)
    assert all(math.isnan(v) for v in F(mt).softmax(mt.full((1, 3), -math.inf), 1).tolist()[0])


def test_softmax_dtype_argument_and_half():
    x = mt.randn(2, 3, dtype=mt.float16)
    assert F(mt).softmax(x, 1).dtype is mt.float16
    assert F(mt).softmax(x, 1, dtype=mt.float32).dtype is mt.float32
    check_op(lambda T, x: F(T).softmax(x, 1, dtype=T.float64), None,
             arrays=contiguous((2, 3), dtype=np.float32), grad=False)


def test_softmax_implicit_dim_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F(mt).softmax(mt.ones(2, 3))
    assert y.tolist()[0] == pytest.approx([1 / 3] * 3)   # dim=1 for 2-D input
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        F(mt).log_softmax(mt.ones(3))


def test_softmax_errors():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 2\)"):
        F(mt).softmax(mt.ones(2, 3), 2)
    with pytest.raises(NotImplementedError, match="softmax_lastdim_kernel_impl"):
        F(mt).softmax(mt.tensor([1, 2]), 0)
    with pytest.raises(TypeError):
        mt.ones(2).softmax()


# ------------------------------------------------------------------ dropout
def test_dropout_statistics_scaling_and_gradient():
    mt.manual_seed(0)
    x = mt.ones(4000, requires_grad=True)
    y = F(mt).dropout(x, p=0.3)
    kept = y.detach().numpy() != 0
    assert 0.65 < kept.mean() < 0.75
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7, rtol=1e-6)   # same mask


def test_dropout_identity_cases_and_seeding():
    x = mt.randn(3, 4)
    assert F(mt).dropout(x, 0.5, training=False) is x
    assert F(mt).dropout(x, 0.0) is x
    assert F(mt).dropout(x, 1.0).abs().sum().item() == 0.0
    mt.manual_seed(3)
    a = F(mt).dropout(x, 0.5)
    mt.manual_seed(3)
    b = F(mt).dropout(x, 0.5)
    assert a.tolist() == b.tolist()
    assert mt.dropout(x, 0.5, False) is x


def test_dropout_inplace_and_errors():
    x = mt.ones(100)
    y = F(mt).dropout(x, 0.5, inplace=True)
    assert y is x and x._version == 1 and set(x.tolist()) <= {0.0, 2.0}
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                                         "got 1.5"):
        F(mt).dropout(x, 1.5)
    with pytest.raises(RuntimeError, match="result type Float can't be cast"):
        F(mt).dropout(mt.tensor([1, 2]))


@requires_torch
def test_f_signatures_match_pytorch():
    import inspect
    for name in ["leaky_relu", "elu", "silu", "hardtanh", "relu6", "softmax", "log_softmax",
                 "softmin", "dropout", "relu"]:
        ours = inspect.signature(getattr(F(mt), name))
        theirs = inspect.signature(getattr(torch.nn.functional, name))
        assert list(ours.parameters) == list(theirs.parameters), name
        assert [p.default for p in ours.parameters.values()] == \
            [p.default for p in theirs.parameters.values()], name
