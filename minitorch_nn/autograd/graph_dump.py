"""Look at a recorded graph: `dump` prints it as indented text, `to_dot` as Graphviz DOT.

PyTorch has no such tool (torchviz is a separate package and shows no versions or hooks).
Both read the graph without running or changing it: saved tensors are described from what
`SavedTensor` recorded (shape, dtype, device, the version it was saved at), never unpacked,
so a graph whose saved values were modified in place or freed by backward() still prints.
A node reached along several paths (a shared subgraph) is printed once, with a number, and
referred to afterwards ("-> see #3").

This module reads nodes by their attributes only (it does not import graph.py, which
exposes `dump` and `to_dot` as `minitorch_nn.autograd.graph.dump` / `.to_dot`).
"""
from __future__ import annotations

from ..dtypes import from_numpy_dtype
from ..tensor import _wrap

__all__ = ["dump", "to_dot"]


# ------------------------------------------------------------------ describing one node
def _node_name(node) -> str:
    return type(node).__name__


def _array_desc(data, version) -> str:
    dev = _wrap(data).device
    dtype = from_numpy_dtype(data.dtype)
    return (f"shape={list(data.shape)}, dtype={dtype}, device={dev}, version={version}")


def _saved_desc(saved) -> str:
    """One saved tensor, from the record alone (unpacking could raise or rebuild a node)."""
    if saved is None:
        return "None"
    data = saved.data if getattr(saved, "tensor", None) is None else saved.tensor._data
    text = _array_desc(data, saved.version)
    now = saved.counter.value
    if now != saved.version:
        text += f" (MODIFIED in place: now version {now}; backward would fail)"
    kind = "input" if saved.output_nr is None else f"output {saved.output_nr}"
    return f"{kind}: {text}"


def _fn_name(fn) -> str:
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    return name or repr(fn)


def _hook_lines(node) -> list[str]:
    lines = []
    for nr, hooks in sorted((getattr(node, "_tensor_pre_hooks", None) or {}).items()):
        lines += [f"tensor hook on output {nr}: {_fn_name(f)}" for f in hooks.values()]
    for nr in sorted(getattr(node, "_retained", None) or {}):
        lines.append(f"retain_grad on output {nr}")
    for attr, what in (("_pre_hooks", "pre-hook"), ("_post_hooks", "hook"),
                       ("_post_accumulate_hooks", "post-accumulate-grad hook")):
        hooks = getattr(node, attr, None) or {}
        lines += [f"{what}: {_fn_name(f)}" for f in hooks.values()]
    return lines


def _leaf_line(node) -> str:
    leaf = node.variable
    if leaf is None:
        return "leaf: (freed)"
    grad = "yes" if leaf._grad is not None else "no"
    return (f"leaf: shape={list(leaf._data.shape)}, dtype={leaf.dtype}, device={leaf.device}, "
            f"requires_grad={leaf._requires_grad}, has .grad: {grad}")


def _saved_lines(node) -> list[str]:
    if getattr(node, "_released", False):
        return ["saved: freed (backward ran without retain_graph=True)"]
    return [f"saved {i}: {_saved_desc(s)}" for i, s in enumerate(getattr(node, "_saved", ()))]


def _detail_lines(node) -> list[str]:
    """What is printed under a node: leaf, saved tensors, the node it wraps, hooks."""
    lines = []
    if hasattr(node, "_variable_ref"):
        lines.append(_leaf_line(node))
    lines += _saved_lines(node)
    inner = getattr(node, "_fn", None)
    if inner is not None and hasattr(inner, "next_functions"):
        lines.append(f"wraps: {_node_name(inner)}")
        lines += [f"{_node_name(inner)} {s}" for s in _saved_lines(inner)]
    return lines + _hook_lines(node)


# ------------------------------------------------------------------ walking the graph
def _roots(tensors) -> list:
    """(label, node or None, tensor) for each root: a tensor, a node, or a list of them."""
    if not isinstance(tensors, (list, tuple)):
        tensors = [tensors]
    out = []
    for i, t in enumerate(tensors):
        label = "" if len(tensors) == 1 else f"result {i}: "
        if hasattr(t, "next_functions"):
            out.append((label, t, None))
        else:
            out.append((label, t.grad_fn, t))
    return out


def _root_line(label, tensor) -> str:
    if tensor._requires_grad:
        what = "a leaf that requires grad (no graph recorded above it)"
    else:
        what = "no graph (requires_grad=False)"
    return f"{label}tensor shape={list(tensor._data.shape)}, dtype={tensor.dtype}: {what}"


def dump(tensors, file=None) -> str:
    """The graph that produced `tensors` (a Tensor, a Node, or a list of them) as indented
    text: each node by PyTorch's name, numbered, with its saved tensors, hooks and, for an
    AccumulateGrad, its leaf; a node met again is written as "-> see #n". Printed to `file`
    (e.g. sys.stdout) when given; returned always."""
    lines: list[str] = []
    ids: dict = {}
    for label, node, tensor in _roots(tensors):
        if node is None:
            lines.append(_root_line(label, tensor))
            continue
        _dump_from(node, label, ids, lines)
    text = "\n".join(lines) + "\n"
    if file is not None:
        file.write(text)
    return text


def _dump_from(root, label, ids, lines) -> None:
    """Depth-first, pre-order, with an explicit stack: a graph of any depth prints."""
    stack = [(root, 0, label)]
    while stack:
        node, depth, prefix = stack.pop()
        pad = "  " * depth
        if node is None:
            lines.append(f"{pad}{prefix}None (no gradient needed)")
            continue
        if id(node) in ids:
            lines.append(f"{pad}{prefix}-> see #{ids[id(node)]} {_node_name(node)}")
            continue
        ids[id(node)] = len(ids) + 1
        lines.append(f"{pad}{prefix}#{ids[id(node)]} {_node_name(node)}")
        lines += [f"{pad}    - {s}" for s in _detail_lines(node)]
        children = []
        for i, (child, nr) in enumerate(node.next_functions):
            tag = f"[{i}] " + ("" if nr == 0 else f"(output {nr}) ")
            children.append((child, depth + 1, tag))
        stack.extend(reversed(children))


# ------------------------------------------------------------------ Graphviz
def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _collect(tensors):
    """Every node reachable from the roots (first-seen order) and every edge child -> node."""
    order, seen, edges = [], set(), []
    stack = [node for _, node, _ in _roots(tensors) if node is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        for child, nr in node.next_functions:
            if child is not None:
                edges.append((child, node, nr))
                stack.append(child)
    return order, edges


def to_dot(tensors, path=None, format=None) -> str:
    """The graph as Graphviz DOT text (one box per node, labelled with its name, leaf and
    saved-tensor shapes; edges point the way the forward pass went). With `path` the text is
    written there; with `format` too ("png", "svg", ...) it is also rendered to
    `path + "." + format`, which needs the optional `graphviz` Python package."""
    nodes, edges = _collect(tensors)
    index = {id(n): i for i, n in enumerate(nodes)}
    out = ["digraph autograd {", '  node [shape=box, fontname="monospace"];']
    for i, node in enumerate(nodes):
        label = "\n".join([_node_name(node)] + _detail_lines(node))
        color = ', style=filled, fillcolor="lightblue"' if hasattr(node, "_variable_ref") else ""
        out.append(f"  n{i} [label={_dot_quote(label)}{color}];")
    for child, node, nr in edges:
        tail = f' [label="{nr}"]' if nr else ""
        out.append(f"  n{index[id(child)]} -> n{index[id(node)]}{tail};")
    out.append("}")
    text = "\n".join(out) + "\n"
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        if format is not None:
            _render(text, str(path), format)
    return text


def _render(text: str, path: str, format: str) -> None:
    try:
        import graphviz
    except ImportError:
        raise ModuleNotFoundError(
            f"to_dot(..., format={format!r}) renders through the optional 'graphviz' package, "
            f"which is not installed (pip install graphviz); the DOT text was written to "
            f"{path} (render it with: dot -T{format} {path} -o {path}.{format})") from None
    graphviz.Source(text).render(outfile=f"{path}.{format}", format=format, cleanup=False)
