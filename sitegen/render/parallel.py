"""Rendering and checking pages over several processes.

Pages are pure functions of their routes, so they can be rendered in any
order in any process; forked workers inherit the routes, the Jinja
environment and the public view, so nothing but results is ever pickled.
Small sites, and platforms without fork, use one process: starting workers
costs more than it saves there.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import jinja2

from ..content import markup
from ..errors import ContentProblem, Problem, Problems
from ..plan.pages import Route
from .jinja import Renderer, render_tracked

# What forked workers render from. Set just before the pool starts; the
# workers inherit it (fork), so routes and the environment are never pickled.
_WORK: tuple[list[Route], jinja2.Environment, Path | None, bool, object] | None = None
PARALLEL_MIN_PAGES = 200
_CHUNK = 24


def _render_chunk(
    indices: list[int],
) -> tuple[list[tuple[int, bytes, tuple[str, ...]]], list[Problem], dict[str, str]]:
    assert _WORK is not None
    routes, env, root, track, site = _WORK
    problems = Problems(root)
    renderer = Renderer(env, problems, site)
    done = []
    for index in indices:
        data, reads = _render_one(renderer, routes[index], track)
        if data is not None:
            done.append((index, data, reads))
    return done, problems.items, markup.take_converted()


def _render_one(renderer: Renderer, route: Route, track: bool) -> tuple[bytes | None, tuple[str, ...]]:
    """Render a route; with `track`, also name the `site` attributes it read."""
    if not track:
        return renderer.render(route), ()
    data, reads = render_tracked(renderer, route)
    return data, tuple(sorted(reads))


def ignore_interrupts() -> None:
    """In a worker process: leave Ctrl-C to the main process, which stops
    the workers itself (the terminal sends the signal to all of them)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def workers_pay(jobs: int, count: int, minimum: int = PARALLEL_MIN_PAGES) -> bool:
    """Whether `count` items are worth forking `jobs` worker processes for."""
    return jobs > 1 and count >= minimum and "fork" in multiprocessing.get_all_start_methods()


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def render_routes_parallel(
    routes: Sequence[Route],
    env: jinja2.Environment,
    problems: Problems,
    jobs: int,
    progress: Callable[[int, int], None] | None = None,
    track: bool = False,
    *,
    site: object,
    meanwhile: Callable[[], None] = lambda: None,
    on_page: Callable[[str, bytes], None] | None = None,
) -> tuple[dict[str, bytes], dict[str, tuple[str, ...]]]:
    """Render every route, spread over `jobs` processes.

    `meanwhile` is called in this process while the workers render (or
    first, without workers): work the caller needs anyway is done on a
    core that would otherwise wait. `on_page(output, bytes)` is called for
    each page as soon as it is rendered, in no particular order.

    Pages are pure functions of their routes, so rendering them in any order
    in any process gives the same bytes; the result is assembled in route
    order. Falls back to one process for small sites or where fork is not
    available, since starting workers costs more than it saves there. With
    `track`, also returns the `site` attributes each page read.
    """
    global _WORK
    routes = list(routes)
    if not workers_pay(jobs, len(routes)):
        meanwhile()
        return _render_here(routes, Renderer(env, problems, site), track, on_page)
    for name in sorted({r.template for r in routes}):
        try:
            env.get_template(name)  # compile once, before forking
        except (jinja2.TemplateError, ContentProblem):
            pass  # reported when a worker renders it
    chunks = [list(range(start, min(start + _CHUNK, len(routes)))) for start in range(0, len(routes), _CHUNK)]
    results: dict[int, tuple[bytes, tuple[str, ...]]] = {}
    found: list[Problem] = []
    _WORK = (routes, env, problems.root, track, site)
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=ignore_interrupts) as pool:
            chunk_results = pool.imap_unordered(_render_chunk, chunks)  # starts the workers
            meanwhile()
            for done, chunk_problems, converted in chunk_results:
                for index, data, route_reads in done:
                    results[index] = (data, route_reads)
                    if on_page is not None:
                        on_page(routes[index].output, data)
                found.extend(chunk_problems)
                markup.remember_converted(converted)
                if progress is not None:
                    progress(len(results), len(routes))
    finally:
        _WORK = None
    _report_once(found, problems)
    ordered = [(routes[index].output, results[index]) for index in sorted(results)]
    return {output: data for output, (data, _) in ordered}, {output: reads for output, (_, reads) in ordered}


def _render_here(
    routes: list[Route], renderer: Renderer, track: bool, on_page: Callable[[str, bytes], None] | None
) -> tuple[dict[str, bytes], dict[str, tuple[str, ...]]]:
    files: dict[str, bytes] = {}
    reads: dict[str, tuple[str, ...]] = {}
    for route in routes:
        data, route_reads = _render_one(renderer, route, track)
        if data is not None:
            files[route.output] = data
            reads[route.output] = route_reads
            if on_page is not None:
                on_page(route.output, data)
    return files, reads


def _report_once(found: list[Problem], problems: Problems) -> None:
    """Workers each report a broken template once; say it once in all."""
    seen: set[tuple[str, int, str]] = set()
    for problem in sorted(found):
        key = (problem.path, problem.line, problem.message.split(" (while rendering ")[0].split(" (needed for ")[0])
        if key not in seen:
            seen.add(key)
            problems.add(problem)


# What forked workers apply to routes in `map_in_workers`; inherited, not pickled.
_MAPPED: tuple[Callable[[Route], Any], list[Route]] | None = None
_MAP_CHUNK = 128


def _map_chunk(start: int) -> tuple[int, list[Any]]:
    assert _MAPPED is not None
    function, routes = _MAPPED
    return start, [function(route) for route in routes[start : start + _MAP_CHUNK]]


def map_in_workers(
    function: Callable[[Route], Any], routes: list[Route], jobs: int, meanwhile: Callable[[], None] = lambda: None
) -> list[Any]:
    """`[function(route) for route in routes]`, over `jobs` forked processes
    when there are enough routes. `function` must be pure, its results
    small and picklable; what it caches stays in the workers. `meanwhile`
    is called in this process while the workers work (or first)."""
    global _MAPPED
    if not workers_pay(jobs, len(routes)):
        meanwhile()
        return [function(route) for route in routes]
    results: list[Any] = [None] * len(routes)
    _MAPPED = (function, routes)
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=ignore_interrupts) as pool:
            mapped = pool.imap_unordered(_map_chunk, range(0, len(routes), _MAP_CHUNK))  # starts the workers
            meanwhile()
            for start, chunk in mapped:
                results[start : start + len(chunk)] = chunk
    finally:
        _MAPPED = None
    return results


# What forked workers convert in `ConvertAhead`; inherited, not pickled.
_AHEAD: list[str] = []
_AHEAD_CHUNK = 16
# About 3 ms a body: below this many, starting workers costs more than it saves.
AHEAD_MIN_BODIES = 100


def _convert_chunk(start: int) -> list[tuple[str, str, bool]]:
    return [markup.convert_for_later(source) for source in _AHEAD[start : start + _AHEAD_CHUNK]]


class ConvertAhead:
    """Markdown bodies converted in forked processes while this process goes
    on planning the pages; `finish` hands the results to `markup`
    (`use_ahead`), so the pages' renderers, here or in the workers forked
    after it, find them converted. Conversion is a pure function of the
    source, so converting a body early, or one no page shows (a draft),
    changes no output. Only bodies new to the cache are sent, and only when
    there are enough of them to pay for the workers (`AHEAD_MIN_BODIES`):
    after a small edit nothing starts. (One worker for the few bodies of a
    small edit, to take Markdown's set-up off the critical path, measured no
    faster: the copy-on-write faults of forking a 140 MB process cost about
    what it saved.)"""

    def __init__(self, sources: Iterable[str], jobs: int) -> None:
        global _AHEAD
        self._pool: Any = None
        self._results: Any = None
        markup.use_ahead({}, {})  # the last build's are not this one's business
        if not workers_pay(jobs, markup.new_text_count(), AHEAD_MIN_BODIES):
            return
        pending = markup.pending_conversions(sources, AHEAD_MIN_BODIES)
        if not workers_pay(jobs, len(pending), AHEAD_MIN_BODIES):
            return
        _AHEAD = pending
        try:
            self._pool = multiprocessing.get_context("fork").Pool(jobs, initializer=ignore_interrupts)
            self._results = self._pool.imap_unordered(_convert_chunk, range(0, len(pending), _AHEAD_CHUNK))
        finally:
            _AHEAD = []  # the workers have their copy

    def finish(self) -> None:
        """Wait for the conversions and make them known (nothing to wait
        for when no worker started)."""
        if self._pool is None:
            return
        converted: dict[str, str] = {}
        failed: dict[str, str] = {}
        try:
            for chunk in self._results:
                for key, text, ok in chunk:
                    (converted if ok else failed)[key] = text
        finally:
            self.close()
        markup.use_ahead(converted, failed)

    def close(self) -> None:
        """Stop the workers, finished or not."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
