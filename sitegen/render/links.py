"""Internal link check: every link between the site's own pages must land.

Runs after rendering, over the rendered files in memory: it parses each HTML
page with the standard library's `HTMLParser`, collects the ids (and `<a
name>`s) of every page and every `href`, `src` and `srcset` candidate, and
reports as an error each internal link (a site path, a relative path, a
`#fragment`, or an absolute URL under `base_url`) whose target page, static
file or fragment does not exist, at the place the user must edit: the
content file, else the template, else the rendered page. External URLs and
`mailto:`/`tel:`/`data:`/`javascript:` links are skipped, never fetched. This
module never writes a file, never touches the network and never changes its
inputs; the only I/O it does is reading source and template files to find the
line of a broken link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Collection, Iterable, Mapping, Sequence
from urllib.parse import unquote, urljoin, urlsplit

from ..errors import Problems
from ..plan.pages import Route
from ..plan.written_links import Withheld, outputs_named

# A stand-in origin used only to resolve relative references with urljoin.
_ORIGIN = "http://site.invalid"
# Characters that may continue a URL: a match of an href in a source file must
# not be preceded or followed by one of them (so "/x/" does not match "/x/y/").
_BEFORE_URL = r"[\w/.%#?&~+:@-]"
_AFTER_URL = r"[\w/.%#?&=~+@-]"


@dataclass(frozen=True)
class Link:
    """One `href`, `src` or `srcset` URL as written, on a line of the HTML."""

    href: str
    line: int


@dataclass(frozen=True)
class PageLinks:
    """What the link check needs of one HTML page."""

    ids: frozenset[str]
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Base:
    """`base_url` split into what an absolute link must share with it."""

    scheme: str
    host: str
    prefix: str  # "/" or a path prefix ending in "/", such as "/shop/"


@dataclass(frozen=True)
class Target:
    """Where an internal link points: candidate site paths, and a fragment."""

    paths: tuple[str, ...]  # decoded site paths starting with "/", tried in order
    fragment: str | None  # decoded; None when the link has no "#"


@dataclass(frozen=True)
class Broken:
    """A broken link found on a page, before it is located in a source."""

    output: str
    link: Link
    reason: str  # "" or " (no element with id '...')"
    target: Target | None = None


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[Link] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif name in ("href", "src"):
                self._add(value, line)
            elif name == "srcset":
                for url in srcset_urls(value):
                    self._add(url, line)

    def _add(self, value: str, line: int) -> None:
        href = value.strip()
        if href:
            self.links.append(Link(href, line))


def parse_page(html: str) -> PageLinks:
    """The ids and links of one HTML page."""
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    return PageLinks(frozenset(parser.ids), tuple(parser.links))


def srcset_urls(srcset: str) -> list[str]:
    """The URLs of a `srcset` value: "a.png 1x, b.png 2x" -> ["a.png", "b.png"]."""
    urls = []
    for candidate in srcset.split(","):
        words = candidate.split()
        if words:
            urls.append(words[0])
    return urls


def parse_base(base_url: str) -> Base:
    parts = urlsplit(base_url)
    prefix = parts.path if parts.path.endswith("/") else parts.path + "/"
    return Base(parts.scheme.lower(), parts.netloc.lower(), prefix)


def page_url_for(output: str) -> str:
    """`a/b/index.html` -> `/a/b/`; `index.html` -> `/`; `404.html` -> `/404.html`."""
    if output == "index.html":
        return "/"
    if output.endswith("/index.html"):
        return "/" + output[: -len("index.html")]
    return "/" + output


def _normalized(path: str) -> str:
    """Dot segments resolved: `/a/../b/` -> `/b/`."""
    return urlsplit(urljoin(_ORIGIN + "/", path or "/")).path or "/"


def _under_base(path: str, base: Base) -> str | None:
    """The site path of an absolute URL's path under the base prefix, else None."""
    if path == base.prefix.rstrip("/"):
        return "/"
    if path.startswith(base.prefix):
        return "/" + path[len(base.prefix) :]
    return None


def internal_target(href: str, page_url: str, base: Base) -> Target | None:
    """Where `href`, found on the page at `page_url`, points; None when external."""
    parts = urlsplit(href)
    fragment = unquote(parts.fragment) if "#" in href else None
    scheme = parts.scheme.lower()
    if scheme or parts.netloc:
        if scheme not in ("", base.scheme) or parts.netloc.lower() != base.host:
            return None
        site_path = _under_base(parts.path or "/", base)
        if site_path is None:
            return None
        return Target((unquote(_normalized(site_path)),), fragment)
    resolved = urlsplit(urljoin(_ORIGIN + page_url, href)).path or "/"
    candidates = [resolved]
    if href.startswith("/") and base.prefix != "/":
        stripped = _under_base(resolved, base)
        if stripped is not None:
            candidates.insert(0, _normalized(stripped))
    return Target(tuple(dict.fromkeys(unquote(p) for p in candidates)), fragment)


def find_output(site_path: str, outputs: Collection[str]) -> str | None:
    """The output file a site path is served from, if the site has it."""
    relative = site_path.lstrip("/")
    if relative == "" or relative.endswith("/"):
        names = [relative + "index.html"]
    else:
        names = [relative, relative + "/index.html"]
    return next((name for name in names if name in outputs), None)


def fragment_problem(fragment: str | None, ids: frozenset[str] | None) -> str:
    """"" when the fragment lands (or cannot be checked), else the reason it does not."""
    if not fragment or ids is None or fragment in ids:
        return ""
    if fragment.lower() == "top":  # HTML: "#top" scrolls to the top of any page
        return ""
    return f" (no element with id '{fragment}')"


def link_problem(
    target: Target,
    outputs: Collection[str],
    ids_by_output: Mapping[str, frozenset[str]],
) -> str | None:
    """None when the link lands; else "" (no such file) or the fragment's reason."""
    for path in target.paths:
        output = find_output(path, outputs)
        if output is not None:
            reason = fragment_problem(target.fragment, ids_by_output.get(output))
            return reason or None
    return ""


def href_needles(href: str) -> list[str]:
    """The forms an href may be written in a source: as is, without fragment, decoded."""
    needles = [href, href.split("#", 1)[0], unquote(href)]
    return [n for n in dict.fromkeys(needles) if n]


def first_line(lines: Sequence[str], needles: Sequence[str]) -> int | None:
    """The 1-based line where the first needle found occurs as a whole URL."""
    for needle in needles:
        pattern = re.compile(
            rf"(?<!{_BEFORE_URL}){re.escape(needle)}(?!{_AFTER_URL})"
        )
        for number, text in enumerate(lines, start=1):
            if pattern.search(text):
                return number
    return None


def display_path(path: Path, site_root: Path) -> str:
    """Relative to the site folder when inside it, else absolute."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(site_root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def effective_templates(template_dirs: Sequence[Path]) -> dict[str, Path]:
    """Template name -> the file that is used for it (earlier folders win)."""
    found: dict[str, Path] = {}
    for folder in template_dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_file() and name not in found:
                found[name] = path
    return found


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


class _Locator:
    """Finds the source line a broken link must be fixed at; caches file texts."""

    def __init__(
        self, site_root: Path, template_dirs: Sequence[Path], content_sources: Sequence[str]
    ) -> None:
        self.site_root = site_root
        self.templates = effective_templates(template_dirs)
        self.content_sources = content_sources
        self._lines: dict[Path, list[str]] = {}

    def lines(self, path: Path) -> list[str]:
        if path not in self._lines:
            self._lines[path] = _read_lines(path)
        return self._lines[path]

    def locate(self, route: Route | None, broken: Broken) -> tuple[str, int]:
        needles = href_needles(broken.link.href)
        for path in self._candidates(route):
            line = first_line(self.lines(path), needles)
            if line is not None:
                return display_path(path, self.site_root), line
        return broken.output, broken.link.line

    def _candidates(self, route: Route | None) -> list[Path]:
        """Own content file, the page's template, other templates, other content."""
        own = route.source if route and route.source.startswith("content/") else None
        paths = [self.site_root / own] if own else []
        if route is not None and route.template in self.templates:
            paths.append(self.templates[route.template])
        paths.extend(self.templates.values())
        paths.extend(self.site_root / s for s in self.content_sources if s != own)
        return list(dict.fromkeys(paths))


def _page_order(files: Mapping[str, bytes], by_output: Mapping[str, Route]) -> list[str]:
    """HTML outputs, pages made from content files first (they name their source best)."""
    html = [name for name in files if name.endswith(".html")]
    first = {n for n in html if n in by_output and by_output[n].source.startswith("content/")}
    return [n for n in html if n in first] + [n for n in html if n not in first]


def find_broken(
    pages: Mapping[str, PageLinks],
    page_urls: Mapping[str, str],
    outputs: Collection[str],
    base: Base,
) -> tuple[list[Broken], int]:
    """Every broken internal link of `pages` (in order) and the number checked."""
    ids_by_output = {name: page.ids for name, page in pages.items()}
    broken: list[Broken] = []
    checked = 0
    for output, page in pages.items():
        for link in page.links:
            try:
                target = internal_target(link.href, page_urls[output], base)
            except ValueError:  # urlsplit: "http://[zz/" has no valid host
                checked += 1
                broken.append(Broken(output, link, " (not a valid URL)"))
                continue
            if target is None:
                continue
            checked += 1
            reason = link_problem(target, outputs, ids_by_output)
            if reason is not None:
                broken.append(Broken(output, link, reason, target))
    return broken, checked


def check_links(
    files: Mapping[str, bytes],
    routes: Sequence[Route],
    static_outputs: Iterable[str],
    base_url: str,
    site_root: Path,
    template_dirs: Sequence[Path],
    problems: Problems,
    withheld: Withheld | None = None,
) -> int:
    """Report every broken internal link as an error (a link to what the
    build date withholds as a warning, as a build does); return how many
    links were checked."""
    by_output = {route.output: route for route in routes}
    order = _page_order(files, by_output)
    pages = {name: parse_page(files[name].decode("utf-8", errors="replace")) for name in order}
    page_urls = {
        name: by_output[name].url if name in by_output else page_url_for(name) for name in order
    }
    outputs = set(files) | set(static_outputs)
    broken, checked = find_broken(pages, page_urls, outputs, parse_base(base_url))
    content_sources = list(
        dict.fromkeys(r.source for r in routes if r.source.startswith("content/"))
    )
    locator = _Locator(site_root, template_dirs, content_sources)
    reported: set[tuple[str, int, str]] = set()
    for item in broken:
        path, line = locator.locate(by_output.get(item.output), item)
        key = (path, line, item.link.href)
        if key in reported:
            continue
        reported.add(key)
        why = _withheld_reason(item, outputs, withheld) if withheld is not None else None
        if why is not None:
            problems.warning(path, line, f"link to {item.link.href} in {page_urls[item.output]}: {why}")
            continue
        problems.error(
            path, line, f"broken link to {item.link.href} in {page_urls[item.output]}{item.reason}"
        )
    return checked


def _withheld_reason(item: Broken, outputs: Collection[str], withheld: Withheld) -> str | None:
    """Why the build date keeps `item`'s target off the site, if it does."""
    if item.target is None:
        return None
    for path in item.target.paths:
        page = find_output(path, outputs)
        if page is None:
            why = next((withheld.pages[o] for o in outputs_named(path) if o in withheld.pages), None)
        else:
            why = withheld.anchors.get((page, item.target.fragment or ""))
        if why is not None:
            return why
    return None
