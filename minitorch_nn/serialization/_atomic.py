"""Atomic file writes: a checkpoint file is either the old one or the complete new one.

`atomic_write(path, write)` calls `write(binary_file)` on a temporary file in the target's
folder and renames it over `path` only when `write` returned. On Linux the temporary file is
made with O_TMPFILE: it has no name until it is complete, so even a process killed with
SIGKILL leaves nothing behind. Elsewhere (or on file systems without O_TMPFILE) it is a named
`.<name>.<random>.tmp` file, removed on every exception (KeyboardInterrupt included).

The file gets the mode a plain `open(path, "wb")` would give it: the mode of the file it
replaces, or 0o666 less the process umask for a new file (not mkstemp's 0o600).
"""
from __future__ import annotations

import os
import tempfile

__all__ = ["atomic_write"]


def _umask() -> int:
    try:   # Linux: read it without changing it (os.umask is a process-wide set-and-get)
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def _target_mode(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def atomic_write(path, write) -> None:
    """Run `write(fileobj)` on a temporary file, then atomically replace `path` with it."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path)) or "."
    mode = _target_mode(path)
    if hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):
        try:
            fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o600)
        except OSError:
            fd = None   # the file system does not support O_TMPFILE: use a named file
        if fd is not None and _write_unnamed(fd, folder, path, mode, write):
            return
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _link_fd(fd: int, target: str) -> None:
    """Give the unnamed (O_TMPFILE) file `fd` the name `target`: linkat() with
    AT_SYMLINK_FOLLOW on /proc/self/fd/<fd> (os.link uses linkat only given a dir fd)."""
    proc = os.open("/proc/self/fd", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.link(str(fd), target, src_dir_fd=proc, follow_symlinks=True)
    finally:
        os.close(proc)


def _write_unnamed(fd: int, folder: str, path: str, mode: int, write) -> bool:
    """Write through the unnamed file `fd` and move it over `path`; False (nothing written
    anywhere) if the finished file cannot be given a name, so the caller can fall back."""
    tmp = None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            for _ in range(100):
                candidate = os.path.join(folder, f".{os.path.basename(path)}."
                                                 f"{os.urandom(6).hex()}.tmp")
                try:
                    _link_fd(fh.fileno(), candidate)
                except FileExistsError:
                    continue
                except OSError:
                    return False   # e.g. linkat refused: the unnamed file just vanishes
                tmp = candidate
                break
            else:
                raise FileExistsError(f"save(): could not create a temporary file in {folder}")
        os.replace(tmp, path)
        tmp = None
        return True
    except BaseException:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
