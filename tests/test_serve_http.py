"""`sitegen serve` over real HTTP: pages, safety checks, live events, clean stop."""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time

import pytest

from conftest import MINIMAL_FILES, Preview, SiteFolder
from sitegen.serve import clean_request_path, host_allowed

# How long to wait for the preview to answer or to send an event. Only
# reached when it never does: every wait ends as soon as it happens, so a
# loaded machine is given plenty.
PATIENCE = 60


def request(preview, path: str, host: str | None = None, headers: dict[str, str] | None = None):
    """One raw GET: the path is sent exactly as given, never normalised."""
    connection = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=PATIENCE)
    connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    connection.putheader("Host", host or f"localhost:{preview.port}")
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


class EventStream:
    """Reads the preview's Server-Sent Events in the background."""

    def __init__(self, preview, epoch: int = 1, origin: str | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", preview.port), timeout=PATIENCE)
        lines = [
            f"GET /__sitegen__/events?epoch={epoch} HTTP/1.1",
            f"Host: localhost:{preview.port}",
            "Accept: text/event-stream",
        ]
        if origin:
            lines.append(f"Origin: {origin}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.events: list[tuple[str, dict]] = []
        self.raw = b""
        self.condition = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            with self.condition:
                self.raw += chunk
                body = self.raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in self.raw else b""
                events = []
                for block in body.decode("utf-8", "replace").split("\n\n"):
                    name = data = None
                    for line in block.splitlines():
                        if line.startswith("event: "):
                            name = line[7:]
                        elif line.startswith("data: "):
                            data = json.loads(line[6:])
                    if name:
                        events.append((name, data))
                self.events = events
                self.condition.notify_all()

    def wait_for(self, name: str, count: int = 1, timeout: float = PATIENCE) -> dict:
        with self.condition:
            self.condition.wait_for(lambda: sum(e[0] == name for e in self.events) >= count, timeout)
            matching = [d for e, d in self.events if e == name]
        assert len(matching) >= count, f"no {name!r} event; got {self.events} raw={self.raw[:500]!r}"
        return matching[count - 1]

    def close(self) -> None:
        self.sock.close()


PREVIEW_FILES = {
    "content/posts/2026-01-01-hello.md": "---\ntitle: Hello world\ndate: 2026-01-01\n---\nHi.\n",
    "content/posts/draft.md": "---\ntitle: Secret draft\ndate: 2026-01-02\ndraft: true\n---\nShh.\n",
    "content/partners/rosa.yaml": "name: Rosa\ndisclosure: credited\nprovides: [design]\n",
    "content/static/images/a b.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
}


@pytest.fixture
def preview_site(make_site):
    return make_site(PREVIEW_FILES)


@pytest.fixture(scope="module")
def running_site(tmp_path_factory):
    """The preview site (the files of `preview_site`) for `running_preview`."""
    site = SiteFolder(tmp_path_factory.mktemp("preview") / "site")
    return site.write(dict(MINIMAL_FILES)).write(PREVIEW_FILES)


@pytest.fixture(scope="module")
def running_preview(running_site):
    """`sitegen serve` of the preview site (as `serve(preview_site)` starts
    it), started once for the tests that only send it requests: they
    neither edit the site nor stop the preview, so each one meets it as a
    preview of its own would be. Tests that edit, stop it or pass options
    start their own."""
    preview = Preview(running_site)
    yield preview
    if preview.process.poll() is None:
        preview.process.kill()
        preview.process.communicate(timeout=30)


def test_pages_are_served_with_pretty_urls_and_content_types(running_preview):
    preview = running_preview
    status, headers, body = request(preview, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"Test Co" in body
    assert request(preview, "/products/widget/")[0] == 200
    status, headers, _ = request(preview, "/products/widget")
    assert status == 301 and headers["Location"] == "/products/widget/"
    assert request(preview, "/assets/site.css")[1]["Content-Type"].startswith("text/css")
    assert request(preview, "/feed.xml")[1]["Content-Type"].startswith("application/atom+xml")
    assert request(preview, "/sitemap.xml")[1]["Content-Type"].startswith("application/xml")
    status, headers, _ = request(preview, "/images/a%20b.svg")
    assert status == 200 and headers["Content-Type"] == "image/svg+xml"
    status, headers, body = request(preview, "/no/such/page/")
    assert status == 404 and b"<html" in body and headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/%2E%2E%2F%2E%2E%2Fetc/passwd",
        "//etc/passwd",
        "/blog/..//..//etc/passwd",
        "/..\\..\\..\\etc\\passwd",
        "/%5c..%5c..%5cetc%5cpasswd",
        "/.sitegen-output",
        "/content/site.yaml",
        "/../content/site.yaml",
        "/%2e%2e/content/partners/rosa.yaml",
        "/images/%00.svg",
        "/%252e%252e/%252e%252e/etc/passwd",
    ],
)
def test_traversal_and_hidden_paths_give_404(running_preview, path):
    preview = running_preview
    status, _, body = request(preview, path)
    assert status == 404
    assert b"root:" not in body and b"disclosure" not in body


def test_path_cleaning_refuses_every_escape():
    for raw in ("/../x", "/a/../../x", "/%2e%2e/x", "/.git/config", "//x", "/a\\b", "/%5cx", "/x%00"):
        assert clean_request_path(raw) is None, raw
    assert clean_request_path("/blog/") == "blog/"
    assert clean_request_path("/images/a%20b.svg") == "images/a b.svg"
    # .well-known/ is published by a build (security.txt), so the preview serves it.
    assert clean_request_path("/.well-known/security.txt") == ".well-known/security.txt"
    assert clean_request_path("/.well-known/.hidden") is None


@pytest.mark.parametrize(
    "host, allowed",
    [
        ("localhost:8000", True),
        ("127.0.0.1:8000", True),
        ("[::1]:8000", True),
        ("LOCALHOST", True),
        ("evil.example", False),
        ("evil.example:8000", False),
        ("localhost.evil.example", False),
        ("127.0.0.1.nip.io", False),
        ("", False),
    ],
)
def test_host_check(host, allowed):
    assert host_allowed(host, "127.0.0.1") is allowed


def test_requests_for_other_hosts_are_refused(running_preview):
    preview = running_preview
    for host in ("evil.example", f"evil.example:{preview.port}", "attacker.localhost.example"):
        status, _, body = request(preview, "/", host=host)
        assert status == 403, host
        assert b"Test Co" not in body
    for host in (f"localhost:{preview.port}", f"127.0.0.1:{preview.port}", f"[::1]:{preview.port}"):
        assert request(preview, "/", host=host)[0] == 200, host
    # No Host header at all (HTTP/1.0 style) is refused too.
    with socket.create_connection(("127.0.0.1", preview.port), timeout=PATIENCE) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        reply = sock.recv(100)
    assert reply.startswith(b"HTTP/1.1 403") or reply.startswith(b"HTTP/1.0 403")


def test_reload_channel_checks_origin(running_preview):
    preview = running_preview
    status, _, _ = request(preview, "/__sitegen__/events", headers={"Origin": "http://evil.example"})
    assert status == 403
    good = EventStream(preview, origin=f"http://localhost:{preview.port}")
    try:
        assert good.wait_for("hello") is not None
    finally:
        good.close()


def test_preview_shows_drafts_with_a_badge_and_injects_the_reload_script(running_preview):
    preview = running_preview
    status, _, body = request(preview, "/blog/draft/")
    assert status == 200
    html = body.decode()
    assert "Secret draft" in html and "Draft" in html
    assert '<script src="/__sitegen__/live.js?epoch=' in html
    assert request(preview, "/__sitegen__/live.js")[0] == 200


def test_no_drafts_hides_them(preview_site, serve):
    preview = serve(preview_site, "--no-drafts")
    assert request(preview, "/blog/draft/")[0] == 404


def test_serve_never_touches_the_deploy_output(preview_site, serve):
    assert preview_site.build().returncode == 0
    before = preview_site.output_bytes()
    assert b"__sitegen__" not in b"".join(before.values())
    assert b"Secret draft" not in b"".join(before.values())
    preview = serve(preview_site)
    stream = EventStream(preview)
    (preview_site.root / "content/posts/2026-01-01-hello.md").write_text(
        "---\ntitle: Hello again\ndate: 2026-01-01\n---\nHi.\n"
    )
    stream.wait_for("reload")
    stream.close()
    code, out, err = preview.stop()
    assert code == 0
    assert preview_site.output_bytes() == before


def test_edit_sends_reload_and_serves_the_new_page(preview_site, serve):
    preview = serve(preview_site)
    stream = EventStream(preview)
    stream.wait_for("hello")
    post = preview_site.root / "content/posts/2026-01-01-hello.md"
    post.write_text("---\ntitle: Brand new title\ndate: 2026-01-01\n---\nHi.\n")
    stream.wait_for("reload")
    assert b"Brand new title" in request(preview, "/blog/hello/")[2]
    stream.close()


def test_css_only_change_swaps_the_stylesheet(preview_site, serve):
    preview_site.write({"content/static/assets/extra.css": "body { color: black }\n"})
    preview = serve(preview_site)
    stream = EventStream(preview)
    stream.wait_for("hello")
    (preview_site.root / "content/static/assets/extra.css").write_text("body { color: red }\n")
    stream.wait_for("css")
    assert b"red" in request(preview, "/assets/extra.css")[2]
    stream.close()


def test_errors_are_sent_and_the_last_good_build_stays(preview_site, serve):
    preview = serve(preview_site)
    stream = EventStream(preview)
    stream.wait_for("hello")
    partner = preview_site.root / "content/partners/rosa.yaml"
    partner.write_text("name: Rosa\ndisclosure: public\nprovides: [design]\n")
    errors = stream.wait_for("errors")
    assert any(e.startswith("content/partners/rosa.yaml:2: ") for e in errors["errors"])
    status, _, body = request(preview, "/network/")
    assert status == 200 and b"Rosa" in body, "the last good build is still served"
    partner.write_text("name: Rosa\ndisclosure: credited\nprovides: [design]\n")
    stream.wait_for("reload")
    stream.close()
    code, out, err = preview.stop()
    assert code == 0
    assert err.count("content/partners/rosa.yaml:2:") == 1, "each error printed once"
    assert "Traceback" not in err


def test_a_site_broken_from_the_start_shows_its_errors(preview_site, serve):
    preview_site.write({"content/site.yaml": "base_url: [oops\n"})
    preview = serve(preview_site)
    status, _, body = request(preview, "/")
    assert status == 503
    assert b"content/site.yaml:1" in body
    preview_site.write({"content/site.yaml": "base_url: https://example.com/\n"})
    deadline = time.monotonic() + PATIENCE
    while request(preview, "/")[0] != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_ctrl_c_stops_cleanly(preview_site, serve):
    preview = serve(preview_site)
    stream = EventStream(preview)
    stream.wait_for("hello")
    code, out, err = preview.stop()
    stream.close()
    assert code == 0
    assert "preview stopped" in out
    assert "Traceback" not in err


def test_ctrl_c_as_soon_as_the_address_shows_stops_cleanly(preview_site, serve):
    """Before, a Ctrl-C between the address line and the rebuild loop (a
    user quick to regret, or a client served first) ended in "sitegen:
    interrupted" and exit 130."""
    for _ in range(3):
        preview = serve(preview_site)  # returns as soon as the address is printed
        code, out, err = preview.stop()
        assert (code, "Traceback" in err) == (0, False), err
        assert "preview stopped" in out


def test_bind_elsewhere_warns(preview_site, serve):
    preview = serve(preview_site, "--bind", "0.0.0.0")
    assert request(preview, "/")[0] == 200
    assert request(preview, "/", host="evil.example")[0] == 403
    code, out, err = preview.stop()
    assert "warning: serving on 0.0.0.0" in err


def test_busy_port_is_reported_without_traceback(running_site, running_preview):
    preview = running_preview
    # A real process: in this one, a serve that did start would never return.
    result = running_site.run("serve", "--port", str(preview.port), subprocess=True)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{preview.port}" in result.stderr


def test_a_path_that_is_not_utf8_once_decoded_is_not_found():
    for raw in ("/%ff", "/%c3%28", "/blog/%80/", "/%ed%a0%80"):
        assert clean_request_path(raw) is None, raw


def test_invalid_utf8_paths_get_a_404_and_no_traceback(make_site, serve):
    site = make_site()
    preview = serve(site)
    assert request(preview, "/%ff")[0] == 404
    assert request(preview, "/")[0] == 200, "the server keeps answering"
    code, out, err = preview.stop()
    assert "Traceback" not in err


def test_clients_that_go_away_leave_no_traceback(make_site, serve):
    """Slow clients that hang up mid-answer are no news: no BrokenPipe
    tracebacks on the terminal."""
    site = make_site()
    preview = serve(site)
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", preview.port), timeout=5) as sock:
            sock.sendall(b"GET /assets/site.css HTTP/1.1\r\nHost: localhost\r\n\r\n")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    assert request(preview, "/")[0] == 200
    code, out, err = preview.stop()
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_an_internal_error_in_a_rebuild_shows_and_the_next_save_recovers(make_site):
    """Whatever a rebuild raises becomes an overlay message over the last
    good build, and the next save builds again."""
    from sitegen.build import BuildOptions
    from sitegen.session import BuildSession
    from sitegen.serve import Preview

    site = make_site()
    preview = Preview(BuildSession(BuildOptions(source=site.root), watched=True))
    assert preview.rebuild().ok
    good = preview.snapshot

    class Broken:
        options = preview.session.options
        watched = True

        def forget(self, paths):
            pass

        def render(self):
            raise RuntimeError("boom")

    preview.session = Broken()  # type: ignore[assignment]
    report = preview.rebuild()
    assert not report.ok and "internal error while rebuilding: RuntimeError: boom" in report.errors[0]
    assert preview.snapshot is good and preview.event == "errors"
    assert isinstance(preview.session, BuildSession), "a fresh session for the next save"
    assert preview.rebuild([site.root / "content" / "site.yaml"]).ok
    assert preview.errors == ()


def test_a_body_too_slow_to_convert_in_a_rebuild_is_an_error_and_the_preview_goes_on(make_site, monkeypatch):
    """The preview rebuilds in the main thread (the HTTP server has its
    own), so the conversion timer bounds a rebuild as it bounds a build."""
    import threading

    from sitegen.build import BuildOptions
    from sitegen.session import BuildSession
    from sitegen.content import markup
    from sitegen.preview.watch import ChangeBatcher
    from sitegen.serve import Preview

    # 1 s: an ordinary body converts far within it even on a loaded
    # machine; 10,000 brackets take many seconds (3,000 take about one).
    monkeypatch.setattr(markup, "CONVERSION_SECONDS", 1.0)
    site = make_site()
    preview = Preview(BuildSession(BuildOptions(source=site.root), watched=True))
    assert preview.rebuild().ok
    reports = []
    batcher = ChangeBatcher(lambda paths: reports.append(preview.rebuild(paths)), delay=0.01)
    post = site.root / "content" / "posts" / "brackets.md"

    def edit() -> None:
        post.parent.mkdir(exist_ok=True)
        post.write_text("---\ntitle: A\ndate: 2026-01-01\n---\n" + "[" * 10000 + "\n")
        batcher.add(post)
        deadline = time.monotonic() + PATIENCE
        while not reports and time.monotonic() < deadline:
            time.sleep(0.05)
        post.write_text("---\ntitle: A\ndate: 2026-01-01\n---\nFixed.\n")
        batcher.add(post)
        while len(reports) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        batcher.close()

    helper = threading.Thread(target=edit)
    helper.start()
    batcher.run()  # here, in the main thread, as `serve` runs it
    helper.join()
    assert len(reports) == 2
    assert not reports[0].ok
    assert any(e.startswith("content/posts/brackets.md: its Markdown took more than 1 s") for e in reports[0].errors)
    assert reports[1].ok, "the next save builds again"


def _watch_while(site: SiteFolder, batcher, write) -> None:
    """Run `batcher` in this thread on the real file watcher of `site`
    while `write()` runs in another, then until `batcher.close()`."""
    from sitegen.preview.watch import start_watching

    observer = start_watching(site.root, batcher)
    helper = threading.Thread(target=write)
    try:
        helper.start()
        batcher.run()
    finally:
        helper.join()
        observer.stop()
        observer.join()


def test_a_save_written_in_place_with_pauses_is_built_once_it_is_closed(make_site):
    """An editor that truncates a file, writes it in two parts and closes it,
    pausing between (a slow disk, a loaded machine): the preview rebuilds once
    the file is closed, never from the empty or the half-written file."""
    from sitegen.preview.watch import ChangeBatcher

    site = make_site(PREVIEW_FILES)
    partner = site.root / "content/partners/rosa.yaml"
    seen: list[str] = []
    # Patience far beyond the pauses: only the close may start the rebuild.
    batcher = ChangeBatcher(lambda paths: seen.append(partner.read_text()), patience=PATIENCE)

    def write() -> None:
        with open(partner, "w", encoding="utf-8") as handle:
            time.sleep(0.1)
            handle.write("name: Rosa Weaving\n")
            handle.flush()
            time.sleep(0.1)
            handle.write("disclosure: credited\nprovides: [design]\n")
        deadline = time.monotonic() + PATIENCE
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        batcher.close()

    _watch_while(site, batcher, write)
    assert seen[:1] == ["name: Rosa Weaving\ndisclosure: credited\nprovides: [design]\n"]


def test_a_file_never_reported_closed_is_rebuilt_after_the_patience(make_site):
    """A change with no close to wait for (a chmod, a truncate from outside,
    a writer that keeps the file open) still rebuilds, after the patience."""
    from sitegen.preview.watch import ChangeBatcher

    site = make_site(PREVIEW_FILES)
    post = site.root / "content/posts/2026-01-01-hello.md"
    batches: list[list] = []
    batcher = ChangeBatcher(batches.append, patience=0.05)
    handle = open(post, "a", encoding="utf-8")

    def write() -> None:
        handle.write("More.\n")
        handle.flush()  # and left open
        deadline = time.monotonic() + PATIENCE
        while not batches and time.monotonic() < deadline:
            time.sleep(0.01)
        batcher.close()

    try:
        _watch_while(site, batcher, write)
    finally:
        handle.close()
    assert batches and post in batches[0]


def test_a_file_moved_in_whole_is_rebuilt_at_once(make_site, tmp_path):
    """Moving a finished post into the site is reported as "created", but no
    close follows: the rebuild must not wait for one."""
    from sitegen.preview.watch import ChangeBatcher

    site = make_site(PREVIEW_FILES)
    draft = tmp_path / "new.md"
    draft.write_text("---\ntitle: New\ndate: 2026-01-03\n---\nHi.\n")
    batches: list[list] = []
    # Patience far beyond the wait below: only a rebuild that did not wait passes.
    batcher = ChangeBatcher(batches.append, patience=10 * PATIENCE)

    def write() -> None:
        os.replace(draft, site.root / "content/posts/new.md")
        deadline = time.monotonic() + PATIENCE
        while not batches and time.monotonic() < deadline:
            time.sleep(0.01)
        batcher.close()

    _watch_while(site, batcher, write)
    assert batches and site.root / "content/posts/new.md" in batches[0]


def test_closing_the_batcher_while_a_file_is_written_stops_it_without_a_rebuild(tmp_path):
    from sitegen.preview.watch import ChangeBatcher

    batches: list[list] = []
    batcher = ChangeBatcher(batches.append, patience=10 * PATIENCE)
    batcher.add(tmp_path / "half.md", writing=True)
    running = threading.Thread(target=batcher.run, daemon=True)
    running.start()
    time.sleep(0.05)  # in the wait for the writer, or about to be
    batcher.close()
    running.join(timeout=PATIENCE)
    assert not running.is_alive(), "run() must return once closed"
    assert batches == [], "the half-written file is never built"


def test_the_network_report_is_a_page_of_the_preview_only(preview_site, serve):
    preview_site.write({"content/partners/secret.yaml": "name: Secret Stitchers\ndisclosure: white-label\nprovides: [design]\n"})
    preview = serve(preview_site)
    status, headers, body = request(preview, "/__sitegen__/report/")
    assert status == 200
    text = body.decode()
    assert "Network health report for" in text and "for your eyes only" in text
    assert "Secret Stitchers" in text, "the owner's report names white-label partners"
    assert "sitegen build</code> never writes it" in text
    assert request(preview, "/__sitegen__/report/", host="evil.example")[0] == 403
    preview.stop()
    assert preview_site.build().returncode == 0
    assert not (preview_site.public / "__sitegen__").exists()
    assert b"Secret Stitchers" not in b"".join(preview_site.output_bytes().values())


def test_the_preview_sends_the_headers_the_build_writes(preview_site, serve):
    """What the host would block, the preview blocks too: every page and
    file of the site comes with the `_headers` of the build."""
    preview_site.write({"content/site.yaml": "base_url: https://example.com/\ntitle: Test Co\n"
                                             "forms: https://forms.example/f/abc\n"})
    preview = serve(preview_site)
    status, headers, body = request(preview, "/_headers")
    assert status == 200
    policy = next(line for line in body.decode().splitlines() if "Content-Security-Policy:" in line)
    expected = policy.split(":", 1)[1].strip()
    assert "form-action 'self' https://forms.example" in expected
    for path in ("/", "/products/widget/", "/assets/site.css", "/no/such/page/"):
        headers = request(preview, path)[1]
        assert headers["Content-Security-Policy"] == expected, path
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    # The preview's own pages are not the site's: no site policy there.
    assert "Content-Security-Policy" not in request(preview, "/__sitegen__/live.js")[1]


def test_a_broken_link_written_while_previewing_is_shown_until_fixed(preview_site, serve):
    preview = serve(preview_site)
    stream = EventStream(preview)
    stream.wait_for("hello")
    post = preview_site.root / "content/posts/2026-01-01-hello.md"
    post.write_text("---\ntitle: Hello world\ndate: 2026-01-01\n---\nSee [our cups](/prodcts/cups/).\n")
    errors = stream.wait_for("errors")
    assert "content/posts/2026-01-01-hello.md:5: broken link to /prodcts/cups/ in /blog/hello/" in errors["errors"]
    post.write_text("---\ntitle: Hello world\ndate: 2026-01-01\n---\nSee [our products](/products/).\n")
    stream.wait_for("reload")
    stream.close()
