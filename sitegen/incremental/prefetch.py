"""Markdown converted ahead of time on cores that would otherwise wait.

A build that renders every page spends its first seconds in stages that run
in one process: load, model, public view and routes. Python-Markdown, the
largest cost of such a build, does not need any of them: a body is known as
soon as its file is read. So while this process works through those stages,
forked workers read the Markdown files themselves, split off the front
matter exactly as load.py does, and convert the bodies. When the render
stage begins, whatever they finished is handed to markup.py, keyed by the
hash of the source text, and the rest is left to the render workers.

Nothing here can change a byte of output. A worker's result is found only
by the hash of the very text being converted, so a body that differs from
what the load stage read (an edit in between, a file the load stage
rejects) is simply not found. Workers report no problems: the load stage
reports every problem of every file.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
from pathlib import Path

from ..content import markup
from ..errors import Problems
from ..content.load import MARKDOWN_FOLDERS, is_ignored_name, read_text, split_front_matter
from ..render.pages import ignore_interrupts, workers_pay

# Files per task: small, so that stopping the workers loses little work.
_CHUNK = 8
# Below this many files, starting workers costs more than it saves.
MIN_FILES = 200


def _convert_files(paths: list[str]) -> list[tuple[str, str]]:
    """(source hash, HTML) for each body not already converted."""
    done: list[tuple[str, str]] = []
    for name in paths:
        path = Path(name)
        problems = Problems(path.parent)  # thrown away: load reports problems
        text = read_text(path, problems)
        parts = split_front_matter(text, path, problems) if text is not None else None
        if parts is None:
            continue
        body = parts[2]
        key = markup.source_hash(body)
        if not markup.is_cached(key):
            done.append((key, markup.convert(body)))
    return done


class MarkdownPrefetch:
    """Workers converting a site's Markdown while this process goes on.

    `start` forks them (call it before any thread starts in this process);
    `finish` takes every result that is ready, stops the workers and hands
    the results to markup.py. Use it as a context manager so the workers
    are stopped however the build ends.
    """

    def __init__(self, root: Path, jobs: int) -> None:
        self.root = root
        self.jobs = jobs
        self.taken = 0
        self._pool: multiprocessing.pool.Pool | None = None
        self._results: multiprocessing.pool.IMapIterator[list[tuple[str, str]]] | None = None

    def start(self) -> bool:
        """Start the workers if it is worth it; True if they started."""
        if self.jobs <= 1:
            return False  # not even worth listing the files
        paths: list[str] = []
        for name in MARKDOWN_FOLDERS:
            for directory, subdirectories, files in os.walk(self.root / "content" / name):
                subdirectories[:] = sorted(d for d in subdirectories if not is_ignored_name(d))
                paths.extend(
                    os.path.join(directory, file)
                    for file in sorted(files)
                    if not is_ignored_name(file) and os.path.splitext(file)[1].lower() in (".md", ".markdown")
                )
        if not workers_pay(self.jobs, len(paths), MIN_FILES):
            return False
        chunks = [paths[start : start + _CHUNK] for start in range(0, len(paths), _CHUNK)]
        self._pool = multiprocessing.get_context("fork").Pool(self.jobs, initializer=ignore_interrupts)
        self._results = self._pool.imap_unordered(_convert_files, chunks)
        return True

    def finish(self) -> int:
        """Hand what is done to markup.py, stop the workers; how many bodies."""
        found: dict[str, str] = {}
        results, self._results = self._results, None
        if results is not None:
            while True:
                try:
                    chunk = results.next(timeout=0)
                except (StopIteration, multiprocessing.TimeoutError):
                    break
                found.update(chunk)
        self.close()
        markup.use_prefetched(found)
        self.taken = len(found)
        return self.taken

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()
            pool.join()

    def __enter__(self) -> MarkdownPrefetch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
