"""Stage 4, routes: one URL, one output path and one template per page.

Turns the public view into the list of pages to render (with the context each
template receives) and static files to copy. Two sources that map to the same
output path are an error naming both. Output paths are built only from slugs
(`[a-z0-9-]`) and from static files' own relative paths, so nothing can name a
path outside the output folder. Rendering and writing happen later.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from ..view import metadata
from ..errors import Problems
from ..incremental.cache import made
from ..view.objects import Link, PublicPost, PublicSite, Taxonomy, TaxonomySummary
from ..view.public import WHERE_TO_BUY
from .memo import RouteMemo
from .pages import (
    PageMeta,
    Pagination,
    Route,
    RouteMap,
    SitemapEntry,
    StaticFile,
    absolute_url,
    ancestors,
    output_path_for,
)

FEED_ENTRIES = 20
HEADERS_FILE = "_headers"


@dataclass(frozen=True)
class SiteFacts:
    """What page metadata reads of the site: the only site-wide inputs of
    `_meta`, so a page's metadata can be marked as made from them (see
    `_post_meta`)."""

    base_url: str
    language: str
    title: str
    name: str
    logo: str | None
    summary: str | None
    tagline: str | None
    social: str | None  # the social card of site.yaml's social_image

    @classmethod
    def of(cls, public: PublicSite) -> SiteFacts:
        business = public.business
        return cls(
            public.base_url, public.language, public.title, business.name,
            str(business.logo) if business.logo else None, business.summary, business.tagline,
            public.social_image.social if public.social_image is not None else None,
        )


@dataclass
class _Planner:
    public: PublicSite
    problems: Problems
    memo: RouteMemo | None = None
    pages: list[Route] = field(default_factory=list)
    claimed: dict[str, str] = field(default_factory=dict)
    folders: dict[str, tuple[str, str]] = field(default_factory=dict)
    # URLs of pages left out of the sitemap (the noindex thank-you page).
    unlisted: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.facts = SiteFacts.of(self.public)

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
        above = ancestors(output)
        blocking = next((a for a in above if a in self.claimed), None)
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
        for ancestor in above:
            self.folders.setdefault(ancestor, (url, source))
        return True

    def add(self, url: str, *args: Any, **kwargs: Any) -> None:
        """Plan one page (see `make`) and add it to the site's pages."""
        self.pages.append(self.make(url, *args, **kwargs))

    def make(
        self,
        url: str,
        template: str,
        source: str,
        title: str,
        description: str | None,
        section: str,
        trail: tuple[Link, ...] = (),
        json_ld: tuple[metadata.JsonLdBlock, ...] | Callable[[], tuple[metadata.JsonLdBlock, ...]] = (),
        og_type: str = "website",
        image: str | None = None,
        made_from: object = None,
        in_sitemap: bool = True,
        meta: PageMeta | None = None,
        **extra: Any,
    ) -> Route:
        """Plan one page. `made_from` names the object the page's metadata
        derives from (besides site-wide facts and the arguments here), so a
        preview rebuild can reuse the metadata while it is unchanged; then
        `json_ld` may be a function, called only when it is needed.
        `in_sitemap=False` leaves the page out of sitemap.xml. Whether the
        URL is free is checked once every page is planned (`settle`)."""
        output = output_path_for(url)
        line = 1 if source.startswith("content/") else 0
        if not in_sitemap:
            self.unlisted.add(url)

        def make(inputs: object = None) -> Route:
            found = meta
            if found is None:
                blocks = json_ld() if callable(json_ld) else json_ld
                found = _meta(self.facts, url, title, description, section, trail, blocks, og_type, image,
                              same=self.memo is not None)
            return Route(url, output, template, {"meta": found, **extra}, source, inputs, line)

        if self.memo is not None:
            key = (
                (template, source, meta, *extra.keys(), *extra.values()) if meta is not None else (
                    template, source, made_from, title, description, section, trail, og_type, image,
                    None if callable(json_ld) else json_ld, *extra.keys(), *extra.values(),
                )
            )
            return self.memo.plan(url, key, make)
        return make()

    def settle(self, first: int = 0) -> None:
        """Claim the outputs of the pages planned since `first`, in order;
        a page whose URL is taken is reported and dropped."""
        pending = self.pages[first:]
        del self.pages[first:]
        for route in pending:
            if self.claim(route.output, route.source, route.url, route.line):
                self.pages.append(route)

def _meta(
    facts: SiteFacts,
    url: str,
    title: str,
    description: str | None,
    section: str,
    trail: tuple[Link, ...],
    json_ld: tuple[metadata.JsonLdBlock, ...],
    og_type: str,
    image: str | None,
    same: bool = False,
) -> PageMeta:
    """A page's metadata. `same`: the very same object for the same fields,
    build after build (the preview compares pages by identity first); a
    single build would only pay for hashing them."""
    breadcrumbs = (Link("Home", "/"), *trail, Link(title, url)) if trail else ()
    if breadcrumbs:
        json_ld = (*json_ld, metadata.BreadcrumbBlock(facts.base_url, breadcrumbs))
    # Only a raster card: the sites that show shared links ignore SVG.
    image = image or facts.social
    described = description or facts.summary or facts.tagline or facts.title
    return (_page_meta if same else PageMeta)(
        url,
        title,
        " ".join(described.split()),
        section,
        absolute_url(facts.base_url, url),
        og_type,
        metadata.absolute(facts.base_url, image) if image else None,
        breadcrumbs,
        json_ld,
    )


def _post_meta(facts: SiteFacts, post: PublicPost) -> PageMeta:
    """A post page's metadata: made from the site facts and the post alone,
    so `made` marks it with that call and a build digests it at the cost of
    two provenances (incremental/cache.py)."""
    block = metadata.PostBlock(facts.base_url, facts.name, facts.logo, facts.language, post)
    card = post.image.social if post.image is not None else None
    return _meta(facts, post.url, post.title, post.summary, "blog", _BLOG_TRAIL, (block,), "article", card)


@functools.lru_cache(maxsize=65536)
def _page_meta(*fields: Any) -> PageMeta:
    """The same PageMeta object for the same fields, build after build, so a
    preview rebuild recognises an unchanged page by identity."""
    return PageMeta(*fields)


def _path_of(source: str) -> str:
    """Built-in sources are described in words; files by their path."""
    return source if source.startswith(("content/", "themes/")) else "site"


def plan_routes(
    public: PublicSite,
    static_sources: list[tuple[Path, str, str]],
    problems: Problems,
    memo: RouteMemo | None = None,
) -> RouteMap:
    """Every page and static file of the site.

    `static_sources` is (file, path relative to its static folder, origin) in
    order of precedence: the first source of a path wins (content/static/
    overrides the theme's static/).
    """
    planner = _Planner(public, problems, memo)
    if memo is not None:
        memo.start(public)
    _plan_catalogue(planner, public)
    blog_link = _BLOG_TRAIL[0]
    _plan_blog(planner, public, blog_link)
    for taxonomy, summary in ((public.tags, public.tag_index), (public.categories, public.category_index)):
        _plan_taxonomy(planner, taxonomy, summary, blog_link)
    _plan_pages(planner, public)
    candidates = _static_candidates(static_sources)
    if not any(candidate.output == HEADERS_FILE for candidate in candidates):
        # The security headers, for Netlify and Cloudflare Pages (a site's
        # own content/static/_headers is used instead) and for the preview.
        planner.add(
            "/" + HEADERS_FILE, HEADERS_FILE, "the security headers (built-in)", "headers", None, "headers",
            in_sitemap=False, headers=public.headers,
        )
    static = _plan_static(planner, candidates, problems, memo)
    if memo is not None:
        memo.finish()
    return RouteMap(tuple(planner.pages), tuple(static))


def _plan_catalogue(planner: _Planner, public: PublicSite) -> None:
    """Home, products, capabilities and the network."""
    planner.add(
        "/", "home.html", "the home page (built-in)", public.title, public.business.summary, "home",
        json_ld=tuple(metadata.home_blocks(public)),
    )
    planner.add(
        "/products/", "products.html", "the products index (built-in)", "Products", None, "products",
        products=public.products, withdrawn=public.withdrawn_products,
    )
    # A withdrawn product keeps its page (old links and search results still
    # land there); the page says it is unavailable and takes no orders.
    for product in (*public.products, *public.withdrawn_products):
        planner.add(
            product.url, "product.html", product.source_path, product.title,
            product.summary, "products", trail=_PRODUCTS_TRAIL,
            json_ld=(metadata.product_block(public, product),),
            image=product.image.social if product.image is not None else None,
            product=product,
        )
    planner.add(
        "/capabilities/", "capabilities.html", "the capabilities index (built-in)", "Capabilities",
        None, "capabilities", capabilities=public.capabilities,
    )
    for capability in public.capabilities:
        planner.add(
            capability.url, "capability.html", capability.source_path,
            capability.title, capability.summary, "capabilities", trail=_CAPABILITIES_TRAIL,
            capability=capability,
        )
    planner.add(
        "/network/", "network.html", "the network page (built-in)", "Our network", None, "network",
        partners=public.partners,
    )
    if public.resellers and not any(page.url == WHERE_TO_BUY for page in public.pages):
        # Where to buy: the active credited resellers, by location. A page of
        # your own at the same URL (pages/where-to-buy.md) is used instead.
        planner.add(
            WHERE_TO_BUY, "where-to-buy.html", "the where-to-buy page (built-in)", "Where to buy",
            f"Shops and stockists that sell {public.business.name}'s products.", "where-to-buy",
            json_ld=tuple(metadata.store_blocks(public, group.partners) for group in public.resellers),
            resellers=public.resellers,
        )


def _plan_pages(planner: _Planner, public: PublicSite) -> None:
    """Free pages, the thank-you page, and the machine files but the sitemap."""
    thanks_url = public.forms.thanks_url
    for page in public.pages:
        planner.add(
            page.url, "page.html", page.source_path, page.title, page.summary, page.slug,
            trail=(), in_sitemap=page.url != thanks_url, page=page,
        )
    if thanks_url and not any(page.url == thanks_url for page in public.pages):
        # Where forms land; a user page at the same URL (pages/thanks.md) is
        # used instead. Never in the sitemap, and noindex in its template.
        planner.add(
            thanks_url, "thanks.html", "the form thank-you page (built-in)", "Thank you",
            "Thank you: your message has been sent.", "thanks", in_sitemap=False,
        )
    planner.add("/404.html", "404.html", "the 404 page (built-in)", "Page not found", None, "404")
    newest = public.posts[0].date if public.posts else None
    planner.add(
        "/feed.xml", "feed.xml", "the Atom feed (built-in)", public.title, None, "feed",
        posts=public.posts[:FEED_ENTRIES], updated=_iso(newest) if newest else _iso_day(public),
    )
    planner.add("/robots.txt", "robots.txt", "robots.txt (built-in)", "robots.txt", None, "robots")
    if public.palette is not None:
        planner.add(
            "/assets/theme.css", "theme.css", "content/site.yaml", "theme options", None, "theme",
            in_sitemap=False, palette=public.palette,
        )


def _static_candidates(static_sources: list[tuple[Path, str, str]]) -> list[StaticFile]:
    """One static file per output path: an earlier static folder overrides."""
    found: list[StaticFile] = []
    seen: set[str] = set()
    for source, relative, origin in static_sources:
        output = PurePosixPath(relative).as_posix()
        if output not in seen:
            seen.add(output)
            found.append(StaticFile("/" + output, output, source, origin))
    return found


def _plan_static(
    planner: _Planner, candidates: list[StaticFile], problems: Problems, memo: RouteMemo | None
) -> list[StaticFile]:
    """The sitemap, then the static files that no page claimed first; URL
    clashes reported. When every output is named as in the last build,
    which had no clash, there is none now either."""
    outputs = _outputs(planner.pages, candidates, memo)
    trusted = memo is not None and memo.clash_free == outputs
    problems_before = len(problems)
    if not trusted:
        planner.settle()
    planner.add(
        "/sitemap.xml", "sitemap.xml", "the sitemap (built-in)", "sitemap", None, "sitemap",
        entries=_sitemap_entries(planner, memo),
    )
    static: list[StaticFile] = []
    if trusted:
        static = candidates
    else:
        planner.settle(len(planner.pages) - 1)
        for candidate in candidates:
            line = 1 if candidate.origin.startswith(("content/", "themes/")) else 0
            if planner.claim(candidate.output, candidate.origin, candidate.url, line):
                static.append(candidate)
    if memo is not None:
        memo.clash_free = outputs if len(problems) == problems_before else None
    return static


def _outputs(
    pages: list[Route], static: list[StaticFile], memo: RouteMemo | None
) -> list[tuple[str, str]]:
    """(output, source) of every page and static file; with a memo, the last
    build's list when every route is the same object or names the same."""
    if memo is not None and memo.clash_free is not None and memo.last_pages is not None:
        last = memo.last_pages
        if len(last) == len(pages) and len(memo.clash_free) == len(pages) + len(static):
            differ = [i for i, (a, b) in enumerate(zip(last, pages)) if a is not b]
            same_static = all(
                memo.clash_free[len(pages) + i] == (f.output, f.origin) for i, f in enumerate(static)
            )
            if same_static and all((pages[i].output, pages[i].source) == memo.clash_free[i] for i in differ):
                memo.last_pages = list(pages)
                return memo.clash_free
    found = [(r.output, r.source) for r in pages]
    found.extend((f.output, f.origin) for f in static)
    if memo is not None:
        memo.last_pages = list(pages)
    return found


def _sitemap_entries(planner: _Planner, memo: RouteMemo | None) -> tuple[SitemapEntry, ...]:
    """One entry per listed HTML page. With a memo, each route kept from the
    last build keeps its entry, and equal entries keep the last tuple, so
    the sitemap is re-rendered only when an entry changed."""
    unlisted = planner.unlisted
    known = memo.sitemap_of if memo is not None else {}
    seen: dict[int, tuple[Route, SitemapEntry]] = {}
    entries: list[SitemapEntry] = []
    for route in planner.pages:
        hit = known.get(id(route))
        if hit is None or hit[0] is not route:
            if not route.output.endswith(".html") or route.url == "/404.html":
                continue
            hit = (route, _sitemap_entry(route.context["meta"].canonical, _lastmod(route)))
        if route.url not in unlisted:
            seen[id(route)] = hit
            entries.append(hit[1])
    if memo is None:
        return tuple(entries)
    memo.sitemap_of = seen
    if memo.sitemap is None or list(memo.sitemap) != entries:
        memo.sitemap = tuple(entries)
    return memo.sitemap


# Shared, so that a page's plan compares equal to the last build's by identity.
_PRODUCTS_TRAIL = (Link("Products", "/products/"),)
_CAPABILITIES_TRAIL = (Link("Capabilities", "/capabilities/"),)
_BLOG_TRAIL = (Link("Blog", "/blog/"),)


@functools.lru_cache(maxsize=64)
def _taxonomy_trail(blog_link: Link, title: str, url: str) -> tuple[Link, ...]:
    return (blog_link, Link(title, url))


def _plan_blog(planner: _Planner, public: PublicSite, blog_link: Link) -> None:
    posts = public.posts
    memo = planner.memo
    pages = planner.pages
    for chunk, pagination in _paginate(posts, public.posts_per_page, "/blog/"):
        url = pagination.page_urls[pagination.number - 1]
        if memo is not None:
            parts: tuple[object, ...] = (chunk, pagination)
            route = memo.reuse(url, parts)
            if route is not None:
                planner.pages.append(route)
                continue
        title = "Blog" if pagination.number == 1 else f"Blog, page {pagination.number}"
        planner.add(
            url, "blog.html", "the blog index (built-in)",
            title, None, "blog", posts=chunk, pagination=pagination,
        )
        if memo is not None:
            memo.note(url, parts, pages[-1])
    if memo is None:
        pages.extend(_post_route(planner, public, posts, index) for index in range(len(posts)))
        return
    # The short way: when the posts are the last build's but for a few
    # replaced in place, only those and their neighbours are planned again.
    last = memo.blog
    if last is not None and len(last[0]) == len(posts) and last[1] == public.posts_per_page:
        changed = [i for i, (a, b) in enumerate(zip(last[0], posts)) if a is not b]
        routes = list(last[2])
        for index in {n for i in changed for n in (i - 1, i, i + 1) if 0 <= n < len(posts)}:
            routes[index] = _post_route(planner, public, posts, index)
        memo.blog = (posts, public.posts_per_page, routes)
        pages.extend(routes)
        return
    routes = [_post_route(planner, public, posts, index) for index in range(len(posts))]
    memo.blog = (posts, public.posts_per_page, routes)
    pages.extend(routes)


def _post_route(planner: _Planner, public: PublicSite, posts: tuple[PublicPost, ...], index: int) -> Route:
    """The route of `posts[index]`; the last build's while it shows the very
    same post and neighbours."""
    post = posts[index]
    newer = posts[index - 1] if index > 0 else None
    older = posts[index + 1] if index + 1 < len(posts) else None
    memo = planner.memo
    parts = (post, newer, older)
    if memo is not None:
        route = memo.reuse(post.url, parts)
        if route is not None:
            return route
    route = planner.make(
        post.url, "post.html", post.source_path, post.title, post.summary, "blog",
        meta=made(_post_meta, planner.facts, post), post=post, newer_post=newer, older_post=older,
    )
    if memo is not None:
        memo.note(post.url, parts, route)
    return route


def _plan_taxonomy(
    planner: _Planner, taxonomy: Taxonomy, summary: TaxonomySummary, blog_link: Link
) -> None:
    planner.add(
        taxonomy.url, "terms.html", f"the {taxonomy.name} index (built-in)", taxonomy.title, None,
        "blog", trail=_BLOG_TRAIL, taxonomy=taxonomy,
    )
    trail = _taxonomy_trail(blog_link, taxonomy.title, taxonomy.url)
    # Term pages get the taxonomy without its posts, so editing one post does
    # not re-render the pages of terms it does not carry.
    summaries = {t.slug: t for t in summary.terms}
    singular = "Tag" if taxonomy.name == "tags" else "Category"
    memo = planner.memo
    for term in taxonomy.terms:
        term_summary = summaries[term.slug]
        for chunk, pagination in _paginate(term.posts, planner.public.posts_per_page, term.url):
            url = pagination.page_urls[pagination.number - 1]
            if memo is not None:
                parts = (summary, term_summary, pagination, trail, chunk)
                route = memo.reuse(url, parts)
                if route is not None:
                    planner.pages.append(route)
                    continue
            title = f"{singular}: {term.name}"
            if pagination.number > 1:
                title += f", page {pagination.number}"
            planner.add(
                url, "term.html",
                f"the {taxonomy.name} page for '{term.name}' (built-in)", title, None, "blog",
                trail=trail, taxonomy=summary, term=term_summary,
                posts=chunk, pagination=pagination,
            )
            if memo is not None:
                memo.note(url, parts, planner.pages[-1])


def _paginate(
    posts: tuple[PublicPost, ...], per_page: int, first_url: str
) -> list[tuple[tuple[PublicPost, ...], Pagination]]:
    """Pages of `per_page` posts: `first_url`, then `first_url`page/2/ ..."""
    total = max(1, math.ceil(len(posts) / per_page))
    return [
        (posts[(number - 1) * per_page : number * per_page], _pagination(first_url, number, total))
        for number in range(1, total + 1)
    ]


@functools.lru_cache(maxsize=65536)
def _pagination(first_url: str, number: int, total: int) -> Pagination:
    """The same object for the same page of the same list, build after build,
    so an unchanged page is recognised by identity."""
    urls = _page_urls(first_url, total)
    return Pagination(
        number=number,
        total=total,
        prev_url=urls[number - 2] if number > 1 else None,
        next_url=urls[number] if number < total else None,
        page_urls=urls,
    )


@functools.lru_cache(maxsize=4096)
def _page_urls(first_url: str, total: int) -> tuple[str, ...]:
    return tuple(first_url if n == 1 else f"{first_url}page/{n}/" for n in range(1, total + 1))


@functools.lru_cache(maxsize=65536)
def _sitemap_entry(url: str, lastmod: str | None) -> SitemapEntry:
    return SitemapEntry(url, lastmod)


def _lastmod(route: Route) -> str | None:
    post = route.context.get("post")
    if isinstance(post, PublicPost):
        return _iso(post.date)
    return None


@functools.lru_cache(maxsize=65536)
def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _iso_day(public: PublicSite) -> str:
    return f"{public.build_date.isoformat()}T00:00:00Z"
