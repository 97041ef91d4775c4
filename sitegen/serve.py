"""`sitegen serve`: live preview over HTTP, rebuilt in memory as files change.

Sits on top of the pipeline like the CLI: it drives a `BuildSession` and
serves the rendered bytes from memory, so the deploy output folder is never
touched and no preview file (drafts, the reload script) can reach a deploy.
Requests are answered from the last *complete* build, swapped in atomically;
a failed rebuild keeps it and sends the errors to every open page. The
server binds 127.0.0.1 by default, answers only requests whose Host names this
machine (against DNS rebinding), checks the Origin of the reload channel, and
looks paths up in the build's own table, so nothing outside it is reachable.
"""

from __future__ import annotations

import functools
import html
import http.server
import ipaddress
import json
import mimetypes
import posixpath
import re
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping, TextIO
from urllib.parse import unquote, urlsplit

from .build import BuildOptions
from .session import BuildSession
from .errors import BuildFailed
from .files import open_regular
from .preview.watch import ChangeBatcher, classify, start_watching
from .view.security import parse_headers_file

PREFIX = "/__sitegen__/"
EVENTS_PATH = PREFIX + "events"
# The network report (`sitegen report`) as a page of the preview: for the
# owner's eyes, like the terminal; `build` never writes it.
REPORT_PATH = PREFIX + "report/"
REPORT_DAYS = 60
SCRIPT_PATH = PREFIX + "live.js"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
KEEPALIVE_SECONDS = 15.0

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
    ".webmanifest": "application/manifest+json",
}


def content_type(path: str) -> str:
    if path == "feed.xml" or path.endswith("/feed.xml"):
        return "application/atom+xml; charset=utf-8"
    suffix = posixpath.splitext(path)[1].lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


# Headers the preview sets itself; a site's _headers does not repeat them.
_OWN_HEADERS = frozenset({"content-type", "content-length", "cache-control", "x-content-type-options",
                          "connection", "transfer-encoding", "location", "date", "server"})
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]{0,8000}")


@dataclass(frozen=True)
class Snapshot:
    """One complete build as served: page bytes and static file sources."""

    files: Mapping[str, bytes]
    static: Mapping[str, Path]

    def find(self, relative: str) -> bytes | Path | None:
        if relative in self.files:
            return self.files[relative]
        return self.static.get(relative)

    @functools.cached_property
    def headers(self) -> dict[str, str]:
        """What the site's `_headers` sends with every page (the built one,
        or the site's own content/static/_headers), as the host would."""
        found = self.find("_headers")
        data = found if isinstance(found, bytes) else _read(found) if found is not None else None
        if data is None:
            return {}
        return parse_headers_file(data.decode("utf-8", errors="replace"))


@dataclass
class RebuildReport:
    ok: bool
    seconds: float
    rendered: int = 0
    reused: int = 0
    errors: list[str] = field(default_factory=list)
    event: str = "reload"


class Preview:
    """What the HTTP handlers read and the watcher updates.

    `epoch` counts finished rebuilds; every open page's reload channel waits
    for it to pass the epoch the page was served at.
    """

    def __init__(self, session: BuildSession) -> None:
        self.session = session
        self.changed = threading.Condition()
        self.epoch = 0
        self.snapshot: Snapshot | None = None
        self.errors: tuple[str, ...] = ()
        self.event = "reload"
        self.stopping = False
        self._build_lock = threading.Lock()

    def report_page(self) -> bytes:
        """The network report as of today, from the files as they are now
        (read under the build lock: loading shares caches with rebuilds)."""
        from .build import build_moment
        from .report import format_text, report_site

        options = self.session.options
        with self._build_lock:
            report, problems = report_site(options.source, build_moment(options).date(), REPORT_DAYS)
        errors = "".join(f"<li>{html.escape(p.format())}</li>" for p in problems.errors)
        body = (
            f"<pre>{html.escape(format_text(report))}</pre>" if report is not None else "<p>There is no site here.</p>"
        )
        page = (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<title>sitegen: network report</title></head><body>"
            f"{f'<ol>{errors}</ol>' if errors else ''}{body}"
            "<p>Only the preview shows this page; <code>sitegen build</code> never writes it.</p>"
            "</body></html>"
        )
        with self.changed:
            epoch = self.epoch
        return inject_script(page.encode("utf-8"), epoch)

    def rebuild(self, changed: Iterable[Path] = ()) -> RebuildReport:
        changed = list(changed)
        with self._build_lock:
            started = time.perf_counter()
            self.session.forget(changed)
            try:
                rendered = self.session.render()
            except BuildFailed as failed:
                return self._failed([p.format() for p in failed.problems.errors], started)
            except Exception as exc:  # a bug in sitegen: say so, and start the next build afresh
                self.session = BuildSession(self.session.options, watched=self.session.watched)
                return self._failed(
                    [f"sitegen: internal error while rebuilding: {type(exc).__name__}: {exc} "
                     "(a bug in sitegen, please report it; the next save builds again from scratch)"],
                    started,
                )
            snapshot = Snapshot(
                files=rendered.files,
                static={s.output: s.source for s in rendered.routes.static},
            )
            css_only = bool(changed) and all(p.suffix.lower() == ".css" for p in changed)
            event = "css" if css_only and not self.errors and self.snapshot is not None else "reload"
            with self.changed:
                self.snapshot = snapshot
                self.errors = ()
                self.epoch += 1
                self.event = event
                self.changed.notify_all()
            stats = self.session.stats
            return RebuildReport(
                True, time.perf_counter() - started, stats.rendered, stats.reused, event=event
            )

    def _failed(self, errors: list[str], started: float) -> RebuildReport:
        """Show `errors` over the last good build, which stays served."""
        with self.changed:
            self.errors = tuple(errors)
            self.epoch += 1
            self.event = "errors"
            self.changed.notify_all()
        return RebuildReport(False, time.perf_counter() - started, errors=errors)

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()


# --------------------------------------------------------------------------
# HTTP


def clean_request_path(raw: str) -> str | None:
    """The output-relative path a request names, or None if it must be refused.

    Decodes once, then refuses anything that could name a place outside the
    build: `..` or `.` segments, empty segments (`//etc`), backslashes, NUL,
    and dotfiles.
    """
    path = urlsplit(raw).path
    if "\\" in path or "%5c" in path.lower() or "%00" in path:
        return None
    try:
        decoded = unquote(path, errors="strict") if "%" in path else path
    except UnicodeDecodeError:
        return None  # not UTF-8 once decoded: names nothing the build wrote
    if not decoded.startswith("/") or "\x00" in decoded or "\\" in decoded:
        return None
    parts = decoded[1:].split("/")
    for index, part in enumerate(parts):
        if part in (".", "..") or part.startswith(".") and part != ".well-known":
            return None
        if part == "" and index != len(parts) - 1:
            return None
    return decoded[1:]


def _host_name(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


def host_allowed(host_header: str | None, bind: str) -> bool:
    """Only names of this machine: a DNS-rebinding page's Host is its own name."""
    if not host_header:
        return False
    name = _host_name(host_header)
    if name in LOCAL_HOSTS or name == bind.lower().strip("[]"):
        return True
    if bind in ("0.0.0.0", "::", ""):
        # Reachable on the network by address: IP literals cannot be rebound.
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True
    return False


def origin_allowed(origin: str | None, bind: str) -> bool:
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme == "http" and host_allowed(parts.netloc, bind)


def inject_script(html: bytes, epoch: int) -> bytes:
    tag = f'<script src="{SCRIPT_PATH}?epoch={epoch}" defer></script>'.encode()
    index = html.rfind(b"</body>")
    if index == -1:
        return html + tag
    return html[:index] + tag + html[index:]


def error_page(errors: Iterable[str], epoch: int) -> bytes:
    items = "".join(f"<li>{html.escape(e)}</li>" for e in errors)
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>sitegen: the site has errors</title></head><body>"
        "<h1>The site could not be built yet</h1>"
        f"<ol>{items}</ol><p>Fix the files and save: this page updates by itself.</p>"
        "</body></html>"
    )
    return inject_script(page.encode("utf-8"), epoch)


def _live_script() -> bytes:
    return resources.files("sitegen").joinpath("preview/live.js").read_bytes()


class PreviewHandler(http.server.BaseHTTPRequestHandler):
    """Serves one request from the current snapshot; set up by `make_server`."""

    server_version = "sitegen-preview"
    preview: Preview
    bind: str
    live_script: bytes
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the terminal is for build messages; requests are not news

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _refuse(self, status: int, message: str) -> None:
        body = f"{status} {message}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self, head: bool) -> None:
        if not host_allowed(self.headers.get("Host"), self.bind):
            self._refuse(403, "Forbidden: this preview only answers requests for localhost")
            return
        raw_path = urlsplit(self.path).path
        if raw_path == EVENTS_PATH:
            self._events()
            return
        if raw_path == SCRIPT_PATH:
            self._send(200, "text/javascript; charset=utf-8", self.live_script, head)
            return
        if raw_path in (REPORT_PATH, REPORT_PATH.rstrip("/")):
            self._send(200, "text/html; charset=utf-8", self.preview.report_page(), head)
            return
        relative = clean_request_path(self.path)
        preview = self.preview
        with preview.changed:
            snapshot, epoch, errors = preview.snapshot, preview.epoch, preview.errors
        if snapshot is None:
            self._send(503, "text/html; charset=utf-8", error_page(errors, epoch), head)
            return
        if relative is None:
            self._not_found(snapshot, epoch, head)
            return
        target = self._resolve(snapshot, relative)
        if target is None:
            if relative and not relative.endswith("/") and snapshot.find(relative + "/index.html"):
                self._redirect(urlsplit(self.path).path + "/")
                return
            self._not_found(snapshot, epoch, head)
            return
        name, found = target
        data = found if isinstance(found, bytes) else _read(found)
        if data is None:
            self._not_found(snapshot, epoch, head)
            return
        kind = content_type(name)
        if kind.startswith("text/html"):
            data = inject_script(data, epoch)
        self._send(200, kind, data, head, snapshot.headers)

    @staticmethod
    def _resolve(snapshot: Snapshot, relative: str) -> tuple[str, bytes | Path] | None:
        candidates = [relative + "index.html"] if relative == "" or relative.endswith("/") else [relative]
        for name in candidates:
            found = snapshot.find(name)
            if found is not None:
                return name, found
        return None

    def _not_found(self, snapshot: Snapshot, epoch: int, head: bool) -> None:
        page = snapshot.files.get("404.html")
        if page is None:
            self._refuse(404, "Not Found")
            return
        self._send(404, "text/html; charset=utf-8", inject_script(page, epoch), head, snapshot.headers)

    def _redirect(self, location: str) -> None:
        self.send_response(301)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, kind: str, data: bytes, head: bool, site: Mapping[str, str] | None = None) -> None:
        """One response; `site` are the site's own headers (its `_headers`),
        sent with its pages and files so the preview blocks what the host
        would, and never with the preview's own pages."""
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (site or {}).items():
            if name.lower() not in _OWN_HEADERS and _HEADER_NAME.fullmatch(name) and _HEADER_VALUE.fullmatch(value):
                self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _events(self) -> None:
        if not origin_allowed(self.headers.get("Origin"), self.bind):
            self._refuse(403, "Forbidden: cross-origin reload channel")
            return
        query = urlsplit(self.path).query
        try:
            seen = int(dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("epoch", "0"))
        except ValueError:
            seen = 0
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        preview = self.preview
        try:
            self._write_event("hello", {"epoch": seen}, retry=True)
            with preview.changed:
                pending_errors = preview.errors
            if pending_errors:
                self._write_event("errors", {"epoch": preview.epoch, "errors": list(pending_errors)})
            while True:
                with preview.changed:
                    # A page from an earlier server run may claim a later epoch:
                    # any difference means the page is not the current build.
                    preview.changed.wait_for(
                        lambda: preview.epoch != seen or preview.stopping, timeout=KEEPALIVE_SECONDS
                    )
                    if preview.stopping:
                        return
                    epoch, event, errors = preview.epoch, preview.event, preview.errors
                if epoch == seen:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    continue
                seen = epoch
                if errors:
                    self._write_event("errors", {"epoch": epoch, "errors": list(errors)})
                else:
                    self._write_event(event, {"epoch": epoch})
        except (BrokenPipeError, ConnectionResetError, OSError):
            return

    def _write_event(self, name: str, data: object, retry: bool = False) -> None:
        chunk = ("retry: 500\n" if retry else "") + f"event: {name}\ndata: {json.dumps(data)}\n\n"
        self.wfile.write(chunk.encode("utf-8"))
        self.wfile.flush()


def _read(path: Path) -> bytes | None:
    try:
        with open_regular(path) as handle:  # never a FIFO: it would hang the request
            return handle.read()
    except OSError:
        return None


class PreviewHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that went away mid-answer is no news; anything else is
        one line on the terminal, never a traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        print(f"sitegen: a preview request failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)


def make_server(preview: Preview, bind: str, port: int) -> PreviewHTTPServer:
    handler = type(
        "BoundPreviewHandler",
        (PreviewHandler,),
        {"preview": preview, "bind": bind, "live_script": _live_script()},
    )
    server_class: type[PreviewHTTPServer] = PreviewHTTPServer
    if ":" in bind:
        server_class = type("PreviewHTTPServer6", (PreviewHTTPServer,), {"address_family": socket.AF_INET6})
    return server_class((bind.strip("[]"), port), handler)


# --------------------------------------------------------------------------
# The command


@dataclass(frozen=True)
class ServeOptions:
    build: BuildOptions
    bind: str = "127.0.0.1"
    port: int = 8000
    open_browser: bool = False


def _say(stream: TextIO, text: str) -> None:
    print(text, file=stream, flush=True)


def serve(options: ServeOptions, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run the preview until interrupted; returns the exit status."""
    root = options.build.source.resolve()
    session = BuildSession(options.build, watched=True)
    preview = Preview(session)

    def on_change(paths: list[Path]) -> None:
        report = preview.rebuild(paths)
        kinds = sorted({classify(p, root) for p in paths})
        names = ", ".join(_relative(p, root) for p in paths[:3]) + (" ..." if len(paths) > 3 else "")
        if report.ok:
            what = "stylesheet swapped" if report.event == "css" else f"{report.rendered} pages re-rendered, {report.reused} unchanged"
            _say(out, f"sitegen: {'/'.join(kinds)} change ({names}): {what} in {report.seconds * 1000:.0f} ms")
        else:
            for line in report.errors:
                _say(err, line)
            _say(err, f"sitegen: {len(report.errors)} error(s); the preview keeps the last good build")

    # Watch before the first build: the session trusts the watcher to name
    # every change, so an edit made while the first build runs must be seen.
    batcher = ChangeBatcher(on_change)
    observer = start_watching(root, batcher)

    def stop_watching() -> None:
        observer.stop()  # type: ignore[attr-defined]
        batcher.close()
        observer.join(timeout=5)  # type: ignore[attr-defined]

    first = preview.rebuild()
    if first.ok:
        _say(out, f"sitegen: built {first.rendered} pages in {first.seconds * 1000:.0f} ms")
    else:
        for line in first.errors:
            _say(err, line)
        _say(err, "sitegen: the site has errors; the preview shows them until they are fixed")
    if options.bind not in ("127.0.0.1", "localhost", "::1"):
        _say(err, f"sitegen: warning: serving on {options.bind}: other machines on your network can see this preview")
    try:
        server = make_server(preview, options.bind, options.port)
    except OSError as exc:
        stop_watching()
        _say(err, f"sitegen: cannot listen on {options.bind}:{options.port}: {exc.strerror or exc}"
             + (" (is another preview running? try --port 0 for any free port)" if options.port else ""))
        return 1
    previous_term = signal.signal(signal.SIGTERM, _interrupt)
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="sitegen-http", daemon=True
    )
    # From here on, Ctrl-C stops the preview cleanly wherever it lands: the
    # address is printed inside, and a client may be served before the main
    # thread reaches the rebuild loop.
    try:
        serving.start()
        _announce(out, root, server, options)
        batcher.run()  # rebuilds here, in the main thread, until Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        preview.stop()
        stop_watching()
        if serving.is_alive():
            server.shutdown()  # (waits for serve_forever: only once it runs)
        server.server_close()
        signal.signal(signal.SIGTERM, previous_term)
    _say(out, "sitegen: preview stopped")
    return 0


def _announce(out: TextIO, root: Path, server: PreviewHTTPServer, options: ServeOptions) -> None:
    """Say where the preview is, and open it in a browser if asked."""
    host, port = str(server.server_address[0]), int(server.server_address[1])
    shown_host = "localhost" if host in ("0.0.0.0", "::") else f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}/"
    drafts = "drafts and future posts shown" if options.build.drafts else "drafts hidden"
    _say(out, f"sitegen: previewing {root} at {url} ({drafts}); Ctrl-C stops")
    if options.open_browser:
        import webbrowser

        webbrowser.open(url)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)
