"""The pipeline: load -> model -> public view -> routes -> render -> write.

`build_site` first asks the manifest whether anything a build reads changed
since the last successful one (incremental/snapshot.py); when nothing did,
it replays that build's report without importing the pipeline at all.
Otherwise a `BuildSession` (session.py) runs the stages up to render,
gathering everything before the output folder is touched, so any problem,
in content or templates, stops the build with every message collected and
the previous output untouched. (A first build writes its pages into a
staging folder beside the output while rendering, and a failed build
removes that folder; see write.StagedOutput.) Then the pages are written
and the manifest recorded. `check_site` runs the same stages without
writing, then checks that every internal link lands. Callers (the CLI, the
preview server) get results or a `BuildFailed` carrying the problems; this
module prints nothing.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .deploy import BaseUrlChoice
from .errors import BuildFailed, Problem, Problems
from .incremental import snapshot
from .output.journal import JOURNAL, recover
from .output.lock import locked
from .output.write import (
    MARKER, MARKER_TEXT, OutputRefused, SourceUnreadable, StagedOutput, refusal_reason, remove_leftovers,
    write_output,
)

if TYPE_CHECKING:
    from .content.model import Site
    from .session import BuildSession, OutputCheck, RenderedSite


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
    # Broken links written in content fail the build (plan/written_links.py);
    # `check` turns it off: its check of the rendered pages finds the same
    # links, with the same messages, and template links and #fragments too.
    written_links: bool = True


@dataclass(frozen=True)
class BuildResult:
    output: Path
    pages: int
    static_files: int
    warnings: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    unchanged: int = 0  # pages whose bytes were already in the output
    next_change: str | None = None  # content/changes.py, for the summary
    left_out: str | None = None  # posts not published (drafts, future), for the summary


def build_moment(options: BuildOptions) -> datetime:
    """The build's "now": given, or SOURCE_DATE_EPOCH for reproducible builds.
    Raises BuildFailed when SOURCE_DATE_EPOCH is set to no such moment (the
    command line says so before any command starts: `epoch_problem`)."""
    if options.now is not None:
        return options.now if options.now.tzinfo else options.now.replace(tzinfo=UTC)
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return datetime.now(UTC)
    seconds = _epoch_seconds(text)
    if seconds is None:
        problems = Problems()
        problems.add(_bad_epoch(text))
        raise BuildFailed(problems)
    return datetime.fromtimestamp(seconds, tz=UTC)


# The last second a date can name: 9999-12-31 23:59:59 UTC.
LAST_EPOCH = 253402300799


def epoch_problem() -> Problem | None:
    """What is wrong with SOURCE_DATE_EPOCH, if it is set to anything but a
    whole number of seconds from 0 to LAST_EPOCH. As the reproducible-builds
    rule asks, a value that is not one stops the build: building on the
    clock instead would give other bytes without a word."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return None if not text or _epoch_seconds(text) is not None else _bad_epoch(text)


def _epoch_seconds(text: str) -> int | None:
    """The seconds `text` says, if it is ASCII digits worth at most
    LAST_EPOCH (leading zeros cut first: int() refuses thousands of digits)."""
    digits = text.lstrip("0") or "0"
    if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(LAST_EPOCH)):
        return None
    seconds = int(digits)
    return seconds if seconds <= LAST_EPOCH else None


def _bad_epoch(text: str) -> Problem:
    shown = text if len(text) <= 40 else f"{text[:40]}..."
    return Problem(
        "SOURCE_DATE_EPOCH", 0,
        f"must be a whole number of seconds since 1970-01-01 UTC, from 0 to {LAST_EPOCH} (the end of 9999), "
        f"got '{shown}': set it to one (`date +%s` prints the current one) or unset it",
    )


def render_site(options: BuildOptions) -> RenderedSite:
    """Every stage but write; raises BuildFailed with all problems found."""
    from .session import BuildSession

    return BuildSession(options, remember=False).render()


def output_folder(options: BuildOptions, site: Site) -> Path:
    return _output_path(options, site.root, site.config.output_dir)


def _output_path(options: BuildOptions, root: Path, output_dir: str) -> Path:
    """Where a build writes, given site.yaml's `output_dir` (--output wins)."""
    if options.output is not None:
        return options.output.expanduser().resolve()
    return (root / output_dir).expanduser().resolve()


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
        try:
            if refusal_reason(folder, site.root) is not None:
                return None  # never touched: write_output says why
            # What a killed build left half done, before any page is checked:
            # a swap (the last output set aside, staging folders beside it),
            # an update in place.
            remove_leftovers(folder)
            if not (folder / MARKER).is_file():
                return None
            recover(folder)
        except OSError:
            return None  # write_output meets it again and says why
        return folder

    return find


def build_site(
    options: BuildOptions,
    progress: Callable[[int, int], None] | None = None,
    keep: list[object] | None = None,
    waiting: Callable[[], None] = lambda: None,
) -> BuildResult:
    """`_build_site` holding the site's build lock (output/lock.py);
    `waiting()` is called once if another build holds it."""
    with locked(options.source.resolve(), waiting):
        return _build_site(options, progress, keep)


def _build_site(
    options: BuildOptions,
    progress: Callable[[int, int], None] | None = None,
    keep: list[object] | None = None,
) -> BuildResult:
    """Render the whole site, then write it atomically; raises BuildFailed.

    When nothing a build reads changed since the last successful one (see
    snapshot.py), the output already holds exactly what this build would
    write, so the last build's report is replayed instead, warnings and
    --strict failures included. Any doubt means a full build, which keeps
    the pages the last build's manifest proves unchanged (incremental/pages.py).

    `progress` is called with (pages rendered, pages in all) now and then.
    `keep` receives the build's working objects instead of letting them be
    freed on return (for a process about to leave without freeing them)."""
    started = time.perf_counter()
    now = build_moment(options)  # one moment for the no-change check, the build and its record
    options = replace(options, now=now)
    root = options.source.resolve()
    settings = _snapshot_settings(options, root)
    record = snapshot.read_record(root) if options.cache else None
    scan = snapshot.InputScan(root)
    replayed = _replay(options, root, settings, record, scan)
    if replayed is not None:
        seconds = time.perf_counter() - started
        return replace(replayed, seconds=seconds, timings={"unchanged check": seconds})
    recorder = snapshot.Recorder(root) if options.cache and options.cache_write else None
    if recorder is not None:
        recorder.start(scan)
    checked = time.perf_counter()
    checks: list[snapshot.UntouchedOutputs] = []

    def untouched(old: Path) -> snapshot.UntouchedOutputs | None:
        found = snapshot.untouched_outputs(record, old)
        if found is not None:
            checks.append(found)
        return found

    from .session import BuildSession  # the whole pipeline: not needed for a replay

    session = BuildSession(options, remember=False, manifest=record, untouched=untouched)
    session.progress = progress
    try:
        rendered = session.render(_output_check(options), _previous_output(options), _stage(options))
        output, copies = _write(options, session, rendered)
    except BaseException:
        session.close()
        raise
    finally:
        if session.staged is not None:
            session.staged.discard()  # a failed build: its staging folder goes
    described, unpublished = _summary(rendered.site, options)
    if recorder is not None:
        _record(recorder, options, settings, session, rendered, output, copies, checks, described, unpublished)
    written = time.perf_counter()
    if keep is not None:
        keep.append((session, rendered))
    else:
        session.close()
    stages = rendered.timings
    timings = {"unchanged check": checked - started, **stages, "write": written - checked - sum(stages.values())}
    return BuildResult(
        output, len(rendered.files) + len(rendered.kept), len(copies), rendered.warnings,
        written - started, timings, len(session.unchanged), described, unpublished,
    )


def _summary(site: Site, options: BuildOptions) -> tuple[str | None, str | None]:
    """The build summary's "next change ..." and what was not published."""
    from .content.changes import next_change
    from .view.posts import left_out

    assert options.now is not None
    change = next_change(site, options.now, options.drafts, options.future)
    described = f"next change {change.describe()}" if change is not None else None
    return described, left_out(site.posts, options.now, options.drafts, options.future)


def _replay(
    options: BuildOptions,
    root: Path,
    settings: dict[str, object],
    record: snapshot.JsonObject | None,
    scan: snapshot.InputScan,
) -> BuildResult | None:
    """The last build's result, when the no-change record proves this build
    would write the same bytes (see snapshot.py); `scan` lists the inputs."""
    if not options.cache:
        return None
    assert options.now is not None
    replayed = snapshot.replay(
        root, settings, options.now, lambda output_dir: _usable_output(options, root, output_dir),
        may_write=options.cache_write,
        record=record,
        scan=scan,
    )
    if replayed is None:
        return None
    _fail_on_warnings(root, replayed.warnings, options)
    return BuildResult(
        output=replayed.output,
        pages=replayed.pages,
        static_files=replayed.static_files,
        warnings=replayed.warnings,
        unchanged=replayed.pages,
        next_change=replayed.next_change,
        left_out=replayed.left_out,
    )


def _write(options: BuildOptions, session: BuildSession, rendered: RenderedSite) -> tuple[Path, list[tuple[str, Path]]]:
    """Write the rendered site into its output folder; raises BuildFailed."""
    site = rendered.site
    _fail_on_warnings(site.root, rendered.warnings, options)
    output = output_folder(options, site)
    problems = Problems(site.root)
    copies = [(s.output, s.source) for s in rendered.routes.static]
    try:
        write_output(output, site.root, rendered.files, copies, session.unchanged, session.staged, rendered.kept)
    except OutputRefused as exc:
        _refuse(problems, options, site, str(exc))
        raise BuildFailed(problems) from None
    except SourceUnreadable as exc:
        problems.error(exc.source, 0, f"cannot read file: {exc.error.strerror or exc.error}")
        raise BuildFailed(problems) from None
    except OSError as exc:
        problems.error(output, 0, f"cannot write the output: {exc.strerror or exc}")
        raise BuildFailed(problems) from None
    return output, copies


def _record(
    recorder: snapshot.Recorder,
    options: BuildOptions,
    settings: dict[str, object],
    session: BuildSession,
    rendered: RenderedSite,
    output: Path,
    copies: list[tuple[str, Path]],
    checks: list[snapshot.UntouchedOutputs],
    next_change: str | None,
    unpublished: str | None,
) -> None:
    """The manifest of a build that wrote its output: for the next no-change
    check, and the page book for the next incremental build."""
    site = rendered.site
    assert options.now is not None
    recorder.finish(
        output,
        site.config.output_dir,
        settings,
        options.now.date(),
        snapshot.moment_window((post.date for post in site.posts), options.now),
        rendered.files,
        dict(copies),
        (MARKER, MARKER_TEXT.encode("utf-8")),
        rendered.warnings,
        rendered.kept,
        book=session.book.to_json() if session.book is not None else None,
        next_change=next_change,
        left_out=unpublished,
        # Files found as the last build left them, and not written since.
        verified={
            label: signature
            for check in checks
            for label, signature in check.verified.items()
            if label not in rendered.files or label in session.unchanged
        },
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
    if refusal_reason(output, root) is not None or os.path.lexists(output / JOURNAL):
        return None  # a journal: an update was interrupted, which a build finishes
    return output


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


def check_rendered_links(rendered: RenderedSite, problems: Problems, options: BuildOptions) -> int:
    """Broken internal links of a rendered site as errors (links to what the
    build date withholds as warnings); returns the links checked."""
    from .plan.written_links import Withheld
    from .render.links import check_links  # only `check` needs it: keep it out of build start-up
    from .render.theme import template_dirs

    site = rendered.site
    statics = [static.output for static in rendered.routes.static]
    withheld = Withheld(
        site, rendered.public, {route.output for route in rendered.routes.pages} | set(statics), build_moment(options),
        options.drafts, options.future,
    )
    return check_links(
        rendered.files,
        rendered.routes.pages,
        statics,
        rendered.public.base_url,
        site.root,
        template_dirs(site.root, site.config.theme, problems),
        problems,
        withheld,
    )


def check_site(options: BuildOptions, links_only: bool = False) -> Problems:
    """Every problem a build would find, and broken internal links, without writing.

    With `links_only`, only the link check's problems (plus the problems that
    stop rendering, since links cannot be checked then).
    """
    root = options.source.resolve()
    options = replace(options, cache_write=False, written_links=False)  # check writes nothing at all
    from .session import BuildSession

    try:
        rendered = BuildSession(options, remember=False).render(_output_check(options))
    except BuildFailed as failed:
        return failed.problems
    problems = Problems(root)
    check_rendered_links(rendered, problems, options)
    if links_only:
        return problems
    for warning in rendered.warnings:
        problems.add(warning)
    return problems
