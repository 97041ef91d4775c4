"""Edit-to-reload latency of `sitegen serve`.

Starts a real preview server on a site, listens on its reload channel like an
open browser tab, then edits files on disk and measures, for each edit, the
time from the end of the file write to the arrival of the reload event. That
covers the watcher, the debounce window, the incremental rebuild and the
event's delivery: everything but the browser's own page load.

    python bench/serve_latency.py                    # example site + 1,000 posts
    python bench/serve_latency.py --posts 1000 5000 --runs 30
    python bench/serve_latency.py --no-example --posts 50 --runs 3   # smoke run

Standard library only; sitegen must be importable (installed, or the repository's top folder on PYTHONPATH).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from corpus import generate  # noqa: E402


class Preview:
    """A `sitegen serve` subprocess and one reload-channel listener."""

    def __init__(self, site: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sitegen", "serve", "--port", "0", "--source", str(site)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.port = 0
        assert self.process.stdout is not None
        for line in self.process.stdout:
            match = re.search(r"http://[^:]+:(\d+)/", line)
            if "previewing" in line and match:
                self.port = int(match.group(1))
                break
        if not self.port:
            raise SystemExit("sitegen serve did not start:\n" + (self.process.stderr.read() if self.process.stderr else ""))
        self._drain = threading.Thread(target=self._discard_output, daemon=True)
        self._drain.start()
        self.events: list[tuple[float, str]] = []
        self._arrived = threading.Condition()
        self.sock = socket.create_connection(("127.0.0.1", self.port))
        request = (
            f"GET /__sitegen__/events?epoch=0 HTTP/1.1\r\nHost: localhost:{self.port}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        threading.Thread(target=self._listen, daemon=True).start()

    def _discard_output(self) -> None:
        assert self.process.stdout is not None
        for _ in self.process.stdout:
            pass

    def _listen(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            now = time.perf_counter()
            if not chunk:
                return
            buffer += chunk
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                for line in block.decode("utf-8", "replace").splitlines():
                    if line.startswith("event: "):
                        with self._arrived:
                            self.events.append((now, line[7:]))
                            self._arrived.notify_all()

    def edit_and_wait(self, path: Path, text: str, timeout: float = 30.0) -> float:
        with self._arrived:
            seen = len(self.events)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        written = time.perf_counter()
        with self._arrived:
            self._arrived.wait_for(
                lambda: any(e[1] in ("reload", "css", "errors") for e in self.events[seen:]), timeout
            )
            arrived = [e for e in self.events[seen:] if e[1] in ("reload", "css", "errors")]
        if not arrived:
            raise SystemExit(f"no reload event within {timeout} s after editing {path}")
        if arrived[0][1] == "errors":
            raise SystemExit(f"editing {path} broke the site; the benchmark's edit is wrong")
        return arrived[0][0] - written

    def stop(self) -> None:
        self.sock.close()
        self.process.send_signal(2)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def measure(site: Path, runs: int, pause: float) -> dict[str, list[float]]:
    """Median-worthy samples for a one-post edit and a one-partner edit."""
    preview = Preview(site)
    results: dict[str, list[float]] = {"one post": [], "one partner": []}
    try:
        time.sleep(0.5)  # let the watcher settle
        posts = sorted((site / "content" / "posts").glob("*.md"))
        post = posts[len(posts) // 2]
        original = post.read_text(encoding="utf-8")
        partners = sorted((site / "content" / "partners").glob("*.yaml"))
        partner = partners[0]
        partner_text = partner.read_text(encoding="utf-8")
        for run in range(runs):
            # A new title: the post's page, its neighbours, its list and term
            # pages and the feed all show it.
            edited = re.sub(r"^title: ([\"']?)", lambda m: f"title: {m.group(1)}Edit {run}: ", original, count=1, flags=re.M)
            results["one post"].append(preview.edit_and_wait(post, edited))
            time.sleep(pause)
            note = f"\n# benchmark edit {run}\n"
            results["one partner"].append(preview.edit_and_wait(partner, partner_text + note))
            time.sleep(pause)
        post.write_text(original, encoding="utf-8")
        partner.write_text(partner_text, encoding="utf-8")
    finally:
        preview.stop()
    return results


def summarise(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return (
        f"{name:<34} median {statistics.median(ms):7.1f} ms   "
        f"min {ms[0]:6.1f}   max {ms[-1]:7.1f}   n={len(ms)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, nargs="*", default=[1000], help="generated site sizes (default 1000)")
    parser.add_argument("--runs", type=int, default=20, help="edits of each kind per site (default 20)")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between edits (default 0.3)")
    parser.add_argument("--no-example", action="store_true", help="skip the repository's example site")
    args = parser.parse_args()
    lines = ["sitegen serve: file write -> reload event received (medians of paired edits)"]
    with tempfile.TemporaryDirectory(prefix="sitegen-latency-") as scratch:
        sites: list[tuple[str, Path]] = []
        if not args.no_example:
            example = Path(scratch) / "example"
            shutil.copytree(REPO / "content", example / "content")
            if (REPO / "themes").is_dir():
                shutil.copytree(REPO / "themes", example / "themes")
            sites.append(("example site", example))
        for count in args.posts:
            sites.append((f"{count:,} posts", generate(Path(scratch) / f"posts-{count}", count, "sitegen")))
        for label, site in sites:
            results = measure(site, args.runs, args.pause)
            for kind, samples in results.items():
                lines.append(summarise(f"{label}, edit {kind}", samples))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
