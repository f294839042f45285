"""A small pytree (torch.utils._pytree's core): flatten nested tuples, lists, dicts and named
tuples into leaves and a `TreeSpec`, and build them back. Used by the function transforms
to accept and return structures of Tensors as PyTorch does."""
from __future__ import annotations


__all__ = ["TreeSpec", "LeafSpec", "tree_flatten", "tree_unflatten", "tree_map",
           "broadcast_to_and_flatten", "treespec_pprint"]


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _node_kind(x):
    if _is_namedtuple(x):
        return type(x)
    if isinstance(x, (tuple, list, dict)):
        return type(x) if type(x) in (tuple, list, dict) else (
            tuple if isinstance(x, tuple) else list if isinstance(x, list) else dict)
    return None


class TreeSpec:
    """The shape of a pytree: node type, context (dict keys), children specs."""

    def __init__(self, type_, context, children):
        self.type = type_
        self.context = context
        self.children_specs = list(children)
        self.num_leaves = sum(c.num_leaves for c in self.children_specs)

    def is_leaf(self) -> bool:
        return False

    def __eq__(self, other) -> bool:
        return (isinstance(other, TreeSpec) and not isinstance(other, LeafSpec)
                and self.type is other.type and self.context == other.context
                and self.children_specs == other.children_specs)

    def __hash__(self):
        return hash((self.type, repr(self.context), len(self.children_specs)))

    def __repr__(self, indent: int = 0) -> str:
        name = self.type.__name__
        ctx = None if self.context is None else list(self.context)
        parts = []
        for i, c in enumerate(self.children_specs):
            s = c.__repr__(indent + 2)
            parts.append(s if i == 0 else "\n" + " " * (indent + 2) + s)
        return f"TreeSpec({name}, {ctx}, [{','.join(parts)}])"


class LeafSpec(TreeSpec):
    def __init__(self):
        self.type = None
        self.context = None
        self.children_specs = []
        self.num_leaves = 1

    def is_leaf(self) -> bool:
        return True

    def __eq__(self, other) -> bool:
        return isinstance(other, LeafSpec)

    def __hash__(self):
        return 0

    def __repr__(self, indent: int = 0) -> str:
        return "*"


def _children(x):
    if isinstance(x, dict):
        keys = list(x.keys())
        return [x[k] for k in keys], keys
    if _is_namedtuple(x):
        return list(x), None
    return list(x), None


def tree_flatten(tree) -> tuple[list, TreeSpec]:
    leaves: list = []

    def rec(x):
        kind = _node_kind(x)
        if kind is None:
            leaves.append(x)
            return LeafSpec()
        kids, ctx = _children(x)
        return TreeSpec(kind, ctx, [rec(k) for k in kids])

    spec = rec(tree)
    return leaves, spec


def tree_unflatten(leaves, spec: TreeSpec):
    it = iter(list(leaves))

    def rec(s):
        if s.is_leaf():
            return next(it)
        kids = [rec(c) for c in s.children_specs]
        if s.type is dict or (isinstance(s.type, type) and issubclass(s.type, dict)):
            return dict(zip(s.context, kids))
        if s.type is list:
            return kids
        if s.type is tuple:
            return tuple(kids)
        return s.type(*kids)   # a named tuple

    return rec(spec)


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_to_and_flatten(prefix, spec: TreeSpec):
    """Flat list of `prefix` (a tree prefix of `spec`: a leaf there covers a whole subtree)
    broadcast over spec's leaves, or None if it does not fit."""
    out: list = []

    def rec(p, s) -> bool:
        kind = _node_kind(p)
        if kind is None:
            out.extend([p] * s.num_leaves)
            return True
        if s.is_leaf() or kind is not s.type and not (
                kind in (tuple, list, dict) and s.type is kind):
            return False
        kids, ctx = _children(p)
        if len(kids) != len(s.children_specs):
            return False
        if ctx is not None and list(ctx) != list(s.context):
            return False
        return all(rec(k, c) for k, c in zip(kids, s.children_specs))

    return out if rec(prefix, spec) else None


def treespec_pprint(spec: TreeSpec) -> str:
    """PyTorch's short form: `(*, {'a': *})`."""
    if spec.is_leaf():
        return "*"
    kids = [treespec_pprint(c) for c in spec.children_specs]
    if spec.type is dict:
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(spec.context, kids)) + "}"
    if spec.type is list:
        return "[" + ", ".join(kids) + "]"
    if spec.type is tuple:
        return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"
    return f"{spec.type.__name__}(" + ", ".join(kids) + ")"
