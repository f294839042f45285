"""Multi-device training wrappers (`torch.nn.parallel`): DataParallel on one device.

See data_parallel.py: the module runs on the CPU, or on the one GPU named by device_ids;
several GPUs raise NotImplementedError.
"""
from __future__ import annotations

from .data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]
