"""nn.utils.rnn (PackedSequence, pack/pad helpers) and RNN/LSTM/GRU on packed input, against
PyTorch in float64: values, batch_sizes, permutations, gradients, errors."""
from __future__ import annotations

import numpy as np
import pytest

from layer_harness import mt, np_of, to_mt_state, torch

RNG = np.random.default_rng(7)


def _x(*shape):
    return RNG.standard_normal(shape)


def _both(fn):
    """fn(T) for T = minitorch_nn and torch."""
    return fn(mt), fn(torch)


def _close(a, b):
    np.testing.assert_allclose(np_of(a), np_of(b), rtol=1e-9, atol=1e-12)


def _same_packed(a, b):
    _close(a.data, b.data)
    assert a.batch_sizes.tolist() == b.batch_sizes.tolist()
    assert str(a.batch_sizes.dtype) == str(b.batch_sizes.dtype) == "torch.int64"
    for x, y in ((a.sorted_indices, b.sorted_indices), (a.unsorted_indices, b.unsorted_indices)):
        assert (x is None) == (y is None)
        if y is not None:
            assert x.tolist() == y.tolist()


def _raises_like(fn, exc, match):
    """fn(T) raises `exc` in both libraries; our message matches `match`."""
    for T in (torch, mt):
        with pytest.raises(exc) as info:
            fn(T)
        if T is mt:
            assert match in str(info.value)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths, enforce_sorted", [([5, 3, 1], True), ([2, 5, 3], False),
                                                     ([4, 4, 1, 2], False), ([5], True)])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_pad_roundtrip_and_grads(batch_first, lengths, enforce_sorted, as_tensor):
    batch, steps = len(lengths), max(lengths) + 1
    x = _x(batch, steps, 2) if batch_first else _x(steps, batch, 2)
    g = _x(*((batch, steps + 1, 2) if batch_first else (steps + 1, batch, 2)))

    def run(T):
        R = T.nn.utils.rnn
        xx = T.tensor(x, requires_grad=True)
        lens = T.tensor(lengths) if as_tensor else lengths
        packed = R.pack_padded_sequence(xx, lens, batch_first=batch_first,
                                        enforce_sorted=enforce_sorted)
        padded, out_lens = R.pad_packed_sequence(packed, batch_first=batch_first,
                                                 padding_value=-2.5, total_length=steps + 1)
        (padded * T.tensor(g)).sum().backward()
        return packed, padded, out_lens, xx.grad
    ours, ref = _both(run)
    _same_packed(ours[0], ref[0])
    _close(ours[1], ref[1])
    assert ours[2].tolist() == ref[2].tolist() == lengths
    assert str(ours[2].dtype) == "torch.int64" and ours[2].device.type == "cpu"
    _close(ours[3], ref[3])


def test_pack_trailing_dims_and_1d_features():
    x = _x(4, 3, 2, 3)
    ours, ref = _both(lambda T: T.nn.utils.rnn.pack_padded_sequence(T.tensor(x), [4, 2, 2]))
    _same_packed(ours, ref)
    x = _x(4, 3)
    ours, ref = _both(lambda T: T.nn.utils.rnn.pack_padded_sequence(T.tensor(x), [4, 2, 1]))
    _same_packed(ours, ref)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side):
    seqs = [_x(3, 2), _x(1, 2), _x(0, 2), _x(4, 2)]
    grads = {}

    def run(T):
        ts = [T.tensor(s, requires_grad=True) for s in seqs]
        out = T.nn.utils.rnn.pad_sequence(ts, batch_first=batch_first, padding_value=7.0,
                                          padding_side=side)
        (out ** 2).sum().backward()
        grads[T] = [t.grad for t in ts]
        return out
    ours, ref = _both(run)
    assert tuple(ours.shape) == tuple(ref.shape)
    _close(ours, ref)
    for a, b in zip(grads[mt], grads[torch]):
        _close(a, b)


def test_pad_sequence_dtype_of_first_and_tensor_input():
    ours, ref = _both(lambda T: T.nn.utils.rnn.pad_sequence(
        [T.ones(2, 3), T.ones(3, 3, dtype=T.float64)]))
    assert str(ours.dtype) == str(ref.dtype) == "torch.float32"
    x = _x(2, 3)
    ours, ref = _both(lambda T: T.nn.utils.rnn.pad_sequence(T.tensor(x)))
    _close(ours, ref)


def test_pack_sequence_unpack_unpad():
    seqs = [_x(2, 3), _x(4, 3), _x(1, 3)]
    for enforce in (False,):
        ours, ref = _both(lambda T: T.nn.utils.rnn.pack_sequence(
            [T.tensor(s) for s in seqs], enforce_sorted=enforce))
        _same_packed(ours, ref)
        back = mt.nn.utils.rnn.unpack_sequence(ours)
        for a, s in zip(back, seqs):
            np.testing.assert_array_equal(np_of(a), s)
    sorted_seqs = sorted(seqs, key=len, reverse=True)
    ours, ref = _both(lambda T: T.nn.utils.rnn.pack_sequence([T.tensor(s) for s in sorted_seqs]))
    _same_packed(ours, ref)
    for batch_first in (False, True):
        padded = mt.nn.utils.rnn.pad_sequence([mt.tensor(s) for s in seqs], batch_first)
        parts = mt.nn.utils.rnn.unpad_sequence(padded, mt.tensor([2, 4, 1]), batch_first)
        for a, s in zip(parts, seqs):
            np.testing.assert_array_equal(np_of(a), s)


def test_packed_sequence_object():
    P = mt.nn.utils.rnn.PackedSequence
    packed = mt.nn.utils.rnn.pack_padded_sequence(mt.tensor(_x(3, 2, 2)), [3, 1],
                                                  enforce_sorted=False)
    assert isinstance(packed, tuple) and P._fields == torch.nn.utils.rnn.PackedSequence._fields
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert packed.to(mt.float64) is packed and not packed.is_cuda
    as_float = packed.float()
    assert isinstance(as_float, P) and as_float.data.dtype == mt.float32
    assert as_float.batch_sizes is batch_sizes
    assert packed.cpu() is packed
    rebuilt = P((data, batch_sizes))
    assert rebuilt.sorted_indices is None and rebuilt.data is data
    perm = mt.tensor([2, 0, 3, 1])
    inv = mt.nn.utils.rnn.invert_permutation(perm)
    assert inv.tolist() == torch.nn.utils.rnn.invert_permutation(
        torch.tensor([2, 0, 3, 1])).tolist()
    assert P(data, batch_sizes, perm).unsorted_indices.tolist() == inv.tolist()
    for T in (torch, mt):
        with pytest.raises(AssertionError):
            T.nn.utils.rnn.PackedSequence(T.ones(3))


@pytest.mark.cuda
def test_pack_on_cuda_matches_cpu():
    x = _x(4, 3, 2)
    out = []
    for device in ("cpu", "cuda"):
        xx = mt.tensor(x, device=device, requires_grad=True)
        packed = mt.nn.utils.rnn.pack_padded_sequence(xx, [2, 4, 3], enforce_sorted=False)
        assert packed.batch_sizes.device.type == "cpu"
        assert packed.sorted_indices.device.type == device
        padded, _ = mt.nn.utils.rnn.pad_packed_sequence(packed, batch_first=True)
        padded.sum().backward()
        out.append((np_of(padded), np_of(xx.grad)))
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b)


# ------------------------------------------------------------------ errors
_SORTED_MSG = "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True"


@pytest.mark.parametrize("lengths, exc, match", [
    ([1, 3, 2], RuntimeError, _SORTED_MSG),
    ([3, 0, 0], RuntimeError, "Length of all samples has to be greater than 0"),
    ([3, 2], RuntimeError, "Expected `len(lengths)` to be equal to batch_size, but got 2"),
    ([[3, 2, 1]], RuntimeError, "'lengths' argument should be a 1D CPU int64 tensor"),
])
def test_pack_padded_errors(lengths, exc, match):
    x = _x(4, 3, 2)
    _raises_like(lambda T: T.nn.utils.rnn.pack_padded_sequence(T.tensor(x), lengths), exc,
                 match)


def test_pack_errors_empty_and_too_long():
    _raises_like(lambda T: T.nn.utils.rnn.pack_padded_sequence(T.zeros(3, 0, 2), []),
                 RuntimeError, "Cannot pack empty tensors.")
    # PyTorch reads past the end of the input here; we refuse.
    with pytest.raises(RuntimeError, match="at most the padded sequence length"):
        mt.nn.utils.rnn.pack_padded_sequence(mt.zeros(4, 3, 2), [5, 3, 1])


def test_pad_errors():
    packed = lambda T: T.nn.utils.rnn.pack_padded_sequence(T.zeros(4, 2, 1), [4, 2])  # noqa
    _raises_like(lambda T: T.nn.utils.rnn.pad_packed_sequence(packed(T), total_length=3),
                 ValueError, "but got total_length=3 and max sequence length being 4")
    _raises_like(lambda T: T.nn.utils.rnn.pad_sequence([T.ones(2)], padding_side="up"),
                 RuntimeError, "Expected padding_side to be one of left or right, but got up.")
    _raises_like(lambda T: T.nn.utils.rnn.pad_sequence([]), RuntimeError,
                 "received an empty list of sequences")
    _raises_like(lambda T: T.nn.utils.rnn.pad_sequence(5), RuntimeError,
                 "Expected iterable for input sequences")
    _raises_like(lambda T: T.nn.utils.rnn.pad_sequence([T.ones(2, 3), T.ones(3, 4)]),
                 RuntimeError, "must match")
    _raises_like(lambda T: T.nn.utils.rnn.pad_sequence([T.tensor(1.0), T.ones(3)]),
                 RuntimeError, "")


# ------------------------------------------------------------------ recurrent layers
_CASES = [("LSTM", dict(num_layers=2, bidirectional=True)), ("LSTM", dict(proj_size=2)),
          ("GRU", dict(bidirectional=True)), ("GRU", dict(num_layers=2, batch_first=True)),
          ("RNN", dict(nonlinearity="relu", bidirectional=True)), ("RNN", dict(bias=False))]


@pytest.mark.parametrize("name, kw", _CASES)
@pytest.mark.parametrize("lengths, enforce_sorted", [([2, 5, 3], False), ([5, 3, 3], True)])
@pytest.mark.parametrize("with_hx", [False, True])
def test_recurrent_layers_on_packed_input(name, kw, lengths, enforce_sorted, with_hx):
    batch_first = kw.get("batch_first", False)
    batch, steps = len(lengths), max(lengths)
    x = _x(batch, steps, 4) if batch_first else _x(steps, batch, 4)
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h_size = kw.get("proj_size") or 3
    hx = (_x(layers, batch, h_size), _x(layers, batch, 3))
    torch.manual_seed(0)
    ref_mod = getattr(torch.nn, name)(4, 3, **kw).double()
    our_mod = getattr(mt.nn, name)(4, 3, **kw).double()
    our_mod.load_state_dict(to_mt_state(ref_mod))

    def run(T, mod):
        R = T.nn.utils.rnn
        xx = T.tensor(x, requires_grad=True)
        h = [T.tensor(a, requires_grad=True) for a in hx]
        state = None
        if with_hx:
            state = (h[0], h[1]) if name == "LSTM" else h[0]
        packed = R.pack_padded_sequence(xx, lengths, batch_first=batch_first,
                                        enforce_sorted=enforce_sorted)
        out, final = mod(packed, state)
        assert isinstance(out, R.PackedSequence)
        padded, _ = R.pad_packed_sequence(out, batch_first=batch_first)
        finals = list(final) if isinstance(final, tuple) else [final]
        loss = (padded * padded.sin()).sum() + sum((f ** 3).sum() for f in finals)
        loss.backward()
        grads = [xx.grad] + ([h[0].grad] if with_hx else [])
        return [padded] + finals + grads + [p.grad for p in mod.parameters()]
    ours, ref = run(mt, our_mod), run(torch, ref_mod)
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b)


def test_packed_output_fields_match_torch():
    torch.manual_seed(0)
    ref_mod = torch.nn.GRU(2, 3).double()
    our_mod = mt.nn.GRU(2, 3).double()
    our_mod.load_state_dict(to_mt_state(ref_mod))
    x = _x(4, 3, 2)
    ours = our_mod(mt.nn.utils.rnn.pack_padded_sequence(mt.tensor(x), [1, 4, 2],
                                                        enforce_sorted=False))[0]
    ref = ref_mod(torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), [1, 4, 2],
                                                          enforce_sorted=False))[0]
    _same_packed(ours, ref)


def test_packed_input_errors():
    def call(T, hx_batch=2, features=4, dtype="float64", kind="LSTM"):
        mod = getattr(T.nn, kind)(4, 3).double()
        x = T.zeros(3, 2, features, dtype=getattr(T, dtype))
        packed = T.nn.utils.rnn.pack_padded_sequence(x, [3, 1])
        hx = T.zeros(1, hx_batch, 3, dtype=T.float64)
        return mod(packed, (hx, hx) if kind == "LSTM" else hx)
    _raises_like(lambda T: call(T, hx_batch=3), RuntimeError,
                 "Expected hidden[0] size (1, 2, 3), got [1, 3, 3]")
    _raises_like(lambda T: call(T, features=5), RuntimeError,
                 "input.size(-1) must be equal to input_size. Expected 4, got 5")
    _raises_like(lambda T: call(T, dtype="float32", kind="GRU"), ValueError,
                 "RNN input dtype (torch.float32) does not match weight dtype")


@pytest.mark.cuda
def test_lstm_on_packed_cuda_matches_cpu():
    x = _x(4, 3, 2)
    results = []
    for device in ("cpu", "cuda"):
        mt.manual_seed(0)
        mod = mt.nn.LSTM(2, 3, bidirectional=True).double().to(device)
        xx = mt.tensor(x, device=device, requires_grad=True)
        packed = mt.nn.utils.rnn.pack_padded_sequence(xx, [2, 4, 3], enforce_sorted=False)
        out, (h, c) = mod(packed)
        padded, _ = mt.nn.utils.rnn.pad_packed_sequence(out)
        (padded.sum() + h.sum() + c.sum()).backward()
        results.append([np_of(padded), np_of(h), np_of(c), np_of(xx.grad)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10)
