"""Error classes and messages that differed from PyTorch (issue 15): masked_fill /
masked_select with an unbroadcastable mask, subtraction with bool operands, shifts of
floating tensors (and the shift ops themselves), scaled_dot_product_attention with batch or
head dims that do not broadcast, linspace/logspace with dtype=bool, dtype given as a string."""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch


def _outcome(T, fn):
    try:
        out = fn(T)
    except Exception as err:   # noqa: BLE001 - the class and message are compared
        return type(err).__name__, str(err)
    return "ok", out.tolist(), str(out.dtype)


def _same(fn):
    assert _outcome(mt, fn) == _outcome(torch, fn)


# ------------------------------------------------------------------ masked ops
MASKED = {
    "fill": lambda T: T.zeros(2, 3).masked_fill(T.ones(4, dtype=T.bool), 1.0),
    "fill tensor value": lambda T: T.zeros(2, 3).masked_fill(T.ones(4, dtype=T.bool),
                                                             T.tensor(1.0)),
    "fill 3-d mask": lambda T: T.masked_fill(T.zeros(2, 3), T.ones(5, 1, 4, dtype=T.bool), 1.0),
    "fill rank": lambda T: T.zeros(3).masked_fill(T.ones(2, 2, dtype=T.bool), 1.0),
    "fill_": lambda T: T.zeros(2, 3).masked_fill_(T.ones(4, dtype=T.bool), 1.0),
    "fill_ bigger mask": lambda T: T.zeros(3).masked_fill_(T.ones(2, 3, dtype=T.bool), 1.0),
    "fill bigger mask": lambda T: T.zeros(3).masked_fill(T.ones(2, 3, dtype=T.bool), 1.0),
    "select": lambda T: T.zeros(2, 3).masked_select(T.ones(4, dtype=T.bool)),
    "select column": lambda T: T.zeros(2, 3).masked_select(T.ones(4, 1, dtype=T.bool)),
    "select rows": lambda T: T.zeros(2, 3).masked_select(T.ones(5, 3, dtype=T.bool)),
}


def test_masked_fill_unbroadcastable_mask_is_runtime_error():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(4\) must match the size of "
                                           r"tensor b \(3\) at non-singleton dimension 1"):
        mt.zeros(2, 3).masked_fill(mt.ones(4, dtype=mt.bool), 1.0)


@requires_torch
@pytest.mark.parametrize("name", list(MASKED))
def test_masked_broadcast_errors_match_pytorch(name):
    _same(MASKED[name])


# ------------------------------------------------------------------ bool subtraction
def _b(T):
    return T.tensor([True, False])


def _i(T):
    return T.tensor([1, 2])


def _f(T):
    return T.tensor([1.0, 2.0])


SUB = {
    "bool - bool": lambda T: _b(T) - _b(T), "bool - int": lambda T: _b(T) - _i(T),
    "int - bool": lambda T: _i(T) - _b(T), "float - bool": lambda T: _f(T) - _b(T),
    "bool - True": lambda T: _b(T) - True, "True - bool": lambda T: True - _b(T),
    "bool - 1": lambda T: _b(T) - 1, "1 - bool": lambda T: 1 - _b(T),
    "int - True": lambda T: _i(T) - True, "True - int": lambda T: True - _i(T),
    "float - False": lambda T: _f(T) - False, "bool - 1.5": lambda T: _b(T) - 1.5,
    "torch.sub": lambda T: T.sub(_b(T), _b(T)),
    "sub alpha": lambda T: T.sub(_i(T), _b(T), alpha=2),
    "subtract": lambda T: T.subtract(_b(T), _i(T)),
    "sub_ int bool": lambda T: _i(T).sub_(_b(T)), "sub_ bool bool": lambda T: _b(T).sub_(_b(T)),
    "isub": lambda T: _i(T).__isub__(_b(T)), "float sub_ True": lambda T: _f(T).sub_(True),
    "requires grad": lambda T: _f(T).requires_grad_() - _b(T),
    "0-d": lambda T: T.tensor(True) - T.tensor(1.5),
    "int - int ok": lambda T: _i(T) - _i(T),
}


def test_bool_minus_bool_is_runtime_error():
    with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
        mt.tensor([True]) - mt.tensor([False])
    with pytest.raises(RuntimeError, match="with a bool tensor is not supported"):
        mt.tensor([1]) - mt.tensor([False])


@requires_torch
@pytest.mark.parametrize("name", list(SUB))
def test_bool_subtraction_matches_pytorch(name):
    _same(SUB[name])


# ------------------------------------------------------------------ shifts
SHIFT = {
    "left by tensor": lambda T: T.tensor([1, -8, 5]) << T.tensor([1, 2, 64]),
    "left by 70": lambda T: T.tensor([1, -8, 5]) << 70,
    "left by -1": lambda T: T.tensor([1, -8, 5]) << -1,
    "right by tensor": lambda T: T.tensor([1, -8, 5]) >> T.tensor([1, 2, 64]),
    "right by -1": lambda T: T.tensor([1, -8, 5]) >> -1,
    "uint8 left 7": lambda T: T.tensor([1, 2], dtype=T.uint8) << 7,
    "int8 left 7": lambda T: T.tensor([1, 2], dtype=T.int8) << 7,
    "int8 right 9": lambda T: T.tensor([-128], dtype=T.int8) >> 9,
    "uint8 right wide": lambda T: T.tensor([200], dtype=T.uint8) >> T.tensor([7, 8, 9, 255],
                                                                            dtype=T.uint8),
    "int16 right 15/16": lambda T: T.tensor([-3, 3], dtype=T.int16) >> T.tensor([15, 16],
                                                                               dtype=T.int16),
    "bool << bool": lambda T: T.tensor([True]) << T.tensor([True]),
    "bool << 1": lambda T: T.tensor([True]) << 1,
    "1 << tensor": lambda T: 1 << T.tensor([3]),
    "float << 1": lambda T: T.tensor([1.0]) << 1,
    "int << 1.5": lambda T: T.tensor([1, 2]) << 1.5,
    "int >> 1.5": lambda T: T.tensor([1, 2]) >> 1.5,
    "1.5 << int": lambda T: 1.5 << T.tensor([1]),
    "1.5 >> int": lambda T: 1.5 >> T.tensor([1]),
    "float << float": lambda T: T.tensor([1.0, 2]) << T.tensor([1.0, 2]),
    "int <<= 1.5": lambda T: T.tensor([1]).__ilshift__(1.5),
    "int >>= float tensor": lambda T: T.tensor([1]).__irshift__(T.tensor([1.0])),
    "float <<= 1": lambda T: T.tensor([1.0]).__ilshift__(1),
    "bitwise_left_shift_": lambda T: T.tensor([1]).bitwise_left_shift_(1),
    "bitwise_left_shift scalar first": lambda T: T.bitwise_left_shift(2, T.tensor([1])),
    "bitwise_left_shift float": lambda T: T.bitwise_left_shift(T.tensor([1.0, 2]),
                                                              T.tensor([1.0, 2])),
    "bitwise_right_shift": lambda T: T.bitwise_right_shift(T.tensor([8]), 1),
    "int32 << int64": lambda T: T.tensor([1], dtype=T.int32) << T.tensor([1]),
    "int32 >> uint8": lambda T: T.tensor([1, -1], dtype=T.int32) >> T.tensor([31, 200],
                                                                             dtype=T.uint8),
    "uint8 << int64": lambda T: T.tensor([255], dtype=T.uint8) << T.tensor([1]),
    "broadcast": lambda T: T.tensor([[1], [2]]) << T.tensor([1, 2, 3]),
    "bad broadcast": lambda T: T.tensor([1, 2]) << T.tensor([1, 2, 3]),
    "0-d": lambda T: T.tensor(3) << 2,
    "<<= in place": lambda T: (lambda x: (x.__ilshift__(2), x)[1])(T.tensor([1, 2])),
}


def test_float_shift_is_not_implemented():
    with pytest.raises(NotImplementedError, match="\"lshift_cpu\" not implemented for 'Float'"):
        mt.tensor([1, 2]) << 1.5
    with pytest.raises(NotImplementedError, match="\"rshift_cpu\" not implemented for 'Float'"):
        mt.tensor([1.0]) >> 1


def test_shift_operand_of_another_type_is_type_error():
    with pytest.raises(TypeError):
        mt.tensor([1]) << "a"


@requires_torch
@pytest.mark.parametrize("name", list(SHIFT))
def test_shifts_match_pytorch(name):
    _same(SHIFT[name])


# ------------------------------------------------------------------ attention
def _r(T, *shape):
    return T.ones(*shape)


SDPA = {
    "heads": lambda T: T.nn.functional.scaled_dot_product_attention(
        _r(T, 2, 3, 4, 8), _r(T, 2, 2, 4, 8), _r(T, 2, 2, 4, 8)),
    "heads, extra batch dim": lambda T: T.nn.functional.scaled_dot_product_attention(
        _r(T, 5, 2, 3, 4, 8), _r(T, 2, 2, 4, 8), _r(T, 2, 2, 4, 8)),
    "value heads": lambda T: T.nn.functional.scaled_dot_product_attention(
        _r(T, 2, 3, 4, 8), _r(T, 2, 3, 4, 8), _r(T, 2, 2, 4, 8)),
    "value batch": lambda T: T.nn.functional.scaled_dot_product_attention(
        _r(T, 2, 3, 4, 8), _r(T, 2, 3, 4, 8), _r(T, 4, 3, 4, 8)),
    "3-d": lambda T: T.nn.functional.scaled_dot_product_attention(
        _r(T, 3, 4, 8), _r(T, 2, 4, 8), _r(T, 2, 4, 8)),
    "bool mask": lambda T: T.nn.functional.scaled_dot_product_attention(
        _r(T, 2, 3, 4, 8), _r(T, 2, 3, 5, 8), _r(T, 2, 3, 5, 8),
        attn_mask=T.ones(4, 4, dtype=T.bool)),
    "float mask batch": lambda T: T.nn.functional.scaled_dot_product_attention(
        _r(T, 2, 3, 4, 8), _r(T, 2, 3, 5, 8), _r(T, 2, 3, 5, 8), attn_mask=T.ones(2, 2, 4, 5)),
    "gqa key and value heads differ": lambda T: T.nn.functional.scaled_dot_product_attention(
        T.arange(256.0).reshape(2, 4, 4, 8) / 256, T.arange(128.0).reshape(2, 2, 4, 8) / 128,
        T.arange(64.0).reshape(2, 1, 4, 8) / 64, enable_gqa=True),
    "broadcast key batch ok": lambda T: T.nn.functional.scaled_dot_product_attention(
        _r(T, 2, 3, 4, 8), _r(T, 1, 3, 4, 8), _r(T, 1, 3, 4, 8)),
}


def test_sdpa_mismatched_heads_is_runtime_error():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of "
                                           r"tensor b \(2\) at non-singleton dimension 1"):
        mt.nn.functional.scaled_dot_product_attention(mt.ones(2, 3, 4, 8), mt.ones(2, 2, 4, 8),
                                                      mt.ones(2, 2, 4, 8))


@requires_torch
@pytest.mark.parametrize("name", list(SDPA))
def test_sdpa_broadcast_errors_match_pytorch(name):
    ours, theirs = _outcome(mt, SDPA[name]), _outcome(torch, SDPA[name])
    if ours[0] == "ok" and theirs[0] == "ok":
        assert torch.allclose(torch.tensor(ours[1]), torch.tensor(theirs[1]), atol=1e-5)
    else:
        assert ours == theirs


@requires_torch
def test_sdpa_gqa_gradients_with_distinct_key_value_heads():
    def run(T):
        q = (T.arange(256.0).reshape(2, 4, 4, 8) / 256).requires_grad_()
        k = (T.arange(128.0).reshape(2, 2, 4, 8) / 128).requires_grad_()
        v = (T.arange(64.0).reshape(2, 1, 4, 8) / 64).requires_grad_()
        (T.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True) ** 2).sum() \
            .backward()
        return [t.grad.tolist() for t in (q, k, v)]
    for a, b in zip(run(mt), run(torch)):
        assert torch.allclose(torch.tensor(a), torch.tensor(b), atol=1e-5)


# ------------------------------------------------------------------ creation
CREATION = {
    "linspace bool": lambda T: T.linspace(0, 1, 5, dtype=T.bool),
    "linspace bool 1 step": lambda T: T.linspace(0, 1, 1, dtype=T.bool),
    "linspace bool 0 steps": lambda T: T.linspace(0, 1, 0, dtype=T.bool),
    "logspace bool": lambda T: T.logspace(0, 1, 5, dtype=T.bool),
    "logspace bool 1 step": lambda T: T.logspace(0, 1, 1, dtype=T.bool),
}


def test_linspace_bool_is_not_implemented():
    with pytest.raises(NotImplementedError, match="\"linspace_cpu\" not implemented for 'Bool'"):
        mt.linspace(0, 1, 5, dtype=mt.bool)


@requires_torch
@pytest.mark.parametrize("name", list(CREATION))
def test_bool_ranges_match_pytorch(name):
    _same(CREATION[name])


@pytest.mark.parametrize("make", [
    lambda: mt.zeros(2, dtype="float32"), lambda: mt.tensor([1], dtype="float32"),
    lambda: mt.ones(2, dtype="int64"), lambda: mt.full((2,), 1, dtype="float32"),
    lambda: mt.arange(3, dtype="int64"), lambda: mt.zeros_like(mt.ones(2), dtype="float32"),
    lambda: mt.randn(2, dtype="float32"), lambda: mt.ones(2).new_zeros(2, dtype="float32"),
], ids=["zeros", "tensor", "ones", "full", "arange", "zeros_like", "randn", "new_zeros"])
def test_dtype_string_is_refused(make):
    with pytest.raises(TypeError, match="must be torch.dtype, not str"):
        make()
