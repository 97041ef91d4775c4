"""Shared fixtures: write a tiny site from a dict, run sitegen as a user would
(in this process by default, as if in a fresh one: see `run_cli`)."""

from __future__ import annotations

import ast
import contextlib
import gc
import importlib
import io
import os
import pkgutil
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator, Mapping, Sequence

import pytest

REPO = Path(__file__).resolve().parent.parent
SRC = REPO

# A fixed "today" for every test, so partner activity and future posts do
# not depend on when the suite runs.
BUILD_DATE = "2026-06-15"
BUILD_EPOCH = str(int(datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc).timestamp()))

MINIMAL_FILES: dict[str, str] = {
    "content/site.yaml": """
        base_url: https://example.com/
        title: Test Co
    """,
    "content/business.yaml": """
        name: Test Co
        tagline: We make things
        summary: A small company that makes things with friends.
        contact:
          email: hello@example.com
    """,
    "content/capabilities/design.md": """
        ---
        title: Design
        in_house: true
        ---
        We design things.
    """,
    "content/products/widget.md": """
        ---
        title: Widget
        price: "10.00"
        currency: EUR
        requires: [design]
        ---
        A fine widget.
    """,
}


def write_files(root: Path, files: dict[str, str | None]) -> None:
    for relative, text in files.items():
        path = root / relative
        if text is None:
            if path.exists():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [l for l in self.stderr.splitlines() if l and not l.startswith("sitegen:")]


def cli_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment sitegen runs in: this process's, at BUILD_EPOCH,
    without SITEGEN_DEBUG (internal errors stay one line), then `env`."""
    environment = {**os.environ, "PYTHONPATH": str(SRC), "SOURCE_DATE_EPOCH": BUILD_EPOCH}
    environment.pop("SITEGEN_DEBUG", None)
    environment.update(env or {})
    return environment


def run_cli(args: Sequence[str], *, cwd: Path, environment: Mapping[str, str], subprocess: bool = False) -> Run:
    """`sitegen ARGS` with exactly `environment`, in `cwd`.

    By default in this process, through `sitegen.cli.main`, as if it were a
    fresh interpreter (see `_ModuleState`): starting Python again for every
    call cost two thirds of the suite's time. `subprocess=True` runs the real
    `python -m sitegen` (`cli.run`, which leaves through os._exit): for what
    only a new process shows (the entry point, flushing the pipes before
    os._exit, hash seeds, a server that runs until stopped)."""
    if subprocess:
        return _run_process(args, cwd, environment)
    return _run_in_process(args, cwd, environment)


def _run_process(args: Sequence[str], cwd: Path, environment: Mapping[str, str]) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "sitegen", *args],
        cwd=cwd,
        env=dict(environment),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return Run(done.returncode, done.stdout, done.stderr)


# An in-process run taking longer than this fails its test, as the
# subprocess's timeout did (instead of hanging the whole suite).
IN_PROCESS_TIMEOUT = 120


class _TimedOut(BaseException):
    """Raised into a run that took too long; not an Exception, so that
    sitegen's `except Exception` does not report it as an internal error."""


def _run_in_process(args: Sequence[str], cwd: Path, environment: Mapping[str, str]) -> Run:
    from sitegen import cli

    out, err = io.StringIO(), io.StringIO()
    with _process_state(cwd, environment), _FRESH.fresh(), _time_limit(args):
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = cli.main(list(args))
                except SystemExit as exit:  # argparse: --help, usage errors
                    code = _exit_status(exit.code, err)
        except Exception:  # escaped main: the interpreter would print it and exit 1
            err.write(traceback.format_exc())
            code = 1
    stderr = err.getvalue()
    assert "Traceback" not in stderr, stderr
    return Run(code, out.getvalue(), stderr)


def _exit_status(code: object, err: io.StringIO) -> int:
    """The exit status of `sys.exit(code)`, as the interpreter makes it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=err)
    return 1


@contextlib.contextmanager
def _time_limit(args: Sequence[str]) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise _TimedOut

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, IN_PROCESS_TIMEOUT)
    try:
        yield
    except _TimedOut:
        pytest.fail(f"sitegen {' '.join(args)} did not finish in {IN_PROCESS_TIMEOUT} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _process_state(cwd: Path, environment: Mapping[str, str]) -> Iterator[None]:
    """Run in `cwd` with exactly `environment`; afterwards put back what a
    run may change for the whole process: the folder, the environment, the
    cyclic collector (main raises its thresholds), signal handlers, the umask, the recursion limit."""
    folder = os.getcwd()
    saved_environment = dict(os.environ)
    collecting, thresholds = gc.isenabled(), gc.get_threshold()
    handlers = {number: signal.getsignal(number) for number in _HANDLED_SIGNALS}
    mask = os.umask(0o022)
    os.umask(mask)
    recursion = sys.getrecursionlimit()
    try:
        _set_environment(environment)
        # argparse wraps help to the terminal's width, which a pipe does not have.
        os.environ.setdefault("COLUMNS", "80")
        os.chdir(cwd)
        yield
    finally:
        os.chdir(folder)
        _set_environment(saved_environment)
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        gc.enable() if collecting else gc.disable()
        for number, handler in handlers.items():
            if signal.getsignal(number) != handler:
                signal.signal(number, handler)
        os.umask(mask)
        sys.setrecursionlimit(recursion)


def _set_environment(wanted: Mapping[str, str]) -> None:
    for name in [name for name in os.environ if name not in wanted]:
        del os.environ[name]
    for name, value in wanted.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


_HANDLED_SIGNALS = [
    number
    for number in signal.valid_signals()
    if number not in (signal.SIGKILL, signal.SIGSTOP) and signal.getsignal(number) is not None
]


class _ModuleState:
    """What sitegen's modules hold between calls, so that every in-process
    run starts from it as a fresh `python -m sitegen` would.

    A process keeps caches and memos in module globals: functools caches
    (slugs, routes, the code digest in the cache fingerprint, Markdown by
    source), markup.py's HTML and text facts loaded from a site's cache,
    names rebound through `global`. Left over from an earlier run they
    would hide what a test checks (a corrupt or foreign cache would be
    answered from memory). `fresh()` clears the functools caches and puts
    every module-level dict, list and set, and every name some function
    rebinds with `global`, back as it was on import; afterwards it puts
    back what the test process itself had, as a subprocess would leave it.
    A name a test rebound (monkeypatch) is left to the test."""

    def __init__(self) -> None:
        import sitegen

        modules: list[ModuleType] = [sitegen]
        for info in pkgutil.walk_packages(sitegen.__path__, "sitegen."):
            if info.name.endswith(".__main__"):
                continue  # importing it runs the command
            try:
                modules.append(importlib.import_module(info.name))
            except Exception:  # a module nothing imports yet: nothing to reset
                continue
        self.caches: list[Callable[[], None]] = []
        self.entries: list[tuple[ModuleType, str, bool]] = []
        for module in modules:
            rebound = _rebound_names(module)
            for name, value in vars(module).items():
                if name.startswith("__"):
                    continue
                self._add_caches(module, value)
                if name in rebound or isinstance(value, (dict, list, set)):
                    self.entries.append((module, name, name in rebound))
        self.on_import = self.capture()

    def _add_caches(self, module: ModuleType, value: object) -> None:
        inner = vars(value).values() if isinstance(value, type) and value.__module__ == module.__name__ else ()
        for candidate in (value, *inner):
            candidate = getattr(candidate, "__func__", candidate)  # staticmethod, classmethod
            clear = getattr(candidate, "cache_clear", None)
            if callable(clear) and getattr(candidate, "__module__", None) == module.__name__:
                self.caches.append(clear)

    def capture(self) -> list[tuple[object, object]]:
        """(bound object, copy of its contents or None) for every entry."""
        found = []
        for module, name, _ in self.entries:
            value = getattr(module, name, None)
            found.append((value, _copy(value)))
        return found

    def restore(self, captured: list[tuple[object, object]]) -> None:
        for (module, name, rebound), (value, contents) in zip(self.entries, captured):
            if rebound:
                setattr(module, name, value)
            if contents is None or getattr(module, name, None) is not value:
                continue
            if value != contents:
                if isinstance(value, list):
                    value[:] = contents
                else:
                    value.clear()  # type: ignore[attr-defined]
                    value.update(contents)  # type: ignore[attr-defined]
        for clear in self.caches:
            clear()

    @contextlib.contextmanager
    def fresh(self) -> Iterator[None]:
        before = self.capture()
        self.restore(self.on_import)
        try:
            yield
        finally:
            self.restore(before)


def _copy(value: object) -> object:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    if isinstance(value, set):
        return set(value)
    return None


def _rebound_names(module: ModuleType) -> set[str]:
    """Names the module's functions rebind with a `global` statement."""
    try:
        tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    return {name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names}


# Taken when the suite starts, before any test has run sitegen's code.
_FRESH = _ModuleState()


class SiteFolder:
    """A site written from a dict of files; `run` calls the real CLI."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, files: dict[str, str | None]) -> "SiteFolder":
        write_files(self.root, files)
        return self

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        subprocess: bool = False,
    ) -> Run:
        """`sitegen ARGS` in `cwd` (default: the site), at BUILD_EPOCH, with
        `env` on top of this process's environment. In this process unless
        `subprocess` (see `run_cli`)."""
        return run_cli(args, cwd=cwd or self.root, environment=cli_environment(env), subprocess=subprocess)

    def build(self, *args: str, subprocess: bool = False) -> Run:
        return self.run("build", *args, subprocess=subprocess)

    @property
    def public(self) -> Path:
        return self.root / "public"

    def output_bytes(self, folder: Path | None = None) -> dict[str, bytes]:
        base = folder or self.public
        return {
            p.relative_to(base).as_posix(): p.read_bytes()
            for p in sorted(base.rglob("*"))
            if p.is_file()
        }

    def page(self, url: str) -> str:
        relative = url.strip("/")
        path = self.public / relative
        if url.endswith("/"):
            path = path / "index.html"
        return path.read_text(encoding="utf-8")



def copy_example_site(folder: Path) -> SiteFolder:
    """The repository's example site (content and themes) copied into `folder`."""
    shutil.copytree(REPO / "content", folder / "content")
    if (REPO / "themes").is_dir():
        shutil.copytree(REPO / "themes", folder / "themes")
    return SiteFolder(folder)


@pytest.fixture
def make_site(tmp_path: Path) -> Iterator[Callable[..., SiteFolder]]:
    """`make_site({path: text or None})`: the minimal site plus these changes."""

    def factory(files: dict[str, str | None] | None = None, minimal: bool = True) -> SiteFolder:
        root = tmp_path / "site"
        root.mkdir(exist_ok=True)
        site = SiteFolder(root)
        if minimal:
            site.write(dict(MINIMAL_FILES))
        site.write(files or {})
        return site

    yield factory


class StoppedClock:
    """Stands in for the `time` module in sitegen's modules: the wall clock
    (`time_ns`, `time`) stands still at `ns`; everything else is time's own."""

    def __init__(self, ns: int) -> None:
        self.ns = ns

    def time_ns(self) -> int:
        return self.ns

    def time(self) -> float:
        return self.ns / 1e9

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)


@pytest.fixture
def stop_the_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """`stop_the_clock(ns)`: builds in this process read the wall clock as
    `ns`, however long they take. Builds take it before looking at files
    (the fences of snapshot.py); which files are "racily clean"
    then depends on their times only, never on the machine's speed."""

    def stop(ns: int) -> None:
        from sitegen import build
        from sitegen.incremental import snapshot

        for module in (build, snapshot):
            monkeypatch.setattr(module, "time", StoppedClock(ns))

    return stop


def changed_ns(path: Path) -> int:
    """When a file last changed, as the racy-file rule reads it."""
    info = path.stat()
    return max(info.st_mtime_ns, info.st_ctime_ns)


def _default_interrupt() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Preview:
    """A running `sitegen serve` for a test site, stopped like Ctrl-C."""

    def __init__(self, site: SiteFolder, *args: str) -> None:
        environment = cli_environment()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sitegen", "serve", "--port", "0", *args],
            cwd=site.root,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Ctrl-C must reach it as in a terminal, even when the suite was
            # started with SIGINT ignored (a background job of a script).
            preexec_fn=_default_interrupt,
        )
        self.lines: list[str] = []
        self.url = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline() if self.process.stdout else ""
            if not line:
                break
            self.lines.append(line)
            found = re.search(r"(http://[^ ]+/)", line)
            if "previewing" in line and found:
                self.url = found.group(1)
                break
        assert self.url, "serve did not start:\n" + "".join(self.lines) + self._stderr()
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))

    def _stderr(self) -> str:
        if self.process.poll() is not None and self.process.stderr:
            return self.process.stderr.read()
        return ""

    def stop(self) -> tuple[int, str, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, "".join(self.lines) + out, err


@pytest.fixture
def serve():
    """`serve(site, *args)` starts a preview; every one is stopped at the end."""
    started: list[Preview] = []

    def start(site: SiteFolder, *args: str) -> Preview:
        preview = Preview(site, *args)
        started.append(preview)
        return preview

    yield start
    for preview in started:
        if preview.process.poll() is None:
            preview.process.kill()
            preview.process.communicate(timeout=30)
