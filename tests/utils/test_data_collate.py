"""default_collate / default_convert / collate(collate_fn_map=...) against PyTorch's:
the same structure, types, dtypes and values, and the same errors for ragged batches."""
from __future__ import annotations

import collections
import re
import types

import numpy as np
import pytest

import minitorch_nn as mt
from minitorch_nn.utils import data as mdata
from minitorch_nn.utils.data import _collate

torch = pytest.importorskip("torch")
from torch.utils.data._utils import collate as tcollate  # noqa: E402

Point = collections.namedtuple("Point", "x y")
BOTH = pytest.mark.parametrize("T", [mt, torch], ids=["minitorch_nn", "torch"])


class Frozen(collections.abc.Mapping):
    """An immutable mapping type that can be rebuilt from a dict."""

    def __init__(self, d):
        self._d = dict(d)

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)


class Pair(collections.abc.Sequence):
    """An immutable sequence type whose constructor takes one list."""

    def __init__(self, items):
        self._items = list(items)

    def __getitem__(self, i):
        return self._items[i]

    def __len__(self):
        return len(self._items)


def to_py(obj):
    """Batches as comparable plain Python: tensors -> ("tensor", dtype, shape, values)."""
    if isinstance(obj, (mt.Tensor, torch.Tensor)):
        return ("tensor", str(obj.dtype).replace("torch.", ""), tuple(obj.shape), obj.tolist())
    if isinstance(obj, np.ndarray):
        return ("ndarray", str(obj.dtype), obj.tolist())
    if isinstance(obj, collections.abc.Mapping):
        return (type(obj).__name__, {k: to_py(v) for k, v in obj.items()})
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return (type(obj).__name__, [to_py(v) for v in obj])
    if isinstance(obj, (list, tuple, Pair)):
        return (type(obj).__name__, [to_py(v) for v in obj])
    return (type(obj).__name__, obj)


def samples(T):
    """(name, batch) cases built with the tensor library T."""
    return [
        ("tensors", [T.zeros(2, 3), T.ones(2, 3)]),
        ("int tensors", [T.arange(3), T.arange(3) * 2]),
        ("0-d tensors", [T.tensor(1.5), T.tensor(2.5)]),
        ("floats", [1.0, 2.5, -3.0]),
        ("ints", [1, 2, 3]),
        ("bools", [True, False]),
        ("ints then floats", [1, 2.5]),
        ("strings", ["a", "bc"]),
        ("bytes", [b"a", b"b"]),
        ("numpy str scalars", [np.str_("a"), np.str_("b")]),
        ("numpy float32 arrays", [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)]),
        ("numpy int16 arrays", [np.arange(3, dtype=np.int16), np.arange(3, dtype=np.int16)]),
        ("numpy bool arrays", [np.array([True, False]), np.array([False, False])]),
        ("numpy 0-d arrays", [np.array(1.0), np.array(2.0)]),
        ("numpy float64 scalars", [np.float64(1.5), np.float64(2.0)]),
        ("numpy float32 scalars", [np.float32(1.5), np.float32(2.0)]),
        ("numpy int32 scalars", [np.int32(1), np.int32(2)]),
        ("numpy uint8 scalars", [np.uint8(1), np.uint8(200)]),
        ("numpy bool scalars", [np.bool_(True), np.bool_(False)]),
        ("numpy float16 scalars", [np.float16(0.5), np.float16(1.5)]),
        ("dicts", [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}]),
        ("nested dicts", [{"x": {"y": np.ones(2)}, "s": "p"}, {"x": {"y": np.zeros(2)},
                                                               "s": "q"}]),
        ("ordered dicts", [collections.OrderedDict(a=1), collections.OrderedDict(a=2)]),
        ("frozen mappings", [Frozen({"a": 1}), Frozen({"a": 2})]),
        ("mapping proxies", [types.MappingProxyType({"a": 1.0}),
                             types.MappingProxyType({"a": 2.0})]),
        ("namedtuples", [Point(1, 2.0), Point(3, 4.0)]),
        ("namedtuples of arrays", [Point(np.ones(2), "a"), Point(np.zeros(2), "b")]),
        ("tuples", [(1, "a", 2.0), (2, "b", 3.0)]),
        ("lists", [[1, 2], [3, 4]]),
        ("nested lists", [[[1, 2], [3]], [[4, 5], [6]]]),
        ("custom sequences", [Pair([1, 2]), Pair([3, 4])]),
        ("tensors in tuples", [(T.zeros(2), 0), (T.ones(2), 1)]),
        ("empty tensors", [T.zeros(0, 2), T.zeros(0, 2)]),
        ("a single sample", [{"a": T.ones(1)}]),
    ]


@pytest.mark.parametrize("case", [name for name, _ in samples(mt)])
def test_default_collate_matches_pytorch(case):
    ours = dict(samples(mt))[case]
    theirs = dict(samples(torch))[case]
    assert to_py(mdata.default_collate(ours)) == to_py(tdata_collate(theirs))


def tdata_collate(batch):
    return torch.utils.data.default_collate(batch)


def convert_cases(T):
    return [
        ("int", 0), ("float", 1.5), ("string", "s"), ("tensor", T.ones(2)),
        ("numpy array", np.arange(3)), ("numpy float64 scalar", np.float64(2.5)),
        ("numpy int32 scalar", np.int32(3)), ("numpy string array", np.array(["a", "b"])),
        ("numpy object array", np.array([None, 1], dtype=object)),
        ("numpy str scalar", np.str_("x")),
        ("namedtuple", Point(np.array(0), np.array(1.0))), ("tuple", (np.ones(1), 2)),
        ("list", [np.zeros(2), "a"]), ("dict", {"k": np.ones(2), "s": [np.int64(1)]}),
        ("frozen mapping", Frozen({"a": np.ones(1)})), ("custom sequence", Pair([np.ones(1)])),
    ]


@pytest.mark.parametrize("case", [name for name, _ in convert_cases(mt)])
def test_default_convert_matches_pytorch(case):
    ours = mdata.default_convert(dict(convert_cases(mt))[case])
    theirs = torch.utils.data.default_convert(dict(convert_cases(torch))[case])
    assert to_py(ours) == to_py(theirs)


@BOTH
@pytest.mark.parametrize("batch,exc,message", [
    ([[1, 2], [3]], RuntimeError, "each element in list of batch should be of equal size"),
    ([(1, 2), (3,)], RuntimeError, "each element in list of batch should be of equal size"),
    ([{"a": [1]}, {"a": [1, 2]}], RuntimeError,
     "each element in list of batch should be of equal size"),
    ([np.zeros(2), np.zeros(3)], RuntimeError,
     "stack expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 1"),
    ([np.array(["a"]), np.array(["b"])], TypeError,
     "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
     "found <U1"),
    ([np.array([None]), np.array([None])], TypeError,
     "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
     "found object"),
    ([object(), object()], TypeError,
     "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
     "found <class 'object'>"),
    ([None, None], TypeError,
     "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
     "found <class 'NoneType'>"),
])
def test_default_collate_errors_match_pytorch(T, batch, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        T.utils.data.default_collate(batch)


@BOTH
def test_ragged_tensors_raise_the_stack_error(T):
    with pytest.raises(RuntimeError, match=re.escape(
            "stack expects each tensor to be equal size, but got [2, 2] at entry 0 and "
            "[2, 3] at entry 1")):
        T.utils.data.default_collate([T.zeros(2, 2), T.zeros(2, 3)])


def test_collate_with_a_custom_map_matches_pytorch():
    def count(batch, *, collate_fn_map):
        return len(batch)

    ours_map = {**_collate.default_collate_fn_map, complex: count}
    theirs_map = {**tcollate.default_collate_fn_map, complex: count}
    batch = [{"c": 1j, "v": 1}, {"c": 2j, "v": 2}]
    ours = _collate.collate(batch, collate_fn_map=ours_map)
    theirs = tcollate.collate(batch, collate_fn_map=theirs_map)
    assert to_py(ours) == to_py(theirs)
    # a subclass is found through isinstance, in the map's order
    assert _collate.collate([True, False], collate_fn_map={int: count}) == 2
    with pytest.raises(TypeError, match="found <class 'complex'>"):
        _collate.collate([1j], collate_fn_map=_collate.default_collate_fn_map)


def test_collated_tensors_are_new_memory():
    a, b = mt.zeros(2), mt.ones(2)
    out = mdata.default_collate([a, b])
    out.add_(5)
    assert a.tolist() == [0.0, 0.0] and b.tolist() == [1.0, 1.0]


def test_default_collate_is_the_loaders_default_and_default_convert_without_batching():
    ds = [{"a": np.float32(1.0)}, {"a": np.float32(2.0)}]
    assert mdata.DataLoader(ds, batch_size=2).collate_fn is mdata.default_collate
    loader = mdata.DataLoader(ds, batch_size=None)
    assert loader.collate_fn is mdata.default_convert
    assert to_py(list(loader)) == to_py(list(torch.utils.data.DataLoader(ds, batch_size=None)))
