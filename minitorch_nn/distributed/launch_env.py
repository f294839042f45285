"""torchrun's environment variables for processes that `mpiexec` started directly.

Scripts written for torchrun read RANK, LOCAL_RANK and WORLD_SIZE before they call
`init_process_group` (nanoGPT: `int(os.environ['RANK'])`). Under `mpiexec -n N python
train.py` they are not set; MPI's launchers set their own (MPICH's Hydra: PMI_RANK, PMI_SIZE,
MPI_LOCALRANKID, MPI_LOCALNRANKS; Open MPI: OMPI_COMM_WORLD_*). When minitorch_nn.distributed
is imported in such a process and RANK is unset, they are copied to torchrun's names, without
starting MPI. Outside an MPI launch nothing changes.
"""
from __future__ import annotations

import os

_SOURCES = {   # torchrun's name: (MPICH Hydra's, Open MPI's)
    "RANK": ("PMI_RANK", "OMPI_COMM_WORLD_RANK"),
    "WORLD_SIZE": ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"),
    "LOCAL_RANK": ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK"),
    "LOCAL_WORLD_SIZE": ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"),
}


def torchrun_env_from_mpi(environ=os.environ) -> bool:
    """Fill RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT from
    the MPI launcher's variables; True if this process was started by one."""
    if "RANK" in environ:
        return False
    found = {}
    for name, sources in _SOURCES.items():
        value = next((environ[s] for s in sources if s in environ), None)
        if value is not None:
            found[name] = value
    if "RANK" not in found or "WORLD_SIZE" not in found:
        return False
    found.setdefault("LOCAL_RANK", found["RANK"])
    found.setdefault("LOCAL_WORLD_SIZE", found["WORLD_SIZE"])
    environ.update(found)
    environ.setdefault("MASTER_ADDR", "127.0.0.1")
    environ.setdefault("MASTER_PORT", "29500")
    return True
