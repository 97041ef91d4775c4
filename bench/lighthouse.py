"""Lighthouse scores of the built-in theme on real pages.

Builds a site (the repository's example by default) for the address it is
served at, serves it on 127.0.0.1 with the headers it writes to _headers
(the Content-Security-Policy included) and /404.html for missing pages, as
Netlify does, then runs Lighthouse's mobile audit (its default: a mid-range
phone on a throttled connection) on the home page, a product and a post, and
prints the four category scores of each page, as medians over --runs.

    npm install --prefix ~/.cache/sitegen-bench lighthouse@13   # once
    python3 bench/lighthouse.py
    python3 bench/lighthouse.py --site ~/my-site --runs 3 --json scores.json

Lighthouse is found as --lighthouse, $LIGHTHOUSE, `lighthouse` on PATH or
~/.cache/sitegen-bench/node_modules/.bin/lighthouse; Chromium as --chrome or
/usr/bin/chromium. Standard library only, besides sitegen itself.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Iterator

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
INSTALLED = Path.home() / ".cache" / "sitegen-bench" / "node_modules" / ".bin" / "lighthouse"


def _lighthouse(given: str | None) -> str:
    for candidate in (given, os.environ.get("LIGHTHOUSE"), shutil.which("lighthouse"), str(INSTALLED)):
        if candidate and Path(candidate).is_file():
            return candidate
    sys.exit(
        "bench/lighthouse.py: Lighthouse not found; install it with\n"
        "  npm install --prefix ~/.cache/sitegen-bench lighthouse@13\n"
        "or name it with --lighthouse PATH"
    )


def site_headers(output: Path) -> dict[str, str]:
    """The headers a built site's `_headers` sends with every page, as
    Netlify reads them (sitegen's own reader, which the preview uses too)."""
    sys.path.insert(0, str(REPO))
    from sitegen.view.security import parse_headers_file

    path = output / "_headers"
    return parse_headers_file(path.read_text(encoding="utf-8")) if path.is_file() else {}


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static hosting as Netlify does it: the site's headers on every
    response, /404.html (with status 404) for what is missing."""

    extra: dict[str, str] = {}

    def end_headers(self) -> None:
        for name, value in self.extra.items():
            self.send_header(name, value)
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that dropped a request (a page left while an image
        loaded) is not an error. Its traceback, printed by a thread that may
        outlive `served`, would land in whatever stderr is current then."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextlib.contextmanager
def served(folder: Path, headers: dict[str, str]) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 (a free port) while the block runs;
    gives its origin, `http://127.0.0.1:PORT`."""
    handler = type("Handler", (_Handler,), {"extra": headers})
    server = _Server(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _first(output: Path, pattern: str) -> str | None:
    for path in sorted(output.glob(pattern)):
        relative = path.relative_to(output).as_posix()
        if relative.count("/") == 2 and not relative.startswith(("blog/page/",)):
            return "/" + relative.removesuffix("index.html")
    return None


def _build(site: Path, output: Path, base_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sitegen", "build", "--output", str(output), "--base-url", base_url, "--no-cache"],
        cwd=site, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    if done.returncode != 0:
        sys.exit(f"bench/lighthouse.py: the site did not build:\n{done.stderr}")


def _audit(lighthouse: str, chrome: str, url: str) -> dict[str, float]:
    done = subprocess.run(
        [lighthouse, url, "--quiet", "--output=json", "--output-path=stdout",
         f"--only-categories={','.join(CATEGORIES)}",
         "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run"],
        capture_output=True, text=True, env={**os.environ, "CHROME_PATH": chrome}, timeout=300,
    )
    if done.returncode != 0:
        sys.exit(f"bench/lighthouse.py: Lighthouse failed on {url}:\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    failing = [
        audit["id"] for audit in report["audits"].values()
        if audit.get("score") is not None and audit["score"] < 1 and audit.get("scoreDisplayMode") == "binary"
    ]
    return {**scores, "failing": failing}  # type: ignore[dict-item]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", type=Path, default=REPO, help="site folder (default: the example site)")
    parser.add_argument("--pages", nargs="*", help="site paths (default: home, the first product, the first post)")
    parser.add_argument("--runs", type=int, default=1, help="Lighthouse runs per page; scores are medians")
    parser.add_argument("--lighthouse", help="path of the lighthouse command")
    parser.add_argument("--chrome", default="/usr/bin/chromium", help="Chromium to audit with")
    parser.add_argument("--json", type=Path, help="also write the scores here")
    args = parser.parse_args(argv)
    lighthouse = _lighthouse(args.lighthouse)
    site = args.site.resolve()

    with tempfile.TemporaryDirectory(prefix="sitegen-lighthouse-") as temp:
        output = Path(temp) / "public"
        output.mkdir()
        results: dict[str, dict[str, object]] = {}
        headers: dict[str, str] = {}
        with served(output, headers) as origin:
            # Built for the address it is served at: canonical links, feeds
            # and social cards point where the audit finds them; then served
            # with the headers the build wrote.
            _build(site, output, origin + "/")
            headers.update(site_headers(output))
            pages = args.pages or [p for p in ("/", _first(output, "products/*/index.html"),
                                               _first(output, "blog/*/index.html")) if p]
            for page in pages:
                runs = [_audit(lighthouse, args.chrome, origin + page) for _ in range(args.runs)]
                results[page] = {
                    name: statistics.median(run[name] for run in runs) for name in CATEGORIES  # type: ignore[misc]
                }
                results[page]["failing"] = sorted({a for run in runs for a in run["failing"]})  # type: ignore[union-attr]

    print(f"Lighthouse (mobile), median of {args.runs} run{'s' if args.runs != 1 else ''} per page")
    print()
    print("| page | " + " | ".join(CATEGORIES) + " |")
    print("|---|" + "---|" * len(CATEGORIES))
    for page, scores in results.items():
        print(f"| `{page}` | " + " | ".join(f"{scores[name]:g}" for name in CATEGORIES) + " |")
    for page, scores in results.items():
        if scores["failing"]:
            print(f"\n{page}: failing audits: {', '.join(scores['failing'])}")  # type: ignore[arg-type]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
