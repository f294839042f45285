"""Fetchers: turn one index (or list of indices) from the sampler into a collated batch
(`torch.utils.data._utils.fetch`). Used by the main process and by each worker."""
from __future__ import annotations

from ._collate import default_collate

__all__ = ["create_fetcher"]


class _MapDatasetFetcher:
    """Map-style: `dataset[i]` for each index (or `dataset.__getitems__(indices)`)."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last

    def fetch(self, possibly_batched_index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[possibly_batched_index])
        if self.collate_fn is default_collate:
            fast = getattr(self.dataset, "_collated_batch", None)
            batch = fast(list(possibly_batched_index)) if fast is not None else None
            if batch is not None:
                return batch
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems:
            data = getitems(possibly_batched_index)
        else:
            data = [self.dataset[idx] for idx in possibly_batched_index]
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    """Iterable-style: the next `len(indices)` items of the dataset's iterator (the indices
    themselves are placeholders); StopIteration once it is exhausted."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in possibly_batched_index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(possibly_batched_index)):
            raise StopIteration
        return self.collate_fn(data)


def create_fetcher(kind: str, dataset, auto_collation: bool, collate_fn, drop_last: bool):
    """The fetcher for a "map" or "iterable" dataset."""
    cls = _MapDatasetFetcher if kind == "map" else _IterableDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)
