"""Autograd functions used by the Module machinery (`torch.nn.modules._functions`)."""
from __future__ import annotations

from ...autograd.function import Function
from ...tensor import _view_of

__all__ = ["BackwardHookFunction"]


def _identity(array):
    return array


class BackwardHookFunction(Function):
    """Identity on a module's tensor inputs or outputs, giving them one shared graph node.

    Module full backward hooks hang on this node (`BackwardHookFunctionBackward`): it sees
    the gradients of all the tensors that went through it at once. Each output is a view of
    its input (same storage and version counter); outputs of inputs that need no gradient are
    marked non-differentiable, as PyTorch does.
    """

    @staticmethod
    def forward(ctx, *args):
        outputs = tuple(_view_of(a, a._data, _identity) for a in args)
        for out in outputs:
            # In-place writes to these views would bypass the hook node: refused, as in PyTorch.
            out._inplace_view_error = "BackwardHookFunction"
        ctx.mark_non_differentiable(*[o for o, a in zip(outputs, args) if not a.requires_grad])
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        return grads
