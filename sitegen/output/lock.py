"""One writer at a time: a lock held by every build that writes.

A build reads the last build's manifest and output, renders, writes the
output and records a new manifest; two builds of one site interleaving
those steps could leave pages of both. So `sitegen build` and `sitegen
clean` hold an exclusive lock on the site folder for their whole run; a
second one waits for the first, saying so once. (Two different sites
built into one output folder at once are not kept apart: the README says
not to.) The preview writes nothing and takes no lock.

The lock is `flock` on the folder itself: no lock file is created, and the
kernel releases it when the process ends however it ends (kill -9 too), so
a stale lock cannot exist. Where `flock` is missing (Windows) builds do not
lock; the README says so.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Callable, Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def locked(folder: Path, waiting: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold the exclusive lock on `folder` (see the module docstring);
    `waiting()` is called once if another process holds it."""
    descriptor = _open(folder)
    if descriptor is None:
        yield
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _open(folder: Path) -> int | None:
    """A descriptor of `folder` to lock, or None when it cannot be locked
    (no flock, or no such folder: then there is no site to build, and the
    build says so)."""
    if fcntl is None:
        return None
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
