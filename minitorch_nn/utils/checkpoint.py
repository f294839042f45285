"""torch.utils.checkpoint: trade compute for memory by recomputing a segment in backward.

    y = checkpoint(block, x, use_reentrant=False)

runs `block(x)` without keeping its intermediate tensors; backward runs `block` again, with
the random state it had the first time (dropout draws the same mask), and backpropagates
through that second run. Gradients are the same as without checkpointing.

The two variants, as PyTorch defines them:
  * use_reentrant=True: the segment is one graph node over its tensor inputs. If no input
    requires grad the output does not either (PyTorch warns, and so do we): parameters used
    inside then get no gradient.
  * use_reentrant=False (recommended): parameters used inside get gradients whether or not
    the inputs require grad. Here the forward runs once with the graph recorded, to learn which
    outputs require grad, and drops that graph at once (its memory is returned before the next
    segment runs); backward recomputes as above. Keyword arguments are passed through.
Not calling with `use_reentrant` warns as PyTorch 2.13 does and takes the reentrant variant.
"""
from __future__ import annotations

from .._user_warning import warn_user
from ..autograd import enable_grad, no_grad
from ..autograd.api import backward as _backward
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]

_USE_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")


class CheckpointFunction(Function):
    """One node for the whole segment: forward without a graph, backward by recomputing."""

    @staticmethod
    def forward(ctx, run, kwargs, rng_state, outputs, anchor, *args):
        """`outputs`: the segment's results when the caller already ran it (non-reentrant),
        else None and it runs here, without a graph. `rng_state`: the random state the
        first run started from (None: don't restore it for the recomputation)."""
        ctx.run, ctx.kwargs, ctx.rng_state = run, kwargs, rng_state
        ctx.tensor_at = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.args = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*[args[i] for i in ctx.tensor_at])
        if outputs is None:
            with no_grad():
                outputs = run(*args, **kwargs)
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        inputs = list(ctx.args)
        for i, t in zip(ctx.tensor_at, ctx.saved_tensors):
            inputs[i] = t.detach().requires_grad_(t.requires_grad)
        outputs = _recompute(ctx, inputs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        roots = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if roots:
            _backward([o for o, _ in roots], [g for _, g in roots])
        grads_in = [inputs[i].grad if inputs[i].requires_grad else None for i in ctx.tensor_at]
        by_position = dict(zip(ctx.tensor_at, grads_in))
        return (None,) * 5 + tuple(by_position.get(i) for i in range(len(inputs)))


def _recompute(ctx, inputs):
    """The segment run again, with grad on and (if asked) the forward's random state."""
    saved = None
    if ctx.rng_state is not None:
        saved = get_rng_state()
        set_rng_state(ctx.rng_state)
    try:
        with enable_grad():
            return ctx.run(*inputs, **ctx.kwargs)
    finally:
        if saved is not None:
            set_rng_state(saved)


def checkpoint(function, *args, use_reentrant=None, context_fn=None,
               determinism_check: str = "default", debug: bool = False,
               preserve_rng_state: bool = True, **kwargs):
    """`function(*args, **kwargs)`, its intermediates recomputed in backward (module doc)."""
    if use_reentrant is None:
        warn_user(_USE_REENTRANT_WARNING, UserWarning)
        use_reentrant = True
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if is_grad_enabled() and not any(isinstance(a, Tensor) and a.requires_grad
                                         for a in args):
            warn_user("None of the inputs have requires_grad=True. Gradients will be None",
                      UserWarning)
        rng_state = get_rng_state() if preserve_rng_state else None
        return CheckpointFunction.apply(function, {}, rng_state, None, None, *args)
    if not is_grad_enabled():
        return function(*args, **kwargs)
    rng_state = get_rng_state() if preserve_rng_state else None
    with enable_grad():               # which outputs need grad (the graph is dropped here)
        outputs = function(*args, **kwargs)
    many = isinstance(outputs, tuple)
    if not any(isinstance(o, Tensor) and o.requires_grad for o in
               (outputs if many else (outputs,))):
        return outputs
    detached = tuple(o.detach() if isinstance(o, Tensor) else o for o in outputs) if many \
        else outputs.detach()
    return CheckpointFunction.apply(function, kwargs, rng_state, detached, _anchor(), *args)


def _anchor() -> Tensor:
    """A scalar that requires grad: an input that puts the segment's node in the graph even
    when no argument requires grad (its parameters still do)."""
    from ..creation import zeros
    return zeros(()).requires_grad_(True)


def checkpoint_sequential(functions, segments: int, input, use_reentrant=None, **kwargs):
    """Run `functions` (a Sequential or a list) in `segments` checkpointed chunks; the last
    chunk runs normally, as in PyTorch."""
    if use_reentrant is None:
        warn_user(_USE_REENTRANT_WARNING, UserWarning)
        use_reentrant = True
    functions = list(functions.children()) if hasattr(functions, "children") else \
        list(functions)
    size = len(functions) // segments
    end = -1

    def run(start, stop):
        def forward(x):
            for f in functions[start:stop + 1]:
                x = f(x)
            return x
        return forward

    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=kwargs.get("preserve_rng_state", True))
    return run(end + 1, len(functions) - 1)(input)
