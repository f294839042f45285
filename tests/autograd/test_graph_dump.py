"""autograd.graph.dump / to_dot (minitorch_nn/autograd/graph_dump.py): the recorded graph as
indented text and as Graphviz DOT. Node names and edges are checked against PyTorch's own
graph of the same computation (next_functions), so a wrong walk cannot pass."""
from __future__ import annotations

import io
import re

import pytest

import minitorch_nn as mt
from minitorch_nn.autograd import graph


def _build(T, hook=True):
    """z = sum(exp(x*w) + x*w): the node of x*w is reached twice (a shared subgraph)."""
    x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = T.ones(3, dtype=T.float64, requires_grad=True)
    y = x * w
    if hook:
        y.register_hook(lambda g: g)
    z = (y.exp() + y).sum()
    return x, w, y, z


def _torch_nodes(root):
    """Unique nodes (names) and edges of PyTorch's graph, walked from root."""
    seen, names, edges, stack = set(), [], 0, [root]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        names.append(type(n).__name__)
        for child, _ in n.next_functions:
            if child is not None:
                edges += 1
                stack.append(child)
    return sorted(names), edges


def _node_lines(text):
    return re.findall(r"(?<!see )#(\d+) (\w+)$", text, flags=re.M)


def test_dump_names_every_node_once_as_pytorch_does():
    torch = pytest.importorskip("torch")
    *_, z = _build(mt)
    *_, tz = _build(torch)
    text = graph.dump(z)
    names = sorted(name for _, name in _node_lines(text))
    assert names == _torch_nodes(tz.grad_fn)[0]
    assert [int(i) for i, _ in _node_lines(text)] == list(range(1, len(names) + 1))


def test_shared_node_printed_once_then_referred_to():
    *_, z = _build(mt)
    text = graph.dump(z)
    mul_defs = re.findall(r"(?<!see )#(\d+) MulBackward0$", text, flags=re.M)
    assert len(mul_defs) == 1
    assert f"-> see #{mul_defs[0]} MulBackward0" in text
    assert text.count("MulBackward0") == 2


def test_saved_tensors_shapes_dtypes_versions_and_leaves():
    x, w, _, z = _build(mt)
    text = graph.dump(z)
    mul_block = text.split("MulBackward0\n", 1)[1].split("AccumulateGrad")[0]
    # Mul saves both inputs (float32 x, float64 w); Exp saves its (promoted) output.
    assert "saved 0: input: shape=[3], dtype=torch.float32, device=cpu, version=0" in mul_block
    assert "saved 1: input: shape=[3], dtype=torch.float64, device=cpu, version=0" in mul_block
    assert "saved 0: output 0: shape=[3], dtype=torch.float64" in text
    leaves = re.findall(r"- leaf: shape=\[3\], dtype=([^,]+), .*has \.grad: (\w+)", text)
    assert sorted(leaves) == [("torch.float32", "no"), ("torch.float64", "no")]
    z.backward()
    after = graph.dump(z)
    assert after.count("has .grad: yes") == 2
    assert "saved: freed" in after and "saved 0:" not in after   # read, never unpacked


def test_an_in_place_change_of_a_saved_tensor_is_shown_without_raising():
    a = mt.tensor([0.5, 1.0], requires_grad=True)
    e = a.exp()
    e.add_(1)
    text = graph.dump(e)
    assert "version=0 (MODIFIED in place: now version 1" in text
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        e.sum().backward()


def test_hooks_are_listed_on_their_node():
    x, w, y, z = _build(mt)
    y.retain_grad()

    def my_post_hook(grad_inputs, grad_outputs):
        return None

    z.grad_fn.register_hook(my_post_hook)
    x.register_post_accumulate_grad_hook(lambda t: None)
    text = graph.dump(z)
    assert "tensor hook on output 0: _build.<locals>.<lambda>" in text
    assert "retain_grad on output 0" in text
    assert "hook: test_hooks_are_listed_on_their_node.<locals>.my_post_hook" in text
    assert "post-accumulate-grad hook:" in text
    plain = graph.dump(_build(mt, hook=False)[-1])
    assert "hook" not in plain


def test_dump_writes_to_file_and_handles_leaves_and_lists():
    *_, z = _build(mt)
    buf = io.StringIO()
    text = graph.dump(z, file=buf)
    assert buf.getvalue() == text
    leaf = mt.ones(2, requires_grad=True)
    multi = graph.dump([leaf, mt.ones(1), z])
    assert multi.startswith("result 0: tensor shape=[2]")
    assert "result 1: tensor shape=[1], dtype=torch.float32: no graph" in multi
    assert "result 2: #1 SumBackward0" in multi


def test_deep_graph_dumps_without_recursion():
    x = mt.ones(1, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    text = graph.dump(y)
    assert len(_node_lines(text)) == 3001


def _dot_counts(text):
    nodes = re.findall(r"^\s*(n\d+) \[label=", text, flags=re.M)
    edges = re.findall(r"^\s*(n\d+) -> (n\d+)", text, flags=re.M)
    return nodes, edges


def test_to_dot_has_one_node_per_graph_node_and_every_edge(tmp_path):
    torch = pytest.importorskip("torch")
    *_, z = _build(mt)
    *_, tz = _build(torch)
    text = graph.to_dot(z)
    assert text.startswith("digraph autograd {") and text.rstrip().endswith("}")
    nodes, edges = _dot_counts(text)
    names, n_edges = _torch_nodes(tz.grad_fn)
    assert len(nodes) == len(set(nodes)) == len(names)
    assert len(edges) == n_edges
    assert {a for e in edges for a in e} <= set(nodes)
    assert text.count("{") == text.count("}")
    path = tmp_path / "g.dot"
    assert graph.to_dot(z, path) == text
    assert path.read_text() == text


def test_to_dot_render_needs_graphviz_only_when_asked(tmp_path):
    *_, z = _build(mt)
    path = tmp_path / "g.dot"
    try:
        import graphviz  # noqa: F401
    except ImportError:
        with pytest.raises(ModuleNotFoundError, match="graphviz"):
            graph.to_dot(z, path, format="png")
        assert path.read_text().startswith("digraph")   # the text was still written
    else:
        pytest.skip("graphviz installed: rendering needs the dot binary too")
