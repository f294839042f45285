"""One pass over a DataLoader: the common iterator state and the in-process iterator.

Every epoch draws a base seed from the loader's generator (the default generator when it
has none), as PyTorch does, so the random streams are consumed in PyTorch's pattern whether
or not workers are used; workers seed themselves from it (see _worker.py).
"""
from __future__ import annotations

from ..._user_warning import warn_user
from ... import dtypes
from ...creation import empty
from ._fetch import create_fetcher

__all__ = ["BaseLoaderIter", "SingleProcessLoaderIter"]


def draw_base_seed(generator) -> int:
    """A non-negative int64 drawn from `generator` (the default generator when None)."""
    return int(empty((), dtype=dtypes.int64).random_(generator=generator).item())


class BaseLoaderIter:
    """What every epoch iterator holds: the dataset, how to fetch, the index stream."""

    def __init__(self, loader) -> None:
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        _warn_pin_memory(loader)
        self._pin_memory = False          # pinned host memory has no meaning here
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = draw_base_seed(loader.generator)
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0

    def _next_index(self):
        return next(self._sampler_iter)   # may raise StopIteration

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class SingleProcessLoaderIter(BaseLoaderIter):
    """num_workers=0: each batch is fetched and collated in this process, on demand."""

    def __init__(self, loader) -> None:
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        self._dataset_fetcher = create_fetcher(self._dataset_kind, self._dataset,
                                               self._auto_collation, self._collate_fn,
                                               self._drop_last)

    def _next_data(self):
        index = self._next_index()               # may raise StopIteration
        return self._dataset_fetcher.fetch(index)   # may raise StopIteration


def _warn_pin_memory(loader) -> None:
    """PyTorch's warnings for pin_memory: deprecated pin_memory_device, no accelerator."""
    if not loader.pin_memory:
        return
    if loader.pin_memory_device:
        warn_user("pin_memory_device is deprecated, the current accelerator will be used "
                  f"as the device,ignore pin_memory_device='{loader.pin_memory_device}'.")
    from ... import cuda
    if not cuda.is_available():
        warn_user("'pin_memory' argument is set as true but no accelerator is found, "
                  "then device pinned memory won't be used.")
