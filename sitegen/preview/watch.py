"""The preview's file watching: which file events are a change, batched
into one rebuild per burst of them (an editor's save writes several)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

# How long a burst of events lasts: what arrives within it is one change.
DEBOUNCE_SECONDS = 0.008

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

    `run` rebuilds in the thread that calls it: the preview calls it from the
    main thread (the HTTP server has its own), where a Markdown body too slow
    to convert can be stopped by a timer (content/markup.py), as in a build.
    """

    def __init__(self, rebuild: Callable[[list[Path]], None], delay: float = DEBOUNCE_SECONDS) -> None:
        self._rebuild = rebuild
        self._delay = delay
        self._lock = threading.Lock()
        self._pending: set[Path] = set()
        self._wake = threading.Event()
        self._closed = False

    def add(self, path: Path) -> None:
        with self._lock:
            self._pending.add(path)
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    def run(self) -> None:
        """Rebuild for each burst of events until `close`."""
        while True:
            while not self._wake.wait(timeout=0.5):  # short waits: Ctrl-C is seen at once
                pass
            if self._closed:
                return
            time.sleep(self._delay)
            self._wake.clear()
            with self._lock:
                batch, self._pending = sorted(self._pending), set()
            if batch:
                self._rebuild(batch)


def start_watching(root: Path, batcher: ChangeBatcher) -> object:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write") or event.is_directory and event.event_type == "modified":
                return
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
                batcher.add(path)

    observer = Observer()
    handler = Handler()
    for folder in (root / "content", root / "themes"):
        if folder.is_dir():
            observer.schedule(handler, str(folder), recursive=True)
    observer.schedule(handler, str(root), recursive=False)
    observer.daemon = True
    observer.start()
    return observer
