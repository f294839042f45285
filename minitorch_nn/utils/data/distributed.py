"""`DistributedSampler`: each of `num_replicas` processes visits its own share of a dataset.

PyTorch's algorithm (torch/utils/data/distributed.py), so the shares equal PyTorch's: the
indices are shuffled by a generator seeded with `seed + epoch` (call `set_epoch` each epoch,
or every epoch repeats the same order), padded by repeating the first indices until they
split evenly (or cut, with `drop_last`), and rank r takes every num_replicas-th index from r.

`num_replicas` and `rank` left out are the default process group's world size and rank
(`torch.distributed`; before `init_process_group`, PyTorch's "not initialized" ValueError).

    sampler = DistributedSampler(dataset, num_replicas=4, rank=1, shuffle=True, seed=0)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for batch in DataLoader(dataset, batch_size=32, sampler=sampler):
            ...
"""
from __future__ import annotations

import math
from typing import Iterator

from ...random import Generator, randperm
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """The indices of one replica's share (see the module docstring)."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:   # the largest even split
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator:
        n = len(self.dataset)
        if self.shuffle:
            generator = Generator()
            generator.manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=generator).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """The epoch number seeds the shuffle: set it before each epoch's iteration."""
        self.epoch = epoch
