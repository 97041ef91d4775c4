"""Opening input files without ever blocking on them.

A site folder can hold anything a file system can: a FIFO named
`content/posts/x.md` blocks `open()` until some writer comes (forever, in a
build), and reading a device such as a link to /dev/zero never ends. So
every file sitegen reads from a site is looked at with os.stat first and
opened only when it is a regular file (following symbolic links); the open
itself is non-blocking and checked again, for a file swapped in between.
Links that lead out of the site folder are refused where the site's files
are listed (`outside`): nothing outside the site is read through a link.
"""

from __future__ import annotations

import errno
import io
import os
import stat

NOT_REGULAR = "not a regular file (a FIFO, device or socket): remove it"


class NotRegularFile(OSError):
    """The path is a FIFO, device, socket or folder, so it was not opened."""

    def __init__(self, path: str) -> None:
        super().__init__(errno.EINVAL, NOT_REGULAR, path)


def is_regular(path: str | os.PathLike[str]) -> bool:
    """Whether `path` (links followed) is a regular file; False if it is missing."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _open_regular_descriptor(path: str | os.PathLike[str]) -> tuple[int, os.stat_result]:
    """A descriptor of `path` and its stat, when it is a regular file
    (looked at before opening, and checked again once opened, for a file
    swapped in between); NotRegularFile otherwise, never opening it."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise NotRegularFile(os.fspath(path))
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(os.fspath(path))
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor, info


def open_regular(path: str | os.PathLike[str]) -> io.BufferedReader:
    """`open(path, "rb")` for a regular file; raises NotRegularFile (an
    OSError) without opening anything else, and OSError as open does."""
    descriptor, _ = _open_regular_descriptor(path)
    try:
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_regular(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file, with `open_regular`'s checks, without a
    buffered file object (thousands of posts are read on every build; the
    object cost more than the reading)."""
    descriptor, info = _open_regular_descriptor(path)
    try:
        size = max(info.st_size, 0)
        first = os.read(descriptor, size + 1)  # one more: a file that grew is read to its end
        if len(first) == size:
            return first  # all its bytes, and no more there: no second read needed
        chunks = [first]
        while chunks[-1]:
            chunks.append(os.read(descriptor, 1 << 20))
        return b"".join(chunks)
    finally:
        os.close(descriptor)


OUTSIDE = "a link to {target}, outside the site folder: sitegen never reads through such a link; copy the file into the site instead"


def site_places(root: str | os.PathLike[str]) -> tuple[str, ...]:
    """Where the site's files really are: the site folder, and its content/
    and themes/ folders wherever a link puts them (a content/ that is a link
    to another checkout is the site's content)."""
    return tuple({os.path.realpath(os.path.join(root, name)) for name in ("", "content", "themes")})


def outside(path: str | os.PathLike[str], inside: tuple[str, ...]) -> str | None:
    """Where `path` really is, when a symbolic link (of the file or of a
    folder on its way) leads out of every folder of `inside` (real paths,
    see `site_places`); None when it stays inside one."""
    real = os.path.realpath(path)
    for place in inside:
        if real == place or real.startswith(place.rstrip(os.sep) + os.sep):
            return None
    return real
