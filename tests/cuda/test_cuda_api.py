"""Issue 6's user-facing GPU API, end to end (marked `cuda`).

Without a GPU these run on the fake CuPy (`pytest --fake-gpu`, tests/fake_cupy): the code
paths are checked, not real hardware. The package without CuPy: tests/test_fake_cupy.py.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn import nn
from minitorch_nn._exception_notes import notes_of

cuda = pytest.mark.cuda
MIXED = ("Expected all tensors to be on the same device, but found at least two devices, "
         "{} and {}!")


# ------------------------------------------------------------------ devices and tensors
@cuda
def test_availability_device_count_and_current_device():
    assert mt.cuda.is_available() is True
    assert mt.cuda.device_count() >= 1
    assert mt.cuda.current_device() == 0
    mt.cuda.synchronize()
    dev = mt.device("cuda")
    assert (dev.type, dev.index) == ("cuda", None)
    assert mt.device(0) == mt.device("cuda", 0)


@cuda
def test_tensor_cuda_to_cpu_and_repr():
    x = mt.arange(6.0).reshape(2, 3)
    y = x.cuda()
    assert y.device == mt.device("cuda", 0) and y.is_cuda and not y.is_cpu
    assert y.get_device() == 0
    assert "device='cuda:0'" in repr(y)
    assert y.cuda() is y and y.to("cuda:0") is y and y.to("cuda") is y
    z = x.to("cuda:0")
    assert z.device.type == "cuda"
    back = z.cpu()
    assert back.device == mt.device("cpu")
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    y.add_(1)   # a copy: the CPU tensor does not change
    assert x[0, 0].item() == 0.0 and y[0, 0].item() == 1.0
    assert y.sum().item() == 21.0 and y.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert float(y[1, 2]) == 6.0 and int(y[1, 2]) == 6 and bool(y[1, 2])


@cuda
def test_legacy_type_strings_name_the_device():
    x = mt.ones(2, device="cuda")
    assert x.type() == "torch.cuda.FloatTensor" and mt.ones(2).type() == "torch.FloatTensor"
    y = mt.ones(2).type("torch.cuda.DoubleTensor")
    assert y.device.type == "cuda" and y.dtype == mt.float64
    z = x.type("torch.LongTensor")
    assert z.device.type == "cpu" and z.dtype == mt.int64


@cuda
def test_views_share_gpu_storage():
    base = mt.arange(12.0, device="cuda").reshape(3, 4)
    row = base[1]
    assert row.storage_offset() == 4 and base[2, 1:].storage_offset() == 9
    assert base.T.stride() == (1, 4) and not base.T.is_contiguous()
    assert row.data_ptr() - base.data_ptr() == 4 * 4
    row.mul_(10)
    assert base[1].tolist() == [40.0, 50.0, 60.0, 70.0]


@cuda
def test_numpy_of_a_cuda_tensor_is_refused_as_in_pytorch():
    y = mt.ones(2, device="cuda")
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        y.numpy()
    np.testing.assert_array_equal(y.cpu().numpy(), [1.0, 1.0])


@cuda
@pytest.mark.parametrize("make", [
    lambda d: mt.zeros(2, 3, device=d), lambda d: mt.ones(2, 3, device=d),
    lambda d: mt.full((2, 3), 7.0, device=d), lambda d: mt.arange(6, device=d),
    lambda d: mt.tensor([[1, 2], [3, 4]], device=d), lambda d: mt.eye(3, device=d),
    lambda d: mt.linspace(0, 1, 5, device=d), lambda d: mt.empty(2, device=d).fill_(3),
    lambda d: mt.zeros_like(mt.ones(2), device=d), lambda d: mt.randn(3, device=d).shape,
])
def test_factories_allocate_on_the_device(make):
    out = make("cuda")
    if isinstance(out, mt.Size):
        return
    assert out.device.type == "cuda"
    cpu = make("cpu")
    np.testing.assert_array_equal(out.cpu().numpy(), cpu.numpy())


@cuda
def test_manual_seed_makes_gpu_draws_repeatable():
    mt.cuda.manual_seed(7)
    a = mt.randn(5, device="cuda")
    b = mt.rand(5, device="cuda")
    mt.cuda.manual_seed_all(7)
    assert a.device.type == "cuda"
    np.testing.assert_array_equal(mt.randn(5, device="cuda").cpu().numpy(), a.cpu().numpy())
    np.testing.assert_array_equal(mt.rand(5, device="cuda").cpu().numpy(), b.cpu().numpy())


@cuda
def test_gradients_accumulate_on_the_device():
    w = mt.ones(3, device="cuda", requires_grad=True)
    for _ in range(2):
        (w * 2).sum().backward()
    assert w.grad.device.type == "cuda" and w.grad.tolist() == [4.0, 4.0, 4.0]
    w.grad = mt.zeros(1, device="cuda").expand(3)   # a broadcast view: not written in place
    (w * 2).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]


@cuda
def test_in_place_writes_into_a_gpu_tensor():
    x = mt.zeros(2, 3, device="cuda")
    x[0] = mt.arange(3.0, device="cuda")
    x[1, 1:] = 5
    x.copy_(x + 1)
    assert x.tolist() == [[1.0, 2.0, 3.0], [1.0, 6.0, 6.0]]
    with pytest.raises(RuntimeError, match="more than one element"):
        mt.zeros(1, device="cuda").expand(3).copy_(mt.ones(3, device="cuda"))


@cuda
def test_scatter_multiply_on_the_gpu():
    # CuPy has no ufunc.multiply.at: repeated indices must still multiply twice
    index = mt.tensor([[0, 0, 1]])
    for dev in ("cpu", "cuda"):
        x = mt.full((2, 3), 2.0, device=dev)
        y = x.scatter(0, index.to(dev), 3.0, reduce="multiply")
        assert y.device.type == dev and y.tolist() == [[6.0, 6.0, 2.0], [2.0, 2.0, 6.0]]
        src = mt.tensor([[2.0, 3.0, 4.0, 5.0]], device=dev)
        z = mt.ones(1, 2, device=dev).scatter(1, mt.tensor([[0, 0, 1, 1]], device=dev), src,
                                             reduce="multiply")
        assert z.tolist() == [[6.0, 20.0]]


# ------------------------------------------------------------------ memory statistics
@cuda
def test_memory_allocated_peak_and_empty_cache():
    mt.cuda.empty_cache()
    start = mt.cuda.memory_allocated()
    x = mt.zeros(256 * 1024, device="cuda")   # 1 MiB of float32
    assert mt.cuda.memory_allocated() - start >= 1 << 20
    mt.cuda.reset_peak_memory_stats()
    assert mt.cuda.max_memory_allocated() == mt.cuda.memory_allocated()
    held = mt.cuda.memory_allocated()
    y = x * 2 + 1   # a temporary and a result: 2 MiB more at the peak
    del y
    assert mt.cuda.memory_allocated() == held
    assert mt.cuda.max_memory_allocated() >= held + (2 << 20)
    peak = mt.cuda.max_memory_allocated()
    del x
    assert mt.cuda.memory_allocated() <= held - (1 << 20)
    assert mt.cuda.max_memory_allocated() == peak   # a peak, not the current value
    assert mt.cuda.memory_reserved() >= peak - start   # freed blocks stay cached ...
    mt.cuda.empty_cache()
    assert mt.cuda.memory_reserved() == mt.cuda.memory_allocated()   # ... until emptied
    mt.cuda.reset_peak_memory_stats()
    assert mt.cuda.max_memory_allocated() == mt.cuda.memory_allocated()


# ------------------------------------------------------------------ mixing devices
@cuda
def test_mixing_devices_raises_pytorchs_error():
    g, c = mt.ones(2, device="cuda"), mt.ones(2)
    with pytest.raises(RuntimeError, match=MIXED.format("cuda:0", "cpu")):
        g + c
    with pytest.raises(RuntimeError, match=MIXED.format("cpu", "cuda:0")):
        c * g
    with pytest.raises(RuntimeError, match="same device"):
        mt.matmul(mt.ones(2, 2, device="cuda"), mt.ones(2, 2))
    with pytest.raises(RuntimeError, match="same device"):
        nn.functional.cross_entropy(mt.ones(2, 3, device="cuda"), mt.tensor([0, 1]))
    for op in (lambda: mt.cat([g, c]), lambda: mt.where(c > 0, g, g), lambda: g.add_(c),
               lambda: mt.allclose(g, c), lambda: mt.isclose(c, g), lambda: g == c,
               lambda: nn.functional.layer_norm(g[None], (2,), c, None)):
        with pytest.raises(RuntimeError, match="same device"):
            op()
    # as PyTorch: CPU indices may index a GPU tensor, and copy_ moves across devices
    assert g[mt.tensor([1])].device.type == "cuda"
    assert g.copy_(mt.tensor([3.0, 4.0])).tolist() == [3.0, 4.0]


@cuda
def test_module_on_gpu_with_cpu_input_names_the_parameter_and_the_fix():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).cuda()
    with pytest.raises(RuntimeError) as info:
        model(mt.randn(2, 3))
    assert str(info.value) == MIXED.format("cpu", "cuda:0")   # PyTorch's, byte for byte
    message = notes_of(info.value)                             # the hint is a note
    assert message.startswith("The module's parameter")
    assert "'0.weight' is on cuda:0 but its input is on cpu" in message
    assert "x.cuda()" in message and "model.cpu()" in message

    model.cpu()
    with pytest.raises(RuntimeError) as info:
        model(mt.randn(2, 3, device="cuda"))
    message = notes_of(info.value)
    assert "'0.weight' is on cpu but its input is on cuda:0" in message
    assert "model.cuda()" in message and "x.cpu()" in message


@cuda
def test_nested_module_error_names_the_full_path():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(1, 2, 3)), nn.Flatten()).cuda()
    with pytest.raises(RuntimeError) as info:
        model(mt.randn(1, 1, 5, 5))
    assert "'0.0.weight' is on cuda:0" in notes_of(info.value)


# ------------------------------------------------------------------ modules and training
def _cnn():
    # no conv bias: batch norm cancels it, its gradient is rounding noise that Adam amplifies
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


@cuda
def test_module_cuda_moves_parameters_buffers_and_grads_in_place():
    model = _cnn()
    weight = model[0].weight
    model(mt.randn(2, 1, 8, 8)).sum().backward()
    assert model.cuda() is model and model[0].weight is weight
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        assert t.device.type == "cuda", name
    assert weight.grad.device.type == "cuda"
    assert model.to("cpu") is model and weight.device.type == "cpu"
    assert model.to(mt.device("cuda:0"))[1].running_mean.device.type == "cuda"


def _train(model, optimizer_cls, device, steps=3, **kwargs):
    gen = np.random.default_rng(0)
    x = mt.from_numpy(gen.standard_normal((6, 1, 8, 8)).astype(np.float32)).to(device)
    y = mt.from_numpy(gen.integers(0, 3, 6)).to(device)
    model = model.to(device)
    opt = optimizer_cls(model.parameters(), **kwargs)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, opt, losses


@cuda
@pytest.mark.parametrize("optimizer,kwargs", [
    (mt.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (mt.optim.SGD, {"lr": 0.1, "weight_decay": 0.01}),
    (mt.optim.Adam, {"lr": 0.01}),
    (mt.optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    (mt.optim.AdamW, {"lr": 0.01}),
    (mt.optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    (mt.optim.Adagrad, {"lr": 0.1}),
])
def test_training_on_gpu_matches_cpu(optimizer, kwargs):
    mt.manual_seed(1)
    cpu_model, _, cpu_losses = _train(_cnn(), optimizer, "cpu", **kwargs)
    mt.manual_seed(1)
    gpu_model, opt, gpu_losses = _train(_cnn(), optimizer, "cuda", **kwargs)
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-4, atol=1e-5)
    for (name, p), q in zip(gpu_model.named_parameters(), cpu_model.parameters()):
        assert p.device.type == "cuda", name
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().numpy(), rtol=1e-4,
                                   atol=1e-5, err_msg=name)
    for state in opt.state.values():
        for key, value in state.items():
            if isinstance(value, mt.Tensor) and value.dim() > 0:
                assert value.device.type == "cuda", key


@cuda
def test_optimizer_state_dict_round_trip_to_the_gpu():
    _, opt, _ = _train(_cnn(), mt.optim.Adam, "cpu", lr=0.01)
    model = _cnn().cuda()
    opt2 = mt.optim.Adam(model.parameters(), lr=0.01)
    opt2.load_state_dict(opt.state_dict())
    for state in opt2.state.values():
        assert state["exp_avg"].device.type == "cuda"
    model(mt.randn(2, 1, 8, 8, device="cuda")).sum().backward()
    opt2.step()


@cuda
def test_dropout_and_eval_on_gpu():
    layer = nn.Dropout(0.5).cuda()
    x = mt.ones(1000, device="cuda")
    out = layer(x)
    assert out.device.type == "cuda"
    kept = (out != 0).sum().item()
    assert 350 < kept < 650 and set(np.unique(out.cpu().numpy())) <= {0.0, 2.0}
    layer.eval()
    assert (layer(x) == x).all().item()


@cuda
@pytest.mark.parametrize("dtype", [mt.float16, mt.bfloat16])
def test_half_types_compute_on_gpu(dtype):
    lin = nn.Linear(4, 3).cuda().to(dtype)
    x = mt.randn(2, 4, device="cuda", dtype=dtype, requires_grad=True)
    out = nn.functional.gelu(lin(x)).softmax(dim=1)
    assert out.dtype == dtype and out.device.type == "cuda"
    out.sum().backward()
    assert x.grad.dtype == dtype and lin.weight.grad.device.type == "cuda"


@cuda
def test_bfloat16_on_a_cupy_without_it_says_what_is_needed():
    cupy = pytest.importorskip("cupy")
    if not getattr(cupy, "IS_FAKE", False):
        pytest.skip("needs the fake CuPy's switch for CuPy < 14")
    cupy.SETTINGS["bfloat16"] = False
    try:
        with pytest.raises(TypeError, match="bfloat16 tensors on the GPU need CuPy >= 14"):
            mt.ones(2, dtype=mt.bfloat16).cuda()
        with pytest.raises(TypeError, match="bfloat16 tensors on the GPU need CuPy >= 14"):
            mt.ones(2, device="cuda").bfloat16()
    finally:
        cupy.SETTINGS["bfloat16"] = True


# ------------------------------------------------------------------ saving and loading
@cuda
def test_save_and_load_cuda_tensors_and_state_dicts():
    model = _cnn().cuda()
    buffer = io.BytesIO()
    mt.save({"model": model.state_dict(), "t": mt.arange(3.0, device="cuda")}, buffer)
    buffer.seek(0)
    loaded = mt.load(buffer)
    assert loaded["t"].device.type == "cuda"
    assert loaded["model"]["0.weight"].device.type == "cuda"
    buffer.seek(0)
    on_cpu = mt.load(buffer, map_location="cpu")
    assert on_cpu["t"].device.type == "cpu" and on_cpu["t"].tolist() == [0.0, 1.0, 2.0]
    fresh = _cnn()
    fresh.load_state_dict(on_cpu["model"])
    np.testing.assert_array_equal(fresh[0].weight.detach().numpy(),
                                  model[0].weight.detach().cpu().numpy())
    gpu_model = _cnn().cuda()
    gpu_model.load_state_dict(on_cpu["model"])   # copied onto the GPU parameters
    assert gpu_model[0].weight.device.type == "cuda"


@cuda
def test_dataloader_batches_move_to_the_gpu():
    data = mt.utils.data.TensorDataset(mt.randn(10, 3), mt.arange(10))
    loader = mt.utils.data.DataLoader(data, batch_size=4, pin_memory=True)
    seen = 0
    for xb, yb in loader:
        xb, yb = xb.cuda(), yb.to("cuda")
        assert xb.device.type == "cuda" and yb.dtype == mt.int64
        seen += len(yb)
    assert seen == 10


@cuda
def test_dlpack_round_trip_stays_on_the_device():
    import cupy
    x = mt.arange(4.0, device="cuda")
    assert tuple(int(v) for v in x.__dlpack_device__()) == (2, 0)   # kDLCUDA, device 0
    array = cupy.arange(3.0)
    t = mt.from_dlpack(array)
    assert t.device.type == "cuda"
    t.add_(1)   # the same memory
    assert cupy.asnumpy(array).tolist() == [1.0, 2.0, 3.0]


# ------------------------------------------------------------------ our CUDA kernels run
@cuda
def test_a_training_step_launches_our_cuda_kernels():
    """On the fake GPU the launches are recorded (the emulated runtime): each kernel family
    the ops call on `cuda` must really have run. On a real GPU this test has nothing to read."""
    from minitorch_nn.kernels.cuda import _launch
    runtime = _launch.get_runtime()
    if not hasattr(runtime, "launches"):
        pytest.skip("the CuPy runtime does not record launches")
    start = len(runtime.launches)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.GELU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Dropout(0.2), nn.Linear(36, 5),
                          nn.LayerNorm(5)).cuda()
    x = mt.randn(2, 3, 8, 8, device="cuda", requires_grad=True)
    nn.functional.cross_entropy(model(x), mt.tensor([1, 2], device="cuda")).backward()
    emb = nn.Embedding(5, 3).cuda()
    emb(mt.tensor([1, 1, 2], device="cuda")).sum().backward()
    mt.optim.Adam(model.parameters()).step()
    ran = {(family, kernel) for family, kernel, _, _ in runtime.launches[start:]}
    for expected in [("conv", "im2col"), ("conv", "col2im"), ("norm", "channel_norm_fwd"),
                     ("norm", "channel_norm_bwd"), ("activation", "gelu_fwd"),
                     ("activation", "gelu_bwd"), ("pool", "max_pool2d_fwd"),
                     ("pool", "max_pool2d_bwd"), ("dropout", "dropout_fwd"),
                     ("dropout", "dropout_bwd"), ("norm", "row_norm_fwd"),
                     ("loss", "cross_entropy_fwd"), ("loss", "cross_entropy_bwd"),
                     ("embedding", "embedding_bwd"), ("optim", "adam_multi_update")]:
        assert expected in ran, expected
