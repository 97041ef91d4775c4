"""The build cache's one store: `.sitegen-cache/store.sqlite`.

Everything a build can skip recomputing is kept here by a hash of the
source it was derived from: the parsed YAML of each content file (`yaml`),
each Markdown body's word count and first paragraph (`facts`), each body
rendered to HTML (`html`), and each template compiled by Jinja
(`template`). A key names its source exactly, so an entry can only be
right or missing, never stale.

Every entry is verified before it is used: it carries a checksum over its
kind, key and value, bound to the cache fingerprint (sitegen's version and
code, the Markdown, Python and Jinja versions). An entry that fails it (a
flipped bit, a hand edit, another sitegen) is dropped and recomputed, never
used; a file that is not a readable store is deleted and started again.
Nothing here is ever unpickled. Writes wait until a build succeeded
(`flush`), so a failed build leaves the store as it was; a read-only
cache folder just means nothing is kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any, Collection, Mapping

import jinja2

from ..content import markup
from ..content.parse import ParseMemo
from .cache import _fingerprint, _write_ignore_file

STORE_NAME = "store.sqlite"
KINDS = ("yaml", "facts", "html", "template")


def _checksum(kind: str, key: str, value: bytes) -> bytes:
    digest = _started(kind).copy()
    part = key.encode("utf-8", "surrogatepass")
    digest.update(len(part).to_bytes(8, "big"))
    digest.update(part)
    digest.update(value)
    found: bytes = digest.digest()
    return found


@functools.lru_cache(maxsize=None)
def _started(kind: str) -> Any:
    """The checksum's hash with this sitegen's fingerprint and `kind` fed
    in (thousands of entries are checked per build: copied, not redone)."""
    digest = hashlib.blake2b(digest_size=16, person=b"sitegen-store")
    for part in (_fingerprint().encode(), kind.encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest


# The files SQLite keeps beside the store: journal, write-ahead log, shared memory.
_BESIDE = ("-journal", "-wal", "-shm")


def _files_plain(path: Path) -> bool:
    """Whether the store and the files SQLite keeps beside it are absent or
    regular files. SQLite opens them itself, so a FIFO among them would
    block it forever and a link would be followed: the store is then as
    good as damaged, and started again."""
    for suffix in ("", *_BESIDE):
        try:
            info = os.lstat(f"{path}{suffix}")
        except FileNotFoundError:
            continue
        except OSError:
            return False
        if not stat.S_ISREG(info.st_mode):
            return False
    return True


class Store:
    """One SQLite file of verified entries; see the module docstring.

    Safe to use after `fork`: each process opens its own connection."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / STORE_NAME
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._pending: dict[tuple[str, str], bytes] = {}
        self._broken = False

    # -- reading ----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        if self._connection is not None and self._pid == os.getpid():
            return self._connection
        self._connection = None  # a forked child never uses its parent's
        # os.path's tests, which say False for a folder that cannot be read.
        if os.path.islink(self.folder) or os.path.islink(self.path) or not os.path.isfile(self.path):
            return None  # nothing is read through a link
        if not _files_plain(self.path):
            self._broken = True  # `flush` starts a new store
            return None
        try:
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
            row = connection.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        except sqlite3.Error:
            self._broken = True  # not a store of ours: `flush` starts a new one
            return None
        if row is None or row[0] != _fingerprint():
            connection.close()
            self._broken = True
            return None
        self._connection, self._pid = connection, os.getpid()
        return connection

    def load(self, kind: str) -> dict[str, bytes]:
        """Every verified entry of `kind`."""
        connection = self._connect()
        if connection is None:
            return {}
        try:
            rows = connection.execute("SELECT key, value, checksum FROM entries WHERE kind = ?", (kind,)).fetchall()
        except sqlite3.Error:
            self._broken = True
            return {}
        return {
            key: bytes(value)
            for key, value, checksum in rows
            if isinstance(key, str) and isinstance(value, bytes) and checksum == _checksum(kind, key, value)
        }

    def keys(self, kind: str) -> set[str]:
        """The keys of `kind`'s entries, unverified (`get` verifies each)."""
        connection = self._connect()
        found = {key for kind_, key in self._pending if kind_ == kind}
        if connection is None:
            return found
        try:
            rows = connection.execute("SELECT key FROM entries WHERE kind = ?", (kind,)).fetchall()
        except sqlite3.Error:
            self._broken = True
            return found
        return found | {key for (key,) in rows if isinstance(key, str)}

    def get(self, kind: str, key: str) -> bytes | None:
        """The verified entry, if there is one."""
        pending = self._pending.get((kind, key))
        if pending is not None:
            return pending
        connection = self._connect()
        if connection is None:
            return None
        try:
            row = connection.execute(
                "SELECT value, checksum FROM entries WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        except sqlite3.Error:
            self._broken = True
            return None
        if row is None or not isinstance(row[0], bytes) or row[1] != _checksum(kind, key, row[0]):
            return None
        return bytes(row[0])

    # -- writing ----------------------------------------------------------------

    def put(self, kind: str, key: str, value: bytes) -> None:
        """Keep `value` once the build succeeded (`flush`)."""
        self._pending[(kind, key)] = value

    def flush(self, only: Mapping[str, Collection[str]] | None = None) -> None:
        """Write the pending entries. `only` maps kinds to the keys this
        build used: other entries of those kinds are deleted, so the store
        does not grow with every edit."""
        pending, self._pending = self._pending, {}
        if not pending and not only:
            return
        self.close()
        try:
            if self.folder.is_symlink():
                return  # the cache is never written through a link
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_ignore_file(self.folder)
            if self.path.is_symlink() or self.path.is_dir():
                return  # never written through a link, nor over a folder
            self._write(pending, only or {})
        except (sqlite3.Error, OSError):
            self._discard()

    def _write(self, pending: dict[tuple[str, str], bytes], only: Mapping[str, Collection[str]]) -> None:
        if self._broken or not _files_plain(self.path):
            self._discard()
            self._broken = False
        connection = sqlite3.connect(self.path, timeout=5)
        try:
            connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS entries (kind TEXT, key TEXT, value BLOB, checksum BLOB, "
                "PRIMARY KEY (kind, key)) WITHOUT ROWID"
            )
            row = connection.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
            if row is None or row[0] != _fingerprint():
                connection.execute("DELETE FROM entries")  # another sitegen's entries
                connection.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (_fingerprint(),))
            connection.executemany(
                "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)",
                ((kind, key, value, _checksum(kind, key, value)) for (kind, key), value in pending.items()),
            )
            for kind, keys in only.items():
                wanted = set(keys)
                stored = [k for (k,) in connection.execute("SELECT key FROM entries WHERE kind = ?", (kind,))]
                connection.executemany(
                    "DELETE FROM entries WHERE kind = ? AND key = ?",
                    ((kind, k) for k in stored if k not in wanted),
                )
            connection.commit()
        finally:
            connection.close()

    def _discard(self) -> None:
        for suffix in ("", *_BESIDE):
            try:
                os.unlink(f"{self.path}{suffix}")
            except OSError:
                pass

    def close(self) -> None:
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._connection = None


class StoredBytecode(jinja2.BytecodeCache):
    """Compiled templates in the store, so a small site does not spend most
    of its build compiling Jinja: plain `marshal` data behind the template
    source's checksum (never pickle), used only once the entry verified."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.store.get("template", bucket.key)
        header = f"{bucket.checksum}\n".encode()
        if data is None or not data.startswith(header):
            return
        try:
            bucket.code = marshal.loads(data[len(header) :])
        except (EOFError, ValueError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.code is not None:
            header = f"{bucket.checksum}\n".encode()
            self.store.put("template", bucket.key, header + marshal.dumps(bucket.code))


class StoreUse:
    """How a build session uses the store: parsed front matter and text
    facts are read whole when the session starts, HTML and compiled
    templates looked up as pages need them, and what the build worked out
    is written once it succeeded (`save`). The first save of a session
    (every save, from the command line) also drops the entries of parsed
    front matter and text facts that no file needs any more: such a build
    met every file."""

    def __init__(self, folder: Path, session: bool) -> None:
        # Why a cache folder that is there cannot be used (no permission),
        # for a warning; the build then goes on without it.
        self.unusable: str | None = None
        if os.path.isdir(folder) and not os.path.islink(folder):
            try:
                os.listdir(folder)
            except OSError as exc:
                self.unusable = exc.strerror or str(exc)
        self.store = store = Store(folder)
        self.session = session
        self.parsed = ParseMemo(_decoded(store.load("yaml")))
        facts = _decoded(store.load("facts"))
        self._facts_stored = set(facts)
        self._pruned = False
        markup.use_text_facts(facts)

        def html(key: str) -> str | None:
            found = store.get("html", key)
            return found.decode("utf-8", "surrogatepass") if found is not None else None

        markup.use_cache(html, lambda: store.keys("html"))
        self.bytecode = StoredBytecode(store)

    def save(self) -> None:
        store = self.store
        for key, html in markup.take_converted().items():
            store.put("html", key, html.encode("utf-8", "surrogatepass"))
        parsed = self.parsed
        for key, value in parsed.used.items():
            if key not in parsed.known:
                store.put("yaml", key, _encoded(value))
        facts, new = markup.text_facts_used()
        for key, fact in facts.items():
            if key in new or key not in self._facts_stored:
                store.put("facts", key, _encoded(fact))
        self._facts_stored = set(facts)
        store.flush(None if self._pruned else {"yaml": set(parsed.used), "facts": set(facts)})
        self.parsed = ParseMemo(parsed.used)
        self._pruned = self.session


def _decoded(entries: dict[str, bytes]) -> dict[str, Any]:
    # One JSON array for all of them: one parser call instead of thousands
    # (a build reads every entry of a kind at its start). Entries are what
    # this sitegen wrote (checksummed), so it parses; if not, one by one.
    try:
        values = json.loads(b"[" + b",".join(entries.values()) + b"]")
    except ValueError:
        values = None
    if isinstance(values, list) and len(values) == len(entries):
        return dict(zip(entries, values))
    found = {}
    for key, value in entries.items():
        try:
            found[key] = json.loads(value)
        except ValueError:
            continue  # not what this sitegen writes: worked out again
    return found


def _encoded(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")
