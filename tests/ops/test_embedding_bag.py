"""F.embedding_bag and nn.EmbeddingBag: NumPy reference, float64 gradcheck and PyTorch
differential (values and gradients of weight and per_sample_weights), 2-D input, padding_idx,
include_last_offset, empty bags, dtypes, the module (repr, from_pretrained) and PyTorch's
errors for bad indices, offsets and arguments."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from op_harness import check_op, requires_torch, torch

RNG = np.random.default_rng(3)
V, D = 7, 3
IDX = np.array([1, 2, 4, 4, 3, 1, 0, 6, 5, 2])


def _ref(idx, offsets, weight, mode, psw=None, padding_idx=None, include_last=False):
    """NumPy embedding_bag: loop over bags."""
    idx = idx.reshape(-1)
    starts = list(offsets[:-1] if include_last else offsets)
    ends = starts[1:] + [offsets[-1] if include_last else idx.size]
    out = np.zeros((len(starts), weight.shape[1]))
    for b, (s, e) in enumerate(zip(starts, ends)):
        pos = [p for p in range(s, e) if padding_idx is None or idx[p] != padding_idx % V]
        if not pos:
            continue
        rows = weight[idx[pos]] * (psw.reshape(-1)[pos, None] if psw is not None else 1)
        out[b] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


def _weight():
    return RNG.standard_normal((V, D))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("offsets", [[0, 3, 3, 7], [0], [0, 10]])
@pytest.mark.parametrize("padding_idx", [None, 4, -1])
def test_1d_with_offsets(mode, offsets, padding_idx):
    off = np.array(offsets)
    check_op(lambda T, i, o, w: T.nn.functional.embedding_bag(
        i, w, o, mode=mode, padding_idx=padding_idx),
        None, arrays=[IDX, off, _weight()],
        ref=lambda i, o, w: _ref(i, o, w, mode, padding_idx=padding_idx))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_include_last_offset(mode):
    off = np.array([0, 2, 2, 6, 10])
    check_op(lambda T, i, o, w: T.nn.functional.embedding_bag(
        i, w, o, mode=mode, include_last_offset=True),
        None, arrays=[IDX, off, _weight()],
        ref=lambda i, o, w: _ref(i, o, w, mode, include_last=True))


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_per_sample_weights(padding_idx):
    off = np.array([0, 4, 4, 8])
    psw = RNG.standard_normal(IDX.size)
    check_op(lambda T, i, o, w, p: T.nn.functional.embedding_bag(
        i, w, o, mode="sum", per_sample_weights=p, padding_idx=padding_idx),
        None, arrays=[IDX, off, _weight(), psw],
        ref=lambda i, o, w, p: _ref(i, o, w, "sum", psw=p, padding_idx=padding_idx))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_2d_input(mode):
    idx = RNG.integers(0, V, size=(3, 4))
    psw = RNG.standard_normal((3, 4))
    check_op(lambda T, i, w: T.nn.functional.embedding_bag(i, w, mode=mode), None,
             arrays=[idx, _weight()],
             ref=lambda i, w: _ref(i, np.arange(0, 12, 4), w, mode))
    if mode == "sum":
        check_op(lambda T, i, w, p: T.nn.functional.embedding_bag(
            i, w, mode=mode, per_sample_weights=p), None, arrays=[idx, _weight(), psw])


def test_int32_indices_and_zero_bags():
    check_op(lambda T, i, o, w: T.nn.functional.embedding_bag(i, w, o, mode="sum"), None,
             arrays=[IDX.astype(np.int32), np.array([0, 5]), _weight()])
    # no bags: PyTorch crashes (segfault) here, so only ours is checked
    w = mt.tensor(_weight(), requires_grad=True)
    out = mt.nn.functional.embedding_bag(mt.tensor(IDX), w, mt.zeros(0, dtype=mt.int64))
    assert tuple(out.shape) == (0, D)
    out.sum().backward()
    assert np.all(w.grad.numpy() == 0)
    check_op(lambda T, i, o, w: T.nn.functional.embedding_bag(i, w, o, mode="max"), None,
             arrays=[np.zeros(0, np.int64), np.array([0, 0]), _weight()])


@requires_torch
@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_scale_grad_by_freq(mode):
    # Reference: F.embedding's scale_grad_by_freq, then per-bag sums/means. (PyTorch's own
    # embedding_bag CPU kernel scales some rows by the wrong count, e.g. rows 3 and 6 here.)
    w0 = _weight()
    bags = [(0, 3), (3, 6), (6, 10)]
    w = torch.tensor(w0, requires_grad=True)
    rows = torch.nn.functional.embedding(torch.tensor(IDX), w, scale_grad_by_freq=True)
    ref = torch.stack([getattr(rows[s:e], mode)(0) for s, e in bags])
    (ref * ref).sum().backward()
    ours_w = mt.tensor(w0, requires_grad=True)
    ours = mt.nn.functional.embedding_bag(mt.tensor(IDX), ours_w, mt.tensor([0, 3, 6]),
                                          mode=mode, scale_grad_by_freq=True)
    (ours * ours).sum().backward()
    np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_w.grad.numpy(), w.grad.numpy(), rtol=1e-10)


@requires_torch
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_max_norm_renormalises_in_place(mode):
    w0 = _weight() * 2
    outs = []
    for T in (torch, mt):
        w = T.tensor(w0.copy())
        outs.append(T.nn.functional.embedding_bag(T.tensor(IDX[:5]), w, T.tensor([0, 3]),
                                                  max_norm=1.5, norm_type=3.0,
                                                  mode=mode).numpy())
        outs.append(w.numpy())
    for a, b in zip(outs[:2], outs[2:]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_reduced_precision(dtype):
    w0 = _weight()
    res = []
    for T in (torch, mt):
        w = T.tensor(w0, dtype=getattr(T, dtype), requires_grad=True)
        out = T.nn.functional.embedding_bag(T.tensor(IDX), w, T.tensor([0, 4]), mode="mean")
        out.float().sum().backward()
        assert str(out.dtype) == f"torch.{dtype}" and str(w.grad.dtype) == f"torch.{dtype}"
        res.append((out.float().detach().numpy(), w.grad.float().numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-2, atol=1e-2)


@requires_torch
def test_grad_fn_name_and_argument_swap_warning():
    w = mt.tensor(_weight(), requires_grad=True)
    out = mt.nn.functional.embedding_bag(mt.tensor(IDX), w, mt.tensor([0, 3]))
    assert out.grad_fn.name() == "EmbeddingBagBackward0"
    with pytest.warns(UserWarning, match="Argument order of nn.functional.embedding_bag"):
        swapped = mt.nn.functional.embedding_bag(w, mt.tensor(IDX), mt.tensor([0, 3]))
    np.testing.assert_allclose(swapped.detach().numpy(), out.detach().numpy())


# ------------------------------------------------------------------ errors
def _call(T, idx=IDX, offsets=(0, 3), weight_shape=(V, D), **kw):
    w = T.zeros(*weight_shape, dtype=kw.pop("weight_dtype", T.float32))
    off = None if offsets is None else T.tensor(np.array(offsets), dtype=kw.pop(
        "offsets_dtype", T.int64))
    idx = T.tensor(idx) if isinstance(idx, np.ndarray) else idx(T)
    return T.nn.functional.embedding_bag(idx, w, off, **kw)


_ERRORS = [
    (dict(idx=np.array([1, 7]), offsets=(0,)), RuntimeError,
     "Index 1 of input takes value 7 which is not in the valid range [0, 7)"),
    (dict(idx=np.array([1, -1]), offsets=(0,)), RuntimeError, "takes value -1"),
    (dict(offsets=(1, 2)), RuntimeError, "offsets[0] has to be 0"),
    (dict(offsets=(0, 11)), RuntimeError, "offsets[-1] can not be greater than input's length "
     "10 but got offsets[-1] of 11"),
    (dict(offsets=(), include_last_offset=True), RuntimeError,
     "include_last_offset: number of offset should be at least 1"),
    (dict(idx=lambda T: T.tensor(IDX).float()), RuntimeError, "'indices'"),
    (dict(offsets_dtype="float"), RuntimeError, "'offsets'"),
    (dict(weight_dtype="int32"), RuntimeError, "'weight'"),
    (dict(mode="prod"), ValueError, "mode has to be one of sum, mean or max"),
    (dict(mode="max", scale_grad_by_freq=True), ValueError, "max mode does not support "
     "scaling the gradient by the frequency"),
    (dict(mode="max", sparse=True), ValueError, "max mode does not support sparse weights"),
    (dict(weight_shape=(V * D,)), ValueError, "weight has to be a 2D Tensor, but got Tensor "
     "of dimension 1"),
    (dict(idx=IDX.reshape(2, 5)), ValueError, "if input is 2D, then offsets has to be None"),
    (dict(offsets=None), ValueError, "offsets has to be a 1D Tensor but got None"),
    (dict(offsets=((0, 1),)), ValueError, "offsets has to be a 1D Tensor"),
    (dict(idx=IDX.reshape(1, 2, 5), offsets=None), ValueError,
     "input has to be 1D or 2D Tensor, but got Tensor of dimension 3"),
    (dict(padding_idx=7), RuntimeError, "padding_idx must be within the number of "
     "embeddings, -7 through 6, but got 7"),
    (dict(per_sample_weights=lambda T: T.ones(4)), ValueError,
     "If per_sample_weights (torch.Size([4])) is not None, then it must have the same shape"),
    (dict(per_sample_weights=lambda T: T.ones(10), mode="mean"), NotImplementedError,
     "per_sample_weights is only supported for mode='sum' (got mode='mean')"),
    (dict(per_sample_weights=lambda T: T.ones(10, dtype=T.float64), mode="sum"), RuntimeError,
     "to have the same type as tensor for argument #1 'per_sample_weights'"),
]


@requires_torch
@pytest.mark.parametrize("kw, exc, match", _ERRORS)
def test_errors_like_torch(kw, exc, match):
    for T in (torch, mt):
        kwargs = dict(kw)
        for key in ("weight_dtype", "offsets_dtype"):
            if key in kwargs:
                kwargs[key] = getattr(T, kwargs[key])
        if "per_sample_weights" in kwargs:
            kwargs["per_sample_weights"] = kwargs["per_sample_weights"](T)
        with pytest.raises(exc) as info:
            _call(T, **kwargs)
        if T is mt:
            assert match in str(info.value)


def test_decreasing_offsets_refused():
    # PyTorch fails with an internal assertion here; ours says what is wrong.
    with pytest.raises(RuntimeError, match="monotonically non-decreasing"):
        _call(mt, offsets=(0, 5, 3))


# ------------------------------------------------------------------ the module
@requires_torch
@pytest.mark.parametrize("kw", [{}, dict(mode="sum", padding_idx=-2), dict(mode="max"),
                                dict(max_norm=1.0, norm_type=3.0, mode="sum"),
                                dict(include_last_offset=True, mode="sum")])
def test_module_matches_torch(kw):
    torch.manual_seed(0)
    ref = torch.nn.EmbeddingBag(V, D, **kw).double()
    ours = mt.nn.EmbeddingBag(V, D, **kw).double()
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict()) == ["weight"]
    ours.load_state_dict({"weight": mt.tensor(ref.weight.detach().numpy())})
    off = [0, 3, 10] if kw.get("include_last_offset") else [0, 3]
    outs = []
    for T, mod in ((mt, ours), (torch, ref)):
        out = mod(T.tensor(IDX), T.tensor(off))
        (out ** 2).sum().backward()
        outs.append((out.detach().numpy(), mod.weight.grad.numpy(),
                     mod.weight.detach().numpy()))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@requires_torch
def test_module_init_and_from_pretrained():
    bag = mt.nn.EmbeddingBag(V, D, padding_idx=2)
    assert bag.padding_idx == 2 and np.all(bag.weight.detach().numpy()[2] == 0)
    w = _weight()
    ours = mt.nn.EmbeddingBag.from_pretrained(mt.tensor(w), mode="sum")
    ref = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), mode="sum")
    assert repr(ours) == repr(ref) and ours.weight.requires_grad is False
    assert mt.nn.EmbeddingBag.from_pretrained(mt.tensor(w), freeze=False).weight.requires_grad
    out = ours(mt.tensor(IDX.reshape(2, 5)), per_sample_weights=mt.ones(2, 5).double())
    expected = ref(torch.tensor(IDX.reshape(2, 5)), per_sample_weights=torch.ones(2, 5).double())
    np.testing.assert_allclose(out.numpy(), expected.numpy())
    for T in (torch, mt):
        with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
            T.nn.EmbeddingBag(V, D, padding_idx=V)
        with pytest.raises(AssertionError, match="Shape of weight does not match"):
            T.nn.EmbeddingBag(V, D, _weight=T.zeros(V, D + 1))
        with pytest.raises(AssertionError, match="expected to be 2-dimensional"):
            T.nn.EmbeddingBag.from_pretrained(T.zeros(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mt.nn.EmbeddingBag(V, D)(mt.tensor(IDX), mt.tensor([0, 5]))
