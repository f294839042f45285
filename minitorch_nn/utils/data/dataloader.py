"""DataLoader: iterate over a dataset in (shuffled) batches, collated into tensors.

    >>> import minitorch_nn as torch
    >>> from minitorch_nn.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(torch.arange(10.0).reshape(5, 2), torch.arange(5))
    >>> loader = DataLoader(ds, batch_size=2)
    >>> len(loader), [y.tolist() for _, y in loader]
    (3, [[0, 1], [2, 3], [4]])

The pipeline is PyTorch's: a sampler yields indices, a BatchSampler groups them, the dataset
is indexed with each and `collate_fn` (default: `default_collate`) merges the samples.
Loading runs in this process: `num_workers > 0` is accepted for compatibility and loads
in-process too (with `worker_init_fn(0)` called once per epoch), since NumPy-backed datasets
gain little from worker processes.
"""
from __future__ import annotations

import collections.abc
import copy
import re
from typing import Any, Callable, Iterable

import numpy as np

from ... import dtypes
from ...creation import as_tensor, empty, tensor
from ...random import Generator
from ...tensor import Tensor
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

_NUMPY_STRING_DTYPE = re.compile(r"[SaUO]")
_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                  "or lists; found {}")


def get_worker_info():
    """None: data loading always runs in the main process here."""
    return None


# ---------------------------------------------------------------------- collate
def default_collate(batch) -> Any:
    """Merge a list of samples into a batch, recursing into their structure.

    Tensors are stacked along a new first dimension; numpy arrays become tensors, then are
    stacked; Python floats give a float64 tensor, ints (and bools) an int64 (bool) tensor;
    strings and bytes stay a list; dicts collate per key, namedtuples per field, and other
    sequences position by position (a tuple sample gives a list, as in PyTorch).

        >>> import minitorch_nn as torch
        >>> default_collate([(torch.zeros(2), 1), (torch.ones(2), 2)])
        [tensor([[0., 0.],
                [1., 1.]]), tensor([1, 2])]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        from ...ops.joining import stack
        return stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if _NUMPY_STRING_DTYPE.search(elem.dtype.str) is not None:
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return default_collate([as_tensor(b) for b in batch])
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        return as_tensor(batch)
    if isinstance(elem, float):
        return tensor(batch, dtype=dtypes.float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: default_collate([d[key] for d in batch])
                                       for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):   # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(s) for s in zip(*batch)]   # s: a tuple, as in PyTorch
        if isinstance(elem, tuple):
            return columns
        return _rebuild_sequence(elem, columns)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data: Any) -> Any:
    """Turn numpy arrays and scalars into tensors inside `data` (no batching): the collate
    function of a DataLoader with `batch_size=None`."""
    if isinstance(data, Tensor):
        return data
    if type(data).__module__ == "numpy" and type(data).__name__ not in ("str_", "string_"):
        if isinstance(data, np.ndarray) and \
                _NUMPY_STRING_DTYPE.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(like, values: dict):
    """A mapping of `like`'s type holding `values` (a plain dict if that type refuses)."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(values)
            return clone
        return type(like)(values)
    except TypeError:
        return values


def _rebuild_sequence(like, values: list):
    """A sequence of `like`'s type holding `values` (a plain list if that type refuses)."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(like)(values)
    except TypeError:
        return values


# ---------------------------------------------------------------------- the loader
class DataLoader:
    """Batches of a dataset (`torch.utils.data.DataLoader`).

    `shuffle=True` draws a new permutation each epoch from `generator` (or from the default
    generator, so `manual_seed` makes it repeatable); `sampler` / `batch_sampler` replace the
    index order; `drop_last` drops a final short batch; `batch_size=None` disables batching.
    """

    _initialized = False

    def __init__(self, dataset: Dataset, batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context=None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError("multiprocessing_context can only be used with multi-process "
                             f"loading (num_workers > 0), but got num_workers={num_workers}")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler)
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else \
                SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._initialized = True

    def __setattr__(self, name: str, value) -> None:
        if self._initialized and name in ("batch_size", "batch_sampler", "sampler",
                                          "drop_last", "dataset", "persistent_workers"):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and
                                                  self.batch_size is not None)

    @property
    def _index_sampler(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __iter__(self) -> "_LoaderIterator":
        """A new pass over the data (for a shuffling loader, a new permutation)."""
        if self.num_workers > 0 and self.worker_init_fn is not None:
            self.worker_init_fn(0)
        # PyTorch draws a base seed for its workers at each epoch; drawing it too keeps the
        # random streams consumed in the same pattern as PyTorch's.
        _draw_seed(self.generator)
        batches = self._iterate_stream() if self._iterable else self._iterate_map()
        return _LoaderIterator(self, batches)

    def _iterate_map(self):
        dataset, collate = self.dataset, self.collate_fn
        fast = getattr(dataset, "_collated_batch", None) if collate is default_collate \
            else None
        if self.batch_sampler is None:
            for index in self.sampler:
                yield collate(dataset[index])
            return
        getitems = getattr(dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            batch = fast(list(indices)) if fast is not None else None
            if batch is None:
                if callable(getitems):
                    batch = collate(getitems(list(indices)))
                else:
                    batch = collate([dataset[i] for i in indices])
            yield batch

    def _iterate_stream(self):
        collate = self.collate_fn
        it = iter(self.dataset)
        if self.batch_size is None:
            for item in it:
                yield collate(item)
            return
        while True:
            items = []
            for item in it:
                items.append(item)
                if len(items) == self.batch_size:
                    break
            if not items or (self.drop_last and len(items) < self.batch_size):
                return
            yield collate(items)
            if len(items) < self.batch_size:
                return

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else \
                    -(-length // self.batch_size)
            return length
        return len(self._index_sampler)


class _LoaderIterator:
    """One epoch of a DataLoader: `next()` gives the next batch, `len()` the loader's length."""

    def __init__(self, loader: DataLoader, batches) -> None:
        self._loader = loader
        self._batches = batches

    def __iter__(self) -> "_LoaderIterator":
        return self

    def __next__(self):
        return next(self._batches)

    def __len__(self) -> int:
        return len(self._loader)


def _draw_seed(generator: Generator | None) -> int:
    """A 62-bit seed drawn from `generator` (the default generator when None)."""
    return int(empty((), dtype=dtypes.int64).random_(2 ** 62, generator=generator).item())


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    """PyTorch's checks on the multiprocessing arguments (same errors)."""
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         "disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set "
                         "prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


def _check_iterable_options(shuffle, sampler, batch_sampler) -> None:
    """An IterableDataset has its own order: shuffle and samplers make no sense for it."""
    if shuffle not in (False, None):
        raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                         f"option, but got shuffle={shuffle}")
    if sampler is not None:
        raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                         f"option, but got sampler={sampler}")
    if batch_sampler is not None:
        raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler "
                         f"option, but got batch_sampler={batch_sampler}")
