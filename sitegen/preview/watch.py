"""The preview's file watching: which file events are a change, batched
into one rebuild per burst of them (an editor's save writes several)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

# How long a burst of events lasts: what arrives within it is one change.
DEBOUNCE_SECONDS = 0.008
# How long a file still open for writing may hold a rebuild back, counted
# from the last event: a writer that never says it closed (a chmod, a
# truncate, a log kept open) delays the rebuild by this much, no more.
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
    path is being written; any later event for it says it is done.

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
        self._writing: set[Path] = set()
        self._last_event = 0.0
        self._wake = threading.Event()
        self._closed = False

    def add(self, path: Path, writing: bool = False) -> None:
        with self._changed:
            self._pending.add(path)
            if writing:
                self._writing.add(path)
            else:
                self._writing.discard(path)
            self._last_event = time.monotonic()
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
                pass
            if self._closed:
                return
            time.sleep(self._delay)
            self._wait_for_writers()
            self._wake.clear()
            with self._changed:
                batch, self._pending = sorted(self._pending), set()
            if batch:
                self._rebuild(batch)

    def _wait_for_writers(self) -> None:
        """Until no file of the burst is open for writing, or none has
        moved for `patience` seconds."""
        with self._changed:
            while self._writing and not self._closed:
                left = self._last_event + self._patience - time.monotonic()
                if left <= 0:
                    self._writing.clear()
                    return
                self._changed.wait(timeout=min(left, 0.5))  # short waits: Ctrl-C


def start_watching(root: Path, batcher: ChangeBatcher) -> object:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write") or event.is_directory and event.event_type == "modified":
                return
            # Still open for writing, where a "closed" event will follow.
            writing = reports_close and not event.is_directory and event.event_type in ("modified", "created")
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
