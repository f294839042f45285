"""einsum and tensordot (minitorch_nn/ops/einsum.py): equations against NumPy and PyTorch,
list and repeated operands, integer results, random equations drawn by hypothesis.

Split from tests/ops/test_linalg.py, where einsum's other errors and node names are checked.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch


# ------------------------------------------------------------------ einsum
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),                     # implicit output
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),                                # trace
    ("iij->ji", [(2, 2, 3)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 2, 4)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...ij,...jk", [(2, 1, 2, 3), (3, 3, 2)]),
    ("...ij->...ji", [(2, 3, 4)]),
    ("ij...,j...->i", [(2, 3, 4, 2), (3, 1, 2)]),    # '...' summed away (NumPy refuses)
    ("ijk,ikl,ilm->ijm", [(2, 2, 3), (2, 3, 2), (2, 2, 3)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),                 # size-1 broadcast of a named label
    ("i,i", [(3,), (1,)]),
    ("bA,aB", [(2, 3), (3, 2)]),                    # implicit order: upper case first
    ("i j , j k -> i k", [(2, 3), (3, 2)]),          # spaces are ignored
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_patterns(equation, shapes):
    check_op(lambda T, *xs: T.einsum(equation, *xs), shapes,
             ref=lambda *xs: _np_einsum(equation, xs))


def _np_einsum(equation, arrays):
    """np.einsum, except that NumPy cannot sum '...' away: it keeps it and sums after."""
    equation = equation.replace(" ", "")
    lhs, _, rhs = equation.partition("->")
    if "->" in equation and "..." in lhs and "..." not in rhs:
        out = np.einsum(f"{lhs}->{rhs}...", *arrays)
        return out.reshape(out.shape[:len(rhs)] + (-1,)).sum(-1)
    return np.einsum(equation, *arrays)


def test_einsum_accepts_a_list_of_operands_and_repeated_operands():
    check_op(lambda T, a, b: T.einsum("ij,jk->ik", [a, b]), [(2, 3), (3, 2)],
             ref=lambda a, b: a @ b)
    check_op(lambda T, a: T.einsum("i,i->", a, a), [(4,)], ref=lambda a: a @ a)


def test_einsum_output_does_not_alias_its_input():
    x = mt.zeros(2, 3)
    y = mt.einsum("ij->ji", x)
    y.add_(1)
    assert x.tolist() == [[0.0] * 3] * 2 and x._version == 0


def test_einsum_integer_and_int_result():
    x = mt.tensor([[1, 2], [3, 4]])
    out = mt.einsum("ij,jk->ik", x, x)
    assert out.dtype is mt.int64 and out.tolist() == [[7, 10], [15, 22]]


@st.composite
def einsum_problems(draw):
    """A random equation over 1-3 operands with its operand shapes (no repeated labels)."""
    letters = "abcde"
    sizes = {c: draw(st.integers(1, 3)) for c in letters}
    n_ops = draw(st.integers(1, 3))
    terms = [draw(st.lists(st.sampled_from(letters), min_size=0, max_size=3, unique=True))
             for _ in range(n_ops)]
    used = sorted(set("".join("".join(t) for t in terms)))
    order = draw(st.permutations(used))
    out = order[:draw(st.integers(0, len(order)))]
    equation = ",".join("".join(t) for t in terms) + "->" + "".join(out)
    return equation, [tuple(sizes[c] for c in t) for t in terms]


@settings(max_examples=25, deadline=None)
@given(problem=einsum_problems())
def test_einsum_random_equations_match_numpy_and_pytorch(problem):
    equation, shapes = problem
    check_op(lambda T, *xs: T.einsum(equation, *xs), shapes,
             ref=lambda *xs: np.einsum(equation, *xs))


def test_tensordot():
    check_op(lambda T, a, b: T.tensordot(a, b, dims=2), [(2, 3, 4), (3, 4, 2)],
             ref=lambda a, b: np.tensordot(a, b, axes=2))
    check_op(lambda T, a, b: T.tensordot(a, b), [(2, 3, 4), (3, 4, 2)],
             ref=lambda a, b: np.tensordot(a, b, axes=2))
    check_op(lambda T, a, b: T.tensordot(a, b, dims=([1, 0], [0, 2])), [(2, 3, 4), (3, 4, 2)],
             ref=lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 2])))
    check_op(lambda T, a, b: T.tensordot(a, b, dims=0), [(2,), (3,)],
             ref=lambda a, b: np.tensordot(a, b, axes=0))


# ------------------------------------------------------------------ errors vs PyTorch
@requires_torch
def test_einsum_ellipsis_broadcast_error():
    """Not byte-identical on purpose: PyTorch's text lacks a space ("operand 1has")."""
    fn = lambda T: T.einsum("...i,...i", T.ones(2, 3), T.ones(4, 3))  # noqa: E731
    with pytest.raises(RuntimeError, match="does not broadcast with previously seen ellipsis"):
        fn(torch)
    with pytest.raises(RuntimeError, match=r"dimension 0 covered by ellipsis in operand 1 "
                                           r"has size 4 which does not broadcast"):
        fn(mt)
