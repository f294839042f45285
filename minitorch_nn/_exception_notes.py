"""Exception notes: extra lines under an error's message, its `str()` left as it was.

Our errors carry PyTorch's message byte for byte (code and tests compare it); where we can
say more (the shapes of a broadcasting error, the parameter on the wrong device) we add an
exception note (PEP 678, Python 3.11+), which tracebacks print under the message. Python
3.10 has no `add_note`: the note is kept in `__notes__` but not printed.
"""
from __future__ import annotations

__all__ = ["add_note", "replace_note", "notes_of"]


def add_note(exc: BaseException, note: str) -> None:
    """Attach `note` to `exc` (printed under its message by tracebacks)."""
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:
        exc.__notes__ = [*getattr(exc, "__notes__", ()), note]


def replace_note(exc: BaseException, old: str, new: str) -> None:
    """Replace note `old` of `exc` by `new` (add `new` if `old` is not there)."""
    notes = getattr(exc, "__notes__", None)
    if notes is not None and old in notes:
        notes[notes.index(old)] = new
    else:
        add_note(exc, new)


def notes_of(exc: BaseException) -> str:
    """The notes of `exc`, one per line ("" without any)."""
    return "\n".join(getattr(exc, "__notes__", ()))
