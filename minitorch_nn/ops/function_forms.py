"""Small Tensor operations in the forms PyTorch also exports: `torch.detach`, `detach_`,
`zero_`, `fill_` (function forms of Tensor methods), `torch.fill` (the out-of-place fill),
`positive`, `rsub`, `is_same_size`, `is_nonzero` and `Tensor.sum_to_size`.

Each is written on top of an existing op, so gradients, devices and errors are those ops'.
"""
from __future__ import annotations

from .. import dtypes as _dt
from ..tensor import Tensor
from ._util import check_tensor
from .conversion import FillScalar, FillTensor, fill_ as _fill_method, zero_ as _zero_method
from .elementwise import Sub
from .registry import op
from .views import _int_tuple, reshape


@op("detach")
def detach(input: Tensor) -> Tensor:
    """`input.detach()`: the same storage and version counter, outside the graph."""
    return check_tensor(input, "input", "detach").detach()


@op("detach_")
def detach_(input: Tensor) -> Tensor:
    """`input.detach_()`: `input` itself taken out of the graph."""
    return check_tensor(input, "input", "detach_").detach_()


@op("zero_")
def zero_(input: Tensor) -> Tensor:
    """`input.zero_()`."""
    return _zero_method(check_tensor(input, "input", "zero_"))


@op("fill_")
def fill_(input: Tensor, value) -> Tensor:
    """`input.fill_(value)`."""
    return _fill_method(check_tensor(input, "input", "fill_"), value)


@op("fill")
def fill(input: Tensor, value) -> Tensor:
    """A new tensor shaped like `input`, of its dtype and device, every element `value` (a
    number or a 0-d tensor, which then receives the sum of the gradient)."""
    check_tensor(input, "input", "fill")
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.dim()} dimensions.")
        return FillTensor.apply(input, value)
    return FillScalar.apply(input, value)


@op("positive", methods=("positive",))
def positive(input: Tensor) -> Tensor:
    """`input` itself (unary plus); refused for bool, as PyTorch."""
    check_tensor(input, "input", "positive")
    if input.dtype.name == "bool":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


@op("rsub")
def rsub(input: Tensor, other, *, alpha=1) -> Tensor:
    """`other - alpha * input` (subtraction with the operands reversed)."""
    check_tensor(input, "input", "rsub")
    if _dt.result_type(other, input).kind < 2 and isinstance(alpha, float):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    return Sub.apply(other, input, alpha)


@op("is_same_size", methods=("is_same_size",))
def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Whether both tensors have the same shape."""
    check_tensor(input, "input", "is_same_size")
    check_tensor(other, "other", "is_same_size", 2)
    return input._data.shape == other._data.shape


@op("is_nonzero", methods=("is_nonzero",))
def is_nonzero(input: Tensor) -> bool:
    """The truth of a one-element tensor (RuntimeError for none or several elements)."""
    check_tensor(input, "input", "is_nonzero")
    n = input._data.size
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


@op("sum_to_size", namespace="Tensor", methods=("sum_to_size",))
def sum_to_size(self: Tensor, *size) -> Tensor:
    """`self` summed down to `size`, a shape that broadcasts to self's (the reduction that
    undoes an expand): leading dims are summed away, size-1 dims summed with keepdim."""
    if not size:
        raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
    size = _int_tuple(size, "sum_to_size", "size")
    shape = self._data.shape
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size)
                                      if s == 1 and shape[lead + i] != 1)
    if not dims:
        return self
    return reshape(self.sum(dims, keepdim=True), size)
