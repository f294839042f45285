"""Adam/AdamW's multi-tensor step (minitorch_nn/optim/_adam_multi_tensor.py): one kernel call
per group and dtype, the same bits as the per-tensor path (`foreach=False`), the numbers of
PyTorch's Adam/AdamW (`foreach=False` and `fused=True`), and the tensors it leaves to the
per-tensor path (float16, strided views, complex).
"""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.optim import _adam_multi_tensor as multi

SHAPES = [(6, 5), (7,), (), (0,), (3, 4, 2), (40,)]
STEPS = 5


@contextlib.contextmanager
def spy_multi_kernel(monkeypatch):
    """Record the arrays' dtype of every multi-tensor kernel call (kernel_for spied)."""
    calls = []
    real = multi.kernel_for

    def spy(array, family, name):
        fn = real(array, family, name)
        if name != "adam_multi_update" or fn is None:
            return fn
        return lambda addresses, chunks, scalars, *rest: (calls.append(scalars.dtype),
                                                         fn(addresses, chunks, scalars, *rest))
    with monkeypatch.context() as m:
        m.setattr(multi, "kernel_for", spy)
        yield calls


def _params(dtypes, seed=0, device="cpu"):
    rng = np.random.default_rng(seed)
    return [mt.tensor(rng.standard_normal(s), dtype=getattr(mt, d), device=device,
                      requires_grad=True) for s, d in zip(SHAPES, dtypes)]


def _grads(dtypes, steps=STEPS, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(d) for s, d in zip(SHAPES, dtypes)]
            for _ in range(steps)]


def _train(params, opt, grads, skip=()):
    """Steps with the given gradients; parameter i gets none at the steps in skip[i]."""
    for t, step_grads in enumerate(grads):
        for i, (p, g) in enumerate(zip(params, step_grads)):
            p.grad = None if t in dict(skip).get(i, ()) else mt.tensor(g, device=p.device)
        opt.step()


def _assert_same_state(opt_a, opt_b, params_a, params_b):
    for pa, pb in zip(params_a, params_b):
        np.testing.assert_array_equal(pa.detach().cpu().numpy(), pb.detach().cpu().numpy())
        sa, sb = opt_a.state[pa], opt_b.state[pb]
        assert sorted(sa) == sorted(sb)
        for key in sa:
            np.testing.assert_array_equal(sa[key].cpu().numpy(), sb[key].cpu().numpy(),
                                          err_msg=key)


CONFIGS = [
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.05}),                      # L2 penalty
    ("Adam", {"lr": 0.01, "maximize": True, "amsgrad": True, "betas": (0.8, 0.9)}),
    ("Adam", {"lr": 0.03, "decoupled_weight_decay": True, "weight_decay": 0.2}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in
                                                     enumerate(CONFIGS)])
def test_one_call_per_step_bit_identical_to_per_tensor(name, kwargs, dtype, monkeypatch):
    """Mixed shapes (a 0-d and an empty one among them), tensors cut into several chunks,
    and parameters missing their gradient at some steps (so their step counts differ)."""
    monkeypatch.setattr(multi, "CHUNK", 8)
    dtypes = [dtype] * len(SHAPES)
    grads = _grads(dtypes)
    skip = {1: (0, 3), 4: (2,)}
    runs = []
    with spy_multi_kernel(monkeypatch) as calls:
        for foreach in (False, None):
            params = _params(dtypes)
            opt = getattr(mt.optim, name)(params, foreach=foreach, **kwargs)
            _train(params, opt, grads, skip)
            runs.append((opt, params))
    assert calls == [np.dtype(dtype)] * STEPS
    _assert_same_state(runs[0][0], runs[1][0], runs[0][1], runs[1][1])
    assert float(runs[1][0].state[runs[1][1][1]]["step"]) == STEPS - 2


def test_tensor_lr_and_fused_flag_take_the_multi_tensor_path(monkeypatch):
    dtypes = ["float32"] * len(SHAPES)
    grads = _grads(dtypes)
    runs = []
    with spy_multi_kernel(monkeypatch) as calls:
        for kwargs in ({"foreach": False}, {"fused": True}, {"foreach": True}):
            params = _params(dtypes)
            opt = mt.optim.AdamW(params, lr=mt.tensor(0.01), **kwargs)
            if kwargs.get("foreach"):   # PyTorch refuses a Tensor lr with foreach=True
                with pytest.raises(ValueError, match="lr as a Tensor is not supported"):
                    _train(params, opt, grads)
                continue
            _train(params, opt, grads)
            runs.append((opt, params))
    assert len(calls) == STEPS
    _assert_same_state(runs[0][0], runs[1][0], runs[0][1], runs[1][1])


def test_mixed_group_falls_back_per_tensor(monkeypatch):
    """float32 and float64 in one group make two calls; float16 and a strided view take the
    per-tensor path; all agree with foreach=False bit for bit."""
    dtypes = ["float32", "float64", "float16", "float32", "float64", "float16"]
    grads = _grads(dtypes)
    runs = []
    with spy_multi_kernel(monkeypatch) as calls:
        for foreach in (False, None):
            params = _params(dtypes)
            base = mt.tensor(np.random.default_rng(3).standard_normal((5, 6)),
                             dtype=mt.float32)
            strided = base.t().detach().requires_grad_()    # (6, 5), not contiguous
            assert not strided.is_contiguous()
            params[0] = strided
            opt = mt.optim.AdamW(params, lr=0.05, weight_decay=0.1, amsgrad=True,
                                 foreach=foreach)
            _train(params, opt, grads)
            runs.append((opt, params))
    per_step = sorted(calls[:2], key=str)
    assert per_step == [np.dtype("float32"), np.dtype("float64")] and len(calls) == 2 * STEPS
    _assert_same_state(runs[0][0], runs[1][0], runs[0][1], runs[1][1])
    assert runs[1][1][2].dtype == mt.float16


def test_parameters_without_gradients_are_skipped(monkeypatch):
    dtypes = ["float32"] * len(SHAPES)
    params = _params(dtypes)
    before = [p.detach().numpy().copy() for p in params]
    opt = mt.optim.AdamW(params, lr=0.1)
    for p, g in zip(params[::2], _grads(dtypes)[0][::2]):
        p.grad = mt.tensor(g)
    opt.step()
    for i, p in enumerate(params):
        changed = not np.array_equal(p.detach().numpy(), before[i])
        assert (p in opt.state) == (i % 2 == 0)
        assert changed == (i % 2 == 0 and p.numel() > 0)


def test_replaced_arrays_and_loaded_state_are_followed(monkeypatch):
    """The cached tables follow `p.data = ...` and a loaded state dict (new arrays)."""
    dtypes = ["float64"] * len(SHAPES)
    grads = _grads(dtypes)
    runs = []
    for foreach in (False, None):
        params = _params(dtypes)
        opt = mt.optim.AdamW(params, lr=0.05, amsgrad=True, foreach=foreach)
        _train(params, opt, grads[:2])
        params[0].data = params[0].detach() * 0.5          # a new array behind p
        saved = opt.state_dict()
        opt = mt.optim.AdamW(params, lr=0.05, amsgrad=True, foreach=foreach)
        opt.load_state_dict(saved)
        _train(params, opt, grads[2:])
        runs.append((opt, params))
    _assert_same_state(runs[0][0], runs[1][0], runs[0][1], runs[1][1])


def test_state_dict_layout_is_pytorchs():
    torch = pytest.importorskip("torch")
    layouts = []
    for T in (mt, torch):
        p = T.zeros(3, requires_grad=True)
        opt = T.optim.AdamW([p], amsgrad=True)
        p.grad = T.ones(3)
        opt.step()
        state = opt.state_dict()["state"][0]
        layouts.append({k: tuple(v.shape) for k, v in state.items()})
    assert layouts[0] == layouts[1]


def test_flag_errors_are_pytorchs():
    p = mt.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        mt.optim.AdamW([p], fused=True, foreach=True)
    with pytest.raises(RuntimeError, match="`fused` does not support `differentiable`"):
        mt.optim.Adam([p], fused=True, differentiable=True)
    z = mt.zeros(3, dtype=mt.complex64, requires_grad=True)
    opt = mt.optim.Adam([z], fused=True)
    z.grad = mt.ones(3, dtype=mt.complex64)
    with pytest.raises(RuntimeError, match=r"`fused=True` requires all the params to be "
                                           r"floating point.*complex64 and cpu"):
        opt.step()


def test_complex_parameters_take_the_per_tensor_path(monkeypatch):
    """Complex parameters (real and imaginary parts as coordinates) still update, on the
    per-tensor path, the same as foreach=False."""
    rng = np.random.default_rng(4)
    init = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    grad = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    out = []
    with spy_multi_kernel(monkeypatch) as calls:
        for foreach in (False, None):
            z = mt.tensor(init.astype(np.complex64), requires_grad=True)
            opt = mt.optim.Adam([z], lr=0.1, foreach=foreach)
            for _ in range(3):
                z.grad = mt.tensor(grad.astype(np.complex64))
                opt.step()
            out.append(z.detach().numpy())
    assert calls == []
    np.testing.assert_array_equal(out[0], out[1])


TORCH_CONFIGS = [
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "maximize": True}),
    ("Adam", {"lr": 0.02, "weight_decay": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.95)}),
]


@pytest.mark.parametrize("torch_flags", [{"foreach": False}, {"fused": True}],
                         ids=["torch-single-tensor", "torch-fused"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", TORCH_CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in
                                                           enumerate(TORCH_CONFIGS)])
def test_against_pytorch(name, kwargs, dtype, torch_flags, monkeypatch):
    torch = pytest.importorskip("torch")
    dtypes = [dtype] * len(SHAPES)
    grads = _grads(dtypes)
    with spy_multi_kernel(monkeypatch) as calls:
        ours = _params(dtypes)
        opt = getattr(mt.optim, name)(ours, **kwargs)
        _train(ours, opt, grads)
    assert len(calls) == STEPS
    rng = np.random.default_rng(0)
    theirs = [torch.tensor(rng.standard_normal(s), dtype=getattr(torch, dtype),
                           requires_grad=True) for s in SHAPES]
    topt = getattr(torch.optim, name)(theirs, **kwargs, **torch_flags)
    for step_grads in grads:
        for p, g in zip(theirs, step_grads):
            p.grad = torch.tensor(g)
        topt.step()
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-14)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)


def test_cuda_parameters_take_one_launch(monkeypatch):
    """On cuda (a GPU, or --fake-gpu's emulated CUDA kernels) the group is one launch per
    step, and the trajectory follows the CPU's."""
    if not mt.cuda.is_available():
        pytest.skip("no GPU (run with --fake-gpu for the emulated CUDA kernels)")
    dtypes = ["float32", "float64", "float32", "float32", "float64", "float16"]
    grads = _grads(dtypes)
    results = []
    for device in ("cpu", "cuda"):
        with spy_multi_kernel(monkeypatch) as calls:
            params = _params(dtypes, device=device)
            opt = mt.optim.AdamW(params, lr=0.05, amsgrad=True)
            _train(params, opt, grads)
        assert len(calls) == 2 * STEPS, device   # float32 and float64; float16 per tensor
        results.append([p.detach().cpu().numpy() for p in params])
    for cpu, gpu in zip(*results):
        tol = dict(rtol=1e-5, atol=1e-6) if cpu.dtype == np.float32 else dict(rtol=1e-12)
        if cpu.dtype == np.float16:
            tol = dict(rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(gpu, cpu, **tol)


def test_zero_division_gives_nan_as_pytorch(monkeypatch):
    """eps=0 and a zero gradient: 0/0 is NaN in the multi-tensor kernel too."""
    torch = pytest.importorskip("torch")
    results = []
    for T in (mt, torch):
        w = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        opt = T.optim.Adam([w], eps=0.0)
        w.grad = T.tensor([0.5, 0.0, -1.0])
        with spy_multi_kernel(monkeypatch) as calls:
            opt.step()
        assert len(calls) == (1 if T is mt else 0)
        results.append(w.detach().numpy())
    assert np.isnan(results[0][1]) and np.isnan(results[1][1])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_read_only_parameter_takes_the_per_tensor_path(monkeypatch):
    """A parameter whose array is read-only is never written by the kernel: numpy's own
    error from the per-tensor formulas, as before."""
    w = mt.zeros(3, requires_grad=True)
    w._data.flags.writeable = False
    opt = mt.optim.AdamW([w])
    w.grad = mt.ones(3)
    with spy_multi_kernel(monkeypatch) as calls, pytest.raises(ValueError, match="read-only"):
        opt.step()
    assert calls == []


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threaded_and_serial_kernels_equal_adam_update(dtype, amsgrad):
    """kernels/cpu/optim.py: adam_multi_update (threads over chunks) and its serial twin
    give adam_update's bits, chunk boundaries inside the tensors."""
    from minitorch_nn.kernels.cpu import optim as K
    rng = np.random.default_rng(5)
    sizes = [37, 1, 0, 100]
    c = np.dtype(dtype).type
    common = (c(0.9), c(0.1), c(0.999), c(0.001), c(1e-8), c(0.1), c(1 - 1e-3))
    scalars = np.array([(0.01 / (1 - 0.9 ** t), (1 - 0.999 ** t) ** 0.5) for t in (1, 4, 2, 3)],
                       dtype=dtype)
    start = [[rng.standard_normal(n).astype(dtype) for _ in range(3)]
             + [np.abs(rng.standard_normal(n)).astype(dtype) for _ in range(2)] for n in sizes]
    results = []
    for fn in (None, K.adam_multi_update_serial, K.adam_multi_update):
        arrays = [[a.copy() for a in t] for t in start]
        if fn is None:
            for t, (step_size, bc2) in zip(arrays, scalars):
                vmax = t[4] if amsgrad else np.empty(0, dtype)
                K.adam_update(*t[:4], vmax, *common, step_size, bc2, amsgrad, True, False)
        else:
            addresses = np.array([[K.data_address(a) for a in t[:4]]
                                  + [K.data_address(t[4]) if amsgrad else 0] for t in arrays],
                                 dtype=np.int64)
            fn(addresses, multi.chunk_table(sizes, 16), scalars, *common, amsgrad, True, False)
        results.append([np.concatenate(col) for col in zip(*arrays)])
    for other in results[1:]:
        for expected, actual in zip(results[0], other):
            np.testing.assert_array_equal(actual, expected)
    assert not np.array_equal(results[0][0], np.concatenate([t[0] for t in start]))


def test_cached_tables_of_replaced_groups_are_dropped():
    """A loaded state dict brings new groups and arrays: the tables cached for the old ones
    (which keep their arrays alive) are dropped when the new ones are made."""
    params = _params(["float32"] * len(SHAPES))
    opt = mt.optim.AdamW(params)
    for _ in range(3):
        opt.load_state_dict(opt.state_dict())
        for p in params:
            p.grad = mt.ones_like(p)
        opt.step()
    plans = opt._multi_tensor_plans
    assert len(plans) == 1
    assert all(group is opt.param_groups[0] for group, _ in plans.values())
