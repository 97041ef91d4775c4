"""Stage 2, model: typed, validated content and the derived alliance network.

Turns the loader's records into frozen dataclasses, checking each key against
its schema (required keys, types, allowed values; unknown keys are warnings),
resolving cross-references between partners, capabilities and products, and
deriving the network of DESIGN.md section 2 for a build date. The classes
below are the schema (see schema.py): a field made with `key(...)` is a key
of its kind, with its type, default, documentation and whether it may be
published. Every problem is
collected with its file and line; nothing here raises for bad content, and
nothing here decides what is public (that is the public view's job).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable, ClassVar, Protocol, TypeVar

from ..deploy import BaseUrlChoice
from ..errors import Problem, Problems
from .fields import Fields, url_problem
from .load import Record, Records
from .money import locale_for_language
from .network import Network, check_network, check_sells, derive_network
from ..incremental.cache import made
from ..incremental.memo import Memo
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
    key_names,
    read_entry,
)
from .seasons import SeasonDay, available_on, mixed_forms
from .slugs import slugify


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


# --------------------------------------------------------------------------
# Building each kind


def _source(record: Record, problems: Problems) -> Source:
    return Source(problems.display_path(record.path), record.data.line or 1)


def _file_slug(record: Record, problems: Problems) -> str | None:
    slug = slugify(record.slug)
    if not slug:
        problems.error(
            record.path,
            1,
            "the file name gives an empty URL slug: name the file with letters or digits",
        )
        return None
    return slug


def _fields(record: Record, problems: Problems, kind: type) -> Fields:
    f = Fields(record.data, record.path, problems, key_names(kind))
    f.warn_unknown()
    return f


def build_config(
    record: Record,
    root: Path,
    problems: Problems,
    business_name: str | None,
    deploy_url: BaseUrlChoice = BaseUrlChoice(),
) -> SiteConfig:
    f = _fields(record, problems, SiteConfig)
    base_url = _choose_base_url(f, deploy_url, problems)
    values, _ = read_entry(SiteConfig, f, skip=("base_url",))
    theme = values["theme"]
    if theme != "default" and not (root / "themes" / theme).is_dir():
        f.error("theme", f"theme '{theme}' not found: expected a folder themes/{theme}/")
        values["theme"] = "default"
    values["posts_per_page"] = values["posts_per_page"] or 10
    values["title"] = values["title"] or business_name or ""
    if values["locale"] is None:
        values["locale"] = locale_for_language(values["language"])
    elif not _written(record.data.get("language")):
        values["language"] = values["locale"].replace("_", "-")
    return SiteConfig(
        **values,
        base_url=(base_url or "https://example.invalid").rstrip("/") + "/",
        output_dir_line=f.line("output_dir"),
        source=_source(record, problems),
    )


def _written(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _choose_base_url(f: Fields, deploy_url: BaseUrlChoice, problems: Problems) -> str | None:
    """--base-url or a preview's address beat site.yaml; production's URL
    fills in only when site.yaml has none (see deploy.py)."""
    given = deploy_url.override
    if given is None and not f.text("base_url") and deploy_url.fallback:
        given = deploy_url.fallback
    if given is None:
        return f.url("base_url", required=True, absolute=True)
    problem = url_problem(given, absolute=True)
    if problem:
        problems.error(deploy_url.origin, 0, f"base URL {problem}, got '{given}'")
        return None
    return given


def build_business(record: Record, problems: Problems) -> Business:
    values, _ = read_entry(Business, _fields(record, problems, Business))
    values["name"] = values["name"] or ""
    return Business(**values, source=_source(record, problems))


def build_partner(
    record: Record, problems: Problems, refs: dict[str, list[tuple[str, int]]],
    sells_refs: dict[str, list[tuple[str, int]]] | None = None,
) -> Partner | None:
    slug = _file_slug(record, problems)
    f = _fields(record, problems, Partner)
    values, complete = read_entry(Partner, f)
    since, until = values["since"], values["until"]
    if since is not None and until is not None and until < since:
        f.error("until", f"'until' ({until}) is before 'since' ({since})")
    if slug is None or not complete:
        return None
    refs[slug] = f.references["provides"]
    if sells_refs is not None:
        sells_refs[slug] = f.references["sells"]
    return Partner(**values, slug=slug, source=_source(record, problems))


def build_capability(record: Record, problems: Problems) -> Capability | None:
    slug = _file_slug(record, problems)
    values, complete = read_entry(Capability, _fields(record, problems, Capability))
    if slug is None or not complete:
        return None
    return Capability(**values, slug=slug, body=record.body, source=_source(record, problems))


def build_product(
    record: Record, problems: Problems, refs: dict[str, list[tuple[str, int]]], config: SiteConfig,
) -> Product | None:
    slug = _file_slug(record, problems)
    f = _fields(record, problems, Product)
    values, complete = read_entry(Product, f)
    _check_selling(f, values, config)
    written = f.data.get("buy_url")
    if values["order"] == "buy" and values["buy_url"] is None and (
        written is None or (isinstance(written, str) and not written.strip())
    ):
        # (A buy_url that is there but wrong has its own error.)
        f.error("order", "'order: buy' needs a 'buy_url': the payment or checkout link the Buy button opens")
        return None
    if slug is None or not complete:
        return None
    refs[slug] = f.references["requires"]
    start, end = values.get("available_from"), values.get("available_until")
    if mixed_forms(start, end):
        f.error(
            "available_until",
            "'available_from' and 'available_until' must both be days of the year (10-01) or both be "
            "dates (2027-10-01)",
        )
        return None
    if start is not None and end is not None and start.year is not None and str(end) < str(start):
        f.error("available_until", f"'available_until' ({end}) is before 'available_from' ({start})")
        return None
    return Product(**values, slug=slug, body=record.body, source=_source(record, problems))


def _check_selling(f: Fields, values: dict[str, object], config: SiteConfig) -> None:
    """Warnings for a product whose price or order cannot be shown as
    written; fills in the site's currency."""
    values["currency"] = values["currency"] or config.currency
    if values["price"] is not None and values["currency"] is None:
        f.problems.warning(
            f.path, f.line("price"),
            "'price' has no currency, so it shows as a plain number and search engines get no offer: "
            "add 'currency: GBP' (your currency's code) here, or to site.yaml for every product",
        )
    written = f.data.get("price")
    if values["price_from"] and values["price"] is None and (
        written is None or (isinstance(written, str) and not written.strip())
    ):
        f.problems.warning(f.path, f.line("price_from"), "'price_from' has no 'price' to start from: add one")
    if values["order"] == "quote" and config.forms == "none":
        f.problems.warning(
            f.path, f.line("order"),
            "'order: quote' needs the site's forms, but site.yaml says 'forms: none': "
            "this product shows a button to contact you instead",
        )


def _check_contact_orders(
    products: tuple[Product, ...], pages: tuple[Page, ...], business: Business, config: SiteConfig,
    problems: Problems,
) -> None:
    """A product ordered by contacting the company needs a way to do it."""
    contact = business.contact
    if contact.email or contact.phone or any(p.slug == "contact" for p in pages):
        return
    for product in products:
        if product.order_mode(config.forms != "none") == "contact":
            problems.warning(
                product.source.path, product.source.line,
                f"product '{product.title}' is ordered by contacting you, but the site has no contact page "
                "(pages/contact.md), e-mail or phone: add one, or give it a 'buy_url'",
            )


def build_post(record: Record, problems: Problems) -> Post | None:
    slug = _file_slug(record, problems)
    values, complete = read_entry(Post, _fields(record, problems, Post))
    if slug is None or not complete:
        return None
    return Post(**values, slug=slug, body=record.body, source=_source(record, problems))


def build_page(record: Record, problems: Problems) -> Page | None:
    slug = _file_slug(record, problems)
    values, complete = read_entry(Page, _fields(record, problems, Page))
    if slug is None or not complete:
        return None
    return Page(**values, slug=slug, body=record.body, source=_source(record, problems))


def _unique_slugs(kind: str, items: tuple[T, ...], problems: Problems) -> tuple[T, ...]:
    """Items with the first of each slug; the others are reported."""
    first: dict[str, T] = {}
    for item in items:
        other = first.setdefault(item.slug, item)
        if other is not item:
            problems.error(
                item.source.path,
                1,
                f"{kind} slug '{item.slug}' is also used by {other.source.path}; "
                "rename one of the files",
            )
    return tuple(first.values())


class ModelMemo:
    """Posts and pages built from records that did not change, kept by a
    long-running process (incremental/memo.py). The record cache hands back
    the same Record object for an unchanged file, so identity says "same
    input"; a record's problems come back with what was built from it."""

    def __init__(self) -> None:
        self._memo = Memo(by_identity=True)

    def build(self, record: Record, problems: Problems, make: Callable[[Record, Problems], T | None]) -> T | None:
        def made_here() -> tuple[T | None, list[Problem]]:
            local = Problems(problems.root)
            return made(make, record, problems=local), local.items

        # Slot by identity: an entry holds its record, so its id is its own.
        item, found = self._memo.get(id(record), (record,), made_here)
        for problem in found:
            problems.add(problem)
        return item

    def finish(self) -> None:
        """Keep only what this build used, so deleted files are let go."""
        self._memo.finish()


def _direct(record: Record, problems: Problems, make: Callable[[Record, Problems], T | None]) -> T | None:
    return made(make, record, problems=problems)


def build_model(
    records: Records,
    problems: Problems,
    on: date,
    deploy_url: BaseUrlChoice = BaseUrlChoice(),
    memo: ModelMemo | None = None,
) -> Site:
    """The site from every record that is valid; problems say what is not.

    The site is returned even when there are errors, so that later stages can
    report their own problems (URL clashes, a refused output folder) in the
    same run; callers must not publish it while `problems.has_errors()`.
    """
    business = (
        build_business(records.business, problems) if records.business else _placeholder_business()
    )
    config = (
        build_config(records.site, records.root, problems, business.name, deploy_url)
        if records.site
        else _placeholder_config(records.root, business.name)
    )
    partner_refs: dict[str, list[tuple[str, int]]] = {}
    sells_refs: dict[str, list[tuple[str, int]]] = {}
    product_refs: dict[str, list[tuple[str, int]]] = {}
    partners = tuple(
        p for r in records.partners if (p := build_partner(r, problems, partner_refs, sells_refs))
    )
    capabilities = tuple(c for r in records.capabilities if (c := build_capability(r, problems)))
    products = tuple(
        pr for r in records.products if (pr := build_product(r, problems, product_refs, config))
    )
    build = memo.build if memo is not None else _direct
    posts = tuple(po for r in records.posts if (po := build(r, problems, build_post)))
    pages = tuple(pa for r in records.pages if (pa := build(r, problems, build_page)))
    if memo is not None:
        memo.finish()
    partners = _unique_slugs("partner", partners, problems)
    capabilities = _unique_slugs("capability", capabilities, problems)
    products = _unique_slugs("product", products, problems)
    posts = _unique_slugs("post", posts, problems)
    pages = _unique_slugs("page", pages, problems)
    broken = {slugify(r.slug) for r in records.capabilities} | {
        slugify(p.stem) for p in records.unreadable.get("capability", [])
    }
    broken -= {c.slug for c in capabilities}
    network = derive_network(partners, capabilities, products, on)
    check_network(
        partners, capabilities, products, network, partner_refs, product_refs, problems, broken
    )
    unbuilt = {slugify(r.slug) for r in records.products} | {
        slugify(p.stem) for p in records.unreadable.get("product", [])
    }
    check_sells(partners, products, sells_refs, problems, unbuilt - {p.slug for p in products})
    _check_contact_orders(products, pages, business, config, problems)
    return Site(
        root=records.root,
        config=config,
        business=business,
        partners=partners,
        capabilities=capabilities,
        products=products,
        posts=posts,
        pages=pages,
        static_files=tuple(records.static_files),
        network=network,
    )


def _placeholder_business() -> Business:
    """Stands in for a missing business.yaml (already reported)."""
    return Business(name="")


def _placeholder_config(root: Path, title: str) -> SiteConfig:
    """Stands in for a missing site.yaml (already reported)."""
    return SiteConfig(
        base_url="https://example.invalid/",
        title=title,
        language="en",
        theme="default",
        posts_per_page=10,
        output_dir="public",
        locale="en",
        output_dir_line=0,
        source=Source("content/site.yaml", 0),
    )
