"""The persistent build cache in `<site>/.sitegen-cache/`.

Holds what is expensive to recompute and cheap to verify: Markdown rendered
to HTML, keyed by a hash of its source, and compiled templates, keyed by a
hash of their source. Every entry is bound to this sitegen version, the
Markdown configuration and the Python and Jinja versions; a cache written by
anything else ("foreign"), or one that cannot be read ("corrupt"), is
discarded and rebuilt, never trusted. Deleting the folder is always safe:
`sitegen clean` does it, `--no-cache` ignores it.

The cache never holds anything that is not derived from the site's own files,
and it lives inside the site folder like `themes/`: whoever can write it can
already change the site's templates.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import marshal
import operator
import os
import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable

import jinja2

from .. import __version__
from ..content.markup import MARKDOWN_CONFIGURATION

CACHE_DIR = ".sitegen-cache"
_SCHEMA = "1"


def cache_folder(site_root: Path) -> Path:
    return site_root / CACHE_DIR


@functools.lru_cache(maxsize=1)
def _fingerprint() -> str:
    return "|".join(
        (
            _SCHEMA,
            __version__,
            _code_digest(),
            MARKDOWN_CONFIGURATION,
            sys.version.split()[0],
            jinja2.__version__,
        )
    )


def _code_digest() -> str:
    """A digest of sitegen's own Python files. Compiled templates depend on
    how the filters are defined (Jinja folds or calls them differently), and
    a development install changes code without changing the version."""
    digest = hashlib.blake2b(digest_size=12)
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package).as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class FrontMatterStore:
    """Parsed YAML of the site's files by a hash of its text (see
    `load.ParseMemo`), as one JSON file. Unreadable or foreign: empty."""

    FILE = "front-matter.json"

    def __init__(self, folder: Path) -> None:
        self.path = folder / self.FILE

    def load(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                stored = json.load(handle)
        except (OSError, ValueError):
            return {}
        if not isinstance(stored, dict) or stored.get("fingerprint") != _fingerprint():
            return {}
        entries = stored.get("entries")
        return entries if isinstance(entries, dict) else {}

    def save(self, entries: dict[str, Any]) -> None:
        """Replace the file with `entries` (the texts this build met)."""
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _write_ignore_file(self.path.parent)
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump({"fingerprint": _fingerprint(), "entries": entries}, handle, separators=(",", ":"))
            os.replace(temporary, self.path)
        except OSError:
            try:
                os.unlink(temporary)
            except OSError:
                pass


class TextFactsStore(FrontMatterStore):
    """Word counts and first paragraphs of Markdown bodies by a hash of the
    body (see markup.py), as one JSON file. Unreadable or foreign: empty;
    entries of the wrong shape are worked out again."""

    FILE = "text-facts.json"


class MarkdownStore:
    """Rendered Markdown by source hash, in one SQLite file.

    `load()` reads every entry once (a build needs most of them); `save()`
    adds new ones in one transaction. Any database error discards the file.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / "markdown.sqlite"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _write_ignore_file(self.path.parent)
        connection = sqlite3.connect(self.path, timeout=5)
        connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        connection.execute("CREATE TABLE IF NOT EXISTS html (source TEXT PRIMARY KEY, html TEXT)")
        row = connection.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        if row is None or row[0] != _fingerprint():
            # Written by another version or configuration: start over.
            connection.execute("DELETE FROM html")
            connection.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('fingerprint', ?)",
                (_fingerprint(),),
            )
            connection.commit()
        return connection

    def load(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        try:
            with self._open() as connection:
                rows = connection.execute("SELECT source, html FROM html").fetchall()
        except sqlite3.Error:
            self.discard()
            return {}
        return {key: html for key, html in rows if isinstance(key, str) and isinstance(html, str)}

    def save(self, entries: dict[str, str]) -> None:
        if not entries:
            return
        try:
            with self._open() as connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO html (source, html) VALUES (?, ?)", entries.items()
                )
                connection.commit()
        except sqlite3.Error:
            self.discard()
        except OSError:
            pass  # a read-only site folder builds fine, only slower

    def _open(self) -> _Closing:
        return _Closing(self._connect())

    def discard(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except OSError:
                pass


class _Closing:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


class TemplateBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates, so a small site does not spend most of its build
    compiling Jinja. Entries are plain `marshal` data behind a header naming
    the versions and the template source's hash (no pickle)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "templates"
        self._pending: dict[Path, bytes] = {}

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.bin"

    def _header(self, checksum: str) -> bytes:
        return f"sitegen-template|{_fingerprint()}|{checksum}\n".encode()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            data = self._path(bucket.key).read_bytes()
        except OSError:
            return
        header = self._header(bucket.checksum)
        if not data.startswith(header):
            return
        try:
            bucket.code = marshal.loads(data[len(header) :])
        except (EOFError, ValueError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        # Kept until `flush`: a failed build leaves the disk as it was.
        if bucket.code is not None:
            self._pending[self._path(bucket.key)] = self._header(bucket.checksum) + marshal.dumps(
                bucket.code
            )

    def flush(self) -> None:
        """Write what was compiled since the last flush."""
        pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_ignore_file(self.folder.parent)
            for target, data in pending.items():
                temporary = target.with_suffix(f".{os.getpid()}.tmp")
                temporary.write_bytes(data)
                os.replace(temporary, target)
        except OSError:
            pass  # a read-only site folder builds fine, only slower


def _write_ignore_file(folder: Path) -> None:
    """A .gitignore inside the cache, so it is never committed by accident."""
    marker = folder / ".gitignore"
    if not marker.exists():
        try:
            marker.write_text("# sitegen's build cache: safe to delete\n*\n", encoding="utf-8")
        except OSError:
            pass


def clean(paths: Iterable[Path]) -> list[Path]:
    """Remove these folders if present; return the ones removed."""
    import shutil

    removed = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
            removed.append(path)
    return removed


# --------------------------------------------------------------------------
# Pages of the last build, for incremental builds from the command line


# A fingerprint is the digest of the repr of a tuple of plain values: text,
# numbers, None, booleans and dates, whose reprs are complete and
# self-delimiting, so `repr` (in C, for a whole tuple at once) writes an
# unambiguous encoding. Anything else stands in that tuple as its own
# digest, a `bytes` object, which no plain value's repr resembles; the text
# hashed for each kind of digest starts differently, so digests of
# different kinds never meet. Each dataclass object and tuple is digested
# once per build, keyed by identity, so a post shown on its own page, its
# neighbours' pages and a dozen lists is read once. Tuples, lists and dicts
# keep their order (a template may iterate them, so order is part of the
# input); sets are sorted, so hash seeds do not matter.

Memo = dict[int, tuple[object, bytes]]
_PLAIN = frozenset({str, int, float, bool, type(None), date, datetime})
_NOT_TEXT = _PLAIN - {str}
_LONG = 512
_FIELDS: dict[type, tuple[str, Callable[[Any], tuple[Any, ...]]] | None] = {}


def fingerprint(value: object, memo: Memo) -> str:
    """A digest of everything `value` holds, stable across processes.

    Equal digests mean equal inputs: the public view is made of frozen
    dataclasses, tuples, text, numbers and dates, all encoded completely.
    `memo` maps id() to (object, digest) for the objects of one build:
    holding the object keeps its id from being reused by another object
    while the memo lives.
    """
    plain = _plain(value, memo)
    return (plain if type(plain) is bytes else _digest(")" + repr(plain))).hex()


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _plain(value: Any, memo: Memo) -> Any:
    """`value` itself if its repr is a complete encoding, else its digest."""
    kind = type(value)
    if kind in _PLAIN:
        if kind is str and len(value) > _LONG:
            # Long text (a post's Markdown) is hashed as it is: repr would
            # copy it with escapes first, at four times the cost.
            return _digest("'" + value)
        return value
    fields = _FIELDS[kind] if kind in _FIELDS else _fields(kind)
    if fields is not None or kind is tuple:
        # Immutable: digested once per build. Tuples too, since one tuple
        # is often shared by hundreds of pages (a list's page URLs).
        key = id(value)
        found = memo.get(key)
        if found is not None and found[0] is value:
            return found[1]
        if fields is None:
            digest = _digest("(" + repr(_plains(value, memo)))
        else:
            values = fields[1](value)
            plains = _plains(values, memo)
            if plains is values:
                # Only plain fields (a link, a sitemap entry): cheaper to
                # write out in the parent's repr than to digest. Tuples
                # never appear there otherwise, and the tag says the type.
                return (fields[0], *values)
            digest = _digest(fields[0] + repr(plains))
        memo[key] = (value, digest)
        return digest
    if kind is list:
        return _digest("[" + repr(_plains(value, memo)))
    if kind is dict:
        pairs = [part for pair in value.items() for part in pair]  # name, value, name ...
        return _digest("{" + repr(_plains(pairs, memo)))
    if isinstance(value, (set, frozenset)):
        return _digest("set" + repr(sorted(repr(_plain(item, memo)) for item in value)))
    if isinstance(value, str):  # Markup and other text types
        return _digest(f"{kind.__module__}.{kind.__qualname__}'{value}")
    # Paths, other numbers: their reprs hold the whole value.
    return _digest(f"{kind.__module__}.{kind.__qualname__}:{value!r}")


def _plains(values: tuple[Any, ...] | list[Any], memo: Memo) -> tuple[Any, ...]:
    """`values` with each value that is not plain replaced by its digest."""
    for value in values:
        kind = type(value)
        if kind not in _PLAIN or (kind is str and len(value) > _LONG):
            # Plain values inline: this runs for most fields of most objects.
            return tuple(
                [
                    v if (k := type(v)) in _NOT_TEXT or (k is str and len(v) <= _LONG) else _plain(v, memo)
                    for v in values
                ]
            )
    return values if type(values) is tuple else tuple(values)


def _fields(kind: type) -> tuple[str, Callable[[Any], tuple[Any, ...]]] | None:
    """For a dataclass type: its tag and a function returning its field
    values as a tuple; None for any other type."""
    found: tuple[str, Callable[[Any], tuple[Any, ...]]] | None = None
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind))
        getter = operator.attrgetter(*names) if len(names) > 1 else _single(names)
        found = (f"{kind.__module__}.{kind.__qualname__}", getter)
    _FIELDS[kind] = found
    return found


def _single(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """attrgetter with one name returns the value itself, not a tuple."""
    return lambda value: tuple(getattr(value, name) for name in names)


class PageStore:
    """For each page of the last successful build: the digest of what it was
    rendered from, the site attributes it read, and a hash of its bytes.

    A later build re-renders a page only when its digest changed, and
    otherwise takes the bytes from the previous output folder after checking
    them against the stored hash (a file edited by hand is rendered again).
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / "pages.sqlite"

    def load(self) -> dict[str, tuple[str, tuple[str, ...], str]]:
        if not self.path.exists():
            return {}
        try:
            with _Closing(sqlite3.connect(self.path, timeout=5)) as connection:
                row = connection.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
                if row is None or row[0] != _fingerprint():
                    return {}
                rows = connection.execute("SELECT output, digest, reads, sha FROM pages").fetchall()
        except sqlite3.Error:
            self.discard()
            return {}
        return {o: (d, tuple(r.split(",")) if r else (), s) for o, d, r, s in rows}

    def save(self, pages: dict[str, tuple[str, tuple[str, ...], str]]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _write_ignore_file(self.path.parent)
            with _Closing(sqlite3.connect(self.path, timeout=5)) as connection:
                connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                connection.execute("DROP TABLE IF EXISTS pages")
                connection.execute(
                    "CREATE TABLE pages (output TEXT PRIMARY KEY, digest TEXT, reads TEXT, sha TEXT)"
                )
                connection.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('fingerprint', ?)", (_fingerprint(),)
                )
                connection.executemany(
                    "INSERT INTO pages VALUES (?, ?, ?, ?)",
                    ((o, d, ",".join(r), s) for o, (d, r, s) in pages.items()),
                )
                connection.commit()
        except sqlite3.Error:
            self.discard()
        except OSError:
            pass

    def discard(self) -> None:
        for suffix in ("", "-journal"):
            try:
                os.unlink(f"{self.path}{suffix}")
            except OSError:
                pass


def bytes_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
