"""Stage 4, routes: one URL, one output path and one template per page.

Turns the public view into the list of pages to render (with the context each
template receives) and static files to copy. Two sources that map to the same
output path are an error naming both. Output paths are built only from slugs
(`[a-z0-9-]`) and from static files' own relative paths, so nothing can name a
path outside the output folder. Rendering and writing happen later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

from markupsafe import Markup

from . import metadata
from .errors import Problems
from .public import Link, PublicPost, PublicSite, Taxonomy

FEED_ENTRIES = 20


@dataclass(frozen=True)
class PageMeta:
    """What every template knows about the page it renders."""

    url: str
    title: str
    description: str
    section: str
    canonical: str
    og_type: str = "website"
    image: str | None = None
    breadcrumbs: tuple[Link, ...] = ()
    json_ld: tuple[Markup, ...] = ()


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


@dataclass(frozen=True)
class Route:
    url: str
    output: str
    template: str
    context: Mapping[str, Any]
    source: str


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


def output_path_for(url: str) -> str:
    """`/products/soup/` -> `products/soup/index.html`; `/feed.xml` stays a file."""
    if url.endswith("/"):
        return f"{url.lstrip('/')}index.html"
    return url.lstrip("/")


def absolute_url(base_url: str, url: str) -> str:
    return base_url.rstrip("/") + "/" + url.lstrip("/")


@dataclass
class _Planner:
    public: PublicSite
    problems: Problems
    pages: list[Route] = field(default_factory=list)
    claimed: dict[str, str] = field(default_factory=dict)
    folders: dict[str, tuple[str, str]] = field(default_factory=dict)

    def claim(self, output: str, source: str, url: str, line: int = 0) -> bool:
        other = self.claimed.get(output)
        if other is not None:
            self.problems.error(
                _path_of(source),
                line,
                f"URL {url} is also produced by {other}; two sources cannot share one URL",
            )
            return False
        # A file and a folder cannot have one name: `blog` (a static file)
        # and `blog/index.html` (the blog) would collide when written.
        folder_user = self.folders.get(output)
        ancestors = [str(p) for p in PurePosixPath(output).parents if str(p) != "."]
        blocking = next((a for a in ancestors if a in self.claimed), None)
        if folder_user is not None or blocking is not None:
            if folder_user is not None:
                other_url, other_source = folder_user
                name = output
            else:
                other_url, other_source = "/" + str(blocking), self.claimed[str(blocking)]
                name = str(blocking)
            self.problems.error(
                _path_of(source),
                line,
                f"URL {url} clashes with {other_url} from {other_source}: "
                f"a file and a folder cannot both be named '{name}'",
            )
            return False
        self.claimed[output] = source
        for ancestor in ancestors:
            self.folders.setdefault(ancestor, (url, source))
        return True

    def add(
        self,
        url: str,
        template: str,
        source: str,
        title: str,
        description: str | None,
        section: str,
        trail: tuple[Link, ...] = (),
        json_ld: tuple[Markup, ...] = (),
        og_type: str = "website",
        image: str | None = None,
        **extra: Any,
    ) -> None:
        output = output_path_for(url)
        line = 1 if source.startswith("content/") else 0
        if not self.claim(output, source, url, line):
            return
        public = self.public
        breadcrumbs = (Link("Home", "/"), *trail, Link(title, url)) if trail else ()
        if breadcrumbs:
            json_ld = (*json_ld, metadata.breadcrumb_block(public, breadcrumbs))
        image = image or public.business.logo
        meta = PageMeta(
            url=url,
            title=title,
            description=" ".join((description or self._default_description()).split()),
            section=section,
            canonical=absolute_url(public.base_url, url),
            og_type=og_type,
            image=metadata.absolute(public.base_url, image) if image else None,
            breadcrumbs=breadcrumbs,
            json_ld=json_ld,
        )
        context = {"site": self.public, "meta": meta, **extra}
        self.pages.append(Route(url, output, template, context, source))

    def _default_description(self) -> str:
        business = self.public.business
        return business.summary or business.tagline or self.public.title


def _path_of(source: str) -> str:
    """Built-in sources are described in words; files by their path."""
    return source if source.startswith(("content/", "themes/")) else "site"


def plan_routes(
    public: PublicSite,
    static_sources: list[tuple[Path, str, str]],
    problems: Problems,
) -> RouteMap:
    """Every page and static file of the site.

    `static_sources` is (file, path relative to its static folder, origin) in
    order of precedence: the first source of a path wins (content/static/
    overrides the theme's static/).
    """
    planner = _Planner(public, problems)
    business = public.business
    planner.add(
        "/", "home.html", "the home page (built-in)", public.title, business.summary, "home",
        json_ld=tuple(metadata.home_blocks(public)),
    )
    products_link = Link("Products", "/products/")
    capabilities_link = Link("Capabilities", "/capabilities/")
    blog_link = Link("Blog", "/blog/")

    planner.add(
        "/products/", "products.html", "the products index (built-in)", "Products", None, "products",
        products=public.products,
    )
    for product in public.products:
        planner.add(
            product.url, "product.html", product.source_path, product.title,
            product.summary, "products", trail=(products_link,),
            json_ld=(metadata.product_block(public, product),), image=product.image,
            product=product,
        )

    planner.add(
        "/capabilities/", "capabilities.html", "the capabilities index (built-in)", "Capabilities",
        None, "capabilities", capabilities=public.capabilities,
    )
    for capability in public.capabilities:
        planner.add(
            capability.url, "capability.html", capability.source_path,
            capability.title, capability.summary, "capabilities", trail=(capabilities_link,),
            capability=capability,
        )

    planner.add(
        "/network/", "network.html", "the network page (built-in)", "Our network", None, "network",
        partners=public.partners,
    )

    _plan_blog(planner, public, blog_link)
    for taxonomy in (public.tags, public.categories):
        _plan_taxonomy(planner, taxonomy, blog_link)

    for page in public.pages:
        planner.add(
            page.url, "page.html", page.source_path, page.title, page.summary, page.slug,
            trail=(), page=page,
        )

    planner.add("/404.html", "404.html", "the 404 page (built-in)", "Page not found", None, "404")
    newest = public.posts[0].date if public.posts else None
    planner.add(
        "/feed.xml", "feed.xml", "the Atom feed (built-in)", public.title, None, "feed",
        posts=public.posts[:FEED_ENTRIES], updated=_iso(newest) if newest else _iso_day(public),
    )
    planner.add("/robots.txt", "robots.txt", "robots.txt (built-in)", "robots.txt", None, "robots")
    entries = tuple(
        SitemapEntry(route.context["meta"].canonical, _lastmod(route))
        for route in planner.pages
        if route.output.endswith(".html") and route.url != "/404.html"
    )
    planner.add(
        "/sitemap.xml", "sitemap.xml", "the sitemap (built-in)", "sitemap", None, "sitemap",
        entries=entries,
    )

    static: list[StaticFile] = []
    seen_static: set[str] = set()
    for source, relative, origin in static_sources:
        output = PurePosixPath(relative).as_posix()
        if output in seen_static:
            continue  # an earlier static folder overrides this file
        seen_static.add(output)
        url = "/" + output
        line = 1 if origin.startswith(("content/", "themes/")) else 0
        if planner.claim(output, origin, url, line):
            static.append(StaticFile(url, output, source, origin))
    return RouteMap(tuple(planner.pages), tuple(static))


def _plan_blog(planner: _Planner, public: PublicSite, blog_link: Link) -> None:
    posts = public.posts
    per_page = public.posts_per_page
    total = max(1, math.ceil(len(posts) / per_page))
    urls = tuple("/blog/" if n == 1 else f"/blog/page/{n}/" for n in range(1, total + 1))
    for number in range(1, total + 1):
        chunk = posts[(number - 1) * per_page : number * per_page]
        pagination = Pagination(
            number=number,
            total=total,
            prev_url=urls[number - 2] if number > 1 else None,
            next_url=urls[number] if number < total else None,
            page_urls=urls,
        )
        title = "Blog" if number == 1 else f"Blog, page {number}"
        planner.add(
            urls[number - 1], "blog.html", "the blog index (built-in)", title, None, "blog",
            posts=chunk, pagination=pagination,
        )
    for index, post in enumerate(posts):
        newer = posts[index - 1] if index > 0 else None
        older = posts[index + 1] if index + 1 < len(posts) else None
        planner.add(
            post.url, "post.html", post.source_path, post.title, post.summary, "blog",
            trail=(blog_link,), json_ld=(metadata.post_block(public, post),), og_type="article",
            post=post, newer_post=newer, older_post=older,
        )


def _plan_taxonomy(planner: _Planner, taxonomy: Taxonomy, blog_link: Link) -> None:
    planner.add(
        taxonomy.url, "terms.html", f"the {taxonomy.name} index (built-in)", taxonomy.title, None,
        "blog", trail=(blog_link,), taxonomy=taxonomy,
    )
    taxonomy_link = Link(taxonomy.title, taxonomy.url)
    # Term pages get the taxonomy without its posts, so editing one post does
    # not re-render the pages of terms it does not carry.
    summary = taxonomy.summary
    for term in taxonomy.terms:
        singular = "Tag" if taxonomy.name == "tags" else "Category"
        planner.add(
            term.url, "term.html", f"the {taxonomy.name} page for '{term.name}' (built-in)",
            f"{singular}: {term.name}", None, "blog", trail=(blog_link, taxonomy_link),
            taxonomy=summary, term=term, posts=term.posts,
        )


def _lastmod(route: Route) -> str | None:
    post = route.context.get("post")
    if isinstance(post, PublicPost):
        return _iso(post.date)
    return None


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _iso_day(public: PublicSite) -> str:
    return f"{public.build_date.isoformat()}T00:00:00Z"
