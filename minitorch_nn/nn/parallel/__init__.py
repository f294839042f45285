"""Multi-device training wrappers (`torch.nn.parallel`): DataParallel on one device, and
DistributedDataParallel across processes.

See data_parallel.py: the module runs on the CPU, or on the one GPU named by device_ids;
several GPUs raise NotImplementedError. distributed.py: gradients averaged across the ranks
of a `minitorch_nn.distributed` process group (buckets.py, reducer.py).
"""
from __future__ import annotations

from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "data_parallel", "DistributedDataParallel"]
