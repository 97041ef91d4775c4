"""Stage 3, public view: the only data templates ever receive.

Built from the model, it holds exactly what may be published: offered
capabilities, deliverable products, active *credited* partners, published
posts and pages. White-label partners contribute their capabilities to the
company but nothing of themselves (no name, slug, url, logo, location, blurb);
`notes` and `review_by` exist for no partner; inactive partners, drafts and
future posts are gone unless a preview asked for them. Because templates get
nothing else, they cannot leak what was never given to them. This module knows
the URL of each object (URLs are public facts) but writes nothing.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from itertools import chain
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from ..content.markup import body_facts, markdown_to_html
from ..content.model import Partner, Post, Site
from ..content.slugs import term_slug
from .published import Published, publish

KIND_LABELS = {
    "supplier": "Supplier",
    "manufacturer": "Manufacturer",
    "subcontractor": "Subcontractor",
    "distributor": "Distributor",
    "equipment": "Equipment partner",
    "space": "Space partner",
    "service": "Service partner",
}

CURRENCY_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥", "INR": "₹", "CHF": "CHF "}
# Built-in sections take these menu positions so pages can go before, between
# or after them with their own `menu` numbers.
SECTION_MENU_ORDER = {"products": 10, "capabilities": 20, "network": 30, "blog": 40}
WORDS_PER_MINUTE = 220


@dataclass(frozen=True)
class RichText:
    """Markdown source rendered on demand; Jinja prints it as safe HTML."""

    source: str

    def __html__(self) -> str:
        return markdown_to_html(self.source)

    @property
    def html(self) -> str:
        return markdown_to_html(self.source)

    def __bool__(self) -> bool:
        return bool(self.source.strip())

    def __str__(self) -> str:
        return self.html


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class PublicBusiness(Published):
    """business.yaml's public keys (all of them)."""


@dataclass(frozen=True)
class PublicPartner(Published):
    """An active, credited partner: everything here may be published."""

    slug: str
    kind_label: str | None
    anchor_url: str
    capabilities: tuple[Link, ...]


@dataclass(frozen=True)
class PublicCapability(Published):
    slug: str
    url: str
    body: RichText
    partners: tuple[PublicPartner, ...]
    products: tuple[Link, ...]
    source_path: str


@dataclass(frozen=True)
class PublicProduct(Published):
    slug: str
    url: str
    body: RichText
    price_display: str | None
    capabilities: tuple[PublicCapability, ...]
    source_path: str


@dataclass(frozen=True)
class TermLink:
    taxonomy: str
    name: str
    slug: str
    url: str


@dataclass(frozen=True)
class PublicPost(Published):
    slug: str
    url: str
    summary: str  # the post's own, else its first paragraph
    future: bool
    body: RichText
    tags: tuple[TermLink, ...]
    categories: tuple[TermLink, ...]
    reading_minutes: int
    source_path: str


@dataclass(frozen=True)
class PublicPage(Published):
    slug: str
    url: str
    body: RichText
    source_path: str


@dataclass(frozen=True)
class Term:
    taxonomy: str
    name: str
    slug: str
    url: str
    posts: tuple[PublicPost, ...]


@dataclass(frozen=True)
class Taxonomy:
    name: str
    title: str
    url: str
    terms: tuple[Term, ...]

    @property
    def summary(self) -> TaxonomySummary:
        return TaxonomySummary(
            name=self.name,
            title=self.title,
            url=self.url,
            terms=tuple(TermSummary(t.name, t.slug, t.url, len(t.posts)) for t in self.terms),
        )


@dataclass(frozen=True)
class TermSummary:
    """A term without its posts: enough for lists of terms with counts."""

    name: str
    slug: str
    url: str
    count: int


@dataclass(frozen=True)
class TaxonomySummary:
    """A taxonomy without its posts, for pages that only list its terms; such
    pages then need re-rendering only when a term or a count changes."""

    name: str
    title: str
    url: str
    terms: tuple[TermSummary, ...]


THANKS_URL = "/thanks/"


@dataclass(frozen=True)
class FormSettings:
    """Where the theme's quote and contact forms send their answers.

    `kind` is 'netlify' (Netlify Forms: the form posts to the thank-you page
    and Netlify records it), 'action' (a plain POST to `action`, another
    host's form service) or 'none' (no forms, no thank-you page).
    """

    kind: str = "netlify"
    action: str | None = THANKS_URL
    thanks_url: str | None = THANKS_URL

    @property
    def enabled(self) -> bool:
        return self.kind != "none"

    @property
    def netlify(self) -> bool:
        return self.kind == "netlify"


def form_settings(setting: str) -> FormSettings:
    """The public form settings for site.yaml's `forms` value."""
    if setting == "none":
        return FormSettings("none", None, None)
    if setting == "netlify":
        return FormSettings("netlify", THANKS_URL, THANKS_URL)
    return FormSettings("action", setting, THANKS_URL)


@dataclass(frozen=True)
class MenuItem:
    title: str
    url: str
    section: str


@dataclass(frozen=True)
class PublicSite(Published):
    """The site: site.yaml's public keys, and everything published."""

    build_date: date
    business: PublicBusiness
    products: tuple[PublicProduct, ...]
    capabilities: tuple[PublicCapability, ...]
    partners: tuple[PublicPartner, ...]
    posts: tuple[PublicPost, ...]
    pages: tuple[PublicPage, ...]
    tags: Taxonomy
    categories: Taxonomy
    tag_index: TaxonomySummary
    category_index: TaxonomySummary
    has_posts: bool
    menu: tuple[MenuItem, ...] = field(default=())
    forms: FormSettings = field(default=FormSettings())

    @property
    def featured_products(self) -> tuple[PublicProduct, ...]:
        featured = tuple(p for p in self.products if p.featured)
        return featured or self.products[:3]

    @property
    def latest_posts(self) -> tuple[PublicPost, ...]:
        return self.posts[:3]


def format_price(price: str | None, currency: str | None) -> str | None:
    if price is None:
        return None
    if currency is None:
        return price
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{price}" if symbol else f"{price} {currency}"


def _public_partner(partner: Partner, capability_links: tuple[Link, ...]) -> PublicPartner:
    return publish(
        PublicPartner,
        partner,
        slug=partner.slug,
        kind_label=KIND_LABELS.get(partner.kind) if partner.kind else None,
        anchor_url=f"/network/#{partner.slug}",
        capabilities=capability_links,
    )


def _sort_title(title: str) -> str:
    return title.casefold()


def build_public_site(
    site: Site,
    now: datetime,
    include_drafts: bool = False,
    include_future: bool = False,
    memo: PublicMemo | None = None,
) -> PublicSite:
    """The public view of `site` at `now`."""
    network = site.network
    offered = [c for c in site.capabilities if c.slug in network.offered]
    offered.sort(key=lambda c: (_sort_title(c.title), c.slug))
    capability_links = {c.slug: Link(c.title, f"/capabilities/{c.slug}/") for c in offered}

    credited = sorted(
        (p for p in network.active_partners if p.credited),
        key=lambda p: (_sort_title(p.name), p.slug),
    )
    public_partners = {
        p.slug: _public_partner(
            p, tuple(capability_links[s] for s in p.provides if s in capability_links)
        )
        for p in credited
    }

    products_sorted = sorted(
        (p for p in site.products if p.slug in network.deliverable),
        key=lambda p: (_sort_title(p.title), p.slug),
    )
    public_capabilities: dict[str, PublicCapability] = {}
    for capability in offered:
        providers = network.providers.get(capability.slug, ())
        public_capabilities[capability.slug] = publish(
            PublicCapability,
            capability,
            slug=capability.slug,
            url=f"/capabilities/{capability.slug}/",
            body=RichText(capability.body),
            partners=tuple(
                public_partners[p.slug] for p in providers if p.slug in public_partners
            ),
            products=tuple(
                Link(p.title, f"/products/{p.slug}/")
                for p in products_sorted
                if capability.slug in p.requires
            ),
            source_path=capability.source.path,
        )

    products = tuple(
        publish(
            PublicProduct,
            p,
            slug=p.slug,
            url=f"/products/{p.slug}/",
            body=RichText(p.body),
            price_display=format_price(p.price, p.currency),
            capabilities=tuple(public_capabilities[s] for s in p.requires),
            source_path=p.source.path,
        )
        for p in products_sorted
    )

    posts = _public_posts(site, now, include_drafts, include_future, memo)
    if memo is not None:
        tags = memo.taxonomy("tags", "Tags", posts, _tags_of)
        categories = memo.taxonomy("categories", "Categories", posts, _categories_of)
    else:
        tags = _taxonomy("tags", "Tags", posts, _tags_of)
        categories = _taxonomy("categories", "Categories", posts, _categories_of)

    pages = tuple(
        sorted(
            (
                publish(PublicPage, p, slug=p.slug, url=f"/{p.slug}/", body=RichText(p.body), source_path=p.source.path)
                for p in site.pages
            ),
            key=lambda p: (_sort_title(p.title), p.slug),
        )
    )
    business = site.business
    public = publish(
        PublicSite,
        site.config,
        build_date=network.on,
        business=publish(PublicBusiness, business),
        products=products,
        capabilities=tuple(public_capabilities.values()),
        partners=tuple(public_partners.values()),
        posts=posts,
        pages=pages,
        tags=tags,
        categories=categories,
        tag_index=tags.summary,
        category_index=categories.summary,
        has_posts=bool(posts),
        forms=form_settings(site.config.forms),
    )
    public = _with_menu(public)
    return memo.keep_unchanged(public) if memo is not None else public


_SITE_PARTS = (
    "business",
    "forms",
    "menu",
    "pages",
    "products",
    "capabilities",
    "partners",
    "tag_index",
    "category_index",
    "tags",
    "categories",
)


class PublicMemo:
    """Public posts built from model posts that did not change, kept by a
    long-running process so that unchanged posts stay the *same objects*:
    pages showing them then compare equal at the cost of an identity check."""

    def __init__(self) -> None:
        self._built: dict[tuple[int, bool], tuple[Post, object, PublicPost]] = {}
        self._generation = object()
        self._site_parts: dict[str, object] = {}
        self._names: dict[str, dict[str, str]] = {}
        self._taxonomies: dict[str, tuple[tuple[PublicPost, ...], Taxonomy]] = {}
        self._last_posts: tuple[
            tuple[Post, ...], datetime, tuple[bool, bool], tuple[PublicPost, ...], Callable[[Post, bool], PublicPost]
        ] | None = None
        self._position: dict[int, int | None] = {}
        self._valid_until: datetime | None = None

    def names(self, taxonomy: str, names: dict[str, str]) -> dict[str, str]:
        """The last build's term-name map when equal to this one; a new map
        starts a new generation of public posts (their term links change)."""
        old = self._names.get(taxonomy)
        if old is not None and old == names:
            return old
        self._names[taxonomy] = names
        self._generation = object()
        return names

    def posts(
        self, visible: list[tuple[Post, bool]], make: Callable[[Post, bool], PublicPost]
    ) -> list[PublicPost]:
        """The public post made last time from each very model post, while
        the term-name maps (see `names`) stayed the same; else a new one."""
        built, used, generation = self._built, {}, self._generation
        found = []
        for post, future in visible:
            key = (id(post), future)
            hit = built.get(key)
            if hit is None or hit[0] is not post or hit[1] is not generation:
                hit = (post, generation, make(post, future))
            used[key] = hit
            found.append(hit[2])
        self._built = used
        return found

    def note_posts(
        self,
        model_posts: tuple[Post, ...],
        now: datetime,
        flags: tuple[bool, bool],
        public: tuple[PublicPost, ...],
        make: Callable[[Post, bool], PublicPost],
    ) -> None:
        """Remember this build's posts for `posts_in_place`."""
        by_source = {p.source_path: index for index, p in enumerate(public)}
        self._last_posts = (model_posts, now, flags, public, make)
        self._position = {id(p): by_source.get(p.source.path) for p in model_posts}
        later = [p.date for p in model_posts if p.date > now]
        self._valid_until = min(later) if later else None

    def posts_in_place(
        self, model_posts: tuple[Post, ...], now: datetime, flags: tuple[bool, bool]
    ) -> tuple[PublicPost, ...] | None:
        """The last build's public posts with the replaced ones swapped in,
        when no replaced post changed what decides the list: whether it is
        shown (`_visibility`), the names of its terms (`_term_names`), its
        file, and its place in the order (`_newest_first_key` of the public
        post). These are the very functions `_public_posts` filters, names
        and sorts with, so a new field that changes any of them is seen
        here too. None when the list must be made again."""
        if self._last_posts is None:
            return None
        old_posts, then, old_flags, public, make = self._last_posts
        if old_flags != flags or len(old_posts) != len(model_posts) or now < then:
            return None
        if self._valid_until is not None and now >= self._valid_until:
            return None
        kept = list(public)
        position = dict(self._position)
        for index, (old, new) in enumerate(zip(old_posts, model_posts)):
            if old is new:
                continue
            if (
                old.source.path != new.source.path
                or _visibility(old, now, *flags) != _visibility(new, now, *flags)
                or _term_names(old) != _term_names(new)
            ):
                return None
            at = position.pop(id(old))
            position[id(new)] = at
            if at is not None:  # shown: shown again, if at the same place
                future = kept[at].future
                made = make(new, future)
                if _newest_first_key(made) != _newest_first_key(kept[at]):
                    return None
                kept[at] = made
        for index, (old, new) in enumerate(zip(old_posts, model_posts)):
            if old is not new and (at := position.get(id(new))) is not None:
                future = kept[at].future
                self._built.pop((id(old), future), None)
                self._built[(id(new), future)] = (new, self._generation, kept[at])
        found = tuple(kept)
        self._last_posts = (model_posts, now, flags, found, make)
        self._position = position
        return found

    def taxonomy(
        self,
        name: str,
        title: str,
        posts: tuple[PublicPost, ...],
        links_of: Callable[[PublicPost], tuple[TermLink, ...]],
    ) -> Taxonomy:
        """`_taxonomy(...)`, derived from the last build's when only a few
        posts were replaced in place, each keeping its terms: then every
        term keeps its posts in their order, the replaced ones swapped in."""
        found: Taxonomy | None = None
        last = self._taxonomies.get(name)
        if last is not None and len(last[0]) == len(posts):
            old_posts, old = last
            changed = [i for i, (a, b) in enumerate(zip(old_posts, posts)) if a is not b]
            if not changed:
                found = old
            elif all(links_of(old_posts[i]) == links_of(posts[i]) for i in changed):
                swap = {id(old_posts[i]): posts[i] for i in changed}
                touched = {link.slug for i in changed for link in links_of(posts[i])}
                found = replace(old, terms=tuple(
                    replace(term, posts=tuple(swap.get(id(p), p) for p in term.posts))
                    if term.slug in touched else term
                    for term in old.terms
                ))
        if found is None:
            found = _taxonomy(name, title, posts, links_of)
        self._taxonomies[name] = (posts, found)
        return found

    def keep_unchanged(self, public: PublicSite) -> PublicSite:
        """The site with each part equal to the last build's replaced by that
        very object: one comparison here saves one per page later."""
        kept: dict[str, Any] = {}
        for name in _SITE_PARTS:
            value = getattr(public, name)
            old = self._site_parts.get(name)
            if old is not None and old is not value and old == value:
                kept[name] = old
            else:
                self._site_parts[name] = value
        return replace(public, **kept) if kept else public


def _visibility(post: Post, now: datetime, include_drafts: bool, include_future: bool) -> tuple[bool, bool]:
    """(shown, future): whether the build shows `post`, and whether it is
    dated after `now`."""
    future = post.date > now
    return not ((post.draft and not include_drafts) or (future and not include_future)), future


def _term_names(post: Post) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names a post gives its terms (they decide the terms' displayed names)."""
    return post.tags, post.categories


def _visible_posts(
    site: Site, now: datetime, include_drafts: bool, include_future: bool
) -> list[tuple[Post, bool]]:
    visible = []
    for post in site.posts:
        shown, future = _visibility(post, now, include_drafts, include_future)
        if shown:
            visible.append((post, future))
    return visible


def _canonical_names(names: Iterable[str]) -> dict[str, str]:
    """Term slug -> its displayed name: the spelling used most often (ties:
    the first in sorted order), so output does not depend on file order.
    `C++` and `c++` are one term."""
    best: dict[str, tuple[int, str]] = {}
    for name, count in Counter(names).items():
        slug = term_slug(name)
        current = best.get(slug)
        if current is None or (-count, name) < (-current[0], current[1]):
            best[slug] = (count, name)
    return {slug: name for slug, (_, name) in best.items()}


def _term_links(taxonomy: str, names: tuple[str, ...], canonical: dict[str, str]) -> tuple[TermLink, ...]:
    return _term_links_for(taxonomy, names, tuple(canonical[term_slug(n)] for n in names))


@functools.lru_cache(maxsize=65536)
def _term_links_for(taxonomy: str, names: tuple[str, ...], shown: tuple[str, ...]) -> tuple[TermLink, ...]:
    canonical = {term_slug(n): s for n, s in zip(names, shown)}
    links: dict[str, TermLink] = {}
    for name in names:
        slug = term_slug(name)
        if slug not in links:
            links[slug] = TermLink(taxonomy, canonical[slug], slug, f"/{taxonomy}/{slug}/")
    return tuple(links.values())


def _public_posts(
    site: Site,
    now: datetime,
    include_drafts: bool,
    include_future: bool,
    memo: PublicMemo | None,
) -> tuple[PublicPost, ...]:
    if memo is not None:
        kept = memo.posts_in_place(site.posts, now, (include_drafts, include_future))
        if kept is not None:
            return kept
    visible = _visible_posts(site, now, include_drafts, include_future)
    tag_names = _canonical_names(chain.from_iterable([_term_names(post)[0] for post, _ in visible]))
    category_names = _canonical_names(chain.from_iterable([_term_names(post)[1] for post, _ in visible]))
    if memo is not None:
        tag_names = memo.names("tags", tag_names)
        category_names = memo.names("categories", category_names)
    make = functools.partial(_public_post, names=(tag_names, category_names))
    posts = [make(post, future) for post, future in visible] if memo is None else memo.posts(visible, make)
    posts.sort(key=_newest_first_key, reverse=True)
    found = tuple(posts)
    if memo is not None:
        memo.note_posts(site.posts, now, (include_drafts, include_future), found, make)
    return found


def _public_post(post: Post, future: bool, names: tuple[dict[str, str], dict[str, str]]) -> PublicPost:
    """`post` as published; `names` are the displayed names of tags and of
    categories by slug (see `_canonical_names`)."""
    words, first_paragraph = body_facts(post.body, paragraph=not post.summary)
    return publish(
        PublicPost,
        post,
        slug=post.slug,
        url=f"/blog/{post.slug}/",
        summary=post.summary or first_paragraph,
        future=future,
        body=RichText(post.body),
        tags=_term_links("tags", post.tags, names[0]),
        categories=_term_links("categories", post.categories, names[1]),
        reading_minutes=max(1, math.ceil(words / WORDS_PER_MINUTE)),
        source_path=post.source.path,
    )


def _newest_first_key(post: PublicPost) -> tuple[datetime, str]:
    return (post.date, post.slug)


def _tags_of(post: PublicPost) -> tuple[TermLink, ...]:
    return post.tags


def _categories_of(post: PublicPost) -> tuple[TermLink, ...]:
    return post.categories


def _taxonomy(
    name: str,
    title: str,
    posts: tuple[PublicPost, ...],
    links_of: Callable[[PublicPost], tuple[TermLink, ...]],
) -> Taxonomy:
    """The terms of one taxonomy, each with its posts (newest first)."""
    members: dict[str, list[PublicPost]] = {}
    shown: dict[str, str] = {}
    for post in posts:
        for link in links_of(post):
            found = members.get(link.slug)
            if found is None:
                found = members[link.slug] = []
                shown[link.slug] = link.name
            found.append(post)
    terms = [
        Term(taxonomy=name, name=shown[slug], slug=slug, url=f"/{name}/{slug}/", posts=tuple(found))
        for slug, found in members.items()
    ]
    terms.sort(key=lambda t: (t.name.casefold(), t.slug))
    return Taxonomy(name=name, title=title, url=f"/{name}/", terms=tuple(terms))


def _with_menu(public: PublicSite) -> PublicSite:
    entries: list[tuple[int, int, str, MenuItem]] = []
    sections = (
        ("products", "Products", "/products/", bool(public.products)),
        ("capabilities", "Capabilities", "/capabilities/", bool(public.capabilities)),
        ("network", "Network", "/network/", bool(public.partners)),
        ("blog", "Blog", "/blog/", bool(public.posts)),
    )
    for section, title, url, shown in sections:
        if shown:
            entries.append((SECTION_MENU_ORDER[section], 0, title, MenuItem(title, url, section)))
    for page in public.pages:
        if page.menu is not None:
            entries.append((page.menu, 1, page.title, MenuItem(page.title, page.url, page.slug)))
    entries.sort(key=lambda e: (e[0], e[1], e[2].casefold()))
    return replace(public, menu=tuple(e[3] for e in entries))


def publishable_static_files(site: Site, public: PublicSite) -> tuple[Path, ...]:
    """content/static/ files, less those that only picture a hidden partner.

    A white-label or inactive partner's `logo` file would put its identity into
    the output by file name alone, so it is not copied unless something public
    (the business, a product, a credited partner) uses the same file.
    """
    static_root = site.root / "content" / "static"
    shown = {public.business.logo}
    shown.update(p.image for p in public.products)
    shown.update(p.logo for p in public.partners)
    public_slugs = {p.slug for p in public.partners}
    hidden = {
        _static_target(static_root, p.logo)
        for p in site.partners
        if p.slug not in public_slugs and p.logo and p.logo not in shown
    }
    hidden.discard(None)
    return tuple(f for f in site.static_files if f not in hidden)


def _static_target(static_root: Path, reference: str) -> Path | None:
    """The content/static/ file a site-relative reference like /img/x.svg names."""
    if "://" in reference or reference.startswith(("//", "mailto:", "tel:")):
        return None
    path = reference.split("?", 1)[0].split("#", 1)[0].lstrip("/")
    return static_root / path if path else None
