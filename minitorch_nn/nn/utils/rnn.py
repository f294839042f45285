"""Variable-length sequences for the recurrent layers (`torch.nn.utils.rnn`).

A PackedSequence stores a batch of sequences time step by time step, leaving out padding:
`data` holds, for t = 0, 1, ..., the rows of the sequences still running at step t (sorted by
decreasing length), and `batch_sizes[t]` (an int64 CPU tensor) says how many there are.
`sorted_indices` / `unsorted_indices` map between the caller's batch order and the sorted one
(None when the caller's batch was already sorted, enforce_sorted=True).

    seqs = [torch.randn(4, 2), torch.randn(2, 2), torch.randn(3, 2)]
    padded = pad_sequence(seqs)                           # (4, 3, 2), zero padded
    packed = pack_padded_sequence(padded, [4, 2, 3], enforce_sorted=False)
    out, h_n = nn.GRU(2, 5)(packed)                        # out is a PackedSequence
    out, lengths = pad_packed_sequence(out)                # (4, 3, 5), tensor([4, 2, 3])

Packing and padding are gathers (index_select) and concatenations, so gradients flow through
them. Unlike PyTorch, a length larger than the padded sequence length is refused (PyTorch
reads past the end of the input); unpad_sequence leaves its input untransposed (PyTorch
transposes it in place when batch_first=False).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ...creation import arange, empty_like, full, tensor
from ...dtypes import float16, float32, float64, int8, int16, int32, int64, uint8
from ...ops.joining import cat, stack
from ...tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """(data, batch_sizes, sorted_indices, unsorted_indices); build it with
    pack_padded_sequence or pack_sequence, not by hand."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError(
                    "batch_sizes should always be on CPU. Instances of PackedSequence should "
                    "never be created manually. They should be instantiated by functions like "
                    "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                    "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        else:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> "PackedSequence":
        """data converted as Tensor.to; the index tensors follow data's device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        sorted_indices = _bind(self.sorted_indices, lambda t: t.to(data.device))
        unsorted_indices = _bind(self.unsorted_indices, lambda t: t.to(data.device))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cuda(self, *args, **kwargs) -> "PackedSequence":
        if self.data.to(*args, **kwargs).is_cuda:
            return self.to(*args, **kwargs)
        kwargs["device"] = "cuda"
        return self.to(*args, **kwargs)

    def cpu(self, *args, **kwargs) -> "PackedSequence":
        if self.data.to(*args, **kwargs).device.type == "cpu":
            return self.to(*args, **kwargs)
        kwargs["device"] = "cpu"
        return self.to(*args, **kwargs)

    def double(self):
        return self.to(dtype=float64)

    def float(self):
        return self.to(dtype=float32)

    def half(self):
        return self.to(dtype=float16)

    def long(self):
        return self.to(dtype=int64)

    def int(self):
        return self.to(dtype=int32)

    def short(self):
        return self.to(dtype=int16)

    def char(self):
        return self.to(dtype=int8)

    def byte(self):
        return self.to(dtype=uint8)

    @property
    def is_cuda(self) -> bool:
        """Whether data is on a CUDA device."""
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        """Pinned host memory is not modelled: False."""
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of 0..n-1 (None stays None)."""
    if permutation is None:
        return None
    output = empty_like(permutation)
    output.scatter_(0, permutation, arange(0, permutation.numel(), device=permutation.device))
    return output


# ------------------------------------------------------------------ packing
def _lengths_array(lengths) -> np.ndarray:
    """`lengths` (list or tensor) as an int64 numpy array, with PyTorch's checks."""
    if isinstance(lengths, Tensor):
        lengths = lengths.to(dtype=int64)
        if lengths.dim() != 1 or lengths.device.type != "cpu":
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                               f"{lengths.dim()}D {lengths.device} Long tensor")
        return np.asarray(lengths.numpy(), dtype=np.int64)
    arr = np.asarray(tensor(lengths, dtype=int64).numpy(), dtype=np.int64)
    if arr.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{arr.ndim}D cpu Long tensor")
    return arr


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    """batch_sizes[t] = how many (sorted) lengths exceed t."""
    steps = np.arange(int(lengths[0]) if lengths.size else 0)
    return (lengths[None, :] > steps[:, None]).sum(1).astype(np.int64)


def _check_sorted_lengths(lengths: np.ndarray, batch: int, seq_len: int) -> None:
    if lengths.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.size} (batch_size={batch})")
    if lengths.size and int(lengths.min()) <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if np.any(lengths[1:] > lengths[:-1]):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
            "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
            "pack_sequence to sidestep this requirement if you do not need ONNX exportability.")
    if lengths.size and int(lengths[0]) > seq_len:
        raise RuntimeError(f"Expected all lengths to be at most the padded sequence length "
                           f"({seq_len}), but got a length of {int(lengths[0])}")


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences with the
    given lengths; with enforce_sorted=False the batch is first sorted by decreasing length."""
    lengths = _lengths_array(lengths)
    sorted_indices = None
    batch_dim = 0 if batch_first else 1
    if not enforce_sorted:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = tensor(order, dtype=int64, device=input.device)
        input = input.index_select(batch_dim, sorted_indices)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if batch_first:
        input = input.transpose(0, 1)
    seq_len, batch = input.size(0), input.size(1)
    _check_sorted_lengths(lengths, batch, seq_len)
    batch_sizes = _batch_sizes(lengths)
    rows = np.concatenate([t * batch + np.arange(n) for t, n in enumerate(batch_sizes)])
    flat = input.reshape((seq_len * batch,) + tuple(input.shape[2:]))
    data = flat.index_select(0, tensor(rows, dtype=int64, device=input.device))
    return PackedSequence(data, tensor(batch_sizes, dtype=int64), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Inverse of pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths int64 CPU),
    in the caller's original batch order; total_length pads T further."""
    batch_sizes = np.asarray(sequence.batch_sizes.numpy(), dtype=np.int64)
    max_seq_length = int(batch_sizes.size)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_seq_length}")
        max_seq_length = total_length
    data = sequence.data
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    if batch_sizes.size and (np.any(batch_sizes[1:] > batch_sizes[:-1])
                             or int(batch_sizes.sum()) != data.size(0)):
        raise RuntimeError("pad_packed_sequence: batch_sizes do not describe data (they must "
                           "be non-increasing and sum to data.size(0))")
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)])
    index = np.full((max_seq_length, batch), data.size(0), dtype=np.int64)   # the pad row
    for t, n in enumerate(batch_sizes):
        index[t, :n] = offsets[t] + np.arange(n)
    rest = tuple(data.shape[1:])
    pad_row = full((1,) + rest, padding_value, dtype=data.dtype, device=data.device)
    source = cat([data, pad_row])
    padded = source.index_select(0, tensor(index.reshape(-1), device=data.device))
    padded = padded.reshape((max_seq_length, batch) + rest)
    if batch_first:
        padded = padded.transpose(0, 1)
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    lengths = tensor(lengths, dtype=int64)
    if sequence.unsorted_indices is not None:
        batch_dim = 0 if batch_first else 1
        padded = padded.index_select(batch_dim, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return padded, lengths


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into (max L, B, *) (or (B, max L, *)), padding each
    with padding_value on the right (or left); dtype and device of the first sequence."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    sequences = tuple(sequences)
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    if len(sequences) == 0:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    if any(s.dim() == 0 for s in sequences):
        raise RuntimeError("pad_sequence: every sequence must have at least one dimension")
    trailing = tuple(first.shape[1:])
    max_len = max(s.size(0) for s in sequences)
    rows = []
    for s in sequences:
        s = s.to(dtype=first.dtype, device=first.device)
        if tuple(s.shape[1:]) != trailing:
            s = s.expand((s.size(0),) + trailing)
        missing = max_len - s.size(0)
        if missing:
            pad = full((missing,) + trailing, padding_value, dtype=first.dtype,
                       device=first.device)
            s = cat([s, pad] if padding_side == "right" else [pad, s])
        rows.append(s)
    return stack(rows, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Inverse of pad_sequence (right padding): the list of sequences, each cut to its
    length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lengths = [int(n) for n in lengths]
    if len(lengths) != padded_sequences.size(0):
        raise ValueError(f"unpad_sequence: got {len(lengths)} lengths for a batch of "
                         f"{padded_sequences.size(0)} sequences")
    return [seq[:n].clone() for seq, n in zip(padded_sequences, lengths)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) sequences (sorted by decreasing length unless
    enforce_sorted=False)."""
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """Inverse of pack_sequence: the list of sequences, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
