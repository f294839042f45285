"""L-BFGS (`torch.optim.LBFGS`): a quasi-Newton method that keeps the last `history_size`
curvature pairs (s, y) and, per `step(closure)`, runs up to `max_iter` iterations, each a
two-loop-recursion direction and a fixed step `lr` or a strong-Wolfe line search.

All parameters are seen as one flat vector (complex ones as pairs of reals). The vectors
run as arrays of the parameters' backend; the scalars (step lengths, curvature products,
losses) as Python floats, so float64 runs agree with PyTorch to rounding. The state (of the
first parameter, as in PyTorch) keeps PyTorch's keys: func_evals, n_iter, d, t, old_dirs,
old_stps, ro, H_diag, prev_flat_grad, prev_loss and al.
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..array_backends import xp_of
from ..tensor import Tensor, _wrap
from ._lbfgs_search import strong_wolfe
from .optimizer import Optimizer, _as_float, _real_view, _step_impl

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    """L-BFGS over one parameter group; `step(closure)` returns the closure's first loss.

        >>> import minitorch_nn as torch
        >>> w = torch.tensor([3.0, -1.0], requires_grad=True)
        >>> opt = torch.optim.LBFGS([w], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad(); loss = ((w - 1) ** 2).sum(); loss.backward(); return loss
        >>> opt.step(closure).item(), w.detach().round(decimals=4).tolist()
        (8.0, [1.0, 1.0])
    """

    def __init__(self, params: Iterable, lr: float | Tensor = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if not 0.0 <= _as_float(lr, "lr"):
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    # ------------------------------------------------------------------ flat views
    def _numel(self) -> int:
        if self._numel_cache is None:
            self._numel_cache = sum(2 * p.numel() if p.is_complex() else p.numel()
                                    for p in self._params)
        return self._numel_cache

    def _gather_flat_grad(self):
        """All gradients as one flat array (zeros for parameters without one)."""
        xp = xp_of(self._params[0]._data)
        views = []
        for p in self._params:
            if p._grad is None:
                n = p.numel() * (2 if p.is_complex() else 1)
                views.append(xp.zeros(n, p._data.real.dtype))
            else:
                views.append(_real_view(xp.ascontiguousarray(p._grad._data)).reshape(-1))
        return xp.concatenate(views) if len(views) > 1 else views[0].copy()

    def _add_grad(self, step_size: float, update) -> None:
        """p += step_size * (p's slice of `update`), for every parameter."""
        offset = 0
        for p in self._params:
            arr = _real_view(p._data)
            n = arr.size
            arr[...] = arr + step_size * update[offset:offset + n].reshape(arr.shape)
            p._version_counter.value += 1
            offset += n
        if offset != self._numel():
            raise AssertionError(f"Expected offset {offset} to equal {self._numel()}")

    def _clone_param(self) -> list:
        return [p._data.copy() for p in self._params]

    def _set_param(self, params_data) -> None:
        for p, data in zip(self._params, params_data):
            p._data[...] = data
            p._version_counter.value += 1

    def _directional_evaluate(self, closure, x, t, d):
        """(loss, flat gradient) at x + t d; the parameters are put back to x after."""
        self._add_grad(t, d)
        loss = _loss_value(self._eval_closure(closure))
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ the step
    @_step_impl
    def step(self, closure: Callable):
        """Run up to `max_iter` L-BFGS iterations; returns the loss before the first."""
        if len(self.param_groups) != 1:
            raise AssertionError("Expected exactly one param_group, but got "
                                 f"{len(self.param_groups)}")
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = self._eval_closure(closure)
        loss = _loss_value(orig_loss)
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        xp = xp_of(flat_grad)
        if float(xp.abs(flat_grad).max()) <= group["tolerance_grad"]:
            return orig_loss
        run = _Run(self, state, group, xp)
        run.iterate(closure, loss, flat_grad)
        run.save(state)
        return orig_loss


class _Run:
    """The iterations of one `LBFGS.step`: the loaded history, updated in place."""

    def __init__(self, opt: LBFGS, state: dict, group: dict, xp) -> None:
        self.opt, self.group, self.xp = opt, group, xp
        self.state = state
        self.d = _array(state.get("d"))
        self.t = _number(state.get("t"))
        self.old_dirs = [_array(a) for a in state.get("old_dirs") or []]
        self.old_stps = [_array(a) for a in state.get("old_stps") or []]
        self.ro = [_number(r) for r in state.get("ro") or []]
        self.H_diag = _number(state.get("H_diag"))
        self.prev_flat_grad = _array(state.get("prev_flat_grad"))
        self.prev_loss = state.get("prev_loss")

    def _direction(self, flat_grad) -> None:
        """Record the newest curvature pair and set `d` by the two-loop recursion."""
        xp, state = self.xp, self.state
        y = flat_grad - self.prev_flat_grad
        s = self.d * self.t
        ys = float(xp.dot(y, s))
        if ys > 1e-10:
            if len(self.old_dirs) == self.group["history_size"]:
                self.old_dirs.pop(0)
                self.old_stps.pop(0)
                self.ro.pop(0)
            self.old_dirs.append(y)
            self.old_stps.append(s)
            self.ro.append(1.0 / ys)
            self.H_diag = ys / float(xp.dot(y, y))
        num_old = len(self.old_dirs)
        if "al" not in state:
            state["al"] = [None] * self.group["history_size"]
        al = state["al"]
        q = -flat_grad
        for i in range(num_old - 1, -1, -1):
            al[i] = float(xp.dot(self.old_stps[i], q)) * self.ro[i]
            q = q + (-al[i]) * self.old_dirs[i]
        r = q * self.H_diag
        for i in range(num_old):
            be_i = float(xp.dot(self.old_dirs[i], r)) * self.ro[i]
            r = r + (_number(al[i]) - be_i) * self.old_stps[i]
        self.d = r

    def iterate(self, closure, loss: float, flat_grad) -> None:
        """PyTorch's loop: direction, step length, move, and the stopping tests."""
        opt, group, state, xp = self.opt, self.group, self.state, self.xp
        lr = _as_float(group["lr"], "lr")
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        current_evals, n_iter = 1, 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                self.d = -flat_grad
                self.old_dirs, self.old_stps, self.ro, self.H_diag = [], [], [], 1
            else:
                self._direction(flat_grad)
            self.prev_flat_grad = flat_grad.copy()
            self.prev_loss = loss
            if state["n_iter"] == 1:
                self.t = min(1.0, 1.0 / float(xp.abs(flat_grad).sum())) * lr
            else:
                self.t = lr
            gtd = float(xp.dot(flat_grad, self.d))
            if gtd > -tolerance_change:
                break
            ls_func_evals = 0
            if group["line_search_fn"] is not None:
                if group["line_search_fn"] != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = opt._clone_param()

                def obj_func(x, t, d):
                    return opt._directional_evaluate(closure, x, t, d)

                loss, flat_grad, self.t, ls_func_evals = strong_wolfe(
                    obj_func, x_init, self.t, self.d, loss, flat_grad, gtd,
                    max_ls=max_eval - current_evals)
                opt._add_grad(self.t, self.d)
                opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
            else:
                opt._add_grad(self.t, self.d)
                opt_cond = False
                if n_iter != max_iter:
                    loss = _loss_value(opt._eval_closure(closure))
                    flat_grad = opt._gather_flat_grad()
                    opt_cond = float(xp.abs(flat_grad).max()) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if float(xp.abs(self.d * self.t).max()) <= tolerance_change:
                break
            if abs(loss - self.prev_loss) < tolerance_change:
                break

    def save(self, state: dict) -> None:
        """Store the history in the state (vectors as Tensors, scalars as 0-d Tensors)."""
        dtype = self.d.dtype
        state["d"] = _wrap(self.d)
        state["t"] = self.t
        state["old_dirs"] = [_wrap(a) for a in self.old_dirs]
        state["old_stps"] = [_wrap(a) for a in self.old_stps]
        state["ro"] = [self._scalar(r, dtype) for r in self.ro]
        state["H_diag"] = (self.H_diag if isinstance(self.H_diag, int)
                           else self._scalar(self.H_diag, dtype))
        state["prev_flat_grad"] = _wrap(self.prev_flat_grad)
        state["prev_loss"] = self.prev_loss
        if "al" in state:
            state["al"] = [None if a is None else self._scalar(a, dtype) for a in state["al"]]

    def _scalar(self, value, dtype) -> Tensor:
        if isinstance(value, Tensor):
            return value
        return _wrap(self.xp.asarray(value, dtype=dtype))


def _loss_value(loss) -> float:
    """A closure's loss as a Python float (detached first: it usually requires grad)."""
    return float(loss.detach()) if isinstance(loss, Tensor) else float(loss)


def _array(value):
    """A state vector as an array (state holds Tensors), or None."""
    return value._data if isinstance(value, Tensor) else value


def _number(value):
    """A state scalar (0-d Tensor or number) as a Python number; None stays None."""
    if isinstance(value, Tensor):
        return float(value._data)
    return value
