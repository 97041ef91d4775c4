"""The journal of an in-place update, so that an interrupted one is finished
or undone by the next build, never left half done.

An in-place update (write.py) writes each new or changed file beside its
target under a temporary name, then renames them all into place, deletes
stale files and removes folders no longer needed. Before the first
temporary file it writes the journal, `.sitegen-update` in the output
folder, in the state "writing": the temporary files and the folders it is
about to make. Once every temporary file is written it rewrites the journal
as "renaming", with the stale files and unneeded folders too; when all is
done it deletes it. Each journal is written under another name and renamed
over the last, so it is always whole.

`recover` reads a journal left by a build that was killed: in "writing" it
deletes the temporary files and the new folders (the output is the last
build's, as before the update began), in "renaming" it completes the
renames and deletions (the output is the interrupted build's, every file of
which was written before any rename). Either way no temporary file stays.
Every path in a journal is relative to the output folder and is acted on
only if it lies inside it (no `..`, no folder link leading out): a journal
is read like any other input. Whatever else sits under the journal's two
names in sitegen's own output folder (a folder, a link, a FIFO) is not a
journal and is removed, never followed, so it cannot stop the next update.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

JOURNAL = ".sitegen-update"
_FORMAT = "sitegen-update 1"
_MAX_BYTES = 256 * 1024 * 1024


class Journal:
    """The journal of one in-place update of the output folder `root`."""

    def __init__(self, root: str, renames: Sequence[tuple[str, str]], made: Sequence[str]) -> None:
        self.root = root
        self.renames = [list(pair) for pair in renames]  # (temporary, target), relative
        self.made = list(made)  # folders the update makes, parents first

    def writing(self) -> None:
        self._write({"state": "writing"})

    def renaming(self, stale: Sequence[str], unwanted: Sequence[str]) -> None:
        self._write({"state": "renaming", "stale": list(stale), "unwanted": list(unwanted)})

    def done(self) -> None:
        _clear(f"{self.root}/{JOURNAL}")

    def _write(self, state: dict[str, object]) -> None:
        data = {"format": _FORMAT, **state, "renames": self.renames, "made": self.made}
        partial = f"{self.root}/{JOURNAL}.partial"
        _clear(partial)
        # A new file, never through a link someone left under that name.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
            os.replace(partial, f"{self.root}/{JOURNAL}")
        except BaseException:
            _remove(partial)  # never left behind, whatever stopped the journal
            raise


def recover(out: Path) -> bool:
    """Finish or undo the update a journal in `out` describes (see the
    module docstring); whether there was one. Raises OSError when the
    output folder cannot be changed (the build then says so)."""
    root = os.path.realpath(out)
    path = f"{root}/{JOURNAL}"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        _clear(f"{path}.partial")
        return False
    try:
        data = _read(path, info)
        if data is not None:
            _follow(data, root)
    except (OSError, ValueError, RecursionError):
        # A journal that cannot be followed (damaged, hostile, or naming
        # what cannot be renamed): its temporary files are then stale
        # files of the output, which the build's update deletes, and every
        # page is compared with what the build means to write.
        pass
    # An unreadable journal cannot say what to finish either; a folder
    # under its name is no journal and would stop every update.
    _clear(path)
    _clear(f"{path}.partial")
    return True


def _follow(data: dict[str, Any], root: str) -> None:
    """Roll the update `data` describes back or forward (see the module
    docstring), acting only on paths inside `root`."""
    inside = _Inside(root)
    renames = [(t, g) for t, g in data["renames"] if inside(t) and inside(g)]
    if data["state"] == "renaming":
        for temporary, target in renames:
            if os.path.lexists(f"{root}/{temporary}"):
                os.replace(f"{root}/{temporary}", f"{root}/{target}")
        for stale in data.get("stale", []):
            if inside(stale):
                _remove(f"{root}/{stale}")
        folders = list(data.get("unwanted", []))
    else:
        for temporary, _ in renames:
            _remove(f"{root}/{temporary}")
        folders = list(reversed(data["made"]))
    for folder in folders:
        if inside(folder):
            try:
                os.rmdir(f"{root}/{folder}")
            except OSError:
                pass  # gone, or not empty: left be


def _read(path: str, info: os.stat_result) -> dict[str, Any] | None:
    if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_BYTES:
        return None
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("format") != _FORMAT
        or data.get("state") not in ("writing", "renaming")
        or not isinstance(data.get("renames"), list)
        or not isinstance(data.get("made"), list)
        or not all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
            for pair in data["renames"]
        )
        or not all(isinstance(folder, str) for folder in data["made"])
        or not all(
            isinstance(data.get(name, []), list) and all(isinstance(p, str) for p in data.get(name, []))
            for name in ("stale", "unwanted")
        )
    ):
        return None
    return data


class _Inside:
    """Whether a relative path names something inside the output folder,
    its folders resolved (a link may not lead out)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._folders: dict[str, bool] = {}

    def __call__(self, relative: str) -> bool:
        pure = PurePosixPath(relative)
        if not relative or pure.is_absolute() or ".." in pure.parts or "\0" in relative:
            return False
        parent = str(pure.parent)
        found = self._folders.get(parent)
        if found is None:
            resolved = os.path.realpath(f"{self.root}/{parent}")
            found = self._folders[parent] = resolved == self.root or resolved.startswith(self.root + "/")
        return found


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass


def _clear(path: str) -> None:
    """Remove whatever is at `path`, one of the journal's names in sitegen's
    own output folder: a folder (never a link's target) with what it holds,
    anything else itself."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(path)
    else:
        _remove(path)
