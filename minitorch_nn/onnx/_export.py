"""`torch.onnx.export`: trace the model once, build the ONNX graph, check it, write it."""
from __future__ import annotations

import inspect
import os
import warnings

import numpy as np

from ..autograd import grad_mode
from ..tensor import Tensor
from ._base import STATE as _STATE
from ._base import OnnxExporterError, TrainingMode, select_model_mode_for_export

DEFAULT_OPSET = 17
MIN_OPSET = 13


def _onnx():
    try:
        import onnx
    except ImportError as e:
        raise ImportError("torch.onnx.export needs the onnx package: "
                          "pip install 'minitorch_nn[onnx]' (or pip install onnx)") from e
    return onnx


def export_model(model, args, f, *, kwargs, export_params, verbose, input_names, output_names,
                 opset_version, dynamic_axes, keep_initializers_as_inputs, training,
                 do_constant_folding):
    onnx = _onnx()
    from ._graph import Graph
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    newest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= newest:
        raise OnnxExporterError(f"opset_version {opset} is not supported: minitorch_nn exports "
                                f"opsets {MIN_OPSET} to {newest}")
    args, kwargs = _split_args(args, kwargs)
    g = Graph(opset)
    names = _bind_inputs(g, model, args, kwargs, input_names)
    params = _bind_parameters(g, model)
    mode = training if isinstance(training, TrainingMode) else TrainingMode(int(training))
    outputs = _trace(g, model, args, kwargs, mode, do_constant_folding, names,
                     dynamic_axes or {})
    out_names = _name_outputs(g, outputs, output_names)
    proto = _model_proto(onnx, g, names, out_names, outputs, params, dynamic_axes or {},
                         export_params, keep_initializers_as_inputs)
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as e:   # a bug in a mapping, not in the model
        raise OnnxExporterError(f"the exported graph does not pass onnx.checker: {e}") from e
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    if f is None:
        return proto
    data = proto.SerializeToString()
    if isinstance(f, (str, bytes, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    else:
        f.write(data)
    return None


def _split_args(args, kwargs):
    """PyTorch's forms: one tensor, a tuple, a tuple ending in a dict of keyword arguments."""
    if isinstance(args, Tensor):
        args = (args,)
    elif not isinstance(args, tuple):
        args = tuple(args) if isinstance(args, list) else (args,)
    if kwargs is None and args and isinstance(args[-1], dict):
        args, kwargs = args[:-1], args[-1]
    kwargs = dict(kwargs or {})
    for a in (*args, *kwargs.values()):
        if isinstance(a, (list, tuple, dict)) and _has_tensor(a):
            raise OnnxExporterError("inputs nested in lists, tuples or dicts are not supported "
                                    "yet: pass each tensor as its own argument")
    return args, kwargs


def _has_tensor(x) -> bool:
    items = x.values() if isinstance(x, dict) else x
    return any(isinstance(i, Tensor) or (isinstance(i, (list, tuple, dict)) and _has_tensor(i))
               for i in items)


def _bind_inputs(g, model, args, kwargs, input_names):
    """Graph inputs: the tensor arguments, named by input_names, else by forward's parameters."""
    try:
        sig_names = [p for p in inspect.signature(getattr(model, "forward", model)).parameters
                     if p != "self"]
    except (TypeError, ValueError):
        sig_names = []
    given = list(input_names or [])
    tensors = [(i, a) for i, a in enumerate(args) if isinstance(a, Tensor)]
    tensors += [(k, v) for k, v in kwargs.items() if isinstance(v, Tensor)]
    named = []
    for j, (key, t) in enumerate(tensors):
        if j < len(given):
            name = given[j]
        elif isinstance(key, str):
            name = key
        else:
            name = sig_names[key] if key < len(sig_names) and not sig_names[key].startswith(
                "*") else f"input_{key}"
        g.reserve(name)
        g.bind(t, name)
        named.append((name, t))
    return named


def _bind_parameters(g, model):
    """Parameters and buffers by their state_dict names (first name of a shared tensor)."""
    params = {}
    if not hasattr(model, "named_parameters"):
        return params
    for name, t in (*model.named_parameters(), *model.named_buffers()):
        if t is None or g.known(t):
            continue
        g.reserve(name)
        g.bind(t, name, traced=False)
        params[name] = t
    return params


def _trace(g, model, args, kwargs, mode, fold, named_inputs, dynamic_axes):
    from ._function_ops import watched_public_ops
    from ._graph import host_array
    from ._recurrent import recurrent_modules_as_onnx_ops
    from ._shapes import dynamic_result_shapes, note_grown, note_sources
    from . import _symbolic, _symbolic_attention, _symbolic_sequence  # noqa: F401 (register)
    from ._handlers import mapping
    from ._trace import Tracer

    def on_record(rec, handler, constant_inputs=False):
        outs = rec.out if type(rec.out) is tuple else (rec.out,)
        note_grown(g, len(tracer.records), rec.cls, outs)
        result = handler(g, rec)
        names = result if type(result) is tuple else (result,)
        for t, name in zip(outs, names):
            if name is None:
                g.poison(t, f"a result of {rec.cls.__name__} (e.g. max_pool indices) has no "
                            f"ONNX value yet and cannot be used by an exported model")
            elif isinstance(t, Tensor):
                g.bind(t, name)
                if constant_inputs:   # made from constants, with a size that follows the
                    g.mark_constant(name)   # batch: still no graph input in it
        note_sources(g, outs)

    def on_fold(rec):
        """Results as Constants; False (not folded) if one has a size that follows a dynamic
        axis (an expand of a constant mask to the batch)."""
        outs = rec.out if type(rec.out) is tuple else (rec.out,)
        note_grown(g, len(tracer.records), rec.cls, outs)
        if any(isinstance(t, Tensor) and g.grown.get(id(t), t.shape) != tuple(t.shape)
               for t in outs):
            return False
        for t in outs:
            if isinstance(t, Tensor):
                g.bind(t, g.constant(host_array(t), "onnx::Constant"), traced=False)
        return True

    def foldable(args, kwargs):
        return all(g.is_constant(t) for t in _tensors(args, kwargs))

    g.rebind = lambda t: _rebind(g, tracer.records, t)
    tracer = Tracer(mapping(), on_record, foldable if fold else None, on_fold)
    ctx = (select_model_mode_for_export(model, mode) if hasattr(model, "train")
           else _nullcontext())
    def run_model(hook, a, kw):
        with recurrent_modules_as_onnx_ops(None, hook, model):
            return model(*a, **kw)

    with ctx, grad_mode.no_grad():
        _STATE.active = True
        try:
            if not getattr(model, "training", False):
                g.shadow, grown = dynamic_result_shapes(run_model, named_inputs, args,
                                                        kwargs, dynamic_axes)
                g.grown.update(grown)
                note_sources(g, [t for _, t in named_inputs])
            with tracer, recurrent_modules_as_onnx_ops(g, tracer, model), \
                    watched_public_ops(g, tracer):
                out = model(*args, **kwargs)
            return _flatten_outputs(out)
        finally:
            _STATE.active = False


def _tensors(args, kwargs):
    """Every Tensor or raw array among the arguments of an op call (in lists and tuples too;
    some ops take a mask as an array)."""
    for a in (*args, *kwargs.values()) if kwargs else args:
        if isinstance(a, Tensor) or (hasattr(a, "__array_interface__") and
                                     not isinstance(a, np.generic)) or \
                hasattr(a, "__cuda_array_interface__"):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from _tensors(a, None)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _rebind(g, records, t):
    """The value of a tensor written in place by a traced op (`x.relu_()`: relu(x) ran, then
    its result was copied into x): the newest record on x whose result equals x now."""
    from ._graph import host_array
    for rec in reversed(records):
        o = rec.out
        if rec.args and rec.args[0] is t and isinstance(o, Tensor) and g.known(o) \
                and o.shape == t.shape and np.array_equal(host_array(o), host_array(t),
                                                          equal_nan=True):
            name = g.value(o)
            g.bind(t, name)
            return name
    return None


def _flatten_outputs(out) -> list:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flatten_outputs(o)]
    raise OnnxExporterError(f"the model returned a {type(out).__name__}: only tensors (or "
                            f"lists, tuples and dicts of tensors) can be exported")


def _name_outputs(g, outputs, output_names):
    from ._graph import rename
    given = list(output_names or [])
    names = []
    produced = {o for n in g.nodes for o in n.output}
    claimed = set()
    for i, t in enumerate(outputs):
        name = given[i] if i < len(given) else ("output" if len(outputs) == 1 else f"output_{i}")
        v = g.value(t)
        g.reserve(name)
        if v in produced and v not in claimed and v.startswith("/"):
            rename(g.nodes, v, name)
            claimed.add(v)
            g.bind(t, name)
        else:
            g.identity(v, name)
        names.append(name)
    return names


def _dims(name, t, dynamic_axes):
    axes = dynamic_axes.get(name)
    if axes is None:
        return list(t.shape)
    if not isinstance(axes, dict):
        axes = {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
    return [axes.get(i, axes.get(i - t.ndim, n)) for i, n in enumerate(t.shape)]


def _model_proto(onnx, g, inputs, out_names, outputs, params, dynamic_axes, export_params,
                 keep_initializers_as_inputs):
    from ._graph import onnx_dtype, prune, host_array
    helper = onnx.helper
    known = {n for n, _ in inputs} | set(out_names)
    for key in dynamic_axes:
        if key not in known:
            warnings.warn(f"Provided key {key} for dynamic axes is not a valid input/output "
                          f"name", stacklevel=4)
    nodes, used_params = prune(g.nodes, out_names, params)
    graph_inputs = [helper.make_tensor_value_info(n, onnx_dtype(host_array(t).dtype),
                                                  _dims(n, t, dynamic_axes))
                    for n, t in inputs]
    initializers = []
    for name in used_params:
        t = params[name]
        if export_params:
            initializers.append(onnx.numpy_helper.from_array(host_array(t), name))
        if keep_initializers_as_inputs or not export_params:
            graph_inputs.append(helper.make_tensor_value_info(
                name, onnx_dtype(host_array(t).dtype), list(t.shape)))
    symbolic = any(n in dynamic_axes for n, _ in inputs)
    graph_outputs = [helper.make_tensor_value_info(
        n, onnx_dtype(host_array(t).dtype),
        None if symbolic and n not in dynamic_axes else _dims(n, t, dynamic_axes))
        for n, t in zip(out_names, outputs)]
    graph = helper.make_graph(nodes, "main_graph", graph_inputs, graph_outputs, initializers)
    opsets = [helper.make_opsetid("", g.opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="minitorch_nn",
                              producer_version=_version(),
                              ir_version=helper.find_min_ir_version_for(opsets, True))
    if symbolic:   # outputs not named in dynamic_axes: shapes as ONNX infers them
        proto = _inferred_outputs(onnx, proto)
    return proto


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("minitorch_nn")
    except PackageNotFoundError:
        return ""


def _inferred_outputs(onnx, proto):
    """`proto` with its output shapes filled in by ONNX shape inference (where it can)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(proto)
    except Exception:   # noqa: BLE001 - inference is a nicety; the model stays valid
        return proto
    shapes = {v.name: v for v in inferred.graph.output}
    for out in proto.graph.output:
        v = shapes.get(out.name)
        if v is not None and not out.type.tensor_type.HasField("shape"):
            out.type.CopyFrom(v.type)
    return proto
