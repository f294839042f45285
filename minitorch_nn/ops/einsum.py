"""einsum and tensordot: sums of products over labelled dims, differentiable.

`einsum` resolves its equation against the operands' shapes once (`_EinsumPlan`: '...'
spelled out, broadcast size-1 dims squeezed away) and runs one `xp.einsum` with a
BLAS-friendly contraction order; the gradient for each operand is another einsum of the
incoming gradient with the other operands. `tensordot` is written as an einsum. Operands
share one dtype and one device, as in PyTorch; errors copy PyTorch's messages.
"""
from __future__ import annotations

from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _wrap, _wrap_dim
from ._util import check_tensor, xp_of
from .linalg import _compute_dtype, _conj, _same_device, _scalar_name
from .registry import op


# ------------------------------------------------------------------ einsum
_SUBSCRIPTS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"   # PyTorch's label order
_ELLIPSIS = "..."


class _EinsumPlan:
    """An einsum equation resolved against its operands' shapes.

    `inputs[i]` are operand i's labels once '...' is spelled out with spare letters and its
    broadcast size-1 dims are squeezed away (`squeeze[i]`, the axes dropped): a dim of size 1
    facing a larger size is constant along that label, so the operand simply lacks it.
    `sizes` maps each label to its broadcast size, `shapes` keeps the original shapes.
    """

    __slots__ = ("inputs", "output", "squeeze", "shapes", "sizes")

    def __init__(self, inputs, output, squeeze, shapes, sizes):
        self.inputs, self.output, self.squeeze = inputs, output, squeeze
        self.shapes, self.sizes = shapes, sizes

    @property
    def equation(self) -> str:
        return ",".join(self.inputs) + "->" + self.output


def _parse_term(text: str, offset: int, who: str, found_ellipsis: bool = False):
    """Labels of one term (with '...' kept as one item), checked as PyTorch checks them.

    `offset` is where `text` starts in the equation (error messages give absolute indices).
    """
    labels, i = [], 0
    while i < len(text):
        c = text[i]
        if c == " ":
            pass
        elif c == ".":
            if found_ellipsis:
                raise RuntimeError(f"einsum(): found '.' for {who} "
                                   + ("but an ellipsis (...) was already found"
                                      if who == "output" else
                                      "for which an ellipsis was already found"))
            if text[i:i + 3] != _ELLIPSIS:
                raise RuntimeError(f"einsum(): found '.' for {who} that is not part of any "
                                   + ("ellipsis (...)" if who == "output" else "ellipsis"))
            labels.append(_ELLIPSIS)
            found_ellipsis = True
            i += 2
        elif c in _SUBSCRIPTS:
            labels.append(c)
        else:
            raise RuntimeError(f"einsum(): invalid subscript given at index {offset + i} in "
                               "the equation string, subscripts must be in [a-zA-Z]")
        i += 1
    return labels


def _parse_equation(equation: str, n_operands: int):
    """([labels of each operand], labels of the output or None when implicit)."""
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    terms, start = [], 0
    for part in lhs.split(","):
        if len(terms) == n_operands:
            raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                               "equation")
        terms.append(_parse_term(part, start, f"operand {len(terms)}"))
        start += len(part) + 1
    if len(terms) < n_operands:
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    output = None if arrow < 0 else _parse_term(equation[arrow + 2:], arrow + 2, "output")
    return terms, output


def _ellipsis_dims(terms, shapes) -> int:
    """How many dims '...' stands for (the most any operand gives it), with dim checks."""
    n_dims = 0
    for i, (labels, shape) in enumerate(zip(terms, shapes)):
        named = len(labels) - (_ELLIPSIS in labels)
        if _ELLIPSIS in labels:
            if named > len(shape):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({named}) is more than the number of dimensions "
                                   f"({len(shape)}) for operand {i}")
            n_dims = max(n_dims, len(shape) - named)
        elif named != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                               f"does not match the number of dimensions ({len(shape)}) for "
                               f"operand {i} and no ellipsis was given")
    return n_dims


def _output_labels(terms, output, ell: str) -> str:
    """The output term with '...' spelled out; implicit: '...' then labels seen once, sorted."""
    seen = [c for labels in terms for c in labels if c != _ELLIPSIS]
    if output is None:
        return ell + "".join(c for c in _SUBSCRIPTS if seen.count(c) == 1)
    out = ""
    for c in output:
        if c == _ELLIPSIS:
            out += ell
        elif c not in seen:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                               "equation for any input operand")
        elif c in out:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the "
                               "output")
        else:
            out += c
    return out


def _label_sizes(inputs, shapes, ell: str) -> dict:
    """Each label's broadcast size, with PyTorch's errors for sizes that do not broadcast."""
    sizes: dict = {}
    for i, (labels, shape) in enumerate(zip(inputs, shapes)):
        mine: dict = {}
        for c, s in zip(labels, shape):
            if c in mine and mine[c] != s:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but "
                                   f"the sizes don't match, {s} != {mine[c]}")
            mine[c] = s
            prev = sizes.get(c, 1)
            if prev != s and prev != 1 and s != 1:
                if c in ell:
                    dim = ell.index(c)
                    raise RuntimeError(f"einsum(): dimension {dim} covered by ellipsis in "
                                       f"operand {i} has size {s} which does not broadcast "
                                       f"with previously seen ellipsis with size {prev} for "
                                       "the respective dimension")
                raise RuntimeError(f"einsum(): subscript {c} has size {s} for operand {i} "
                                   f"which does not broadcast with previously seen size "
                                   f"{prev}")
            sizes[c] = s if prev == 1 else prev
    return sizes


def _plan_einsum(equation: str, operands) -> _EinsumPlan:
    """Parse and check `equation` for `operands` and spell it with plain letters."""
    shapes = [tuple(x._data.shape) for x in operands]
    terms, output = _parse_equation(equation, len(operands))
    n_ell = _ellipsis_dims(terms, shapes)
    spare = [c for c in _SUBSCRIPTS if c not in equation]
    if n_ell > len(spare):
        raise RuntimeError(f"einsum(): '...' covers {n_ell} dims but only {len(spare)} "
                           "unused subscript letters are left to name them")
    ell = "".join(spare[:n_ell])
    inputs = []
    for labels, shape in zip(terms, shapes):
        named = len(labels) - (_ELLIPSIS in labels)
        mine = ell[n_ell - (len(shape) - named):] if n_ell else ""
        inputs.append("".join(mine if c == _ELLIPSIS else c for c in labels))
    out = _output_labels(terms, output, ell)
    sizes = _label_sizes(inputs, shapes, ell)
    squeeze, kept = [], []
    for labels, shape in zip(inputs, shapes):
        drop = tuple(k for k, (c, s) in enumerate(zip(labels, shape)) if s == 1 != sizes[c])
        squeeze.append(drop)
        kept.append("".join(c for k, c in enumerate(labels) if k not in drop))
    return _EinsumPlan(kept, out, squeeze, shapes, sizes)


def _einsum_arrays(equation: str, arrays):
    """xp.einsum with BLAS-friendly contraction order, in the operands' dtype."""
    xp = xp_of(arrays[0])
    dtype = arrays[0].dtype
    wide = _compute_dtype(arrays[0])
    if wide is not None:
        arrays = [a.astype(wide) for a in arrays]
    out = xp.einsum(equation, *arrays, optimize=True)
    out = xp.asarray(out)
    return out if out.dtype == dtype else out.astype(dtype)


def _squeezed(array, axes: tuple):
    return array.squeeze(axis=axes) if axes else array


def _scatter_diagonal(grad, labels: str, unique: str, sizes: dict):
    """Zeros of `labels`' shape with `grad` (indexed by `unique`) on their diagonal.

    For an operand like 'ii', only its diagonal entries enter the result, so its gradient is
    zero off the diagonal: index arrays built per label place grad where labels repeat.
    """
    xp = xp_of(grad)
    out = xp.zeros(tuple(sizes[c] for c in labels), grad.dtype)
    index = []
    for c in labels:
        shape = [1] * len(unique)
        shape[unique.index(c)] = sizes[c]
        index.append(xp.arange(sizes[c]).reshape(shape))
    out[tuple(index)] = grad
    return out


def _einsum_grad(plan: _EinsumPlan, i: int, g, arrays):
    """The gradient for operand i: einsum of g with every other operand.

    The labels of operand i that appear nowhere else were summed inside it alone; its
    gradient is constant along them (broadcast back). Repeated labels put the gradient on
    a diagonal; squeezed size-1 dims come back by reshaping to the original shape.
    """
    xp = xp_of(g)
    labels = plan.inputs[i]
    unique = "".join(dict.fromkeys(labels))
    others = [j for j in range(len(arrays)) if j != i]
    available = set(plan.output).union(*(plan.inputs[j] for j in others))
    keep = "".join(c for c in unique if c in available)
    terms = [plan.output] + [plan.inputs[j] for j in others]
    grad = _einsum_arrays(",".join(terms) + "->" + keep,
                          [g] + [_conj(arrays[j]) for j in others])
    if len(keep) < len(unique):
        missing = tuple(k for k, c in enumerate(unique) if c not in available)
        grad = xp.broadcast_to(xp.expand_dims(grad, missing),
                               tuple(plan.sizes[c] for c in unique))
    if len(unique) < len(labels):
        grad = _scatter_diagonal(grad, labels, unique, plan.sizes)
    return grad.reshape(plan.shapes[i])


def _squeezed_tensor(x: Tensor, axes: tuple) -> Tensor:
    if not axes:
        return x
    return x.reshape(tuple(s for k, s in enumerate(x.shape) if k not in axes))


def _einsum_grad_tensor(plan: _EinsumPlan, i: int, g: Tensor, operands) -> Tensor:
    """`_einsum_grad` with Tensor ops (einsum, expand, a constant identity per repeated
    label), so the gradient is differentiable again."""
    labels = plan.inputs[i]
    unique = "".join(dict.fromkeys(labels))
    others = [j for j in range(len(operands)) if j != i]
    available = set(plan.output).union(*(plan.inputs[j] for j in others))
    keep = "".join(c for c in unique if c in available)
    terms = [plan.output] + [plan.inputs[j] for j in others]
    tensors = [g] + [operands[j].conj() if operands[j].is_complex() else operands[j]
                     for j in others]
    grad = einsum(",".join(terms) + "->" + keep, *tensors)
    if len(keep) < len(unique):
        for k, c in enumerate(unique):
            if c not in available:
                grad = grad.unsqueeze(k)
        grad = grad.expand(*(plan.sizes[c] for c in unique))
    if len(unique) < len(labels):   # repeated labels: the gradient on their diagonal
        xp = xp_of(g._data)
        spare = [c for c in _SUBSCRIPTS if c not in labels]
        renamed, eyes, seen = [], [], set()
        for c in labels:
            if c in seen:
                r = spare.pop(0)
                renamed.append(r)
                eyes.append((c + r, _wrap(xp.eye(plan.sizes[c], dtype=g._data.dtype))))
            else:
                seen.add(c)
                renamed.append(c)
        grad = einsum(",".join([unique] + [e for e, _ in eyes]) + "->" + "".join(renamed),
                      grad, *(t for _, t in eyes))
    return grad.reshape(plan.shapes[i])


class Einsum(ArrayFunction):
    """einsum over any number of operands; `plan` (first argument) holds the equation."""

    complex_grad_direct = True   # backward conjugates the other operands itself

    @staticmethod
    def forward(ctx, plan, *operands):
        arrays = [_squeezed(x._data, ax) for x, ax in zip(operands, plan.squeeze)]
        out = _einsum_arrays(plan.equation, arrays)
        xp = xp_of(out)
        if any(xp.may_share_memory(out, a) for a in arrays):   # numpy may return a view
            out = out.copy()
        ctx.plan = plan
        ctx.save_for_backward(*operands)
        return _wrap(out)

    @staticmethod
    def backward(ctx, g):
        plan = ctx.plan
        operands = ctx.saved_tensors
        arrays = [_squeezed(x._data, ax) for x, ax in zip(operands, plan.squeeze)]
        grads = [None]
        for i in range(len(operands)):
            grads.append(_einsum_grad(plan, i, g, arrays) if ctx.needs_input_grad[i + 1]
                         else None)
        return tuple(grads)

    @staticmethod
    def grad_formula(ctx, g):
        plan = ctx.plan
        operands = ctx.saved_tensors
        squeezed = [_squeezed_tensor(x, ax) for x, ax in zip(operands, plan.squeeze)]
        grads = [None]
        for i in range(len(operands)):
            grads.append(_einsum_grad_tensor(plan, i, g, squeezed)
                         if ctx.needs_input_grad[i + 1] else None)
        return tuple(grads)


# ------------------------------------------------------------------ declarations
@op("einsum")
def einsum(equation: str, *operands) -> Tensor:
    """Sum of products over labelled dims, e.g. 'bij,bjk->bik' (a batched matmul).

    Labels are letters; '...' stands for broadcast leading dims; without '->' the output is
    '...' followed by the labels seen once, in alphabetical order (upper case first).
    Operands may also be given as one list.

        >>> import minitorch_nn as torch
        >>> torch.einsum('ij,jk->ik', torch.ones(2, 3), torch.ones(3, 4)).shape
        torch.Size([2, 4])
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not "
                        f"{type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one "
                         "operand, or at least one operand and its subscripts list")
    for i, x in enumerate(operands):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type(x).__name__}")
    plan = _plan_einsum(equation, operands)
    first = operands[0]
    for x in operands[1:]:
        _same_device(first, x)
        if x._data.dtype != first._data.dtype:
            raise RuntimeError(f"expected scalar type {_scalar_name(first)} but found "
                               f"{_scalar_name(x)}")
    return Einsum.apply(plan, *operands)


@op("tensordot")
def tensordot(a: Tensor, b: Tensor, dims=2, out=None) -> Tensor:
    """Contract dims of `a` with dims of `b`: `dims=n` pairs a's last n with b's first n;
    `dims=([1, 2], [0, 1])` names them. Computed as an einsum (one BLAS contraction)."""
    if out is not None:
        raise NotImplementedError("tensordot(): out= is not supported by minitorch_nn")
    check_tensor(a, "a", "tensordot")
    check_tensor(b, "b", "tensordot", 2)
    dims_a, dims_b = _tensordot_dims(a, b, dims)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    letters = _SUBSCRIPTS
    if a._data.ndim + b._data.ndim > len(letters):
        raise RuntimeError(f"tensordot(): at most {len(letters)} dims in all are supported")
    la = letters[:a._data.ndim]
    lb = list(letters[a._data.ndim:a._data.ndim + b._data.ndim])
    for da, db in zip(dims_a, dims_b):
        lb[db] = la[da]
    free_a = "".join(c for k, c in enumerate(la) if k not in dims_a)
    free_b = "".join(c for k, c in enumerate(lb) if k not in dims_b)
    return einsum(f"{la},{''.join(lb)}->{free_a}{free_b}", a, b)


def _tensordot_dims(a: Tensor, b: Tensor, dims):
    """Normalized (dims of a, dims of b), checked as PyTorch checks them."""
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int) and not isinstance(dims, bool):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(na, nb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got "
                               f"dims={dims}")
        given_a, given_b = list(range(-dims, 0)), list(range(dims))
    elif isinstance(dims, (list, tuple)) and len(dims) == 2:
        given_a, given_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    else:
        raise RuntimeError(f"tensordot expects dims to be int or tuple[list[int], list[int]] "
                           f"or list[list[int]] containing two lists, but got dims={dims}")
    if len(given_a) != len(given_b):
        raise RuntimeError("both dimension lists should have same length")
    dims_a = [_wrap_dim(d, na) for d in given_a]
    dims_b = [_wrap_dim(d, nb) for d in given_b]
    for dims_list in (dims_a, dims_b):
        if len(set(dims_list)) != len(dims_list):
            dup = next(d for d in dims_list if dims_list.count(d) > 1)
            raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    for ga, gb, da, db in zip(given_a, given_b, dims_a, dims_b):
        sa, sb = a._data.shape[da], b._data.shape[db]
        if sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} "
                               f"in dim {ga} and second has size {sb} in dim {gb}")
    return dims_a, dims_b
