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

from dataclasses import dataclass, replace
from datetime import datetime
import posixpath
from pathlib import Path
from typing import Mapping
from urllib.parse import SplitResult, unquote, urlsplit

from ..content.fields import origin
from ..content.images import ImageFacts
from ..content.model import Capability, Partner, Product, Site
from ..content.network import Network
from ..content.seasons import back_on
from .memo import PublicMemo
from .objects import (
    Link,
    MenuItem,
    PublicBusiness,
    PublicPost,
    PublicCapability,
    PublicPage,
    PublicPartner,
    PublicProduct,
    PublicSite,
    ResellerGroup,
    RichText,
    form_settings,
)
from .posts import categories_of, public_posts, tags_of, taxonomy
from .palette import palette
from .security import security_headers
from .pictures import BodyImages, Derivative, Picture, body_image_refs, favicon_files, may_show_image, passthrough, picture
from .published import publish
from .selling import address_lines, words_for

KIND_LABELS = {
    "supplier": "Supplier",
    "manufacturer": "Manufacturer",
    "subcontractor": "Subcontractor",
    "distributor": "Distributor",
    "equipment": "Equipment partner",
    "space": "Space partner",
    "service": "Service partner",
    "reseller": "Reseller",
    "stockist": "Stockist",
}

# Built-in sections take these menu positions so pages can go before, between
# or after them with their own `menu` numbers.
CONTACT_URL = "/contact/"
PRIVACY_URL = "/privacy/"
SECTION_MENU_ORDER = {"products": 10, "where-to-buy": 15, "capabilities": 20, "network": 30, "blog": 40}
WHERE_TO_BUY = "/where-to-buy/"


def _public_partner(
    partner: Partner, book: PictureBook, capability_links: tuple[Link, ...], product_links: tuple[Link, ...]
) -> PublicPartner:
    return publish(
        PublicPartner,
        partner,
        slug=partner.slug,
        kind_label=KIND_LABELS.get(partner.kind) if partner.kind else None,
        anchor_url=f"/network/#{partner.slug}",
        capabilities=capability_links,
        products=product_links,
        logo=book(partner.logo),
    )


def _sort_title(title: str) -> str:
    return title.casefold()


class PictureBook:
    """The pictures of image references, and the image files they need.

    `images` holds the facts of the site's raster files by their
    `static_key`; a reference to one of them is a raster Picture with its
    sizes, any other (an SVG, another site's image) passes through."""

    def __init__(self, images: Mapping[str, ImageFacts], base_url: str) -> None:
        self.images = images
        self.base_url = base_url
        self.files: dict[str, Derivative] = {}
        # The origins of images on other sites that pages show (the
        # Content-Security-Policy's img-src: view/security.py).
        self.origins: set[str] = set()

    def __call__(self, ref: str | None, shown: bool = True) -> Picture | None:
        """The picture of `ref`; `shown=False` for one no page displays
        (the social card), whose host the pages need not load from."""
        if not ref:
            return None
        key = static_key(ref, self.base_url, fold=False)
        facts = self.images.get(key) if key is not None else None
        if facts is None:
            if shown and key is None:  # (a key is a file of this site: 'self')
                self._note_origin(ref)
            return passthrough(ref)
        found, files = picture(ref, facts.path, facts)
        for derivative in files:
            self.files.setdefault(derivative.output, derivative)
        return found

    def _note_origin(self, ref: str) -> None:
        if "//" in ref:
            found = origin(ref)
            if found is not None:
                self.origins.add(found)

    def text(self, source: str, origin: str) -> RichText:
        """A Markdown text, with the site's photos it shows as pictures."""
        found = self.body(source)
        if found is None:
            return RichText(source, origin)
        return RichText(source, origin, found.pictures, found.origins)

    def body(self, source: str) -> BodyImages | None:
        """The site's photos a Markdown text shows, by the address written,
        and the origins of the other sites' images it shows; None when it
        shows no image (most texts: None is also the cheapest input to
        mark a post as made from)."""
        if not may_show_image(source):
            return None
        found = []
        elsewhere: set[str] = set()
        for ref in body_image_refs(source):
            if not ref.startswith("/") and "://" not in ref:
                continue  # relative to the page, not to the site: left as written
            key = static_key(ref, self.base_url, fold=False)
            facts = self.images.get(key) if key is not None else None
            if facts is None:
                where = origin(ref) if key is None and "//" in ref else None
                if where is not None:
                    elsewhere.add(where)
                continue
            shown, files = picture(ref, facts.path, facts, card=False)
            for derivative in files:
                self.files.setdefault(derivative.output, derivative)
            found.append((ref, shown))
        self.origins.update(elsewhere)
        return BodyImages(tuple(found), tuple(sorted(elsewhere))) if found or elsewhere else None

    def favicon(self, ref: str | None) -> Picture | None:
        """The picture of the site's icon; a raster one also gives
        /favicon.ico, a 192 px PNG and an apple-touch-icon."""
        found = self(ref)
        if found is not None and found.raster:
            facts = self.images[static_key(found.ref, self.base_url, fold=False) or ""]
            for derivative in favicon_files(facts.path, facts):
                self.files.setdefault(derivative.output, derivative)
        return found


def build_public_site(
    site: Site,
    now: datetime,
    include_drafts: bool = False,
    include_future: bool = False,
    memo: PublicMemo | None = None,
    images: Mapping[str, ImageFacts] | None = None,
) -> PublicSite:
    """The public view of `site` at `now`; `images` are the facts of the
    site's raster files (content/images.py), by their `static_key`."""
    book = PictureBook(images or {}, site.config.base_url)
    network = site.network
    offered = sorted(
        (c for c in site.capabilities if c.slug in network.offered), key=lambda c: (_sort_title(c.title), c.slug)
    )
    links = {c.slug: Link(c.title, f"/capabilities/{c.slug}/") for c in offered}
    partners = _public_partners(site, links, book)
    sellers = _sellers(site, partners)
    products = sorted(site.products, key=lambda p: (_sort_title(p.title), p.slug))
    pages = _public_pages(site, book)
    forms = form_settings(site.config.forms, PRIVACY_URL if any(p.url == PRIVACY_URL for p in pages) else None)
    locale = site.config.locale
    selling = _Selling(forms.enabled, locale, book)
    for_sale = [p for p in products if p.slug in network.available]
    withdrawn = [p for p in products if p.slug not in network.available]
    capabilities = _public_capabilities(site, offered, partners, for_sale, book)
    posts = _public_posts(site, now, include_drafts, include_future, memo, book)
    make_taxonomy = memo.taxonomy if memo is not None else taxonomy
    tags = make_taxonomy("tags", "Tags", posts, tags_of)
    categories = make_taxonomy("categories", "Categories", posts, categories_of)
    public = publish(
        PublicSite,
        site.config,
        build_date=network.on,
        business=publish(
            PublicBusiness, site.business, address_lines=address_lines(site.business.contact.address, locale),
            logo=book(site.business.logo),
        ),
        products=tuple(_public_product(p, capabilities, network, sellers.get(p.slug, ()), selling) for p in for_sale),
        withdrawn_products=tuple(
            _public_product(p, capabilities, network, sellers.get(p.slug, ()), selling) for p in withdrawn
        ),
        resellers=_reseller_groups(partners),
        capabilities=tuple(capabilities.values()),
        partners=tuple(partners.values()),
        posts=posts,
        pages=pages,
        tags=tags,
        categories=categories,
        tag_index=tags.summary,
        category_index=categories.summary,
        has_posts=bool(posts),
        forms=forms,
        contact_url=CONTACT_URL if any(p.url == CONTACT_URL for p in pages) else None,
        favicon=book.favicon(site.config.favicon or site.business.logo),
        social_image=book(site.config.social_image, shown=False),
        palette=palette(site.config.theme_options),
    )
    public = replace(
        public,
        image_files=tuple(book.files[name] for name in sorted(book.files)),
        # Every picture is made by now: the headers know every image host.
        headers=security_headers(book.origins, forms.action if forms.kind == "action" else None),
    )
    public = _with_menu(public)
    return memo.keep_unchanged(public) if memo is not None else public


def _public_posts(
    site: Site, now: datetime, include_drafts: bool, include_future: bool, memo: PublicMemo | None, book: PictureBook
) -> tuple[PublicPost, ...]:
    """The posts shown (view/posts.py), with the picture files and image
    origins of each counted in `book`."""
    posts = public_posts(site, now, include_drafts, include_future, memo, book, book.images, book.body)
    for post in posts:  # (kept posts were not made again: their files count too)
        if post.image is not None:
            book(post.image.ref)
        if post.body.pictures:
            book.body(post.body.source)
        book.origins.update(post.body.origins)
    return posts


def _public_partners(site: Site, links: dict[str, Link], book: PictureBook) -> dict[str, PublicPartner]:
    """Active credited partners by slug, by name: the only partners published."""
    credited = sorted(
        (p for p in site.network.active_partners if p.credited), key=lambda p: (_sort_title(p.name), p.slug)
    )
    products = {p.slug: p for p in site.products}
    return {
        p.slug: _public_partner(
            p,
            book,
            tuple(links[s] for s in p.provides if s in links),
            tuple(sorted(
                (Link(products[s].title, f"/products/{s}/") for s in dict.fromkeys(p.sells) if s in products),
                key=lambda link: (_sort_title(link.title), link.url),
            )),
        )
        for p in credited
    }


def _sellers(site: Site, partners: dict[str, PublicPartner]) -> dict[str, tuple[PublicPartner, ...]]:
    """Product slug -> the published partners that sell it, by name."""
    found: dict[str, list[PublicPartner]] = {}
    for partner in site.network.active_partners:
        public = partners.get(partner.slug)
        if public is not None:
            for slug in dict.fromkeys(partner.sells):
                found.setdefault(slug, []).append(public)
    return {slug: tuple(sorted(group, key=lambda p: (_sort_title(p.name), p.slug))) for slug, group in found.items()}


def _reseller_groups(partners: dict[str, PublicPartner]) -> tuple[ResellerGroup, ...]:
    """Partners that sell something, by location (those without one last)."""
    groups: dict[str, list[PublicPartner]] = {}
    for partner in partners.values():
        if partner.products:
            groups.setdefault((partner.location or "").strip(), []).append(partner)
    order = sorted(groups, key=lambda location: (location == "", _sort_title(location), location))
    return tuple(ResellerGroup(location, tuple(groups[location])) for location in order)


def _public_capabilities(
    site: Site, offered: list[Capability], partners: dict[str, PublicPartner], products: list[Product],
    book: PictureBook,
) -> dict[str, PublicCapability]:
    """Offered capabilities by slug, each with its credited providers and the
    deliverable products that need it."""
    found: dict[str, PublicCapability] = {}
    for capability in offered:
        providers = site.network.providers.get(capability.slug, ())
        found[capability.slug] = publish(
            PublicCapability,
            capability,
            slug=capability.slug,
            url=f"/capabilities/{capability.slug}/",
            body=book.text(capability.body, capability.source.path),
            partners=tuple(partners[p.slug] for p in providers if p.slug in partners),
            products=tuple(Link(p.title, f"/products/{p.slug}/") for p in products if capability.slug in p.requires),
            source_path=capability.source.path,
        )
    return found


@dataclass(frozen=True)
class _Selling:
    """What every product's order and price depend on besides itself."""

    forms_enabled: bool
    locale: str
    pictures: PictureBook


def _public_product(
    product: Product,
    capabilities: dict[str, PublicCapability],
    network: Network,
    sellers: tuple[PublicPartner, ...],
    selling: _Selling,
) -> PublicProduct:
    """A product for sale, or withdrawn: then only the capabilities still
    offered are shown, and the day its season comes back (if it will)."""
    available = product.slug in network.available
    back = None
    if not available and product.status != "paused" and product.slug in network.deliverable:
        back = back_on(product.available_from, product.available_until, network.on)
    mode = product.order_mode(selling.forms_enabled)
    return publish(
        PublicProduct,
        product,
        slug=product.slug,
        url=f"/products/{product.slug}/",
        body=selling.pictures.text(product.body, product.source.path),
        capabilities=tuple(capabilities[s] for s in product.requires if s in capabilities),
        source_path=product.source.path,
        available=available,
        back_on=back,
        sellers=sellers,
        order=mode,
        order_label=product.order_label or (words_for(selling.locale).buy if mode == "buy" else None),
        locale=selling.locale,
        image=selling.pictures(product.image),
    )


def _public_pages(site: Site, book: PictureBook) -> tuple[PublicPage, ...]:
    pages = (
        publish(PublicPage, p, slug=p.slug, url=f"/{p.slug}/", body=book.text(p.body, p.source.path), source_path=p.source.path)
        for p in site.pages
    )
    return tuple(sorted(pages, key=lambda p: (_sort_title(p.title), p.slug)))


def _with_menu(public: PublicSite) -> PublicSite:
    entries: list[tuple[int, int, str, MenuItem]] = []
    sections = (
        ("products", "Products", "/products/", bool(public.products or public.withdrawn_products)),
        # A page of your own at /where-to-buy/ replaces the built-in one.
        ("where-to-buy", "Where to buy", WHERE_TO_BUY,
         bool(public.resellers) and not any(p.url == WHERE_TO_BUY for p in public.pages)),
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
    (the business, a product, a credited partner) uses the same file. Every
    reference is normalised first (`static_key`): `/img/../img/x.svg`,
    `/img/x%2Esvg`, the site's own absolute URL and another letter case all
    name the same file.
    """
    static_root = site.root / "content" / "static"
    base = public.base_url
    pictures = (public.business.logo, *(p.image for p in public.products), *(p.logo for p in public.partners))
    # The very files public objects name: a hidden logo whose name differs
    # from one of them only in letter case stays hidden.
    shown_exact = {static_key(picture.ref, base, fold=False) for picture in pictures if picture}
    public_slugs = {p.slug for p in public.partners}
    # A hidden partner's logo on any host names the local file of that path
    # too (the site may be built for a deploy preview's address while the
    # logo names the production one): hiding more is the safe side.
    hidden = {
        key
        for p in site.partners
        if p.slug not in public_slugs and p.logo
        for key in (static_key(p.logo, base), static_key(p.logo, base, any_host=True))
    }
    hidden.discard(None)
    if not hidden:
        return tuple(site.static_files)

    def published(file: Path) -> bool:
        relative = file.relative_to(static_root).as_posix()
        return relative.casefold() not in hidden or relative in shown_exact

    return tuple(f for f in site.static_files if published(f))


def static_key(reference: str, base_url: str, any_host: bool = False, fold: bool = True) -> str | None:
    """The content/static/ file a reference names, as a case-folded path
    relative to the static folder (as written with `fold=False`); None when
    it names no file of this site (another host unless `any_host`, mailto:,
    tel:, a folder)."""
    try:
        parts = urlsplit(reference)
        base = urlsplit(base_url)
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        if parts.scheme.lower() not in ("", "http", "https") or not parts.hostname or not base.hostname:
            return None
        if not any_host and (parts.hostname != base.hostname or _port(parts) != _port(base)):
            return None
        path, prefix = parts.path, base.path.rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix):]
        elif prefix and not any_host:
            return None
    else:
        path = parts.path
    path = posixpath.normpath("/" + unquote(path)).lstrip("/")
    if not path or path == ".":
        return None
    return path.casefold() if fold else path


def _port(parts: SplitResult) -> int:
    """The port a URL names or implies; -1 for one that is no port
    (`:99999`, `:abc`: a Markdown body's addresses are not checked)."""
    try:
        port = parts.port
    except ValueError:
        return -1
    return port or (443 if parts.scheme.lower() == "https" else 80)
