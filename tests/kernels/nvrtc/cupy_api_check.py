"""Look the CuPy names our code uses (cupy_api_scan.py) up in a CuPy namespace: the real
package, or the fake of tests/fake_cupy.

Why both: the suite runs our GPU code on the fake, so the fake decides what "works"; these
checks keep it honest against the real package, which imports without a device.
- `real_problems`: each used name must exist in real CuPy, be callable where our code calls
  it, and accept the call's arguments (number of positionals, keyword names) where its
  signature can be read: a Python function's, or the one Cython embeds in the docstring
  (cupy.cuda.runtime, ufuncs, ufunc.at).
- `fake_problems`: each used name the fake provides must exist in real CuPy with the same
  kind (callable or not), and a function the fake writes by hand (not a numpy forwarder)
  must accept no argument that the real one refuses (positional names and order, keyword
  names, *args/**kwargs), where the real one's signature can be read (Python-level or
  embedded by Cython); others are skipped.
"""
from __future__ import annotations

import importlib
import inspect
import re

__all__ = ["Namespace", "real_namespace", "fake_namespace", "real_problems", "fake_problems",
           "MISSING", "python_signature", "embedded_signature", "real_signature",
           "signature_problem", "class_surface_problems"]

MISSING = object()
_P = inspect.Parameter


class Namespace:
    """Resolves a chain ("cupy.linalg.solve") from its module by attribute access only,
    as our code does (`xp.linalg.solve`): a submodule that CuPy does not expose as an
    attribute is missing. `modules` maps the module names our code imports to objects."""

    def __init__(self, modules):
        self.modules = modules   # name -> module, or a callable name -> module

    def module(self, name: str):
        if callable(self.modules):
            return self.modules(name)
        return self.modules.get(name, MISSING)

    def resolve(self, chain: str, module: str = "cupy"):
        obj = self.module(module)
        rest = chain[len(module):].lstrip(".")
        for part in rest.split(".") if rest else ():
            if obj is MISSING:
                break
            obj = getattr(obj, part, MISSING)
        return obj


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return MISSING


def real_namespace() -> Namespace:
    """The installed CuPy (`import cupy` needs no GPU)."""
    return Namespace(_import)


def fake_namespace() -> Namespace:
    """The fake, under the module names `--fake-gpu` installs it as (without installing)."""
    from fake_cupy import install
    return Namespace(install._modules())


def _kind(obj) -> str:
    return "callable" if callable(obj) else "not callable"


def python_signature(obj):
    """inspect.Signature of a Python-level function (a Cython one or a class: None)."""
    if not inspect.isfunction(obj):
        return None
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


_EMBEDDED = re.compile(r"^[\w.]+\((?P<params>.*)\)(\s*->.*)?$")


def _split_top_level(text: str) -> list[str]:
    """Split at the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def embedded_signature(obj):
    """The signature Cython writes as the first docstring line of CuPy's compiled
    functions and ufuncs ("getDeviceProperties(int device)", "sin(x, /, out=None, \\*,
    casting='same_kind', dtype=None)"), C types dropped, defaults as None; None when there
    is no such line or it does not parse. `self` of a bound method is dropped."""
    lines = (getattr(obj, "__doc__", None) or "").strip().splitlines()
    match = _EMBEDDED.match(lines[0].strip().replace("\\*", "*")) if lines else None
    if match is None:
        return None
    params, kind = [], _P.POSITIONAL_OR_KEYWORD
    for part in _split_top_level(match.group("params")):
        if part == "/":
            params = [q.replace(kind=_P.POSITIONAL_ONLY) for q in params]
            continue
        if part == "*":
            kind = _P.KEYWORD_ONLY
            continue
        name, _, default = part.partition("=")
        name = name.split()[-1] if name.split() else ""
        this = kind
        if name.startswith("**"):
            name, this = name[2:], _P.VAR_KEYWORD
        elif name.startswith("*"):
            name, this, kind = name[1:], _P.VAR_POSITIONAL, _P.KEYWORD_ONLY
        if not name.isidentifier():
            return None
        params.append(_P(name, this, default=None if default else _P.empty))
    bound = getattr(obj, "__self__", None)
    if params and params[0].name == "self" and bound is not None \
            and not inspect.ismodule(bound):
        params = params[1:]
    try:
        return inspect.Signature(params)
    except ValueError:
        return None


def real_signature(obj):
    """A real CuPy callable's signature: Python-level, or embedded by Cython; classes and
    what has neither: None."""
    if isinstance(obj, type):
        return None
    return python_signature(obj) or embedded_signature(obj)


def _call_problem(use, obj) -> str | None:
    """Why the real function would refuse this call's arguments, if it can be told."""
    sig = real_signature(obj)
    if sig is None or use.starred:
        return None
    try:
        sig.bind(*range(use.positional), **{k: None for k in use.keywords})
    except TypeError as err:
        keywords = "".join(f", {k}=..." for k in use.keywords)
        return (f"{use.where}: {use.chain}({use.positional} positional{keywords}) is refused "
                f"by real CuPy's {use.chain}{sig}: {err}")
    return None


def real_problems(uses, real: Namespace) -> list[str]:
    """One line per use that real CuPy cannot serve."""
    problems = []
    for use in uses:
        obj = real.resolve(use.chain, use.module)
        if obj is MISSING:
            problems.append(f"{use.where}: {use.chain} does not exist in real CuPy")
        elif use.called and not callable(obj):
            problems.append(f"{use.where}: {use.chain} is called but is not callable in "
                            "real CuPy")
        elif use.called and (problem := _call_problem(use, obj)) is not None:
            problems.append(problem)
    return problems


def _is_forwarder(sig) -> bool:
    """The fake's numpy forwarders take ([self,] *args, **kwargs): nothing to compare."""
    kinds = [p.kind for p in sig.parameters.values() if p.name != "self"]
    return kinds == [inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD]


def _refused_parameter(fake_sig, real_sig) -> str | None:
    """The first way of passing an argument that the fake accepts and real CuPy refuses:
    a positional parameter under another name or position, a keyword real CuPy lacks, or
    *args / **kwargs it does not take. (The fake may accept less: then our code fails on
    the fake, which the --fake-gpu pass shows.)"""
    real = list(real_sig.parameters.values())
    real_positional = [p.name for p in real if p.kind in (_P.POSITIONAL_ONLY,
                                                          _P.POSITIONAL_OR_KEYWORD)]
    real_keywords = {p.name for p in real if p.kind in (_P.POSITIONAL_OR_KEYWORD,
                                                        _P.KEYWORD_ONLY)}
    real_kinds = {p.kind for p in real}
    fake_positional = [p for p in fake_sig.parameters.values()
                       if p.kind in (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD)]
    for i, p in enumerate(fake_positional):
        if i < len(real_positional) and real_positional[i] == p.name:
            continue
        if i >= len(real_positional) and _P.VAR_POSITIONAL in real_kinds \
                and p.kind is _P.POSITIONAL_ONLY:
            continue
        return f"positional parameter {i} ({p.name})"
    for p in fake_sig.parameters.values():
        if p.kind is _P.KEYWORD_ONLY and p.name not in real_keywords \
                and _P.VAR_KEYWORD not in real_kinds:
            return f"keyword {p.name}"
        if p.kind in (_P.VAR_POSITIONAL, _P.VAR_KEYWORD) and p.kind not in real_kinds:
            return f"{'*' if p.kind is _P.VAR_POSITIONAL else '**'}{p.name}"
    return None


def signature_problem(name: str, fake_obj, real_obj) -> str | None:
    """A hand-written fake function that accepts arguments real CuPy's refuses."""
    fake_sig, real_sig = python_signature(fake_obj), real_signature(real_obj)
    if fake_sig is None or real_sig is None or _is_forwarder(fake_sig):
        return None
    refused = _refused_parameter(fake_sig, real_sig)
    if refused is not None:
        return f"{name}: the fake takes {fake_sig}, real CuPy {real_sig} ({refused})"
    return None


def fake_problems(uses, fake: Namespace, real: Namespace) -> list[str]:
    """One line per used chain where the fake offers what real CuPy does not."""
    problems = []
    for use in {(u.chain, u.module): u for u in uses}.values():
        fake_obj = fake.resolve(use.chain, use.module)
        if fake_obj is MISSING:
            continue   # our code would fail on the fake too: the --fake-gpu pass says so
        real_obj = real.resolve(use.chain, use.module)
        if real_obj is MISSING:
            problems.append(f"{use.chain}: the fake has it, real CuPy does not")
        elif _kind(fake_obj) != _kind(real_obj):
            problems.append(f"{use.chain}: {_kind(fake_obj)} in the fake, "
                            f"{_kind(real_obj)} in real CuPy")
        elif (problem := signature_problem(use.chain, fake_obj, real_obj)) is not None:
            problems.append(problem)
    return problems


def class_surface_problems(name: str, fake_cls, real_cls, fake_only=()) -> list[str]:
    """Public attributes of a fake class (or module) that the real one lacks, or has as
    another kind, or (Python-level on both sides) with other parameters. `fake_only`:
    names that are the fake's own machinery, not CuPy API."""
    problems = []
    for attr in sorted(a for a in dir(fake_cls) if not a.startswith("_")):
        if attr in fake_only:
            continue
        fake_obj, real_obj = getattr(fake_cls, attr), getattr(real_cls, attr, MISSING)
        if real_obj is MISSING:
            problems.append(f"{name}.{attr}: the fake has it, real CuPy does not")
        elif _kind(fake_obj) != _kind(real_obj) and not isinstance(
                inspect.getattr_static(fake_cls, attr), property):
            problems.append(f"{name}.{attr}: {_kind(fake_obj)} in the fake, "
                            f"{_kind(real_obj)} in real CuPy")
        elif (problem := signature_problem(f"{name}.{attr}", fake_obj, real_obj)) is not None:
            problems.append(problem)
    return problems
