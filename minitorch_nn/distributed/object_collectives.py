"""Collectives on picklable Python objects (PyTorch's *_object functions): metadata,
vocabularies, random seeds. mpi4py's lower-case calls pickle them for us."""
from __future__ import annotations

from .collectives import _group, _root


def all_gather_object(object_list: list, obj, group=None) -> None:
    """object_list[i] becomes rank i's `obj` (the list must have world-size entries)."""
    pg = _group(group, "all_gather_object")
    if pg is None:
        return
    _check_length(object_list, pg.size(), "object_list")
    object_list[:] = pg.comm.allgather(obj)


def broadcast_object_list(object_list: list, src=None, group=None, device=None,
                          group_src=None) -> None:
    """Every rank's object_list becomes rank src's (same length on every rank)."""
    pg = _group(group, "broadcast_object_list")
    if pg is None:
        return
    root = group_src if group_src is not None else _root(pg, 0 if src is None else src,
                                                          "broadcast")
    received = pg.comm.bcast(list(object_list) if pg.rank() == root else None, root=root)
    object_list[:] = received


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None) -> None:
    """Rank dst receives every rank's `obj` into object_gather_list."""
    pg = _group(group, "gather_object")
    if pg is None:
        return
    root = group_dst if group_dst is not None else _root(pg, 0 if dst is None else dst,
                                                          "gather")
    gathered = pg.comm.gather(obj, root=root)
    if pg.rank() == root:
        if object_gather_list is None:
            raise ValueError("Argument ``object_gather_list`` must be specified on "
                             "destination rank.")
        _check_length(object_gather_list, pg.size(), "object_gather_list")
        object_gather_list[:] = gathered


def scatter_object_list(scatter_object_output_list: list, scatter_object_input_list=None,
                        src=None, group=None, group_src=None) -> None:
    """scatter_object_output_list[0] becomes rank src's scatter_object_input_list[rank]."""
    pg = _group(group, "scatter_object_list")
    if pg is None:
        return
    if not isinstance(scatter_object_output_list, list) or not scatter_object_output_list:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size "
                         "at least 1.")
    root = group_src if group_src is not None else _root(pg, 0 if src is None else src,
                                                          "scatter")
    items = list(scatter_object_input_list) if pg.rank() == root else None
    scatter_object_output_list[0] = pg.comm.scatter(items, root=root)


def _check_length(lst, size, name) -> None:
    if not isinstance(lst, list) or len(lst) != size:
        got = len(lst) if isinstance(lst, list) else type(lst).__name__
        raise ValueError(f"Argument ``{name}`` must be a list of size {size} (the group's "
                         f"world size), got {got}")
