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
from pathlib import Path
from typing import Sequence, TextIO

from . import __version__
from .build import BuildOptions, build_site, check_site
from .deploy import choose_base_url
from .errors import BuildFailed, Problem

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


def _add_visibility(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--drafts", action="store_true", help="include posts marked draft: true"
    )
    parser.add_argument(
        "--future", action="store_true", help="include posts dated in the future"
    )


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitegen",
        description="Build the website of a virtual company from content/ (YAML and Markdown).",
    )
    parser.add_argument("--version", action="version", version=f"sitegen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

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
    build.add_argument(
        "-q", "--quiet", action="store_true", help="print only errors"
    )

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
        "stop rendering); other warnings are not printed",
    )

    serve = commands.add_parser(
        "serve",
        help="preview the site in your browser, updating as you edit",
        description="Build the site in memory and serve it on http://localhost:PORT/; every save "
        "in content/ or themes/ rebuilds what changed and reloads open pages; errors show in the "
        "browser. The deploy output folder is never touched.",
    )
    _add_source(serve)
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0 picks a free one)")
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
        help="show drafts and future posts, with a badge (default: shown; --no-drafts shows the site as deployed)",
    )
    serve.add_argument("--open", action="store_true", help="open the preview in your web browser")
    _add_base_url(serve)
    return parser


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


def run_build(args: argparse.Namespace) -> int:
    options = BuildOptions(
        source=args.source,
        output=args.output,
        drafts=args.drafts,
        future=args.future,
        base_url=choose_base_url(args.base_url, os.environ),
    )
    try:
        result = build_site(options)
    except BuildFailed as failed:
        _print_problems(failed.problems.errors, sys.stderr)
        if not args.quiet:
            _print_problems(failed.problems.warnings, sys.stderr)
        print(
            f"sitegen: build failed with {_plural(len(failed.problems.errors), 'error')}; "
            "the previous output was left untouched",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    if not args.quiet:
        _print_problems(result.warnings, sys.stderr)
        warnings = f", {_plural(len(result.warnings), 'warning')}" if result.warnings else ""
        print(
            f"sitegen: built {_plural(result.pages, 'page')} and copied "
            f"{_plural(result.static_files, 'file')} into {_shown(result.output)} "
            f"in {result.seconds:.2f} s{warnings}"
        )
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    options = BuildOptions(
        source=args.source,
        drafts=args.drafts,
        future=args.future,
        base_url=choose_base_url(args.base_url, os.environ),
    )
    problems = check_site(options, links_only=args.links)
    _print_problems(problems.errors, sys.stderr)
    if not args.links:
        _print_problems(problems.warnings, sys.stderr)
    errors = len(problems.errors)
    warnings = 0 if args.links else len(problems.warnings)
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


COMMANDS = {"build": run_build, "check": run_check, "serve": run_serve}


def main(argv: Sequence[str] | None = None) -> int:
    # A build allocates hundreds of thousands of small, long-lived objects;
    # with the default thresholds the cyclic collector keeps re-scanning them
    # and costs up to half of a preview rebuild. Collect far less often.
    gc.set_threshold(100_000, 50, 100)
    args = make_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("sitegen: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in sitegen, not a user mistake
        if os.environ.get("SITEGEN_DEBUG"):
            raise
        print(
            f"sitegen: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in sitegen; run again with SITEGEN_DEBUG=1 for details.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
