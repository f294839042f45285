"""Samplers and dataset combinators against PyTorch: deterministic results equal, random
ones have the right distribution, are reproducible from a seed and consume the generators in
PyTorch's pattern (the numbers themselves differ: see docs/data.md)."""
from __future__ import annotations

import collections
import re
import typing
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.utils import data as mdata
from minitorch_nn.utils.data._iterators import draw_base_seed

torch = pytest.importorskip("torch")
BOTH = pytest.mark.parametrize("T", [mt, torch], ids=["minitorch_nn", "torch"])


def D(T):
    return T.utils.data


def gen(T, seed):
    return T.Generator().manual_seed(seed)


# ---------------------------------------------------------------------- BatchSampler
@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                                    (2, 5, False), (2, 5, True), (0, 2, False)])
def test_batch_sampler_matches_pytorch(n, batch_size, drop_last):
    ours = mdata.BatchSampler(mdata.SequentialSampler(range(n)), batch_size, drop_last)
    theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)),
                                           batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


@BOTH
@pytest.mark.parametrize("kwargs,message", [
    (dict(batch_size=0, drop_last=False), "batch_size should be a positive integer value, "
                                          "but got batch_size=0"),
    (dict(batch_size=True, drop_last=False), "batch_size=True"),
    (dict(batch_size=2.0, drop_last=False), "batch_size=2.0"),
    (dict(batch_size=2, drop_last=1), "drop_last should be a boolean value, but got "
                                      "drop_last=1"),
])
def test_batch_sampler_errors_match_pytorch(T, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        D(T).BatchSampler(range(4), **kwargs)


# ---------------------------------------------------------------------- RandomSampler
def test_random_sampler_permutes_and_is_reproducible():
    ds = range(7)
    s = mdata.RandomSampler(ds, generator=gen(mt, 1))
    first, second = list(s), list(s)
    assert sorted(first) == sorted(second) == list(ds) and first != second
    assert list(mdata.RandomSampler(ds, generator=gen(mt, 1))) == first
    assert len(s) == 7


def test_random_sampler_num_samples_and_replacement():
    s = mdata.RandomSampler(range(4), num_samples=10, generator=gen(mt, 0))
    out = list(s)
    assert len(out) == len(s) == 10
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3] and set(out[8:]) <= {0, 1, 2, 3}
    drawn = list(mdata.RandomSampler(range(3), replacement=True, num_samples=70,
                                     generator=gen(mt, 0)))
    assert len(drawn) == 70 and set(drawn) == {0, 1, 2}
    assert list(mdata.RandomSampler(range(3), num_samples=2, generator=gen(mt, 0))) != []


@BOTH
def test_random_sampler_takes_one_seed_from_the_default_generator_per_epoch(T):
    """Without a generator, an epoch draws one int64 from the default generator (PyTorch's
    consumption pattern, so other random draws stay in step)."""
    T.manual_seed(3)
    list(D(T).RandomSampler(range(5)))
    after = T.rand(2).tolist()
    T.manual_seed(3)
    T.empty((), dtype=T.int64).random_()
    assert T.rand(2).tolist() == after
    T.manual_seed(3)
    a = list(D(T).RandomSampler(range(5)))
    T.manual_seed(3)
    assert list(D(T).RandomSampler(range(5))) == a


@BOTH
@pytest.mark.parametrize("kwargs,exc,message", [
    (dict(replacement=1), TypeError, "replacement should be a boolean value, but got "
                                     "replacement=1"),
    (dict(num_samples=0), ValueError, "num_samples should be a positive integer value, but "
                                      "got num_samples=0"),
    (dict(num_samples=2.5), ValueError, "num_samples=2.5"),
])
def test_random_sampler_errors_match_pytorch(T, kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        D(T).RandomSampler(range(3), **kwargs)


@BOTH
def test_shuffled_loader_order_is_randperm_after_the_base_seed(T):
    """DataLoader(shuffle=True, generator=g): the epoch draws the workers' base seed from g,
    then the order is randperm(n, generator=g) -- in both libraries. (The permutations
    themselves differ between them: their generators are different algorithms.)"""
    loader = D(T).DataLoader(range(9), batch_size=4, shuffle=True, generator=gen(T, 7))
    order = [i for batch in loader for i in batch.tolist()]
    g = gen(T, 7)
    T.empty((), dtype=T.int64).random_(generator=g)
    assert order == T.randperm(9, generator=g).tolist()


def test_our_base_seed_draw_is_the_generators_int64_draw():
    g = gen(mt, 4)
    seed = draw_base_seed(g)
    assert seed == int(mt.empty((), dtype=mt.int64).random_(generator=gen(mt, 4)).item())
    assert 0 <= seed < 2 ** 63


# ---------------------------------------------------------------------- other samplers
def test_subset_random_sampler():
    indices = [10, 20, 30, 40]
    s = mdata.SubsetRandomSampler(indices, generator=gen(mt, 2))
    out = list(s)
    assert sorted(out) == indices and len(s) == 4
    assert list(mdata.SubsetRandomSampler(indices, generator=gen(mt, 2))) == out


def test_weighted_random_sampler_distribution_and_zero_weights():
    weights = [0.0, 1.0, 3.0, 0.0]
    drawn = np.array(list(mdata.WeightedRandomSampler(weights, 4000, generator=gen(mt, 0))))
    assert set(drawn.tolist()) == {1, 2}
    assert abs((drawn == 2).mean() - 0.75) < 0.04
    no_repeat = list(mdata.WeightedRandomSampler([1, 1, 1, 5], 4, replacement=False,
                                                 generator=gen(mt, 0)))
    assert sorted(no_repeat) == [0, 1, 2, 3]
    s = mdata.WeightedRandomSampler([1, 2], 5, generator=gen(mt, 9))
    assert list(s) == list(mdata.WeightedRandomSampler([1, 2], 5, generator=gen(mt, 9)))
    assert len(s) == 5 and s.weights.dtype is mt.float64


@BOTH
@pytest.mark.parametrize("args,kwargs,exc,message", [
    (([1.0, 2.0], 0), {}, ValueError, "num_samples should be a positive integer value, but "
                                      "got num_samples=0"),
    (([1.0, 2.0], True), {}, ValueError, "num_samples=True"),
    (([1.0, 2.0], 2), dict(replacement=0), ValueError, "replacement should be a boolean "
                                                       "value, but got replacement=0"),
    (([[1.0, 2.0]], 2), {}, ValueError, "weights should be a 1d sequence but given weights "
                                        "have shape (1, 2)"),
])
def test_weighted_random_sampler_errors_match_pytorch(T, args, kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        D(T).WeightedRandomSampler(*args, **kwargs)


@BOTH
def test_weighted_sampler_without_replacement_asking_too_many_fails_on_iteration(T):
    s = D(T).WeightedRandomSampler([1.0, 1.0], 3, replacement=False)
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        list(s)


# ---------------------------------------------------------------------- datasets
@BOTH
def test_concat_dataset_indexing_and_cumulative_sizes(T):
    a, b = D(T).TensorDataset(T.arange(3)), D(T).TensorDataset(T.arange(10, 12))
    ds = a + b
    assert isinstance(ds, D(T).ConcatDataset) and ds.cumulative_sizes == [3, 5]
    assert [ds[i][0].item() for i in range(-5, 5)] == [0, 1, 2, 10, 11] * 2
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset "
                                         "length"):
        ds[-6]
    with pytest.raises(IndexError):
        ds[5]
    with pytest.warns(FutureWarning, match="`cummulative_sizes` attribute is renamed"):
        assert ds.cummulative_sizes == [3, 5]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        D(T).ConcatDataset([])


class Stream(mdata.IterableDataset):
    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_chain_dataset_and_its_errors():
    chain = Stream([1, 2]) + Stream([3])
    assert isinstance(chain, mdata.ChainDataset) and list(chain) == [1, 2, 3] and len(chain) == 3
    bad = mdata.ChainDataset([Stream([1]), mdata.TensorDataset(mt.zeros(2))])
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        len(bad)
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(bad)
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        mdata.ConcatDataset([Stream([1])])


class Batched(mdata.Dataset):
    """A dataset with __getitems__ (it tags samples read in a batch)."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return ("one", i)

    def __getitems__(self, indices):
        return [("many", i) for i in indices]


class Short(Batched):
    def __getitems__(self, indices):
        return [("many", i) for i in indices[:-1]]


def test_stack_dataset_matches_pytorch_and_reads_batches_through_getitems():
    s = mdata.StackDataset(Batched(), range(4))
    assert s[1] == (("one", 1), 1) and len(s) == 4
    assert s.__getitems__([0, 2]) == [(("many", 0), 0), (("many", 2), 2)]
    named = mdata.StackDataset(a=Batched(), b=range(4))
    assert named.__getitems__([3]) == [{"a": ("many", 3), "b": 3}]
    t = torch.utils.data.StackDataset(a=range(4), b=range(4))
    assert named.__getitems__([1])[0].keys() == t.__getitems__([1])[0].keys()
    with pytest.raises(ValueError, match=re.escape("Nested dataset's output size mismatch. "
                                                   "Expected 2, got 1")):
        mdata.StackDataset(Short(), range(4)).__getitems__([0, 1])
    loader = mdata.DataLoader(mdata.StackDataset(x=range(4), y=range(10, 14)), batch_size=2)
    assert [{k: v.tolist() for k, v in b.items()} for b in loader] == \
        [{"x": [0, 1], "y": [10, 11]}, {"x": [2, 3], "y": [12, 13]}]


@BOTH
def test_stack_dataset_errors_match_pytorch(T):
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        D(T).StackDataset(range(2), range(3))
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        D(T).StackDataset()
    with pytest.raises(ValueError, match="but both types are given"):
        D(T).StackDataset(range(2), b=range(2))


def test_subset_reads_through_getitems_and_subclasses_must_override_both():
    sub = mdata.Subset(Batched(), [3, 1])
    assert sub[0] == ("one", 3) and sub.__getitems__([0, 1]) == [("many", 3), ("many", 1)]

    class OnlyItem(mdata.Subset):
        def __getitem__(self, idx):
            return 0

    with pytest.raises(NotImplementedError, match="OnlyItem overrides __getitem__ but not "
                                                  "__getitems__"):
        OnlyItem(range(3), [0])


def test_loader_uses_an_overridden_getitem_of_a_tensor_dataset():
    class Doubled(mdata.TensorDataset):
        def __getitem__(self, i):
            (x,) = super().__getitem__(i)
            return (x * 2,)

    ds = Doubled(mt.arange(4))
    assert [b[0].tolist() for b in mdata.DataLoader(ds, batch_size=2)] == [[0, 2], [4, 6]]
    sub = mdata.Subset(ds, [3])
    assert [b[0].tolist() for b in mdata.DataLoader(sub, batch_size=2)] == [[6]]


@pytest.mark.parametrize("n,lengths", [(10, [0.5, 0.5]), (11, [0.3, 0.3, 0.4]),
                                       (7, [0.1, 0.2, 0.7]), (5, [3, 2]), (3, [1.0])])
def test_random_split_sizes_match_pytorch(n, lengths):
    ours = mdata.random_split(range(n), lengths, generator=gen(mt, 0))
    theirs = torch.utils.data.random_split(range(n), lengths, generator=gen(torch, 0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s) == list(range(n))


@BOTH
def test_random_split_warnings_and_errors_match_pytorch(T):
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        D(T).random_split(range(2), [1.0, 0.0])
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of "
                                         "the input dataset!"):
        D(T).random_split(range(3), [1, 1])
    with pytest.raises(ValueError, match="Sum of input lengths"):
        D(T).random_split(range(3), [0.5, 0.6])


def test_random_split_order_is_randperm_of_the_generator():
    parts = mdata.random_split(range(6), [4, 2], generator=gen(mt, 5))
    perm = mt.randperm(6, generator=gen(mt, 5)).tolist()
    assert [list(p) for p in parts] == [perm[:4], perm[4:]]


def test_datasets_and_samplers_are_generic_like_pytorch():
    class Pairs(mdata.Dataset[typing.Tuple[int, int]]):
        def __getitem__(self, i):
            return i, i

        def __len__(self):
            return 2

    class Evens(mdata.Sampler[int]):
        def __iter__(self):
            return iter([0])

    assert Pairs()[1] == (1, 1) and list(Evens()) == [0]
    for name in ("Dataset", "IterableDataset", "ChainDataset", "ConcatDataset", "Subset",
                 "StackDataset", "Sampler", "DataLoader"):
        getattr(torch.utils.data, name)[int]
        getattr(mdata, name)[int]
    with pytest.raises(TypeError):
        torch.utils.data.BatchSampler[int]
    with pytest.raises(TypeError):
        mdata.BatchSampler[int]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batches = [[t.tolist() for t in b] for b in mdata.DataLoader(Pairs(), batch_size=2)]
    assert batches == [[[0, 1], [0, 1]]]


def test_sequential_sampler_and_default_samplers_match_pytorch():
    for T in (mt, torch):
        loader = D(T).DataLoader(range(5), batch_size=2)
        assert type(loader.sampler).__name__ == "SequentialSampler"
        assert type(loader.batch_sampler).__name__ == "BatchSampler"
        stream = D(T).DataLoader(Stream([1]) if T is mt else TorchStream(), batch_size=2)
        assert type(stream.sampler).__name__ == "_InfiniteConstantSampler"
    assert collections.Counter(list(mdata.SequentialSampler(range(3)))) == \
        collections.Counter([0, 1, 2])


class TorchStream(torch.utils.data.IterableDataset):
    def __iter__(self):
        return iter([1])


def test_shuffled_order_and_random_split_are_pytorchs():
    """Our generator is PyTorch's CPU stream, so a seeded loader shuffles as PyTorch's does
    (values taken from torch 2.13; compared live below when torch is installed)."""
    g = mt.Generator()
    g.manual_seed(0)
    dl = mt.utils.data.DataLoader(list(range(10)), batch_size=10, shuffle=True, generator=g)
    assert [b.tolist() for b in dl] == [[3, 7, 5, 2, 0, 8, 1, 6, 9, 4]]
    assert [b.tolist() for b in dl] == [[1, 3, 2, 7, 5, 9, 0, 6, 4, 8]]
    first, _ = mt.utils.data.random_split(list(range(10)), [3, 7],
                                          generator=mt.Generator().manual_seed(1))
    assert list(first) == [5, 6, 1]
