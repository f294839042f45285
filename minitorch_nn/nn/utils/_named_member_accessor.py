"""Read, set and swap tensors of a Module by dotted name (`torch.nn.utils._named_member_accessor`).

`functional_call` uses this to put the caller's tensors into a module for one call and put the
module's own tensors back afterwards:

    accessor = NamedMemberAccessor(model)
    originals, _ = accessor.swap_tensors_dict({"fc.weight": w}, allow_missing=True)
    ...                                     # model.fc.weight is w here
    accessor.swap_tensors_dict(originals, allow_missing=True)

A swap writes straight into `module._parameters` / `module._buffers` when the name lives there
(so any Tensor may stand in for a Parameter and nothing is registered or checked), and falls
back to `setattr` otherwise, which reaches class properties such as a parametrized `weight`.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from ...tensor import Tensor

__all__ = ["NamedMemberAccessor", "set_tensor", "swap_tensor", "swap_submodule"]


class _Missing:
    """Marks "this attribute did not exist": swapping it back deletes the attribute."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _module_class():
    from ..modules.module import Module   # late import: modules import this package
    return Module


def _check_name(name: str, what: str = "tensor") -> None:
    if "." in name:
        raise KeyError(f'{what} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{what} name can\'t be empty string ""')


def set_tensor(module, name: str, tensor: Tensor | None) -> None:
    """Set `module.<name>` to `tensor`, bypassing Parameter checks for registered names."""
    if not isinstance(module, _module_class()):
        raise TypeError(f"{module} is not an instance of torch.nn.Module")
    if not isinstance(tensor, Tensor) and tensor is not None:
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    _check_name(name)
    if name in module._parameters:
        module._parameters[name] = tensor
    elif name in module._buffers:
        module._buffers[name] = tensor
    else:
        setattr(module, name, tensor)


def swap_tensor(module, name: str, tensor, allow_missing: bool = False):
    """Put `tensor` at `module.<name>` and return what was there (`_MISSING` if nothing).

    Passing `_MISSING` as `tensor` removes the attribute, undoing a swap of a new name.
    """
    if not isinstance(module, _module_class()):
        raise TypeError(f"{module} is not an instance of torch.nn.Module")
    if tensor is not _MISSING and not isinstance(tensor, Tensor) and tensor is not None:
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    _check_name(name)
    for store in (module._parameters, module._buffers):
        if name in store:
            orig = store[name]
            if tensor is _MISSING:
                del store[name]
            else:
                store[name] = tensor
            return orig
    if hasattr(module, name):
        orig = getattr(module, name)
    elif allow_missing:
        orig = _MISSING
    else:
        raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
    if orig is not _MISSING and not isinstance(orig, Tensor) and orig is not None:
        raise TypeError(f"attribute `{name}`: {orig} is not an instance of torch.Tensor")
    if tensor is not _MISSING:
        setattr(module, name, tensor)
    elif hasattr(module, name):
        delattr(module, name)
    return orig


def swap_submodule(module, name: str, submodule):
    """Replace the child `module.<name>` by `submodule`; return the old child."""
    module_cls = _module_class()
    if not isinstance(module, module_cls):
        raise TypeError(f"{module} is not an instance of torch.nn.Module")
    if not isinstance(submodule, module_cls):
        raise TypeError(f"{submodule} is not an instance of torch.nn.Module")
    _check_name(name, "submodule")
    if name not in module._modules:
        raise KeyError(f"submodule {name} does not exist")
    orig = module._modules[name]
    if not isinstance(orig, module_cls):
        raise TypeError(f"{name} attribute is not an instance of torch.nn.Module")
    module._modules[name] = submodule
    return orig


class NamedMemberAccessor:
    """Dotted-name access to a module's submodules and tensors, caching submodule lookups."""

    def __init__(self, module) -> None:
        self.module = module
        self.memo: dict = {}

    def get_submodule(self, name: str):
        """The submodule at dotted path `name` ('' is the module itself)."""
        if not name:
            return self.module
        if name in self.memo:
            return self.memo[name]
        prefix, dot, attr = name.rpartition(".")
        parent = self.get_submodule(prefix) if dot else self.module
        try:
            submodule = getattr(parent, attr)
        except AttributeError as ex:
            raise AttributeError(f"{parent._get_name()} has no attribute `{attr}`") from ex
        if not isinstance(submodule, _module_class()):
            raise TypeError(f"submodule `{name}`: {submodule} is not an instance of "
                            "torch.nn.Module")
        self.memo[name] = submodule
        return submodule

    def swap_submodule(self, path: str, value):
        prefix, _, attr = path.rpartition(".")
        return swap_submodule(self.get_submodule(prefix), attr, value)

    def get_tensor(self, name: str) -> Tensor:
        prefix, _, attr = name.rpartition(".")
        submodule = self.get_submodule(prefix)
        try:
            tensor = getattr(submodule, attr)
        except AttributeError as ex:
            raise AttributeError(f"{submodule._get_name()} has no attribute `{name}`") from ex
        if not isinstance(tensor, Tensor) and tensor is not None:
            raise TypeError(f"{tensor} is not an instance of torch.Tensor")
        return tensor

    def set_tensor(self, name: str, value: Tensor) -> None:
        prefix, _, attr = name.rpartition(".")
        set_tensor(self.get_submodule(prefix), attr, value)

    def del_tensor(self, name: str) -> None:
        prefix, _, attr = name.rpartition(".")
        submodule = self.get_submodule(prefix)
        try:
            delattr(submodule, attr)
        except AttributeError as ex:
            raise AttributeError(f"{submodule._get_name()} has no attribute `{name}`") from ex

    def swap_tensor(self, name: str, value, allow_missing: bool = False):
        prefix, _, attr = name.rpartition(".")
        return swap_tensor(self.get_submodule(prefix), attr, value,
                           allow_missing=allow_missing)

    def get_tensors(self, names: Iterable[str]) -> list:
        return [self.get_tensor(name) for name in names]

    def set_tensors_dict(self, named_tensors: dict) -> None:
        for name, value in named_tensors.items():
            self.set_tensor(name, value)

    def swap_tensors_dict(self, named_tensors: dict,
                          allow_missing: bool = False) -> tuple[dict, list[str]]:
        """Swap every entry; on any failure undo the swaps already made, then re-raise."""
        orig_named_tensors: dict = {}
        missing_keys: list[str] = []
        try:
            for name, tensor in named_tensors.items():
                orig = self.swap_tensor(name, tensor, allow_missing=True)
                if orig is _MISSING:
                    missing_keys.append(name)
                orig_named_tensors[name] = orig
        except Exception:
            for name, orig in orig_named_tensors.items():
                self.swap_tensor(name, orig, allow_missing=True)
            raise
        if missing_keys and not allow_missing:
            for name, orig in orig_named_tensors.items():
                self.swap_tensor(name, orig, allow_missing=True)
            raise RuntimeError(f"Missing key(s): {', '.join(map(repr, missing_keys))}.")
        return orig_named_tensors, missing_keys

    def check_keys(self, keys: Iterable[str]) -> tuple[list[str], list[str]]:
        """(missing, unexpected) against every parameter and buffer name, aliases included."""
        keys = set(keys)
        valid_keys = {name for name, _ in self.named_tensors(remove_duplicate=False)}
        return sorted(valid_keys - keys), sorted(keys - valid_keys)

    def named_tensors(self, remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self.module.named_parameters(remove_duplicate=remove_duplicate)
        yield from self.module.named_buffers(remove_duplicate=remove_duplicate)
