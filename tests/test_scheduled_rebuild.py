"""The daily rebuild function, run under Node against a local server that
stands in for Netlify's build hook (#14 item 4)."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import REPO

FUNCTION = REPO / "sitegen" / "starter" / "site" / "netlify" / "functions" / "scheduled-rebuild.mjs"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node is not installed")

RUN = """
import run, { config } from %s;
const response = await run(new Request("https://example.netlify.app/.netlify/functions/scheduled-rebuild", {
  method: "POST", body: JSON.stringify({ next_run: "2026-06-16T00:00:00.000Z" }),
}));
console.log(JSON.stringify({ status: response.status, config }));
"""


class Hook(http.server.BaseHTTPRequestHandler):
    calls: list[tuple[str, str, bytes]] = []
    answer = 200

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Hook.calls.append((self.command, self.path, body))
        self.send_response(Hook.answer)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook():
    Hook.calls, Hook.answer = [], 200
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/build_hooks/abc123"
    server.shutdown()
    server.server_close()


def run_function(env: dict[str, str]) -> tuple[dict, str]:
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", RUN % json.dumps(FUNCTION.as_uri())],
        env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout + done.stderr


def test_it_posts_to_the_build_hook_once_a_day(hook):
    result, log = run_function({"SITEGEN_BUILD_HOOK": hook})
    assert result == {"status": 200, "config": {"schedule": "@daily"}}
    assert [(method, path) for method, path, _ in Hook.calls] == [("POST", "/build_hooks/abc123")]
    assert "asked Netlify for a rebuild" in log


def test_without_the_variable_it_only_says_so(hook):
    result, log = run_function({})
    assert result["status"] == 200
    assert Hook.calls == []
    assert "SITEGEN_BUILD_HOOK is not set; nothing to do" in log


def test_a_hook_that_fails_is_logged(hook):
    Hook.answer = 404
    result, log = run_function({"SITEGEN_BUILD_HOOK": hook})
    assert result["status"] == 502
    assert "the build hook answered 404" in log


def test_a_hook_that_is_not_a_url_is_logged():
    result, log = run_function({"SITEGEN_BUILD_HOOK": "not a url"})
    assert result["status"] == 500 and "is not a URL" in log


def test_init_and_the_example_ship_the_same_function(tmp_path: Path):
    from sitegen.scaffold import init_site

    init_site(tmp_path / "new")
    shipped = (tmp_path / "new" / "netlify" / "functions" / "scheduled-rebuild.mjs").read_bytes()
    assert shipped == FUNCTION.read_bytes()
    assert (REPO / "netlify" / "functions" / "scheduled-rebuild.mjs").read_bytes() == shipped
