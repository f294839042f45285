"""Finding declared ops by the names people write, for the command-line tools.

An op is registered under its qualified name ("grid_sample" lives in "nn.functional", so its
key is "nn.functional.grid_sample"), but people type `grid_sample`, `F.grid_sample`,
`torch.nn.functional.grid_sample`, `torch.relu` or a Tensor method such as `add_`.
`find_ops(name)` accepts all of these; `no_such_op(name)` is the friendly message (with
close matches) for a name that is none of them.
"""
from __future__ import annotations

import difflib

from .catalog import public_name, sorted_decls
from .registry import REGISTRY, OpDecl

__all__ = ["find_ops", "no_such_op"]

# Spellings of a namespace prefix -> the registry's namespace.
_NAMESPACES = {"F": "nn.functional", "nn.functional": "nn.functional",
               "torch.nn.functional": "nn.functional", "linalg": "linalg",
               "torch.linalg": "linalg", "fft": "fft", "torch.fft": "fft",
               "special": "special", "torch.special": "special", "torch": "torch",
               "Tensor": "Tensor", "torch.Tensor": "Tensor"}


def _split(name: str) -> tuple[str | None, str]:
    """("nn.functional", "grid_sample") for "F.grid_sample"; (None, name) without a prefix."""
    head, _, base = name.rpartition(".")
    if not head:
        return None, name
    return _NAMESPACES.get(head, head), base


def _named(decl: OpDecl, base: str) -> bool:
    return base == decl.name or base in decl.aliases


def find_ops(name: str) -> list[OpDecl]:
    """The ops `name` refers to, in catalog order (empty if none).

    A qualified name ("F.relu", "torch.linalg.norm", "nn.functional.relu") picks that
    namespace; a plain name ("relu") every namespace that has it (torch.relu and F.relu);
    "Tensor.add_" or a plain method name the op that binds that Tensor method.
    """
    if name in REGISTRY:
        return [REGISTRY[name]]
    namespace, base = _split(name.strip())
    decls = REGISTRY.values()
    if namespace is not None:
        found = [d for d in decls if d.namespace == namespace and _named(d, base)]
        if not found and namespace in ("Tensor", "torch"):
            found = [d for d in decls if base in d.methods]
        return sorted_decls(found)
    found = [d for d in decls if _named(d, base)]
    return sorted_decls(found or [d for d in decls if base in d.methods])


def no_such_op(name: str) -> str:
    """"no op named 'gird_sample'; did you mean F.grid_sample?" (or without suggestions)."""
    _, base = _split(name.strip())
    by_name: dict[str, list[str]] = {}
    for decl in sorted_decls():
        for alias in (decl.name, *decl.aliases):
            by_name.setdefault(alias, []).append(public_name(decl))
    close = difflib.get_close_matches(base, by_name, n=3, cutoff=0.7)
    message = f"no op named {name!r}"
    if close:
        message += "; did you mean " + ", ".join(p for c in close for p in by_name[c]) + "?"
    return message
