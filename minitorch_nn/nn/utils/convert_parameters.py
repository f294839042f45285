"""Parameters to one flat vector and back (`torch.nn.utils.parameters_to_vector`).

    >>> import minitorch_nn as torch
    >>> from minitorch_nn.nn.utils import parameters_to_vector, vector_to_parameters
    >>> a, b = torch.ones(2, 2), torch.zeros(3)
    >>> parameters_to_vector([a, b])
    tensor([1., 1., 1., 1., 0., 0., 0.])
    >>> vector_to_parameters(torch.arange(7.0), [a, b])
    >>> b
    tensor([4., 5., 6.])
"""
from __future__ import annotations

from typing import Iterable

from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated (differentiable: it records cat/view)."""
    from ...ops.joining import cat
    device_index = None
    vec = []
    for param in parameters:
        device_index = _check_param_device(param, device_index)
        vec.append(param.view(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Give each parameter (through `.data`) its slice of `vec`, in order, reshaped."""
    if not isinstance(vec, Tensor):
        cls = type(vec)
        name = cls.__qualname__ if cls.__module__ == "builtins" else \
            f"{cls.__module__}.{cls.__qualname__}"
        raise TypeError(f"expected torch.Tensor, but got: {name}")
    device_index = None
    pointer = 0
    for param in parameters:
        device_index = _check_param_device(param, device_index)
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param


def _check_param_device(param: Tensor, old_index: int | None) -> int:
    """The device index of `param` (-1 for the CPU); TypeError when it differs from the
    previous parameters'."""
    index = param.get_device() if param.device.type == "cuda" else -1
    if old_index is not None and index != old_index:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return index
