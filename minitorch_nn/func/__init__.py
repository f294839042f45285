"""Function transforms over Modules (`torch.func`): call a module with other weights.

    from minitorch_nn.func import functional_call, stack_module_state
    out = functional_call(model, {"weight": w, "bias": b}, (x,))

Only the parts that need no vmap/grad transforms are here: `functional_call` and
`stack_module_state`.
"""
from __future__ import annotations

from .functional_call import functional_call, stack_module_state

__all__ = ["functional_call", "stack_module_state"]
