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

import os
import secrets
import shutil
from collections.abc import Iterable, Mapping
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
) -> WriteResult:
    """Write `files` (relative path -> bytes) and `copies` (relative path,
    source file) as the new content of `output`, atomically."""
    reason = refusal_reason(output, site_root)
    if reason is not None:
        raise OutputRefused(f"output folder {output} {reason}")
    out = output.expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    staging = out.parent / f".{out.name}{_STAGING}{secrets.token_hex(4)}"
    staging.mkdir()
    count = 0
    try:
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        for relative in sorted(files):
            target = _inside(staging, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[relative])
            count += 1
        for relative, source in sorted(copies):
            target = _inside(staging, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            count += 1
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WriteResult(out, count)


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
