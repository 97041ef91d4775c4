"""Links and files the owner wrote that lead nowhere: errors of every build.

A link in a Markdown text (`[our soups](/prodcts/)`, `![](/images/x.jpg)`,
`<a href="...">`) or an image key (`image: /images/missing.jpg`) that points
into the site must name a page or a file the build publishes; otherwise the
build stops with `path:line: broken link ...` (the preview shows it over the
page). This runs on every build and every preview rebuild, so it works on
what the owner wrote, never on rendered pages: each text's link targets
are a text fact (content/markup.written_links, kept in the build cache by
the text's hash, so a build after a one-post edit scans one text), and
each link is looked up in the set of the build's outputs; a link to a `#fragment` is checked against the ids of
the page it leads to once the pages are rendered (`check_fragments`).
Links on other sites are never fetched. Links the theme writes are made
from the route map: `sitegen check --links` checks those too.

A link to a page that the date alone took away, or has not brought yet, is
a warning, not an error (DESIGN.md: alliances end; the site must keep
building): a capability no active partner provides now, a post dated after
the build, /where-to-buy/ while no credited reseller is active, the anchor
of a credited partner not active now (`Withheld`). A link to something that
does not exist, or to a white-label partner, stays an error.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator, Mapping
from urllib.parse import unquote, urlsplit

from ..content.images import IMAGE_KEYS
from ..content.load import Record, Records
from ..content.markup import written_links
from ..content.model import Site
from ..errors import Problems
from ..view.objects import PublicSite
from ..view.posts import visibility
from .pages import RouteMap



class _Resolver:
    """Where a link written on the page at `page_url` leads, if inside the site."""

    def __init__(self, base_url: str, outputs: set[str], pages: set[str] | None = None) -> None:
        parts = urlsplit(base_url)
        self.scheme = parts.scheme.lower()
        self.host = parts.netloc.lower()
        self.prefix = parts.path if parts.path.endswith("/") else parts.path + "/"
        self.outputs = outputs
        self.pages = pages if pages is not None else outputs

    def site_path(self, href: str, page_url: str) -> str | None:
        """The site path `href` names, or None when it is not this site's
        (another host, mailto:, a bare #fragment ...)."""
        href = href.strip().replace("&amp;", "&")
        if not href or href.startswith(("#", "?")):
            return None
        try:
            parts = urlsplit(href)
        except ValueError:
            return None
        if parts.scheme or parts.netloc:
            if parts.scheme.lower() not in ("http", "https", "") or parts.netloc.lower() != self.host:
                return None
            path = parts.path or "/"
            if not (path + "/").startswith(self.prefix):
                return None
            path = "/" + path[len(self.prefix):] if path != self.prefix.rstrip("/") else "/"
        elif parts.path.startswith("/"):
            path = parts.path
            if self.prefix != "/" and (path + "/").startswith(self.prefix):
                path = "/" + path[len(self.prefix):]
        elif parts.path:
            path = posixpath.join(page_url if page_url.endswith("/") else posixpath.dirname(page_url) + "/",
                                  parts.path)
        else:
            return None
        trailing = path.endswith("/")
        path = posixpath.normpath(unquote(path))
        if path in (".", "//"):
            path = "/"
        return path + ("/" if trailing and not path.endswith("/") else "")

    def page(self, site_path: str) -> str | None:
        """The page the build renders at a site path, if it is one (a static
        HTML file's ids are not looked at: `check --links` does that)."""
        relative = site_path.lstrip("/")
        names = (relative + "index.html",) if relative == "" or relative.endswith("/") else (
            relative, relative + "/index.html")
        return next((name for name in names if name in self.pages and name.endswith(".html")), None)

    def lands(self, site_path: str) -> bool:
        relative = site_path.lstrip("/")
        if relative == "" or relative.endswith("/"):
            return relative + "index.html" in self.outputs
        return relative in self.outputs or relative + "/index.html" in self.outputs


def outputs_named(site_path: str) -> tuple[str, ...]:
    """The output files a site path can name (as `_Resolver.lands` looks)."""
    relative = site_path.lstrip("/")
    if relative == "" or relative.endswith("/"):
        return (relative + "index.html",)
    return (relative, relative + "/index.html")


def _texts(public: PublicSite) -> Iterator[tuple[str, str, str]]:
    """(source path, page URL, Markdown) of every text the site publishes."""
    for group in (public.posts, public.pages, public.products, public.withdrawn_products, public.capabilities):
        for item in group:
            yield item.source_path, item.url, item.body.source


def _line_of(path: Path, target: str, text: str | None = None, at: int = 0) -> int:
    """The line of the file where the link is written: at offset `at` of
    its text `text` (the file's body), else the first line that writes
    `target` as a whole address, as `sitegen check --links` finds it (0
    when the file cannot be read)."""
    try:
        whole = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return 0
    if text is not None and whole.endswith(text):
        return whole.count("\n", 0, len(whole) - len(text) + at) + 1
    from ..render.links import first_line, href_needles  # (only when a link is broken)

    return first_line(whole.splitlines(), href_needles(target)) or 0


# Each text's resolved link targets, by (base URL, page URL, text), from the
# last check: kept across a preview's rebuilds, replaced by each check.
_resolved: dict[tuple[str, str, str], list[tuple[str, int, str | None, str]]] = {}
# The outputs the last check found every kept text's links landing in.
_last_outputs: set[str] = set()


@dataclass(frozen=True)
class FragmentLink:
    """A written link to `#fragment` of a page of the site, checked once the
    pages are rendered (`check_fragments`)."""

    source: str  # the content file
    target: str  # as written
    url: str  # the page it is written on
    output: str  # the page it leads to
    fragment: str
    text: str  # the text it is written in, and where (for the line of a message)
    at: int


class Withheld:
    """What the build date keeps off the site that a later (or earlier) date
    publishes: page outputs and `(page output, id)` anchors, each with why,
    as the end of a warning."""

    def __init__(self, site: Site, public: PublicSite, outputs: set[str], now: datetime,
                 include_drafts: bool, include_future: bool) -> None:
        self.pages: dict[str, str] = {}
        self.anchors: dict[tuple[str, str], str] = {}
        for capability in site.capabilities:
            output = f"capabilities/{capability.slug}/index.html"
            if output not in outputs:
                self.pages[output] = (
                    f"capability '{capability.title}' ({capability.slug}) is not offered on {now.date()} (no active partner "
                    "provides it), so its page is not published; until it is, the link leads to the "
                    "not-found page: remove it or add a provider"
                )
        for post in site.posts:
            shown, future = visibility(post, now, include_drafts, include_future)
            output = f"blog/{post.slug}/index.html"
            if not shown and future and not post.draft and output not in outputs:
                self.pages[output] = (
                    f"that post is published on {post.date.date()}; until then the link leads to the "
                    "not-found page (a scheduled rebuild publishes it on the day)"
                )
        if any(p.sells and p.credited for p in site.partners) and WHERE_TO_BUY_OUTPUT not in outputs:
            self.pages[WHERE_TO_BUY_OUTPUT] = (
                f"no credited reseller is active on {now.date()}, so /where-to-buy/ is not published; "
                "until one is, the link leads to the not-found page"
            )
        shown_partners = {partner.slug for partner in public.partners}
        for partner in site.partners:
            if partner.credited and partner.slug not in shown_partners:
                self.anchors[(NETWORK_OUTPUT, partner.slug)] = (
                    f"{partner.name} is not an active partner on {now.date()}, so the network page has "
                    "no such anchor; until it is, the link leads to the top of that page"
                )


WHERE_TO_BUY_OUTPUT = "where-to-buy/index.html"
NETWORK_OUTPUT = "network/index.html"


def check_written_links(
    root: Path, records: Records, site: Site, public: PublicSite, routes: RouteMap, problems: Problems,
    now: datetime, include_drafts: bool = False, include_future: bool = False,
) -> list[FragmentLink]:
    """Every broken link and missing file the owner wrote, as errors (links
    to what the date withholds as warnings); and the links to a `#fragment`
    of a page, for `check_fragments`."""
    global _resolved, _last_outputs
    pages = {route.output for route in routes.pages}
    outputs = pages | {static.output for static in routes.static}
    resolve = _Resolver(site.config.base_url, outputs, pages)
    withheld = Withheld(site, public, outputs, now, include_drafts, include_future)
    base_url = site.config.base_url
    warned = False
    fragments: list[FragmentLink] = []
    used: dict[tuple[str, str, str], list[tuple[str, int, str | None, str]]] = {}
    same_outputs = outputs == _last_outputs
    for source, url, text in _texts(public):
        # Where each written target leads depends on the text, its page and
        # the site's address only: worked out once per text and kept while
        # the text is used (a preview rebuild looks up 5,000 kept posts).
        key = (base_url, url, text)
        links = _resolved.get(key)
        known = links is not None
        if links is None:
            links = [
                (target, at, url if target.startswith("#") else resolve.site_path(target, url),
                 unquote(target.split("#", 1)[1]) if "#" in target else "")
                for target, at in written_links(text)
            ]
        used[key] = links
        if not links or (same_outputs and known and not any(fragment for *_, fragment in links)):
            continue  # (it landed last time, against these very outputs)
        for target, at, site_path, fragment in links:
            if site_path is None:
                continue
            if not target.startswith("#") and not resolve.lands(site_path):
                why = next((withheld.pages[o] for o in outputs_named(site_path) if o in withheld.pages), None)
                line = _line_of(root / source, target, text, at)
                if why is None:
                    problems.error(source, line, f"broken link to {target} in {url}")
                else:
                    problems.warning(source, line, f"link to {target} in {url}: {why}")
                    warned = True
                continue
            page = resolve.page(site_path) if fragment and fragment.lower() != "top" else None
            if page is not None and (page, fragment) in withheld.anchors:
                problems.warning(source, _line_of(root / source, target, text, at),
                                 f"link to {target} in {url}: {withheld.anchors[(page, fragment)]}")
                warned = True
            elif page is not None:
                fragments.append(FragmentLink(source, target, url, page, fragment, text, at))
    _resolved = used
    # (a text whose links did not all land is looked at again next time)
    _last_outputs = outputs if not problems.has_errors() and not warned else set()
    _check_image_keys(root, records, public, resolve, problems)
    return fragments


def _check_image_keys(root: Path, records: Records, public: PublicSite, resolve: _Resolver, problems: Problems) -> None:
    """Each published image key must name a file of the site. Files that
    exist but are not published as they are (a damaged photo, a hidden
    partner's logo) have errors or reasons of their own."""
    static = root / "content" / "static"
    present = {path.relative_to(static).as_posix() for path in records.static_files if path.is_relative_to(static)}
    for record, name, value in _image_keys(records, public):
        named = resolve.site_path(value, "/")
        if named is None or resolve.lands(named) or named.lstrip("/") in present:
            continue
        problems.error(
            record.path, record.data.line_of(name),
            f"'{name}' names {value}, but the site has no file {named}: "
            f"add it as content/static{named} or correct the name",
        )


_ID = re.compile(rb"""\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")


def check_fragments(
    root: Path, links: list[FragmentLink], pages: Mapping[str, bytes], previous: Path | None, problems: Problems,
) -> None:
    """Each written link to a `#fragment` must find an element with that id
    on its page: a page rendered now, or one kept as the last build wrote
    it (read from the previous output only when linked this way)."""
    ids: dict[str, set[str] | None] = {}
    for link in links:
        if link.output not in ids:
            data = pages.get(link.output)
            if data is None and previous is not None:
                try:
                    data = (previous / link.output).read_bytes()
                except OSError:
                    data = None
            ids[link.output] = None if data is None else {
                html.unescape((m.group(1) or m.group(2) or m.group(3) or b"").decode("utf-8", "replace"))
                for m in _ID.finditer(data)
            }
        found = ids[link.output]
        if found is not None and link.fragment not in found:
            problems.error(
                link.source, _line_of(root / link.source, link.target, link.text, link.at),
                f"broken link to {link.target} in {link.url} (no element with id '{link.fragment}')",
            )


def _image_keys(records: Records, public: PublicSite) -> Iterable[tuple[Record, str, str]]:
    """(record, key, value) of each image key of what the site publishes.
    Only the published objects that have a picture are looked up (most
    posts have none: a preview rebuild must not walk 5,000 records)."""
    wanted = {
        "site": [records.site] if records.site is not None else [],
        "business": [records.business] if records.business is not None else [],
    }
    shown = {
        "partners": {partner.slug for partner in public.partners if partner.logo is not None},
        "products": {p.slug for p in (*public.products, *public.withdrawn_products) if p.image is not None},
        "posts": {post.slug for post in public.posts if post.image is not None},
    }
    for kind, slugs in shown.items():
        wanted[kind] = [record for record in getattr(records, kind) if record.slug in slugs] if slugs else []
    for kind, keys in IMAGE_KEYS.items():
        for record in wanted[kind]:
            for key in keys:
                value = record.data.get(key)
                if isinstance(value, str) and value.strip():
                    yield record, key, value.strip()
