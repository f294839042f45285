"""Process groups: `init_process_group`, the default (WORLD) group, `new_group`, ranks.

A `ProcessGroup` is an MPI communicator plus the global ranks it holds. The processes are
started by MPI (`mpiexec -n N python train.py`, or `python -m minitorch_nn.distributed.run`,
torchrun's command line on top of mpiexec), so MPI already knows every rank: `init_method`,
`MASTER_ADDR`/`MASTER_PORT` and stores are accepted and not needed; a `world_size` or `rank`
that disagrees with how MPI started the job is an error, never a hang.
Backends: "mpi" and "gloo" (PyTorch's CPU backend name; served by MPI here) for CPU
tensors, "nccl" for GPU tensors (CuPy's NCCL, nccl_backend.py), and PyTorch's per-device
forms ("cpu:gloo,cuda:nccl"): each group maps a device type to its backend, and a tensor on
a device type the group has no backend for is PyTorch's error.
"""
from __future__ import annotations

import os
import sys
import time

from . import nccl_backend
from .mpi_backend import mpi

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")
_BACKENDS = ("gloo", "mpi", "nccl", "ucc", "xccl")


class ProcessGroup:
    """A set of ranks that run collectives together: an MPI communicator (CPU tensors, and
    the NCCL id's way to every rank), plus one NCCL communicator per GPU for GPU tensors."""

    def __init__(self, comm, ranks: list[int], backend: str, name: str, device_backends=None):
        self.comm = comm            # None on a rank that is not a member
        self.ranks = list(ranks)    # global ranks, in group-rank order
        self.backend = backend      # as get_backend() says it: "gloo", "cpu:gloo,cuda:nccl"
        self.device_backends = device_backends or {}   # {"cpu": "gloo", "cuda": "nccl"}
        self.nccl_comms: dict = {}  # GPU index -> NCCL communicator (made on first use)
        self.group_name = name

    def rank(self) -> int:
        return self.comm.Get_rank() if self.comm is not None else -1

    def size(self) -> int:
        return len(self.ranks)

    def name(self) -> str:
        return self.backend

    def group_rank(self, global_rank: int) -> int:
        """The rank inside this group of global rank `global_rank` (ValueError if absent)."""
        try:
            return self.ranks.index(global_rank)
        except ValueError:
            raise ValueError(f"Global rank {global_rank} is not part of group "
                             f"{self}") from None

    def label(self, device_type: str | None = None) -> str:
        """How PyTorch's messages name the backend of a device type (default: the CPU's,
        else the group's only one): ProcessGroupGloo, ProcessGroupMPI, ProcessGroupNCCL."""
        if device_type is None:
            device_type = "cpu" if "cpu" in self.device_backends else "cuda"
        return {"gloo": "ProcessGroupGloo", "mpi": "ProcessGroupMPI",
                "nccl": "ProcessGroupNCCL"}.get(self.device_backends.get(device_type),
                                                "ProcessGroup")

    def __repr__(self) -> str:
        return f"<ProcessGroup {self.group_name} backend={self.backend} ranks={self.ranks}>"


class GroupMember:
    """PyTorch's markers: `WORLD` (the default group once initialized) and
    `NON_GROUP_MEMBER` (what `new_group` gives a rank it does not include)."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = ProcessGroup(None, [], "none", "NON_GROUP_MEMBER")


class group:   # noqa: N801 - PyTorch's name: dist.group.WORLD
    """`dist.group.WORLD`: the default process group."""

    WORLD = None


class _State:
    default: ProcessGroup | None = None
    count = 0


_STATE = _State()


def is_available() -> bool:
    """True: minitorch_nn.distributed exists (a backend needs mpi4py: is_mpi_available)."""
    return True


def is_mpi_available() -> bool:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def is_gloo_available() -> bool:
    return is_mpi_available()   # served by MPI here


def is_nccl_available() -> bool:
    """True with a GPU, CuPy and a loadable NCCL library (nccl_backend.py)."""
    return nccl_backend.is_available()


def is_initialized() -> bool:
    return _STATE.default is not None


def init_process_group(backend=None, init_method=None, timeout=None, world_size: int = -1,
                       rank: int = -1, store=None, group_name: str = "", pg_options=None,
                       device_id=None) -> None:
    """Join the job's processes into the default group (every process calls it once)."""
    if _STATE.default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    name, device_backends = _backend_map(backend)
    comm = mpi().COMM_WORLD
    size, me = comm.Get_size(), comm.Get_rank()
    _check_matches("world_size", world_size, size)
    _check_matches("rank", rank, me)
    for var, want in (("WORLD_SIZE", size), ("RANK", me)):
        if os.environ.get(var, "").strip().lstrip("-").isdigit():
            _check_matches(f"the environment's {var}", int(os.environ[var]), want)
    pg = ProcessGroup(comm.Dup(), list(range(size)), name, group_name or "default_pg",
                      device_backends)
    _STATE.default = GroupMember.WORLD = group.WORLD = pg
    if device_id is not None and "cuda" in device_backends:   # PyTorch's eager NCCL init
        nccl_backend.communicator(pg, _cuda_index(device_id))
    if size > 1:
        _abort_job_on_uncaught_exception()
        _warn_if_threads_compete()


def _warn_if_threads_compete() -> None:
    """Several processes on one machine, each with a full thread pool, spin against each
    other (17x slower measured on 2 cores): say how to avoid it (the launcher does)."""
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    if local > 1 and "OMP_NUM_THREADS" not in os.environ:
        from .._user_warning import warn_user
        warn_user(f"{local} processes share this machine, each with a full BLAS and Numba "
                  f"thread pool: set OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "
                  f"NUMBA_NUM_THREADS=1 for mpiexec (python -m minitorch_nn.distributed.run "
                  f"does), or the threads compete for the cores", UserWarning)


def _abort_job_on_uncaught_exception() -> None:
    """An exception that ends one rank ends the whole job (MPI_Abort), as torchrun does,
    instead of leaving the other ranks waiting forever in their next collective."""
    previous = sys.excepthook
    if getattr(previous, "_minitorch_aborts", False):
        return

    def hook(kind, value, tb):
        previous(kind, value, tb)
        sys.stderr.flush()
        time.sleep(0.5)   # let mpiexec forward the traceback before the job is torn down
        mpi().COMM_WORLD.Abort(1)
    hook._minitorch_aborts = True
    sys.excepthook = hook


def _backend_map(backend) -> tuple[str, dict]:
    """(the name get_backend() gives, {device type: backend}) for what init_process_group
    or new_group was given: "gloo"/"mpi" (CPU tensors), "nccl" (GPU tensors),
    "cpu:gloo,cuda:nccl", or None (gloo, plus nccl where it is available: PyTorch's
    default). Unknown or unavailable backends are PyTorch's errors."""
    if backend is None:
        if is_nccl_available():
            return "cpu:gloo,cuda:nccl", {"cpu": "gloo", "cuda": "nccl"}
        return "gloo", {"cpu": "gloo"}
    name = str(backend).lower()
    if ":" in name:
        parts = dict(p.strip().split(":", 1) for p in name.split(","))
    else:
        parts = {"cuda": name} if name == "nccl" else {"cpu": name}
    for device_type, part in parts.items():
        _check_backend(backend, device_type, part)
    return name, parts


def _check_backend(given, device_type: str, name: str) -> None:
    if name not in _BACKENDS or device_type not in ("cpu", "cuda"):
        raise AssertionError(f"Unknown backend type {given}")
    if name == "nccl" and device_type == "cuda":
        if not is_nccl_available():
            raise RuntimeError("Distributed package doesn't have NCCL built in: the nccl "
                               "backend needs an NVIDIA GPU, CuPy and NCCL (pip install "
                               "'minitorch_nn[cuda]' nvidia-nccl-cu12)")
    elif name not in ("gloo", "mpi"):
        raise RuntimeError(f"Distributed package doesn't have {name.upper()} built in: "
                           f"minitorch_nn serves CPU tensors with MPI (backend 'gloo' or "
                           f"'mpi') and GPU tensors with NCCL ('nccl')")


def _cuda_index(device_id) -> int:
    """The GPU index of init_process_group's `device_id` (a torch.device or an int)."""
    if isinstance(device_id, int):
        return device_id
    from ..device import device
    dev = device(device_id)
    if dev.type != "cuda":
        raise ValueError(f"device_id must be a CUDA device for the nccl backend, got {dev}")
    return nccl_backend.current_device() if dev.index is None else dev.index


def _check_matches(what: str, given: int, actual: int) -> None:
    if given is not None and int(given) != -1 and int(given) != actual:
        raise ValueError(f"{what}={given}, but MPI started this process as rank "
                         f"{mpi().COMM_WORLD.Get_rank()} of {mpi().COMM_WORLD.Get_size()}: "
                         f"launch with `mpiexec -n N` or `python -m "
                         f"minitorch_nn.distributed.run --nproc-per-node N`")


def default_group() -> ProcessGroup:
    if _STATE.default is None:
        raise ValueError(_NOT_INITIALIZED)
    return _STATE.default


def resolve(group_or_none) -> ProcessGroup:
    """The group a call names (None: the default group; checks initialization)."""
    pg = default_group()
    return pg if group_or_none is None else group_or_none


def destroy_process_group(group=None) -> None:
    """Leave the default group (or free `group`); MPI itself stays up for the process."""
    if group is None or group is _STATE.default:
        if _STATE.default is None:
            raise AssertionError("Process group cannot be None")
        _free(_STATE.default)
        _STATE.default = GroupMember.WORLD = globals()["group"].WORLD = None
    else:
        _free(group)


def _free(pg: ProcessGroup) -> None:
    nccl_backend.destroy(pg)
    if pg.comm is not None:
        pg.comm.Free()
        pg.comm = None


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None):
    """A group of `ranks` (global ranks; None: all). Every process of the default group
    calls it, as in PyTorch; a process not in `ranks` gets GroupMember.NON_GROUP_MEMBER."""
    world = default_group()
    members = sorted(set(range(world.size()) if ranks is None else (int(r) for r in ranks)))
    for r in members:
        if not 0 <= r < world.size():
            raise ValueError(f"Invalid rank {r}: ranks must be in [0, {world.size()})")
    MPI = mpi()
    me = world.rank()
    sub = world.comm.Split(0 if me in members else MPI.UNDEFINED, members.index(me)
                           if me in members else 0)
    _STATE.count += 1
    if me not in members:
        return GroupMember.NON_GROUP_MEMBER
    name, device_backends = (_backend_map(backend) if backend is not None
                             else (world.backend, world.device_backends))
    return ProcessGroup(sub, members, name, str(_STATE.count), dict(device_backends))


def get_rank(group=None) -> int:
    """This process's rank in `group` (-1 if it is not a member)."""
    return resolve(group).rank()


def get_world_size(group=None) -> int:
    pg = resolve(group)
    return pg.size() if pg.comm is not None else -1


def get_backend(group=None) -> str:
    return resolve(group).backend


def get_global_rank(group, group_rank: int) -> int:
    return resolve(group).ranks[group_rank]


def get_group_rank(group, global_rank: int) -> int:
    return resolve(group).group_rank(global_rank)


def get_process_group_ranks(group) -> list[int]:
    return list(resolve(group).ranks)


def get_node_local_rank(fallback_rank=None) -> int:
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank "
                       "to allow `get_node_local_rank` to work, assuming you are not running "
                       "in a multi-device context and want the code to run locally instead.")
