"""PyTorch's broadcasting error, with the two shapes drawn aligned from the right.

PyTorch says only

    The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1

which leaves the reader to find dimension 1 in each shape. `broadcast_error` raises that
message as PyTorch writes it, so `str(err)` is byte-identical to PyTorch's (code and tests
compare it), and attaches the two shapes as an exception note (`err.__notes__`): aligned as
broadcasting aligns them, from the last dimension, with the offending dimension marked.
A traceback prints the note under the message (`mt.ones(2, 3) + mt.ones(4)`):

    RuntimeError: The size of tensor a (3) must match ... at non-singleton dimension 1
      tensor a: [2, 3]
      tensor b:    [4]
                    ^ dimension 1: 3 vs 4 (sizes must be equal, or one of them 1)

(`traceback.format_exception(err)` gives the same text; Python 3.10 keeps the note in
`__notes__` but does not print it.) Every op that checks broadcasting builds its error
here; each keeps its own walk over the dimensions (PyTorch's ops do not all report the same
dimension when several mismatch).
"""
from __future__ import annotations

from .._exception_notes import add_note

__all__ = ["broadcast_error", "broadcast_message", "shapes_note"]


def _columns(a: tuple, b: tuple) -> tuple[list, list, list[int]]:
    """Both shapes padded on the left with None to one length, and each column's width."""
    n = max(len(a), len(b))
    pa = [None] * (n - len(a)) + [int(s) for s in a]
    pb = [None] * (n - len(b)) + [int(s) for s in b]
    widths = [max(len(str(x)) if x is not None else 0, len(str(y)) if y is not None else 0)
              for x, y in zip(pa, pb)]
    return pa, pb, widths


def _draw(padded: list, widths: list[int]) -> str:
    """One shape as "[2, 3]", its sizes right-aligned in the columns, shifted right by the
    width of the leading dimensions it lacks."""
    missing = sum(w + 2 for s, w in zip(padded, widths) if s is None)
    cells = [str(s).rjust(w) for s, w in zip(padded, widths) if s is not None]
    return " " * missing + "[" + ", ".join(cells) + "]"


def broadcast_message(a, b, dim: int) -> str:
    """PyTorch's message for shapes `a` and `b` that do not broadcast at dimension `dim`
    (counted in the broadcast result, after aligning both shapes on their last dim)."""
    pa, pb, _ = _columns(tuple(a), tuple(b))
    return (f"The size of tensor a ({pa[dim]}) must match the size of tensor b ({pb[dim]}) "
            f"at non-singleton dimension {dim}")


def shapes_note(a, b, dim: int) -> str:
    """The two shapes aligned from the right, dimension `dim` marked (three lines)."""
    pa, pb, widths = _columns(tuple(a), tuple(b))
    caret = 1 + sum(w + 2 for w in widths[:dim]) + widths[dim] - 1
    label = "  tensor a: "
    return "\n".join([
        label + _draw(pa, widths),
        "  tensor b: " + _draw(pb, widths),
        " " * (len(label) + caret) + f"^ dimension {dim}: {pa[dim]} vs {pb[dim]} (sizes must "
        "be equal, or one of them 1)"])


def broadcast_error(a, b, dim: int) -> RuntimeError:
    """PyTorch's RuntimeError for shapes `a` and `b` that do not broadcast at `dim`, with
    `shapes_note` attached as a note; the caller raises it."""
    err = RuntimeError(broadcast_message(a, b, dim))
    add_note(err, shapes_note(a, b, dim))
    return err
