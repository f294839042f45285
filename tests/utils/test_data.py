"""utils.data: datasets, samplers, DataLoader and default_collate, checked against PyTorch
where the result is deterministic, and for reproducibility where it is random."""
from __future__ import annotations

import collections
import gc
import pathlib
import re
import warnings

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.utils import data as mdata

torch = pytest.importorskip("torch")
tdata = torch.utils.data

ROOT = pathlib.Path(__file__).resolve().parents[2]
BOTH = pytest.mark.parametrize("T", [mt, torch], ids=["minitorch_nn", "torch"])
Point = collections.namedtuple("Point", "x y")


def data_of(T):
    return T.utils.data


def tensor_dataset(T, n=10):
    x = T.arange(n * 3, dtype=T.float32).reshape(n, 3)
    y = T.arange(n)
    return data_of(T).TensorDataset(x, y)


def to_py(obj):
    """Nested batches as plain Python (tensors → (dtype name, shape, values))."""
    if isinstance(obj, (mt.Tensor, torch.Tensor)):
        return (str(obj.dtype).replace("torch.", ""), tuple(obj.shape), obj.tolist())
    if isinstance(obj, dict):
        return {k: to_py(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__, [to_py(v) for v in obj])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [to_py(v) for v in obj])
    return obj


# ---------------------------------------------------------------------- datasets
@BOTH
def test_tensor_dataset_indexing_and_size_mismatch(T):
    ds = tensor_dataset(T, 4)
    assert len(ds) == 4
    x, y = ds[2]
    assert x.tolist() == [6.0, 7.0, 8.0] and y.item() == 2
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        data_of(T).TensorDataset(T.zeros(3, 2), T.zeros(4))


@BOTH
def test_subset_and_concat_dataset(T):
    D = data_of(T)
    ds = tensor_dataset(T, 5)
    sub = D.Subset(ds, [4, 0, 2])
    assert len(sub) == 3 and sub[0][1].item() == 4 and sub[2][1].item() == 2
    cat = D.ConcatDataset([sub, ds])
    assert len(cat) == 8 and cat.cumulative_sizes == [3, 8]
    assert cat[3][1].item() == 0 and cat[-1][1].item() == 4
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset "
                                         "length"):
        cat[-9]
    assert len(sub + ds) == 8
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        D.ConcatDataset([])


def test_stack_dataset_matches_pytorch():
    for T in (mt, torch):
        D = data_of(T)
        a, b = tensor_dataset(T, 3), D.Subset(tensor_dataset(T, 5), [1, 2, 3])
        assert to_py(D.StackDataset(a, b)[1][1]) == to_py(b[1])
        assert list(D.StackDataset(left=a, right=b)[0]) == ["left", "right"]
        with pytest.raises(ValueError, match="Size mismatch between datasets"):
            D.StackDataset(a, tensor_dataset(T, 4))


@pytest.mark.parametrize("n,lengths", [(10, [0.3, 0.3, 0.4]), (10, [0.33, 0.33, 0.34]),
                                       (7, [0.5, 0.5]), (11, [3, 8]), (5, [1.0])])
def test_random_split_sizes_match_pytorch_and_are_disjoint(n, lengths):
    ours = mdata.random_split(range(n), lengths, generator=mt.Generator().manual_seed(1))
    theirs = tdata.random_split(range(n), lengths, generator=torch.Generator().manual_seed(1))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    seen = [i for s in ours for i in s.indices]
    assert sorted(seen) == list(range(n))          # disjoint and complete
    assert all(isinstance(s, mdata.Subset) for s in ours)


def test_random_split_is_reproducible_and_uses_the_default_generator():
    first = mdata.random_split(range(20), [10, 10], generator=mt.Generator().manual_seed(3))
    again = mdata.random_split(range(20), [10, 10], generator=mt.Generator().manual_seed(3))
    other = mdata.random_split(range(20), [10, 10], generator=mt.Generator().manual_seed(4))
    assert [s.indices for s in first] == [s.indices for s in again]
    assert [s.indices for s in first] != [s.indices for s in other]
    mt.manual_seed(5)
    a = mdata.random_split(range(20), [10, 10])
    mt.manual_seed(5)
    b = mdata.random_split(range(20), [10, 10])
    assert [s.indices for s in a] == [s.indices for s in b]


@BOTH
def test_random_split_errors(T):
    D = data_of(T)
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of "
                                         "the input dataset!"):
        D.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        D.random_split(range(10), [0.0, 1.2, -0.2])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        D.random_split(range(2), [1.0, 0.0])


# ---------------------------------------------------------------------- samplers
@BOTH
def test_batch_sampler_and_errors(T):
    D = data_of(T)
    seq = D.SequentialSampler(range(7))
    assert list(D.BatchSampler(seq, 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(D.BatchSampler(seq, 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(D.BatchSampler(seq, 3, False)) == 3 and len(D.BatchSampler(seq, 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but "
                                         "got batch_size=0"):
        D.BatchSampler(seq, 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        D.BatchSampler(seq, 2, 1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        D.RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        D.RandomSampler(range(3), replacement=1)


def test_random_samplers_are_permutations_and_reproducible():
    sampler = mdata.RandomSampler(range(12), generator=mt.Generator().manual_seed(0))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(12))
    assert first != second                        # a new permutation each epoch
    again = list(mdata.RandomSampler(range(12), generator=mt.Generator().manual_seed(0)))
    assert again == first
    mt.manual_seed(9)
    a = list(mdata.RandomSampler(range(12)))
    mt.manual_seed(9)
    assert list(mdata.RandomSampler(range(12))) == a
    drawn = list(mdata.RandomSampler(range(5), replacement=True, num_samples=70))
    assert len(drawn) == 70 and set(drawn) <= set(range(5))
    longer = list(mdata.RandomSampler(range(5), num_samples=12))
    assert len(longer) == 12 and sorted(longer[:5]) == list(range(5))
    subset = list(mdata.SubsetRandomSampler([10, 20, 30]))
    assert sorted(subset) == [10, 20, 30]
    weighted = list(mdata.WeightedRandomSampler([0.0, 1.0, 0.0], 6))
    assert weighted == [1] * 6


# ---------------------------------------------------------------------- collate
COLLATE_CASES = {
    "tensors": lambda T: [T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0])],
    "tuples": lambda T: [(T.tensor([1.0]), 1, 0.5, "a"), (T.tensor([2.0]), 2, 1.5, "b")],
    "dicts": lambda T: [{"x": T.tensor([1, 2]), "label": True},
                        {"x": T.tensor([3, 4]), "label": False}],
    "lists": lambda T: [[1, T.tensor(2.0)], [3, T.tensor(4.0)]],
    "numpy": lambda T: [np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)],
    "numpy-scalars": lambda T: [np.float32(1.5), np.float32(2.5)],
    "namedtuple": lambda T: [Point(1, T.tensor(1.0)), Point(2, T.tensor(2.0))],
    "nested": lambda T: [{"a": (1, [2.0, 3.0])}, {"a": (4, [5.0, 6.0])}],
    "bytes": lambda T: [b"ab", b"cd"],
}


@pytest.mark.parametrize("case", list(COLLATE_CASES))
def test_default_collate_matches_pytorch(case):
    ours = mdata.default_collate(COLLATE_CASES[case](mt))
    theirs = tdata.default_collate(COLLATE_CASES[case](torch))
    assert to_py(ours) == to_py(theirs)


@BOTH
def test_default_collate_errors(T):
    collate = data_of(T).default_collate
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal "
                                           "size"):
        collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy "
                                        "arrays, numbers, dicts or lists; found"):
        collate([object(), object()])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        collate([np.array(["a"]), np.array(["b"])])


def test_default_convert_matches_pytorch():
    sample = {"a": np.arange(3), "b": (np.float64(2.0), "s"), "c": [np.int64(1)]}
    assert to_py(mdata.default_convert(sample)) == to_py(tdata.default_convert(sample))


# ---------------------------------------------------------------------- DataLoader
@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (10, True),
                                                  (4, False), (11, True)])
def test_loader_batches_and_len_match_pytorch(batch_size, drop_last):
    ours = mdata.DataLoader(tensor_dataset(mt), batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(tensor_dataset(torch), batch_size=batch_size,
                              drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [to_py(b) for b in ours] == [to_py(b) for b in theirs]
    assert len(list(ours)) == len(ours)


def test_tensor_dataset_fast_path_equals_per_sample_collate():
    ds = tensor_dataset(mt, 9)
    sub = mdata.Subset(ds, [8, 1, 5, 3, 0])
    for dataset in (ds, sub):
        fast = [to_py(b) for b in mdata.DataLoader(dataset, batch_size=2)]
        slow = [to_py(b) for b in mdata.DataLoader(
            dataset, batch_size=2, collate_fn=lambda batch: mdata.default_collate(batch))]
        assert fast == slow


def test_shuffle_is_reproducible_with_manual_seed_and_generator():
    ds = tensor_dataset(mt, 20)

    def epoch(loader):
        return [y.tolist() for _, y in loader]

    mt.manual_seed(0)
    a = epoch(mdata.DataLoader(ds, batch_size=6, shuffle=True))
    mt.manual_seed(0)
    loader = mdata.DataLoader(ds, batch_size=6, shuffle=True)
    b, c = epoch(loader), epoch(loader)
    assert a == b and b != c
    assert sorted(sum(a, [])) == list(range(20)) and [len(x) for x in a] == [6, 6, 6, 2]
    g1, g2 = mt.Generator().manual_seed(7), mt.Generator().manual_seed(7)
    assert epoch(mdata.DataLoader(ds, batch_size=6, shuffle=True, generator=g1)) == \
        epoch(mdata.DataLoader(ds, batch_size=6, shuffle=True, generator=g2))
    assert epoch(mdata.DataLoader(ds, batch_size=20, shuffle=True))[0] != list(range(20))


def test_custom_collate_fn_sampler_and_batch_sampler():
    ds = tensor_dataset(mt, 6)
    loader = mdata.DataLoader(ds, batch_size=4, collate_fn=lambda batch: len(batch))
    assert list(loader) == [4, 2]
    loader = mdata.DataLoader(ds, batch_size=2, sampler=[5, 4, 3])
    assert [y.tolist() for _, y in loader] == [[5, 4], [3]]
    loader = mdata.DataLoader(ds, batch_sampler=[[0, 5], [1]])
    assert [y.tolist() for _, y in loader] == [[0, 5], [1]] and len(loader) == 2


@BOTH
def test_batch_size_none_returns_samples_converted(T):
    ds = [np.arange(2), np.arange(2, 4)]
    out = list(data_of(T).DataLoader(ds, batch_size=None))
    assert [o.tolist() for o in out] == [[0, 1], [2, 3]]
    assert all(isinstance(o, T.Tensor) for o in out)


@BOTH
def test_loader_argument_errors(T):
    D = data_of(T)
    ds = tensor_dataset(T, 4)
    cases = [
        (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with "
                                             "shuffle"),
        (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive "
                                                  "with batch_size, shuffle, sampler, and "
                                                  "drop_last"),
        (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
        (dict(num_workers=-1), "num_workers option should be non-negative"),
        (dict(timeout=-1), "timeout option should be non-negative"),
        (dict(prefetch_factor=2), "prefetch_factor option could only be specified in "
                                  "multiprocessing"),
        (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
        (dict(batch_size=0), "batch_size should be a positive integer value"),
        (dict(multiprocessing_context="spawn"), "multiprocessing_context can only be used with "
                                                "multi-process loading"),
    ]
    for kwargs, match in cases:
        with pytest.raises(ValueError, match=re.escape(match)):
            D.DataLoader(ds, **kwargs)
    loader = D.DataLoader(ds, batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                         "DataLoader is initialized"):
        loader.batch_size = 3


def test_num_workers_gives_the_same_batches_as_in_process_loading():
    """(Worker processes themselves: tests/utils/test_data_workers.py.)"""
    ds = tensor_dataset(mt, 7)
    loader = mdata.DataLoader(ds, batch_size=3, num_workers=2, timeout=30)
    plain = mdata.DataLoader(ds, batch_size=3)
    assert [to_py(b) for b in loader] == [to_py(b) for b in plain]
    assert loader.prefetch_factor == 2


class Stream(mdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (3, True), (None, False)])
def test_iterable_dataset_batches_like_pytorch(batch_size, drop_last):
    class TorchStream(tdata.IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    ours = mdata.DataLoader(Stream(7), batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(TorchStream(), batch_size=batch_size, drop_last=drop_last)
    assert [to_py(b) for b in ours] == [to_py(b) for b in theirs]
    assert len(ours) == len(theirs)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        mdata.DataLoader(Stream(3), shuffle=True)


def test_loader_iterator_protocol():
    loader = mdata.DataLoader(tensor_dataset(mt, 5), batch_size=2)
    it = iter(loader)
    assert len(it) == 3 and iter(it) is it
    x, y = next(it)
    assert x.shape == mt.Size([2, 3]) and y.dtype is mt.int64
    assert mdata.get_worker_info() is None


def test_training_loop_over_a_loader():
    """An end-to-end use: fit y = 2x + 1 with a DataLoader and SGD."""
    mt.manual_seed(0)
    x = mt.linspace(-1, 1, 64).reshape(64, 1)
    ds = mdata.TensorDataset(x, 2 * x + 1)
    w = mt.zeros(1, requires_grad=True)
    b = mt.zeros(1, requires_grad=True)
    opt = mt.optim.SGD([w, b], lr=0.2)
    for _ in range(30):
        for xb, yb in mdata.DataLoader(ds, batch_size=16, shuffle=True):
            opt.zero_grad()
            loss = ((xb * w + b - yb) * (xb * w + b - yb)).mean()
            loss.backward()
            opt.step()
    assert w.item() == pytest.approx(2.0, abs=1e-3) and b.item() == pytest.approx(1.0, abs=1e-3)


def test_docs_data_examples_run():
    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"```python\n(.*?)```", text, flags=re.S))
    assert code.strip()
    namespace = {"__name__": "__doc_example__"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(code, "docs/data.md", "exec"), namespace)
    # The example's persistent workers live as long as its loader; the namespace and the
    # functions defined in it form a cycle, so free it now rather than at some later garbage
    # collection (a later test checks that no worker process is left).
    namespace.clear()
    gc.collect()
