"""Call a Module with other parameters and buffers for one call (`torch.nn.utils.stateless`).

`functional_call` here is the deprecated spelling kept for old code; it warns and forwards to
the same machinery as `minitorch_nn.func.functional_call`:

    out = stateless.functional_call(model, {"fc.weight": w}, (x,))   # FutureWarning

The machinery (`_reparametrize_module`), step by step:
1. with `tie_weights`, every name tied to a given name (same tensor object in the module)
   receives the given value too, so `b.weight` follows `a.weight`;
2. with `strict`, the names are checked against all parameter and buffer names;
3. the given tensors are swapped in, the module runs, and in a `finally` the module's own
   tensors are swapped back (also when forward raises). What the module held at that moment
   is written back into the caller's dict, so a forward that reassigns a buffer
   (`self.c = self.c + 1`) leaves the new tensor there; in-place updates land in the
   caller's tensors because those were the tensors the module used.
"""
from __future__ import annotations

import contextlib
from typing import Any

from ..._user_warning import warn_user
from ...tensor import Tensor
from ._named_member_accessor import NamedMemberAccessor

__all__ = ["functional_call"]


def _untie_named_tensors_map(module, parameters_and_buffers: dict) -> dict:
    """A copy of `parameters_and_buffers` where each given value also fills its tied names.

    Tied names are the names under which the module holds one tensor object. Two different
    values given for names of one tie raise ValueError (the same object twice is fine).
    """
    all_named_tensors: dict = {}
    all_named_tensors.update(module.named_parameters(remove_duplicate=False))
    all_named_tensors.update(module.named_buffers(remove_duplicate=False))

    names_of_tensor: dict = {}   # tensor (hashed by identity) -> its names
    for name, tensor in all_named_tensors.items():
        names_of_tensor.setdefault(tensor, set()).add(name)
    tied_names_map = {name: names for names in names_of_tensor.values() if len(names) > 1
                      for name in names}

    given_tied = {name for name in parameters_and_buffers if name in tied_names_map}
    for given_name in given_tied:
        tied_names = tied_names_map[given_name]
        given_here = tied_names & given_tied
        values = {id(parameters_and_buffers[name]) for name in given_here}
        if len(given_here) > 1 and len(values) != 1:
            raise ValueError(f"functional_call got multiple values for keys "
                             f"{sorted(tied_names)}, which are tied. Consider using "
                             "tie_weights=False")

    untied = parameters_and_buffers.copy()
    for given_name in given_tied:
        for tied_name in tied_names_map[given_name]:
            untied[tied_name] = parameters_and_buffers[given_name]
    return untied


def _check_strict(module, accessor: NamedMemberAccessor, keys) -> None:
    """PyTorch's strict error: unexpected keys listed first, then missing keys."""
    missing_keys, unexpected_keys = accessor.check_keys(keys)
    error_msgs = []
    if unexpected_keys:
        error_msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected_keys))}.")
    if missing_keys:
        error_msgs.append(f"Missing key(s): {', '.join(map(repr, missing_keys))}.")
    if error_msgs:
        raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
            module._get_name(), "\n\t".join(error_msgs)))


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers: dict, tie_weights: bool = False,
                          strict: bool = False):
    """Inside the `with`, `module` holds the given tensors; afterwards its own again."""
    if tie_weights:
        untied = _untie_named_tensors_map(module, parameters_and_buffers)
    else:
        untied = parameters_and_buffers
    accessor = NamedMemberAccessor(module)
    if strict:
        _check_strict(module, accessor, untied)
    orig_tensors: dict = {}
    try:
        orig_tensors, _ = accessor.swap_tensors_dict(untied, allow_missing=True)
        yield
    finally:
        held_now, _ = accessor.swap_tensors_dict(orig_tensors, allow_missing=True)
        parameters_and_buffers.update({k: held_now[k] for k in parameters_and_buffers
                                       if k in held_now})


def _functional_call(module, parameters_and_buffers: dict, args: Any = None,
                     kwargs: dict | None = None, *, tie_weights: bool = True,
                     strict: bool = False) -> Any:
    """Run `module(*args, **kwargs)` with `parameters_and_buffers` swapped in."""
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights,
                               strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers: dict[str, Tensor], args: Any = None,
                    kwargs: dict[str, Any] | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """Deprecated: use `minitorch_nn.func.functional_call` (same arguments, same result).

        out = functional_call(model, {"weight": w}, (x,))   # model's own weight untouched
    """
    warn_user("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
              "and will be removed in a future version of PyTorch. Please use "
              "`torch.func.functional_call` instead which is a drop-in replacement.",
              FutureWarning)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
