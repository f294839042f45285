"""No numpy floating-point warning leaks from arithmetic, products, casts and the ops built
on them (issue 15): PyTorch prints nothing when a product overflows, a matmul meets inf/nan
or a cast overflows. Ops run their forward (ArrayFunction.apply) and the backward pass
(the engine) with numpy's floating-point warnings off for that call only; the global numpy
state is left as the user set it."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt

F = mt.nn.functional
DTYPES = [mt.float16, mt.bfloat16, mt.float32, mt.float64]


def _big(dt):
    big = 1e308 if dt is mt.float64 else 6e4
    return mt.tensor([big, -big, float("inf"), float("nan")], dtype=mt.float64).to(dt)


def _mat(dt):
    return mt.tensor([[float("inf"), 1.0], [float("nan"), 2.0]]).to(dt)


OPS = {
    "mul": lambda dt: _big(dt) * _big(dt),
    "mul scalar": lambda dt: _big(dt) * 1e30,
    "add": lambda dt: _big(dt) + _big(dt),
    "sub": lambda dt: _big(dt) - _big(dt),
    "add alpha": lambda dt: mt.add(_big(dt), _big(dt), alpha=1e30),
    "div by 0": lambda dt: _big(dt) / mt.zeros(4, dtype=dt),
    "0 / 0": lambda dt: mt.zeros(4, dtype=dt) / mt.zeros(4, dtype=dt),
    "div floor": lambda dt: mt.div(_big(dt), mt.zeros(4, dtype=dt), rounding_mode="floor"),
    "div trunc": lambda dt: mt.div(_big(dt), mt.zeros(4, dtype=dt), rounding_mode="trunc"),
    "exp": lambda dt: _big(dt).exp(),
    "mul_": lambda dt: _big(dt).mul_(1e30),
    "div_": lambda dt: _big(dt).div_(0),
    "add_": lambda dt: _big(dt).add_(_big(dt)),
    "mul backward": lambda dt: (lambda x: (x * x * 1e30).sum().backward())(
        _big(dt).requires_grad_()),
    "div backward": lambda dt: (lambda x: (x / x).sum().backward())(_big(dt).requires_grad_()),
    "exp backward": lambda dt: (lambda x: x.exp().sum().backward())(_big(dt).requires_grad_()),
    "matmul": lambda dt: _mat(dt) @ _mat(dt),
    "matmul backward": lambda dt: (lambda a: (a @ a).sum().backward())(
        _mat(dt).requires_grad_()),
    "mm": lambda dt: mt.mm(_mat(dt), _mat(dt)),
    "bmm": lambda dt: mt.bmm(_mat(dt)[None], _mat(dt)[None]),
    "mv": lambda dt: mt.mv(_mat(dt), _mat(dt)[0]),
    "dot": lambda dt: mt.dot(_mat(dt)[0], _mat(dt)[1]),
    "outer": lambda dt: mt.outer(_big(dt), _big(dt)),
    "addmm": lambda dt: mt.addmm(_mat(dt), _mat(dt), _mat(dt)),
    "baddbmm": lambda dt: mt.baddbmm(_mat(dt)[None], _mat(dt)[None], _mat(dt)[None]),
    "matmul overflow": lambda dt: mt.full((2, 2), 1e300 if dt is mt.float64 else 6e4,
                                          dtype=dt) @ mt.full((2, 2), 1e300 if dt is mt.float64
                                                              else 6e4, dtype=dt),
    "linear": lambda dt: F.linear(_mat(dt), _mat(dt), _mat(dt)[0]),
    "linear backward": lambda dt: (lambda a: F.linear(a, a, a[0]).sum().backward())(
        _mat(dt).requires_grad_()),
    "sdpa": lambda dt: F.scaled_dot_product_attention(_mat(dt)[None, None], _mat(dt)[None, None],
                                                      _mat(dt)[None, None]),
    "layer_norm": lambda dt: F.layer_norm(_mat(dt), (2,)),
    "group_norm": lambda dt: F.group_norm(_mat(dt)[None], 1),
    "masked_fill": lambda dt: _big(dt).masked_fill(mt.tensor([True, False, True, False]), 1e30),
    "to int64": lambda dt: _big(dt).to(mt.int64),
    "to uint8": lambda dt: _big(dt).to(mt.uint8),
    "to float16": lambda dt: (_big(dt).double() * 1e10).half(),
    "to bfloat16": lambda dt: (_big(dt).double() * 1e300).bfloat16(),
    "to float32": lambda dt: (_big(dt).double() * 1e300).float(),
    "long()": lambda dt: _big(dt).long(),
    "type_as": lambda dt: _big(dt).type_as(mt.zeros(1, dtype=mt.int32)),
    "copy_ to int": lambda dt: mt.zeros(4, dtype=mt.int64).copy_(_big(dt)),
    "copy_ to half": lambda dt: mt.zeros(4, dtype=mt.float16).copy_(_big(dt).double() * 1e10),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", list(OPS))
def test_no_numpy_warning_leaks(name, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OPS[name](dtype)


def test_global_numpy_error_state_is_untouched():
    before = np.geterr()
    with np.errstate(over="raise"):
        _big(mt.float32) * 1e30   # quiet inside the op ...
        with pytest.raises(FloatingPointError):
            np.float32(3e38) * np.float32(10)   # ... and the user's setting holds outside
    assert np.geterr() == before

