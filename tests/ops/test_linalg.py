"""Linear algebra ops (minitorch_nn/ops/linalg.py): transposes (views: t, T, mT, H, mH).

Also, for the products (tests/ops/test_products.py) and einsum / tensordot
(tests/ops/test_einsum.py): errors compared with PyTorch's own, grad node names, the
docstring examples and the public names.
"""
from __future__ import annotations

import doctest
import string

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.ops import einsum as einsum_family
from minitorch_nn.ops.registry import lookup
from op_harness import check_op, make_arrays, requires_torch, to_mt, to_torch, torch


# ------------------------------------------------------------------ errors vs PyTorch
def _msg(err: BaseException) -> str:
    return str(err).splitlines()[0]


ERROR_CASES = {
    # matmul: each path (dot, mv, mm, folded mm/mv, bmm) has its own wording
    "mm shapes": lambda T: T.ones(2, 5) @ T.ones(3, 4),
    "batched sizes": lambda T: T.matmul(T.ones(2, 3, 5), T.ones(2, 3, 4)),
    "folded mm": lambda T: T.matmul(T.ones(2, 3, 5), T.ones(3, 4)),
    "batched 2d@3d": lambda T: T.matmul(T.ones(3, 5), T.ones(2, 3, 4)),
    "1d@1d size": lambda T: T.matmul(T.ones(5), T.ones(4)),
    "1d@2d size": lambda T: T.matmul(T.ones(5), T.ones(4, 3)),
    "2d@1d size": lambda T: T.matmul(T.ones(3, 5), T.ones(4)),
    "folded mv": lambda T: T.matmul(T.ones(2, 3, 5), T.ones(4)),
    "1d@3d": lambda T: T.matmul(T.ones(5), T.ones(2, 4, 3)),
    "batch broadcast": lambda T: T.matmul(T.ones(7, 2, 3, 4), T.ones(5, 4, 2)),
    "batch broadcast 3d": lambda T: T.matmul(T.ones(3, 2, 3), T.ones(2, 3, 2)),
    "0d": lambda T: T.matmul(T.ones(()), T.ones(3)),
    "0d right": lambda T: T.matmul(T.ones(3), T.ones(())),
    "dtype mm": lambda T: T.matmul(T.ones(2, 3), T.ones(3, 4, dtype=T.float64)),
    "dtype dot": lambda T: T.matmul(T.ones(3), T.ones(3, dtype=T.float64)),
    "dtype 1d@2d": lambda T: T.matmul(T.ones(3), T.ones(3, 2, dtype=T.float64)),
    "dtype mv": lambda T: T.matmul(T.ones(2, 3, dtype=T.float64), T.ones(3)),
    "dtype bmm": lambda T: T.matmul(T.ones(2, 2, 3), T.ones(2, 3, 2, dtype=T.float64)),
    "dtype int": lambda T: T.matmul(T.ones(2, 3, dtype=T.int32), T.ones(3, 2, dtype=T.int64)),
    "dtype half": lambda T: T.matmul(T.ones(2, 3, dtype=T.float16), T.ones(3, 2)),
    "dtype bf16": lambda T: T.matmul(T.ones(2, 3, dtype=T.bfloat16), T.ones(3, 2)),
    "dtype int8/uint8": lambda T: T.matmul(T.ones(2, 3, dtype=T.int8),
                                           T.ones(3, 2, dtype=T.uint8)),
    "dtype bool/float": lambda T: T.matmul(T.ones(2, 3, dtype=T.bool), T.ones(3, 2)),
    "bool mm": lambda T: T.matmul(T.ones(2, 3, dtype=T.bool), T.ones(3, 2, dtype=T.bool)),
    "bool bmm": lambda T: T.matmul(T.ones(2, 2, 3, dtype=T.bool),
                                   T.ones(2, 3, 2, dtype=T.bool)),
    "bool dot": lambda T: T.matmul(T.ones(3, dtype=T.bool), T.ones(3, dtype=T.bool)),
    "bool mv": lambda T: T.mv(T.ones(2, 3, dtype=T.bool), T.ones(3, dtype=T.bool)),
    "matmul non-tensor": lambda T: T.matmul(T.ones(2, 3), 2),
    "mm non-tensor": lambda T: T.mm(T.ones(2, 3), 2),
    "mm non-tensor input": lambda T: T.mm(2, T.ones(2, 3)),
    # mm / bmm / mv / dot / outer
    "mm 1d self": lambda T: T.mm(T.ones(3), T.ones(3, 2)),
    "mm 1d mat2": lambda T: T.mm(T.ones(2, 3), T.ones(3)),
    "mm 3d": lambda T: T.mm(T.ones(2, 2, 3), T.ones(3, 2)),
    "mm shapes 2": lambda T: T.mm(T.ones(2, 3), T.ones(4, 2)),
    "mm dtype": lambda T: T.mm(T.ones(2, 3), T.ones(3, 2, dtype=T.float64)),
    "mm complex": lambda T: T.mm(T.ones(2, 2, dtype=T.complex64), T.ones(2, 2)),
    "bmm 2d": lambda T: T.bmm(T.ones(2, 3), T.ones(3, 2)),
    "bmm 2d batch2": lambda T: T.bmm(T.ones(2, 2, 3), T.ones(3, 2)),
    "bmm sizes": lambda T: T.bmm(T.ones(2, 4, 5), T.ones(3, 4, 6)),
    "bmm inner": lambda T: T.bmm(T.ones(2, 4, 5), T.ones(2, 4, 6)),
    "bmm no broadcast": lambda T: T.bmm(T.ones(2, 4, 5), T.ones(1, 5, 6)),
    "bmm dtype": lambda T: T.bmm(T.ones(2, 4, 5), T.ones(2, 5, 6, dtype=T.float64)),
    "bmm dtype 2": lambda T: T.bmm(T.ones(2, 4, 5, dtype=T.float64), T.ones(2, 5, 6)),
    "bmm dtype long": lambda T: T.bmm(T.ones(2, 2, 3), T.ones(2, 3, 2, dtype=T.int64)),
    "bmm size before dtype": lambda T: T.bmm(T.ones(2, 2, 3),
                                             T.ones(2, 4, 2, dtype=T.float64)),
    "mv sizes": lambda T: T.mv(T.ones(2, 3), T.ones(4)),
    "mv 1d": lambda T: T.mv(T.ones(3), T.ones(3)),
    "mv 2d vec": lambda T: T.mv(T.ones(2, 3), T.ones(3, 1)),
    "mv dtype": lambda T: T.mv(T.ones(2, 3), T.ones(3, dtype=T.float64)),
    "mv dtype long": lambda T: T.mv(T.ones(2, 3), T.ones(3, dtype=T.int64)),
    "dot 2d": lambda T: T.dot(T.ones(2, 3), T.ones(2, 3)),
    "dot size": lambda T: T.dot(T.ones(3), T.ones(4)),
    "dot dtype": lambda T: T.dot(T.ones(3), T.ones(3, dtype=T.float64)),
    "dot dtype before size": lambda T: T.dot(T.ones(3), T.ones(4, dtype=T.float64)),
    "dot bool": lambda T: T.dot(T.ones(3, dtype=T.bool), T.ones(3, dtype=T.bool)),
    "vdot 2d": lambda T: T.vdot(T.ones(3, 1), T.ones(3)),
    "vdot dtype": lambda T: T.vdot(T.ones(3), T.ones(3, dtype=T.float64)),
    "outer 2d": lambda T: T.outer(T.ones(3, 1), T.ones(4)),
    "outer 2d vec2": lambda T: T.outer(T.ones(2), T.ones(3, 1)),
    # transposes
    "t 3d": lambda T: T.ones(2, 3, 4).t(),
    "mT 1d": lambda T: T.ones(3).mT,
    "mH 1d": lambda T: T.ones(3).mH,
    "H 3d": lambda T: T.ones(2, 3, 4).H,
    "H 1d": lambda T: T.ones(3).H,
    # addmm / baddbmm
    "addmm mat1 1d": lambda T: T.addmm(T.ones(2, 2), T.ones(3), T.ones(3, 2)),
    "addmm mat2 1d": lambda T: T.addmm(T.ones(2, 2), T.ones(2, 3), T.ones(3)),
    "addmm shapes": lambda T: T.addmm(T.ones(2, 2), T.ones(2, 3), T.ones(4, 2)),
    "addmm self dtype": lambda T: T.addmm(T.ones(2, 2, dtype=T.float64), T.ones(2, 3),
                                          T.ones(3, 2)),
    "addmm mat dtype": lambda T: T.addmm(T.ones(2, 2), T.ones(2, 3, dtype=T.float64),
                                         T.ones(3, 2)),
    "addmm expand": lambda T: T.addmm(T.ones(3, 4), T.ones(2, 3), T.ones(3, 4)),
    "addmm expand ndim": lambda T: T.addmm(T.ones(2, 2, 2), T.ones(2, 3), T.ones(3, 2)),
    "addmm bool": lambda T: T.addmm(T.ones(2, 2, dtype=T.bool), T.ones(2, 3, dtype=T.bool),
                                    T.ones(3, 2, dtype=T.bool)),
    "baddbmm expand": lambda T: T.baddbmm(T.ones(4, 2, 2), T.ones(3, 2, 3), T.ones(3, 3, 2)),
    # einsum
    "einsum fewer operands": lambda T: T.einsum("ij,jk->ik", T.ones(2, 3)),
    "einsum more operands": lambda T: T.einsum("ij->", T.ones(3, 3), T.ones(3)),
    "einsum bad output": lambda T: T.einsum("ij,jk->iz", T.ones(2, 3), T.ones(3, 4)),
    "einsum repeated output": lambda T: T.einsum("ij,jk->ikk", T.ones(2, 3), T.ones(3, 4)),
    "einsum ndim": lambda T: T.einsum("ijk,jk->ik", T.ones(2, 3), T.ones(3, 4)),
    "einsum ndim ellipsis": lambda T: T.einsum("...ijk->...", T.ones(2, 3)),
    "einsum digit": lambda T: T.einsum("i1->i", T.ones(2, 3)),
    "einsum double arrow": lambda T: T.einsum("ij->i->j", T.ones(2, 3)),
    "einsum bad output char": lambda T: T.einsum("ij->i>", T.ones(3, 3)),
    "einsum lone dot": lambda T: T.einsum("i.j->i", T.ones(2, 3)),
    "einsum two ellipses": lambda T: T.einsum("...i...j", T.ones(3, 3)),
    "einsum output dot": lambda T: T.einsum("i->..", T.ones(3)),
    "einsum output two ellipses": lambda T: T.einsum("...i->...i...", T.ones(3)),
    "einsum sizes": lambda T: T.einsum("i,i", T.ones(3), T.ones(4)),
    "einsum repeated sizes": lambda T: T.einsum("ii->i", T.ones(2, 3)),
    "einsum dtype": lambda T: T.einsum("ij,jk", T.ones(2, 3), T.ones(3, 4, dtype=T.float64)),
    "einsum dtype 2": lambda T: T.einsum("ij,jk", T.ones(2, 3, dtype=T.float64), T.ones(3, 4)),
    "einsum no operands": lambda T: T.einsum("ij", []),
    "einsum non-tensor": lambda T: T.einsum("ij", T.ones(3, 3), 2),
    "einsum equation type": lambda T: T.einsum(2, T.ones(3, 3)),
    # tensordot
    "tensordot sizes": lambda T: T.tensordot(T.ones(2, 3), T.ones(4, 4), dims=1),
    "tensordot sizes 2": lambda T: T.tensordot(T.ones(2, 3, 4), T.ones(3, 5, 5), dims=2),
    "tensordot lists": lambda T: T.tensordot(T.ones(2, 3, 4), T.ones(3, 4, 5),
                                             dims=([1, 2], [0, 2])),
    "tensordot lengths": lambda T: T.tensordot(T.ones(2, 3, 4), T.ones(3, 4, 5),
                                               dims=([1, 2], [0])),
    "tensordot dim range": lambda T: T.tensordot(T.ones(2, 3, 4), T.ones(3, 4, 5),
                                                 dims=([1, 5], [0, 1])),
    "tensordot repeated": lambda T: T.tensordot(T.ones(2, 3, 4), T.ones(3, 4, 5),
                                                dims=([1, 1], [0, 0])),
    "tensordot negative": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 4), dims=-1),
    "tensordot too many": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 4), dims=3),
    "tensordot float dims": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 4), dims=2.0),
    "tensordot dtype": lambda T: T.tensordot(T.ones(2, 3), T.ones(3, 4, dtype=T.float64),
                                             dims=1),
}


@requires_torch
@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_match_pytorch(case):
    fn = ERROR_CASES[case]
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(Exception) as ours:
        fn(mt)
    assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)
    assert _msg(ours.value) == _msg(theirs.value)


def test_errors_without_pytorch():
    """The same contract, stated as substrings (runs even where PyTorch is absent)."""
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(2x5 and 3x4\)"):
        mt.ones(2, 5) @ mt.ones(3, 4)
    with pytest.raises(RuntimeError, match=r"Expected size for first two dimensions of batch2 "
                                           r"tensor to be: \[2, 4\] but got: \[3, 4\]\."):
        mt.bmm(mt.ones(2, 3, 4), mt.ones(3, 4, 6))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        mt.bmm(mt.ones(2, 3, 4), mt.ones(2, 4, 6, dtype=mt.float64))
    with pytest.raises(RuntimeError, match="self must be a matrix"):
        mt.mm(mt.ones(3), mt.ones(3, 2))
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 2D tensors"):
        mt.dot(mt.ones(2, 2), mt.ones(2, 2))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but "
                                           "got: float != double"):
        mt.ones(2, 3) @ mt.ones(3, 2, dtype=mt.float64)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, "
                                           "but self is 3D"):
        mt.ones(2, 3, 4).t()


# ------------------------------------------------------------------ transposes are views
def test_transposes_values_and_gradients():
    check_op(lambda T, x: x.t(), [(2, 3)], ref=lambda x: x.T)
    check_op(lambda T, x: T.t(x), [(3,)], ref=lambda x: x)
    check_op(lambda T, x: x.t(), [()], ref=lambda x: x)
    check_op(lambda T, x: x.T, [(2, 3)], ref=lambda x: x.T)
    check_op(lambda T, x: x.mT, [(2, 3, 4)], ref=lambda x: x.swapaxes(-1, -2))
    check_op(lambda T, x: x.mH, [(2, 3, 4)], ref=lambda x: x.swapaxes(-1, -2))
    check_op(lambda T, x: x.H, [(2, 3)], ref=lambda x: x.T)
    check_op(lambda T, x: (x.t() * 2) @ x, [(2, 3)], ref=lambda x: (x.T * 2) @ x)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_T_reverses_all_dims_with_pytorch_warning():
    x = mt.ones(2, 3, 4)
    with pytest.warns(UserWarning, match="x.T` on tensors of dimension other than 2"):
        assert tuple(x.T.shape) == (4, 3, 2)
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        mt.ones(()).T
    check_op(lambda T, x: x.T, [(2, 3, 4)], ref=lambda x: x.T)


def test_0d_mT_and_H_return_self_with_warning():
    x = mt.ones(())
    with pytest.warns(UserWarning, match="Tensor.mT is deprecated on 0-D tensors"):
        assert x.mT is x
    with pytest.warns(UserWarning, match="Tensor.H is deprecated on 0-D tensors"):
        assert x.H is x


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("make", [lambda x: x.t(), lambda x: mt.t(x), lambda x: x.T,
                                  lambda x: x.mT, lambda x: x.H, lambda x: x.mH],
                         ids=["t", "torch.t", "T", "mT", "H", "mH"])
def test_transposes_share_storage_and_version_counter(make):
    x = mt.from_numpy(np.arange(6.0).reshape(2, 3))
    y = make(x)
    assert tuple(y.shape) == (3, 2)
    assert y._base is x and y._version_counter is x._version_counter
    assert np.shares_memory(y.numpy(), x.numpy())
    y.add_(1)
    assert x._version == y._version == 1
    np.testing.assert_array_equal(x.numpy(), np.arange(1.0, 7.0).reshape(2, 3))
    np.testing.assert_array_equal(y.numpy(), x.numpy().T)


def test_view_of_view_keeps_the_root_base():
    x = mt.zeros(2, 3)
    y = x.t().t()
    assert y._base is x
    y.add_(2)
    assert x.tolist() == [[2.0] * 3] * 2


@requires_torch
def test_inplace_on_transposed_view_flows_gradient_like_pytorch():
    def run(T):
        leaf = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        base = leaf * 1
        v = base.t()
        v.mul_(T.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
        (base * base).sum().backward()
        return leaf.grad.numpy(), base.detach().numpy()

    (g1, b1), (g2, b2) = run(mt), run(torch)
    np.testing.assert_allclose(b1, b2)
    np.testing.assert_allclose(g1, g2)


def test_saved_operand_modified_in_place_raises_at_backward():
    a = mt.ones(2, 3, requires_grad=True)
    w = mt.ones(3, 2)
    out = a @ w
    w.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_inplace_on_transposed_input_is_caught_too():
    a = mt.ones(2, 3, requires_grad=True)
    w = mt.ones(2, 3)
    out = a @ w.t()
    w.t().mul_(2)   # same storage, same counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


# ------------------------------------------------------------------ graph node names
@requires_torch
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name,fn,shapes", [
    ("MmBackward0", lambda T, a, b: a @ b, [(2, 3), (3, 2)]),
    ("MvBackward0", lambda T, a, b: a @ b, [(2, 3), (3,)]),
    ("DotBackward0", lambda T, a, b: a @ b, [(3,), (3,)]),
    ("BmmBackward0", lambda T, a, b: T.bmm(a, b), [(2, 2, 3), (2, 3, 2)]),
    ("AddmmBackward0", lambda T, a, b: T.addmm(b[0], a, b), [(2, 3), (3, 3)]),
    ("VdotBackward0", lambda T, a, b: T.vdot(a, b), [(3,), (3,)]),
    ("TBackward0", lambda T, a, b: a.t(), [(2, 3), (1,)]),
    ("PermuteBackward0", lambda T, a, b: a.T, [(2, 3), (1,)]),
    ("TransposeBackward0", lambda T, a, b: a.mT, [(2, 2, 3), (1,)]),
])
def test_grad_fn_names_match_pytorch(name, fn, shapes):
    mt_in = [to_mt(a, True) for a in make_arrays(shapes)]
    th_in = [to_torch(a, True) for a in make_arrays(shapes)]
    assert type(fn(mt, *mt_in).grad_fn).__name__ == name
    assert type(fn(torch, *th_in).grad_fn).__name__ == name


def test_no_graph_without_grad():
    a, b = mt.ones(2, 3), mt.ones(3, 2)
    assert (a @ b).grad_fn is None and not (a @ b).requires_grad
    with mt.no_grad():
        x = mt.ones(2, 3, requires_grad=True)
        assert (x @ b).grad_fn is None and x.t().grad_fn is None


def test_docstring_examples():
    # the examples are in matmul, bmm and einsum: autocast-hooked ops, so their docstrings
    # are read from the functions as written (doctest skips the registry's wrappers)
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(verbose=False)
    for name in ("matmul", "bmm", "einsum"):
        for test in finder.find(lookup(name).fn, name):
            runner.run(test)
    assert runner.tries >= 4 and runner.failures == 0


def test_public_names_exported():
    for name in ["matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "t", "addmm",
                 "baddbmm", "einsum", "tensordot"]:
        assert getattr(mt, name) is lookup({"ger": "outer"}.get(name, name)).public, name
    for name in ["mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "matmul", "t", "addmm",
                 "baddbmm", "addmm_", "baddbmm_", "T", "mT", "H", "mH", "__matmul__",
                 "__rmatmul__"]:
        assert hasattr(mt.Tensor, name), name
    assert set(string.ascii_letters) == set(einsum_family._SUBSCRIPTS)
