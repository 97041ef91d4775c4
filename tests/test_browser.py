"""Live preview in a real browser: Chromium driven by Playwright.

The page must follow edits by itself (no reload called by the test), show a
broken file's `path:line` over the page, and drop the overlay once fixed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from test_serve_http import PATIENCE, EventStream

playwright_api = pytest.importorskip("playwright.sync_api")

# Waits end as soon as the page shows what is awaited; this is only how
# long to give a loaded machine before failing.
PATIENCE_MS = PATIENCE * 1000

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI: .ci/run installs the chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def live_site(make_site):
    return make_site(
        {
            "content/posts/2026-01-01-hello.md": "---\ntitle: Hello world\ndate: 2026-01-01\n---\nHi.\n",
            "content/partners/rosa.yaml": "name: Rosa Kitchens\ndisclosure: credited\nprovides: [design]\n",
        }
    )


def test_editing_a_post_updates_the_open_page(live_site, serve, page):
    preview = serve(live_site)
    page.goto(preview.url + "blog/hello/")
    assert page.locator("h1").first.inner_text().startswith("Hello world")
    page.evaluate("window.__notReloaded = true")
    (live_site.root / "content/posts/2026-01-01-hello.md").write_text(
        "---\ntitle: Fresh from the pot\ndate: 2026-01-01\n---\nHi.\n"
    )
    # (Locator waits, not wait_for_function: the preview sends the site's
    # Content-Security-Policy, which forbids evaluating strings in the page.)
    page.locator("h1", has_text="Fresh from the pot").first.wait_for(timeout=PATIENCE_MS)
    # The page reloaded itself: the marker set before the edit is gone.
    assert page.evaluate("window.__notReloaded") is None


def test_a_broken_partner_file_shows_an_overlay_until_fixed(live_site, serve, page):
    preview = serve(live_site)
    page.goto(preview.url + "network/")
    assert "Rosa Kitchens" in page.content()
    partner = live_site.root / "content/partners/rosa.yaml"
    partner.write_text("name: Rosa Kitchens\nprovides: [design]\ndisclosure: public\n")
    overlay = page.locator("#sitegen-error-overlay")
    overlay.wait_for(state="visible", timeout=PATIENCE_MS)
    errors = overlay.locator(".sitegen-error").all_inner_texts()
    assert any(e.startswith("content/partners/rosa.yaml:3: ") for e in errors), errors
    # The last good build is still there underneath.
    assert "Rosa Kitchens" in page.locator("main").inner_text()

    partner.write_text("name: Rosa Kitchens\nprovides: [design]\ndisclosure: credited\n")
    overlay.wait_for(state="detached", timeout=PATIENCE_MS)
    assert "Rosa Kitchens" in page.locator("main").inner_text()


def test_a_page_opened_while_broken_shows_the_overlay(live_site, serve, page):
    preview = serve(live_site)
    stream = EventStream(preview)
    stream.wait_for("hello")
    (live_site.root / "content/partners/rosa.yaml").write_text("name: [unclosed\n")
    # Once the preview has the errors, open a page: it must show them too.
    stream.wait_for("errors")
    stream.close()
    page.goto(preview.url)
    page.locator("#sitegen-error-overlay").wait_for(state="visible", timeout=PATIENCE_MS)
    assert "content/partners/rosa.yaml:1" in page.locator("#sitegen-error-overlay").inner_text()


def test_css_change_applies_without_reloading(live_site, serve, page):
    live_site.write({"content/static/assets/extra.css": "body { outline: 0px solid red }\n"})
    preview = serve(live_site)
    page.goto(preview.url)
    page.evaluate("window.__notReloaded = true")
    (live_site.root / "content/static/assets/site.css").write_text("body { background: rgb(1, 2, 3) }\n")
    playwright_api.expect(page.locator("body")).to_have_css("background-color", "rgb(1, 2, 3)", timeout=PATIENCE_MS)
    assert page.evaluate("window.__notReloaded") is True
