"""torch.distributed: process groups and collectives across processes, on MPI.

Processes are started by MPI: `mpiexec -n 4 python train.py`, or torchrun's command line
`python -m minitorch_nn.distributed.run --nproc-per-node 4 train.py` (run.py). In each,
`init_process_group("gloo")` (or "mpi") joins them; the collectives (collectives.py,
object_collectives.py) then combine CPU tensors through mpi4py (mpi_backend.py), and with
"nccl" (or "cpu:gloo,cuda:nccl") GPU tensors through CuPy's NCCL (nccl_backend.py,
gpu_collectives.py). Importing
this package does not start MPI (`init_process_group` does); in a process mpiexec started it
sets torchrun's RANK/WORLD_SIZE/LOCAL_RANK from MPI's variables (launch_env.py).
docs/distributed.md.
"""
from __future__ import annotations

from .collectives import (all_gather, all_gather_into_tensor, all_reduce, all_to_all, barrier,
                          broadcast, gather, irecv, isend, recv, reduce, reduce_scatter,
                          reduce_scatter_tensor, scatter, send)
from .mpi_backend import Work
from .object_collectives import (all_gather_object, broadcast_object_list, gather_object,
                                 scatter_object_list)
from .process_group import (GroupMember, ProcessGroup, destroy_process_group, get_backend,
                            get_global_rank, get_group_rank, get_node_local_rank,
                            get_process_group_ranks, get_rank, get_world_size, group,
                            init_process_group, is_available, is_gloo_available,
                            is_initialized, is_mpi_available, is_nccl_available, new_group)
from .launch_env import torchrun_env_from_mpi
from .reduce_op import ReduceOp

torchrun_env_from_mpi()   # under `mpiexec python train.py`: RANK, WORLD_SIZE, ... (no MPI start)

__all__ = ["init_process_group", "destroy_process_group", "is_available", "is_initialized",
           "is_mpi_available", "is_gloo_available", "is_nccl_available", "get_rank",
           "get_world_size", "get_backend", "get_global_rank", "get_group_rank",
           "get_process_group_ranks", "get_node_local_rank", "new_group", "group",
           "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_reduce", "reduce",
           "reduce_scatter", "reduce_scatter_tensor", "broadcast", "all_gather",
           "all_gather_into_tensor", "gather", "scatter", "all_to_all", "barrier", "send",
           "recv", "isend", "irecv", "all_gather_object", "broadcast_object_list",
           "gather_object", "scatter_object_list"]
