"""The backward graph: nodes (`grad_fn`), saved tensors, leaf accumulators and hook handles.

Every result that needs a gradient points at the node that made it (`t.grad_fn`) and at its
position among that node's outputs (`t._output_nr`). A node keeps one edge per forward
argument: `(node_of_that_input, its_output_nr)`, `(None, 0)` where no gradient is needed.
Leaves that require grad end in an `AccumulateGrad` node that adds into `leaf.grad`.
"""
from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict

import numpy as np

from ..array_backends import large_arrays
from ..dtypes import from_numpy_dtype
from ..tensor import _grad_state, _wrap

__all__ = ["Node", "AccumulateGrad", "SavedTensor", "RemovableHandle", "dump", "to_dot"]

_sequence = itertools.count()


class RemovableHandle:
    """Removes a hook from the dict it was stored in; usable as a context manager."""

    _ids = itertools.count()

    def __init__(self, hooks_dict, *extra_dicts):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.extra_dict_refs = tuple(weakref.ref(d) for d in extra_dicts)
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref,) + self.extra_dict_refs:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _writable(array) -> bool:
    """numpy's writeable flag; CuPy arrays have none: no stride-0 dim over several elements."""
    flags = array.flags
    if hasattr(flags, "writeable"):
        return flags.writeable
    return not any(s == 0 and n > 1 for s, n in zip(array.strides, array.shape))


def _hook_dict(owner, name: str) -> OrderedDict:
    d = owner.__dict__.get(name)
    if d is None:
        d = OrderedDict()
        setattr(owner, name, d)
    return d


class Node:
    """One step of the backward pass. Subclasses implement `apply(grads) -> input grads`."""

    _edges: tuple = ()
    _tensor_pre_hooks = None     # {output_nr: OrderedDict of hooks on that output's grad}
    _retained = None             # {output_nr: weakref to a tensor that called retain_grad()}
    _pre_hooks = None            # OrderedDict of fn(grad_outputs)
    _post_hooks = None           # OrderedDict of fn(grad_inputs, grad_outputs)
    _output_meta = None          # per output: (shape, array dtype), to make zero gradients
    _materialize_grads = True    # give backward zeros (not None) for outputs without a grad
    _n_outputs = 1
    _recorded_shapes = None      # {output_nr: shape} of outputs reshaped in place unrecorded

    def __init__(self):
        self._seq = next(_sequence)

    _qualified_name = None   # PyTorch's C++ nodes answer name() with a namespace

    def name(self) -> str:
        return self._qualified_name or type(self).__name__

    @property
    def next_functions(self) -> tuple:
        return tuple(e for e in self._edges if e is not _NO_TENSOR)

    @property
    def metadata(self) -> dict:
        meta = self.__dict__.get("_metadata")
        if meta is None:
            meta = self._metadata = {}
        return meta

    def register_hook(self, fn) -> RemovableHandle:
        """`fn(grad_inputs, grad_outputs)` runs after this node; may return new grad_inputs."""
        hooks = _hook_dict(self, "_post_hooks")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    def register_prehook(self, fn) -> RemovableHandle:
        """`fn(grad_outputs)` runs before this node; may return new grad_outputs."""
        hooks = _hook_dict(self, "_pre_hooks")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    def _add_tensor_hook(self, output_nr: int, fn) -> RemovableHandle:
        if self._tensor_pre_hooks is None:
            self._tensor_pre_hooks = {}
        hooks = self._tensor_pre_hooks.setdefault(output_nr, OrderedDict())
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    def _retain(self, output_nr: int, tensor) -> None:
        if self._retained is None:
            self._retained = {}
        self._retained[output_nr] = weakref.ref(tensor)

    def __call__(self, *grads):
        return self.apply(grads)

    def apply(self, grads):
        raise NotImplementedError

    def _release(self) -> None:
        """Free what backward needed (called after a pass without retain_graph)."""


_NO_TENSOR = (None, 0)   # the edge of a non-tensor forward argument (hidden from next_functions)
_NO_GRAD = tuple([None, 0])   # a tensor argument that needs no gradient: shown, as in PyTorch


# Added to an AccumulateGrad's sequence number: the engine runs the newest ready node first,
# so a leaf's gradient is accumulated (and its post-accumulate hooks run) as soon as it is
# complete, not after every other node, as PyTorch (whose AccumulateGrad has the largest
# sequence number). DistributedDataParallel's all-reduces overlap the rest of backward so.
_LEAF_FIRST = 1 << 62


def _copy(grad):
    """A C-contiguous copy of a gradient array, into a reused array where it is large
    (array_backends/large_arrays.py: a fresh 64 MB array costs ~6 ms of page faults)."""
    if type(grad) is not np.ndarray:
        return grad.copy()
    out = large_arrays.empty(grad.shape, grad.dtype)
    np.copyto(out, grad)
    return out


class AccumulateGrad(Node):
    """The end of the graph at a leaf: adds the incoming gradient into `leaf.grad`."""

    _qualified_name = "torch::autograd::AccumulateGrad"

    def __init__(self, variable):
        super().__init__()
        self._seq += _LEAF_FIRST
        self._variable_ref = weakref.ref(variable)
        self._n_outputs = 1

    @property
    def variable(self):
        return self._variable_ref()

    def accumulate(self, grad, owned: bool = False) -> None:
        """Add `grad` into the leaf's `.grad`; `owned`: nothing else can reach `grad` (the
        engine checked), so a first gradient becomes `.grad` without a copy."""
        leaf = self._variable_ref()
        if leaf is None:
            return
        old = leaf._grad
        if old is None:   # our own buffer: later adds may write into it
            leaf._grad = _wrap(grad if owned else _copy(grad))
        elif old._data.shape == grad.shape and _writable(old._data):
            old._data += grad
        else:
            leaf._grad = _wrap(old._data + grad)
        hooks = self._post_accumulate_hooks
        if hooks:
            for fn in list(hooks.values()):
                fn(leaf)

    def accumulate_tensor(self, grad) -> None:
        """`accumulate` under create_graph: `.grad` keeps the gradient's graph (a first
        gradient is taken as is, later ones are added out of place), as PyTorch does."""
        leaf = self._variable_ref()
        if leaf is None:
            return
        leaf._grad = grad if leaf._grad is None else leaf._grad + grad
        hooks = self._post_accumulate_hooks
        if hooks:
            for fn in list(hooks.values()):
                fn(leaf)

    _post_accumulate_hooks = None   # fn(leaf) after .grad was updated (optimizers in backward)

    def _add_post_accumulate_hook(self, fn) -> RemovableHandle:
        hooks = _hook_dict(self, "_post_accumulate_hooks")
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle


class SavedTensor:
    """A tensor saved for backward, with the version it had then (in-place edits are caught).

    An input is kept as the Tensor object (so `x.data = ...` is seen, as in PyTorch); an
    output keeps only its array and counter (PyTorch's SavedVariable for an output), so
    nothing leads from the node back to itself: a dropped graph is freed by reference
    counting, without waiting for the cycle collector. The node that holds it is passed to
    `unpack`, for the error message only.
    """

    __slots__ = ("tensor", "data", "counter", "version", "output_nr")

    def __init__(self, tensor, output_nr: int | None):
        self.counter = tensor._version_counter
        self.version = tensor._version_counter.value
        self.output_nr = output_nr
        if output_nr is None:
            self.tensor, self.data = tensor, None
        else:
            self.tensor, self.data = None, tensor._data

    def unpack(self, owner=None):
        if self.counter.value != self.version:
            self._raise_modified(owner)
        if self.tensor is not None:
            return self.tensor
        t = _wrap(self.data)
        t._version_counter = self.counter
        if _grad_state.enabled and owner is not None:   # create_graph: PyTorch's saved
            t._requires_grad = True                     # output unpacks attached to the
            t.grad_fn, t._output_nr = owner, self.output_nr   # node that made it
        return t

    def _raise_modified(self, owner):
        if self.tensor is not None:
            t = self.tensor
            producer = t.grad_fn
            nr = t._output_nr
        else:
            t = None
            producer, nr = owner, self.output_nr
        data = self.data if t is None else t._data
        kind = "torch." + from_numpy_dtype(data.dtype)._legacy
        desc = f"[{kind} [{', '.join(str(s) for s in data.shape)}]]"
        if producer is not None and not isinstance(producer, AccumulateGrad):
            desc += f", which is output {nr} of {_op_name(producer)},"
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {desc} is at version {self.counter.value}; expected version "
            f"{self.version} instead. Hint: enable anomaly detection to find the operation "
            "that failed to compute its gradient, with "
            "torch.autograd.set_detect_anomaly(True, check_nan=False).")


def _op_name(node) -> str:
    name = type(node).__name__
    for suffix in ("Backward0", "Backward1", "Backward"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


from .graph_dump import dump, to_dot  # noqa: E402,F401  (graph.dump(t), graph.to_dot(t))
