"""DistributedSampler: each replica's indices equal PyTorch's (same shuffle stream, padding and
striding), every index is covered, and the errors are PyTorch's."""
from __future__ import annotations

import pytest

import minitorch_nn as mt
from minitorch_nn.utils.data import DistributedSampler

try:
    import torch
except ImportError:
    torch = None
requires_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

CASES = [(10, 3, True, False), (10, 3, True, True), (10, 3, False, False), (9, 3, True, False),
         (2, 5, True, False), (7, 4, False, True), (1, 1, True, False)]


@pytest.mark.parametrize("n, replicas, shuffle, drop_last", CASES)
def test_shares_cover_the_dataset_evenly(n, replicas, shuffle, drop_last):
    shares = [list(DistributedSampler(range(n), replicas, r, shuffle=shuffle,
                                      drop_last=drop_last)) for r in range(replicas)]
    assert len({len(s) for s in shares}) == 1
    assert all(len(s) == len(DistributedSampler(range(n), replicas, 0, drop_last=drop_last))
               for s in shares)
    seen = {i for s in shares for i in s}
    if drop_last:
        assert len(seen) == sum(len(s) for s in shares)   # nothing repeated
    else:
        assert seen == set(range(n))                       # everything visited


@requires_torch
@pytest.mark.parametrize("n, replicas, shuffle, drop_last", CASES)
@pytest.mark.parametrize("seed, epoch", [(0, 0), (0, 3), (42, 1)])
def test_indices_equal_pytorchs(n, replicas, shuffle, drop_last, seed, epoch):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle, seed, drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle, seed, drop_last)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


def test_set_epoch_changes_the_shuffle_and_is_repeatable():
    s = DistributedSampler(range(50), 2, 0, seed=1)
    first = list(s)
    assert list(s) == first
    s.set_epoch(1)
    assert list(s) != first


def test_works_as_a_dataloader_sampler():
    data = mt.utils.data.TensorDataset(mt.arange(12))
    sampler = DistributedSampler(data, num_replicas=2, rank=1, shuffle=False)
    loader = mt.utils.data.DataLoader(data, batch_size=3, sampler=sampler)
    assert [b[0].tolist() for b in loader] == [[1, 3, 5], [7, 9, 11]]


def test_errors_are_pytorchs():
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval "
                                         r"\[0, 2\]"):
        DistributedSampler(range(5), num_replicas=3, rank=3)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(5), num_replicas=3, rank=-1)
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(5))   # no process group: PyTorch's error
