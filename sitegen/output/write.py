"""Stage 6, write: put a finished build in the output folder, all or nothing.

A first build is written into a staging folder beside the output and renamed
into place once every file was written; later builds write their new and
changed files beside their targets and rename them into place once all were
written. Either way a failed build leaves the previous output byte-identical,
and stale files of the last build disappear. The writer refuses output
folders that would destroy the user's work: the site folder, its content/ or
themes/, any folder containing the site, the home folder, `/`, or a non-empty
folder that sitegen did not create (it keeps a marker file in folders it
owns). Every path it writes is checked to lie inside the output.
"""

from __future__ import annotations

import errno
import filecmp
import hashlib
import os
import secrets
import shutil
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from glob import escape as glob_escape
from pathlib import Path, PurePosixPath

from ..files import is_regular, open_regular
from .journal import Journal, recover

MARKER = ".sitegen-output"
MARKER_TEXT = (
    "This folder is written by sitegen and replaced completely by each build.\n"
    "Do not keep your own files here: edit content/ and rebuild instead.\n"
)
_STAGING = ".sitegen-staging-"
_RETIRED = ".sitegen-old-"
# The longest part of the output folder's name that the names of its
# staging and retired siblings repeat: with the suffix and token they stay
# well within the 255 bytes a file name may have.
_NAME_BYTES = 160


class OutputRefused(Exception):
    """The output folder is one sitegen must never write; says why."""


class SourceUnreadable(OSError):
    """A static file that cannot be read: the problem is at the source,
    not in the output folder."""

    def __init__(self, source: Path, error: OSError) -> None:
        super().__init__(error.errno, error.strerror, str(source))
        self.source = source
        self.error = error


def _sibling_prefix(out: Path, kind: str) -> str:
    """The start of the name of a staging (`kind` _STAGING) or retired
    (_RETIRED) folder beside `out`: its name, or for a long name a part of
    it and a digest of the whole, so the name fits and stays `out`'s own."""
    name = out.name
    if len(os.fsencode(name)) > _NAME_BYTES:
        digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:12]
        while len(os.fsencode(name)) > _NAME_BYTES - 13:
            name = name[:-1]
        name = f"{name}-{digest}"
    return f".{name}{kind}"


def _copy(source: Path, target: str) -> None:
    """Copy a static file (never through a FIFO or device: open_regular)."""
    try:
        reader = open_regular(source)
    except OSError as exc:
        raise SourceUnreadable(source, exc) from None
    with reader, open(target, "wb") as writer:
        shutil.copyfileobj(reader, writer, 1024 * 1024)


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


def _checked(relative: str) -> str:
    """`relative` as a normalised POSIX path that stays inside any folder.

    The check is lexical on purpose: the writer only ever writes into a
    staging folder it created itself (holding nothing but folders it made)
    or into its previous output after `_scan` found no folder symlink in it,
    so a path without `..` cannot lead outside. Resolving every target
    instead cost two `realpath` walks per file, a second on big sites.
    """
    if relative and relative[0] != "/" and relative[-1] != "/" and "//" not in relative:
        # Already normal (every page path is): no need for pathlib, which
        # costs a noticeable share of writing thousands of pages.
        parts = relative.split("/")
        if "." not in parts and ".." not in parts:
            return relative
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise OutputRefused(f"refusing to write '{relative}': it is not inside the output folder")
    return "/".join(pure.parts)


def _folders_of(paths: Iterable[str]) -> list[str]:
    """Every folder the (checked) `paths` need, parents before children."""
    folders: set[str] = set()
    for path in paths:
        cut = path.rfind("/")
        while cut > 0 and path[:cut] not in folders:
            folders.add(path[:cut])
            cut = path.rfind("/", 0, cut)
    return sorted(folders)  # "a" sorts before "a/b": parents come first


def _write_new(path: str, data: bytes) -> None:
    """Write a file with as few system calls as possible (no buffering)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


class StagedOutput:
    """A first build's staging folder, filled while pages are still rendered.

    A first build has no previous output to compare with, so every page
    will be written. Writing each page as soon as a worker returns it keeps
    the file system busy while the workers are, instead of after them.
    `write_output` finishes the folder (what is still missing, the marker)
    and swaps it in, exactly as it does for a staging folder of its own;
    a build that fails instead calls `discard`, and the output folder was
    never touched. Anything that goes wrong while filling (a path refused,
    a full disk) only stops the filling: `write_output` then starts afresh
    and reports it.
    """

    def __init__(self, output: Path, site_root: Path) -> None:
        self.out = output.expanduser().resolve()
        reason = refusal_reason(self.out, site_root)
        if reason is not None:
            raise OutputRefused(f"output folder {output} {reason}")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(self.out)
        self.path = self.out.parent / f"{_sibling_prefix(self.out, _STAGING)}{secrets.token_hex(4)}"
        self.path.mkdir()
        self._root = str(self.path)
        self.folders: set[str] = set()  # made in the staging folder
        self.written: dict[str, bytes] = {}  # by checked path
        self.broken = False  # filling stopped: write_output starts afresh
        self.used = False  # swapped in as the output


    def add(self, relative: str, data: bytes) -> None:
        """Write one page into the staging folder (once)."""
        if self.broken or relative in self.written:
            return
        try:
            path = _checked(relative)
            for folder in _folders_of([path]):
                if folder not in self.folders:
                    os.mkdir(f"{self._root}/{folder}")  # fails where a file is in the way
                    self.folders.add(folder)
            _write_new(f"{self._root}/{path}", data)
        except (OSError, OutputRefused):
            self.broken = True
            return
        self.written[path] = data

    def discard(self) -> None:
        """Remove the staging folder, unless it became the output."""
        if not self.used:
            shutil.rmtree(self.path, ignore_errors=True)
        self.broken = True


def write_output(
    output: Path,
    site_root: Path,
    files: Mapping[str, bytes],
    copies: Iterable[tuple[str, Path]],
    unchanged: Collection[str] = frozenset(),
    staged: StagedOutput | None = None,
    kept: Collection[str] = frozenset(),
) -> WriteResult:
    """Write `files` (relative path -> bytes) and `copies` (relative path,
    source file) as the new content of `output`.

    A first build is written into a staging folder renamed into place at the
    end. When sitegen's previous output is there, only what changed is
    touched, however much that is: new and changed files are first written
    beside their targets, and only once all of them were written are they
    renamed into place and stale files removed, so an error while writing
    still leaves the old output as it was. `unchanged` names files known to
    have the same bytes as the current output's. `kept` names files of this
    build that are not in `files` because the current output already holds
    their bytes (an incremental build never read them). `staged` is a
    staging folder this build already filled with (some of) `files`; it is
    used up or removed, whatever happens."""
    try:
        reason = refusal_reason(output, site_root)
        if reason is not None:
            raise OutputRefused(f"output folder {output} {reason}")
        # Every path is checked before anything is touched.
        checked = {_checked(relative): data for relative, data in files.items()}
        checked_kept = {_checked(relative) for relative in kept}
        checked_copies = sorted((_checked(relative), source) for relative, source in copies)
        out = output.expanduser().resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        keep = staged.path if staged is not None and not staged.broken and staged.out == out else None
        remove_leftovers(out, keep)
        if out.is_dir() and (out / MARKER).is_file():
            recover(out)  # an update a killed build left half done
            plan = _update_plan(out, checked, checked_copies, unchanged, checked_kept)
            if plan is not None:
                done = _update_in_place(out, checked, checked_copies, plan)
                if done is not None:
                    return done
        if checked_kept:
            # Starting afresh: the kept pages' bytes come from the old output.
            checked = {**checked, **{relative: (out / relative).read_bytes() for relative in checked_kept}}
        return _write_fresh(out, checked, checked_copies, staged if keep is not None else None)
    finally:
        if staged is not None:
            staged.discard()


@dataclass(frozen=True)
class _Scan:
    """What sitegen's previous output holds, as relative POSIX paths."""

    files: set[str]
    links: set[str]  # symbolic links among `files`: never trusted as content
    folders: set[str]


def _scan(out: Path) -> _Scan | None:
    """The files and folders in `out`, or None when a folder in it is a
    symbolic link (not written by sitegen: start afresh). One `scandir` per
    folder, whose entries already say what they are."""
    found = _Scan(set(), set(), set())
    pending = [("", str(out))]
    while pending:
        prefix, directory = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                relative = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    found.folders.add(relative)
                    pending.append((relative + "/", entry.path))
                elif entry.is_symlink():
                    if entry.is_dir():
                        return None
                    found.files.add(relative)
                    found.links.add(relative)
                else:
                    found.files.add(relative)
    return found


@dataclass(frozen=True)
class _UpdatePlan:
    changed: tuple[str, ...]
    stale: tuple[str, ...]
    existing_folders: frozenset[str]
    unwanted_folders: tuple[str, ...]  # deepest first


def _update_plan(
    out: Path,
    files: Mapping[str, bytes],
    copies: list[tuple[str, Path]],
    unchanged: Collection[str],
    kept: Collection[str] = frozenset(),
) -> _UpdatePlan | None:
    """What an in-place update must write and delete, or None when the
    output holds a folder symlink, which sitegen never writes.

    There is no share of changed files above which a fresh staging folder
    is used instead: even when every page changed, renaming new files over
    old ones keeps the thousands of folders and deletes half as many inodes
    as a swap followed by removing the old tree. Deleting is what costs on
    some file systems (ext4 without a journal scans past every recently
    deleted inode each time it creates one), where swapping measured two to
    nine times slower than updating in place.
    """
    scan = _scan(out)
    if scan is None:
        return None
    existing = scan.files
    for relative in kept:
        if relative not in existing:
            # Gone since the build checked it: there are no bytes to keep.
            raise FileNotFoundError(errno.ENOENT, "a page of the last build disappeared while building", relative)
        if relative in scan.links:
            return None  # never kept as a link: start afresh, reading through it
    wanted = set(files) | set(kept) | {relative for relative, _ in copies} | {MARKER}
    changed: list[str] = []
    for relative in sorted(files):
        if relative in scan.links or relative not in existing:
            changed.append(relative)
        elif relative not in unchanged and _read(out, relative) != files[relative]:
            changed.append(relative)
    for relative, source in copies:
        if relative in scan.links or relative not in existing or not _same_file(out, relative, source):
            changed.append(relative)
    wanted_folders = set(_folders_of(wanted))
    unwanted = sorted(scan.folders - wanted_folders, key=lambda folder: folder.count("/"), reverse=True)
    return _UpdatePlan(
        tuple(changed), tuple(sorted(existing - wanted)), frozenset(scan.folders), tuple(unwanted)
    )


def _update_in_place(
    out: Path, files: Mapping[str, bytes], copies: list[tuple[str, Path]], plan: _UpdatePlan
) -> WriteResult | None:
    """Apply `plan`; None when something is in the way (a file where a
    folder must go, a full disk) and nothing was replaced: start afresh.
    A journal (journal.py) lets the next build finish or undo an update
    that was killed half way."""
    sources = dict(copies)
    token = secrets.token_hex(4)
    root = str(out)
    renames = [(_temporary(relative, token, number), relative) for number, relative in enumerate(plan.changed)]
    new_folders = [folder for folder in _folders_of(plan.changed) if folder not in plan.existing_folders]
    journal = Journal(root, renames, new_folders)
    written: list[tuple[str, str]] = []
    made: list[str] = []  # new folders, to remove again if this update is abandoned
    try:
        journal.writing()
        for folder in new_folders:
            os.mkdir(f"{root}/{folder}")  # fails where a file is in the way
            made.append(folder)
        for temporary, relative in renames:
            if relative in plan.existing_folders:
                raise _Restart()
            written.append((f"{root}/{temporary}", f"{root}/{relative}"))  # before writing: undo must see it
            if relative in files:
                _write_new(f"{root}/{temporary}", files[relative])
            else:
                _copy(sources[relative], f"{root}/{temporary}")
        journal.renaming(plan.stale, plan.unwanted_folders)
    except SourceUnreadable:
        _undo(root, written, made)
        journal.done()
        raise
    except (OSError, _Restart):
        # Something in the way (a file where a folder must go, a full disk):
        # nothing was replaced yet, so start afresh in a staging folder.
        _undo(root, written, made)
        journal.done()
        return None
    except BaseException:
        _undo(root, written, made)
        journal.done()
        raise
    for temporary, target in written:
        os.replace(temporary, target)
    for relative in plan.stale:
        try:
            os.unlink(f"{root}/{relative}")
        except FileNotFoundError:
            pass
    for folder in plan.unwanted_folders:
        _remove_folder(f"{root}/{folder}")
    journal.done()
    return WriteResult(out, len(plan.changed))


def _temporary(relative: str, token: str, number: int) -> str:
    """Where a new file is written before it is renamed over `relative`, the
    `number`th of this update: a short name of its own in the same folder,
    whatever the length of the file's name (which may be the longest a
    file system allows)."""
    folder, _, _ = relative.rpartition("/")
    name = f"{_STAGING}{token}-{number}"
    return f"{folder}/{name}" if folder else name


def _undo(root: str, written: list[tuple[str, str]], made: list[str]) -> None:
    """Remove what an abandoned in-place update wrote (files, new folders)."""
    for temporary, _ in written:
        try:
            os.unlink(temporary)
        except OSError:
            pass  # (never written, or not removable: a stale file the next update deletes)
    for folder in reversed(made):
        _remove_folder(f"{root}/{folder}")


def _remove_folder(path: str) -> None:
    """Remove an empty folder; one that is gone or not empty is left be."""
    try:
        os.rmdir(path)
    except OSError:
        pass


class _Restart(Exception):
    """A file must replace a folder: leave the in-place path for a fresh one."""


def _write_fresh(
    out: Path, files: Mapping[str, bytes], copies: list[tuple[str, Path]], staged: StagedOutput | None = None
) -> WriteResult:
    """Everything into a staging folder, swapped in once all was written.

    Each folder is made once, parents first, and each file is written with
    one open, write and close: on a big site the writer's own overhead
    would otherwise rival the file system's. With `staged`, its folder is
    the staging folder and the pages it holds are not written again."""
    if staged is not None:
        staging, made, done = staged.path, staged.folders, staged.written
    else:
        staging, made, done = out.parent / f"{_sibling_prefix(out, _STAGING)}{secrets.token_hex(4)}", set(), {}
        staging.mkdir()
    root = str(staging)
    try:
        _write_new(f"{root}/{MARKER}", MARKER_TEXT.encode("utf-8"))
        folders = _folders_of([*files, *(relative for relative, _ in copies)])
        for folder in folders:
            if folder not in made:
                os.mkdir(f"{root}/{folder}")  # fails where a file is in the way
        for relative in sorted(files):
            if done.get(relative) is not files[relative]:
                _write_new(f"{root}/{relative}", files[relative])
        if done.keys() - files.keys():
            # Staged, then dropped from the build: not part of the output.
            for relative in done.keys() - files.keys():
                os.unlink(f"{root}/{relative}")
            for folder in sorted(set(made) - set(folders), key=lambda f: f.count("/"), reverse=True):
                _remove_folder(f"{root}/{folder}")
        for relative, source in copies:
            _copy(source, f"{root}/{relative}")
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if staged is not None:
        staged.used = True
    return WriteResult(out, len(files) + len(copies))


def _read(folder: Path, relative: str) -> bytes | None:
    try:
        with open_regular(f"{folder}/{relative}") as handle:
            return handle.read()
    except OSError:
        return None


def _same_file(previous: Path, relative: str, source: Path) -> bool:
    """Is the current output's copy of a static file identical to its source?"""
    old = f"{previous}/{relative}"
    try:
        return (
            is_regular(old)
            and is_regular(source)
            and os.stat(old).st_size == source.stat().st_size
            and filecmp.cmp(old, source, shallow=False)
        )
    except OSError:
        return False


def _swap_in(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    retired = out.parent / f"{_sibling_prefix(out, _RETIRED)}{secrets.token_hex(4)}"
    os.rename(out, retired)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(retired, out)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def restore_set_aside(out: Path) -> None:
    """After a build killed between the two renames of a swap (the last
    output set aside, the new one not yet in place): put the last one back."""
    if os.path.lexists(out) or not out.parent.is_dir():
        return
    retired = sorted(
        p for p in out.parent.glob(f"{glob_escape(_sibling_prefix(out, _RETIRED))}*")
        if p.is_dir() and not p.is_symlink() and (p / MARKER).is_file()
    )
    if retired:
        os.rename(retired[0], out)


def remove_leftovers(out: Path, keep: Path | None = None) -> None:
    """Staging or retired folders of an interrupted earlier build of `out`
    (but not `keep`, this build's own staging folder)."""
    if not out.parent.is_dir():
        return
    restore_set_aside(out)
    prefixes = (_sibling_prefix(out, _STAGING), _sibling_prefix(out, _RETIRED))
    for leftover in out.parent.iterdir():
        if leftover == keep:
            continue
        if leftover.name.startswith(prefixes) and leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
