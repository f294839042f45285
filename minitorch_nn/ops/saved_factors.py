"""Which factors of a product are saved for backward: PyTorch's conditional saving.

The gradient of a product a @ b is g @ b^H for a and a^H @ g for b: a is only needed for
b's gradient and b only for a's. So, as PyTorch's mm, addmm, bmm, mv, dot and linear do,
a factor is saved only when the *other* factor needs a gradient. This matters twice:

- a factor no gradient needs is not kept alive by the graph (the input of a first layer
  when only the weights are trained, or the weights when only the input is);
- an inference tensor (made under `inference_mode`, such as the weight of a Linear built
  there) can take part in a backward that never needs it: saving it would raise
  "Inference tensors cannot be saved for backward" (autograd/function.py `_pack`).

Backward still needs the shape and memory layout of a factor it did not keep (to reshape
a gradient, or to lay it out as its factor is: see `linalg._product_grads`); a
`FactorLayout` holds those few facts in its place, with the names an array gives them
(`shape`, `ndim`, `dtype`, `flags.c_contiguous`, `flags.f_contiguous`), so the backward
helpers read either one the same way.
"""
from __future__ import annotations


class FactorLayout:
    """What backward needs of a factor that was not saved: its shape, ndim, dtype and memory
    order, under an array's attribute names. Holds no reference to the data."""

    __slots__ = ("shape", "ndim", "dtype", "c_contiguous", "f_contiguous")

    def __init__(self, array):
        self.shape = array.shape
        self.ndim = array.ndim
        self.dtype = array.dtype
        flags = array.flags
        self.c_contiguous = flags.c_contiguous
        self.f_contiguous = flags.f_contiguous

    @property
    def flags(self):
        """`flags.c_contiguous` / `flags.f_contiguous`, as on an array."""
        return self


def save_factors(ctx, a, b, ia: int, ib: int) -> None:
    """Save factor `a` (input number `ia` of the op) only if `b` (input `ib`) needs a
    gradient, and `b` only if `a` does; an unsaved factor leaves its `FactorLayout`.

    A forward that records nothing has an empty `needs_input_grad` and saves nothing; when
    both factors need gradients (a hidden layer in training) this is one save, as before.
    """
    needs = ctx.needs_input_grad
    if not needs:
        return
    keep_a, keep_b = needs[ib], needs[ia]
    ctx.save_for_backward(a if keep_a else None, b if keep_b else None)
    if not (keep_a and keep_b):
        ctx.layouts = (None if keep_a else FactorLayout(a._data),
                       None if keep_b else FactorLayout(b._data))


def saved_factors(ctx) -> tuple:
    """The two factors' arrays for an array backward: a saved factor's array, else its
    `FactorLayout` (only the factor whose partner needs no gradient is missing)."""
    a, b = ctx.saved_tensors
    if a is not None and b is not None:
        return a._data, b._data
    la, lb = ctx.layouts
    return (la if a is None else a._data), (lb if b is None else b._data)


def saved_factor_tensors(ctx) -> tuple:
    """The same for a Tensor-level `grad_formula`: each factor as a Tensor, or its layout."""
    a, b = ctx.saved_tensors
    if a is not None and b is not None:
        return a, b
    la, lb = ctx.layouts
    return (la if a is None else a), (lb if b is None else b)

