"""Stage 5, render: each route's template and context to the bytes of a file.

Jinja2 with autoescape on for every template (HTML and XML alike) and
StrictUndefined, so a template that names a field the public view does not
have fails with its file and line instead of printing nothing. Templates are
found through a loader chain: the site's theme, then the built-in theme.
Rendering a page is a pure function of its route; this module never writes.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import signal
import traceback
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import jinja2

from ..content import markup
from ..incremental.cache import bytes_hash, fingerprint
from ..errors import Problem, Problems
from ..plan.routes import Route, absolute_url

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_format(value: date | datetime) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def isoformat(value: date | datetime) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def make_environment(
    template_dirs: Iterable[Path],
    base_url: str,
    bytecode_cache: jinja2.BytecodeCache | None = None,
) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(d)) for d in template_dirs]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=bytecode_cache,
    )
    @jinja2.pass_context
    def absolute(context: jinja2.runtime.Context, url: object) -> str:
        # Takes the context only so that Jinja cannot fold `"/x" | absolute`
        # into the compiled template: compiled templates are cached on disk
        # by their source, and the base URL changes between deploy contexts.
        return absolute_url(base_url, str(url))

    env.filters["absolute"] = absolute
    env.filters["date_format"] = date_format
    env.filters["isoformat"] = isoformat
    return env


class Renderer:
    """Renders routes; reports template problems once each, with file and line."""

    def __init__(self, env: jinja2.Environment, problems: Problems, site: object) -> None:
        self.env = env
        self.problems = problems
        self.site = site  # every page's `site`: the public view
        self._reported: set[tuple[str, int, str]] = set()

    def render(self, route: Route, site: object = None) -> bytes | None:
        """The page's bytes, or None after reporting why it failed; `site`
        stands in for the public view (see _ReadTracker)."""
        try:
            template = self.env.get_template(route.template)
            text = template.render(route.context, site=self.site if site is None else site)
        except jinja2.TemplateSyntaxError as exc:
            self._report(exc.filename or route.template, exc.lineno or 0, f"template error: {exc.message}")
            return None
        except jinja2.TemplateNotFound as exc:
            path, line = self._template_position(exc)
            self._report(
                path or route.template,
                line,
                f"template '{exc.name}' not found",
                f" (needed for {route.url})",
            )
            return None
        except Exception as exc:  # a template raised while running
            path, line = self._template_position(exc)
            self._report(
                path or route.template,
                line,
                f"template error: {_describe(exc)}",
                f" (while rendering {route.url})",
            )
            return None
        if not text.endswith("\n"):
            text += "\n"
        return text.encode("utf-8")

    def _report(self, path: str, line: int, message: str, where: str = "") -> None:
        # The same mistake in a template fails every page using it: say it once,
        # naming the first page it broke.
        key = (path, line, message)
        if key in self._reported:
            return
        self._reported.add(key)
        self.problems.error(path, line, message + where)

    def _template_position(self, exc: BaseException) -> tuple[str | None, int]:
        """The innermost frame of the traceback that ran template code."""
        position: tuple[str | None, int] = (None, 0)
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename.endswith((".html", ".xml", ".txt")) and Path(frame.filename).is_file():
                position = (frame.filename, frame.lineno or 0)
        return position


def _describe(exc: BaseException) -> str:
    if isinstance(exc, jinja2.UndefinedError):
        return f"{exc.message} (the public view has no such field)"
    return f"{type(exc).__name__}: {exc}"


class _ReadTracker:
    """Stands in for `site` in a template and notes each attribute it reads.

    A page's output is a pure function of its template, its own context and
    the `site` attributes it read; when none of those changed, the page's
    bytes cannot have changed either, so the memo reuses them.
    """

    __slots__ = ("_target", "_reads")

    def __init__(self, target: object, reads: dict[str, Any]) -> None:
        self._target = target
        self._reads = reads

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        self._reads[name] = value
        return value


def _render_tracked(renderer: "Renderer", route: Route) -> tuple[bytes | None, dict[str, Any]]:
    """Render with `site` behind a _ReadTracker; return the bytes and what was read."""
    reads: dict[str, Any] = {}
    return renderer.render(route, _ReadTracker(renderer.site, reads)), reads


@dataclass
class _MemoEntry:
    template_key: str
    inputs: object
    context: dict[str, Any]
    site_reads: dict[str, Any]
    data: bytes
    read_names: frozenset[str] = frozenset()


_MISSING = object()


class RenderMemo:
    """What each page was rendered from, kept between builds of one process.

    Every entry agrees with the site of the last build that used the memo
    (`site`): a page either was reused then, after its check, or was
    rendered from it. So the next build needs to compare only the site
    attributes that differ between that site and the new one, once per
    build, and each page asks whether it read any of those.
    """

    def __init__(self) -> None:
        self.entries: dict[str, _MemoEntry] = {}
        self.site: object = None
        self._read_names: set[str] = set()
        self._changed: set[str] | None = None
        self._verdicts: dict[frozenset[str], bool] = {}
        self._interned: dict[frozenset[str], frozenset[str]] = {}
        self._readers: dict[frozenset[str], set[str]] = {}
        # The last render through this memo when every page of it rendered:
        # its routes in order and their bytes (see render_routes).
        self.last: tuple[list[Route], dict[str, bytes], TemplateKeys] | None = None

    def begin(self, site: object) -> None:
        """Note which site attributes pages read changed since the last build."""
        if self.site is None:
            self._changed = None
        else:
            old = self.site
            self._changed = set()
            for name in self._read_names:
                before, after = getattr(old, name, _MISSING), getattr(site, name, _MISSING)
                if before is not after and before != after:
                    self._changed.add(name)
        self.site = site
        self._verdicts = {}

    def remember(self, output: str, entry: _MemoEntry) -> None:
        names = frozenset(entry.site_reads)
        entry.read_names = self._interned.setdefault(names, names)
        old = self.entries.get(output)
        if old is not None:
            self._readers[old.read_names].discard(output)
        self.entries[output] = entry
        self._readers.setdefault(entry.read_names, set()).add(output)
        self._read_names.update(names)

    def affected(self) -> set[str]:
        """Outputs of pages that read a site attribute that changed."""
        found: set[str] = set()
        if self._changed:
            for names, outputs in self._readers.items():
                if not self._changed.isdisjoint(names):
                    found.update(outputs)
        return found

    def unaffected(self, entry: _MemoEntry) -> bool:
        """Whether the page read none of the site attributes that changed;
        answered once per distinct set of attributes (about one per template)."""
        if self._changed is None:
            return False
        names = entry.read_names
        verdict = self._verdicts.get(names)
        if verdict is None:
            verdict = self._verdicts[names] = self._changed.isdisjoint(names)
        return verdict

    def lookup(self, route: Route, template_key: str) -> bytes | None:
        entry = self.entries.get(route.output)
        if entry is None or entry.template_key != template_key:
            return None
        if route.inputs is not None and route.inputs is entry.inputs and self._changed is not None:
            return entry.data if self.unaffected(entry) else None
        if route.inputs is None or route.inputs is not entry.inputs:
            context = route.context
            previous = entry.context
            if len(context) != len(previous):
                return None
            for name, value in previous.items():
                # Identity first: unchanged objects are kept by the session's memos.
                current = context.get(name, _MISSING)
                if current is not value and current != value:
                    return None
        if self._changed is not None:
            return None if not self._changed.isdisjoint(entry.site_reads) else entry.data
        site = self.site
        for name, value in entry.site_reads.items():
            current = getattr(site, name)
            if current is not value and current != value:
                return None
        return entry.data

    def forget_missing(self, outputs: set[str]) -> None:
        for output in list(self.entries):
            if output not in outputs:
                self._readers[self.entries.pop(output).read_names].discard(output)

    def patch(
        self, routes: list[Route], keys: TemplateKeys, render: Callable[[Route], bytes | None]
    ) -> tuple[dict[str, bytes], int] | None:
        """The last render's pages with only the suspects redone, when the
        pages are the same list but for routes replaced in place: a route
        that is not the last build's very object, or that read a site
        attribute that changed. `render` renders (or reuses) one route.
        Returns the pages and how many were rendered, or None when a full
        pass is needed."""
        if self.last is None or self._changed is None:
            return None
        last_routes, last_pages, last_keys = self.last
        if keys is not last_keys or len(last_routes) != len(routes):
            return None
        suspects = [i for i, (a, b) in enumerate(zip(last_routes, routes)) if a is not b]
        if any(routes[i].output != last_routes[i].output for i in suspects):
            return None
        pages = dict(last_pages)
        redo = {routes[i].output: routes[i] for i in suspects}
        if self._changed:
            where = {route.output: route for route in routes}
            for output in self.affected():
                redo.setdefault(output, where[output])
        rendered = 0
        for output, route in redo.items():
            before = self.entries.get(output)
            data = render(route)
            if data is None:
                del pages[output]
            else:
                pages[output] = data
                rendered += self.entries.get(output) is not before
        return pages, rendered


_STATIC_REFERENCE = re.compile(r"""\{%[-+]?\s*(?:extends|include|import|from)\s+(["'])(.+?)\1""")
_DYNAMIC_REFERENCE = re.compile(
    r"""\{%[-+]?\s*(?:extends|include|import|from)\s+(?!["'][^"']*["']\s*(?:%|-|\+|as\b|import\b|ignore\b|with\b|without\b))"""
)


class TemplateKeys:
    """A fingerprint per template covering every template it extends,
    includes or imports, so editing `_macros.html` re-renders exactly the
    pages whose templates use it."""

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self._keys: dict[str, str] = {}

    def key(self, name: str) -> str:
        if name not in self._keys:
            self._keys[name] = self._fingerprint(name)
        return self._keys[name]

    def _fingerprint(self, name: str) -> str:
        digest = hashlib.sha256()
        seen: set[str] = set()
        pending = [name]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            try:
                source, filename, _ = self.env.loader.get_source(self.env, current)  # type: ignore[union-attr]
            except jinja2.TemplateNotFound:
                digest.update(f"missing:{current}".encode())
                continue
            digest.update(f"{current}\0{filename}\0".encode())
            digest.update(source.encode("utf-8"))
            # A regular expression, not Jinja's parser: it is ten times
            # faster, and anything it cannot read counts as "every template".
            if _DYNAMIC_REFERENCE.search(source):
                pending.extend(self.env.list_templates())
            pending.extend(match.group(2) for match in _STATIC_REFERENCE.finditer(source))
        return digest.hexdigest()


@dataclass
class RenderStats:
    rendered: int = 0
    reused: int = 0


def render_routes(
    routes: Sequence[Route],
    env: jinja2.Environment,
    problems: Problems,
    memo: RenderMemo | None = None,
    template_keys: TemplateKeys | None = None,
    stats: RenderStats | None = None,
    site: object = None,
) -> dict[str, bytes]:
    """Render every route with `site` (the public view); with a memo, reuse
    pages whose inputs did not change."""
    renderer = Renderer(env, problems, site)
    keys = template_keys or TemplateKeys(env)
    stats = stats if stats is not None else RenderStats()
    if memo is None:
        rendered: dict[str, bytes] = {}
        for route in routes:
            data = renderer.render(route)
            if data is not None:
                stats.rendered += 1
                rendered[route.output] = data
        return rendered

    def render_or_reuse(route: Route) -> bytes | None:
        assert memo is not None
        key = keys.key(route.template)
        data = memo.lookup(route, key)
        if data is None:
            data, reads = _render_tracked(renderer, route)
            if data is not None:
                memo.remember(route.output, _MemoEntry(key, route.inputs, dict(route.context), reads, data))
        return data

    routes = list(routes)
    memo.begin(site)
    patched = memo.patch(routes, keys, render_or_reuse)
    if patched is not None:
        rendered, stats.rendered = patched
        stats.reused = len(rendered) - stats.rendered
    else:
        rendered = {}
        for route in routes:
            before = memo.entries.get(route.output)
            data = render_or_reuse(route)
            if data is not None:
                rendered[route.output] = data
                if memo.entries.get(route.output) is before:
                    stats.reused += 1
                else:
                    stats.rendered += 1
    if len(memo.entries) != len(rendered):
        memo.forget_missing(set(rendered))  # every page rendered has an entry
    memo.last = (routes, rendered, keys) if len(rendered) == len(routes) else None
    return rendered


# --------------------------------------------------------------------------
# Parallel rendering for full builds

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
    data, reads = _render_tracked(renderer, route)
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
    """Like `render_routes` (without a memo), spread over `jobs` processes.

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
    reads: dict[str, tuple[str, ...]] = {}
    if not workers_pay(jobs, len(routes)):
        meanwhile()
        renderer = Renderer(env, problems, site)
        files: dict[str, bytes] = {}
        for route in routes:
            data, route_reads = _render_one(renderer, route, track)
            if data is not None:
                files[route.output] = data
                reads[route.output] = route_reads
                if on_page is not None:
                    on_page(route.output, data)
        return files, reads
    for name in sorted({r.template for r in routes}):
        try:
            env.get_template(name)  # compile once, before forking
        except jinja2.TemplateError:
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
    # Workers each report a broken template once; say it once in all.
    seen: set[tuple[str, int, str]] = set()
    for problem in sorted(found):
        key = (problem.path, problem.line, problem.message.split(" (while rendering ")[0].split(" (needed for ")[0])
        if key not in seen:
            seen.add(key)
            problems.add(problem)
    files = {}
    for index in sorted(results):
        data, route_reads = results[index]
        files[routes[index].output] = data
        reads[routes[index].output] = route_reads
    return files, reads


PageRecord = tuple[str, tuple[str, ...], str]  # digest, site attributes read, bytes hash


@dataclass
class Ledger:
    """What one build knew about its pages, for the next build from the
    command line (kept between processes by state.py).

    `pages`: output -> (the route object, the `site` attributes the page
    read, the hash of its bytes). While the route memo hands back the very
    same route object, its context is the same. `parts`: each `site`
    attribute read -> (its value, its fingerprint): the same while the
    public view's memo hands back the very same value, or while a new value
    fingerprints the same. `templates`: each template's key (`TemplateKeys`).
    `salt`: what else the pages depend on (base URL, drafts, future)."""

    pages: dict[str, tuple[Route, tuple[str, ...], str]] = field(default_factory=dict)
    parts: dict[str, tuple[object, str]] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    salt: str = ""

    def fill(
        self,
        routes: Sequence[Route],
        pages: Mapping[str, tuple[tuple[str, ...], str]],
        part: Callable[[str], tuple[object, str]],
        keys: TemplateKeys,
        salt: str,
    ) -> None:
        """Describe a build's pages: `pages` maps each output to (the `site`
        attributes it read, its bytes hash); `part(name)` gives a `site`
        attribute's value and fingerprint."""
        shared: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per set of reads
        self.pages = {}
        for route in routes:
            page = pages.get(route.output)
            if page is not None:
                self.pages[route.output] = (route, shared.setdefault(page[0], page[0]), page[1])
        self.parts = {name: part(name) for name in sorted({name for reads in shared for name in reads})}
        self.templates = {name: keys.key(name) for name in sorted({route.template for route in routes})}
        self.salt = salt


def render_incrementally(
    routes: Sequence[Route],
    env: jinja2.Environment,
    problems: Problems,
    keys: TemplateKeys,
    salt: str,
    previous: dict[str, PageRecord],
    old_output: Path | None,
    jobs: int,
    progress: Callable[[int, int], None] | None = None,
    *,
    site: object,
    on_page: Callable[[str, bytes], None] | None = None,
    ledger: Ledger | None = None,
) -> tuple[dict[str, bytes], dict[str, PageRecord], set[str]]:
    """A full build that re-renders only pages whose inputs changed.

    A page's digest covers `salt` (versions, base URL), its template chain,
    its own context and the `site` attributes it read last time; when that
    digest is unchanged and the previous output still holds the very bytes
    recorded for it, the page is kept as it is there. Returns the pages
    rendered (output -> bytes), the records of every page to store for next
    time, and the outputs whose bytes equal the old output's: every kept
    page (which is not among the pages returned) and the rendered pages that
    came out the same. `ledger`, if given, is filled for the next build.
    """
    memo: dict[int, tuple[object, bytes]] = {}
    site_parts: dict[str, str] = {}

    def part(name: str) -> str:
        if name not in site_parts:
            site_parts[name] = fingerprint(getattr(site, name, None), memo)
        return site_parts[name]

    def digest(route: Route, base: str, reads: tuple[str, ...]) -> str:
        text = base + "".join(f"|{n}={part(n)}" for n in reads)
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    bases: dict[str, str] = {}

    def base_of(route: Route) -> str:
        if route.output not in bases:
            bases[route.output] = f"{salt}|{keys.key(route.template)}|{fingerprint(dict(route.context), memo)}"
        return bases[route.output]

    def still_right(route: Route) -> tuple[str, bool]:
        """The route's base digest, and whether its page is unchanged: the
        same digest as last time, and the old file holds the recorded bytes
        (a file edited by hand is rendered again)."""
        base = base_of(route)
        before = previous.get(route.output)
        if before is not None and old_output is not None and digest(route, base, before[1]) == before[0]:
            return base, _holds(old_output, route.output, before[2])
        return base, False

    files: dict[str, bytes] = {}
    records: dict[str, PageRecord] = {}
    unchanged: set[str] = set()
    pending: list[Route] = []
    routes = list(routes)
    if previous and old_output is not None:
        # Digesting every page's inputs and reading back its old bytes is
        # most of a small edit's build: share it out like rendering. Only
        # the verdicts come back; the bytes stay in the output folder.
        for route, (base, kept) in zip(routes, _map_in_workers(still_right, routes, jobs)):
            bases[route.output] = base
            if kept:
                records[route.output] = previous[route.output]
                unchanged.add(route.output)
            else:
                pending.append(route)
    else:
        pending = routes  # a first build: digests are taken while the workers render

    def digest_pending() -> None:
        # Pages without a record (all of them in a first build) need their
        # digest only for next time: compute it while the workers render.
        for route in pending:
            base_of(route)

    fresh, reads = render_routes_parallel(
        pending, env, problems, jobs, progress, track=True, site=site, meanwhile=digest_pending,
        on_page=on_page,
    )
    for route in pending:
        data = fresh.get(route.output)
        if data is None:
            continue
        files[route.output] = data
        sha = bytes_hash(data)
        records[route.output] = (digest(route, base_of(route), reads[route.output]), reads[route.output], sha)
        before = previous.get(route.output)
        if before is not None and before[2] == sha and old_output is not None:
            if _read_file(old_output, route.output) == data:  # not edited by hand
                unchanged.add(route.output)
    if ledger is not None:
        ledger.fill(
            routes,
            {output: (reads, sha) for output, (_, reads, sha) in records.items()},
            lambda name: (getattr(site, name, None), part(name)),
            keys,
            salt,
        )
    return files, records, unchanged


def render_from_ledger(
    routes: Sequence[Route],
    env: jinja2.Environment,
    problems: Problems,
    keys: TemplateKeys,
    salt: str,
    ledger: Ledger,
    old_output: Path | None,
    untouched: Callable[[str], bool] | None,
    jobs: int,
    progress: Callable[[int, int], None] | None = None,
    *,
    site: object,
    on_page: Callable[[str, bytes], None] | None = None,
) -> tuple[dict[str, bytes], dict[str, str], set[str]]:
    """`render_incrementally` for a build that starts from the last build's
    memos (state.py) and `ledger`, which it updates.

    A page is kept when its route is the very object the last build
    rendered, its template chain and `salt` are the same, every `site`
    attribute it read is the same (the very value, or one that fingerprints
    the same) and the old output file still holds the bytes it had then:
    `untouched(output)` says so from the file's signature; otherwise the
    file is read and hashed. No page's inputs are fingerprinted.

    Returns the pages rendered (output -> bytes), the pages kept (output ->
    bytes hash; not read), and the outputs whose bytes equal the old output's.
    """
    memo: dict[int, tuple[object, bytes]] = {}
    parts: dict[str, tuple[object, str]] = {}

    def part(name: str) -> tuple[object, str]:
        if name not in parts:
            value = getattr(site, name, None)
            hit = ledger.parts.get(name)
            parts[name] = hit if hit is not None and hit[0] is value else (value, fingerprint(value, memo))
        return parts[name]

    def part_same(name: str) -> bool:
        hit = ledger.parts.get(name)
        return hit is not None and part(name)[1] == hit[1]

    same_template: dict[str, bool] = {}

    def template_same(name: str) -> bool:
        if name not in same_template:
            same_template[name] = ledger.templates.get(name) == keys.key(name)
        return same_template[name]

    def holds(output: str, sha: str) -> bool:
        """The old output file still has the bytes hashed `sha`."""
        if old_output is None:
            return False
        if untouched is not None and untouched(output):
            return True
        return _holds(old_output, output, sha)  # touched, perhaps not changed

    routes = list(routes)
    kept: dict[str, str] = {}
    pending: list[Route] = []
    same_salt = ledger.salt == salt
    for route in routes:
        hit = ledger.pages.get(route.output)
        if (
            same_salt
            and hit is not None
            and hit[0] is route
            and template_same(route.template)
            and all(part_same(name) for name in hit[1])
            and holds(route.output, hit[2])
        ):
            kept[route.output] = hit[2]
        else:
            pending.append(route)
    files, reads = render_routes_parallel(
        pending, env, problems, jobs, progress, track=True, site=site, on_page=on_page
    )
    unchanged = set(kept)
    pages = {output: (ledger.pages[output][1], sha) for output, sha in kept.items()}
    for route in pending:
        data = files.get(route.output)
        if data is None:
            continue
        sha = bytes_hash(data)
        pages[route.output] = (reads[route.output], sha)
        before = ledger.pages.get(route.output)
        if before is not None and before[2] == sha and holds(route.output, sha):
            unchanged.add(route.output)
    ledger.fill(routes, pages, part, keys, salt)
    return files, kept, unchanged


# What forked workers apply to routes in `_map_in_workers`; inherited, not pickled.
_MAPPED: tuple[Callable[[Route], Any], list[Route]] | None = None
_MAP_CHUNK = 128


def _map_chunk(start: int) -> tuple[int, list[Any]]:
    assert _MAPPED is not None
    function, routes = _MAPPED
    return start, [function(route) for route in routes[start : start + _MAP_CHUNK]]


def _map_in_workers(function: Callable[[Route], Any], routes: list[Route], jobs: int) -> list[Any]:
    """`[function(route) for route in routes]`, over `jobs` forked processes
    when there are enough routes. `function` must be pure, its results
    small and picklable; what it caches stays in the workers."""
    global _MAPPED
    if not workers_pay(jobs, len(routes)):
        return [function(route) for route in routes]
    results: list[Any] = [None] * len(routes)
    _MAPPED = (function, routes)
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=ignore_interrupts) as pool:
            for start, chunk in pool.imap_unordered(_map_chunk, range(0, len(routes), _MAP_CHUNK)):
                results[start : start + len(chunk)] = chunk
    finally:
        _MAPPED = None
    return results


def _holds(folder: Path, relative: str, sha: str) -> bool:
    """Whether the file holds the bytes hashed `sha`."""
    data = _read_file(folder, relative)
    return data is not None and bytes_hash(data) == sha


def _read_file(folder: Path, relative: str) -> bytes | None:
    try:
        with open(f"{folder}/{relative}", "rb") as handle:
            return handle.read()
    except OSError:
        return None
