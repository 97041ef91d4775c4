"""Every page satisfies the Content-Security-Policy the build writes for it.

The build writes the site's headers to `_headers` (view/security.py), with a
policy made from what the site uses. The policy is read from the built
example site's `_headers` and every HTML page is checked against it statically:
inline scripts, event-handler attributes and `javascript:` URLs need
'unsafe-inline' in script-src; `style=` attributes and <style> elements need
it in style-src; every URL the browser would fetch (scripts, stylesheets,
icons, images, frames, objects, media), every form action and any <base> must
be allowed by its directive. `<script type="application/ld+json">` is a data
block: the browser never executes it, so CSP does not apply to it (HTML
"prepare the script element" stops for data blocks before the CSP inline
check). The checker is itself tested on small pages that break each rule.
"""

from __future__ import annotations

import re
import tomllib
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from conftest import REPO, SiteFolder, copy_example_site
from sitegen.view.security import parse_headers_file

Policy = dict[str, list[str]]

# Script `type`s the browser runs (the JavaScript MIME type essences, plus
# module, import maps and speculation rules); any other type is a data block.
_JS_TYPES = {
    "",
    "module",
    "importmap",
    "speculationrules",
    "application/ecmascript",
    "application/javascript",
    "application/x-ecmascript",
    "application/x-javascript",
    "text/ecmascript",
    "text/javascript",
    "text/javascript1.0",
    "text/javascript1.1",
    "text/javascript1.2",
    "text/javascript1.3",
    "text/javascript1.4",
    "text/javascript1.5",
    "text/jscript",
    "text/livescript",
    "text/x-ecmascript",
    "text/x-javascript",
}
# Fallbacks of CSP level 3 for the directives this checker uses.
_FALLBACK = {
    "script-src-elem": ("script-src-elem", "script-src", "default-src"),
    "script-src-attr": ("script-src-attr", "script-src", "default-src"),
    "style-src-elem": ("style-src-elem", "style-src", "default-src"),
    "style-src-attr": ("style-src-attr", "style-src", "default-src"),
    "img-src": ("img-src", "default-src"),
    "font-src": ("font-src", "default-src"),
    "media-src": ("media-src", "default-src"),
    "object-src": ("object-src", "default-src"),
    "frame-src": ("frame-src", "child-src", "default-src"),
    "manifest-src": ("manifest-src", "default-src"),
    "connect-src": ("connect-src", "default-src"),
    "default-src": ("default-src",),
    # No fallback: without these directives anything is allowed.
    "form-action": ("form-action",),
    "base-uri": ("base-uri",),
}
_ICON_RELS = {"icon", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"}
_PRELOAD_AS = {
    "script": "script-src-elem",
    "style": "style-src-elem",
    "image": "img-src",
    "font": "font-src",
    "audio": "media-src",
    "video": "media-src",
    "track": "media-src",
    "fetch": "connect-src",
}


def parse_policy(header: str) -> Policy:
    policy: Policy = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens and tokens[0].lower() not in policy:
            policy[tokens[0].lower()] = tokens[1:]
    return policy


def sources_for(policy: Policy, directive: str) -> list[str] | None:
    """The source list that governs `directive`, or None when nothing does."""
    for name in _FALLBACK[directive]:
        if name in policy:
            return policy[name]
    return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _host_source_matches(source: str, url: str) -> bool:
    match = re.fullmatch(r"(?:([a-z][a-z0-9+.-]*)://)?(\*|(?:\*\.)?[^/:]+)(?::(\d+|\*))?(/.*)?", source, re.I)
    if not match:
        return False
    scheme, host, port, path = match.groups()
    url_scheme, url_host, url_port = _origin(url)
    if scheme and scheme.lower() != url_scheme:
        return False
    if not scheme and url_scheme not in ("http", "https"):
        return False
    host = host.lower()
    if host == "*":
        pass
    elif host.startswith("*."):
        if not url_host.endswith(host[1:]):
            return False
    elif host != url_host:
        return False
    if port and port != "*" and int(port) != url_port:
        return False
    if not port and url_port != {"http": 80, "https": 443}.get(url_scheme):
        return False
    if path:
        url_path = urlsplit(url).path or "/"
        return url_path.startswith(path) if path.endswith("/") else url_path == path
    return True


def url_allowed(sources: list[str] | None, url: str, page_url: str) -> bool:
    """Whether `url`, found on the page at the absolute `page_url`, may load."""
    if sources is None:
        return True
    resolved = urljoin(page_url, url.strip())
    scheme = urlsplit(resolved).scheme.lower()
    for source in sources:
        lowered = source.lower()
        if lowered == "'self'" and _origin(resolved) == _origin(page_url):
            return True
        if lowered == "*" and scheme in ("http", "https", "ws", "wss"):
            return True
        if re.fullmatch(r"[a-z][a-z0-9+.-]*:", lowered) and lowered == scheme + ":":
            return True
        if not lowered.startswith("'") and _host_source_matches(source, resolved):
            return True
    return False


def inline_allowed(sources: list[str] | None) -> bool:
    if sources is None:
        return True
    lowered = [s.lower() for s in sources]
    # A nonce or a hash turns 'unsafe-inline' off (CSP level 2+); this site uses neither.
    if any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for s in lowered):
        return False
    return "'unsafe-inline'" in lowered


class _Checker(HTMLParser):
    def __init__(self, policy: Policy, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.policy = policy
        self.page_url = page_url
        self.problems: list[str] = []
        self.open: list[str] = []

    def report(self, message: str) -> None:
        line, _ = self.getpos()
        self.problems.append(f"line {line}: {message}")

    def need(self, directive: str, url: str | None, what: str) -> None:
        if url is None or not url.strip():
            return
        if urlsplit(url.strip()).scheme.lower() == "javascript":
            if not inline_allowed(sources_for(self.policy, "script-src-attr")):
                self.report(f"{what} is a javascript: URL, refused by script-src")
            return
        if not url_allowed(sources_for(self.policy, directive), url, self.page_url):
            self.report(f"{what} {url} is refused by {directive}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("script", "style"):
            self.handle_endtag(tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        for name in values:
            if name.startswith("on") and not inline_allowed(sources_for(self.policy, "script-src-attr")):
                self.report(f"<{tag} {name}=...>: event-handler attributes are refused by script-src")
        if "style" in values and not inline_allowed(sources_for(self.policy, "style-src-attr")):
            self.report(f"<{tag} style=...>: style attributes are refused by style-src")
        for name in ("href", "xlink:href", "action", "formaction"):
            if urlsplit(values.get(name, "").strip()).scheme.lower() == "javascript":
                if not inline_allowed(sources_for(self.policy, "script-src-attr")):
                    self.report(f"<{tag} {name}=javascript:...> is refused by script-src")
        if tag == "script":
            if "src" in values:
                self.need("script-src-elem", values["src"], "<script src>")
            elif values.get("type", "").strip().lower().split(";")[0].strip() in _JS_TYPES:
                if not inline_allowed(sources_for(self.policy, "script-src-elem")):
                    self.report("inline <script> is refused by script-src")
        elif tag == "style":
            if not inline_allowed(sources_for(self.policy, "style-src-elem")):
                self.report("<style> element is refused by style-src")
        elif tag == "link":
            rels = set(values.get("rel", "").lower().split())
            href = values.get("href")
            if "stylesheet" in rels:
                self.need("style-src-elem", href, "<link rel=stylesheet>")
            if rels & _ICON_RELS:
                self.need("img-src", href, "<link rel=icon>")
            if "manifest" in rels:
                self.need("manifest-src", href, "<link rel=manifest>")
            if rels & {"preload", "modulepreload", "prefetch"}:
                kind = "script" if "modulepreload" in rels else values.get("as", "").lower()
                self.need(_PRELOAD_AS.get(kind, "default-src"), href, "<link rel=preload>")
        elif tag in ("img", "source", "input", "video", "audio", "track", "image"):
            directive = "img-src"
            if tag in ("video", "audio", "track") or (tag == "source" and self._inside({"video", "audio"})):
                directive = "media-src"
            if tag != "input" or values.get("type", "").lower() == "image":
                self.need(directive, values.get("src"), f"<{tag} src>")
            for candidate in values.get("srcset", "").split(","):
                url = candidate.strip().split(" ")[0]
                self.need(directive, url or None, f"<{tag} srcset>")
            if tag == "video":
                self.need("img-src", values.get("poster"), "<video poster>")
            if tag == "image":
                self.need("img-src", values.get("href") or values.get("xlink:href"), "<image href>")
        elif tag in ("iframe", "frame"):
            self.need("frame-src", values.get("src"), f"<{tag} src>")
        elif tag in ("object", "embed"):
            self.need("object-src", values.get("data") or values.get("src"), f"<{tag}>")
        elif tag == "form":
            self.need("form-action", values.get("action") or self.page_url, "<form action>")
        elif tag == "base":
            self.need("base-uri", values.get("href"), "<base href>")
        if tag in ("button", "input") and "formaction" in values:
            self.need("form-action", values["formaction"], f"<{tag} formaction>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass

    def _inside(self, tags: set[str]) -> bool:
        return any(t in tags for t in self.open)


def csp_violations(html: str, policy: Policy, page_url: str) -> list[str]:
    """Everything on one page the policy would block."""
    checker = _Checker(policy, page_url)
    checker.feed(html)
    checker.close()
    return checker.problems


def css_violations(css: str, policy: Policy, page_url: str) -> list[str]:
    """url() and @import in a stylesheet: images/fonts/stylesheets it would load."""
    problems = []
    for url in re.findall(r"""url\(\s*['"]?([^'")\s]+)""", css) + re.findall(r"""@import\s+['"]([^'"]+)""", css):
        allowed = [
            url_allowed(sources_for(policy, d), url, page_url)
            for d in ("img-src", "font-src", "style-src-elem")
        ]
        if not any(allowed):
            problems.append(f"url({url}) is refused by img-src, font-src and style-src")
    return problems


# --------------------------------------------------------------------------
# The headers the build writes


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> SiteFolder:
    site = copy_example_site(tmp_path_factory.mktemp("csp-example") / "site")
    result = site.build()
    assert result.returncode == 0, result.stderr
    return site


def built_headers(site: SiteFolder) -> dict[str, str]:
    return parse_headers_file(site.output_bytes()["_headers"].decode("utf-8"))


@pytest.fixture(scope="module")
def policy(example) -> Policy:
    return parse_policy(built_headers(example)["Content-Security-Policy"])


def test_the_build_writes_the_security_headers(example, policy):
    headers = built_headers(example)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    permissions = headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions
    assert headers["X-Frame-Options"] == "DENY"
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"], "the example shows no image from another site"
    assert policy["form-action"] == ["'self'"], "Netlify forms post to /thanks/ on the site"
    config = tomllib.loads((REPO / "netlify.toml").read_text(encoding="utf-8"))
    assert config["build"]["publish"] == "public" and "headers" not in config


def test_the_policy_allows_exactly_the_image_hosts_and_form_service_the_site_uses(make_site):
    site = make_site({
        "content/site.yaml": "base_url: https://example.com/\ntitle: Test Co\nforms: https://forms.example/f/abc\n"
                             "social_image: https://share.example/card.jpg\n",
        "content/products/widget.md": "---\ntitle: Widget\nrequires: [design]\nimage: https://cdn.example/w.jpg\n---\n"
                                      "A widget.\n\n![Detail](https://img.example:8443/d.png)\n\n"
                                      "![Ours](https://example.com/own.svg)\n",
        "content/posts/2026-05-01-note.md": "---\ntitle: Note\ndate: 2026-05-01\n---\n<img src='//media.example/x.gif' alt=''>\n",
        "content/static/own.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    })
    run = site.build()
    assert run.returncode == 0, run.stderr
    policy = parse_policy(built_headers(site)["Content-Security-Policy"])
    assert policy["img-src"] == ["'self'", "data:", "https://cdn.example", "https://img.example:8443",
                                 "https://media.example"]
    assert policy["form-action"] == ["'self'", "https://forms.example"]
    for name, data in site.output_bytes().items():
        if name.endswith(".html"):
            assert csp_violations(data.decode("utf-8"), policy, _page_url("https://example.com/", name)) == [], name


def test_a_sites_own_headers_file_is_used_instead(make_site):
    site = make_site({"content/static/_headers": "/*\n  X-Robots-Tag: noindex\n"})
    assert site.build().returncode == 0
    assert site.output_bytes()["_headers"] == b"/*\n  X-Robots-Tag: noindex\n"


def _page_url(base_url: str, name: str) -> str:
    path = name[: -len("index.html")] if name.endswith("index.html") else name
    return urljoin(base_url, "/" + path)


def test_every_page_of_the_example_satisfies_the_csp(example, policy):
    base_url = "https://hearthandladle.example/"
    pages = {n: d for n, d in example.output_bytes().items() if n.endswith(".html")}
    assert len(pages) > 30
    problems = []
    for name, data in sorted(pages.items()):
        html = data.decode("utf-8")
        problems += [f"{name}: {p}" for p in csp_violations(html, policy, _page_url(base_url, name))]
        # Belt and braces for the rules the brief names, independent of the parser.
        assert not re.search(r"<base\b", html, re.I), name
        assert not re.search(r"<style\b", html, re.I), name
        assert not re.search(r"\sstyle\s*=", html, re.I), name
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), name
        for script in re.findall(r"<script\b[^>]*>", html, re.I):
            assert script == '<script type="application/ld+json">', (name, script)
    assert problems == []
    for name, data in example.output_bytes().items():
        if name.endswith(".css"):
            assert css_violations(data.decode("utf-8"), policy, base_url + name) == [], name


def test_the_example_forms_post_where_form_action_allows(example, policy):
    html = example.page("/contact/")
    assert "<form" in html
    assert csp_violations(html, policy, "https://hearthandladle.example/contact/") == []
    other_host = parse_policy("form-action 'self'")
    outside = html.replace('action="/thanks/"', 'action="https://formspree.example/f/abc"')
    assert csp_violations(outside, other_host, "https://hearthandladle.example/contact/") == [
        f"line {_line_of(outside, 'formspree')}: <form action> https://formspree.example/f/abc is refused by form-action"
    ]


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# --------------------------------------------------------------------------
# The checker catches what it must


SITE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'; object-src 'none'"
)
PAGE = "https://shop.example/products/widget/"


@pytest.mark.parametrize(
    "html, expected",
    [
        ('<p style="color:red">x</p>', "style attributes are refused by style-src"),
        ("<style>p{color:red}</style>", "<style> element is refused by style-src"),
        ("<script>alert(1)</script>", "inline <script> is refused by script-src"),
        ('<script type="module">import "/x.js"</script>', "inline <script> is refused by script-src"),
        ('<script type="text/javascript">1</script>', "inline <script> is refused by script-src"),
        ('<button onclick="go()">Go</button>', "event-handler attributes are refused by script-src"),
        ('<body onload="go()">', "event-handler attributes are refused by script-src"),
        ('<a href="javascript:go()">Go</a>', "javascript:...> is refused by script-src"),
        ('<script src="https://cdn.example/x.js"></script>', "is refused by script-src-elem"),
        ('<script src="//cdn.example/x.js"></script>', "is refused by script-src-elem"),
        ('<link rel="stylesheet" href="https://fonts.example/a.css">', "is refused by style-src-elem"),
        ('<link rel="icon" href="https://cdn.example/i.png">', "is refused by img-src"),
        ('<img src="https://cdn.example/a.png" alt="">', "is refused by img-src"),
        ('<img src="/a.png" srcset="/a.png 1x, http://shop.example/b.png 2x" alt="">', "is refused by img-src"),
        ('<iframe src="https://video.example/embed"></iframe>', "is refused by frame-src"),
        ('<object data="/a.swf"></object>', "is refused by object-src"),
        ('<form action="https://formspree.example/f/abc" method="post"></form>', "is refused by form-action"),
        ('<base href="https://other.example/">', "is refused by base-uri"),
        ('<video src="https://media.example/a.mp4"></video>', "is refused by media-src"),
    ],
)
def test_the_checker_reports_each_kind_of_violation(html, expected):
    problems = csp_violations(html, parse_policy(SITE_POLICY), PAGE)
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_the_checker_accepts_what_the_policy_allows():
    html = """
        <link rel="stylesheet" href="/assets/site.css">
        <link rel="canonical" href="https://canonical.example/x/">
        <link rel="alternate" type="application/atom+xml" href="https://feeds.example/feed.xml">
        <link rel="icon" href="../../favicon.svg">
        <script type="application/ld+json">{"@context": "https://schema.org"}</script>
        <script src="/assets/app.js"></script>
        <img src="data:image/png;base64,AA" alt="">
        <img src="https://shop.example/images/a.svg" alt="">
        <img src="images/a.svg" srcset="a.svg 1x, /b.svg 2x" alt="">
        <a href="https://elsewhere.example/">links are not fetches</a>
        <form action="/thanks/" method="POST"><input name="x"></form>
        <form method="POST"></form>
        <base href="/">
    """
    assert csp_violations(html, parse_policy(SITE_POLICY), PAGE) == []


def test_the_checker_reads_the_policy_rather_than_assuming_it():
    relaxed = parse_policy(
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src *; "
        "script-src 'self' https://cdn.example; form-action 'self' https://formspree.example"
    )
    html = (
        '<p style="color:red">x</p><img src="https://any.example/a.png" alt="">'
        '<script src="https://cdn.example/x.js"></script>'
        '<form action="https://formspree.example/f/abc"></form>'
    )
    assert csp_violations(html, relaxed, PAGE) == []
    assert csp_violations('<img src="data:image/png;base64,AA" alt="">', relaxed, PAGE) != [], "* excludes data:"
    nonce = parse_policy("script-src 'self' 'unsafe-inline' 'nonce-abc'")
    assert csp_violations("<script>1</script>", nonce, PAGE) != [], "a nonce disables 'unsafe-inline'"


def test_css_urls_must_be_allowed_too():
    policy = parse_policy(SITE_POLICY)
    assert css_violations("a{background:url(data:image/svg+xml;base64,AA)} b{background:url('/x.png')}", policy, PAGE) == []
    assert css_violations("@import 'https://fonts.example/a.css'; p{}", policy, PAGE) != []
    assert css_violations("p{background:url(https://cdn.example/x.png)}", policy, PAGE) != []


def test_a_markdown_tables_alignment_is_a_class_the_policy_allows(make_site, policy):
    """`:---:` in a Markdown table made `style="text-align: center"`, which
    the policy blocks on the live site: it is a class the theme styles."""
    site = make_site(
        {"content/pages/prices.md": "---\ntitle: Prices\n---\n| Size | Price |\n|:-:|--:|\n| S | 4 |\n"}
    )
    assert site.build().returncode == 0
    page = site.page("/prices/")
    assert '<th class="align-center">Size</th>' in page and '<td class="align-right">4</td>' in page
    assert csp_violations(page, policy, "https://example.com/prices/") == []
    css = (site.public / "assets" / "site.css").read_text(encoding="utf-8")
    assert ".prose .align-center" in css and ".prose .align-right" in css


def test_images_in_code_or_comments_add_no_origin_and_referenced_or_srcset_images_do(make_site):
    site = make_site({
        "content/posts/2026-05-01-note.md": "---\ntitle: Note\ndate: 2026-05-01\n---\n"
        "`![x](https://incode.example/x.png)` <!-- ![y](https://comment.example/y.png) -->\n\n"
        "```\n![z](https://fence.example/z.png)\n```\n\n"
        "![r][pic]\n\n[pic]: https://refimg.example/r.png\n\n"
        '<img src="/own.svg" srcset="https://set.example/a.png 2x" alt="">\n\n'
        "![idn](https://straße.example/i.png)\n",
        "content/static/own.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    })
    run = site.build()
    assert run.returncode == 0, run.stderr
    policy = parse_policy(built_headers(site)["Content-Security-Policy"])
    # (A non-ASCII host is never allowed: write it in its xn-- form.)
    assert policy["img-src"] == ["'self'", "data:", "https://refimg.example", "https://set.example"]


def test_a_form_service_the_policy_cannot_name_is_an_error(make_site):
    site = make_site({"content/site.yaml": "base_url: https://example.com/\ntitle: Test Co\n"
                                           "forms: https://forms_x.example/f\n"})
    run = site.build()
    assert run.returncode == 1
    assert run.error_lines[0].startswith("content/site.yaml:3: 'forms' must be a form service's address with a plain host")
