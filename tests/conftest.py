"""Shared fixtures: write a tiny site from a dict, run sitegen as a user would."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

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


@pytest.fixture(autouse=True, scope="session")
def _private_key_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Builds sign their saved state with a key in the user's cache folder
    ($XDG_CACHE_HOME/sitegen): the suite uses its own, not the machine's."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


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


class SiteFolder:
    """A site written from a dict of files; `run` calls the real CLI."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, files: dict[str, str | None]) -> "SiteFolder":
        write_files(self.root, files)
        return self

    def run(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
        environment = {
            **os.environ,
            "PYTHONPATH": str(SRC),
            "SOURCE_DATE_EPOCH": BUILD_EPOCH,
        }
        environment.pop("SITEGEN_DEBUG", None)
        environment.update(env or {})
        done = subprocess.run(
            [sys.executable, "-m", "sitegen", *args],
            cwd=cwd or self.root,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return Run(done.returncode, done.stdout, done.stderr)

    def build(self, *args: str) -> Run:
        return self.run("build", *args)

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


class Preview:
    """A running `sitegen serve` for a test site, stopped like Ctrl-C."""

    def __init__(self, site: SiteFolder, *args: str) -> None:
        environment = {**os.environ, "PYTHONPATH": str(SRC), "SOURCE_DATE_EPOCH": BUILD_EPOCH}
        environment.pop("SITEGEN_DEBUG", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sitegen", "serve", "--port", "0", *args],
            cwd=site.root,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
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
