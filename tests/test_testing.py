"""torch.testing.assert_close and make_tensor: the same calls give PyTorch's exception class and
message (the Tensor class name aside), and make_tensor honours its arguments."""
from __future__ import annotations

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import requires_torch, torch

CASES = [
    lambda T: T.testing.assert_close(T.tensor([1.,2.,3.]), T.tensor([1.,2.5,3.])),
    lambda T: T.testing.assert_close(T.tensor([1.,2.]), T.tensor([1.,2.,3.])),
    lambda T: T.testing.assert_close(T.tensor([1.,2.]), T.tensor([1.,2.], dtype=T.float64)),
    lambda T: T.testing.assert_close(T.tensor([1,2]), T.tensor([1,3])),
    lambda T: T.testing.assert_close(T.tensor([[1.,2.],[3,4]]), T.tensor([[1.,2.],[3,5]]), msg="custom"),
    lambda T: T.testing.assert_close(1.0, 1.1),
    lambda T: T.testing.assert_close([T.tensor(1.)], [T.tensor(2.)]),
    lambda T: T.testing.assert_close({"a": T.tensor(1.)}, {"a": T.tensor(2.)}),
    lambda T: T.testing.assert_close(T.tensor([float('nan')]), T.tensor([float('nan')])),
    lambda T: T.testing.assert_close(T.tensor([float('nan')]), T.tensor([float('nan')]), equal_nan=True),
    lambda T: T.testing.assert_close(T.tensor([1.]), T.tensor([1.1]), rtol=0.2),
    lambda T: T.testing.assert_close(T.tensor([True]), T.tensor([False])),
    lambda T: T.testing.assert_close(T.tensor([1.]), T.tensor([1.], dtype=T.float64), check_dtype=False),
    lambda T: T.testing.assert_close(T.tensor(1.), T.tensor(2.)),
    lambda T: T.testing.assert_close(1, 2),
    lambda T: T.testing.assert_close([1.,2.], [1.,2.]),
    lambda T: T.testing.assert_close([1.,2.], [1.,2.,3.]),
    lambda T: T.testing.assert_close({"a":1.}, {"b":1.}),
    lambda T: T.testing.assert_close([[T.tensor([1.,2.])]], [[T.tensor([1.,3.])]]),
    lambda T: T.testing.assert_close({"a":[1., 2.]}, {"a":[1., 3.]}),
    lambda T: T.testing.assert_close(np.array([1.,2.]), np.array([1.,3.])),
    lambda T: T.testing.assert_close(T.tensor([1.,2.]), T.tensor([1.,3.]), msg=lambda m: "X"+m[:10]),
    lambda T: T.testing.assert_close(T.tensor([1.,2.]), T.tensor([1.,3.]), atol=0, rtol=0),
    lambda T: T.testing.assert_close(T.zeros(2,3), T.zeros(3,2).t(), check_stride=True),
    lambda T: T.testing.assert_close(T.tensor([1.], dtype=T.float16), T.tensor([1.001], dtype=T.float16)),
    lambda T: T.testing.assert_close(True, False),
    lambda T: T.testing.assert_close(None, None),
    lambda T: T.testing.assert_close(1, 1.0),
    lambda T: T.testing.assert_close(T.tensor([1,2]), T.tensor([1.,2.]), check_dtype=False),
    lambda T: T.testing.assert_close(T.tensor([1.,float('inf')]), T.tensor([1.,float('inf')])),
    lambda T: T.testing.assert_close(T.tensor([1.,float('inf')]), T.tensor([1.,-float('inf')])),
    lambda T: T.testing.assert_close(T.tensor([1.,2.], dtype=T.bfloat16), T.tensor([1.,2.02], dtype=T.bfloat16)),
    lambda T: T.testing.assert_close(T.tensor([0., 1.]), T.tensor([1e-3, 1.])),
]


def _outcome(T, case):
    try:
        case(T)
    except Exception as e:    # noqa: BLE001  (the class and message are what is compared)
        text = str(e).replace("minitorch_nn.tensor.Tensor", "Tensor")
        return type(e).__name__, text.replace("torch.Tensor", "Tensor")
    return "OK", ""


# PyTorch 2.13's outcome for some of the cases (class, message): checked without PyTorch too.
PYTORCH_SAYS = {
    0: ('AssertionError', 'Tensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\nGreatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)\nGreatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)'),
    1: ('AssertionError', "The values for attribute 'shape' do not match: torch.Size([2]) != torch.Size([3])."),
    3: ('AssertionError', 'Tensor-likes are not equal!\n\nMismatched elements: 1 / 2 (50.0%)\nGreatest absolute difference: 1 at index (1,)\nGreatest relative difference: 0.3333333432674408 at index (1,)'),
    5: ('AssertionError', 'Scalars are not close!\n\nExpected 1.1 but got 1.0.\nAbsolute difference: 0.10000000000000009 (up to 1e-07 allowed)\nRelative difference: 0.09090909090909098 (up to 1e-07 allowed)'),
    14: ('AssertionError', 'Scalars are not equal!\n\nExpected 2 but got 1.\nAbsolute difference: 1\nRelative difference: 0.5'),
    16: ('AssertionError', 'The length of the sequences mismatch: 2 != 3'),
    17: ('AssertionError', "The keys of the mappings do not match:\nMissing keys in the actual mapping: ['b']\nAdditional keys in the actual mapping: ['a']"),
    19: ('AssertionError', "Scalars are not close!\n\nExpected 3.0 but got 2.0.\nAbsolute difference: 1.0 (up to 1e-07 allowed)\nRelative difference: 0.3333333333333333 (up to 1e-07 allowed)\n\nThe failure occurred for item ['a'][1]"),
    23: ('AssertionError', "The values for attribute 'stride()' do not match: (3, 1) != (1, 2)."),
    25: ('AssertionError', 'Booleans mismatch: True is not False'),
    27: ('AssertionError', "The (d)types do not match: <class 'int'> != <class 'float'>."),
    29: ('OK', ''),
}


@pytest.mark.parametrize("i", sorted(PYTORCH_SAYS))
def test_assert_close_says_what_pytorch_says(i):
    assert _outcome(mt, CASES[i]) == PYTORCH_SAYS[i]


@requires_torch
@pytest.mark.parametrize("i", range(len(CASES)))
def test_assert_close_matches_pytorch(i):
    assert _outcome(mt, CASES[i]) == _outcome(torch, CASES[i])


def test_assert_close_reports_the_worst_mismatch_index():
    with pytest.raises(AssertionError, match=r"Mismatched elements: 2 / 6 \(33.3%\)") as info:
        mt.testing.assert_close(mt.zeros(2, 3), mt.tensor([[0., 0., 1.], [0., 3., 0.]]))
    assert "Greatest absolute difference: 3.0 at index (1, 1)" in str(info.value)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", "uint8", "bfloat16"])
def test_make_tensor_shape_dtype_and_range(dtype):
    t = mt.testing.make_tensor(3, 4, dtype=getattr(mt, dtype), device="cpu", low=-2, high=3)
    assert tuple(t.shape) == (3, 4) and t.dtype is getattr(mt, dtype)
    values = t.float().numpy()
    if dtype not in ("bool", "uint8"):
        assert values.min() >= -2 and values.max() <= 3


def test_make_tensor_noncontiguous_exclude_zero_requires_grad():
    t = mt.testing.make_tensor((4, 5), dtype=mt.int64, device="cpu", noncontiguous=True,
                               exclude_zero=True)
    assert not t.is_contiguous() and tuple(t.shape) == (4, 5)
    assert (t.numpy() != 0).all()
    g = mt.testing.make_tensor(2, dtype=mt.float64, device="cpu", requires_grad=True)
    assert g.requires_grad
