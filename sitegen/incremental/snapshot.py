"""The manifest: proof, in milliseconds, that a build would change nothing,
and the page book the next incremental build starts from.

A build's output is a pure function of its inputs: the files under
`content/` and the site's `themes/`, sitegen itself (its version, its code
and built-in theme, the Markdown, Python and Jinja versions), the options
that change output (drafts, future, the resolved base URL and output folder)
and the build moment. After every successful build that wrote its output,
`Recorder` writes `.sitegen-cache/manifest.json`: the stat signature of every
input file and folder, the moment window in which the public view stays the
same, the output folder's listing as written, what the build reported (page
and file counts, warnings) and its page book (incremental/pages.py). The next build asks `replay`: when every
one of those still holds, it can only write the bytes already there, so it
prints the same summary and warnings without loading anything.

Exactness rules:

* **Listings, not just files.** Every file and folder under the input
  folders is listed, ignored names included, and compared with the record
  as a whole: anything added, removed or renamed anywhere makes a full
  build. Symlinked input folders are followed (templates load through
  them); output folders are not (a full build would replace them).
* **Signatures**: (mtime_ns, size, inode, ctime_ns). The ctime cannot be
  set back by tools such as `touch -d`, the inode changes when an editor
  saves by renaming.
* **Racily clean files** (git's rule). A file changed within one clock tick
  of being looked at can change again without its signature changing, and
  ticks are 2 s on some file systems. So the clock is read *before* looking
  (the fence), and every file touched less than `RACY_NS` before the fence
  gets a content hash in the record, which `replay` compares with the
  file's content. A replay that verified such files after its own fence
  drops the hashes of the ones now old enough, so only the first no-change
  build after a build pays for reading them.
* **Inputs are looked at before the build reads them**, outputs after they
  were written, and every output file touched during the build is read
  back and compared with the bytes the build meant to write (a hand edit in
  the same tick as sitegen's write would otherwise be invisible).
* **Time.** The public view depends on the build moment only through its
  date (partners' since/until, the footer year, the feed's fallback date)
  and through which posts are dated after it (hidden, or badged with
  --future). The record keeps the date and the latest post date at or
  before the moment and the earliest after it, drafts included; a later
  moment is covered only when its date is the same and no post date lies
  between the two moments.

The record is JSON (never pickle: a cloned repository could ship a hostile
cache); anything unreadable, foreign or from another sitegen is ignored.
This module decides nothing about what a build means; `build.py` passes in
the settings and the output folder, and prints nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Callable, Iterable, Mapping

from .cache import _fingerprint, _write_ignore_file, cache_folder
from ..errors import Problem, Severity
from ..files import NotRegularFile, open_regular
from ..render.theme import BUILTIN_THEME

RECORD_NAME = "manifest.json"
# Where a build sets the last record aside while it runs (see Recorder.start).
SET_ASIDE_NAME = "manifest.last.json"
_FORMAT = "sitegen-manifest 1"
# Files touched this close to a fence are compared by content: the coarsest
# file times (FAT's 2 s) plus room for file times lagging the system clock
# (kernels stamp files from a coarse clock; network shares from their own).
RACY_NS = 3_000_000_000
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_THEME = str(BUILTIN_THEME)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# [mtime_ns, size, inode, ctime_ns]: a list, so that JSON data compares equal.
Signature = list[int]
JsonObject = dict[str, object]


@dataclass
class Listing:
    """Every folder and every file's signature below some top folders,
    named by label ("content/posts/a.md"), plus content hashes of the racy files."""

    folders: list[str]
    files: dict[str, Signature]
    hashes: dict[str, str]

    def to_json(self) -> JsonObject:
        return {"folders": self.folders, "files": self.files, "hashes": self.hashes}


@dataclass(frozen=True)
class Replay:
    """What the last build reported, valid for this build too."""

    output: Path
    pages: int
    static_files: int
    warnings: list[Problem]
    next_change: str | None = None  # valid while the record is: the same build date
    left_out: str | None = None  # likewise (a future post's moment ends the record)


def _scan(tops: Iterable[tuple[str, str]], follow: bool, skip: frozenset[str] = frozenset()) -> Listing:
    """One os.scandir walk (no pathlib: this runs over thousands of files on
    every no-change build). `tops` are (folder, label); a missing top is
    simply absent from the listing. Raises OSError for unreadable folders."""
    folders: list[str] = []
    files: dict[str, Signature] = {}
    walked: set[tuple[int, int]] = set()
    stack: list[tuple[str, str]] = []
    for path, label in tops:
        if os.path.isdir(path):
            stack.append((path, label))
    while stack:
        path, label = stack.pop()
        folders.append(label)
        if follow:
            info = os.stat(path)
            if (info.st_dev, info.st_ino) in walked:
                continue  # a symlink back to a folder already listed
            walked.add((info.st_dev, info.st_ino))
        prefix = f"{label}/" if label else ""
        with os.scandir(path) as entries:
            for entry in entries:
                name = entry.name
                if entry.is_dir(follow_symlinks=follow):
                    if name not in skip:
                        stack.append((entry.path, prefix + name))
                    continue
                try:
                    st = entry.stat(follow_symlinks=follow)
                    size = st.st_size
                except FileNotFoundError:  # a dangling symlink
                    st = entry.stat(follow_symlinks=False)
                    size = -1
                files[prefix + name] = _signature(st, size)
    folders.sort()
    return Listing(folders, files, {})


def _signature(st: os.stat_result, size: int | None = None) -> Signature:
    return [st.st_mtime_ns, st.st_size if size is None else size, st.st_ino, st.st_ctime_ns]


def _input_tops(root: Path) -> list[tuple[str, str]]:
    tops = [
        (os.path.join(root, "content"), "content"),
        (os.path.join(root, "themes"), "themes"),
        (_PACKAGE, "<sitegen>"),  # sitegen's own code (installed: and its theme)
    ]
    if not _THEME.startswith(_PACKAGE + os.sep):
        tops.append((_THEME, "<theme>"))  # a source checkout's themes/default
    return tops


def _input_path(root: Path, label: str) -> str:
    top, _, rest = label.partition("/")
    base = {"<sitegen>": _PACKAGE, "<theme>": _THEME}.get(top) or os.path.join(root, top)
    return os.path.join(base, rest)


def _scan_output(output: Path) -> Listing:
    return _scan([(str(output), "")], follow=False)


class InputScan:
    """The site's inputs listed at most once per build: by the no-change
    check, and the same listing kept for the build's record when the check
    fails (`Recorder.start`). `fence` is the time taken just before listing."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fence = 0
        self._listing: Listing | None = None

    def listing(self, not_before: int = 0) -> Listing:
        """The inputs as listed after the time `not_before` (listed now if
        they were not); raises OSError for unreadable folders."""
        if self._listing is None or self.fence < not_before:
            fence = time.time_ns()
            self._listing = _scan(_input_tops(self.root), follow=True, skip=frozenset({"__pycache__"}))
            self.fence = fence
        return Listing(self._listing.folders, dict(self._listing.files), {})


def _is_racy(signature: Signature, fence_ns: int) -> bool:
    return max(signature[0], signature[3]) >= fence_ns - RACY_NS


def _file_hash(path: str) -> str:
    try:
        handle = open_regular(path)  # a FIFO among the inputs must not block
    except NotRegularFile:
        return "not a regular file"
    with handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def _bytes_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _microseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def moment_window(post_dates: Iterable[datetime], now: datetime) -> tuple[int | None, int | None]:
    """(latest post date at or before `now`, earliest after it), in µs since
    1970: while the build moment stays in between, every post is on the
    same side of it."""
    dates = list(post_dates)
    before = [d for d in dates if d <= now]
    after = [d for d in dates if d > now]
    return (
        _microseconds(max(before)) if before else None,
        _microseconds(min(after)) if after else None,
    )


class Recorder:
    """Follows one full build: `start` before anything is read, `finish`
    once the output was written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = cache_folder(root)
        self._inputs: Listing | None = None
        self._build_fence = 0

    def start(self, scan: InputScan) -> None:
        """Set the last record aside (a failed build must not leave one that
        a replay could trust; its page book stays true of the output folder,
        which a failed build does not touch) and list the inputs before the
        build reads them (`scan`: as the no-change check already did)."""
        try:
            os.replace(self.folder / RECORD_NAME, self.folder / SET_ASIDE_NAME)
        except FileNotFoundError:
            pass
        except OSError:
            return  # a read-only cache: no record now, none written later
        try:
            inputs = scan.listing()
            self._build_fence = scan.fence
            for label, signature in inputs.files.items():
                if _is_racy(signature, self._build_fence):
                    inputs.hashes[label] = _file_hash(_input_path(self.root, label))
        except OSError:
            return
        self._inputs = inputs

    def finish(
        self,
        output: Path,
        output_dir: str,
        settings: JsonObject,
        on: date,
        window: tuple[int | None, int | None],
        pages: Mapping[str, bytes],
        copies: Mapping[str, Path],
        marker: tuple[str, bytes],
        warnings: Iterable[Problem],
        kept: Mapping[str, str] | None = None,
        book: JsonObject | None = None,
        next_change: str | None = None,
        left_out: str | None = None,
        verified: Mapping[str, Signature] | None = None,
    ) -> None:
        """Write the record, unless the output does not hold exactly what
        this build meant to write (then the next build is a full one).
        `kept` gives the content hash of each page the build kept from the
        last output without reading it into `pages`; `book` is the build's
        page book (incremental/pages.py). `verified` gives the signatures of output files this
        build found as the last build left them (`UntouchedOutputs`) and did
        not write: when it covers most files, only the others are looked at
        again instead of listing the whole folder."""
        if self._inputs is None:
            return
        kept = kept or {}
        try:
            wanted = {*pages, *kept, *copies, marker[0]}
            listing = self._written(output, wanted, pages, kept, copies, marker, verified or {})
            if listing is None:
                return
            record: JsonObject = {
                "format": _FORMAT,
                "fingerprint": _fingerprint(),
                "settings": settings,
                "output": str(output),
                "output_dir": output_dir,
                "date": on.isoformat(),
                "window": list(window),
                "inputs": self._inputs.to_json(),
                "outputs": listing.to_json(),
                "pages": len(pages) + len(kept),
                "static_files": len(copies),
                "warnings": [[w.path, w.line, w.message] for w in warnings],
                "book": book,
                "next_change": next_change,
                "left_out": left_out,
            }
            _save(self.folder, record)
            (self.folder / SET_ASIDE_NAME).unlink(missing_ok=True)
        except OSError:
            return

    def _written(
        self,
        output: Path,
        wanted: set[str],
        pages: Mapping[str, bytes],
        kept: Mapping[str, str],
        copies: Mapping[str, Path],
        marker: tuple[str, bytes],
        verified: Mapping[str, Signature],
    ) -> Listing | None:
        """The output folder's listing, once every file touched during the
        build was read back and found to hold what the build meant to write;
        None when it does not (changed behind sitegen's back meanwhile)."""
        fence = time.time_ns()
        if len(verified) * 2 > len(wanted):
            listing = _listing_of(output, wanted, verified)
            if listing is None:
                return None
        else:
            listing = _scan_output(output)
            if set(listing.files) != wanted:
                return None
        for label, signature in listing.files.items():
            if not _is_racy(signature, self._build_fence):
                continue  # untouched since before the build: write.py compared it
            if label in verified and label in kept:
                # Its content was compared after the fence (it was racy
                # for the last record too, which kept its hash).
                if _is_racy(signature, fence):
                    listing.hashes[label] = kept[label]
                continue
            if label in pages:
                expected = _bytes_hash(pages[label])
            elif label in kept:
                expected = kept[label]
            elif label in copies:
                expected = _file_hash(str(copies[label]))
            else:
                expected = _bytes_hash(marker[1])
            if _file_hash(os.path.join(output, label)) != expected:
                return None
            if _is_racy(signature, fence):
                listing.hashes[label] = expected
        return listing


def _listing_of(output: Path, wanted: set[str], verified: Mapping[str, Signature]) -> Listing | None:
    """The output's listing as `_scan_output` would find it, given that
    the `verified` files were not touched: the others are looked at one by
    one. None when a wanted file is missing. A file someone else added is
    not listed; the next `replay` lists the folder and sees it."""
    top = str(output)
    files: dict[str, Signature] = {}
    folders = {""}
    for label in wanted:
        signature = verified.get(label)
        if signature is None:
            try:
                st = os.stat(os.path.join(top, label), follow_symlinks=False)
            except FileNotFoundError:
                return None
            signature = _signature(st)
        files[label] = signature
        folder = label.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return Listing(sorted(folders), files, {})


def _save(folder: Path, record: JsonObject) -> None:
    if folder.is_symlink():
        return  # the cache is never written through a link
    folder.mkdir(parents=True, exist_ok=True)
    _write_ignore_file(folder)
    temporary = folder / f"{RECORD_NAME}.{os.getpid()}.tmp"
    try:
        temporary.write_text(json.dumps(record, separators=(",", ":")), encoding="utf-8")
        os.replace(temporary, folder / RECORD_NAME)
    finally:
        temporary.unlink(missing_ok=True)


def read_record(root: Path) -> JsonObject | None:
    """The last build's record, if there is one in this module's format and
    written by this very sitegen. A record set aside by a build that did not
    finish is returned marked `set_aside`: never replayed, but its page
    book and output signatures still describe the output folder."""
    if cache_folder(root).is_symlink():
        return None  # nothing is read through a link
    for name in (RECORD_NAME, SET_ASIDE_NAME):
        try:
            # Never a plain open(): a FIFO in the cache would block the build forever.
            with open_regular(cache_folder(root) / name) as handle:
                record = json.load(handle)
        except FileNotFoundError:
            continue
        except (OSError, ValueError):  # not a regular file (NotRegularFile), or damaged
            return None
        if not isinstance(record, dict) or record.get("format") != _FORMAT:
            return None
        if record.get("fingerprint") != _fingerprint():
            return None
        if name == SET_ASIDE_NAME:
            record["set_aside"] = True
        return record
    return None


def replay(
    root: Path,
    settings: JsonObject,
    now: datetime,
    output_for: Callable[[str], Path | None],
    may_write: bool,
    record: JsonObject | None,
    scan: InputScan,
) -> Replay | None:
    """The last build's report if it is provably this build's too, else None.

    `record` is `read_record(root)`; `scan` lists the inputs (and keeps the
    listing for the build's record when this says no). `output_for(output_dir)` is where this
    build would write given the recorded site.yaml `output_dir` (None when
    that folder is refused). With `may_write`, a record holding racy files
    is refreshed (see the module docstring)."""
    if record is None or record.get("set_aside"):
        return None
    folder = cache_folder(root)
    try:
        return _replay(record, folder, root, settings, now, output_for, may_write, scan)
    except (OSError, KeyError, TypeError, ValueError, AttributeError):
        return None  # unreadable now, or a record not written by this module


def _replay(
    record: JsonObject,
    folder: Path,
    root: Path,
    settings: JsonObject,
    now: datetime,
    output_for: Callable[[str], Path | None],
    may_write: bool,
    scan: InputScan,
) -> Replay | None:
    if record["fingerprint"] != _fingerprint() or record["settings"] != settings:
        return None
    if now.date().isoformat() != record["date"]:
        return None
    window = record["window"]
    moment = _microseconds(now)
    if not isinstance(window, list) or len(window) != 2:
        return None
    if (window[0] is not None and moment < window[0]) or (window[1] is not None and moment >= window[1]):
        return None
    output = output_for(str(record["output_dir"]))
    if output is None or str(output) != record["output"]:
        return None
    stored_inputs, stored_outputs = _object(record["inputs"]), _object(record["outputs"])
    input_hashes, output_hashes = _hashes(stored_inputs["hashes"]), _hashes(stored_outputs["hashes"])
    # Racy files are about to be read: take the fence first, so that what is
    # verified after it may be trusted by the next build without reading.
    fence = time.time_ns() if may_write and (input_hashes or output_hashes) else None
    inputs = scan.listing(not_before=fence or 0)
    if inputs.folders != stored_inputs["folders"] or inputs.files != stored_inputs["files"]:
        return None
    outputs = _scan_output(output)
    if outputs.folders != stored_outputs["folders"] or outputs.files != stored_outputs["files"]:
        return None
    for label, digest in input_hashes.items():
        if _file_hash(_input_path(root, label)) != digest:
            return None
    for label, digest in output_hashes.items():
        if _file_hash(os.path.join(output, label)) != digest:
            return None
    if fence is not None:
        _refresh(record, folder, inputs, outputs, input_hashes, output_hashes, fence)
    warnings = record["warnings"]
    pages, static_files = record["pages"], record["static_files"]
    if not isinstance(warnings, list) or not isinstance(pages, int) or not isinstance(static_files, int):
        return None
    change = record.get("next_change")
    unpublished = record.get("left_out")
    return Replay(
        output=output,
        pages=pages,
        static_files=static_files,
        warnings=[_warning(item) for item in warnings],
        next_change=change if isinstance(change, str) else None,
        left_out=unpublished if isinstance(unpublished, str) else None,
    )


def _refresh(
    record: JsonObject,
    folder: Path,
    inputs: Listing,
    outputs: Listing,
    input_hashes: dict[str, str],
    output_hashes: dict[str, str],
    fence: int,
) -> None:
    """Drop the hashes of files now older than the fence: their content was
    verified after it, so any later change shows in their signature."""
    kept_inputs = {k: v for k, v in input_hashes.items() if _is_racy(inputs.files[k], fence)}
    kept_outputs = {k: v for k, v in output_hashes.items() if _is_racy(outputs.files[k], fence)}
    if len(kept_inputs) == len(input_hashes) and len(kept_outputs) == len(output_hashes):
        return
    inputs.hashes, outputs.hashes = kept_inputs, kept_outputs
    try:
        _save(folder, {**record, "inputs": inputs.to_json(), "outputs": outputs.to_json()})
    except OSError:
        pass  # the old record stays true; the next build reads the files again


class UntouchedOutputs:
    """For the build that wrote a record: whether an output file (by its
    path inside the output folder) is still exactly as that build left it,
    by its signature, and by its content when it was racy then. Remembers
    the signatures it verified (`verified`), for `Recorder.finish`."""

    def __init__(self, top: str, files: JsonObject, hashes: dict[str, str]) -> None:
        self.top = top
        self.files = files
        self.hashes = hashes
        self.verified: dict[str, Signature] = {}
        self._answers: dict[str, bool] = {}

    def __call__(self, label: str) -> bool:
        """Asked once per file and build: later asks get the first answer."""
        found = self._answers.get(label)
        if found is None:
            found = self._answers[label] = self._check(label)
        return found

    def _check(self, label: str) -> bool:
        signature = self.files.get(label)
        if signature is None:
            return False
        path = os.path.join(self.top, label)
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            return False
        if _signature(st) != signature:
            return False
        digest = self.hashes.get(label)
        try:
            if digest is not None and _file_hash(path) != digest:
                return False
        except OSError:
            return False
        self.verified[label] = signature
        return True


def untouched_outputs(record: JsonObject | None, output: Path) -> UntouchedOutputs | None:
    """`UntouchedOutputs` for the build that wrote `record`; None if `record`
    is not about `output`."""
    if record is None or record.get("output") != str(output):
        return None
    try:
        listing = _object(record["outputs"])
        return UntouchedOutputs(str(output), _object(listing["files"]), _hashes(listing["hashes"]))
    except (KeyError, TypeError):
        return None


def _object(value: object) -> JsonObject:
    if not isinstance(value, dict):
        raise TypeError("expected a JSON object")
    return value


def _hashes(value: object) -> dict[str, str]:
    hashes = _object(value)
    if not all(isinstance(digest, str) for digest in hashes.values()):
        raise TypeError("a content hash is text")
    return {label: str(digest) for label, digest in hashes.items()}


def _warning(item: object) -> Problem:
    if not isinstance(item, list) or len(item) != 3:
        raise TypeError("a warning is [path, line, message]")
    path, line, message = item
    if not isinstance(path, str) or not isinstance(line, int) or not isinstance(message, str):
        raise TypeError("a warning is [path, line, message]")
    return Problem(path, line, message, Severity.WARNING)
