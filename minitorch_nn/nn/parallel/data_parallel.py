"""`nn.DataParallel` for a single device.

PyTorch's DataParallel splits each input batch across several GPUs, runs a replica of the
module on each and gathers the outputs. minitorch_nn runs on one device, so:

  * without a GPU the wrapper simply calls the module (as PyTorch does without CUDA);
  * with one GPU (device_ids=[k], or device_ids=None on a machine with one GPU) the module is
    moved to cuda:k, tensor inputs are moved there, and the output stays there (PyTorch
    returns a single-device result without a gather too);
  * several devices (device_ids naming more than one, or device_ids=None on a machine with
    several GPUs) raise NotImplementedError: pass device_ids=[0] or use the module directly.

The wrapped module is `.module`, so state_dict keys carry PyTorch's "module." prefix and
checkpoints load either way.

    model = nn.DataParallel(nn.Linear(4, 2))
    model(torch.randn(8, 4)).shape          # torch.Size([8, 2])
    list(model.state_dict())                # ['module.weight', 'module.bias']
"""
from __future__ import annotations

import itertools

from ... import cuda
from ...device import device as _device
from ...tensor import Tensor
from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


def _device_index(device_id) -> int:
    """An int index from an int, "cuda:1" or a torch.device."""
    if isinstance(device_id, int):
        return device_id
    dev = _device(device_id)
    if dev.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {dev}")
    return dev.index if dev.index is not None else cuda.current_device()


def _to_device(obj, dev):
    """Tensors in obj (nested tuples, lists, dicts) moved to `dev`; other values unchanged."""
    if isinstance(obj, Tensor):
        return obj.to(dev)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):   # named tuples keep their type
        return type(obj)(*(_to_device(o, dev) for o in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(_to_device(o, dev) for o in obj)
    if isinstance(obj, dict):
        return type(obj)((k, _to_device(v, dev)) for k, v in obj.items())
    return obj


def _single_device(device_ids) -> list[int]:
    """The device ids, refused (NotImplementedError) when they name more than one GPU."""
    ids = list(range(cuda.device_count())) if device_ids is None else \
        [_device_index(d) for d in device_ids]
    if len(set(ids)) > 1:
        raise NotImplementedError(
            f"DataParallel over several GPUs (device_ids={ids}) is not supported by "
            "minitorch_nn: it runs a module on one device. Pass device_ids=[0] (one GPU) or "
            "call the module directly.")
    return ids[:1]


class DataParallel(Module):
    """Runs `module` on one device (see the module docstring); `.module` is the wrapped
    module, `device_ids` the device used ([] on the CPU), `output_device` its index."""

    def __init__(self, module: Module, device_ids=None, output_device=None,
                 dim: int = 0) -> None:
        super().__init__()
        if not cuda.is_available():
            self.module = module
            self.device_ids = []
            return
        self.dim = dim
        self.module = module
        self.device_ids = _single_device(device_ids)
        if output_device is None:
            output_device = self.device_ids[0]
        self.output_device = _device_index(output_device)
        self.src_device_obj = _device("cuda", self.device_ids[0])
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in itertools.chain(self.module.parameters(), self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(f"module must have its parameters and buffers on device "
                                   f"{self.src_device_obj} (device_ids[0]) but found one of "
                                   f"them on device: {t.device}")
        inputs = _to_device(inputs, self.src_device_obj)
        kwargs = _to_device(kwargs, self.src_device_obj)
        return self.module(*inputs, **kwargs)


def data_parallel(module: Module, inputs, device_ids=None, output_device=None, dim: int = 0,
                  module_kwargs=None):
    """The functional form: module(*inputs, **module_kwargs) on one device (as DataParallel)."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    module_kwargs = module_kwargs or {}
    if not cuda.is_available():
        return module(*inputs, **module_kwargs)
    ids = _single_device(device_ids)
    dev = _device("cuda", ids[0])
    return module(*_to_device(inputs, dev), **_to_device(module_kwargs, dev))
