"""Batching rules for shape and view ops: the logical dims and sizes mapped to the physical
tensor, whose dim 0 is the batch dim (so logical dim d is physical dim d + 1).

Each returns the logical result, or NotImplemented for a case it does not cover (the
per-sample fallback then runs and gives the per-sample behaviour, errors included).
"""
from __future__ import annotations

from .batched_tensor import BatchedTensor, is_tensor_like
from .rules_pointwise import _norm_dim

__all__ = ["SHAPE_RULES"]


def _sizes(args, kwargs, key):
    """The size tuple given as varargs (`view(2, 3)`), one sequence (`view((2, 3))`) or
    keyword `key`; None when it is something else (a dtype, a tensor)."""
    if key in kwargs and kwargs[key] is not None:
        sizes = kwargs[key]
    elif len(args) == 1 and isinstance(args[0], (tuple, list)):
        sizes = args[0]
    else:
        sizes = args
    sizes = tuple(sizes)
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in sizes):
        return None
    return sizes


def _self_only(call):
    """The batched self and the rest of the arguments, or None when another is batched."""
    x, rest = call.args[0], call.args[1:]
    if not call.batched(x) or any(isinstance(a, BatchedTensor) for a in rest) or \
            any(isinstance(v, BatchedTensor) for v in call.kwargs.values()):
        return None
    return x, rest


def _reshape(call):
    got = _self_only(call)
    kwargs = {k: v for k, v in call.kwargs.items() if v is not None}
    if got is None or set(kwargs) - {"shape", "size"}:
        return NotImplemented
    x, rest = got
    sizes = _sizes(rest, kwargs, "shape" if "shape" in kwargs else "size")
    if sizes is None:
        return NotImplemented
    v = x.value
    try:
        if call.name == "view":
            out = v.view(v.shape[0], *sizes)
        else:
            out = v.reshape(v.shape[0], *sizes)
    except RuntimeError:
        return NotImplemented
    return BatchedTensor(out, call.level)


def _like_other(call):
    """view_as / reshape_as / expand_as: the op with the other tensor's logical shape."""
    x, other = call.args[0], call.args[1] if len(call.args) > 1 else call.kwargs.get("other")
    if not call.batched(x) or not is_tensor_like(other):
        return NotImplemented
    shape = tuple(other.shape)
    v = x.value
    if call.name == "expand_as":
        return _expand_to(call, x, shape)
    out = v.view(v.shape[0], *shape) if call.name == "view_as" else \
        v.reshape(v.shape[0], *shape)
    return BatchedTensor(out, call.level)


def _expand_to(call, x, sizes):
    v = x.value
    if len(sizes) < x.dim():
        return NotImplemented
    for _ in range(len(sizes) - x.dim()):
        v = v.unsqueeze(1)
    return BatchedTensor(v.expand(v.shape[0], *sizes), call.level)


def _expand(call):
    got = _self_only(call)
    if got is None:
        return NotImplemented
    x, rest = got
    sizes = _sizes(rest, {k: v for k, v in call.kwargs.items() if v is not None},
                   "size" if "size" in call.kwargs else "sizes")
    if sizes is None:
        return NotImplemented
    return _expand_to(call, x, sizes)


def _broadcast_to(call):
    bound = call.bind()
    if bound is None or not call.batched(bound.arguments["input"]):
        return NotImplemented
    return _expand_to(call, bound.arguments["input"], tuple(bound.arguments["size"]))


def _repeat(call):
    got = _self_only(call)
    if got is None:
        return NotImplemented
    x, rest = got
    sizes = _sizes(rest, {k: v for k, v in call.kwargs.items() if v is not None}, "repeats")
    if sizes is None or len(sizes) < x.dim():
        return NotImplemented
    v = x.value
    for _ in range(len(sizes) - x.dim()):
        v = v.unsqueeze(1)
    return BatchedTensor(v.repeat(1, *sizes), call.level)


def _flatten(call):
    bound = call.bind()
    if bound is None or not call.batched(bound.arguments["input"]):
        return NotImplemented
    x = bound.arguments["input"]
    n = x.dim()
    if n == 0:
        return BatchedTensor(x.value.reshape(x.value.shape[0], 1), call.level)
    start, end = (_norm_dim(bound.arguments[k], n) for k in ("start_dim", "end_dim"))
    if start is None or end is None:
        return NotImplemented
    return BatchedTensor(x.value.flatten(start, end), call.level)


def _dims_shifted(*names, rank_plus=0):
    """A rule for ops whose int arguments `names` are logical dims of the batched input
    (`rank_plus=1` for unsqueeze, whose dim may be one past the last)."""
    def rule(call):
        bound = call.bind()
        if bound is None:
            return NotImplemented
        first = next(iter(bound.arguments))
        x = bound.arguments[first]
        if not call.batched(x) or any(isinstance(v, BatchedTensor)
                                      for k, v in bound.arguments.items() if k != first):
            return NotImplemented
        n = x.dim() + rank_plus
        if n == 0:
            return NotImplemented
        for name in names:
            d = _norm_dim(bound.arguments[name], n)
            if d is None:
                return NotImplemented
            bound.arguments[name] = d
        bound.arguments[first] = x.value
        return call.wrap(call.op(*bound.args, **bound.kwargs))
    return rule


def _squeeze(call):
    bound = call.bind()
    if bound is None or not call.batched(bound.arguments["input"]):
        return NotImplemented
    x = bound.arguments["input"]
    dim, n, v = bound.arguments["dim"], x.dim(), x.value
    if dim is None:
        dims = [i for i, s in enumerate(x.shape) if s == 1]
    elif isinstance(dim, int) and not isinstance(dim, bool):
        if _norm_dim(dim, n) is None:
            return NotImplemented
        dims = [dim % max(n, 1)] if n else []
    else:
        return NotImplemented
    for d in sorted(dims, reverse=True):
        if x.shape[d] == 1:
            v = v.squeeze(d + 1)
    return BatchedTensor(v if dims else v.view_as(v), call.level)


def _permute(call):
    got = _self_only(call)
    if got is None:
        return NotImplemented
    x, rest = got
    dims = _sizes(rest, call.kwargs, "dims")
    n = x.dim()
    if dims is None or len(dims) != n:
        return NotImplemented
    new = [_norm_dim(d, n) for d in dims]
    if any(d is None for d in new) or (n == 0):
        return NotImplemented
    return BatchedTensor(x.value.permute(0, *new), call.level)


def _transpose_family(call):
    """t(), .T, .mT (the registry's `t` op binds all three)."""
    x = call.args[0]
    if not call.batched(x) or len(call.args) > 1 or call.kwargs:
        return NotImplemented
    n, v = x.dim(), x.value
    if call.name == "t" and n <= 2:
        return BatchedTensor(v.transpose(1, 2) if n == 2 else v.view_as(v), call.level)
    if call.name == "T" and n == 2:
        return BatchedTensor(v.transpose(1, 2), call.level)
    if call.name == "mT" and n >= 2:
        return BatchedTensor(v.transpose(-2, -1), call.level)
    return NotImplemented


def _movedim(call):
    bound = call.bind()
    if bound is None or not call.batched(bound.arguments["input"]):
        return NotImplemented
    x = bound.arguments["input"]
    n = x.dim()

    def shift(d):
        if isinstance(d, (tuple, list)):
            out = [_norm_dim(i, n) for i in d]
            return None if any(i is None for i in out) else tuple(out)
        return _norm_dim(d, n)

    src, dst = shift(bound.arguments["source"]), shift(bound.arguments["destination"])
    if src is None or dst is None or n == 0:
        return NotImplemented
    return BatchedTensor(x.value.movedim(src, dst), call.level)


def _unary_view(call):
    """contiguous / to / type_as / cpu / cuda / type: the op on the physical tensor (other
    tensor arguments give only their dtype and device)."""
    x = call.args[0]
    if not call.batched(x):
        return NotImplemented
    if call.kwargs.get("memory_format") is not None:
        return NotImplemented
    rest = [a.value if isinstance(a, BatchedTensor) and a.level == call.level else a
            for a in call.args[1:]]
    out = call.op(x.value, *rest, **call.kwargs)
    return call.wrap(out) if is_tensor_like(out) else out


def _join(call):
    """cat / concatenate / stack: unbatched tensors expanded along the batch, dim moved."""
    bound = call.bind()
    if bound is None:
        return NotImplemented
    tensors = bound.arguments["tensors"]
    key = "axis" if "axis" in bound.arguments else "dim"
    if not isinstance(tensors, (list, tuple)) or not tensors or \
            not all(is_tensor_like(t) for t in tensors) or \
            any(isinstance(v, BatchedTensor) for k, v in bound.arguments.items()
                if k != "tensors"):
        return NotImplemented
    n = tensors[0].dim()
    if any(t.dim() != n for t in tensors):
        return NotImplemented
    d = _norm_dim(bound.arguments[key], n + 1 if call.qualname == "stack" else n)
    if d is None or (n == 0 and call.qualname != "stack"):
        return NotImplemented
    bound.arguments["tensors"] = [call.expanded(t) for t in tensors]
    bound.arguments[key] = d
    return call.wrap(call.op(*bound.args, **bound.kwargs))


def _basic_index(index):
    """`index` as a tuple of ints, slices, None and Ellipsis, or None if it has others."""
    idx = index if isinstance(index, tuple) else (index,)
    for i in idx:
        if i is None or i is Ellipsis or isinstance(i, slice):
            if isinstance(i, slice) and any(is_tensor_like(s) for s in (i.start, i.stop,
                                                                      i.step)):
                return None
            continue
        if isinstance(i, int) and not isinstance(i, bool):
            continue
        return None
    return idx


def _getitem(call):
    x, index = call.args
    if not call.batched(x):
        return NotImplemented
    idx = _basic_index(index)
    if idx is None:
        return NotImplemented
    return BatchedTensor(call.op(x.value, (slice(None), *idx)), call.level)


def _setitem(call):
    x, index, value = call.args
    idx = _basic_index(index)
    if idx is None or not call.batched(x):
        return NotImplemented
    if call.batched(value):
        target = x[index]          # the logical destination (a batched view)
        v = value.value
        for _ in range(target.dim() - value.dim()):
            v = v.unsqueeze(1)
        value = v
    call.op(x.value, (slice(None), *idx), value)
    return None


_setitem.inplace = True


def _new_factory(call):
    """new_zeros / new_ones / new_full / new_empty: an unbatched tensor of the given size
    (self gives only its dtype and device)."""
    if not call.name.startswith("new_") or not call.batched(call.args[0]):
        return NotImplemented
    if any(isinstance(a, BatchedTensor) for a in (*call.args[1:], *call.kwargs.values())):
        return NotImplemented
    return call.op(call.args[0].value, *call.args[1:], **call.kwargs)


SHAPE_RULES = {
    "reshape": _reshape, "Tensor.view": _reshape, "Tensor.view_as": _like_other,
    "Tensor.reshape_as": _like_other, "Tensor.expand_as": _like_other,
    "Tensor.expand": _expand, "broadcast_to": _broadcast_to, "Tensor.repeat": _repeat,
    "flatten": _flatten, "unflatten": _dims_shifted("dim"),
    "unsqueeze": _dims_shifted("dim", rank_plus=1), "squeeze": _squeeze,
    "permute": _permute, "transpose": _dims_shifted("dim0", "dim1"), "t": _transpose_family,
    "select": _dims_shifted("dim"), "narrow": _dims_shifted("dim"),
    "movedim": _movedim, "diagonal": _dims_shifted("dim1", "dim2"),
    "unbind": _dims_shifted("dim"), "split": _dims_shifted("dim"),
    "chunk": _dims_shifted("dim"), "Tensor.contiguous": _unary_view,
    "Tensor.to": _unary_view, "Tensor.type_as": _unary_view, "Tensor.cpu": _unary_view,
    "Tensor.cuda": _unary_view, "cat": _join, "concatenate": _join, "stack": _join,
    "Tensor.__getitem__": _getitem, "Tensor.__setitem__": _setitem,
    "zeros": _new_factory, "ones": _new_factory, "full": _new_factory, "empty": _new_factory,
}
