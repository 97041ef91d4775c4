"""The preview's file watching: which file events are a change, batched
into one rebuild per burst of them (an editor's save writes several)."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path
from typing import Callable

# How long a burst of events lasts: what arrives within it is one change.
DEBOUNCE_SECONDS = 0.008
# How long a file still open for writing may hold a rebuild back, counted
# from its last write: a file that is never closed (a truncate(1) from
# outside, a program keeping it open) delays the rebuild by this much.
WRITE_PATIENCE_SECONDS = 0.5

_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload")


def is_editor_noise(path: Path) -> bool:
    """Temporary files editors write around a save."""
    name = path.name
    return (
        name.startswith((".", "#"))
        or name.endswith(_IGNORED_SUFFIXES)
        or name.isdigit()  # vim's write-permission probe "4913"
    )


def classify(path: Path, root: Path) -> str:
    """content, template, static or config: what kind of rebuild a change needs."""
    try:
        parts = path.resolve().relative_to(root).parts
    except ValueError:
        return "content"
    if parts[:2] == ("content", "site.yaml") or parts[:2] == ("content", "site.yml"):
        return "config"
    if parts[:2] == ("content", "static") or (parts[:1] == ("themes",) and "static" in parts[2:3]):
        return "static"
    if parts[:1] == ("themes",):
        return "template"
    return "content"


class ChangeBatcher:
    """Collects file events and calls `rebuild` once per burst of them.

    Editors write several events per save (temp file, rename, chmod); the first
    event opens a short window, and everything that arrives in it is one change.
    Events during a rebuild start the next one as soon as it ends.

    A save that writes in place (truncate, write, close) is seen as "modified"
    before its bytes are all there. Where the system reports the close (Linux),
    a file still open for writing holds the rebuild until it is closed, so the
    preview never builds from half a file (an empty YAML file is an error) nor
    twice for one save when the writer pauses. `add(path, writing=True)` says a
    path is being written, `writing=False` that it is done (closed, deleted,
    moved), `writing=None` leaves that as it was (a change of mode or time). A
    path not done `patience` seconds after its last such event is given up on.

    `run` rebuilds in the thread that calls it: the preview calls it from the
    main thread (the HTTP server has its own), where a Markdown body too slow
    to convert can be stopped by a timer (content/markup.py), as in a build.
    """

    def __init__(
        self,
        rebuild: Callable[[list[Path]], None],
        delay: float = DEBOUNCE_SECONDS,
        patience: float = WRITE_PATIENCE_SECONDS,
    ) -> None:
        self._rebuild = rebuild
        self._delay = delay
        self._patience = patience
        self._changed = threading.Condition()
        self._pending: set[Path] = set()
        self._writing: dict[Path, float] = {}  # path -> when it was last written to
        self._wake = threading.Event()
        self._closed = False

    def add(self, path: Path, writing: bool | None = False) -> None:
        with self._changed:
            self._pending.add(path)
            if writing:
                self._writing[path] = time.monotonic()
            elif writing is not None:
                self._writing.pop(path, None)
            self._changed.notify_all()
        self._wake.set()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._wake.set()

    def run(self) -> None:
        """Rebuild for each burst of events until `close`."""
        while True:
            while not self._wake.wait(timeout=0.5):  # short waits: Ctrl-C is seen at once
                if self._closed:
                    return
            if self._closed:
                return
            time.sleep(self._delay)
            batch = self._burst()
            if batch is None:
                return
            if batch:
                self._rebuild(batch)

    def _burst(self) -> list[Path] | None:
        """The paths of the burst, once none of them is still being written
        (or given up on); None if closed meanwhile. Taken under the same lock
        that saw no writer, so a write starting just after is left for the
        next burst."""
        with self._changed:
            while not self._closed:
                now = time.monotonic()
                for path, when in list(self._writing.items()):
                    if when + self._patience <= now:
                        del self._writing[path]
                if not self._writing:
                    break
                soonest = min(self._writing.values()) + self._patience - now
                self._changed.wait(timeout=min(soonest, 0.5))  # short waits: Ctrl-C
            if self._closed:
                return None
            self._wake.clear()
            batch, self._pending = sorted(self._pending), set()
            return batch


def _just_created(raw: str) -> bool:
    """A regular file still empty: made by open(), its bytes to come. Not a
    file moved or copied in whole, a link, or a folder's contents written
    before the watcher saw the folder: no close will follow those."""
    try:
        info = os.lstat(raw)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size == 0


def start_watching(root: Path, batcher: ChangeBatcher) -> object:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write") or event.is_directory and event.event_type == "modified":
                return
            writing: bool | None = False
            if event.event_type == "attrib":
                writing = None  # a mode or time change says nothing of the bytes
            elif reports_close and not event.is_directory:
                # Still open for writing, where a "closed" event will follow.
                writing = event.event_type == "modified" or (
                    event.event_type == "created" and _just_created(os.fsdecode(event.src_path))
                )
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                if not raw:
                    continue
                path = Path(raw if isinstance(raw, str) else raw.decode())
                if is_editor_noise(path):
                    continue
                try:
                    top = path.relative_to(root).parts[:1]
                except ValueError:
                    continue
                if top not in (("content",), ("themes",)):
                    continue
                if top == ("themes",) and event.is_directory and event.event_type == "created":
                    observer.schedule(self, str(path), recursive=True)
                if top == ("content",) and len(path.relative_to(root).parts) == 1 and event.event_type == "created":
                    observer.schedule(self, str(path), recursive=True)
                batcher.add(path, writing=writing)

    observer = Observer()
    # inotify reports when a file written to is closed; the other observers
    # (macOS, Windows, polling) do not, and a rebuild never waits for it.
    reports_close = type(observer).__name__ == "InotifyObserver"
    handler = Handler()
    for folder in (root / "content", root / "themes"):
        if folder.is_dir():
            observer.schedule(handler, str(folder), recursive=True)
    observer.schedule(handler, str(root), recursive=False)
    observer.daemon = True
    observer.start()
    return observer
