"""Not the package (that is `minitorch_nn/` below): this file only serves one mistake.

A clone named `minitorch_nn`, with Python started in the folder that holds it, makes
`import minitorch_nn` find the clone itself first. Without this file Python would import the
clone as an empty namespace package, and the first use would fail with "module 'minitorch_nn'
has no attribute 'ones'". With it, that import loads the real package from `minitorch_nn/`
here (and `kernels/` beside it as `minitorch_nn.kernels`, as an install maps it), as running
Python inside the clone would; if the package is not there, the ImportError says what happened.

Imported under any other name (a clone named `main`, or pytest importing `main.benchmarks`),
it does nothing. `tests/test_clone_in_cwd.py` checks both.
"""
if __name__ == "minitorch_nn":
    import importlib.util as _util
    import os as _os
    import sys as _sys

    _repo = _os.path.dirname(_os.path.abspath(__file__))
    _inner = _os.path.join(_repo, "minitorch_nn", "__init__.py")
    if not _os.path.isfile(_inner):
        raise ImportError(
            f"`import minitorch_nn` found the folder {_repo}, which is not the package: "
            f"Python was started in {_os.path.dirname(_repo)}, and a folder named minitorch_nn "
            f"there is imported first. The package is its minitorch_nn/ subfolder, missing "
            f"here. Start Python in another folder (after `pip install -e <clone>`).",
            name="minitorch_nn", path=__file__)
    # The real package, with the clone's root second on its path so that minitorch_nn.kernels
    # (kernels/ at the root) is found as an install maps it.
    _spec = _util.spec_from_file_location(
        "minitorch_nn", _inner,
        submodule_search_locations=[_os.path.dirname(_inner), _repo])
    _module = _util.module_from_spec(_spec)
    _sys.modules["minitorch_nn"] = _module   # the import statement returns this module
    _spec.loader.exec_module(_module)
