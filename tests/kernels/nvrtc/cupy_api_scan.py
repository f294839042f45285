"""Every name our code reaches on the CuPy namespace, found by reading the source (AST).

Why: on the GPU, op code calls `xp.<name>` with `xp` = cupy; the test suite runs it on a
fake CuPy, so a name only numpy (or only the fake) has would pass every CPU test and fail
on the first real GPU. Reading the code finds every such name without a device, and
test_cupy_api_names.py looks each one up in the real package.

What counts as the CuPy namespace (`ROOT` below): the names `xp`, `cupy`, `cupyx`, `cp`;
`<anything>.xp` and `<anything>._cupy` (a backend's namespace); the calls `xp_of(...)` and
`_cupy()` (device.cupy_module under its import alias); `importlib.import_module("cupy...")`;
and `from cupy... import name`. `xp` may be numpy on the CPU: a name must exist in CuPy
because the same line runs with CuPy on the GPU.

A use is recorded with its attribute chain ("cupy.linalg.solve"), where it is, whether it
is called and with which arguments (to check them against the real signature).
`getattr(root, "name")` is a use of "name"; `getattr(root, name, default)` is optional
(code that has a fallback) and not recorded; `getattr(root, <expression>)` is a dynamic
site: its possible names come from `dynamic_names` (string literals passed to the
enclosing function's parameter at its call sites, string class attributes, `ctx.<attr>`
assignments), and a site that cannot be resolved is reported, never silently skipped.
"""
from __future__ import annotations

import ast
import dataclasses
import functools
import pathlib

__all__ = ["Use", "DynamicSite", "Scan", "scan_file", "scan_tree", "ROOT_NAMES"]

# bare names bound to the CuPy namespace (or to numpy-or-cupy), and their module
ROOT_NAMES = {"xp": "cupy", "cupy": "cupy", "cp": "cupy", "cupyx": "cupyx"}
ROOT_ATTRIBUTES = {"xp": "cupy", "_cupy": "cupy"}   # backend.xp, self._cupy, ...
ROOT_CALLS = {"xp_of": "cupy", "_cupy": "cupy"}      # xp_of(a).name, _cupy().name


@dataclasses.dataclass(frozen=True)
class Use:
    """One reach into CuPy: `chain` is dotted from the module ("cupy.linalg.solve")."""

    chain: str
    where: str                 # "path:line"
    module: str = "cupy"       # the module imported ("cupyx.scipy.special"); the rest of
                               # the chain is reached by attribute access
    called: bool = False
    positional: int = 0        # number of positional arguments (when called)
    keywords: tuple = ()       # keyword argument names (when called)
    starred: bool = False      # *args or **kwargs in the call: not checkable


@dataclasses.dataclass(frozen=True)
class DynamicSite:
    """`getattr(<cupy root>, <expression>)`: `names` are what the expression can be
    (None: not resolved)."""

    root: str
    where: str
    expression: str
    names: tuple | None


@dataclasses.dataclass
class Scan:
    uses: list
    dynamic: list

    def chains(self) -> set[str]:
        return {u.chain for u in self.uses}


# ------------------------------------------------------------------ roots and chains
def _root_of(node: ast.AST) -> str | None:
    """The CuPy module a node evaluates to, or None."""
    if isinstance(node, ast.Name):
        return ROOT_NAMES.get(node.id)
    if isinstance(node, ast.Attribute):
        return ROOT_ATTRIBUTES.get(node.attr)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in ROOT_CALLS:
            return ROOT_CALLS[func.id]
        if (isinstance(func, ast.Attribute) and func.attr == "import_module"
                and node.args and _string(node.args[0], "cupy")):
            return node.args[0].value
    return None


def _string(node: ast.AST, prefix: str = "") -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value.startswith(prefix))


def _module_of(node: ast.Attribute) -> str:
    """The module a chain starts from: its root's."""
    while _root_of(node.value) is None:
        node = node.value
    return _root_of(node.value)


def _chain(node: ast.Attribute) -> str | None:
    """"cupy.a.b" for `<root>.a.b`, where the innermost value is a CuPy root; else None.
    A root that is itself an attribute (backend.xp) is not part of the chain."""
    parts = []
    while isinstance(node, ast.Attribute):
        root = _root_of(node.value)
        parts.append(node.attr)
        if root is not None:
            return ".".join([root] + parts[::-1])
        node = node.value
    return None


# ------------------------------------------------------------------ the visitor
class _Visitor(ast.NodeVisitor):
    def __init__(self, where: str, resolver: "_Resolver"):
        self.where, self.resolver = where, resolver
        self.uses: list = []
        self.dynamic: list = []
        self._calls: dict[int, ast.Call] = {}   # id(func node) -> its call
        self._functions: list = []

    def _at(self, node) -> str:
        return f"{self.where}:{node.lineno}"

    def visit_FunctionDef(self, node):
        self._functions.append(node)
        self.generic_visit(node)
        self._functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call):
        self._calls[id(node.func)] = node
        if isinstance(node.func, ast.Name) and node.func.id == "getattr":
            self._getattr(node)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute):
        chain = _chain(node)
        if chain is None:
            self.generic_visit(node)
            return
        self.uses.append(self._use(chain, node, _module_of(node)))
        # the part below the root may hold further uses (xp_of(xp.abs(a)).sum)
        inner = node
        while isinstance(inner, ast.Attribute) and _root_of(inner.value) is None:
            inner = inner.value
        self.visit(inner.value)

    def visit_ImportFrom(self, node: ast.ImportFrom):
        if node.level == 0 and node.module and node.module.split(".")[0] in ("cupy", "cupyx"):
            for alias in node.names:
                self.uses.append(Use(f"{node.module}.{alias.name}", self._at(node),
                                     node.module))

    def _use(self, chain: str, node: ast.AST, module: str) -> Use:
        call = self._calls.get(id(node))
        if call is None:
            return Use(chain, self._at(node), module)
        starred = any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords)
        return Use(chain, self._at(node), module, True, len(call.args),
                   tuple(k.arg for k in call.keywords if k.arg is not None), starred)

    def _getattr(self, node: ast.Call):
        if len(node.args) < 2 or (root := _root_of(node.args[0])) is None:
            return
        if len(node.args) > 2:
            return   # getattr(root, name, default): the code has a fallback
        name = node.args[1]
        if _string(name):
            self.uses.append(self._use(f"{root}.{name.value}", node, root))
            return
        names = self.resolver.names(name, list(self._functions))
        self.dynamic.append(DynamicSite(root, self._at(node), ast.unparse(name), names))
        for n in names or ():
            self.uses.append(self._use(f"{root}.{n}", node, root))


# ------------------------------------------------------------------ dynamic names
class _Resolver:
    """What a non-literal name expression can evaluate to, from the same module's source.
    Its tables are built on first use: most modules have no dynamic site."""

    def __init__(self, tree: ast.Module):
        self.tree = tree

    @functools.cached_property
    def class_strings(self) -> dict[str, set]:
        """Class-level `attr = "literal"` assignments, by attribute name."""
        out: dict[str, set] = {}
        for cls in (n for n in ast.walk(self.tree) if isinstance(n, ast.ClassDef)):
            for stmt in cls.body:
                if isinstance(stmt, ast.Assign) and _string(stmt.value):
                    for target in stmt.targets:
                        if isinstance(target, ast.Name):
                            out.setdefault(target.id, set()).add(stmt.value.value)
        return out

    @functools.cached_property
    def attribute_values(self) -> dict[str, list]:
        """`<obj>.attr = <expr>` anywhere: attr -> [expr]."""
        out: dict[str, list] = {}
        for stmt in ast.walk(self.tree):
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Attribute):
                        out.setdefault(target.attr, []).append(stmt.value)
        return out

    def names(self, expr: ast.AST, functions: list, depth: int = 0) -> tuple | None:
        """The strings `expr` can be inside `functions` (the enclosing ones, outermost
        first), or None when that cannot be told from the source."""
        if depth > 4:
            return None
        if _string(expr):
            return (expr.value,)
        if isinstance(expr, ast.Name):
            return self._name_values(expr.id, functions, depth)
        if isinstance(expr, ast.Attribute):
            if isinstance(expr.value, ast.Name) and expr.value.id in ("cls", "self") \
                    and expr.attr in self.class_strings:
                return tuple(sorted(self.class_strings[expr.attr]))
            if expr.attr in self.attribute_values:
                found: set = set()
                for value in self.attribute_values[expr.attr]:
                    names = self.names(value, _enclosing_functions(self.tree, value), depth + 1)
                    if names is None:
                        return None
                    found.update(names)
                return tuple(sorted(found))
        return None

    def _name_values(self, name: str, functions: list, depth: int) -> tuple | None:
        """A local name: a parameter of the innermost enclosing function that has one (a
        closure's parameter belongs to the outer function), or a local unpacked from a
        module-level dict of string tuples (`a, b = TABLE.get(key, default)`)."""
        for function in reversed(functions):
            local = self._dict_unpacking(function, name)
            if local is not None:
                return local
            args = function.args
            if name in [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]:
                return self._parameter_values(function, name, depth)
        return None

    def _dict_unpacking(self, function, name: str) -> tuple | None:
        for stmt in ast.walk(function):
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
                continue
            target, value = stmt.targets[0], stmt.value
            if isinstance(target, ast.Name) and target.id == name:
                index = None
            elif isinstance(target, ast.Tuple) and any(
                    isinstance(e, ast.Name) and e.id == name for e in target.elts):
                index = next(i for i, e in enumerate(target.elts)
                             if isinstance(e, ast.Name) and e.id == name)
            else:
                continue
            table = self._module_dict(value)
            if table is None:
                return None
            found = set()
            for entry in table.values:
                item = entry.elts[index] if index is not None and isinstance(
                    entry, ast.Tuple) else entry
                if not _string(item):
                    return None
                found.add(item.value)
            return tuple(sorted(found))
        return None

    def _module_dict(self, value) -> ast.Dict | None:
        """The module-level dict literal that `TABLE.get(...)` or `TABLE[...]` reads."""
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and value.func.attr == "get":
            value = value.func.value
        elif isinstance(value, ast.Subscript):
            value = value.value
        if not isinstance(value, ast.Name):
            return None
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Dict) and any(
                    isinstance(t, ast.Name) and t.id == value.id for t in stmt.targets):
                return stmt.value
        return None

    def _parameter_values(self, function, name: str, depth: int) -> tuple | None:
        """String literals passed for parameter `name` of `function` at every call site of
        the module (and its default); None if any call site passes something else."""
        params = [a.arg for a in function.args.posonlyargs + function.args.args]
        kwonly = [a.arg for a in function.args.kwonlyargs]
        if name not in params and name not in kwonly:
            return None
        found: set = set()
        defaults = dict(zip(params[len(params) - len(function.args.defaults):],
                            function.args.defaults))
        defaults.update((a.arg, d) for a, d in zip(function.args.kwonlyargs,
                                                   function.args.kw_defaults) if d is not None)
        if name in defaults:
            if not _string(defaults[name]):
                return None
            found.add(defaults[name].value)
        calls = [c for c in ast.walk(self.tree) if isinstance(c, ast.Call)
                 and _callee(c) == function.name]
        if not calls:
            return None
        index = params.index(name) if name in params else None
        for call in calls:
            value = next((k.value for k in call.keywords if k.arg == name), None)
            if value is None and index is not None and index < len(call.args):
                value = call.args[index]
            if value is None:
                continue   # the default
            names = self.names(value, _enclosing_functions(self.tree, call), depth + 1)
            if names is None:
                return None
            found.update(names)
        return tuple(sorted(found)) if found else None


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _enclosing_functions(tree, node) -> list:
    """The functions whose body holds `node`, outermost first."""
    found = [fn for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
             and fn.lineno <= node.lineno <= (fn.end_lineno or fn.lineno)]
    return sorted(found, key=lambda fn: fn.lineno)


# ------------------------------------------------------------------ entry points
def scan_source(source: str, where: str) -> Scan:
    """The uses and dynamic sites of one module's source (`where` names it in reports)."""
    tree = ast.parse(source)
    visitor = _Visitor(where, _Resolver(tree))
    visitor.visit(tree)
    return Scan(visitor.uses, visitor.dynamic)


def scan_file(path: pathlib.Path, root: pathlib.Path) -> Scan:
    return scan_source(path.read_text(encoding="utf-8"), str(path.relative_to(root)))


def scan_tree(root: pathlib.Path, packages=("minitorch_nn", "kernels")) -> Scan:
    """Every .py file under `root/<package>` for each package."""
    total = Scan([], [])
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found = scan_file(path, root)
            total.uses += found.uses
            total.dynamic += found.dynamic
    return total
