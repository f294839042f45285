"""GradScaler against torch.amp.GradScaler("cpu"): scaling, unscaling, skipped steps on
inf/NaN, the growth/backoff schedule, the stage errors, state_dict round trips, and the
disabled scaler (device="cuda" without a GPU)."""
from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import minitorch_nn as mt

torch = pytest.importorskip("torch")

LIBS = [mt, torch]
IDS = ["minitorch", "torch"]


def _model(lib, w0):
    w = lib.nn.Parameter(lib.tensor(w0))
    opt = lib.optim.SGD([w], lr=0.1)
    return w, opt


def _step(lib, scaler, w, opt, poison=None):
    """One iteration: loss = sum(w * c); `poison` puts inf/nan into the gradient."""
    opt.zero_grad()
    c = lib.tensor([1.0, -2.0, 3.0])
    if poison is not None:
        c = c * lib.tensor([1.0, poison, 1.0])
    loss = (w * c).sum()
    scaler.scale(loss).backward()
    result = scaler.step(opt)
    scaler.update()
    return result


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_scale_and_unscale(lib):
    scaler = lib.amp.GradScaler("cpu", init_scale=1024.0)
    assert scaler.get_scale() == 1024.0               # before the first scale()
    w, opt = _model(lib, [1.0, 2.0, 3.0])
    loss = (w * w).sum()
    scaled = scaler.scale(loss)
    assert scaled.item() == pytest.approx(14.0 * 1024)
    assert scaled.dtype is lib.float32
    scaled.backward()
    assert w.grad.tolist() == pytest.approx([2048.0, 4096.0, 6144.0])
    scaler.unscale_(opt)
    assert w.grad.tolist() == pytest.approx([2.0, 4.0, 6.0])
    with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this "
                                           r"optimizer since the last update\(\)."):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) is being called after step\(\)."):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the "
                                           r"last update\(\)."):
        scaler.step(opt)
    scaler.update()
    assert w.tolist() == pytest.approx([0.8, 1.6, 2.4])


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_scale_lists_and_low_precision_outputs(lib):
    scaler = lib.amp.GradScaler("cpu", init_scale=8.0)
    outs = scaler.scale([lib.ones(2), (lib.ones(1, dtype=lib.bfloat16), lib.ones(3))])
    assert isinstance(outs, list) and isinstance(outs[1], tuple)
    assert outs[0].tolist() == [8.0, 8.0]
    assert outs[1][0].dtype is lib.bfloat16 and outs[1][0].item() == 8.0
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        lib.amp.GradScaler("cpu").scale([1.0])


def _run_schedule(lib, poisons, **kwargs):
    scaler = lib.amp.GradScaler("cpu", **kwargs)
    w, opt = _model(lib, [1.0, 2.0, 3.0])
    history = []
    for poison in poisons:
        _step(lib, scaler, w, opt, poison)
        history.append((scaler.get_scale(), scaler._get_growth_tracker(), w.tolist()))
    return history


@pytest.mark.parametrize("poison", [float("inf"), float("nan"), -float("inf")])
def test_non_finite_gradients_skip_the_step_and_back_off(poison):
    poisons = [None, poison, None, None, poison, None, None, None]
    kwargs = dict(init_scale=256.0, growth_interval=2, growth_factor=4.0, backoff_factor=0.25)
    ours, theirs = (_run_schedule(lib, poisons, **kwargs) for lib in LIBS)
    for (s1, g1, w1), (s2, g2, w2) in zip(ours, theirs):
        assert (s1, g1) == (s2, g2)
        np.testing.assert_allclose(w1, w2, rtol=1e-6)
    assert ours[1][2] == ours[0][2]                    # the poisoned step changed nothing
    assert ours[1][0] == 256.0 * 0.25


def test_growth_interval_schedule_matches_pytorch():
    poisons = [None] * 7
    ours, theirs = (_run_schedule(lib, poisons, init_scale=2.0, growth_interval=3)
                    for lib in LIBS)
    assert [h[:2] for h in ours] == [h[:2] for h in theirs]
    assert [h[0] for h in ours] == [2.0, 2.0, 4.0, 4.0, 4.0, 8.0, 8.0]


def test_scale_never_grows_to_infinity():
    for lib in LIBS:
        scaler = lib.amp.GradScaler("cpu", init_scale=3e38, growth_interval=1)
        w, opt = _model(lib, [1.0])
        for _ in range(2):
            opt.zero_grad()
            scaler.scale((w * 0.0).sum()).backward()     # finite (zero) gradients
            scaler.step(opt)
            scaler.update()
            assert scaler.get_scale() == pytest.approx(3e38, rel=1e-6)
            assert scaler._get_growth_tracker() == 0


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_update_with_new_scale(lib):
    scaler = lib.amp.GradScaler("cpu")
    w, opt = _model(lib, [1.0, 2.0, 3.0])
    _step(lib, scaler, w, opt)
    scaler.update(100.0)
    assert scaler.get_scale() == 100.0
    scaler.update(lib.tensor(7.0))
    assert scaler.get_scale() == 7.0
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        scaler.update(lib.tensor([7.0]))              # copied into a 0-d tensor
    with pytest.raises(AssertionError, match="new_scale should be a float or a 1-element"):
        scaler.update(lib.tensor([1.0, 2.0]))


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_misuse_errors(lib):
    scaler = lib.amp.GradScaler("cpu")
    w, opt = _model(lib, [1.0])
    fix = "This may indicate your script did not use scaler.scale"
    with pytest.raises(AssertionError, match=f"Attempted step but _scale is None.  {fix}"):
        scaler.step(opt)
    with pytest.raises(AssertionError, match="Attempted update but _scale is None"):
        scaler.update()
    with pytest.raises(AssertionError, match="Attempted unscale_ but _scale is None"):
        scaler.unscale_(opt)
    scaler.scale(w.sum()).backward()
    with pytest.raises(RuntimeError, match="Closure use is not currently supported if "
                                           "GradScaler is enabled."):
        scaler.step(opt, closure=lambda: None)
    with pytest.raises(AssertionError, match="No inf checks were recorded prior to update."):
        scaler.update()
    with pytest.raises(AssertionError, match="The growth factor must be > 1.0."):
        lib.amp.GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(AssertionError, match="The backoff factor must be < 1.0."):
        lib.amp.GradScaler("cpu", backoff_factor=1.0)
    with pytest.raises(RuntimeError, match="The source state dict is empty, possibly because "
                                           "it was saved from a disabled instance"):
        scaler.load_state_dict({})


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_fp16_gradients_cannot_be_unscaled(lib):
    w = lib.nn.Parameter(lib.ones(2, dtype=lib.float16))
    opt = lib.optim.SGD([w], lr=0.1)
    scaler = lib.amp.GradScaler("cpu")
    scaler.scale(w.float().sum()).backward()
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients."):
        scaler.step(opt)


def test_state_dict_round_trip_with_pytorch():
    ours = _run_schedule(mt, [None, float("inf"), None], init_scale=64.0, growth_interval=5)
    theirs = _run_schedule(torch, [None, float("inf"), None], init_scale=64.0,
                           growth_interval=5)
    assert ours[-1][:2] == theirs[-1][:2]
    m_scaler = mt.amp.GradScaler("cpu", init_scale=64.0, growth_interval=5)
    t_scaler = torch.amp.GradScaler("cpu", init_scale=64.0, growth_interval=5)
    for lib, scaler in ((mt, m_scaler), (torch, t_scaler)):
        w, opt = _model(lib, [1.0, 2.0, 3.0])
        for poison in (None, float("inf"), None):
            _step(lib, scaler, w, opt, poison)
    sd_m, sd_t = m_scaler.state_dict(), t_scaler.state_dict()
    assert sd_m == sd_t
    assert sd_m == {"scale": 32.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                    "growth_interval": 5, "_growth_tracker": 1}
    fresh_m, fresh_t = mt.amp.GradScaler("cpu"), torch.amp.GradScaler("cpu")
    fresh_m.load_state_dict(sd_t)
    fresh_t.load_state_dict(sd_m)
    assert fresh_m.state_dict() == fresh_t.state_dict() == sd_t
    assert fresh_m.get_scale() == 32.0
    # loading into a scaler that already has its scale tensor overwrites it
    m_scaler.load_state_dict(dict(sd_m, scale=4.0, _growth_tracker=3))
    assert m_scaler.get_scale() == 4.0 and m_scaler._get_growth_tracker() == 3


def test_pickle_between_iterations():
    scaler = mt.amp.GradScaler("cpu", init_scale=16.0)
    w, opt = _model(mt, [1.0])
    _step(mt, scaler, w, opt)
    clone = pickle.loads(pickle.dumps(scaler))
    assert clone.state_dict() == scaler.state_dict()
    scaler.scale(w.sum())
    scaler.unscale_(opt) if w.grad is not None else None
    with pytest.raises(AssertionError, match="may only be pickled at the beginning"):
        pickle.dumps(scaler)


@pytest.mark.skipif(mt.cuda.is_available(), reason="checks the no-GPU behaviour")
@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_cuda_scaler_without_gpu_is_disabled(lib):
    with pytest.warns(UserWarning, match=r"torch.cuda.amp.GradScaler is enabled, but CUDA is "
                                         r"not available.  Disabling."):
        scaler = lib.amp.GradScaler()
    assert not scaler.is_enabled()
    assert scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    w, opt = _model(lib, [1.0, 2.0])
    loss = (w * 3).sum()
    assert scaler.scale(loss) is loss
    loss.backward()
    scaler.unscale_(opt)
    scaler.step(opt)                                    # a plain optimizer step
    scaler.update()
    assert w.tolist() == pytest.approx([0.7, 1.7])
    scaler.load_state_dict({})                          # a no-op when disabled
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = lib.cuda.amp.GradScaler()
    assert not old.is_enabled()
    with pytest.warns(FutureWarning, match=r"`torch.cuda.amp.GradScaler\(args...\)` is "
                                           r"deprecated. Please use `torch.amp.GradScaler\("
                                           r"'cuda', args...\)` instead."):
        lib.cuda.amp.GradScaler(enabled=False)


@pytest.mark.parametrize("lib", LIBS, ids=IDS)
def test_enabled_false_and_cpu_alias(lib):
    scaler = lib.amp.GradScaler("cpu", enabled=False)
    assert not scaler.is_enabled()
    x = lib.ones(2)
    assert scaler.scale(x) is x
    with pytest.warns(FutureWarning, match=r"`torch.cpu.amp.GradScaler\(args...\)` is "
                                           r"deprecated"):
        cpu_scaler = lib.cpu.amp.GradScaler(init_scale=4.0)
    assert cpu_scaler.is_enabled() and cpu_scaler._device == "cpu"
    assert cpu_scaler.get_scale() == 4.0


def test_autocast_float16_training_loop_with_scaler_matches_pytorch():
    """The documented loop: float16 autocast forward, scaled backward, step, update."""
    finals = []
    for lib in LIBS:
        lib.manual_seed(0)
        model = lib.nn.Linear(4, 3)
        with lib.no_grad():
            model.weight.copy_(lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32)
                                          .reshape(3, 4)))
            model.bias.fill_(0.1)
        opt = lib.optim.SGD(model.parameters(), lr=0.05)
        scaler = lib.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=2)
        x = lib.tensor(np.linspace(-2, 2, 20, dtype=np.float32).reshape(5, 4))
        y = lib.tensor([0, 1, 2, 1, 0])
        for _ in range(4):
            opt.zero_grad()
            with lib.autocast("cpu", dtype=lib.float16):
                loss = lib.nn.functional.cross_entropy(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        finals.append((model.weight.detach().numpy().copy(), scaler.get_scale()))
    np.testing.assert_allclose(finals[0][0], finals[1][0], rtol=5e-3, atol=5e-3)
    assert finals[0][1] == finals[1][1] == 2.0 ** 12


def _amp_aware_sgd(lib, with_kwarg: bool):
    """An optimizer that unscales itself (PyTorch's fused optimizers' contract)."""

    class AmpAwareSGD(lib.optim.SGD):
        _step_supports_amp_scaling = True
        seen: list = []

        def step(self, closure=None, **kwargs):
            if with_kwarg:
                self.seen.append(("scaler", kwargs["grad_scaler"].get_scale()))
                return None
            self.seen.append((float(self.grad_scale), float(self.found_inf)))
            if not float(self.found_inf):
                with lib.no_grad():
                    for group in self.param_groups:
                        for p in group["params"]:
                            p.add_(p.grad / self.grad_scale, alpha=-group["lr"])
            return None

    if with_kwarg:   # the older contract: step(..., grad_scaler=scaler)
        def step(self, closure=None, grad_scaler=None):
            self.seen.append(("scaler", grad_scaler.get_scale()))
        AmpAwareSGD.step = step
    return AmpAwareSGD


@pytest.mark.parametrize("with_kwarg", [False, True])
def test_optimizers_that_unscale_themselves(with_kwarg):
    records = []
    for lib in LIBS:
        cls = _amp_aware_sgd(lib, with_kwarg)
        cls.seen = []
        w = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
        opt = cls([w], lr=0.5)
        scaler = lib.amp.GradScaler("cpu", init_scale=8.0)
        for poison in ((1.0,) if with_kwarg else (1.0, float("inf"))):
            opt.zero_grad()
            scaler.scale((w * lib.tensor([3.0, poison])).sum()).backward()
            if with_kwarg:
                with pytest.warns(FutureWarning, match="GradScaler is going to stop passing "
                                                       "itself as a keyword argument"):
                    scaler.step(opt)
            else:
                scaler.step(opt)
            assert not hasattr(opt, "grad_scale") or with_kwarg
            if not with_kwarg:
                scaler.update()
        records.append((cls.seen, w.tolist()))
    assert records[0] == records[1]
