"""Function transforms (`torch.func`): grad, vjp, jvp, jacrev, jacfwd, hessian, vmap, and
`functional_call` / `stack_module_state` to call a module with other weights.

    from minitorch_nn.func import grad, vmap, functional_call
    per_sample_grads = vmap(grad(loss_fn), in_dims=(None, 0, 0))(params, x, y)

The gradient transforms are built on the tape (autograd.grad with create_graph=True where an
outer transform needs it); jvp is computed by double vjp; vmap batches through per-op batching
rules (batching_rules.py), running an op without one per sample. See docs/func.md for how
each works and what is absent (forward-mode AD).
"""
from __future__ import annotations

from .eager_transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from .functional_call import functional_call, stack_module_state
from .vmap import vmap

__all__ = ["functional_call", "stack_module_state", "grad", "grad_and_value", "vjp", "jvp",
           "jacrev", "jacfwd", "hessian", "vmap"]
