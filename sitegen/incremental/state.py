"""The last command-line build's working state, kept for the next one.

A one-post edit to a 5,000-post site changes a dozen pages, yet a fresh
process has to load, model and plan all 5,000 posts before it can tell
which. The preview server avoids that by keeping its memos in memory
(`build.BuildSession`); this module keeps the same memos between two
`sitegen build` runs: the record cache, the model, public-view and route
memos, and a `render.Ledger` of what each page was rendered from.

Every memo is a proof of equal inputs checked against the files themselves
(the record cache compares each file's stat signature; the others compare
object identity with what the record cache handed back), so a state that is
out of date only costs time. Files changed within `RACY_NS` of the build
that read them are left out: their signature may not show a later change.

The memos hold arbitrary objects, so the state is a pickle, and unpickling
runs code chosen by whoever wrote the file. It is therefore signed with a
key that never lives in the site: `$XDG_CACHE_HOME/sitegen/state-key`
(`~/.cache/...`), 32 random bytes readable only by the user, created on
first use. A state file that is not signed with this user's key (one shipped
in a cloned repository, copied from another machine, or damaged) is
ignored, as is one written by another sitegen, Python or set of options.
Without a usable key directory no state is written and builds work as
before.

The state is written by a forked child while the parent renders and
writes the output, and renamed into place only once the build succeeded.
"""

from __future__ import annotations

import copyreg
import gc
import hashlib
import hmac
import io
import json
import os
import pickle
import stat
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path, PosixPath
from typing import Any, Callable, Sequence

from .cache import _fingerprint, _write_ignore_file, cache_folder
from ..content.load import RecordCache
from ..content.model import ModelMemo
from ..view.public import PublicMemo
from ..render.pages import Ledger
from ..plan.routes import Route, RouteMemo

STATE_NAME = "state.pickle"
_MAGIC = b"sitegen-state 1\n"
_KEY_NAME = "state-key"
_KEY_BYTES = 32


@dataclass
class State:
    """The memos of one build, as the next build starts from them."""

    records: RecordCache
    model: ModelMemo
    public: PublicMemo
    routes: RouteMemo
    ledger: Ledger
    build: str = ""  # the id of the build that saved it, also in its no-change record

    @classmethod
    def fresh(cls) -> State:
        return cls(RecordCache(), ModelMemo(), PublicMemo(), RouteMemo(), Ledger())


def new_build_id() -> str:
    return uuid.uuid4().hex


def _key_folder() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if base and os.path.isabs(base):
        return Path(base) / "sitegen"
    home = os.path.expanduser("~")
    return Path(home) / ".cache" / "sitegen" if os.path.isabs(home) else None


def _key(create: bool) -> bytes | None:
    """This user's signing key, or None (no usable key, no state).

    A key file that others may read or write, or that belongs to someone
    else, is not used: whoever can read it could sign a hostile state."""
    folder = _key_folder()
    if folder is None or not hasattr(os, "getuid") or not hasattr(os, "fork"):
        return None  # no owner to check, or no child to write the state
    path = folder / _KEY_NAME
    try:
        where = os.stat(folder)
        if where.st_uid != os.getuid() or where.st_mode & 0o022:
            return None  # others could put their own key in place
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        if not create:
            return None
        return _new_key(folder, path)
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_uid != os.getuid()
            or info.st_mode & 0o077
            or info.st_size != _KEY_BYTES
        ):
            return None
        key = os.read(descriptor, _KEY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    return key if len(key) == _KEY_BYTES else None


def _new_key(folder: Path, path: Path) -> bytes | None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return _key(create=False)  # another build made it meanwhile
    except OSError:
        return None
    key = os.urandom(_KEY_BYTES)
    try:
        written = os.write(descriptor, key)
    except OSError:
        written = 0
    finally:
        os.close(descriptor)
    if written != _KEY_BYTES:
        try:
            os.unlink(path)
        except OSError:
            pass
        return None
    return key


def _header(settings: dict[str, object]) -> bytes:
    return json.dumps({"fingerprint": _fingerprint(), "settings": settings}, sort_keys=True).encode("utf-8")


def _signature(key: bytes, header: bytes, payload: bytes | memoryview) -> bytes:
    mac = hashlib.blake2b(key=key, digest_size=32)
    mac.update(len(header).to_bytes(8, "big"))
    mac.update(header)
    mac.update(payload)
    return mac.digest()


def load(root: Path, settings: dict[str, object]) -> State | None:
    """The state the last build left for these settings, if this user signed
    it and this very sitegen wrote it; else None."""
    key = _key(create=False)
    if key is None:
        return None
    try:
        with open(cache_folder(root) / STATE_NAME, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    view = memoryview(data)
    start = len(_MAGIC)
    if view[:start] != _MAGIC:
        return None
    signature = bytes(view[start : start + 32])
    end = data.find(b"\n", start + 32)
    if end < 0:
        return None
    header = bytes(view[start + 32 : end])
    payload = view[end + 1 :]
    if not hmac.compare_digest(signature, _signature(key, header, payload)):
        return None
    if header != _header(settings):
        return None  # another sitegen, Python or set of options
    # Hundreds of thousands of objects: the cyclic collector would walk
    # them again and again while they are made, and once more right after
    # (all of them are young). `gc.freeze` leaves them out of its walks
    # until the build ends (`thaw`).
    enabled = gc.isenabled()
    gc.disable()
    try:
        unpickler = pickle.Unpickler(io.BytesIO(payload))
        records, model, public, routes, build = unpickler.load()[:5]
        ledger = unpickler.load()  # shares the first part's objects
        state = State(records, model, public, routes, ledger, build)
        if not _well_formed(state):
            return None
        state.records.check_spent(state.model.holds)
    except Exception:  # a signed state this sitegen cannot read: start afresh
        return None
    finally:
        if enabled:
            gc.enable()
    gc.freeze()
    return state


def thaw() -> None:
    """Let the cyclic collector see what `load` froze again."""
    gc.unfreeze()


def _well_formed(state: State) -> bool:
    return (
        isinstance(state.records, RecordCache)
        and isinstance(state.model, ModelMemo)
        and isinstance(state.public, PublicMemo)
        and isinstance(state.routes, RouteMemo)
        and isinstance(state.ledger, Ledger)
        and isinstance(state.build, str)
    )


def _pickler(buffer: io.BytesIO) -> pickle.Pickler:
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    if _FAST_PATHS:
        pickler.dispatch_table = {**copyreg.dispatch_table, PosixPath: _reduce_path}
    return pickler


# Thousands of file paths: rebuilt from their parsed parts instead of being
# parsed again, where pathlib allows it (a state is read only by the Python
# version that wrote it).
_FAST_PATHS = sys.version_info[:2] == (3, 11) and hasattr(PosixPath, "_from_parsed_parts")


def _reduce_path(path: PosixPath) -> tuple[Callable[..., PosixPath], tuple[object, ...]]:
    return _path_from_parts, (path._drv, path._root, tuple(path._parts))  # type: ignore[attr-defined]


def _path_from_parts(drive: str, root: str, parts: tuple[str, ...]) -> PosixPath:
    return PosixPath._from_parsed_parts(drive, root, list(parts))  # type: ignore[attr-defined,no-any-return]


class Saver:
    """Writes the state of the build in progress from a forked child.

    Made once the routes are planned: the memos are final then, and the
    child pickles them while this process renders and writes. `finish`
    sends the child the render stage's `Ledger` (as plain data naming
    routes by output) and puts the state in place, or tells the child to
    give up (a failed build)."""

    def __init__(
        self, root: Path, settings: dict[str, object], state: State, site: object, pages: Sequence[Route]
    ) -> None:
        self.folder = cache_folder(root)
        self.temporary = self.folder / f"{STATE_NAME}.{os.getpid()}.tmp"
        self.pid = 0
        self.pipe = -1
        key = _key(create=True)
        if key is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_ignore_file(self.folder)
        except OSError:
            return
        header = _header(settings)
        receive, send = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: write, and leave without running anything else
            code = 1
            try:
                os.close(send)
                gc.disable()
                # This copy of the memos is only saved: the text of records
                # whose posts and pages the model memo holds is not needed.
                state.records.spend(state.model.holds)
                buffer = io.BytesIO()
                pickler = _pickler(buffer)
                pickler.dump((state.records, state.model, state.public, state.routes, state.build, site, pages))
                message = _read_all(receive)
                if message:
                    pickler.dump(_ledger_from(pickle.loads(message), site, pages))
                    payload = buffer.getbuffer()
                    with open(self.temporary, "wb") as handle:
                        handle.write(_MAGIC + _signature(key, header, payload) + header + b"\n")
                        handle.write(payload)
                    code = 0
            finally:
                os._exit(code)
        os.close(receive)
        self.pid, self.pipe = pid, send

    def finish(self, ledger: Ledger | None) -> None:
        """Give the child this build's ledger and keep the state it writes;
        with None (the build failed), let the child go and keep nothing."""
        if not self.pid:
            return
        pid, pipe, self.pid = self.pid, self.pipe, 0
        try:
            if ledger is not None:
                _write_all(pipe, pickle.dumps(_ledger_message(ledger), protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            ledger = None  # the child is gone
        finally:
            os.close(pipe)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = 1
        try:
            if ledger is not None and os.waitstatus_to_exitcode(status) == 0:
                os.replace(self.temporary, self.folder / STATE_NAME)
            else:
                os.unlink(self.temporary)
        except OSError:
            pass


def _ledger_message(ledger: Ledger) -> tuple[object, ...]:
    """The ledger as plain data: routes by output, values by attribute name."""
    pages = {output: (reads, sha) for output, (_, reads, sha) in ledger.pages.items()}
    parts = {name: digest for name, (_, digest) in ledger.parts.items()}
    return pages, parts, ledger.templates, ledger.salt


def _ledger_from(message: tuple[Any, ...], site: object, pages: Sequence[Route]) -> Ledger:
    """The ledger again, from the objects the child holds (the same as the
    parent's: it was forked after they were made)."""
    entries, parts, templates, salt = message
    route_of = {route.output: route for route in pages}
    return Ledger(
        pages={
            output: (route_of[output], reads, sha) for output, (reads, sha) in entries.items() if output in route_of
        },
        parts={name: (getattr(site, name, None), digest) for name, digest in parts.items()},
        templates=templates,
        salt=salt,
    )


def _read_all(descriptor: int) -> bytes:
    chunks = []
    while chunk := os.read(descriptor, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def discard(root: Path) -> None:
    """Remove the state (a build that cannot leave a true one)."""
    try:
        os.unlink(cache_folder(root) / STATE_NAME)
    except OSError:
        pass
