"""gradcheck: compare autograd's gradients with central finite differences.

For each input that requires grad and each output element, the analytical row (one backward
pass with a one-hot `grad_output`) must match (f(x + eps) - f(x - eps)) / (2 eps) within
`atol + rtol * |numerical|`. Use float64 inputs: float32 is too coarse for small eps.
"""
from __future__ import annotations

import numpy as np

from .._user_warning import warn_user
from ..array_backends import backend_of
from ..tensor import Tensor, _wrap
from .api import grad
from .grad_mode import enable_grad, no_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians differ."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind >= 2]


def _numerical(fn, inputs, x, eps):
    """Jacobian columns of every float output by central differences on input `x`."""
    data = x._data   # written element by element, in place (views of x see it too)
    columns = []
    with no_grad():
        for i in np.ndindex(*data.shape):
            orig = data[i].item()
            data[i] = orig + eps
            plus = [o._host_array().astype(np.float64).copy() for o in _outputs(fn, inputs)]
            data[i] = orig - eps
            minus = [o._host_array().astype(np.float64).copy() for o in _outputs(fn, inputs)]
            data[i] = orig
            columns.append(np.concatenate([((p - m) / (2 * eps)).reshape(-1)
                                           for p, m in zip(plus, minus)]))
    if columns:
        return np.stack(columns, axis=1)
    n_out = sum(o.numel() for o in _outputs(fn, inputs))   # x has no elements: no columns
    return np.zeros((n_out, 0))


def _analytical(fn, inputs, diff_inputs):
    outs = _outputs(fn, inputs)
    sizes = [o.numel() for o in outs]
    rows = {id(x): [] for x in diff_inputs}
    for k, o in enumerate(outs):
        for j in range(sizes[k]):
            one_hot = np.zeros(o.numel(), dtype=o._host_array().dtype)
            one_hot[j] = 1
            g = _wrap(backend_of(o._data).from_host(one_hot.reshape(o.shape), o.device))
            if not o.requires_grad:
                for x in diff_inputs:
                    rows[id(x)].append(np.zeros(x.numel()))
                continue
            gs = grad([o], diff_inputs, [g], retain_graph=True, allow_unused=True)
            for x, gx in zip(diff_inputs, gs):
                rows[id(x)].append(np.zeros(x.numel()) if gx is None
                                   else gx._host_array().astype(np.float64).reshape(-1))
    return {id(x): (np.stack(rows[id(x)]) if rows[id(x)] else np.zeros((0, x.numel())))
            for x in diff_inputs}   # (output elements, input elements), empty ones included


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **kwargs) -> bool:
    """True if `func`'s autograd gradients match finite differences at `inputs`.

    Raises GradcheckError (a RuntimeError) naming the first output / differentiable input
    pair that disagrees, with both Jacobians (rows: input elements), unless
    `raise_exception=False`. Use float64 inputs, as PyTorch warns.

        >>> x = tensor([1.0, 2.0], dtype=float64, requires_grad=True)
        >>> gradcheck(lambda a: (a * a).sum(), (x,))
        True
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not diff_inputs:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.name != "float64" \
                and not x.is_complex():
            warn_user(f"Input #{i} requires gradient and is not a double precision floating "
                      "point or complex. This check will likely fail if all the inputs are "
                      "not of double precision floating point or complex. ", UserWarning)
    sizes = [o.numel() for o in _outputs(func, inputs)]
    analytical = _analytical(func, inputs, diff_inputs)
    for i, x in enumerate(diff_inputs):
        num = _numerical(func, inputs, x, eps)
        ana = analytical[id(x)]
        start = 0
        for k, size in enumerate(sizes):
            n_block = num[start:start + size].T
            a_block = ana[start:start + size].T
            start += size
            if n_block.shape != a_block.shape or \
                    not np.allclose(a_block, n_block, atol=atol, rtol=rtol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {k} with respect to input {i},\n"
                        f"numerical:{_as_tensor(n_block, x)}\n"
                        f"analytical:{_as_tensor(a_block, x)}\n")
                return False
    return True


def _as_tensor(block: np.ndarray, like):
    """A Jacobian block printed as a tensor of the input's dtype (as PyTorch shows it)."""
    return _wrap(np.ascontiguousarray(block).astype(like._data.dtype))


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, **kwargs) -> bool:
    """True if the second derivatives of `func` match finite differences of its gradients.

    As PyTorch's: the function checked is `(inputs, grad_outputs) -> autograd.grad(func(inputs),
    inputs, grad_outputs, create_graph=True)`, by `gradcheck`; `grad_outputs` default to random
    float64 tensors (they require grad, so the derivative with respect to them is checked too).
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            _wrap(backend_of(o._data).from_host(
                rng.uniform(-1, 1, tuple(o.shape)).astype(o._host_array().dtype), o.device),
                True)
            for o in outs)
    else:
        grad_outputs = tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list)) \
            else (grad_outputs,)
    n_in = len(inputs)

    def first_derivative(*args):
        with enable_grad():   # gradcheck's finite differences run under no_grad
            return _first_derivative(args)

    def _first_derivative(args):
        ins, gos = args[:n_in], args[n_in:]
        diff = [x for x in ins if isinstance(x, Tensor) and x.requires_grad]
        outputs = [o for o in _outputs(func, ins) if o.requires_grad]
        used = [g for o, g in zip(_outputs(func, ins), gos) if o.requires_grad]
        grads = grad(outputs, diff, used, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
