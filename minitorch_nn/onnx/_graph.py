"""The ONNX graph under construction: value names for traced tensors, nodes, initializers.

A traced tensor is known by `id()` (the tracer keeps every one alive); its version counter is
kept with its name, so a tensor later written in place outside the traced ops is noticed
instead of exported with stale values.
"""
from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper

from ..tensor import Tensor
from ._base import OnnxExporterError


def host_array(t: Tensor) -> np.ndarray:
    """The tensor's values as a numpy array (CuPy arrays are copied to the host)."""
    arr = t._data
    return arr.get() if hasattr(arr, "get") and not isinstance(arr, np.ndarray) else \
        np.asarray(arr)


def onnx_dtype(np_dtype) -> int:
    try:
        return helper.np_dtype_to_tensor_dtype(np.dtype(np_dtype))
    except (KeyError, TypeError, ValueError) as e:
        raise OnnxExporterError(f"dtype {np_dtype} has no ONNX element type") from e


class Graph:
    """Nodes and values of the graph being built, in the order the ops ran."""

    def __init__(self, opset: int):
        self.opset = opset
        self.nodes: list = []
        self.initializers: dict[str, object] = {}   # name -> TensorProto
        self.graph_inputs: list = []                # ValueInfoProto
        self.transposed_of: dict[str, str] = {}     # 2-D Transpose output -> its input
        self._values: dict[int, tuple] = {}         # id(tensor) -> (name, tensor, version)
        self._poison: dict[int, str] = {}           # id(tensor) -> why it cannot be used
        self._used: set[str] = set()
        self._count = 0
        self._storages: dict[int, tuple] = {}       # id(root array) -> (name, tensor)
        self._constants: set[str] = set()           # names of Constant node outputs
        self._first_version: dict[int, int] = {}    # id(untraced tensor) -> version seen
        self.shadow = None     # result shapes of a run at grown dynamic sizes (onnx/_shapes.py)
        self.grown: dict[int, tuple] = {}           # id(tensor) -> its shape in that run
        self.dim_sources: dict[tuple, tuple] = {}   # (size, grown size) -> (tensor, dim)

    # --- names ----------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        name = hint
        while name in self._used:
            self._count += 1
            name = f"{hint}_{self._count}"
        self._used.add(name)
        return name

    def reserve(self, name: str) -> None:
        if name in self._used:
            raise OnnxExporterError(f"the ONNX value name '{name}' is used twice")
        self._used.add(name)

    # --- tensors <-> values ---------------------------------------------------------------
    def bind(self, t: Tensor, name: str, traced: bool = True) -> None:
        self._values[id(t)] = (name, t, t._version_counter.value)
        if traced:
            self._storages.setdefault(id(_root(t._data)), (name, t))

    def poison(self, t, why: str) -> None:
        if isinstance(t, Tensor):
            self._poison[id(t)] = why

    def known(self, t: Tensor) -> bool:
        return id(t) in self._values

    def is_constant(self, t) -> bool:
        """True when tensor (or raw array argument) `t` does not depend on a graph input or a
        parameter: a Constant already, or made by no traced op and sharing no memory with a
        traced value."""
        if not isinstance(t, Tensor):
            return id(_root(t)) not in self._storages
        entry = self._values.get(id(t))
        if entry is not None:
            return entry[0] in self._constants and entry[2] == t._version_counter.value
        version = t._version_counter.value   # changed since first seen: written by an op
        if self._first_version.setdefault(id(t), version) != version:
            return False
        return id(t) not in self._poison and id(_root(t._data)) not in self._storages

    def mark_constant(self, name: str) -> None:
        """Value `name` is computed from constants only (its nodes read sizes, no inputs)."""
        self._constants.add(name)

    def array_value(self, arr) -> str:
        """The value name of a raw array an op received (a mask passed as `tensor._data`): the
        traced tensor it is, else a Constant."""
        alias = self._storages.get(id(_root(arr)))
        if alias is not None:
            name, src = alias
            if (arr.shape, arr.strides, arr.dtype) == (src._data.shape, src._data.strides,
                                                       src._data.dtype) and \
                    _address(arr) == _address(src._data):
                return name
            raise OnnxExporterError(
                "an op received a view of a traced tensor made by an operation the ONNX "
                "exporter does not trace: write that step with torch ops")
        return self.constant(np.asarray(arr.get() if hasattr(arr, "get") and
                                        not isinstance(arr, np.ndarray) else arr))

    rebind = None   # set by the exporter: tensor written in place -> its new value name

    def value(self, t: Tensor) -> str:
        """The value name of tensor `t`: traced, an input or parameter, else a constant (a
        tensor made inside forward without our ops, e.g. torch.arange)."""
        why = self._poison.get(id(t))
        if why is not None:
            raise OnnxExporterError(why)
        entry = self._values.get(id(t))
        if entry is None:
            return self._untraced(t)
        name, _, version = entry
        if t._version_counter.value != version:
            name = self.rebind(t) if self.rebind is not None else None
            if name is None:
                raise OnnxExporterError(
                    "a tensor used by the model was modified in place by an operation the "
                    "ONNX exporter does not trace (an indexed assignment or a copy_ into a "
                    "view): write that step out of place to export the model")
        return name

    def _untraced(self, t: Tensor) -> str:
        """A tensor no traced op made: a constant, unless it shares memory with a traced value
        (made by an untraced alias such as detach(): the same value, or an error)."""
        if self.rebind is not None and \
                t._version_counter.value != self._first_version.get(id(t), 0):
            written = self.rebind(t)   # a constant that a traced in-place op wrote into
            if written is not None:
                return written
        alias = self._storages.get(id(_root(t._data)))
        if alias is not None:
            name, src = alias
            a, b = t._data, src._data
            if (a.shape, a.strides, a.dtype) != (b.shape, b.strides, b.dtype) or \
                    _address(a) != _address(b):
                raise OnnxExporterError(
                    "a tensor used by the model views a traced tensor through an operation "
                    "the ONNX exporter does not trace: write that step with torch ops")
            self.bind(t, name, traced=False)
            return name
        name = self.constant(host_array(t), "onnx::Constant")
        self.bind(t, name, traced=False)
        return name

    # --- nodes ----------------------------------------------------------------------------
    def node(self, op_type: str, inputs, n_out: int = 1, **attrs):
        """Add a node; returns its output name (a list of names when n_out > 1)."""
        outs = [self.fresh(f"/{op_type}_output") for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs,
                                           name=self.fresh(f"/{op_type}"), **attrs))
        return outs[0] if n_out == 1 else outs

    def identity(self, src: str, dst: str) -> None:
        self.nodes.append(helper.make_node("Identity", [src], [dst],
                                           name=self.fresh("/Identity")))

    def constant(self, array, hint: str = "onnx::Constant") -> str:
        name = self.fresh(hint)
        self._constants.add(name)
        self.nodes.append(helper.make_node("Constant", [], [name], name=self.fresh("/Constant"),
                                           value=numpy_helper.from_array(np.asarray(array),
                                                                         name)))
        return name

    def ints(self, values) -> str:
        return self.constant(np.asarray(list(values), dtype=np.int64))

    def scalar(self, value, np_dtype) -> str:
        return self.constant(np.asarray(value, dtype=np_dtype))

    def add_initializer(self, name: str, t: Tensor) -> None:
        self.initializers[name] = numpy_helper.from_array(host_array(t), name)

    def add_input(self, name: str, t: Tensor, dims) -> None:
        self.graph_inputs.append(helper.make_tensor_value_info(
            name, onnx_dtype(host_array(t).dtype), dims))

    def cast(self, name: str, from_dtype, to_dtype) -> str:
        if np.dtype(from_dtype) == np.dtype(to_dtype):
            return name
        return self.node("Cast", [name], to=onnx_dtype(to_dtype))


def _root(arr):
    """The array that owns `arr`'s memory (numpy views chain through .base)."""
    base = getattr(arr, "base", None)
    while base is not None and hasattr(base, "shape"):
        arr, base = base, getattr(base, "base", None)
    return arr


def _address(arr) -> int:
    iface = getattr(arr, "__array_interface__", None) or arr.__cuda_array_interface__
    return iface["data"][0]


def prune(nodes, outputs, initializers):
    """The nodes (in order) and initializer names that the graph outputs depend on."""
    needed = set(outputs)
    kept = []
    for n in reversed(nodes):
        if any(o in needed for o in n.output):
            kept.append(n)
            needed.update(i for i in n.input if i)
    kept.reverse()
    return kept, [name for name in initializers if name in needed]


def rename(nodes, old: str, new: str) -> None:
    for n in nodes:
        for seq in (n.input, n.output):
            for i, v in enumerate(seq):
                if v == old:
                    seq[i] = new


__all__ = ["Graph", "prune", "rename", "host_array", "onnx_dtype"]
