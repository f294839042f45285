"""Every CuPy name our code reaches exists in the real CuPy package, as what the code uses.

Why: the suite runs our GPU code on the fake CuPy (tests/fake_cupy), so a name that only
numpy or only the fake has would pass every test and fail on the first real GPU. The
names are read from the source (cupy_api_scan.py: `xp.<name>`, `backend.xp.<name>`,
`cupyx...`, `getattr(xp, <literal or resolved name>)`, ...) and looked up in the installed
CuPy, which imports without a device: each must exist, be callable where it is called, and
accept the call's arguments where its signature can be read (cupy_api_check.py).

The unit tests of the checker inject names and calls that real CuPy lacks (one of them
served by the fake) and show that each fails.
"""
from __future__ import annotations

import types

import cupy_api_check as check
import cupy_api_scan as scan


# ------------------------------------------------------------------ our code
def test_the_scan_finds_the_roads_into_cupy(cupy_scan):
    """The scan sees each kind of road into CuPy (so an empty result cannot pass)."""
    chains = cupy_scan.chains()
    assert {"cupy.where", "cupy.linalg.solve", "cupy.add.at",        # xp = xp_of(a)
            "cupy.cuda.set_allocator",                                # self._cupy
            "cupy.cuda.runtime.getDeviceCount",                       # cupy (device.py)
            "cupy.from_dlpack",                                       # backend._cupy
            "cupy.lib.stride_tricks.as_strided",                      # nested modules
            "cupyx.scipy.special.erf",                                # from ... import
            "cupy.greater_equal",                                     # getattr(xp, name)
            "cupyx.scatter_add",                                      # getattr(cupyx, ...)
            "cupy.RawModule"} <= chains
    assert len(chains) > 100


def test_every_dynamic_getattr_is_resolved(cupy_scan):
    """`getattr(xp, <expression>)` sites: each one's possible names are known, so the next
    test checks them too; a new site the scan cannot resolve fails here."""
    unresolved = [f"{d.where}: getattr({d.root}, {d.expression})" for d in cupy_scan.dynamic
                  if not d.names]
    assert unresolved == []
    assert len(cupy_scan.dynamic) >= 10


def test_every_name_exists_in_real_cupy(real_cupy, cupy_scan):
    assert check.real_problems(cupy_scan.uses, check.real_namespace()) == []


def test_every_name_the_fake_serves_is_real(real_cupy, cupy_scan):
    """What the fake gives our code, real CuPy gives too: same kind, and hand-written fake
    functions accept nothing the real ones refuse."""
    problems = check.fake_problems(cupy_scan.uses, check.fake_namespace(),
                                   check.real_namespace())
    assert problems == []


# ------------------------------------------------------------------ the checker itself
_BOGUS = '''
def f(a):
    xp = xp_of(a)
    y = xp.definitely_not_cupy(a)
    z = xp.zeros(3, dtyp="float32")
    w = getattr(xp, "not_cupy_either")(a)
    return xp.linalg.solve(a, a) + y + z + w + backend_of(a).xp.fake_only_name(a)
'''


def _bogus_uses():
    return scan.scan_source(_BOGUS, "bogus.py").uses


def test_the_checker_fails_names_real_cupy_lacks(real_cupy):
    problems = check.real_problems(_bogus_uses(), check.real_namespace())
    assert any("bogus.py:4: cupy.definitely_not_cupy does not exist" in p for p in problems)
    assert any("bogus.py:6: cupy.not_cupy_either does not exist" in p for p in problems)
    assert any("bogus.py:7: cupy.fake_only_name does not exist" in p for p in problems)
    assert any(p.startswith("bogus.py:5: cupy.zeros(1 positional, dtyp=...) is refused")
               and "dtyp" in p for p in problems), problems
    assert not any("linalg.solve" in p for p in problems)


def test_a_name_only_the_fake_serves_fails(real_cupy):
    """A fake that grew a name real CuPy lacks, and our code using it: both checks fail."""
    modules = dict(check.fake_namespace().modules)
    doctored = types.ModuleType("cupy")
    doctored.__dict__.update(vars(modules["cupy"]))
    doctored.fake_only_name = lambda a: a
    doctored.linalg = modules["cupy.linalg"]
    modules["cupy"] = doctored
    uses = _bogus_uses()
    fake_only = [u for u in uses if u.chain == "cupy.fake_only_name"]
    assert check.fake_problems(fake_only, check.Namespace(modules),
                               check.real_namespace()) == [
        "cupy.fake_only_name: the fake has it, real CuPy does not"]
    assert check.real_problems(fake_only, check.real_namespace()) != []


def test_the_checker_compares_kinds_and_signatures(real_cupy):
    """A fake value where CuPy has a function, and a fake function that takes a keyword
    positionally where CuPy's is keyword-only, are reported."""
    fake = check.Namespace({"cupy": types.SimpleNamespace(
        asarray=0.5,
        asnumpy=lambda a, stream=None, order="C", out=None, blocking=True: a)})
    uses = [scan.Use("cupy.asarray", "x.py:1"), scan.Use("cupy.asnumpy", "x.py:2")]
    problems = check.fake_problems(uses, fake, check.real_namespace())
    assert problems[0] == "cupy.asarray: not callable in the fake, callable in real CuPy"
    assert problems[1].startswith("cupy.asnumpy: the fake takes") and \
        problems[1].endswith("(positional parameter 4 (blocking))")


def test_cython_signatures_are_read_from_docstrings(real_cupy):
    """CuPy's compiled functions and ufuncs have no Python signature; Cython embeds one."""
    cp = real_cupy
    assert str(check.real_signature(cp.cuda.runtime.getDeviceProperties)) == "(device)"
    assert str(check.real_signature(cp.add.at)) == "(a, indices, b=None)"
    sin = check.real_signature(cp.sin)
    assert list(sin.parameters)[:2] == ["x", "out"] and "dtype" in sin.parameters
    call = scan.scan_source("xp.sin(a, where=m)\n", "w.py").uses
    assert "refused by real CuPy's cupy.sin" in check.real_problems(
        call, check.real_namespace())[0]


def test_dynamic_names_follow_parameters_closures_and_tables():
    source = '''
TABLE = {"add": ("scatter_add", "x"), "max": ("scatter_max", "y")}

def _make(xp_name):
    def run(a):
        return getattr(xp_of(a), xp_name)(a)
    return run

eq, lt = _make("equal"), _make(xp_name="less")

def at(name, a):
    routine, chars = TABLE.get(name, (None, ""))
    return getattr(cupyx, routine)(a)

def unknown(a, name):
    return getattr(xp_of(a), name)(a)

unknown(1, compute())
'''
    sites = {d.where: d.names for d in scan.scan_source(source, "d.py").dynamic}
    assert sites == {"d.py:6": ("equal", "less"), "d.py:13": ("scatter_add", "scatter_max"),
                     "d.py:16": None}
