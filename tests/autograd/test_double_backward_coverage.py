"""Every built-in op can be differentiated twice, or is listed here with the reason it cannot.

Each `ArrayFunction` subclass (the built-in ops' Functions) has a `grad_formula`, the
Tensor-level backward that create_graph=True runs (autograd/higher_order.py), unless it is in
NO_DOUBLE_BACKWARD below. The list is also checked the other way (a listed op that gained a
formula must leave it), and docs/autograd.md points here. The per-op numbers are checked by the
test_double_backward_*.py files against PyTorch.
"""
from __future__ import annotations

import minitorch_nn  # noqa: F401  (imports every op family)
from minitorch_nn.autograd.function import ArrayFunction

_PYTORCH_NONE = "PyTorch has no double backward for it either"
_NOT_DIFFERENTIABLE = "not differentiable at all (PyTorch's backward raises too)"
_BASE = "an abstract base class: its subclasses have the formulas"

NO_DOUBLE_BACKWARD = {
    "ops._reduce_util._IndexReduction": _BASE,
    "ops.unique._UniqueBase": _BASE,
    "ops.binning._NoDerivative": _BASE,
    "ops.grid_sample._GridSampler": _BASE,
    "ops.grid_sample.GridSampler2D": _PYTORCH_NONE,
    "ops.grid_sample.GridSampler3D": _PYTORCH_NONE,
    "ops.ctc_loss.CtcLoss": _PYTORCH_NONE,
    "ops.distance.Pdist": _PYTORCH_NONE,
    "ops.cdist.Cdist": "PyTorch's _cdist_backward has no derivative either (the matrix-product "
                       "mode is written in differentiable ops, in both libraries)",
    "ops.embedding_bag.EmbeddingBag": _PYTORCH_NONE,
    "ops.margin_losses.MultiMarginLoss": _PYTORCH_NONE,
    "ops.margin_losses.MultilabelMarginLoss": _PYTORCH_NONE,
    "ops.squashing.Hardsigmoid": _PYTORCH_NONE,
    "ops.local_response_norm.CrossMapLRN2d": "PyTorch's backward uses out= ops and refuses "
                                             "create_graph=True; so does this one",
    "ops.trigonometric.AcoshInplace": "PyTorch raises NotImplementedError for the in-place "
                                      "form under autograd; so does this one",
    "ops.trigonometric.AsinhInplace": "as AcoshInplace",
    "ops.trigonometric.AtanhInplace": "as AcoshInplace",
    "ops.arith.FloorDivide": _NOT_DIFFERENTIABLE,
    "ops.arith.RemainderScalarSelf": _NOT_DIFFERENTIABLE,
    "ops.pointwise_math.Heaviside": _NOT_DIFFERENTIABLE,
    "ops.binning.Bincount": _NOT_DIFFERENTIABLE,
    "ops.binning.Histogram": _NOT_DIFFERENTIABLE,
    "ops.histogramdd.Histogramdd": _NOT_DIFFERENTIABLE,
    "ops.unique.Unique2": _NOT_DIFFERENTIABLE,
    "ops.unique.UniqueConsecutive": _NOT_DIFFERENTIABLE,
    "ops.unique.UniqueDim": _NOT_DIFFERENTIABLE,
}


def _all_functions() -> set:
    seen: set = set()
    stack = [ArrayFunction]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return seen


def _name(cls) -> str:
    return f"{cls.__module__.removeprefix('minitorch_nn.')}.{cls.__name__}"


def test_every_builtin_op_has_a_formula_or_a_reason():
    missing = sorted(_name(c) for c in _all_functions()
                     if getattr(c, "grad_formula", None) is None)
    assert [m for m in missing if m not in NO_DOUBLE_BACKWARD] == []


def test_the_list_holds_only_ops_without_a_formula():
    by_name = {_name(c): c for c in _all_functions()}
    assert sorted(n for n in NO_DOUBLE_BACKWARD if n not in by_name) == []   # no stale names
    assert sorted(n for n in NO_DOUBLE_BACKWARD
                  if getattr(by_name[n], "grad_formula", None) is not None) == []


def test_docs_state_the_current_coverage():
    import pathlib
    import re
    text = (pathlib.Path(__file__).parents[2] / "docs" / "autograd.md").read_text()
    with_formula, total = map(int, re.search(r"Coverage: (\d+) of the (\d+) built-in",
                                             text).groups())
    # the package's Functions, without the double-backward nodes that autograd/higher_order.py
    # makes on first use (subclasses of its _LinearBackward)
    from minitorch_nn.autograd.higher_order import _LinearBackward
    functions = [c for c in _all_functions() if c.__module__.startswith("minitorch_nn.")
                 and (c is _LinearBackward or not issubclass(c, _LinearBackward))]
    assert total == len(functions)
    assert with_formula == sum(getattr(c, "grad_formula", None) is not None
                               for c in functions)
