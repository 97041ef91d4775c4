"""Stage 6, write: put a finished build in the output folder, all or nothing.

Files are written into a staging folder beside the output and swapped in only
when every file was written, so a failed build leaves the previous output
byte-identical and stale files of the last build disappear with it. The writer
refuses output folders that would destroy the user's work: the site folder,
its content/ or themes/, any folder containing the site, the home folder, `/`,
or a non-empty folder that sitegen did not create (it keeps a marker file in
folders it owns). Every path it writes is checked to lie inside the output.
"""

from __future__ import annotations

import filecmp
import os
import secrets
import shutil
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MARKER = ".sitegen-output"
MARKER_TEXT = (
    "This folder is written by sitegen and replaced completely by each build.\n"
    "Do not keep your own files here: edit content/ and rebuild instead.\n"
)
_STAGING = ".sitegen-staging-"
_RETIRED = ".sitegen-old-"


class OutputRefused(Exception):
    """The output folder is one sitegen must never write; says why."""


@dataclass(frozen=True)
class WriteResult:
    output: Path
    files_written: int


def refusal_reason(output: Path, site_root: Path) -> str | None:
    """Why `output` must not be used as the output folder, or None if it may."""
    out = output.expanduser().resolve()
    root = site_root.resolve()
    if out == Path(out.anchor):
        return "is the root of the file system"
    if out == root:
        return "is the site folder itself"
    if root.is_relative_to(out):
        return "contains the site folder"
    home = _home()
    if home is not None and out == home:
        return "is your home folder"
    for protected in ("content", "themes", ".git"):
        # content/ or themes/ may be symlinks to a folder kept elsewhere:
        # protect both the link's path and the folder it points to.
        for folder in dict.fromkeys((root / protected, (root / protected).resolve())):
            if out == folder or out.is_relative_to(folder):
                return f"is inside the site's {protected}/ folder"
            if folder.is_relative_to(out):
                return f"contains the site's {protected}/ folder"
    if out.exists() and not out.is_dir():
        return "is a file, not a folder"
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        return (
            f"is not empty and was not created by sitegen (it has no {MARKER} file); "
            "empty it or choose another folder"
        )
    return None


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError, OSError):  # no HOME and no password entry
        return None


def _inside(folder: Path, relative: str) -> Path:
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise OutputRefused(f"refusing to write '{relative}': it is not inside the output folder")
    target = folder.joinpath(*pure.parts)
    if not target.resolve().is_relative_to(folder.resolve()):
        raise OutputRefused(f"refusing to write '{relative}': it is not inside the output folder")
    return target


def write_output(
    output: Path,
    site_root: Path,
    files: Mapping[str, bytes],
    copies: Iterable[tuple[str, Path]],
    unchanged: Collection[str] = frozenset(),
) -> WriteResult:
    """Write `files` (relative path -> bytes) and `copies` (relative path,
    source file) as the new content of `output`.

    A first build, or one that changes much, is written into a staging folder
    swapped in at the end. When sitegen's previous output is there and most
    of it stays the same, only what changed is touched: new and changed
    files are first written beside their targets, and only once all of them
    were written are they renamed into place and stale files removed, so an
    error while writing still leaves the old output as it was. `unchanged`
    names files known to have the same bytes as the current output's."""
    reason = refusal_reason(output, site_root)
    if reason is not None:
        raise OutputRefused(f"output folder {output} {reason}")
    out = output.expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    copies = sorted(copies)
    if out.is_dir() and (out / MARKER).is_file():
        plan = _update_plan(out, files, copies, unchanged)
        if plan is not None:
            return _update_in_place(out, files, copies, plan)
    return _write_fresh(out, files, copies)


@dataclass(frozen=True)
class _UpdatePlan:
    changed: tuple[str, ...]
    stale: tuple[str, ...]


def _update_plan(
    out: Path,
    files: Mapping[str, bytes],
    copies: list[tuple[str, Path]],
    unchanged: Collection[str],
) -> _UpdatePlan | None:
    """What an in-place update must write and delete, or None when most of
    the output changes (then a fresh staging folder is simpler and as fast)."""
    existing: set[str] = set()
    for directory, subdirectories, names in os.walk(out):
        relative_dir = os.path.relpath(directory, out)
        for name in names:
            existing.add(name if relative_dir == "." else f"{relative_dir}/{name}".replace(os.sep, "/"))
        for name in subdirectories:
            if os.path.islink(os.path.join(directory, name)):
                return None  # not written by sitegen: start afresh
    wanted = set(files) | {relative for relative, _ in copies} | {MARKER}
    changed: list[str] = []
    for relative in sorted(files):
        if relative in unchanged and relative in existing:
            continue
        if relative not in existing or _read(out, relative) != files[relative]:
            changed.append(relative)
    for relative, source in copies:
        if relative not in existing or not _same_file(out, relative, source):
            changed.append(relative)
    if len(changed) > max(50, len(wanted) // 2):
        return None
    return _UpdatePlan(tuple(changed), tuple(sorted(existing - wanted)))


def _update_in_place(
    out: Path, files: Mapping[str, bytes], copies: list[tuple[str, Path]], plan: _UpdatePlan
) -> WriteResult:
    sources = dict(copies)
    token = secrets.token_hex(4)
    written: list[tuple[Path, Path]] = []
    try:
        for relative in plan.changed:
            target = _inside(out, relative)
            if target.is_dir() and not target.is_symlink():
                raise _Restart()
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}{_STAGING}{token}")
            written.append((temporary, target))  # before writing: undo must see it
            if relative in files:
                temporary.write_bytes(files[relative])
            else:
                shutil.copyfile(sources[relative], temporary)
    except (OSError, _Restart):
        # Something in the way (a file where a folder must go, a full disk):
        # nothing was replaced yet, so start afresh in a staging folder.
        _undo(out, written)
        return _write_fresh(out, files, copies)
    except BaseException:
        _undo(out, written)
        raise
    for temporary, target in written:
        os.replace(temporary, target)
    for relative in plan.stale:
        _inside(out, relative).unlink(missing_ok=True)
    _remove_empty_folders(out)
    return WriteResult(out, len(plan.changed))


def _undo(out: Path, written: list[tuple[Path, Path]]) -> None:
    """Remove what an abandoned in-place update wrote (files, new folders)."""
    for temporary, _ in written:
        temporary.unlink(missing_ok=True)
    _remove_empty_folders(out)


class _Restart(Exception):
    """A file must replace a folder: leave the in-place path for a fresh one."""


def _write_fresh(
    out: Path, files: Mapping[str, bytes], copies: list[tuple[str, Path]]
) -> WriteResult:
    """Everything into a staging folder, swapped in once all was written."""
    staging = out.parent / f".{out.name}{_STAGING}{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        for relative in sorted(files):
            target = _inside(staging, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[relative])
        for relative, source in copies:
            target = _inside(staging, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WriteResult(out, len(files) + len(copies))


def _remove_empty_folders(out: Path) -> None:
    for directory, subdirectories, names in os.walk(out, topdown=False):
        if directory != str(out) and not names and not os.listdir(directory):
            os.rmdir(directory)


def _read(folder: Path, relative: str) -> bytes | None:
    try:
        return _inside(folder, relative).read_bytes()
    except (OSError, OutputRefused):
        return None


def _same_file(previous: Path, relative: str, source: Path) -> bool:
    """Is the current output's copy of a static file identical to its source?"""
    try:
        old = _inside(previous, relative)
        return old.stat().st_size == source.stat().st_size and filecmp.cmp(old, source, shallow=False)
    except (OSError, OutputRefused):
        return False


def _swap_in(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    retired = out.parent / f".{out.name}{_RETIRED}{secrets.token_hex(4)}"
    os.rename(out, retired)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(retired, out)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _remove_leftovers(out: Path) -> None:
    """Staging or retired folders of an interrupted earlier build of `out`."""
    if not out.parent.is_dir():
        return
    prefixes = (f".{out.name}{_STAGING}", f".{out.name}{_RETIRED}")
    for leftover in out.parent.iterdir():
        if leftover.name.startswith(prefixes) and leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
