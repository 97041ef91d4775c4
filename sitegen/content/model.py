"""Stage 2, model: the classes of typed, validated content, which are the
schema (see schema.py): a field made with `key(...)` is a key of its kind,
with its type, default, documentation and whether it may be published.
builders.py reads the loader's records into them (`build_model`), checking
each key (required keys, types, allowed values; unknown keys are warnings),
resolving cross-references and deriving the network of DESIGN.md section 2
for the build date. Nothing here decides what is public (that is the public
view's job).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import ClassVar, Protocol, TypeVar

from .network import Network
from .schema import (
    CURRENCY,
    DAY,
    EMAIL,
    FLAG,
    MOMENT,
    REFERENCES,
    SEASON_DAY,
    TERMS,
    TEXT,
    URL,
    AbsoluteUrl,
    Colour,
    FontList,
    Choice,
    Entries,
    FolderName,
    FormTarget,
    LOCALE,
    PRICE,
    Country,
    Language,
    Nested,
    TextOrNested,
    WebLink,
    WholeNumber,
    key,
)
from .seasons import SeasonDay, available_on


class _Slugged(Protocol):
    @property
    def slug(self) -> str: ...

    @property
    def source(self) -> Source: ...


T = TypeVar("T", bound=_Slugged)

PARTNER_KINDS = (
    "supplier",
    "manufacturer",
    "subcontractor",
    "distributor",
    "equipment",
    "space",
    "service",
    "reseller",
    "stockist",
)
DISCLOSURES = ("credited", "white-label")
ORDER_MODES = ("buy", "quote", "contact", "none")


@dataclass(frozen=True)
class Source:
    """Where a model object came from, for messages."""

    path: str
    line: int = 1


@dataclass(frozen=True, kw_only=True)
class ThemeOptions:
    """The built-in theme's colours and fonts, set without copying its
    stylesheet (served as /assets/theme.css; see `view/palette.py`)."""

    accent: str | None = key(
        Colour(text=True), public=True, added=True,
        doc="links and buttons, quoted: `accent: \"#1d6a4f\"`; made darker on the light pages or lighter on the dark ones "
        "where it would be hard to read",
    )
    brand: str | None = key(
        Colour(), public=True, added=True,
        doc="the home page banner and tinted panels; a pale tint of it is used where text sits on it",
    )
    font: str | None = key(
        FontList(), public=True, added=True,
        doc="body text: `system` (default), `sans`, `serif`, `rounded`, `slab`, `mono`, or font names "
        "separated by commas (installed fonts, or ones your `custom.css` loads)",
    )
    heading_font: str | None = key(
        FontList(), public=True, added=True, doc="headings, the same choices as `font`; default `serif`",
    )


@dataclass(frozen=True, kw_only=True)
class SiteConfig:
    """content/site.yaml"""

    base_url: str = key(
        AbsoluteUrl(), public=True, required=True,
        doc="absolute URL of the published site, e.g. `https://soup.example/`",
    )
    title: str = key(TEXT, public=True, doc="site title; defaults to the business name")
    language: str = key(Language(), public=True, default="en", doc="language code for `<html lang>`, default `en`")
    theme: str = key(
        FolderName(), public=False, default="default",
        doc="a folder under `themes/`, default `default` (the built-in theme)",
    )
    posts_per_page: int = key(WholeNumber(minimum=1), public=True, default=10, doc="blog page size, default 10")
    output_dir: str = key(
        TEXT, public=False, default="public",
        doc="where `build` writes, relative to the site folder, default `public`",
    )
    forms: str = key(
        FormTarget(), public=True, default="netlify", added=True,
        doc="where the quote and contact forms send: `netlify` (default, Netlify Forms), `none` (no forms), "
        "or a full `http(s)` URL that they post to (another host's form service) — see [Forms](#forms)",
    )
    locale: str = key(
        LOCALE, public=True, added=True,
        doc="how prices are written: 1234.50 CHF is CHF1,234.50 in `en_GB`, CHF 1'234.50 in `de_CH`; "
        "default: from `language`",
    )
    currency: str | None = key(
        CURRENCY, public=True, added=True, doc="the currency of every price that names none, e.g. `GBP`",
    )
    favicon: str | None = key(
        URL, public=True, added=True,
        doc="the browser-tab icon, e.g. `/favicon.svg` or a square PNG; default: the business `logo`",
    )
    social_image: str | None = key(
        URL, public=True, added=True,
        doc="the picture shown when a page without its own photo is shared (a photo, cropped to 1200×630)",
    )
    theme_options: ThemeOptions = key(
        Nested(ThemeOptions), public=True, default=ThemeOptions(), added=True,
        doc="colours and fonts of the built-in theme: the keys below (see [Theme](#theme))",
    )
    output_dir_line: int = 0
    source: Source = Source("content/site.yaml", 0)


@dataclass(frozen=True, kw_only=True)
class Address:
    """A postal address by its parts (search engines read it as a PostalAddress)."""

    street: str | None = key(TEXT, public=True, added=True, doc="street and number, e.g. `12 Mill Lane`")
    locality: str | None = key(TEXT, public=True, added=True, doc="town or city")
    region: str | None = key(TEXT, public=True, added=True, doc="county, state or canton")
    postcode: str | None = key(TEXT, public=True, added=True, doc="postal code")
    country: str | None = key(
        Country(), public=True, added=True, doc="two-letter country code such as `GB` (shown by its name), or a name",
    )


@dataclass(frozen=True, kw_only=True)
class Contact:
    email: str | None = key(EMAIL, public=True, doc="e-mail address")
    phone: str | None = key(TEXT, public=True, doc="phone number")
    address: str | Address | None = key(
        TextOrNested(Address), public=True,
        doc="postal address: one line of text, or the keys below (the site then lists you as a local business)",
    )


@dataclass(frozen=True, kw_only=True)
class SocialLink:
    name: str = key(TEXT, public=True, required=True, doc="the network's name, e.g. Instagram")
    url: str = key(URL, public=True, required=True, doc="your page there")


@dataclass(frozen=True, kw_only=True)
class Business:
    """content/business.yaml"""

    name: str = key(TEXT, public=True, required=True, doc="the company's name")
    tagline: str | None = key(TEXT, public=True, doc="one line under the name")
    summary: str | None = key(TEXT, public=True, doc="a short paragraph for the home page")
    core_competency: str | None = key(TEXT, public=True, doc="what the company itself does best")
    founded: str | None = key(TEXT, public=True, doc="when it was founded (text, e.g. `2019`)")
    service_area: str | None = key(TEXT, public=True, doc="where it delivers")
    contact: Contact = key(Nested(Contact), public=True, default=Contact(), doc="how to reach the company")
    social: tuple[SocialLink, ...] = key(Entries(SocialLink), public=True, default=(), doc="links to social networks")
    logo: str | None = key(URL, public=True, doc="logo image, e.g. `/images/logo.svg`")
    source: Source = Source("content/business.yaml")


@dataclass(frozen=True, kw_only=True)
class Partner:
    """content/partners/<slug>.yaml"""

    slug: str
    name: str = key(TEXT, public=True, required=True, doc="the partner's name")
    kind: str | None = key(Choice(PARTNER_KINDS), public=True, doc="what the partner is to the company")
    provides: tuple[str, ...] = key(
        REFERENCES, public=False, default=(), doc="capability slugs this partner delivers",
    )
    disclosure: str = key(
        Choice(DISCLOSURES), public=False, default="white-label",
        doc="`credited` (shown on the site) or `white-label` (**the default**: never shown)",
    )
    since: date | None = key(
        DAY, public=True, doc="first day of the alliance; the partner is *active* on the build date "
        "when since ≤ date ≤ until",
    )
    until: date | None = key(DAY, public=False, doc="last day of the alliance")
    url: str | None = key(URL, public=True, doc="the partner's website (shown only for active credited partners)")
    logo: str | None = key(URL, public=True, doc="logo image (shown only for active credited partners)")
    location: str | None = key(TEXT, public=True, doc="where the partner is (shown only for active credited partners)")
    blurb: str | None = key(TEXT, public=True, doc="a sentence about the partner (shown only for active credited partners)")
    notes: str | None = key(TEXT, public=False, doc="internal remarks, for any partner")
    review_by: date | None = key(
        DAY, public=False, added=True, doc="date by which the owner should re-confirm this partner's facts",
    )
    sells: tuple[str, ...] = key(
        REFERENCES, public=False, default=(), added=True,
        doc="product slugs this partner sells (a reseller, stockist or distributor): an active credited "
        "one is listed on /where-to-buy/ and on those products' pages",
    )
    address: str | None = key(TEXT, public=True, added=True, doc="where customers find the shop (resellers)")
    hours: str | None = key(TEXT, public=True, added=True, doc="opening hours, as written (resellers)")
    map_url: str | None = key(AbsoluteUrl(), public=True, added=True, doc="a link to the shop on a map (http or https)")
    source: Source

    @property
    def credited(self) -> bool:
        return self.disclosure == "credited"

    def is_active(self, on: date) -> bool:
        if self.since is not None and on < self.since:
            return False
        if self.until is not None and on > self.until:
            return False
        return True


@dataclass(frozen=True, kw_only=True)
class Capability:
    """content/capabilities/<slug>.md (the body is Markdown)"""

    slug: str
    title: str = key(TEXT, public=True, required=True, doc="the capability's name")
    summary: str | None = key(TEXT, public=True, doc="one sentence for lists")
    in_house: bool = key(FLAG, public=True, default=False, doc="the company can do it itself (default false)")
    lead_time: str | None = key(TEXT, public=True, doc="how long it takes, e.g. `2 weeks`")
    capacity: str | None = key(TEXT, public=True, doc="how much the network can do, e.g. `200 jars a week`")
    body: str
    source: Source


@dataclass(frozen=True, kw_only=True)
class Product:
    """content/products/<slug>.md (the body is Markdown)"""

    slug: str
    title: str = key(TEXT, public=True, required=True, doc="the product's name")
    summary: str | None = key(TEXT, public=True, doc="one sentence for cards and lists")
    price: Decimal | None = key(
        PRICE, public=True,
        doc="a number, e.g. `6.50`; shown in the site's `locale` with its currency: £6.50",
    )
    price_from: bool = key(
        FLAG, public=True, default=False, added=True, doc="true: the price is a starting price (\"from £45.00\")",
    )
    currency: str | None = key(CURRENCY, public=True, doc="e.g. `GBP`; default: site.yaml's `currency`")
    unit: str | None = key(
        TEXT, public=True, doc="what the price buys, e.g. `750 ml jar` (shown as \"per 750 ml jar\")",
    )
    order: str | None = key(
        Choice(ORDER_MODES), public=True, added=True,
        doc="how it is ordered: `buy` (a button to `buy_url`), `quote` (the quote form), `contact` (a button "
        "to the contact page or e-mail), `none`; default `buy` with a `buy_url`, else `quote` (or `contact` "
        "with `forms: none`)",
    )
    buy_url: str | None = key(
        WebLink("https://buy.stripe.com/abc123"), public=True, added=True,
        doc="your payment or checkout link (Stripe, Square, PayPal, Shopify …): the product gets a Buy button",
    )
    order_label: str | None = key(
        TEXT, public=True, added=True,
        doc="the order button's words; default \"Buy now\" (in the site's language), \"Request a quote\" "
        "or \"Contact us to order\"",
    )
    made_to_order: bool = key(
        FLAG, public=True, added=True, default=False,
        doc="true: made for each order; the lead time is shown with the price",
    )
    lead_time: str | None = key(
        TEXT, public=True, added=True,
        doc="how long an order takes, e.g. `6 weeks`, shown with the price (each capability's own lead time "
        "is shown under \"How it's made\")",
    )
    image: str | None = key(URL, public=True, doc="picture, e.g. `/images/soup.jpg`")
    requires: tuple[str, ...] = key(
        REFERENCES, public=False, default=(), doc="capability slugs the product needs",
    )
    featured: bool = key(
        FLAG, public=True, default=False, added=True,
        doc="true to show it on the home page; when no product is featured the first three are shown",
    )
    status: str = key(
        Choice(("available", "paused")), public=False, default="available", added=True,
        doc="`paused` withdraws it by choice: its page stays and says it is unavailable",
    )
    available_from: SeasonDay | None = key(
        SEASON_DAY, public=False, added=True,
        doc="first day it can be had: `10-01` every year, or `2027-10-01` once",
    )
    available_until: SeasonDay | None = key(
        SEASON_DAY, public=False, added=True,
        doc="last day it can be had: `03-31` every year (after `10-01`: across the new year), or a date",
    )
    body: str
    source: Source

    def order_mode(self, forms_enabled: bool) -> str:
        """How it is ordered: `buy`, `quote`, `contact` or `none`. `order`
        when given, else `buy` with a `buy_url`, else `quote`; a quote on a
        site without forms is a contact button (with a warning when
        `order: quote` was written)."""
        mode = self.order or ("buy" if self.buy_url else "quote")
        return "contact" if mode == "quote" and not forms_enabled else mode

    def withdrawn_by_choice(self, on: date) -> bool:
        """Paused, or outside its availability window on `on`."""
        return self.status == "paused" or not available_on(self.available_from, self.available_until, on)


@dataclass(frozen=True, kw_only=True)
class Post:
    """content/posts/<slug>.md (the body is Markdown)"""

    _made_from: ClassVar[bytes | None] = None  # see incremental/cache.py: provenance

    slug: str
    title: str = key(TEXT, public=True, required=True, doc="the post's title")
    date: datetime = key(
        MOMENT, public=True, required=True,
        doc="`2024-05-31` or `2024-05-31 14:30`, optionally with a zone such as `+02:00`; "
        "times without a zone are UTC",
    )
    tags: tuple[str, ...] = key(TERMS, public=True, default=(), doc="tag names")
    categories: tuple[str, ...] = key(TERMS, public=True, default=(), doc="category names")
    summary: str | None = key(TEXT, public=True, doc="for lists and the feed; default: the first paragraph")
    author: str | None = key(TEXT, public=True, doc="who wrote it")
    draft: bool = key(FLAG, public=True, default=False, doc="true keeps it out of builds (default false)")
    image: str | None = key(
        URL, public=True, added=True,
        doc="a cover photo, e.g. `/images/harvest.jpg`: shown atop the post, on its cards and when it is shared",
    )
    body: str
    source: Source


@dataclass(frozen=True, kw_only=True)
class Page:
    """content/pages/<slug>.md (the body is Markdown)"""

    _made_from: ClassVar[bytes | None] = None  # see incremental/cache.py: provenance

    slug: str
    title: str = key(TEXT, public=True, required=True, doc="the page's title")
    menu: int | None = key(
        WholeNumber(), public=True,
        doc="its place in the main navigation; without it the page is published but not in the menu",
    )
    summary: str | None = key(TEXT, public=True, doc="for the page's description")
    body: str
    source: Source


@dataclass(frozen=True)
class Site:
    root: Path
    config: SiteConfig
    business: Business
    partners: tuple[Partner, ...]
    capabilities: tuple[Capability, ...]
    products: tuple[Product, ...]
    posts: tuple[Post, ...]
    pages: tuple[Page, ...]
    static_files: tuple[Path, ...]
    network: Network

    def capability(self, slug: str) -> Capability | None:
        return next((c for c in self.capabilities if c.slug == slug), None)
