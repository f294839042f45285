"""Tensor basics, each checked in minitorch_nn and (when installed) in PyTorch.

Most tests take `T`, the library under test, and run once with `minitorch_nn` and once with
`torch`: the same assertions then prove what PyTorch does and that minitorch_nn does it too.
Metadata (shape, size, stride...), conversions (item, tolist, numpy, to, casts), Python
protocols (len, bool, float, int, index, format, iter), copying (clone, deepcopy, pickle),
constructors, autograd attributes and arbitrary attribute assignment.
"""
from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import minitorch_nn as mt

try:
    import torch
except ImportError:   # the PyTorch runs are skipped without it
    torch = None

LIBS = [pytest.param(mt, id="mt"),
        pytest.param(torch, id="torch",
                     marks=pytest.mark.skipif(torch is None, reason="PyTorch not installed"))]


def raises_like(fn, exc, match):
    """`fn(T)` raises `exc` with `match` in its message in both libraries."""
    for T in (mt, torch):
        if T is None:
            continue
        with pytest.raises(exc, match=match or None):
            fn(T)


# ------------------------------------------------------------------ metadata
@pytest.mark.parametrize("T", LIBS)
def test_shape_size_dim_numel(T):
    x = T.ones(2, 3, 4)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, tuple)
    assert repr(x.shape) == "torch.Size([2, 3, 4])"
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4 and x.size(dim=0) == 2
    assert x.dim() == 3 and x.ndim == 3 and x.ndimension() == 3
    assert x.numel() == 24 and x.nelement() == 24
    assert T.ones(()).shape == () and T.ones(()).dim() == 0 and T.ones(()).numel() == 1
    assert T.ones(0, 3).numel() == 0
    assert x.shape[1:] == (3, 4) and repr(x.shape[1:]) == "torch.Size([3, 4])"
    assert T.Size([2, 3]).numel() == 6 and type(x.shape[0]) is int


def test_size_dim_errors():
    raises_like(lambda T: T.ones(2, 3).size(2), IndexError,
                r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)")
    raises_like(lambda T: T.ones(2, 3).size(-3), IndexError, "but got -3")
    raises_like(lambda T: T.ones(()).size(1), IndexError,
                "Dimension specified as 1 but tensor has no dimensions")
    raises_like(lambda T: T.ones(()).stride(0), IndexError, "Dimension specified as 0")


@pytest.mark.parametrize("T", LIBS)
def test_dtype_device_and_flags(T):
    x = T.ones(2, 3)
    assert x.dtype is T.float32 and x.device == T.device("cpu") and str(x.device) == "cpu"
    assert not x.is_cuda and x.is_cpu and x.get_device() == -1
    assert x.is_floating_point() and not x.is_complex() and x.is_signed()
    assert not T.ones(2, dtype=T.uint8).is_signed()
    assert T.ones(2, dtype=T.bfloat16).is_floating_point()
    assert T.ones(2, dtype=T.complex64).is_complex()


@pytest.mark.parametrize("T", LIBS)
def test_stride_contiguous_element_size(T):
    x = T.ones(2, 3)
    assert x.stride() == (3, 1) and x.stride(0) == 3 and x.stride(-1) == 1
    assert x.is_contiguous() and x.contiguous() is x
    t = x.t()
    assert t.stride() == (1, 3) and not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.stride() == (2, 1) and c.tolist() == t.tolist()
    assert x.element_size() == 4 and x.double().element_size() == 8
    assert x.half().element_size() == 2 and x.bfloat16().element_size() == 2
    assert T.ones(2, dtype=T.bool).element_size() == 1
    assert T.ones(2, dtype=T.complex128).element_size() == 16


@pytest.mark.parametrize("T", LIBS)
def test_contiguous_of_non_contiguous_is_differentiable(T):
    x = T.ones(2, 3, requires_grad=True)
    y = x.t().contiguous()
    y.sum().backward()
    assert x.grad.tolist() == [[1.0] * 3] * 2


# ------------------------------------------------------------------ autograd attributes
@pytest.mark.parametrize("T", LIBS)
def test_autograd_attributes(T):
    x = T.ones(2, requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    assert type(y.grad_fn).__name__ == "MulBackward0" and y.grad_fn.name() == "MulBackward0"
    z = T.ones(2)
    assert not z.requires_grad and z.is_leaf and not (z * 2).requires_grad


@pytest.mark.parametrize("T", LIBS)
def test_requires_grad_setter_and_method(T):
    x = T.ones(3)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    assert x.requires_grad_(False) is x
    c = T.ones(3, dtype=T.complex64).requires_grad_()
    assert c.requires_grad


def test_requires_grad_errors():
    raises_like(lambda T: T.ones(3, dtype=T.int64).requires_grad_(), RuntimeError,
                "only Tensors of floating point dtype can require gradients")
    raises_like(lambda T: setattr(T.ones(3, dtype=T.int64), "requires_grad", True),
                RuntimeError, "only Tensors of floating point and complex dtype can require")
    raises_like(lambda T: (T.ones(3, requires_grad=True) * 2).requires_grad_(False),
                RuntimeError, "you can only change requires_grad flags of leaf variables")
    raises_like(lambda T: T.ones(3).requires_grad_(1), TypeError,
                "argument 'requires_grad' .* must be bool, not int")


@pytest.mark.parametrize("T", LIBS)
def test_data_get_and_set(T):
    x = T.ones(2, 3, requires_grad=True)
    d = x.data
    assert not d.requires_grad and d.is_leaf and d is not x.data
    d[0, 0] = 5.0                                  # shares storage...
    assert x[0, 0].item() == 5.0
    assert x._version == 0                         # ...but not the version counter
    x.data = T.zeros(4, dtype=T.float64)           # may change shape and dtype
    assert x.shape == (4,) and x.dtype is T.float64 and x.requires_grad


def test_data_set_error():
    raises_like(lambda T: setattr(T.ones(2), "data", 5), TypeError,
                "Variable data has to be a tensor, but got int")


@pytest.mark.parametrize("T", LIBS)
def test_grad_setter(T):
    x = T.ones(2, requires_grad=True)
    x.grad = T.full((2,), 3.0)
    assert x.grad.tolist() == [3.0, 3.0]
    del x.grad
    assert x.grad is None


def test_grad_setter_errors():
    raises_like(lambda T: setattr(T.ones(2, requires_grad=True), "grad", T.ones(3)),
                RuntimeError, r"attempting to assign a gradient of size '\[3\]' to a tensor "
                              r"of size '\[2\]'")
    raises_like(lambda T: setattr(T.ones(2, requires_grad=True), "grad", T.ones(2).double()),
                RuntimeError, "attempting to assign a gradient with dtype")
    raises_like(lambda T: setattr(T.ones(2, requires_grad=True), "grad", 3), TypeError,
                "assigned grad expected to be a Tensor or None but got grad of type int")


# ------------------------------------------------------------------ host conversion
@pytest.mark.parametrize("T", LIBS)
def test_item(T):
    assert T.tensor(3).item() == 3 and type(T.tensor(3).item()) is int
    assert T.tensor(2.5).item() == 2.5 and type(T.tensor(2.5).item()) is float
    assert T.tensor(True).item() is True
    assert T.tensor([[7.0]]).item() == 7.0
    assert T.tensor(1.5, dtype=T.bfloat16).item() == 1.5
    assert type(T.tensor(1.5, dtype=T.float16).item()) is float
    assert T.tensor(1 + 2j).item() == 1 + 2j
    assert T.ones(1, requires_grad=True).item() == 1.0


def test_item_error():
    raises_like(lambda T: T.ones(2).item(), RuntimeError,
                "a Tensor with 2 elements cannot be converted to Scalar")
    raises_like(lambda T: T.ones(0).item(), RuntimeError, "a Tensor with 0 elements")


@pytest.mark.parametrize("T", LIBS)
def test_tolist(T):
    assert T.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert T.tensor(3.5).tolist() == 3.5
    assert T.tensor([True, False]).tolist() == [True, False]
    assert T.tensor([1.5, 2.0], dtype=T.bfloat16).tolist() == [1.5, 2.0]
    assert T.tensor([0.5], dtype=T.float16).tolist() == [0.5]
    assert T.zeros(2, 0).tolist() == [[], []]
    assert T.ones(2, requires_grad=True).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("T", LIBS)
def test_numpy_shares_memory(T):
    x = T.zeros(3)
    a = x.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0] = 7.0
    assert x[0].item() == 7.0
    x.add_(1)
    assert a.tolist() == [8.0, 1.0, 1.0]
    assert x.double().numpy().dtype == np.float64
    assert T.ones(2, requires_grad=True).numpy(force=True).tolist() == [1.0, 1.0]


def test_numpy_errors():
    raises_like(lambda T: T.ones(2, requires_grad=True).numpy(), RuntimeError,
                r"Can't call numpy\(\) on Tensor that requires grad. Use "
                r"tensor.detach\(\).numpy\(\) instead.")
    raises_like(lambda T: np.asarray(T.ones(2, requires_grad=True)), RuntimeError,
                r"Can't call numpy\(\) on Tensor that requires grad")
    raises_like(lambda T: T.ones(2, dtype=T.bfloat16).numpy(), TypeError,
                "Got unsupported ScalarType BFloat16")


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")
@pytest.mark.parametrize("T", LIBS)
def test_array_protocol(T):
    x = T.tensor([1.0, 2.0])
    assert np.asarray(x).dtype == np.float32
    assert np.array(x, dtype=np.float64).dtype == np.float64
    y = np.float64(2.0) * x                 # numpy scalars defer to the tensor
    assert isinstance(y, T.Tensor) and y.tolist() == [2.0, 4.0]


@pytest.mark.parametrize("T", LIBS)
def test_from_numpy_shares_memory(T):
    a = np.zeros(3)
    x = T.from_numpy(a)
    a[0] = 5
    x.add_(1)
    assert x.tolist() == [6.0, 1.0, 1.0] and a.tolist() == [6.0, 1.0, 1.0]
    assert x.dtype is T.float64
    t = T.from_numpy(np.arange(6.0).reshape(2, 3).T)
    assert t.stride() == (1, 3) and not t.is_contiguous()


# ------------------------------------------------------------------ copies and conversions
@pytest.mark.parametrize("T", LIBS)
def test_clone(T):
    x = T.ones(2, 3)
    y = x.clone()
    y[0, 0] = 5.0
    assert x[0, 0].item() == 1.0
    r = T.ones(2, requires_grad=True)
    c = r.clone()
    assert c.grad_fn.name() == "CloneBackward0" and not c.is_leaf
    (c * 3).sum().backward()
    assert r.grad.tolist() == [3.0, 3.0]
    m = T.ones(2, 3, requires_grad=True)
    assert m.t().contiguous().grad_fn.name() == "CloneBackward0"   # contiguous() clones


@pytest.mark.parametrize("T", LIBS)
def test_to_dtype_and_device_forms(T):
    x = T.ones(2, 3)
    assert x.to(T.float64).dtype is T.float64
    assert x.to("cpu") is x and x.to(T.device("cpu")) is x and x.to(T.float32) is x
    assert x.to("cpu", T.int32).dtype is T.int32
    assert x.to(T.ones(1, dtype=T.int8)).dtype is T.int8
    assert x.to(dtype=T.float16).dtype is T.float16
    assert x.to(device="cpu", dtype=T.int64).dtype is T.int64
    assert x.to(None, T.float64).dtype is T.float64
    assert x.to(float).dtype is T.float64 and x.to(int).dtype is T.int64
    assert x.to(bool).dtype is T.bool and x.to(complex).dtype is T.complex128
    assert x.to(T.float64, non_blocking=True).dtype is T.float64
    assert x.to(T.float32, memory_format=None) is x


@pytest.mark.parametrize("T", LIBS)
def test_to_copy_flag(T):
    x = T.ones(2)
    assert x.to(T.float32, copy=True) is not x
    assert x.to(copy=True) is not x
    assert x.to(T.float32, False, True) is not x          # (dtype, non_blocking, copy)
    assert x.to("cpu", T.float32, False, True) is not x   # (device, dtype, non_blocking, copy)
    assert x.to(dtype=T.float32, device="cpu") is x


def test_to_invalid_arguments():
    msg = r"to\(\) received an invalid combination of arguments"
    raises_like(lambda T: T.ones(1).to("cpu", "cpu"), TypeError, msg)
    raises_like(lambda T: T.ones(1).to(T.float32, T.float64), TypeError, msg)
    raises_like(lambda T: T.ones(1).to(T.float64, dtype=T.float32), TypeError, msg)
    raises_like(lambda T: T.ones(1).to(T.ones(1), device="cpu"), TypeError, msg)
    raises_like(lambda T: T.ones(1).to(other=T.ones(1)), TypeError, msg)
    raises_like(lambda T: T.ones(1).to(T.float64, 1), TypeError, msg)
    raises_like(lambda T: T.ones(1).to("float64"), RuntimeError,
                "Invalid device string: 'float64'")


@pytest.mark.parametrize("T", LIBS)
def test_to_is_differentiable(T):
    x = T.ones(2, requires_grad=True)
    y = x.double()
    assert y.grad_fn.name() == "ToCopyBackward0"
    (y * 2).sum().backward()
    assert x.grad.dtype is T.float32 and x.grad.tolist() == [2.0, 2.0]
    assert not x.long().requires_grad        # integer results leave the graph


@pytest.mark.parametrize("T", LIBS)
def test_cast_methods_and_type(T):
    x = T.tensor([1.7, -2.2])
    assert [x.float().dtype, x.double().dtype, x.half().dtype, x.bfloat16().dtype] == \
        [T.float32, T.float64, T.float16, T.bfloat16]
    assert x.long().tolist() == [1, -2] and x.long().dtype is T.int64
    assert x.int().dtype is T.int32 and x.short().dtype is T.int16
    assert x.char().dtype is T.int8 and x.byte().dtype is T.uint8
    assert x.bool().tolist() == [True, True]
    assert x.float() is x and x.double() is not x
    assert x.type() == "torch.FloatTensor" and x.double().type() == "torch.DoubleTensor"
    assert x.long().type() == "torch.LongTensor"
    assert x.type(T.int16).dtype is T.int16 and x.type(T.float32) is x
    assert x.type("torch.DoubleTensor").dtype is T.float64
    assert x.type_as(T.ones(1, dtype=T.int32)).dtype is T.int32


def test_type_errors():
    raises_like(lambda T: T.ones(2).type("torch.FooTensor"), ValueError,
                "invalid type: 'torch.FooTensor'")
    raises_like(lambda T: T.ones(2).type(float), ValueError, "invalid type: 'float'")


@pytest.mark.parametrize("T", LIBS)
def test_cpu_is_identity_on_cpu(T):
    x = T.ones(2)
    assert x.cpu() is x and x.cpu().device.type == "cpu"


@pytest.mark.skipif(mt.cuda.is_available(), reason="checks the no-GPU behaviour")
def test_cuda_without_gpu_raises_runtime_and_assertion_error():
    x = mt.ones(2)
    for call in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: mt.ones(2, device="cuda")):
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            call()
        with pytest.raises(AssertionError):   # what PyTorch's CPU builds raise
            call()
    assert x.tolist() == [1.0, 1.0]           # nothing else broke
    if torch is not None:
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            torch.ones(2).cuda()


@pytest.mark.cuda
def test_cuda_round_trip():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = x.cuda()
    assert y.is_cuda and y.device == mt.device("cuda", 0)
    (y * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and x.grad.device.type == "cpu"


# ------------------------------------------------------------------ Python protocols
@pytest.mark.parametrize("T", LIBS)
def test_len_bool_float_int_complex(T):
    assert len(T.ones(3, 2)) == 3
    assert bool(T.tensor([0.0])) is False and bool(T.tensor([1])) is True
    assert float(T.tensor([2])) == 2.0 and int(T.tensor(2.7)) == 2 and int(T.tensor(-2.7)) == -2
    assert int(T.ones(1, 1, 1)) == 1
    assert complex(T.tensor(1.5)) == 1.5 + 0j and complex(T.tensor(1 + 2j)) == 1 + 2j


def test_python_protocol_errors():
    raises_like(lambda T: len(T.tensor(1.0)), TypeError, "len\\(\\) of a 0-d tensor")
    raises_like(lambda T: bool(T.ones(2)), RuntimeError,
                "Boolean value of Tensor with more than one value is ambiguous")
    raises_like(lambda T: bool(T.ones(0)), RuntimeError,
                "Boolean value of Tensor with no values is ambiguous")
    raises_like(lambda T: float(T.ones(2)), ValueError,
                "only one element tensors can be converted to Python scalars")
    raises_like(lambda T: int(T.ones(0)), ValueError, "only one element tensors")
    raises_like(lambda T: int(T.tensor(1 + 2j)), RuntimeError,
                "value cannot be converted to type int64_t without overflow")
    raises_like(lambda T: float(T.tensor(1 + 2j)), RuntimeError,
                "value cannot be converted to type double without overflow")
    raises_like(lambda T: [1, 2, 3][T.tensor(1.0)], TypeError,
                "only integer tensors of a single element can be converted to an index")
    raises_like(lambda T: iter(T.tensor(1.0)), TypeError, "iteration over a 0-d tensor")


@pytest.mark.parametrize("T", LIBS)
def test_float_of_requires_grad_warns(T):
    with pytest.warns(UserWarning, match="Converting a tensor with requires_grad=True to a "
                                         "scalar may lead to unexpected behavior"):
        assert float(T.ones(1, requires_grad=True)) == 1.0


@pytest.mark.parametrize("T", LIBS)
def test_index_protocol(T):
    items = [10, 20, 30]
    assert items[T.tensor(1)] == 20 and items[T.tensor([2])] == 30
    assert items[T.tensor(True)] == 20
    assert list(range(5))[T.tensor(1):T.tensor(3)] == [1, 2]


@pytest.mark.parametrize("T", LIBS)
def test_format(T):
    assert f"{T.tensor(2.5):.2f}" == "2.50"
    assert f"{T.tensor(1)}" == "1" and "{}".format(T.tensor(3.0)) == "3.0"
    assert f"{T.tensor([1.0, 2.0])}" == "tensor([1., 2.])"
    assert f"{T.ones(1, requires_grad=True)[0]}" == "1.0"


def test_format_error():
    raises_like(lambda T: f"{T.tensor([1.0, 2.0]):.2f}", TypeError,
                "unsupported format string passed to Tensor.__format__")


@pytest.mark.parametrize("T", LIBS)
def test_iteration_yields_views(T):
    x = T.arange(6.0).reshape(2, 3)
    rows = list(x)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0, 5.0]
    rows[0][0] = 9.0
    assert x[0, 0].item() == 9.0
    assert [r.item() for r in T.tensor([1, 2])] == [1, 2]


@pytest.mark.parametrize("T", LIBS)
def test_hash_is_identity(T):
    x = T.ones(2)
    assert hash(x) == id(x) and x in {x} and len({x, x.clone()}) == 2


# ------------------------------------------------------------------ deepcopy and pickle
@pytest.mark.parametrize("T", LIBS)
def test_deepcopy(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    x.foo = "bar"
    y = copy.deepcopy(x)
    assert y is not x and y.requires_grad and y.is_leaf and y.foo == "bar"
    assert y.tolist() == [1.0, 2.0] and y.data_ptr() != x.data_ptr()
    shared = {"a": x, "b": x}
    out = copy.deepcopy(shared)
    assert out["a"] is out["b"]                 # the memo keeps aliasing


def test_deepcopy_non_leaf_error():
    raises_like(lambda T: copy.deepcopy(T.ones(2, requires_grad=True) * 2), RuntimeError,
                "Only Tensors created explicitly by the user \\(graph leaves\\) support the "
                "deepcopy protocol")


@pytest.mark.parametrize("T", LIBS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int64", "bool",
                                   "complex64"])
def test_pickle_round_trip(T, dtype):
    x = T.ones(2, 3, dtype=getattr(T, dtype))
    y = pickle.loads(pickle.dumps(x))
    assert y.dtype is x.dtype and y.shape == x.shape and y.tolist() == x.tolist()


@pytest.mark.parametrize("T", LIBS)
def test_pickle_keeps_requires_grad_and_attributes(T):
    x = T.tensor([1.0, 2.0], requires_grad=True)
    x.foo = 3
    y = pickle.loads(pickle.dumps(x))
    assert y.requires_grad and y.is_leaf and y.foo == 3 and type(y) is T.Tensor
    z = pickle.loads(pickle.dumps(x * 2))       # a non-leaf pickles as a leaf
    assert z.grad_fn is None


@pytest.mark.parametrize("T", LIBS)
def test_pickle_and_deepcopy_of_views_and_grads(T):
    x = T.ones(2, requires_grad=True)
    (x * 2).sum().backward()
    assert pickle.loads(pickle.dumps(x)).grad is None          # .grad is not pickled...
    d = copy.deepcopy(x)
    assert d.grad.tolist() == [2.0, 2.0] and d.grad is not x.grad   # ...but deep-copied
    t = T.arange(6.0).reshape(2, 3).t()
    for y in (pickle.loads(pickle.dumps(t)), copy.deepcopy(t)):
        assert y.stride() == (1, 3) and y.tolist() == t.tolist()
    row = T.arange(6.0).reshape(2, 3)[0]
    y = pickle.loads(pickle.dumps(row))
    y.add_(1)
    assert row.tolist() == [0.0, 1.0, 2.0] and y.tolist() == [1.0, 2.0, 3.0]


# ------------------------------------------------------------------ constructors
@pytest.mark.parametrize("T", LIBS)
def test_tensor_class_constructors(T):
    a = T.Tensor(2, 3)
    assert a.shape == (2, 3) and a.dtype is T.float32
    b = T.Tensor([1, 2])
    assert b.tolist() == [1.0, 2.0] and b.dtype is T.float32
    assert T.Tensor().shape == (0,)
    assert T.Tensor((2, 3)).tolist() == [2.0, 3.0]     # a tuple is data, not a shape
    assert T.Tensor(T.Size([2, 3])).shape == (2, 3)    # a Size is a shape
    assert T.Tensor(np.array([1, 2])).dtype is T.float32
    T.set_default_dtype(T.float64)
    try:
        assert T.Tensor(2).dtype is T.float64
    finally:
        T.set_default_dtype(T.float32)


# ------------------------------------------------------------------ attribute assignment
@pytest.mark.parametrize("T", LIBS)
def test_arbitrary_attributes(T):
    x = T.ones(2)
    x.foo = 3
    assert x.foo == 3
    with pytest.raises(AttributeError, match="'Tensor' object has no attribute 'bar'"):
        x.bar


@pytest.mark.parametrize("T", LIBS)
def test_assigning_over_a_method_name_is_allowed(T):
    """seeds/004: `x.detach = tensor(...)` replaces the attribute, not the gradient."""
    x = T.ones(5, requires_grad=True)
    z = x ** 2
    x.detach = T.tensor([2, 2, 2, 2, 2], dtype=float)
    assert x.detach.dtype is T.float64 and x.detach.tolist() == [2.0] * 5
    y = x ** 3
    (z + y).sum().backward()
    assert x.grad.tolist() == [5.0] * 5 and x.grad.dtype is T.float32
    assert repr(x.grad) == "tensor([5., 5., 5., 5., 5.])"


# ------------------------------------------------------------------ version counter
@pytest.mark.parametrize("T", LIBS)
def test_version_counter(T):
    x = T.zeros(3)
    assert x._version == 0
    x.add_(1)
    x.mul_(2)
    assert x._version == 2
    v = x[1:]
    v.zero_()
    assert x._version == 3 and v._version == 3     # views share it
    d = x.detach()
    d.add_(1)
    assert x._version == 4                         # detach() shares it
    x.data.add_(1)
    assert x._version == 4                         # .data does not
    assert int(x._version) == 4


def test_float_of_a_grad_tensor_warns_only_with_grad_enabled():
    x = mt.ones(1, requires_grad=True)
    with pytest.warns(UserWarning, match="requires_grad=True to a scalar"):
        float(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with mt.no_grad():
            assert float(x) == 1.0


def test_version_reads_as_an_int():
    x = mt.zeros(2)
    v0 = x._version
    x.add_(1)
    assert x._version > 0 and x._version >= 1 and x._version - v0 == 1 and 1 + x._version == 2
    assert int(x._version) == 1 and f"{x._version}" == "1" and [0, 1][x._version] == 1
