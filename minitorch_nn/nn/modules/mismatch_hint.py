"""Which parameter is on the wrong device or dtype: a hint added to PyTorch's error.

When a layer deep inside a model meets an input on another device or of another dtype,
the op raises PyTorch's error, which names two devices or dtypes but not the tensor:

    RuntimeError: mat1 and mat2 must have the same dtype, but got Float and Double

`Module.__call__` (module.py) catches the RuntimeError of `forward` (a try/except: nothing
runs on the normal path) and calls `explain_mismatch`, which adds an exception note (see
minitorch_nn/_exception_notes.py) naming the parameter or buffer whose device or dtype
differs from the module's input, and the fix; a traceback prints it under the message:

    The module's parameter 'layers.2.weight' is torch.float64 but its input is
    torch.float32: convert the model with model.to(torch.float32), or the input with
    x.to(torch.float64).

`str(err)` stays PyTorch's message, byte for byte. The tensor is found once, by the
innermost module that owns one (the layer whose op failed); each enclosing module only
lengthens its path in the note ("weight" -> "2.weight" -> "layers.2.weight"), so the note
names it from the module the user called.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..._exception_notes import add_note, replace_note
from ...tensor import Tensor

__all__ = ["explain_mismatch", "DEVICE_ERROR", "DTYPE_ERRORS"]

DEVICE_ERROR = "Expected all tensors to be on the same device"

# How our ops (as PyTorch's) word a dtype mismatch between an input and a weight.
# ("Input type (float) and weight type (double) should be the same" is PyTorch's on CUDA.)
DTYPE_ERRORS = ("must have the same dtype", "expected scalar type", "mixed dtype",
                "Type promoting not supported", "to have the same dtype",
                "and weight type", "and bias type")


@dataclass
class _Hint:
    """What the innermost module found: the module owning the tensor (`owner`, relative to
    which `name` is written), what differs, and the note as written so far."""

    owner: object
    name: str
    kind: str        # "parameter" or "buffer"
    what: str        # "device" or "dtype"
    tensor_value: object
    input_value: object
    note: str = ""


def _kind_of(message: str) -> str | None:
    """"device", "dtype", or None for an error that is neither mismatch."""
    if message.startswith(DEVICE_ERROR):
        return "device"
    if any(text in message for text in DTYPE_ERRORS):
        return "dtype"
    return None


def _first_tensor(args, kwargs):
    return next((a for a in itertools.chain(args, kwargs.values()) if isinstance(a, Tensor)),
                None)


def _find(module, what: str, x: Tensor):
    """(kind, name, tensor) of the first parameter or buffer of `module` (its submodules
    included) whose device or dtype is not the input's, or None."""
    if what == "device":
        differs = lambda t: t.device != x.device   # noqa: E731
    else:
        if not (x.dtype.is_floating_point or x.dtype.is_complex):
            return None   # an index input (Embedding): weights differ by design
        differs = lambda t: t.dtype != x.dtype and (   # noqa: E731
            t.dtype.is_floating_point or t.dtype.is_complex)
    for kind, named in (("parameter", module.named_parameters()),
                        ("buffer", module.named_buffers())):
        for name, t in named:
            if t is not None and differs(t):
                return kind, name, t
    return None


def _fix(hint: _Hint) -> str:
    have, want = hint.tensor_value, hint.input_value
    if hint.what == "dtype":
        return (f"convert the model with model.to({want}), or the input with "
                f"x.to({have})")
    if want.type == "cpu":
        return (f"move the input with x.{have.type}() (or x.to('{have}')), "
                "or the model with model.cpu()")
    return (f"move the model with model.{want.type}() (or model.to('{want}')), "
            "or the input with x.cpu()")


def _note(hint: _Hint) -> str:
    """"The module's parameter 'fc.weight' is on cuda:0 but its input is on cpu: ..."."""
    on = "on " if hint.what == "device" else ""
    return (f"The module's {hint.kind} '{hint.name}' is {on}{hint.tensor_value} but its "
            f"input is {on}{hint.input_value}: {_fix(hint)}.")


def _path_to(module, owner) -> str | None:
    """The name of `owner` inside `module` ("" for the module itself), or None."""
    for name, m in module.named_modules():
        if m is owner:
            return name
    return None


def explain_mismatch(module, exc: RuntimeError, args, kwargs) -> None:
    """Add to `exc` (raised by `module`'s forward on `args`, `kwargs`) the parameter or
    buffer whose device or dtype differs from the input's, and the fix; or, when an inner
    module already did, write its path from `module`. Does nothing for other errors."""
    hint = getattr(exc, "_mismatch_hint", None)
    if hint is not None:
        if hint.owner is module:
            return
        prefix = _path_to(module, hint.owner)
        if prefix is None:
            return
        hint.owner, hint.name = module, f"{prefix}.{hint.name}" if prefix else hint.name
        old, hint.note = hint.note, _note(hint)
        replace_note(exc, old, hint.note)
        return
    message = exc.args[0] if exc.args else None
    what = _kind_of(message) if isinstance(message, str) else None
    x = _first_tensor(args, kwargs) if what else None
    if x is None:
        return
    found = _find(module, what, x)
    if found is None:
        return
    kind, name, t = found
    value = (lambda v: v.device) if what == "device" else (lambda v: v.dtype)
    hint = _Hint(module, name, kind, what, value(t), value(x))
    hint.note = _note(hint)
    exc._mismatch_hint = hint
    add_note(exc, hint.note)
