"""Hook handles and the machinery behind Module full backward hooks (`torch.utils.hooks`).

`RemovableHandle` is the handle every `register_*_hook` returns: `handle.remove()` deletes
the hook from its dict (and from the extra dicts that flag it, e.g. `with_kwargs`). Ids come
from one counter shared with tensor and graph-node hooks, as in PyTorch.

`BackwardHook` implements `register_full_backward_hook` / `register_full_backward_pre_hook`:
the module's tensor inputs and outputs are passed through `BackwardHookFunction` (identity
views), and hooks on those two graph nodes see the gradients with respect to the module's
outputs (pre-hooks, may replace them) and then its inputs (hooks, may replace them).
"""
from __future__ import annotations

from collections import OrderedDict

from ..._user_warning import warn_user
from ...autograd import grad_mode
from ...autograd.graph import RemovableHandle as _GraphHandle
from ...tensor import Tensor

__all__ = ["RemovableHandle", "unserializable_hook", "warn_if_has_hooks", "BackwardHook"]


class RemovableHandle(_GraphHandle):
    """`RemovableHandle(hooks_dict, *, extra_dict=None)`: PyTorch's signature.

    `extra_dict` is a dict or a list of dicts whose entry for this id is removed too.
    Usable as a context manager: the hook is removed on exit.
    """

    def __init__(self, hooks_dict, *, extra_dict=None) -> None:
        if extra_dict is None:
            extras = ()
        elif isinstance(extra_dict, dict):
            extras = (extra_dict,)
        else:
            extras = tuple(extra_dict)
        super().__init__(hooks_dict, *extras)

    @property
    def extra_dict_ref(self) -> tuple:
        return self.extra_dict_refs

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_refs))

    def __setstate__(self, state) -> None:
        import weakref
        hooks = state[0] if state[0] is not None else OrderedDict()
        self.hooks_dict_ref = weakref.ref(hooks)
        self.id = state[1]
        extras = state[2] if len(state) > 2 and state[2] is not None else ()
        self.extra_dict_refs = tuple(weakref.ref(d) for d in extras if d is not None)


def unserializable_hook(f):
    """Mark `f` as a hook that is not expected to survive serialization."""
    f.__torch_unserializable__ = True
    return f


def warn_if_has_hooks(tensor) -> None:
    """Tensor hooks are never serialized; minitorch_nn keeps no per-tensor hook list."""
    hooks = getattr(tensor, "_backward_hooks", None) or {}
    for hook in hooks.values():
        if not hasattr(hook, "__torch_unserializable__"):
            warn_user(f"backward hook {hook!r} on tensor will not be serialized.  If this "
                      "is expected, you can decorate the function with "
                      "@torch.utils.hooks.unserializable_hook to suppress this warning")


class BackwardHook:
    """One module call's full backward hooks (made by `Module.__call__` when it has some).

    `setup_input_hook(args)` and `setup_output_hook(result)` route the tensors through
    `BackwardHookFunction`; the output node's hook records `grad_outputs` (after the
    pre-hooks), the input node's hook then calls the user hooks with
    `(module, grad_input, grad_output)`, each entry None where the argument is no Tensor.
    """

    def __init__(self, module, user_hooks, user_pre_hooks) -> None:
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.module = module
        self.grad_outputs = None
        self.n_outputs = -1
        self.output_tensors_index = None
        self.n_inputs = -1
        self.input_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size) -> tuple:
        res = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    @staticmethod
    def _unpack_none(indices, values) -> tuple:
        return tuple(values[idx] for idx in indices)

    def _set_user_hook(self, grad_fn) -> None:
        def hook(grad_input, _):
            if self.grad_outputs is None:
                return None
            res = self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
            for user_hook in self.user_hooks:
                out = user_hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError("Backward hook returned an invalid number of "
                                       f"grad_input, got {len(out)}, but expected {len(res)}")
                res = out
            self.grad_outputs = None
            return self._unpack_none(self.input_tensors_index, res)

        grad_fn.register_hook(hook)

    def _apply_on_tensors(self, fn, args):
        from ..modules._functions import BackwardHookFunction
        tensors_idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in tensors_idx]
        requires_grad = any(t.requires_grad for t in tensors)
        if not (requires_grad and grad_mode.is_grad_enabled()):
            return args, None
        new_tensors = BackwardHookFunction.apply(*tensors)
        if not isinstance(new_tensors, tuple):
            new_tensors = (new_tensors,)
        if len(new_tensors) == 0:
            raise RuntimeError("Cannot set Module backward hook for a Module with no input "
                               "Tensors.")
        grad_fns = [t.grad_fn for t in new_tensors if t.grad_fn is not None
                    and t.grad_fn.name() == "BackwardHookFunctionBackward"]
        if not grad_fns:
            raise RuntimeError("Error while setting up backward hooks. Please open an issue "
                               "with a code sample to reproduce this.")
        fn(grad_fns[0])
        arg_list = list(args)
        for idx, val in zip(tensors_idx, new_tensors):
            arg_list[idx] = val
        out = tuple(arg_list) if type(args) is tuple else type(args)(*arg_list)
        return out, tensors_idx

    def setup_input_hook(self, args):
        res, input_idx = self._apply_on_tensors(self._set_user_hook, args)
        self.n_inputs = len(args)
        self.input_tensors_index = input_idx
        return res

    def _output_hook(self, grad_fn) -> None:
        def hook(_, grad_output):
            self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output,
                                                     self.n_outputs)
            if self.user_pre_hooks:
                expected = len(self.grad_outputs)
                for user_pre_hook in self.user_pre_hooks:
                    new = user_pre_hook(self.module, self.grad_outputs)
                    if new is None:
                        continue
                    if len(new) != expected:
                        raise RuntimeError("Backward pre hook returned an invalid number of "
                                           f"grad_output, got {len(new)}, but expected "
                                           f"{expected}")
                    self.grad_outputs = new
            local_grad_outputs = self.grad_outputs
            if self.input_tensors_index is None:
                self._fire_without_input_grads()
            if local_grad_outputs is not None:
                return tuple(local_grad_outputs[i] for i in self.output_tensors_index)
            return None

        grad_fn.register_hook(hook)

    def _fire_without_input_grads(self) -> None:
        """No input needed a gradient: the hooks still run, with grad_input all None."""
        warn_user("Full backward hook is firing when gradients are computed with respect "
                  "to module outputs since no inputs require gradients. See "
                  "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                  "#torch.nn.Module.register_full_backward_hook for more details.")
        grad_inputs = self._pack_with_none([], [], self.n_inputs)
        for user_hook in self.user_hooks:
            res = user_hook(self.module, grad_inputs, self.grad_outputs)
            if res is not None and not (isinstance(res, tuple)
                                        and all(el is None for el in res)):
                raise RuntimeError("Backward hook for Modules where no input requires "
                                   "gradient should always return None or None for all "
                                   "gradients.")
        self.grad_outputs = None

    def setup_output_hook(self, args):
        is_tuple = isinstance(args, tuple)
        if not is_tuple:
            args = (args,)
        res, output_idx = self._apply_on_tensors(self._output_hook, args)
        self.n_outputs = len(args)
        self.output_tensors_index = output_idx
        return res if is_tuple else res[0]
