"""`python -m minitorch_nn check`: is this install sound? A few seconds, one line per check.

Each check returns `(status, detail)` with status "PASS" or "SKIP" (something optional is
absent: no GPU, no threadpoolctl) or raises: an exception is a FAIL, reported with its
message. `run()` prints the report and returns the exit code (1 if anything failed), so a
script or CI job can gate on it. Checks: versions of Python and the dependencies (and of
the optional torch/CuPy), Numba's kernel cache directory writable, a handful of ops against
NumPy, a float64 gradcheck, a tiny training step whose loss must go down, the BLAS numpy
uses, and one op on the GPU against the CPU when a GPU is there.
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import traceback
from importlib import metadata

import numpy as np

import minitorch_nn as torch
import minitorch_nn.nn.functional as F

__all__ = ["CHECKS", "run", "CheckFailed", "add_arguments", "command"]

MINIMUM = {"numpy": "1.26", "numba": "0.59", "ml_dtypes": "0.3"}   # pyproject.toml's
OPTIONAL = ("torch", "cupy", "cupy-cuda12x", "cupy-cuda13x", "threadpoolctl", "graphviz")


class CheckFailed(AssertionError):
    """A check's finding (not a crash): reported as FAIL with this message."""


def _version_tuple(text: str) -> tuple:
    out = []
    for part in text.split("."):
        digits = "".join(c for c in part if c.isdigit()) if part[:1].isdigit() else ""
        if not digits:
            break
        out.append(int(digits))
    return tuple(out)


def _dist_version(name: str):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


# ------------------------------------------------------------------ the checks
def check_versions():
    """Python, the required packages at their minimum versions, the optional ones if there."""
    parts = [f"python {platform.python_version()}", f"minitorch_nn {torch.__version__}"]
    for name, least in MINIMUM.items():
        mod = __import__(name)
        have = getattr(mod, "__version__", None) or _dist_version(name) or "?"
        if _version_tuple(have) < _version_tuple(least):
            raise CheckFailed(f"{name} {have} is older than the {least} minitorch_nn needs")
        parts.append(f"{name} {have}")
    for name in OPTIONAL:
        have = _dist_version(name)
        if have is not None:
            parts.append(f"{name} {have}")
    return "PASS", ", ".join(parts)


def _writable_dir(path: str) -> None:
    os.makedirs(path, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path, prefix=".minitorch_check_"):
        pass


def _kernel_cache_path():
    """Where Numba caches this install's kernels: asked of a cached kernel's dispatcher."""
    from minitorch_nn.kernels.cpu import loss
    try:
        return loss.cross_entropy_fwd._cache._cache_path
    except AttributeError:   # a Numba without that attribute: the in-tree default
        return os.path.join(os.path.dirname(loss.__file__), "__pycache__")


def check_numba_cache():
    """The kernel cache must be writable, or every process recompiles its kernels."""
    import numba
    asked = numba.config.CACHE_DIR
    if asked:
        try:
            _writable_dir(asked)
        except OSError as err:
            raise CheckFailed(f"NUMBA_CACHE_DIR={asked} is not writable ({err.strerror}); "
                              "Numba falls back to another directory or recompiles every "
                              "kernel in each process") from None
    path = _kernel_cache_path()
    try:
        _writable_dir(path)
    except OSError as err:
        raise CheckFailed(f"Numba's cache directory {path} is not writable ({err.strerror}): "
                          "set NUMBA_CACHE_DIR to a writable directory") from None
    return "PASS", f"{path} writable (numba {numba.__version__})"


def _close(name, got, want, tol=1e-10) -> None:
    got = np.asarray(got)
    if got.shape != np.shape(want) or not np.allclose(got, want, rtol=tol, atol=tol):
        raise CheckFailed(f"{name}: result differs from NumPy's")


def check_ops():
    """A handful of ops (elementwise, broadcasting, matmul, reductions, softmax, a Numba
    kernel through cross_entropy) against NumPy, in float64."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    target = np.array([0, 2, 1, 2])
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    logits = ta @ tb
    ref = a @ b
    _close("matmul", logits.numpy(), ref)
    _close("add/mul broadcast", (ta * 2 + ta[0]).numpy(), a * 2 + a[0])
    _close("exp/log", (ta.exp() + ta.abs().add(1).log()).numpy(), np.exp(a) + np.log1p(abs(a)))
    _close("sum/mean over a dim", (ta.sum(1) + ta.mean(0).sum()).numpy(),
           a.sum(1) + a.mean(0).sum())
    soft = np.exp(ref - ref.max(1, keepdims=True))
    soft /= soft.sum(1, keepdims=True)
    _close("softmax", torch.softmax(logits, dim=1).numpy(), soft)
    ce = -np.log(soft[np.arange(4), target]).mean()
    _close("cross_entropy", F.cross_entropy(logits, torch.from_numpy(target)).item(), ce)
    return "PASS", "matmul, add/mul, exp/log, sum/mean, softmax, cross_entropy"


def check_gradcheck():
    """Gradients against finite differences, float64, through several op families."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(3, 4, dtype=torch.float64, generator=g, requires_grad=True)
    b = torch.randn(4, 2, dtype=torch.float64, generator=g, requires_grad=True)

    def f(a, b):
        return torch.log_softmax(torch.tanh(a @ b) * a.sum(1, keepdim=True), dim=1).exp()

    if not torch.autograd.gradcheck(f, (a, b), raise_exception=False):
        raise CheckFailed("gradcheck failed: backward disagrees with finite differences")
    return "PASS", "matmul, tanh, sum, log_softmax, exp (float64)"


def check_training():
    """Five SGD steps of a tiny MLP on fixed data: the loss must go down."""
    state = torch.get_rng_state()
    try:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                    torch.nn.Linear(8, 3))
    finally:
        torch.set_rng_state(state)   # leave the caller's random stream as it was
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.standard_normal((16, 4)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 3, 16))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    if not losses[-1] < losses[0]:
        raise CheckFailed(f"loss did not decrease: {losses[0]:.4f} -> {losses[-1]:.4f}")
    return "PASS", f"loss {losses[0]:.4f} -> {losses[-1]:.4f} in 5 SGD steps"


def check_blas():
    """Which BLAS numpy calls for matmul (and its threads, with threadpoolctl)."""
    parts = []
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        parts.append(f"numpy built with {blas.get('name', '?')} {blas.get('version', '')}".strip())
    except Exception:   # older numpy: show_config prints only
        pass
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        parts.append("threadpoolctl not installed (thread counts unknown)")
    else:
        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                parts.append(f"{lib.get('internal_api')} {lib.get('version')}, "
                             f"{lib.get('num_threads')} threads, {lib.get('architecture')}")
    if not parts:
        return "SKIP", "numpy does not say which BLAS it uses"
    return "PASS", "; ".join(parts)


def _no_gpu_reason() -> str:
    try:
        import cupy
    except ImportError:
        return "CuPy not installed (CPU only)"
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:
        return f"CuPy {cupy.__version__} installed, no usable GPU ({type(err).__name__})"
    return f"CuPy {cupy.__version__} sees {n} GPU(s) but torch.cuda.is_available() is False"


def check_gpu():
    """One op on the GPU (CuPy) equals the CPU's result; skipped without a GPU."""
    if not torch.cuda.is_available():
        return "SKIP", _no_gpu_reason()
    rng = np.random.default_rng(2)
    x = torch.from_numpy(rng.standard_normal((8, 5)))
    want = torch.softmax(x @ x.T, dim=1).sum(0)
    got = torch.softmax(x.cuda() @ x.cuda().T, dim=1).sum(0)
    if got.device.type != "cuda":
        raise CheckFailed(f"result on {got.device}, expected cuda")
    _close("softmax(x @ x.T) on cuda", got.cpu().numpy(), want.numpy(), tol=1e-9)
    return "PASS", f"{torch.cuda.get_device_name(0)}: softmax(x @ x.T) equals the CPU"


CHECKS = {"versions": check_versions, "numba-cache": check_numba_cache, "ops": check_ops,
          "gradcheck": check_gradcheck, "training": check_training, "blas": check_blas,
          "gpu": check_gpu}


# ------------------------------------------------------------------ running and reporting
def _run_one(fn, verbose: bool):
    start = time.perf_counter()
    try:
        status, detail = fn()
    except CheckFailed as err:
        status, detail = "FAIL", str(err)
    except Exception as err:   # a crash is a failure too, with what raised
        status, detail = "FAIL", f"{type(err).__name__}: {err}"
        if verbose:
            detail += "\n" + traceback.format_exc()
    return status, detail, time.perf_counter() - start


def run(checks=None, file=None, verbose: bool = False) -> int:
    """Run `checks` (name -> function; default CHECKS), print one line per check to `file`
    (default stdout) and return the exit code: 0 when none failed, 1 otherwise."""
    checks = CHECKS if checks is None else checks
    out = sys.stdout if file is None else file
    width = max(len(n) for n in checks) if checks else 0
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    start = time.perf_counter()
    out.write(f"minitorch_nn {torch.__version__} self-check ({sys.executable})\n")
    for name, fn in checks.items():
        status, detail, took = _run_one(fn, verbose)
        counts[status] = counts.get(status, 0) + 1
        out.write(f"{status}  {name:<{width}}  {detail}  [{took:.2f} s]\n")
        out.flush()
    total = time.perf_counter() - start
    verdict = "FAILED" if counts["FAIL"] else "OK"
    out.write(f"{verdict}: {counts['PASS']} passed, {counts['FAIL']} failed, "
              f"{counts['SKIP']} skipped in {total:.1f} s\n")
    return 1 if counts["FAIL"] else 0


def add_arguments(parser) -> None:
    """The `check` subcommand's options (minitorch_nn/__main__.py builds the parser)."""
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"run only these checks (of: {', '.join(CHECKS)})")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print the traceback of a check that crashed")


def command(args) -> int:
    """Run the checks the parsed `args` name (all by default); the exit code."""
    unknown = [n for n in args.names if n not in CHECKS]
    if unknown:
        sys.stderr.write(f"unknown check(s): {', '.join(unknown)}; "
                         f"known: {', '.join(CHECKS)}\n")
        return 2
    chosen = {n: CHECKS[n] for n in args.names} if args.names else None
    return run(chosen, verbose=args.verbose)
