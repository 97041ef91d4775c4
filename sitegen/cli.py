"""The command line: parse arguments, call the pipeline, print its problems.

Sits on top of the pipeline and is never imported by it. Every problem is
printed as one `path:line: message` line on standard error; user mistakes
never show a traceback. Exit status: 0 success, 1 problems in the site,
2 bad command-line usage, 70 an internal error (a bug in sitegen).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path
from typing import NoReturn, Sequence, TextIO, TypeAlias

from . import __version__
from .build import BuildOptions, build_site, check_site, epoch_problem
from .deploy import choose_base_url
from .errors import BuildFailed, Problem, Problems

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_INTERNAL = 70


def _add_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        metavar="DIR",
        type=Path,
        default=Path("."),
        help="the site folder (the one holding content/); default: the current folder",
    )


def _add_base_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="publish for this address instead of site.yaml's base_url "
        "(on Netlify, deploy previews and branch deploys use DEPLOY_PRIME_URL by themselves)",
    )


def _add_cache_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the build cache in .sitegen-cache/",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="processes to render with (default: one per core)",
    )


def _add_visibility(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--drafts", action="store_true", help="include posts marked draft: true"
    )
    parser.add_argument(
        "--future", action="store_true", help="include posts dated in the future"
    )


# The `add_subparsers` result, to which each command below adds its parser.
_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitegen",
        description="Build the website of a virtual company from content/ (YAML and Markdown).",
    )
    parser.add_argument("--version", action="version", version=f"sitegen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    # In this order: it is the order `sitegen --help` lists them in.
    _add_build(commands)
    _add_check(commands)
    _add_serve(commands)
    _add_report(commands)
    _add_clean(commands)
    _add_init(commands)
    _add_new(commands)
    return parser


def _add_build(commands: _Commands) -> None:
    build = commands.add_parser(
        "build",
        help="build the site into its output folder",
        description="Build the site into its output folder (output_dir in content/site.yaml, "
        "default public/). The folder is replaced only when the whole build succeeded.",
    )
    _add_source(build)
    build.add_argument(
        "--output",
        metavar="DIR",
        type=Path,
        help="write the site here instead of site.yaml's output_dir",
    )
    _add_visibility(build)
    _add_base_url(build)
    talk = build.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    talk.add_argument(
        "-v", "--verbose", action="store_true", help="also print the time each stage took"
    )
    build.add_argument(
        "--strict", action="store_true", help="treat warnings as errors: the build fails on any"
    )
    _add_cache_options(build)


def _add_check(commands: _Commands) -> None:
    check = commands.add_parser(
        "check",
        help="find every problem in the site without writing anything",
        description="Load, validate and render the whole site without writing it, and check "
        "that every internal link lands; print every error and warning (such as capabilities "
        "nobody offers). Exits 1 when there are errors.",
    )
    _add_source(check)
    _add_visibility(check)
    _add_base_url(check)
    check.add_argument(
        "--links",
        action="store_true",
        help="only check that internal links and #anchors land (and report errors that "
        "stop rendering); warnings other than links to what the date withholds are not printed",
    )


def _add_serve(commands: _Commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="preview the site in your browser, updating as you edit",
        description="Build the site in memory and serve it on http://localhost:PORT/; every save "
        "in content/ or themes/ rebuilds what changed and reloads open pages; errors show in the "
        "browser. The deploy output folder is never touched.",
    )
    _add_source(serve)
    serve.add_argument(
        "--port",
        type=int,
        default=8000,
        help="port to listen on (default 8000; 0 picks a free one)",
    )
    serve.add_argument(
        "--bind",
        metavar="ADDRESS",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: only this computer can see the preview)",
    )
    serve.add_argument(
        "--drafts",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show drafts and future posts, with a badge "
        "(default: shown; --no-drafts shows the site as deployed)",
    )
    serve.add_argument("--open", action="store_true", help="open the preview in your web browser")
    _add_base_url(serve)


def _add_report(commands: _Commands) -> None:
    report = commands.add_parser(
        "report",
        help="print the network health report (for your eyes only, never published)",
        description="Print the health of the alliance network: each capability's providers "
        "(white-label partners included: the report is for the owner and is never written "
        "anywhere), single points of failure, alliances ending soon and the products they "
        "would make undeliverable, partners no product uses, overdue reviews and the dated "
        "changes coming. Exits 1 only when something needs action: an alliance ending within "
        "--days that withdraws a product, an overdue review_by, or a product withdrawn today "
        "for want of a provider; 0 otherwise, so it can run every morning.",
    )
    _add_source(report)
    report.add_argument(
        "--strict",
        action="store_true",
        help="single points of failure, partners no product uses and capabilities nobody "
        "offers need action too",
    )
    report.add_argument(
        "--days",
        metavar="N",
        default="60",
        help="how many days ahead to look for alliances ending or starting and reviews "
        "falling due (default 60)",
    )
    report.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="report as of this day instead of today (for planning)",
    )
    report.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for reading (default) or json for scripts",
    )


def _add_clean(commands: _Commands) -> None:
    clean = commands.add_parser(
        "clean",
        help="delete the build cache and the output folder",
        description="Delete .sitegen-cache/ and the output folder (only if sitegen created it: "
        "it holds a .sitegen-output marker). The next build starts from scratch.",
    )
    _add_source(clean)
    clean.add_argument(
        "--output", metavar="DIR", type=Path, help="the output folder, if not site.yaml's"
    )


def _add_init(commands: _Commands) -> None:
    init = commands.add_parser(
        "init",
        help="start a new site: example content, netlify.toml, README",
        description="Write a new site into DIR (created if missing): content/ with one "
        "commented example of every kind of file, netlify.toml with security headers, "
        "requirements.txt, .gitignore and a README for the owner. The site builds at once. "
        "A folder holding anything but hidden files is refused unless --force; no existing "
        "file is ever overwritten.",
    )
    init.add_argument(
        "dir",
        metavar="DIR",
        nargs="?",
        type=Path,
        default=Path("."),
        help="the new site's folder (default: the current folder)",
    )
    init.add_argument(
        "--force",
        action="store_true",
        help="also use a folder that is not empty: write only the files that do not exist "
        "yet and list the ones skipped (nothing is overwritten)",
    )


def _add_new(commands: _Commands) -> None:
    new = commands.add_parser(
        "new",
        help="add a post, page, product, capability or partner",
        description="Write a new content file with its keys explained in comments. The file "
        "name comes from the title: 'sitegen new post \"Hello, world\"' writes "
        "content/posts/YYYY-MM-DD-hello-world.md (today's date; posts start as drafts). "
        "Pages, products and capabilities go to content/pages/, content/products/ and "
        "content/capabilities/ as <slug>.md, partners to content/partners/<slug>.yaml "
        "(white-label: never shown, until you set disclosure: credited). An existing file is "
        "never overwritten.",
        epilog="A title starting with '-' goes after '--': sitegen new post -- \"-30% week\"",
    )
    new.add_argument(
        "kind",
        metavar="KIND",
        choices=("post", "page", "product", "capability", "partner"),
        help="post, page, product, capability or partner",
    )
    new.add_argument(
        "title", metavar="TITLE", help="the title (a partner's name); quote it if it has spaces"
    )
    _add_source(new)


def _print_problems(problems: Sequence[Problem], stream: TextIO) -> None:
    for problem in problems:
        print(problem.format(), file=stream)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path) + os.sep
    except ValueError:
        return str(path)


def _say_waiting() -> None:
    print("sitegen: another build of this site is running; waiting for it to finish", file=sys.stderr, flush=True)


def run_build(args: argparse.Namespace) -> int:
    if args.jobs < 0:
        print(f"--jobs: must be 0 (one per core) or more, got {args.jobs}", file=sys.stderr)
        return 2
    options = BuildOptions(
        source=args.source,
        output=args.output,
        drafts=args.drafts,
        future=args.future,
        base_url=choose_base_url(args.base_url, os.environ),
        cache=not args.no_cache,
        jobs=args.jobs,
        strict=args.strict,
    )
    progress = _Progress(sys.stderr) if not args.quiet and sys.stderr.isatty() else None
    if _HELD is not None:
        # A process that builds once and leaves (`run`): the cyclic collector
        # would only re-scan objects that live until the end. A build makes
        # little cyclic garbage (the same peak memory either way for a
        # 5,000-post cold build), and the preview, which lives on, keeps it.
        gc.disable()
    try:
        result = build_site(options, progress.update if progress else None, keep=_HELD, waiting=_say_waiting)
    except BuildFailed as failed:
        if progress:
            progress.clear()
        _print_problems(failed.problems.errors, sys.stderr)
        if not args.quiet:
            _print_problems(failed.problems.warnings, sys.stderr)
        print(
            f"sitegen: build failed with {_plural(len(failed.problems.errors), 'error')}; "
            "the previous output was left untouched",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    if progress:
        progress.clear()
    if not args.quiet:
        _print_problems(result.warnings, sys.stderr)
        warnings = f", {_plural(len(result.warnings), 'warning')}" if result.warnings else ""
        if args.verbose:
            for stage, seconds in result.timings.items():
                print(f"  {stage:<15} {seconds * 1000:8.0f} ms")
        same = f" ({result.unchanged} unchanged)" if result.unchanged else ""
        print(
            f"sitegen: built {_plural(result.pages, 'page')}{same} and copied "
            f"{_plural(result.static_files, 'file')} into {_shown(result.output)} "
            f"in {result.seconds:.2f} s{warnings}"
        )
        if result.left_out:
            print(f"sitegen: {result.left_out}")
        if result.next_change:
            print(f"sitegen: {result.next_change}")
    return EXIT_OK


class _Progress:
    """One self-rewriting status line on a terminal, for builds over a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.shown = False

    def update(self, done: int, total: int) -> None:
        if time.monotonic() - self.started < 1.0:
            return
        self.stream.write(f"\rsitegen: rendering {done}/{total} pages ({done * 100 // max(total, 1)}%)")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def run_check(args: argparse.Namespace) -> int:
    options = BuildOptions(
        source=args.source,
        drafts=args.drafts,
        future=args.future,
        base_url=choose_base_url(args.base_url, os.environ),
    )
    problems = check_site(options, links_only=args.links)
    # (with --links, the only warnings are links to what the date withholds)
    _print_problems(problems.errors, sys.stderr)
    _print_problems(problems.warnings, sys.stderr)
    errors = len(problems.errors)
    warnings = len(problems.warnings)
    if errors:
        print(
            f"sitegen: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    print(f"sitegen: no errors, {_plural(warnings, 'warning')}")
    return EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    from .serve import ServeOptions, serve

    if not 0 <= args.port <= 65535:
        print(f"--port: must be between 0 and 65535, got {args.port}", file=sys.stderr)
        return 2
    options = BuildOptions(
        source=args.source,
        drafts=args.drafts,
        future=args.drafts,
        base_url=choose_base_url(args.base_url, os.environ),
    )
    return serve(ServeOptions(build=options, bind=args.bind, port=args.port, open_browser=args.open))


def run_report(args: argparse.Namespace) -> int:
    import re
    from datetime import date

    from .build import build_moment
    from .report import MAX_DAYS, format_json, format_text, report_site

    days_text = str(args.days).strip()
    if not re.fullmatch(r"[0-9]+", days_text) or int(days_text) > MAX_DAYS:
        print(
            f"--days: must be a whole number of days from 0 to {MAX_DAYS}, got '{args.days}'",
            file=sys.stderr,
        )
        return 2
    days = int(days_text)
    if args.date is None:
        on = build_moment(BuildOptions(source=args.source)).date()
    else:
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", args.date.strip()):
                raise ValueError(args.date)
            on = date.fromisoformat(args.date.strip())
        except ValueError:
            print(f"--date: must be a date like 2026-06-15, got '{args.date}'", file=sys.stderr)
            return 2
    report, problems = report_site(args.source, on, days, args.strict)
    _print_problems(problems.errors, sys.stderr)
    if report is None:
        print("sitegen: no report: there is no site here", file=sys.stderr)
        return EXIT_PROBLEMS
    if problems.errors:
        print(
            f"sitegen: {_plural(len(problems.errors), 'error')} in the content; "
            "the report may be incomplete until they are fixed",
            file=sys.stderr,
        )
    if problems.warnings:
        print(
            f"sitegen: {_plural(len(problems.warnings), 'warning')} in the content; "
            "sitegen check lists them",
            file=sys.stderr,
        )
    sys.stdout.write(format_json(report) if args.format == "json" else format_text(report))
    return EXIT_OK if report.healthy else EXIT_PROBLEMS


def run_clean(args: argparse.Namespace) -> int:
    from .output.lock import locked

    root = args.source.resolve()
    if not (root / "content").is_dir():
        print(f"{_shown(root / 'content')}: no content/ folder here: run sitegen in a site folder "
              "or pass --source DIR", file=sys.stderr)
        return EXIT_PROBLEMS
    with locked(root, _say_waiting):  # never while a build writes
        return _clean(args, root)


def _clean(args: argparse.Namespace, root: Path) -> int:
    from .build import build_moment, output_folder
    from .incremental.cache import cache_folder, clean
    from .content.load import load_site
    from .content.builders import build_model
    from .output.write import MARKER, refusal_reason

    options = BuildOptions(source=root, output=args.output)
    problems = Problems(root)
    site = build_model(load_site(root, problems), problems, build_moment(options).date())
    output = output_folder(options, site)
    targets = [cache_folder(root)]
    # Only a folder sitegen would write to, and wrote to (its marker is there).
    if output.is_dir() and (output / MARKER).is_file() and refusal_reason(output, root) is None:
        targets.append(output)
    elif output.is_dir() and any(output.iterdir()):
        print(f"sitegen: left {_shown(output)} alone: sitegen did not create it (no {MARKER} file)",
              file=sys.stderr)
    removed = clean(targets)
    for path in removed:
        print(f"sitegen: removed {_shown(path)}")
    if not removed:
        print("sitegen: nothing to clean")
    return EXIT_OK


def run_init(args: argparse.Namespace) -> int:
    import shlex

    from .scaffold import ScaffoldError, init_site

    folder: Path = args.dir
    try:
        result = init_site(folder, force=args.force)
    except ScaffoldError as refused:
        print(str(refused), file=sys.stderr)
        return EXIT_PROBLEMS
    here = folder == Path(".")
    where = "the current folder" if here else f"{folder.as_posix().rstrip('/')}/"
    if result.created:
        print(f"sitegen: created a new site in {where}:")
        for name in result.created:
            print(f"  {name}")
    for name in result.skipped:
        print(f"sitegen: skipped {name}: already exists (left as it was)")
    if not result.created:
        print(f"sitegen: nothing written: every file already exists in {where}")
    print("\nNext steps:")
    if not here:
        print(f"  cd {shlex.quote(str(folder))}")
    print("  sitegen serve      # preview on http://127.0.0.1:8000/ while you edit content/")
    print("Then read README.md: `sitegen check` finds problems, `sitegen build` writes public/, "
          "and netlify.toml is ready for Netlify.")
    return EXIT_OK


def run_new(args: argparse.Namespace) -> int:
    from .scaffold import NEXT_STEPS, ScaffoldError, new_content

    try:
        path = new_content(args.kind, args.title, args.source)
    except ScaffoldError as refused:
        print(str(refused), file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"sitegen: created {path.as_posix()}")
    print(NEXT_STEPS[args.kind].format(slug=path.stem))
    return EXIT_OK


COMMANDS = {"clean": run_clean, "build": run_build, "check": run_check, "serve": run_serve, "report": run_report, "init": run_init, "new": run_new}


# Set by `run`: what a build worked with is put here instead of being freed
# object by object when it returns (the process is about to leave).
_HELD: list[object] | None = None


def run() -> NoReturn:
    """The `sitegen` command: `main`, then leave at once.

    A big build holds millions of objects; freeing them one by one as the
    interpreter shuts down took a third of a second at 5,000 posts, after
    the work was done. By the time `main` returns every file is written and
    closed and every worker process is stopped, so only the standard
    streams need flushing."""
    global _HELD
    _HELD = []  # and not free what a build leaves behind either
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more to say
            pass
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    # A build allocates hundreds of thousands of small, long-lived objects;
    # with the default thresholds the cyclic collector keeps re-scanning them
    # and costs up to half of a preview rebuild. Collect far less often.
    gc.set_threshold(100_000, 50, 100)
    args = make_parser().parse_args(argv)
    try:
        problem = epoch_problem()  # every command uses the build's date, or may
        if problem is not None:
            print(problem.format(), file=sys.stderr)
            return EXIT_PROBLEMS
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("sitegen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `sitegen report | head`: the reader left; that is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug in sitegen, not a user mistake
        if os.environ.get("SITEGEN_DEBUG"):
            raise
        print(
            f"sitegen: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in sitegen; run again with SITEGEN_DEBUG=1 for details.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
