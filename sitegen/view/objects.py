"""The public view's objects: what templates receive, and nothing else.

Frozen dataclasses made by public.py. Objects of a content kind derive
from `Published`: they declare what the public view computes, and the keys
the schema marks public ride along (see published.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from ..content.markup import MarkdownTooHard, markdown_to_html
from ..errors import ContentProblem
from .pictures import Derivative, Picture, responsive_images
from markupsafe import Markup

from .palette import Palette
from .published import Published
from ..content.money import machine_price
from .selling import price_text, unit_text

@dataclass(frozen=True)
class RichText:
    """Markdown source rendered on demand; Jinja prints it as safe HTML."""

    source: str
    origin: str = ""  # the content file it came from, for messages
    # The site's photos this text shows, by the address written: their
    # <img> become responsive pictures (view/pictures.responsive_images).
    pictures: tuple[tuple[str, Picture], ...] = ()
    # The origins of other sites' images it shows (the security policy's img-src).
    origins: tuple[str, ...] = ()

    def __html__(self) -> str:
        return self.html

    @property
    def html(self) -> str:
        try:
            converted = markdown_to_html(self.source)
        except MarkdownTooHard as exc:
            raise ContentProblem(self.origin, str(exc)) from None
        return responsive_images(converted, self.pictures) if self.pictures else converted

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
    """business.yaml's public keys (all of them), and the postal address
    as lines to show (`contact.address` is text or an Address)."""

    address_lines: tuple[str, ...] = ()
    logo: Picture | None = None


@dataclass(frozen=True)
class PublicPartner(Published):
    """An active, credited partner: everything here may be published."""

    slug: str
    kind_label: str | None
    anchor_url: str
    capabilities: tuple[Link, ...]
    products: tuple[Link, ...] = ()  # the products it sells (a reseller), by title
    logo: Picture | None = None


@dataclass(frozen=True)
class ResellerGroup:
    """The resellers of one location (`location` "" for those without)."""

    location: str
    partners: tuple[PublicPartner, ...]


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
    capabilities: tuple[PublicCapability, ...]
    source_path: str
    # False: withdrawn (paused, out of season, or a capability it needs has
    # no active provider): its page says so and takes no orders.
    available: bool = True
    back_on: date | None = None  # when a withdrawn product's season comes back
    sellers: tuple[PublicPartner, ...] = ()  # active credited resellers of it ("Also sold at")
    # How it is ordered (selling.order_mode): buy, quote, contact or none;
    # the button's words when the owner or the locale has them.
    order: str = "quote"
    order_label: str | None = None
    locale: str = "en"  # the site's, for prices and units
    image: Picture | None = None

    @property
    def price_display(self) -> str | None:
        """The price as the site's locale writes it: "£6.50", "from £45.00"."""
        price = self.__dict__.get("price")
        if price is None:
            return None
        return price_text(price, self.__dict__.get("currency"), bool(self.__dict__.get("price_from")), self.locale)

    @property
    def price_value(self) -> str | None:
        """The price as search engines read it, "6400.00"; None without a
        price and a currency."""
        price, currency = self.__dict__.get("price"), self.__dict__.get("currency")
        return machine_price(price, currency) if price is not None and currency else None

    @property
    def unit_display(self) -> str | None:
        """What the price buys: "per 750 ml jar"."""
        unit = self.__dict__.get("unit")
        return unit_text(unit, self.locale) if unit else None

    @property
    def availability(self) -> str:
        """schema.org's word for it: InStock, MadeToOrder or OutOfStock."""
        if not self.available:
            return "OutOfStock"
        return "MadeToOrder" if self.__dict__.get("made_to_order") else "InStock"


@dataclass(frozen=True)
class TermLink:
    taxonomy: str
    name: str
    slug: str
    url: str


@dataclass(frozen=True)
class PublicPost(Published):
    _made_from: ClassVar[bytes | None] = None  # see incremental/cache.py: provenance

    slug: str
    url: str
    summary: str  # the post's own, else its first paragraph
    future: bool
    body: RichText
    tags: tuple[TermLink, ...]
    categories: tuple[TermLink, ...]
    reading_minutes: int
    source_path: str
    image: Picture | None = None  # the cover photo


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
    privacy_url: str | None = None  # the privacy page every form links to, when there is one

    @property
    def enabled(self) -> bool:
        return self.kind != "none"

    @property
    def netlify(self) -> bool:
        return self.kind == "netlify"


def form_settings(setting: str, privacy_url: str | None = None) -> FormSettings:
    """The public form settings for site.yaml's `forms` value."""
    if setting == "none":
        return FormSettings("none", None, None, privacy_url)
    if setting == "netlify":
        return FormSettings("netlify", THANKS_URL, THANKS_URL, privacy_url)
    return FormSettings("action", setting, THANKS_URL, privacy_url)


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
    products: tuple[PublicProduct, ...]  # for sale today
    capabilities: tuple[PublicCapability, ...]
    partners: tuple[PublicPartner, ...]
    posts: tuple[PublicPost, ...]
    pages: tuple[PublicPage, ...]
    tags: Taxonomy
    categories: Taxonomy
    tag_index: TaxonomySummary
    category_index: TaxonomySummary
    has_posts: bool
    # Products not for sale today, whose pages stay at their URLs.
    withdrawn_products: tuple[PublicProduct, ...] = field(default=())
    # Active credited partners that sell products, grouped by location (for
    # /where-to-buy/, which exists when there is one).
    resellers: tuple[ResellerGroup, ...] = field(default=())
    menu: tuple[MenuItem, ...] = field(default=())
    forms: FormSettings = field(default=FormSettings())
    # The contact page (pages/contact.md), where the site's calls to action
    # lead when it exists.
    contact_url: str | None = None
    favicon: Picture | None = None  # site.yaml's favicon, else the business logo
    social_image: Picture | None = None
    # theme_options as the theme's custom properties (/assets/theme.css), or None.
    palette: Palette | None = None
    # The headers every page is served with (/_headers; view/security.py).
    headers: tuple[tuple[str, Markup], ...] = ()
    # Every image file the pictures above need (render/images.py encodes them).
    image_files: tuple[Derivative, ...] = ()

    @property
    def featured_products(self) -> tuple[PublicProduct, ...]:
        featured = tuple(p for p in self.products if p.featured)
        return featured or self.products[:3]

    @property
    def latest_posts(self) -> tuple[PublicPost, ...]:
        return self.posts[:3]
