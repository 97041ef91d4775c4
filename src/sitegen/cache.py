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
import hashlib
import marshal
import os
import sqlite3
import sys
from pathlib import Path
from typing import Iterable

import jinja2

from . import __version__
from .markup import MARKDOWN_CONFIGURATION

CACHE_DIR = ".sitegen-cache"
_SCHEMA = "1"


def cache_folder(site_root: Path) -> Path:
    return site_root / CACHE_DIR


def _fingerprint() -> str:
    return "|".join(
        (
            _SCHEMA,
            __version__,
            MARKDOWN_CONFIGURATION,
            sys.version.split()[0],
            jinja2.__version__,
        )
    )


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


_SCALARS = (str, int, float, bool, type(None))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def fingerprint(value: object, memo: dict[int, tuple[object, str]]) -> str:
    """A digest of everything `value` holds, stable across processes.

    The public view is made of frozen dataclasses, tuples, text, numbers and
    dates, whose reprs are deterministic; objects met twice in one build (a
    post on its page, its neighbours' and its lists) are digested once.
    `memo` maps id() to (object, digest): holding the object keeps its id
    from being reused by another object while the memo lives.
    """
    if isinstance(value, _SCALARS):
        return f"{type(value).__name__}:{value!r}"  # cheap leaves: no hashing
    key = id(value)
    found = memo.get(key)
    if found is not None and found[0] is value:
        return found[1]
    if isinstance(value, (tuple, list)):
        text = "(" + ",".join(fingerprint(item, memo) for item in value) + ")"
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES.get(type(value))
        if names is None:
            names = _FIELD_NAMES[type(value)] = tuple(f.name for f in dataclasses.fields(value))
        text = type(value).__qualname__ + "|" + "|".join(
            fingerprint(getattr(value, name), memo) for name in names
        )
    elif isinstance(value, dict):
        text = "{" + ",".join(
            f"{fingerprint(k, memo)}:{fingerprint(v, memo)}"
            for k, v in sorted(value.items(), key=lambda item: str(item[0]))
        ) + "}"
    else:
        text = f"{type(value).__qualname__}:{value!r}"
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    memo[key] = (value, digest)
    return digest


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
