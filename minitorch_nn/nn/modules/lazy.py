"""`LazyModuleMixin`: modules whose parameter shapes come from their first input.

    fc = nn.LazyLinear(4)            # weight, bias: UninitializedParameter (no shape yet)
    fc = fc.double()                 # moves and casts before the first call still apply
    fc(torch.ones(2, 3, dtype=torch.float64))
    type(fc) is nn.Linear            # True: the class changed, in_features == 3

How it works:

* `__init__` registers two hooks: a forward pre-hook (with kwargs) `_infer_parameters`, and a
  load_state_dict pre-hook `_lazy_load_hook`.
* On the first call the pre-hook runs `initialize_parameters(*args, **kwargs)`, which calls
  `materialize(shape)` on each uninitialized tensor. `materialize` changes the *same object*
  into a Parameter / Tensor (its `__class__`), so an optimizer built before still holds it.
  Then the hooks are removed and the module's class becomes `cls_to_become` (`Linear`).
* Loading an initialized checkpoint materializes the tensors to the checkpoint's shapes; the
  values are then copied by the normal loading code, and the next call only swaps the class.
* Until then `state_dict()` holds the uninitialized parameters themselves (not detached).
"""
from __future__ import annotations

import itertools
from typing import Any

from ...autograd import grad_mode
from ..parameter import is_lazy

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    """Mix in before a Module class (`class LazyLinear(LazyModuleMixin, Linear)`).

    Subclasses define `initialize_parameters(*args, **kwargs)` (materialize every
    uninitialized tensor from the input) and set `cls_to_become` to the regular class.
    """

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        """As Module's, but uninitialized tensors are saved as themselves (not detached)."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if is_lazy(param) or keep_vars \
                    else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if is_lazy(buf) or keep_vars \
                    else buf.detach()

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs) -> None:
        """Materialize each uninitialized tensor whose checkpoint entry is initialized."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None:
                input_param = state_dict[key]
                if is_lazy(param) and not is_lazy(input_param):
                    with grad_mode.no_grad():
                        param.materialize(input_param.shape)

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        """Materialize the uninitialized tensors from the first input (subclasses define it)."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self) -> bool:
        """True while any own parameter or buffer is still uninitialized."""
        for param in itertools.chain(self._parameters.values(), self._buffers.values()):
            if is_lazy(param):
                return True
        return False

    def _infer_parameters(self, module, args, kwargs=None) -> None:
        """The forward pre-hook of the first call: initialize, unhook, change class."""
        kwargs = kwargs if kwargs else {}
        module.initialize_parameters(*args, **kwargs)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError("Modules with uninitialized parameters can't be used with "
                           "`DataParallel`. Run a dummy forward pass to correctly initialize "
                           "the modules")
