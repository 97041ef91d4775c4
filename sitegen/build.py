"""The pipeline: load -> model -> public view -> routes -> render -> write.

`build_site` gathers and renders everything before the output folder is
touched, so any problem, in content or templates, stops the build with every
message collected and the previous output untouched. (A first build writes
its pages into a staging folder beside the output while rendering, and a
failed build removes that folder; see write.StagedOutput.) `check_site` runs
the same stages without writing, then checks that every internal link lands. Callers
(the CLI, the preview server) get results or a `BuildFailed` carrying the
problems; this module prints nothing.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable, Iterable

import jinja2

from .content import markup

from .incremental import snapshot

from .incremental import state as saved
from .incremental.cache import FrontMatterStore, MarkdownStore, PageStore, TemplateBytecodeCache, TextFactsStore, cache_folder
from .deploy import BaseUrlChoice
from .errors import BuildFailed, Problem, Problems
from .content.load import ParseMemo, RecordCache, load_site
from .content.model import ModelMemo, Site, build_model
from .incremental.prefetch import MarkdownPrefetch
from .view.public import PublicMemo, PublicSite, build_public_site, publishable_static_files
from .render.pages import (
    Ledger,
    PageRecord,
    RenderMemo,
    RenderStats,
    TemplateKeys,
    default_jobs,
    make_environment,
    render_from_ledger,
    render_incrementally,
    render_routes,
    render_routes_parallel,
)
from .plan.routes import RouteMap, RouteMemo, plan_routes
from .render.theme import BUILTIN_THEME, static_dirs, template_dirs
from .output.write import MARKER, MARKER_TEXT, OutputRefused, StagedOutput, refusal_reason, write_output


@dataclass(frozen=True)
class BuildOptions:
    source: Path = Path(".")
    output: Path | None = None
    drafts: bool = False
    future: bool = False
    now: datetime | None = None
    base_url: BaseUrlChoice = BaseUrlChoice()
    cache: bool = True
    jobs: int = 0  # processes for rendering; 0 = one per core
    strict: bool = False  # warnings fail the build
    cache_write: bool = True  # False: use the cache but leave it as it is (check)


@dataclass(frozen=True)
class RenderedSite:
    site: Site
    public: PublicSite
    routes: RouteMap
    files: dict[str, bytes]
    warnings: list[Problem]
    timings: dict[str, float] = field(default_factory=dict)
    # Pages of an incremental build kept from the last output, whose bytes
    # were checked there but not read into `files`: output -> content hash.
    kept: dict[str, str] = field(default_factory=dict)


class _StageClock:
    """Seconds spent in each stage, for `build --verbose`."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._last
        self._last = now


@dataclass(frozen=True)
class BuildResult:
    output: Path
    pages: int
    static_files: int
    warnings: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    unchanged: int = 0  # pages whose bytes were already in the output


def build_moment(options: BuildOptions) -> datetime:
    """The build's "now": given, or SOURCE_DATE_EPOCH for reproducible builds."""
    if options.now is not None:
        return options.now if options.now.tzinfo else options.now.replace(tzinfo=UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(UTC)


def render_site(options: BuildOptions) -> RenderedSite:
    """Every stage but write; raises BuildFailed with all problems found."""
    return BuildSession(options, remember=False).render()


class BuildSession:
    """One site rendered again and again in one process (the preview server).

    Between renders it keeps the records of unchanged files, the compiled
    templates while no template file changed, and each page's output with
    what it was made from, so a one-post edit re-renders only the pages that
    show that post. The result is byte-identical to a fresh `render_site`.
    """

    def __init__(
        self,
        options: BuildOptions,
        remember: bool = True,
        watched: bool = False,
        state: saved.State | None = None,
        untouched: Callable[[Path], Callable[[str], bool] | None] | None = None,
    ) -> None:
        """`watched`: the caller reports every changed file to `forget` (a
        file watcher does), so files it did not name are not even looked at.

        `state` (command-line builds, see state.py): start from a previous
        build's memos, or fill fresh ones for the next build; pages are then
        not remembered in memory. `untouched(old output folder)` says which
        of that build's output files are still as it left them."""
        self.options = options
        self._records = RecordCache(watched) if remember else None
        self._memo = RenderMemo() if remember else None
        self._model_memo = ModelMemo() if remember else None
        self._public_memo = PublicMemo() if remember else None
        self._route_memo = RouteMemo() if remember else None
        self._ledger: Ledger | None = None
        self._untouched = untouched
        if state is not None and not remember:
            self._records, self._model_memo = state.records, state.model
            self._public_memo, self._route_memo = state.public, state.routes
            self._ledger = state.ledger
        self._bytecode: TemplateBytecodeCache | None = None
        self._markdown_loaded = False
        self._parsed: ParseMemo | None = None
        self._parsed_saved = False
        self._facts_saved = False
        if self._ledger is not None and self._ledger.pages:
            # Records of unchanged files come from the state, so the stores
            # of parsed front matter and text facts are neither read nor
            # written: they would meet only the changed files.
            self._parsed_saved = self._facts_saved = True
        self._env: jinja2.Environment | None = None
        self._env_signature: tuple[object, ...] = ()
        self._template_keys: TemplateKeys | None = None
        self.stats = RenderStats()
        self.timings: dict[str, float] = {}
        # Called with (pages done, pages in all) while rendering a full build.
        self.progress: Callable[[int, int], None] | None = None
        # Outputs whose bytes equal the previous output's (incremental builds),
        # and how to record this build's pages once it has been written.
        self.unchanged: set[str] = set()
        self._save_pages: Callable[[], None] = lambda: None
        # A first build's staging folder, filled while rendering (write.py).
        self.staged: StagedOutput | None = None

    def save_pages(self) -> None:
        """Record this build's pages for the next incremental build; call it
        only once the build has been written."""
        self._save_pages()

    def forget(self, paths: Iterable[Path]) -> None:
        """Files known to have changed (from a watcher): never reuse them."""
        changed = [Path(p).absolute() for p in paths]
        if self._records is not None:
            self._records.forget(changed)
        themes = self.options.source.absolute() / "themes"
        if any(p.is_relative_to(themes) for p in changed):
            self._env = None  # a template may have changed: recompile to be sure

    def render(
        self,
        output_check: OutputCheck | None = None,
        previous_output: Callable[[Site], Path | None] | None = None,
        stage: Callable[[Site], StagedOutput | None] | None = None,
        planned: Callable[[PublicSite, RouteMap], None] | None = None,
    ) -> RenderedSite:
        """Every stage but write; raises BuildFailed with all problems found.

        Stages go on past errors (using only the valid content) so that one
        run reports content, URL, output-folder and template problems alike.
        `output_check` adds problems about where the build would be written.
        `stage` may give a staging folder to write pages into as they are
        rendered (`self.staged`); the caller must use it up or discard it.
        `planned` is called once the routes are planned without errors.
        """
        options = self.options
        root = options.source.resolve()
        problems = Problems(root)
        now = build_moment(options)
        clock = _StageClock()
        self.timings = clock.seconds
        # Starting from the last build's state, only changed files are read
        # and only their posts made public again: too few to be worth
        # reading the stores of parsed front matter and text facts.
        from_state = self._ledger is not None and bool(self._ledger.pages)
        front_store = FrontMatterStore(cache_folder(root)) if options.cache else None
        if front_store is not None and self._parsed is None:
            self._parsed = ParseMemo({} if from_state else front_store.load())  # once per session
        store = MarkdownStore(cache_folder(root)) if options.cache else None
        facts_store = TextFactsStore(cache_folder(root)) if options.cache else None
        if store is not None and facts_store is not None and not self._markdown_loaded:
            # Once per session: a preview rebuild must not reread them.
            markup.use_cache(store.load())
            markup.use_text_facts({} if from_state else facts_store.load())
            self._markdown_loaded = True
        with MarkdownPrefetch(root, options.jobs or default_jobs()) as prefetch:
            if self._memo is None and (
                previous_output is None or store is None or not PageStore(cache_folder(root)).path.exists()
            ):
                # A one-off build that will render every page: convert the
                # Markdown on the other cores while this one plans.
                prefetch.start()
            records = load_site(root, problems, self._records, self._parsed)
            clock.lap("load")
            if not (root / "content").is_dir():
                raise BuildFailed(problems)
            site = build_model(records, problems, now.date(), options.base_url, self._model_memo)
            if output_check is not None:
                output_check(site, problems)
            clock.lap("model")
            public = build_public_site(
                site,
                now,
                include_drafts=options.drafts,
                include_future=options.future,
                memo=self._public_memo,
            )
            clock.lap("public view")
            routes = plan_routes(
                public, _static_sources(site, public, problems), problems, self._route_memo
            )
            clock.lap("routes")
            prefetch.finish()
        if planned is not None and not problems.has_errors():
            planned(public, routes)
        if options.cache and self._bytecode is None:
            self._bytecode = TemplateBytecodeCache(cache_folder(root))
        env, keys = self._environment(
            template_dirs(root, site.config.theme), public.base_url, self._bytecode
        )
        self.stats = RenderStats()
        memo = None if problems.has_errors() else self._memo
        self.staged = stage(site) if stage is not None and not problems.has_errors() else None
        on_page = self.staged.add if self.staged is not None else None
        pages = PageStore(cache_folder(root)) if options.cache and previous_output else None
        page_records: dict[str, PageRecord] = {}
        kept: dict[str, str] = {}
        self.unchanged = set()
        salt = f"{public.base_url}|{options.drafts}|{options.future}"
        old = previous_output(site) if previous_output is not None else None
        one_off = memo is None and self._memo is None
        if one_off and self._ledger is not None and self._ledger.pages and old is not None:
            # From the last build's memos (state.py): pages whose route is
            # the very object it rendered are checked without digests.
            files, kept, self.unchanged = render_from_ledger(
                routes.pages,
                env,
                problems,
                keys,
                salt,
                self._ledger,
                old,
                self._untouched(old) if self._untouched is not None else None,
                options.jobs or default_jobs(),
                self.progress,
                site=public,
                on_page=on_page,
            )
            # pages.sqlite stays as it is: its records are still true (a page
            # is only kept when its old file still hashes as recorded).
            pages = None
            self.stats = RenderStats(rendered=len(files) + len(kept) - len(self.unchanged), reused=len(self.unchanged))
        elif one_off and pages is not None and previous_output is not None:
            # A build from the command line: redo only pages whose inputs
            # changed since the last build, over all cores.
            files, page_records, self.unchanged = render_incrementally(
                routes.pages,
                env,
                problems,
                keys,
                salt,
                pages.load() if old is not None else {},
                old,
                options.jobs or default_jobs(),
                self.progress,
                site=public,
                on_page=on_page,
                ledger=self._ledger,
            )
            kept = {output: page_records[output][2] for output in self.unchanged if output not in files}
            self.stats = RenderStats(rendered=len(files) + len(kept) - len(self.unchanged), reused=len(self.unchanged))
        elif one_off:
            # A one-off build: spread pages over processes.
            files, _ = render_routes_parallel(
                routes.pages, env, problems, options.jobs or default_jobs(), self.progress, site=public,
                on_page=on_page,
            )
            self.stats = RenderStats(rendered=len(files))
        else:
            files = render_routes(routes.pages, env, problems, memo, keys, self.stats, public)
        clock.lap("render")
        if problems.has_errors():
            raise BuildFailed(problems)
        # Only a build that succeeded leaves anything in the cache.
        if pages is not None and options.cache_write:
            self._save_pages = lambda: pages.save(page_records)
        if store is not None and options.cache_write:
            store.save(markup.take_converted())
        parsed = self._parsed
        if (
            front_store is not None and parsed is not None and options.cache_write and parsed.changed
            and not self._parsed_saved
        ):
            # A one-off build met every file: it keeps just those. A session
            # (the preview) saves once, after its first build: rewriting the
            # file would cost more than a whole preview rebuild.
            front_store.save(parsed.used)
            self._parsed = ParseMemo(parsed.used)
            self._parsed_saved = self._memo is not None
        if facts_store is not None and options.cache_write and not self._facts_saved:
            facts, facts_changed = markup.text_facts_used()
            if facts_changed:
                facts_store.save(facts)  # like the front matter: once per session
            self._facts_saved = self._memo is not None
        if self._bytecode is not None and options.cache_write:
            self._bytecode.flush()
        return RenderedSite(site, public, routes, files, problems.warnings, dict(clock.seconds), kept)

    def _environment(
        self, folders: list[Path], base_url: str, bytecode: jinja2.BytecodeCache | None
    ) -> tuple[jinja2.Environment, TemplateKeys]:
        """The Jinja environment, rebuilt only when a template file changed."""
        signature = (base_url, *folders, *_folder_signature(folders))
        if self._env is None or self._template_keys is None or signature != self._env_signature:
            self._env = make_environment(folders, base_url, bytecode)
            self._template_keys = TemplateKeys(self._env)
            self._env_signature = signature
        return self._env, self._template_keys


def _folder_signature(folders: list[Path]) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            try:
                stat = path.stat()
            except OSError:
                continue
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return found


def _static_sources(
    site: Site, public: PublicSite, problems: Problems
) -> list[tuple[Path, str, str]]:
    """(file, output path, origin) in precedence order: content first, then theme."""
    sources: list[tuple[Path, str, str]] = []
    content_static = site.root / "content" / "static"
    for path in publishable_static_files(site, public):
        relative = path.relative_to(content_static).as_posix()
        sources.append((path, relative, problems.display_path(path)))
    for folder in static_dirs(site.root, site.config.theme):
        for path in sorted(folder.rglob("*")):
            relative_path = path.relative_to(folder)
            if not path.is_file() or any(p.startswith(".") for p in relative_path.parts):
                continue
            origin = (
                f"the built-in theme's {relative_path.as_posix()}"
                if folder.is_relative_to(BUILTIN_THEME)
                else problems.display_path(path)
            )
            sources.append((path, relative_path.as_posix(), origin))
    return sources


def output_folder(options: BuildOptions, site: Site) -> Path:
    return _output_path(options, site.root, site.config.output_dir)


def _output_path(options: BuildOptions, root: Path, output_dir: str) -> Path:
    """Where a build writes, given site.yaml's `output_dir` (--output wins)."""
    if options.output is not None:
        return options.output.expanduser().resolve()
    return (root / output_dir).expanduser().resolve()


OutputCheck = Callable[[Site, Problems], None]


def _output_check(options: BuildOptions) -> OutputCheck:
    def check(site: Site, problems: Problems) -> None:
        output = output_folder(options, site)
        reason = refusal_reason(output, site.root)
        if reason is not None:
            _refuse(problems, options, site, f"output folder {output} {reason}")

    return check


def _stage(options: BuildOptions) -> Callable[[Site], StagedOutput | None]:
    """A staging folder for a first build (no previous output of sitegen's
    there), so pages are written while the others render."""

    def stage(site: Site) -> StagedOutput | None:
        folder = output_folder(options, site)
        if (folder / MARKER).is_file():
            return None  # an update in place: only changed pages are written
        try:
            return StagedOutput(folder, site.root)
        except (OutputRefused, OSError):
            return None  # write_output finds it again and says why

    return stage


def _previous_output(options: BuildOptions) -> Callable[[Site], Path | None]:
    """The last build's output folder, if sitegen wrote it (has its marker)."""

    def find(site: Site) -> Path | None:
        folder = output_folder(options, site)
        return folder if (folder / MARKER).is_file() else None

    return find


def build_site(
    options: BuildOptions,
    progress: Callable[[int, int], None] | None = None,
    keep: list[object] | None = None,
) -> BuildResult:
    """Render the whole site, then write it atomically; raises BuildFailed.

    When nothing a build reads changed since the last successful one (see
    snapshot.py), the output already holds exactly what this build would
    write, so the last build's report is replayed instead, warnings and
    --strict failures included. Any doubt means a full build.

    `progress` is called with (pages rendered, pages in all) now and then.
    `keep` receives the build's working objects instead of letting them be
    freed on return (for a process about to leave without freeing them)."""
    started = time.perf_counter()
    # One moment for the no-change check, the build and its record.
    now = build_moment(options)
    options = replace(options, now=now)
    root = options.source.resolve()
    settings = _snapshot_settings(options, root)
    record = snapshot.read_record(root) if options.cache else None
    if options.cache:
        replayed = snapshot.replay(
            root, settings, now, lambda output_dir: _usable_output(options, root, output_dir),
            may_write=options.cache_write,
            record=record,
        )
        if replayed is not None:
            _fail_on_warnings(root, replayed.warnings, options)
            seconds = time.perf_counter() - started
            return BuildResult(
                output=replayed.output,
                pages=replayed.pages,
                static_files=replayed.static_files,
                warnings=replayed.warnings,
                seconds=seconds,
                timings={"unchanged check": seconds},
                unchanged=replayed.pages,
            )
    recorder = snapshot.Recorder(root) if options.cache and options.cache_write else None
    fence = time.time_ns()
    if recorder is not None:
        recorder.start()
    # The last build's memos (state.py), or fresh ones to leave for the next.
    state = (saved.load(root, settings) or saved.State.fresh()) if recorder is not None else None
    last_build = state.build if state is not None else ""
    checked = time.perf_counter()
    checks: list[snapshot.UntouchedOutputs] = []

    def untouched(old: Path) -> snapshot.UntouchedOutputs | None:
        found = snapshot.untouched_outputs(record, last_build, old)
        if found is not None:
            checks.append(found)
        return found

    session = BuildSession(options, remember=False, state=state, untouched=untouched)
    session.progress = progress
    saver: saved.Saver | None = None

    def save_state(public: PublicSite, routes: RouteMap) -> None:
        # The memos are final once the routes are planned: a forked child
        # pickles them while this process renders and writes.
        nonlocal saver
        if state is not None:
            state.records.keep_for_later(fence, snapshot.RACY_NS)
            state.build = saved.new_build_id()
            saver = saved.Saver(root, settings, state, public, routes.pages)

    try:
        rendered = session.render(
            _output_check(options), _previous_output(options), _stage(options), planned=save_state
        )
        site = rendered.site
        _fail_on_warnings(site.root, rendered.warnings, options)
        output = output_folder(options, site)
        problems = Problems(site.root)
        copies = [(s.output, s.source) for s in rendered.routes.static]
        try:
            write_output(
                output, site.root, rendered.files, copies, session.unchanged, session.staged, rendered.kept
            )
            session.save_pages()
        except OutputRefused as exc:
            _refuse(problems, options, site, str(exc))
            raise BuildFailed(problems) from None
        except OSError as exc:
            problems.error(output, 0, f"cannot write the output: {exc.strerror or exc}")
            raise BuildFailed(problems) from None
    except BaseException:
        if saver is not None:
            saver.finish(None)
        raise
    finally:
        if session.staged is not None:
            session.staged.discard()  # a failed build: its staging folder goes
        saved.thaw()
    if recorder is not None:
        recorder.finish(
            output,
            site.config.output_dir,
            settings,
            now.date(),
            snapshot.moment_window((post.date for post in site.posts), now),
            rendered.files,
            dict(copies),
            (MARKER, MARKER_TEXT.encode("utf-8")),
            rendered.warnings,
            rendered.kept,
            build=state.build if state is not None else "",
            # Files found as the last build left them, and not written since.
            verified={
                label: signature
                for check in checks
                for label, signature in check.verified.items()
                if label not in rendered.files or label in session.unchanged
            },
        )
    if saver is not None and state is not None:
        saver.finish(state.ledger)
    written = time.perf_counter()
    timings = {
        "unchanged check": checked - started,
        **rendered.timings,
        "write": written - checked - sum(rendered.timings.values()),
    }
    if keep is not None:
        keep.append((state, session, rendered))
    return BuildResult(
        output=output,
        pages=len(rendered.files) + len(rendered.kept),
        static_files=len(copies),
        warnings=rendered.warnings,
        seconds=written - started,
        timings=timings,
        unchanged=len(session.unchanged),
    )


def _snapshot_settings(options: BuildOptions, root: Path) -> dict[str, object]:
    """The options that change a build's bytes, as the no-change record keeps
    them. The base URL is the one chosen from --base-url and Netlify's
    variables; the output folder and the moment are checked on their own;
    --strict only decides whether warnings fail, which a replay does too."""
    choice = options.base_url
    return {
        "root": str(root),
        "drafts": options.drafts,
        "future": options.future,
        "base_url": [choice.override, choice.fallback, choice.origin],
    }


def _usable_output(options: BuildOptions, root: Path, output_dir: str) -> Path | None:
    """The output folder for a replay, or None when a build would refuse it."""
    output = _output_path(options, root, output_dir)
    return None if refusal_reason(output, root) is not None else output


def _fail_on_warnings(root: Path, warnings: list[Problem], options: BuildOptions) -> None:
    """With --strict, every warning fails the build, as an error at its place."""
    if options.strict and warnings:
        strict = Problems(root)
        for warning in warnings:
            strict.error(warning.path, warning.line, f"{warning.message} (a warning; --strict fails on it)")
        raise BuildFailed(strict)


def _refuse(problems: Problems, options: BuildOptions, site: Site, message: str) -> None:
    if options.output is not None:
        problems.error("--output", 0, message)
    else:
        problems.error(site.config.source.path, site.config.output_dir_line, message)


def check_rendered_links(rendered: RenderedSite, problems: Problems) -> int:
    """Broken internal links of a rendered site as errors; returns the links checked."""
    from .render.links import (
        check_links,  # only `check` needs it: keep it out of build start-up
    )

    site = rendered.site
    return check_links(
        rendered.files,
        rendered.routes.pages,
        [static.output for static in rendered.routes.static],
        rendered.public.base_url,
        site.root,
        template_dirs(site.root, site.config.theme),
        problems,
    )


def check_site(options: BuildOptions, links_only: bool = False) -> Problems:
    """Every problem a build would find, and broken internal links, without writing.

    With `links_only`, only the link check's problems (plus the problems that
    stop rendering, since links cannot be checked then).
    """
    root = options.source.resolve()
    options = replace(options, cache_write=False)  # check writes nothing at all
    try:
        rendered = BuildSession(options, remember=False).render(_output_check(options))
    except BuildFailed as failed:
        return failed.problems
    problems = Problems(root)
    check_rendered_links(rendered, problems)
    if links_only:
        return problems
    for warning in rendered.warnings:
        problems.add(warning)
    return problems
