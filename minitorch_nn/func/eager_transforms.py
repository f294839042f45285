"""`torch.func` gradient transforms built on the tape: grad, grad_and_value, vjp, jvp, jacrev,
jacfwd, hessian.

How they work here (docs/func.md):
  * Each differentiated argument becomes a fresh differentiable tensor of this transform's
    own: a new leaf (`x.detach().requires_grad_()`) if `x` needs no gradient outside, else an
    identity node on top of `x` (`_Alias`), so gradients reach the argument and only through
    it (closed-over tensors built from `x` do not count, as in functorch), and an outer
    transform still sees the path to its own input.
  * `func` runs with grad mode on; the gradients come from `autograd.grad`. They are taken
    with `create_graph=True` only when the result must stay differentiable: grad mode is on
    outside and the output's graph reaches a tensor that requires grad outside this
    transform (an outer transform's input, a model parameter) or a cotangent requires grad.
    Otherwise the fast pass runs and the results are plain tensors, as PyTorch's unwrapped
    results are. So `grad(grad(f))` records the inner backward (higher_order.py) and
    differentiates it again.
  * There is no forward mode: `jvp` is the double-vjp trick (the vjp `u -> J^T u` is linear
    in a dummy cotangent `u`; its vjp against the tangent `v` is `J v`), and `jacfwd` is
    `jacrev`'s computation (one vjp per output element), with jacfwd's signature.
  * Inside vmap (batched_tensor.py) the arguments and outputs are BatchedTensors: each
    transform works on their base tensors (`to_base`: one leading dim per running vmap
    level; an argument not batched at a level is expanded along it, so that every sample
    gets its own gradient), and hands its results back batched (`from_base`). The rules
    compute each sample from its own slice only, so the gradient of the summed outputs with
    respect to the base is the per-sample gradient.
"""
from __future__ import annotations

import functools

from .. import autograd as _ag
from ..autograd import grad_mode
from ..autograd.function import Function, _edge
from ..autograd.graph import AccumulateGrad
from ..ops.joining import stack
from ..tensor import Tensor
from ._pytree import tree_flatten, tree_unflatten, treespec_pprint
from .batched_tensor import active_levels, from_base, is_tensor_like, peel, to_base

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]


class _Alias(Function):
    """Identity with its own node: the differentiable stand-in for an argument that already
    requires grad outside the transform."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return g


# ----------------------------------------------------------------------------- helpers
def _create_differentiable(x, levels=()):
    """(what `func` gets, the plain tensor gradients are taken with respect to)."""
    if not is_tensor_like(x):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    base = to_base(x, levels) if levels else x
    if not isinstance(base, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    base = _Alias.apply(base) if base.requires_grad else base.detach().requires_grad_()
    return (from_base(base, levels) if levels else base), base


def _bases(tensors, levels):
    """The plain tensors under `tensors` (expanded to every level), for autograd."""
    if not levels:
        return list(tensors)
    return [to_base(t, levels) for t in tensors]


def _batched(tensors, levels):
    return [from_base(t, levels) for t in tensors] if levels else list(tensors)


def _own_nodes(flat_diff) -> set:
    """The leaves this transform made (walks stop there); an `_Alias` of an input that
    requires grad outside is not one: reaching it reaches the outside."""
    return {id(_edge(t)[0]) for t in flat_diff if t.grad_fn is None}


def _reaches_outer(tensors, own: set) -> bool:
    """Does the graph of `tensors` reach a tensor requiring grad outside this transform?"""
    stack_ = []
    for t in tensors:
        t = peel(t)[0]
        if isinstance(t, Tensor) and t.requires_grad:
            node = _edge(t)[0]
            if node is not None:
                stack_.append(node)
    seen = set()
    while stack_:
        node = stack_.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if id(node) in own:
            continue
        if isinstance(node, AccumulateGrad):
            return True
        for nxt, _ in node.next_functions:
            if nxt is not None:
                stack_.append(nxt)
    return False


def _detach_tree(tree):
    return tree_unflatten([t.detach() if is_tensor_like(t) else t
                           for t in tree_flatten(tree)[0]], tree_flatten(tree)[1])


def _autograd_grad(outputs, inputs, grad_outputs=None, retain_graph=False,
                   create_graph=True):
    """autograd.grad over the outputs that require grad; zeros for unused inputs."""
    if grad_outputs is None:
        pairs = [(o, None) for o in outputs if o.requires_grad]
    else:
        pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return tuple(x.new_zeros(x.shape) for x in inputs)
    outs = tuple(p[0] for p in pairs)
    gos = None if grad_outputs is None else tuple(p[1] for p in pairs)
    with grad_mode.enable_grad():   # one tape for all levels: an outer level reuses it
        res = _ag.grad(outs, tuple(inputs), gos, retain_graph=retain_graph or create_graph,
                       create_graph=create_graph, allow_unused=True)
    return tuple(x.new_zeros(x.shape) if g is None else g for g, x in zip(res, inputs))


def _validate_argnum(argnum, num_args: int) -> int:
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _check_unique_non_empty(argnums) -> None:
    if isinstance(argnums, tuple):
        if len(argnums) == 0:
            raise RuntimeError("argnums must be non-empty")
        if len(set(argnums)) != len(argnums):
            raise RuntimeError(f"argnums elements must be unique, got {argnums}")


def _wrap_argnums(argnums, num_args: int):
    if isinstance(argnums, int):
        return _validate_argnum(argnums, num_args)
    if isinstance(argnums, tuple):
        return tuple(_validate_argnum(a, num_args) for a in argnums)
    raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")


def _slice_argnums(args, argnums, as_tuple: bool = True):
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    argnums = _wrap_argnums(argnums, len(args))
    _check_unique_non_empty(argnums)
    if isinstance(argnums, int):
        return (args[argnums],) if as_tuple else args[argnums]
    return tuple(args[i] for i in argnums)


def _replace_args(args, new_args, argnums):
    argnums = _wrap_argnums(argnums, len(args))
    if isinstance(argnums, int):
        return tuple(new_args if i == argnums else a for i, a in enumerate(args))
    lookup = dict(zip(argnums, new_args))
    return tuple(lookup.get(i, a) for i, a in enumerate(args))


def _differentiable_args(args, argnums, levels=()):
    """(args with the differentiated ones replaced, the diff tree, the plain tensors
    gradients are taken with respect to, the tree's spec)."""
    diff = _slice_argnums(args, argnums, as_tuple=False)
    flat, spec = tree_flatten(diff)
    pairs = [_create_differentiable(x, levels) for x in flat]
    diff = tree_unflatten([p[0] for p in pairs], spec)
    return _replace_args(args, diff, argnums), diff, [p[1] for p in pairs], spec


# ----------------------------------------------------------------------------- grad
def grad_and_value(func, argnums=0, has_aux: bool = False):
    """`grad_and_value(f)(*args)` -> `(gradient, value)` (with has_aux: `(grad, (value, aux))`)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        outer_grad = grad_mode.is_grad_enabled()
        levels = active_levels()
        with grad_mode.enable_grad():
            args, diff, flat_diff, spec = _differentiable_args(args, argnums, levels)
            output = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(output, tuple) and len(output) == 2):
                    raise RuntimeError(
                        "grad_and_value(f)(*args): output of function f should be a tuple: "
                        "(output, aux) if has_aux is True")
                output, aux = output
            if not is_tensor_like(output):
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(output)}")
            if output.dim() != 0:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                    f"got tensor with {output.dim()} dims. Maybe you wanted to use the vjp or "
                    "jacrev APIs instead?")
            keep = outer_grad and _reaches_outer([output], _own_nodes(flat_diff))
            if levels:
                base_out = to_base(output, levels)
                ones = (base_out.detach().new_ones(base_out.shape),)
                grads = _autograd_grad((base_out,), flat_diff, ones, create_graph=keep)
            else:
                grads = _autograd_grad((output,), flat_diff, create_graph=keep)
        grad_input = tree_unflatten(_batched(grads, levels), spec)
        if not keep:
            output = output.detach()
            grad_input = _detach_tree(grad_input)
        if has_aux:
            if not (outer_grad and _reaches_outer(tree_flatten(aux)[0],
                                                  _own_nodes(flat_diff))):
                aux = _detach_tree(aux)
            return grad_input, (output, aux)
        return grad_input, output

    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """`grad(f)(*args)`: the gradient of scalar `f` with respect to `args[argnums]` (a tensor,
    or a pytree of them; a tuple for tuple argnums). With has_aux: `(grad, aux)`."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        results = gv(*args, **kwargs)
        if has_aux:
            g, (_, aux) = results
            return g, aux
        g, _ = results
        return g

    return wrapper


# ----------------------------------------------------------------------------- vjp
def _check_float_outputs(flat_out, api: str) -> None:
    if not flat_out:
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output "
                           f"(got output = {flat_out})")
    for o in flat_out:
        if not is_tensor_like(o):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")
        if not (o.is_floating_point() or o.is_complex()):
            raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or "
                               f"complex Tensors, got Tensor with dtype {o.dtype}")


def _vjp_with_argnums(func, *primals, argnums=None, has_aux: bool = False):
    outer_grad = grad_mode.is_grad_enabled()
    levels = active_levels()
    with grad_mode.enable_grad():
        if argnums is None:
            flat, pspec = tree_flatten(primals)
            pairs = [_create_differentiable(x, levels) for x in flat]
            flat_diff = [p[1] for p in pairs]
            primals = tree_unflatten([p[0] for p in pairs], pspec)
            spec = pspec
        else:
            primals, _, flat_diff, spec = _differentiable_args(primals, argnums, levels)
        out = func(*primals)
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError("vjp(f, *primals): output of function f should be a tuple: "
                                   "(output, aux) if has_aux is True")
            out, aux = out
        flat_out, out_spec = tree_flatten(out)
        _check_float_outputs(flat_out, "vjp(f, *primals)")
    own = _own_nodes(flat_diff)
    outer = outer_grad and _reaches_outer(flat_out, own)
    results = out if outer else _detach_tree(out)
    if has_aux and not (outer_grad and _reaches_outer(tree_flatten(aux)[0], own)):
        aux = _detach_tree(aux)

    def vjp_fn(cotangents, retain_graph: bool = True, create_graph=None):
        if create_graph is None:
            create_graph = grad_mode.is_grad_enabled()
        flat_cot, cot_spec = tree_flatten(cotangents)
        if cot_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure "
                f"of outputs to the function. cotangents: {treespec_pprint(cot_spec)}, "
                f"primal output: {treespec_pprint(out_spec)}")
        cot_grad = any(is_tensor_like(c) and c.requires_grad for c in flat_cot)
        keep = bool(create_graph) and (outer or cot_grad)
        if levels:
            flat_cot = [to_base(c, levels) if is_tensor_like(c) else c for c in flat_cot]
        res = _autograd_grad(_bases(flat_out, levels), flat_diff, flat_cot,
                             retain_graph=retain_graph, create_graph=keep)
        if not keep:
            res = tuple(r.detach() for r in res)
        return tree_unflatten(_batched(res, levels), spec)

    vjp_fn._reaches_outer = outer
    if has_aux:
        return results, vjp_fn, aux
    return results, vjp_fn


def vjp(func, *primals, has_aux: bool = False):
    """`(func(*primals), vjp_fn)`; `vjp_fn(cotangents)` is the tuple of `J^T cotangents`,
    one entry per primal (the primals' structure)."""
    return _vjp_with_argnums(func, *primals, has_aux=has_aux)


# ----------------------------------------------------------------------------- jvp
def _check_non_empty_tensors(flat, api: str, argname: str) -> None:
    if len(flat) == 0:
        raise RuntimeError(f"{api}: Expected {argname} to contain at least one Tensor.")
    for t in flat:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"{api}: Expected {argname} to only contain Tensors, got "
                               f"{type(t)}")


def _jvp_with_argnums(func, primals, tangents, argnums=None, *, strict: bool = False,
                      has_aux: bool = False):
    jvp_str = "jvp(f, primals, tangents)"
    levels = active_levels()
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{jvp_str}: Expected primals to be a tuple. E.g. it should be "
                           "valid to call f(*primals).")
    diff = primals if argnums is None else _slice_argnums(primals, argnums)
    flat_p, p_spec = tree_flatten(diff)
    flat_t, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(
            f"{jvp_str}: Expected primals and tangents to have the same python structure. "
            "For example, if primals is a tuple of 3 tensors, tangents also must be. Got "
            f"primals with structure {p_spec} and tangents with structure {t_spec}")
    _check_non_empty_tensors(flat_p, jvp_str, "primals")
    _check_non_empty_tensors(flat_t, jvp_str, "tangents")
    if not has_aux:
        out, vjp_fn = _vjp_with_argnums(func, *primals, argnums=argnums)
        aux = None
    else:
        out, vjp_fn, aux = _vjp_with_argnums(func, *primals, argnums=argnums, has_aux=True)
    flat_out, out_spec = tree_flatten(out)
    for o in flat_out:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{jvp_str}: expected f(*args) to return only tensors, got "
                               f"unsupported type {type(o)}")
    # double vjp: g(u) = J^T u is linear in u; its vjp against the tangent v is J v.
    outer_grad = grad_mode.is_grad_enabled()
    with grad_mode.enable_grad():
        # under vmap the dummies, gradients and tangents are the levels' base tensors
        dummies = [b.detach().new_zeros(b.shape).requires_grad_()
                   for b in _bases(flat_out, levels)]
        g = vjp_fn(tree_unflatten(_batched(dummies, levels), out_spec), create_graph=True)
        flat_g = _bases(tree_flatten(g)[0], levels)
        flat_t = _bases(flat_t, levels)
        keep = outer_grad and (vjp_fn._reaches_outer or any(t.requires_grad for t in flat_t))
        pairs = [(gi, t) for gi, t in zip(flat_g, flat_t) if gi.requires_grad]
        if pairs:
            res = _ag.grad(tuple(p[0] for p in pairs), tuple(dummies),
                           tuple(p[1] for p in pairs), create_graph=keep,
                           allow_unused=True)
        else:
            res = (None,) * len(dummies)
    tangents_out = _batched([d.new_zeros(d.shape).detach() if r is None else
                             (r if keep else r.detach()) for r, d in zip(res, dummies)],
                            levels)
    if has_aux:
        return out, tree_unflatten(tangents_out, out_spec), aux
    return out, tree_unflatten(tangents_out, out_spec)


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """`(func(*primals), J tangents)`: the Jacobian-vector product, by double vjp."""
    return _jvp_with_argnums(func, primals, tangents, strict=strict, has_aux=has_aux)


# ----------------------------------------------------------------------------- jacobians
def _jacobian_rows(flat_out, flat_diff, keep: bool, chunk_size=None, nl: int = 0):
    """[[d out_i / d in_j, shape out_i.shape + in_j.shape] for i] for j], one vjp per
    output element (`chunk_size` does not change the result here). Under vmap the tensors
    are bases with `nl` leading batch dims, which every result keeps in front."""
    per_out = []
    for o in flat_out:
        lead, oshape = tuple(o.shape[:nl]), tuple(o.shape[nl:])
        n = 1
        for s in oshape:
            n *= s
        rows: list[list] = [[] for _ in flat_diff]
        if not o.requires_grad:
            per_out.append([x.new_zeros(lead + oshape + tuple(x.shape[nl:]))
                            for x in flat_diff])
            continue
        base = o.detach().new_zeros(lead + (n,))
        for k in range(n):
            e = base.clone()
            e[(Ellipsis, k)] = 1
            gs = _autograd_grad((o,), flat_diff, (e.reshape(o.shape),), retain_graph=True,
                                create_graph=keep)
            for j, g in enumerate(gs):
                rows[j].append(g)
        jac = []
        for j, x in enumerate(flat_diff):
            shape = lead + oshape + tuple(x.shape[nl:])
            if n == 0:
                jac.append(x.new_zeros(shape))
                continue
            m = stack(rows[j], dim=nl) if n > 1 else rows[j][0]
            jac.append(m.reshape(shape))
        per_out.append(jac)
    return per_out


def _jac_impl(func, argnums, has_aux: bool, chunk_size, api: str):
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"{api}: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        outer_grad = grad_mode.is_grad_enabled()
        levels = active_levels()
        with grad_mode.enable_grad():
            args, diff, flat_diff, spec = _differentiable_args(args, argnums, levels)
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("vjp(f, *primals): output of function f should be a "
                                       "tuple: (output, aux) if has_aux is True")
                out, aux = out
            flat_out, out_spec = tree_flatten(out)
            _check_float_outputs(flat_out, "vjp(f, *primals)")
            own = _own_nodes(flat_diff)
            keep = outer_grad and _reaches_outer(flat_out, own)
            per_out = _jacobian_rows(_bases(flat_out, levels), flat_diff, keep, chunk_size,
                                     len(levels))
        if not keep:
            per_out = [[t.detach() for t in js] for js in per_out]
        per_out = [_batched(js, levels) for js in per_out]
        jac = tree_unflatten([tree_unflatten(js, spec) for js in per_out], out_spec)
        if has_aux:
            if not (outer_grad and _reaches_outer(tree_flatten(aux)[0], own)):
                aux = _detach_tree(aux)
            return jac, aux
        return jac

    return wrapper


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None,
           _preallocate_and_copy: bool = False):
    """The Jacobian of `func` with respect to `args[argnums]`, row by row (one vjp per output
    element). Shape: output shape + input shape; pytrees of outputs and of argnums nest as
    PyTorch's: outer level the outputs, inner level the arguments."""
    return _jac_impl(func, argnums, has_aux, chunk_size, "jacrev")


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian of `func`, as `torch.func.jacfwd` returns it. There is no forward mode
    here: it is computed as jacrev computes it (same values, same structure)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    return _jac_impl(func, argnums, has_aux, None, "jacfwd")


def hessian(func, argnums=0):
    """`jacfwd(jacrev(func, argnums), argnums)`: the matrix of second derivatives."""
    return jacfwd(jacrev(func, argnums), argnums)
