"""The one rule for "this page is unchanged", for every kind of build.

A page is a pure function of its template chain, its own context and the
`site` attributes it reads. So a page is unchanged, and its last bytes are
its bytes now, when

* its template chain has the key recorded for it (`TemplateKeys`),
* its context equals the recorded one,
* every `site` attribute it read last time equals the recorded value, and
* the recorded bytes are still there: in memory for the preview, in the
  output folder for the command line (checked by the manifest's file
  signature, or by content).

"Equals" has two proofs, and `PageBook` uses whichever its records allow:
within one process, identity or `==` (the preview's memos hand back the
very objects of unchanged content, so this is nearly free); across
processes, fingerprints (`cache.fingerprint`, stable from one process to
the next), which the manifest keeps. The same `PageBook.unchanged` decides
for the preview, for incremental command-line builds and for nothing else:
there is no other shortcut past rendering a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import jinja2

from ..errors import Problems
from ..plan.pages import Route
from ..render.jinja import Renderer, TemplateKeys, render_tracked
from ..render.parallel import map_in_workers, render_routes_parallel
from .cache import Memo, bytes_hash, fingerprint

_MISSING = object()


@dataclass
class PageRecord:
    """What one page was rendered from, and a hash of its bytes.

    Kept in memory (the preview): `inputs` and `context` are the route's own
    objects, `values` the `site` attributes it read and `data` its bytes.
    Kept in the manifest (the command line): `context_print` is its
    context's fingerprint, the book's `prints` hold the fingerprints of the
    `site` attributes, and the bytes stay in the output folder."""

    template: str
    reads: tuple[str, ...]
    sha: str
    context_print: str = ""
    inputs: object = None
    context: Mapping[str, Any] | None = None
    values: Mapping[str, object] | None = None
    data: bytes | None = None

    def to_json(self) -> list[object]:
        return [self.template, list(self.reads), self.sha, self.context_print]


class PageBook:
    """Every page's record and the `site` attributes they read, with the
    one rule (`unchanged`). `salt` names what else every page depends on
    (the base URL, drafts, future): a book with another salt keeps nothing."""

    def __init__(self, salt: str, in_memory: bool) -> None:
        self.salt = salt
        self.in_memory = in_memory
        self.records: dict[str, PageRecord] = {}
        # From the manifest: the fingerprint of each `site` attribute any page
        # read, as every recorded page saw it.
        self.prints: dict[str, str] = {}
        self._site: object = None
        self._keys: TemplateKeys | None = None
        self._holds: Callable[[str, str], bool] = lambda output, sha: False
        self._changed: dict[object, bool] = {}
        self._verdicts: dict[object, bool] = {}
        self._interned: dict[tuple[tuple[str, int], ...], Mapping[str, object]] = {}
        self._prints: dict[str, str] = {}
        self._memo: Memo = {}
        # The preview's short way (see `suspects`).
        self._last_routes: list[Route] | None = None
        self._last_keys: TemplateKeys | None = None
        self.last_files: dict[str, bytes] = {}
        self._readers: dict[int, set[str]] = {}

    # -- reading and writing the manifest's part -----------------------------

    @classmethod
    def from_json(cls, data: object, salt: str) -> PageBook:
        """The book a manifest kept; an empty one when it is not for `salt`
        or not in this shape."""
        book = cls(salt, in_memory=False)
        if not isinstance(data, dict) or data.get("salt") != salt:
            return book
        pages, prints = data.get("pages"), data.get("prints")
        if not isinstance(pages, dict) or not isinstance(prints, dict):
            return book
        for output, item in pages.items():
            if (
                isinstance(item, list) and len(item) == 4 and isinstance(item[0], str)
                and isinstance(item[1], list) and all(isinstance(n, str) for n in item[1])
                and isinstance(item[2], str) and isinstance(item[3], str)
            ):
                book.records[output] = PageRecord(item[0], tuple(item[1]), item[2], item[3])
        book.prints = {name: value for name, value in prints.items() if isinstance(value, str)}
        return book

    def to_json(self) -> dict[str, object]:
        return {
            "salt": self.salt,
            "prints": dict(sorted(self.prints.items())),
            "pages": {output: record.to_json() for output, record in self.records.items()},
        }

    # -- the rule ---------------------------------------------------------------

    def begin(self, site: object, keys: TemplateKeys, holds: Callable[[str, str], bool] | None = None) -> None:
        """Start a build of `site`; `holds(output, sha)` says whether the old
        output file still holds those bytes (the command line)."""
        self._site = site
        self._keys = keys
        self._changed = {}
        self._verdicts = {}
        self._prints = {}
        self._memo = {}
        if holds is not None:
            self._holds = holds

    def unchanged(self, route: Route) -> bool:
        """The one rule (see the module docstring)."""
        return self.same_inputs(route) and self.holds(route.output, self.records[route.output].sha)

    def same_inputs(self, route: Route) -> bool:
        """The rule's first three points: the page would be rendered from
        what its recorded bytes were rendered from."""
        old = self.records.get(route.output)
        assert self._keys is not None
        return (
            old is not None
            and old.template == self._keys.key(route.template)
            and self._same_context(old, route)
            and self._same_parts(old)
        )

    def _same_parts(self, record: PageRecord) -> bool:
        """Whether every `site` attribute the page read is as it read it;
        answered once per build for all pages that read the same values
        (in memory, records share one `values` mapping per set of values
        read: see `record`) or the same attributes (from the manifest)."""
        key: object = id(record.values) if record.values is not None else record.reads
        found = self._verdicts.get(key)
        if found is None:
            found = self._verdicts[key] = not any(self._part_changed(name, record) for name in record.reads)
        return found

    def compare_parts(self) -> None:
        """From the manifest: answer `_print_changed` for every attribute any
        record read (before forking, so the workers inherit the answers)."""
        for name in {name for record in self.records.values() for name in record.reads}:
            self._print_changed(name)

    def holds(self, output: str, sha: str) -> bool:
        """The rule's last point: the recorded bytes are still there."""
        return self.in_memory or self._holds(output, sha)

    def _same_context(self, old: PageRecord, route: Route) -> bool:
        if old.context is None:
            return old.context_print == self.context_print(route)
        if route.inputs is not None and route.inputs is old.inputs:
            return True
        context = route.context
        if len(context) != len(old.context):
            return False
        for name, value in old.context.items():
            current = context.get(name, _MISSING)
            if current is not value and current != value:
                return False
        return True

    def _part_changed(self, name: str, record: PageRecord) -> bool:
        """Whether `site.name` differs from what the page read; answered once
        per build for each attribute and each value pages saw."""
        if record.values is None:
            return self._print_changed(name)
        seen = record.values.get(name, _MISSING)
        key = (name, id(seen))  # `seen` is held by the record: its id stays its own
        found = self._changed.get(key)
        if found is None:
            value = getattr(self._site, name, None)
            found = self._changed[key] = seen is not value and seen != value
        return found

    def _print_changed(self, name: str) -> bool:
        """Whether `site.name` fingerprints differently from the manifest's."""
        found = self._changed.get(name)
        if found is None:
            value = getattr(self._site, name, None)
            found = self._changed[name] = self.prints.get(name) != fingerprint(value, self._memo)
        return found

    def context_print(self, route: Route) -> str:
        found = self._prints.get(route.output)
        if found is None:
            found = self._prints[route.output] = fingerprint(dict(route.context), self._memo)
        return found

    # -- the preview's short way --------------------------------------------------

    def suspects(self, routes: list[Route]) -> list[Route] | None:
        """In memory, when the pages are the last render's list but for
        routes replaced in place: the routes the rule may answer "changed"
        for. Every other page is the very route object rendered (or kept)
        last time, so its context is the same, its template chain's key is
        (the environment, and with it `TemplateKeys`, is made anew when a
        template file changes) and only a `site` attribute it read can have
        changed: the pages that read a set of values that changed are
        suspects too. None when the whole list must be checked."""
        last = self._last_routes
        if not self.in_memory or last is None or self._keys is not self._last_keys or len(last) != len(routes):
            return None
        found = [route for route, before in zip(routes, last) if route is not before]
        if any(route.output not in self.last_files for route in found):
            return None
        seen = {id(route) for route in found}
        by_output = {route.output: route for route in routes} if self._readers else {}
        for outputs in self._readers.values():
            if self._same_parts(self.records[next(iter(outputs))]):
                continue
            for output in outputs:
                route = by_output.get(output)
                if route is not None and id(route) not in seen:
                    seen.add(id(route))
                    found.append(route)
        return found

    def remember(self, routes: list[Route], files: dict[str, bytes]) -> None:
        """After an in-memory render without errors: the pages in order and
        their bytes, for the next `suspects`."""
        self._last_routes = routes
        self._last_keys = self._keys
        self.last_files = files
        self._readers = {}
        for output, record in self.records.items():
            if record.values is not None:
                self._readers.setdefault(id(record.values), set()).add(output)

    # -- recording --------------------------------------------------------------

    def record(self, route: Route, reads: Mapping[str, object] | Sequence[str], data: bytes, context_print: str = "") -> None:
        assert self._keys is not None
        names = tuple(sorted(reads))
        record = PageRecord(self._keys.key(route.template), names, bytes_hash(data), context_print)
        if self.in_memory:
            record.inputs, record.context, record.data = route.inputs, dict(route.context), data
            record.values = self._intern(reads) if isinstance(reads, Mapping) else None
        self.records[route.output] = record

    def _intern(self, reads: Mapping[str, object]) -> Mapping[str, object]:
        """One mapping for all pages that read the same values (the shared
        mapping holds the values, so their ids stay theirs)."""
        key = tuple(sorted((name, id(value)) for name, value in reads.items()))
        found = self._interned.get(key)
        if found is None:
            found = self._interned[key] = dict(reads)
        return found

    def finish(self, outputs: set[str]) -> None:
        """After a build of every page: forget pages that are gone, and (for
        the manifest) fingerprint every `site` attribute a page read."""
        for output in [o for o in self.records if o not in outputs]:
            del self.records[output]
        if self.in_memory:
            used = {id(record.values) for record in self.records.values()}
            self._interned = {k: v for k, v in self._interned.items() if id(v) in used}
        else:
            names = {name for record in self.records.values() for name in record.reads}
            self.prints = {name: fingerprint(getattr(self._site, name, None), self._memo) for name in names}


@dataclass
class RenderedPages:
    files: dict[str, bytes]  # pages rendered now (and, in memory, the kept ones)
    kept: dict[str, str]  # pages kept in the output folder unread: output -> bytes hash
    unchanged: set[str]  # pages whose bytes equal the last build's


def render_pages(
    routes: Sequence[Route],
    env: jinja2.Environment,
    problems: Problems,
    keys: TemplateKeys,
    site: object,
    book: PageBook | None,
    jobs: int,
    progress: Callable[[int, int], None] | None = None,
    on_page: Callable[[str, bytes], None] | None = None,
    holds: Callable[[str, str], bool] | None = None,
    look: Callable[[list[str]], None] = lambda outputs: None,
) -> RenderedPages:
    """Every route's page: kept when `book` says it is unchanged, rendered
    otherwise. Without a book every page is rendered (over `jobs`
    processes). With one in memory (the preview) pages are rendered here;
    with one from the manifest, checking and rendering are shared out over
    `jobs` processes, kept pages are not read, and the book is filled for
    the next build. `holds(output, sha)` says whether the last output folder
    still holds a page's recorded bytes; `look(outputs)` may check those
    files ahead, while the workers compare the pages' inputs."""
    routes = list(routes)
    if book is None:
        files, _ = render_routes_parallel(routes, env, problems, jobs, progress, site=site, on_page=on_page)
        return RenderedPages(files, {}, set())
    book.begin(site, keys, holds)
    if book.in_memory:
        return _render_in_memory(routes, env, problems, site, book)
    return _render_over_processes(routes, env, problems, site, book, jobs, progress, on_page, look)


def _render_in_memory(
    routes: list[Route], env: jinja2.Environment, problems: Problems, site: object, book: PageBook
) -> RenderedPages:
    renderer = Renderer(env, problems, site)
    files: dict[str, bytes] = {}
    unchanged: set[str] = set()
    suspects = book.suspects(routes)
    if suspects is not None:  # the short way: the rule is asked only where it may say no
        files = dict(book.last_files)
        unchanged = set(files)
    for route in routes if suspects is None else suspects:
        if book.unchanged(route):
            data = book.records[route.output].data
            assert data is not None
            files[route.output] = data
            unchanged.add(route.output)
            continue
        unchanged.discard(route.output)
        files.pop(route.output, None)
        data, reads = render_tracked(renderer, route)
        if data is not None:
            old = book.records.get(route.output)
            book.record(route, reads, data)
            files[route.output] = data
            if old is not None and old.sha == book.records[route.output].sha:
                unchanged.add(route.output)
    if not problems.has_errors():
        book.finish(set(files))
        book.remember(routes, files)
    return RenderedPages(files, {}, unchanged)


def _render_over_processes(
    routes: list[Route],
    env: jinja2.Environment,
    problems: Problems,
    site: object,
    book: PageBook,
    jobs: int,
    progress: Callable[[int, int], None] | None,
    on_page: Callable[[str, bytes], None] | None,
    look: Callable[[list[str]], None],
) -> RenderedPages:
    def verdict(route: Route) -> tuple[bool, str]:
        # In the workers: fingerprinting contexts is most of a small edit's
        # build. Only the verdict and the fingerprint come back.
        return book.same_inputs(route), book.context_print(route)

    kept: dict[str, str] = {}
    pending: list[Route] = []
    prints: dict[str, str] = {}
    # Compare the `site` attributes pages read here, once: the workers
    # inherit the verdicts and fingerprints (fork), so none of them digests
    # them again, and neither does `finish`.
    book.compare_parts()
    outputs = [route.output for route in routes if route.output in book.records]
    checked = (
        map_in_workers(verdict, routes, jobs, meanwhile=lambda: look(outputs))
        if book.records else [(False, "")] * len(routes)
    )
    for route, (same, print_) in zip(routes, checked):
        prints[route.output] = print_
        sha = book.records[route.output].sha if same else ""
        if same and book.holds(route.output, sha):  # here: the check notes what it verified
            kept[route.output] = sha
        else:
            pending.append(route)

    def fingerprint_pending() -> None:
        # A first build learns its pages' fingerprints while the workers render.
        for route in pending:
            if not prints[route.output]:
                prints[route.output] = book.context_print(route)

    files, reads = render_routes_parallel(
        pending, env, problems, jobs, progress, track=True, site=site, meanwhile=fingerprint_pending,
        on_page=on_page,
    )
    unchanged = set(kept)
    for route in pending:
        data = files.get(route.output)
        if data is None:
            continue
        old = book.records.get(route.output)
        book.record(route, reads[route.output], data, prints[route.output])
        sha = book.records[route.output].sha
        if old is not None and old.sha == sha and book.holds(route.output, sha):
            unchanged.add(route.output)
    if not problems.has_errors():
        book.finish({*files, *kept})
    return RenderedPages(files, kept, unchanged)
