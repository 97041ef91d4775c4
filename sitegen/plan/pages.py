"""What the route planner produces: pages with their template and context,
static files, and the helpers that name output paths."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Mapping

from ..view import metadata
from ..view.objects import Link

@dataclass(frozen=True)
class PageMeta:
    """What every template knows about the page it renders."""

    _made_from: ClassVar[bytes | None] = None  # a post page's (incremental/cache.py: provenance)

    url: str
    title: str
    description: str
    section: str
    canonical: str
    og_type: str = "website"
    image: str | None = None
    breadcrumbs: tuple[Link, ...] = ()
    json_ld: tuple[metadata.JsonLdBlock, ...] = ()


@dataclass(frozen=True)
class Pagination:
    number: int
    total: int
    prev_url: str | None
    next_url: str | None
    page_urls: tuple[str, ...]


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: str | None


class Route:
    """One page to render: its URL, output path, template and context.

    A plain slotted class rather than a dataclass: a 5,000-post site plans
    7,000 of these on every preview rebuild, and this is several times
    cheaper to make. Treat it as read-only.
    """

    __slots__ = ("url", "output", "template", "context", "source", "inputs", "line")

    def __init__(
        self,
        url: str,
        output: str,
        template: str,
        context: Mapping[str, Any],
        source: str,
        inputs: object = None,
        line: int = 0,
    ) -> None:
        self.url = url
        self.output = output
        self.template = template
        self.context = context  # the template's variables but `site`, which every page gets
        self.source = source
        # What the page was planned from, besides `site`: the very same object
        # build after build while those inputs are unchanged, so a preview
        # rebuild recognises an unchanged page with one identity check.
        self.inputs = inputs
        self.line = line

    def __repr__(self) -> str:
        return f"Route({self.url!r}, {self.template!r}, from {self.source!r})"


@dataclass(frozen=True)
class StaticFile:
    url: str
    output: str
    source: Path
    origin: str


@dataclass(frozen=True)
class RouteMap:
    pages: tuple[Route, ...]
    static: tuple[StaticFile, ...]


@functools.lru_cache(maxsize=65536)
def ancestors(output: str) -> tuple[str, ...]:
    """`a/b/index.html` -> (`a/b`, `a`)."""
    pieces = output.split("/")
    return tuple("/".join(pieces[:n]) for n in range(len(pieces) - 1, 0, -1))


@functools.lru_cache(maxsize=65536)
def output_path_for(url: str) -> str:
    """`/products/soup/` -> `products/soup/index.html`; `/feed.xml` stays a file."""
    if url.endswith("/"):
        return f"{url.lstrip('/')}index.html"
    return url.lstrip("/")


def absolute_url(base_url: str, url: str) -> str:
    return base_url.rstrip("/") + "/" + url.lstrip("/")
