"""`functional_call` and `stack_module_state` (`torch._functorch.functional_call`).

`functional_call(module, dicts, args)` runs `module(*args)` as if its parameters and buffers
were the tensors in `dicts` (one dict, or a tuple/list of dicts with distinct keys). The module
is left exactly as it was, gradients flow to the given tensors, and the module's own `.grad`
fields stay untouched:

    model = nn.Linear(3, 1)
    w = torch.zeros(1, 3, requires_grad=True)
    out = functional_call(model, {"weight": w}, torch.ones(2, 3))   # bias: model's own
    out.sum().backward()          # w.grad is set; model.weight.grad stays None
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..ops.joining import stack
from ..tensor import Tensor
from ..nn.utils.stateless import _functional_call

__all__ = ["functional_call", "stack_module_state"]


def _merge_dicts(parameter_and_buffer_dicts) -> dict:
    """One dict from a dict or a sequence of dicts; a key in two dicts is ambiguous."""
    if isinstance(parameter_and_buffer_dicts, dict):
        return parameter_and_buffer_dicts
    if not isinstance(parameter_and_buffer_dicts, Sequence):
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(parameter_and_buffer_dicts)}")
    if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
        raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                         "dictionaries")
    counts: dict[str, int] = {}
    for d in parameter_and_buffer_dicts:
        for key in d:
            counts[key] = counts.get(key, 0) + 1
    repeated = [key for key, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional "
                         "call is ambiguous")
    return {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}


def functional_call(module, parameter_and_buffer_dicts: dict[str, Tensor] | Sequence[dict],
                    args: Any = None, kwargs: dict[str, Any] | None = None, *,
                    tie_weights: bool = True, strict: bool = False) -> Any:
    """Call `module` with its parameters and buffers replaced by the given ones.

    `args` that is not a tuple is one positional argument. With `tie_weights=True` a value
    given for one of several tied names (one tensor object in the module) is used for all of
    them; `strict=True` requires the keys to be exactly the module's parameter and buffer
    names. A parametrized weight is fed through its parametrization under the key
    `'<sub>.parametrizations.weight.original'`; the key `'weight'` goes through the
    property setter (the parametrization's `right_inverse`), as in PyTorch 2.13.

        functional_call(nn.Linear(2, 1), ({"weight": w}, {"bias": b}), x)
    """
    parameters_and_buffers = _merge_dicts(parameter_and_buffer_dicts)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)


def _construct_stacked_leaf(tensors: Sequence[Tensor], name: str) -> Tensor:
    """`stack(tensors)`, made a fresh leaf requiring grad when every input requires grad."""
    all_requires_grad = all(t.requires_grad for t in tensors)
    none_requires_grad = all(not t.requires_grad for t in tensors)
    if not all_requires_grad and not none_requires_grad:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = stack(tensors)
    if all_requires_grad:
        result = result.detach().requires_grad_()
    return result


def stack_module_state(models) -> tuple[dict[str, Any], dict[str, Any]]:
    """`(params, buffers)`: each model's parameters/buffers stacked on a new dim 0, by name.

    All models must be of one class and in one mode (training or eval). The stacked
    parameters are new leaves (unrelated to the models' own), ready for an optimizer.

        params, buffers = stack_module_state([nn.Linear(3, 3) for _ in range(5)])
        params["weight"].shape     # torch.Size([5, 3, 3])
    """
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    model0_type = type(models[0])
    if not all(type(m) is model0_type for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_params = [dict(model.named_parameters()) for model in models]
    params = {k: _construct_stacked_leaf(tuple(p[k] for p in all_params), k)
              for k in all_params[0]}
    all_buffers = [dict(model.named_buffers()) for model in models]
    buffers = {k: _construct_stacked_leaf(tuple(b[k] for b in all_buffers), k)
               for k in all_buffers[0]}
    return params, buffers
