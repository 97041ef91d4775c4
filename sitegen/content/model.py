"""Stage 2, model: typed, validated content and the derived alliance network.

Turns the loader's records into frozen dataclasses, checking each key against
its schema (required keys, types, allowed values; unknown keys are warnings),
resolving cross-references between partners, capabilities and products, and
deriving the network of DESIGN.md section 2 for a build date. Every problem is
collected with its file and line; nothing here raises for bad content, and
nothing here decides what is public (that is the public view's job).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Protocol, TypeVar
from urllib.parse import urlsplit

from ..deploy import BaseUrlChoice
from ..errors import Problem, Problems
from .load import LineDict, LineList, Record, Records
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
)
DISCLOSURES = ("credited", "white-label")


@dataclass(frozen=True)
class Source:
    """Where a model object came from, for messages."""

    path: str
    line: int = 1


@dataclass(frozen=True)
class SiteConfig:
    base_url: str
    title: str
    language: str
    theme: str
    posts_per_page: int
    output_dir: str
    output_dir_line: int
    source: Source
    # 'netlify', 'none' or the absolute http(s) URL forms post to.
    forms: str = "netlify"


@dataclass(frozen=True)
class Contact:
    email: str | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class SocialLink:
    name: str
    url: str


@dataclass(frozen=True)
class Business:
    name: str
    tagline: str | None
    summary: str | None
    core_competency: str | None
    founded: str | None
    service_area: str | None
    contact: Contact
    social: tuple[SocialLink, ...]
    logo: str | None
    source: Source


@dataclass(frozen=True)
class Partner:
    slug: str
    name: str
    kind: str | None
    provides: tuple[str, ...]
    disclosure: str
    since: date | None
    until: date | None
    url: str | None
    logo: str | None
    location: str | None
    blurb: str | None
    notes: str | None
    review_by: date | None
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


@dataclass(frozen=True)
class Capability:
    slug: str
    title: str
    summary: str | None
    in_house: bool
    lead_time: str | None
    capacity: str | None
    body: str
    source: Source


@dataclass(frozen=True)
class Product:
    slug: str
    title: str
    summary: str | None
    price: str | None
    currency: str | None
    unit: str | None
    image: str | None
    requires: tuple[str, ...]
    featured: bool
    body: str
    source: Source


@dataclass(frozen=True)
class Post:
    slug: str
    title: str
    date: datetime
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    summary: str | None
    author: str | None
    draft: bool
    body: str
    source: Source


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    menu: int | None
    summary: str | None
    body: str
    source: Source


@dataclass(frozen=True)
class Network:
    """The alliance as it stands on `on`: who is active, what is offered."""

    on: date
    active_partners: tuple[Partner, ...]
    providers: Mapping[str, tuple[Partner, ...]]
    offered: frozenset[str]
    deliverable: frozenset[str]


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
# Reading typed fields out of a record


_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_SAFE_URL_SCHEMES = {"http", "https", "mailto", "tel"}


class Fields:
    """Typed access to one mapping of a record; reports and remembers keys."""

    def __init__(
        self,
        data: LineDict,
        path: Path,
        problems: Problems,
        known: Iterable[str],
        where: str = "",
    ) -> None:
        self.data = data
        self.path = path
        self.problems = problems
        self.known = tuple(known)
        self.where = where

    def line(self, key: str) -> int:
        return self.data.line_of(key)

    def error(self, key: str, message: str) -> None:
        self.problems.error(self.path, self.line(key), message)

    def _name(self, key: str) -> str:
        return f"{self.where}{key}"

    def warn_unknown(self) -> None:
        for key in self.data:
            if key in self.known:
                continue
            hint = difflib.get_close_matches(key, self.known, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            self.problems.warning(
                self.path,
                self.line(key),
                f"unknown key '{self._name(key)}' is ignored{suggestion}",
            )

    def _present(self, key: str, required: bool) -> bool:
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                if key in self.data:
                    self.error(key, f"'{self._name(key)}' must not be empty")
                else:
                    self.problems.error(
                        self.path,
                        self.data.line,
                        f"missing required key '{self._name(key)}'",
                    )
            return False
        return True

    def text(self, key: str, required: bool = False) -> str | None:
        if not self._present(key, required):
            return None
        value = self.data[key]
        if not isinstance(value, str):
            self.error(key, f"'{self._name(key)}' must be text, got {_kind_of(value)}")
            return None
        return value.strip()

    def url(self, key: str, required: bool = False, absolute: bool = False) -> str | None:
        value = self.text(key, required)
        if value is None:
            return None
        problem = url_problem(value, absolute)
        if problem:
            self.error(key, f"'{self._name(key)}' {problem}, got '{value}'")
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        if not self._present(key, False):
            return default
        value = self.data[key]
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        self.error(key, f"'{self._name(key)}' must be true or false, got {_show(value)}")
        return default

    def integer(self, key: str, default: int | None, minimum: int | None = None) -> int | None:
        if not self._present(key, False):
            return default
        value = self.data[key]
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            number = int(value)
            if minimum is not None and number < minimum:
                self.error(key, f"'{self._name(key)}' must be at least {minimum}, got {number}")
                return default
            return number
        self.error(key, f"'{self._name(key)}' must be a whole number, got {_show(value)}")
        return default

    def choice(self, key: str, choices: tuple[str, ...], default: str | None) -> str | None:
        value = self.text(key)
        if value is None:
            return default
        if value not in choices:
            self.error(key, f"{self._name(key)} must be {_one_of(choices)}, got '{value}'")
            return default
        return value

    def day(self, key: str, required: bool = False) -> date | None:
        moment = self.moment(key, required)
        if moment is None:
            return None
        if moment.time() != time(0) or (
            isinstance(self.data[key], str) and "T" in self.data[key]
        ):
            self.error(key, f"'{self._name(key)}' must be a date (YYYY-MM-DD) without a time")
            return None
        return moment.date()

    def moment(self, key: str, required: bool = False) -> datetime | None:
        if not self._present(key, required):
            return None
        value = self.data[key]
        parsed = parse_moment(value) if isinstance(value, str) else None
        if parsed is None:
            self.error(
                key,
                f"'{self._name(key)}' must be a date like 2024-05-31 "
                f"(or 2024-05-31 14:30), got {_show(value)}",
            )
        return parsed

    def text_list(self, key: str) -> list[tuple[str, int]]:
        """A list of text items (a single text is a one-item list), with lines."""
        if not self._present(key, False):
            return []
        value = self.data[key]
        if isinstance(value, str):
            return [(value.strip(), self.line(key))]
        if not isinstance(value, LineList):
            self.error(key, f"'{self._name(key)}' must be a list, got {_kind_of(value)}")
            return []
        items: list[tuple[str, int]] = []
        for index, item in enumerate(value):
            line = value.line_of(index)
            if item is None or (isinstance(item, str) and not item.strip()):
                self.problems.error(self.path, line, f"'{self._name(key)}' has an empty item")
            elif not isinstance(item, str):
                self.problems.error(
                    self.path,
                    line,
                    f"items of '{self._name(key)}' must be text, got {_kind_of(item)}",
                )
            else:
                items.append((item.strip(), line))
        return items

    def mapping(self, key: str, known: Iterable[str]) -> Fields | None:
        if not self._present(key, False):
            return None
        value = self.data[key]
        if not isinstance(value, LineDict):
            self.error(key, f"'{self._name(key)}' must be a set of 'key: value' lines, got {_kind_of(value)}")
            return None
        return Fields(value, self.path, self.problems, known, where=f"{self._name(key)}.")


def _one_of(choices: tuple[str, ...]) -> str:
    quoted = [f"'{c}'" for c in choices]
    if len(quoted) == 2:
        return f"{quoted[0]} or {quoted[1]}"
    return "one of " + ", ".join(quoted)


def _kind_of(value: Any) -> str:
    if isinstance(value, LineDict):
        return "a set of 'key: value' lines"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    return _kind_of(value)


def url_problem(value: str, absolute: bool = False) -> str | None:
    """Why `value` cannot be used as a link target, or None if it can."""
    if any(c.isspace() for c in value) or any(ord(c) < 32 for c in value):
        return "must be a URL without spaces"
    parts = urlsplit(value)
    if parts.scheme:
        if parts.scheme.lower() not in _SAFE_URL_SCHEMES:
            return "must be an http(s), mailto or tel URL or a path starting with '/'"
        if parts.scheme.lower() in ("http", "https") and not parts.netloc:
            return "must be a full URL like https://example.com/"
        return None
    if absolute:
        return "must be a full URL like https://example.com/"
    if value.startswith("//"):
        return "must be a full URL like https://example.com/ or a path starting with '/'"
    return None


_MOMENT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?)?$"
)


def parse_moment(text: str) -> datetime | None:
    """Parse YYYY-MM-DD[ HH:MM[:SS][zone]]; naive times are taken as UTC."""
    match = _MOMENT.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    tz = UTC
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=tz,
        )
    except ValueError:
        return None


# --------------------------------------------------------------------------
# Building each kind


_SITE_KEYS = ("base_url", "title", "language", "theme", "posts_per_page", "output_dir", "forms")
FORM_MODES = ("netlify", "none")
_BUSINESS_KEYS = (
    "name",
    "tagline",
    "summary",
    "core_competency",
    "founded",
    "service_area",
    "contact",
    "social",
    "logo",
)
_PARTNER_KEYS = (
    "name",
    "kind",
    "provides",
    "disclosure",
    "since",
    "until",
    "url",
    "logo",
    "location",
    "blurb",
    "notes",
    "review_by",
)
_CAPABILITY_KEYS = ("title", "summary", "in_house", "lead_time", "capacity")
_PRODUCT_KEYS = (
    "title",
    "summary",
    "price",
    "currency",
    "unit",
    "image",
    "requires",
    "featured",
)
_POST_KEYS = ("title", "date", "tags", "categories", "summary", "author", "draft")
_PAGE_KEYS = ("title", "menu", "summary")


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


def build_config(
    record: Record,
    root: Path,
    problems: Problems,
    business_name: str | None,
    deploy_url: BaseUrlChoice = BaseUrlChoice(),
) -> SiteConfig:
    f = Fields(record.data, record.path, problems, _SITE_KEYS)
    f.warn_unknown()
    base_url = _choose_base_url(f, deploy_url, problems)
    language = f.text("language") or "en"
    if not _LANGUAGE.match(language):
        f.error("language", f"'language' must be a language code like 'en' or 'en-GB', got '{language}'")
        language = "en"
    theme = f.text("theme") or "default"
    if theme != "default" and (theme in (".", "..") or "/" in theme or "\\" in theme):
        f.error("theme", f"'theme' must be a folder name under themes/, got '{theme}'")
        theme = "default"
    elif theme != "default" and not (root / "themes" / theme).is_dir():
        f.error("theme", f"theme '{theme}' not found: expected a folder themes/{theme}/")
        theme = "default"
    posts_per_page = f.integer("posts_per_page", 10, minimum=1) or 10
    output_dir = f.text("output_dir") or "public"
    return SiteConfig(
        base_url=(base_url or "https://example.invalid").rstrip("/") + "/",
        title=f.text("title") or business_name or "",
        language=language,
        theme=theme,
        posts_per_page=posts_per_page,
        output_dir=output_dir,
        output_dir_line=f.line("output_dir"),
        source=_source(record, problems),
        forms=_forms_setting(f),
    )


def _forms_setting(f: Fields) -> str:
    """`forms`: 'netlify' (the default), 'none', or an absolute http(s) URL
    that forms post to (another host's form service)."""
    value = f.text("forms")
    if value is None or value in FORM_MODES:
        return value or "netlify"
    if urlsplit(value).scheme.lower() in ("http", "https") and url_problem(value, absolute=True) is None:
        return value
    f.error(
        "forms",
        "'forms' must be 'netlify', 'none' or a full http(s) URL for the form action "
        f"like https://formspree.io/f/abc, got '{value}'",
    )
    return "netlify"


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
    f = Fields(record.data, record.path, problems, _BUSINESS_KEYS)
    f.warn_unknown()
    contact = Contact()
    contact_fields = f.mapping("contact", ("email", "phone", "address"))
    if contact_fields is not None:
        contact_fields.warn_unknown()
        email = contact_fields.text("email")
        if email is not None and ("@" not in email or any(c.isspace() for c in email)):
            contact_fields.error("email", f"'contact.email' must be an e-mail address, got '{email}'")
            email = None
        contact = Contact(
            email=email,
            phone=contact_fields.text("phone"),
            address=contact_fields.text("address"),
        )
    social: list[SocialLink] = []
    raw_social = record.data.get("social")
    if raw_social is not None:
        if not isinstance(raw_social, LineList):
            f.error("social", "'social' must be a list of entries with 'name' and 'url'")
        else:
            for index, item in enumerate(raw_social):
                if not isinstance(item, LineDict):
                    problems.error(
                        record.path,
                        raw_social.line_of(index),
                        "each 'social' entry must have 'name' and 'url' keys",
                    )
                    continue
                entry = Fields(item, record.path, problems, ("name", "url"), where="social.")
                entry.warn_unknown()
                name = entry.text("name", required=True)
                url = entry.url("url", required=True)
                if name and url:
                    social.append(SocialLink(name, url))
    return Business(
        name=f.text("name", required=True) or "",
        tagline=f.text("tagline"),
        summary=f.text("summary"),
        core_competency=f.text("core_competency"),
        founded=f.text("founded"),
        service_area=f.text("service_area"),
        contact=contact,
        social=tuple(social),
        logo=f.url("logo"),
        source=_source(record, problems),
    )


def build_partner(record: Record, problems: Problems, refs: dict[str, list[tuple[str, int]]]) -> Partner | None:
    slug = _file_slug(record, problems)
    f = Fields(record.data, record.path, problems, _PARTNER_KEYS)
    f.warn_unknown()
    name = f.text("name", required=True)
    provides = f.text_list("provides")
    since = f.day("since")
    until = f.day("until")
    if since is not None and until is not None and until < since:
        f.error("until", f"'until' ({until}) is before 'since' ({since})")
    partner = Partner(
        slug=slug or "",
        name=name or "",
        kind=f.choice("kind", PARTNER_KINDS, None),
        provides=tuple(slugify(item) for item, _ in provides),
        disclosure=f.choice("disclosure", DISCLOSURES, "white-label") or "white-label",
        since=since,
        until=until,
        url=f.url("url"),
        logo=f.url("logo"),
        location=f.text("location"),
        blurb=f.text("blurb"),
        notes=f.text("notes"),
        review_by=f.day("review_by"),
        source=_source(record, problems),
    )
    if slug is None or name is None:
        return None
    refs[slug] = provides
    return partner


def build_capability(record: Record, problems: Problems) -> Capability | None:
    slug = _file_slug(record, problems)
    f = Fields(record.data, record.path, problems, _CAPABILITY_KEYS)
    f.warn_unknown()
    title = f.text("title", required=True)
    capability = Capability(
        slug=slug or "",
        title=title or "",
        summary=f.text("summary"),
        in_house=f.boolean("in_house", False),
        lead_time=f.text("lead_time"),
        capacity=f.text("capacity"),
        body=record.body,
        source=_source(record, problems),
    )
    return capability if slug and title else None


def build_product(record: Record, problems: Problems, refs: dict[str, list[tuple[str, int]]]) -> Product | None:
    slug = _file_slug(record, problems)
    f = Fields(record.data, record.path, problems, _PRODUCT_KEYS)
    f.warn_unknown()
    title = f.text("title", required=True)
    requires = f.text_list("requires")
    currency = f.text("currency")
    if currency is not None and not re.fullmatch(r"[A-Za-z]{3}", currency):
        f.error("currency", f"'currency' must be a three-letter code like EUR, GBP or USD, got '{currency}'")
        currency = None
    product = Product(
        slug=slug or "",
        title=title or "",
        summary=f.text("summary"),
        price=f.text("price"),
        currency=currency.upper() if currency else None,
        unit=f.text("unit"),
        image=f.url("image"),
        requires=tuple(slugify(item) for item, _ in requires),
        featured=f.boolean("featured", False),
        body=record.body,
        source=_source(record, problems),
    )
    if slug is None or title is None:
        return None
    refs[slug] = requires
    return product


def build_post(record: Record, problems: Problems) -> Post | None:
    slug = _file_slug(record, problems)
    f = Fields(record.data, record.path, problems, _POST_KEYS)
    f.warn_unknown()
    title = f.text("title", required=True)
    moment = f.moment("date", required=True)
    tags = _terms(f, "tags")
    categories = _terms(f, "categories")
    post = Post(
        slug=slug or "",
        title=title or "",
        date=moment or datetime(1970, 1, 1, tzinfo=UTC),
        tags=tags,
        categories=categories,
        summary=f.text("summary"),
        author=f.text("author"),
        draft=f.boolean("draft", False),
        body=record.body,
        source=_source(record, problems),
    )
    return post if slug and title and moment else None


def _terms(f: Fields, key: str) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for name, _line in f.text_list(key):
        name = " ".join(name.split())
        seen.setdefault(name.casefold(), name)
    return tuple(seen.values())


def build_page(record: Record, problems: Problems) -> Page | None:
    slug = _file_slug(record, problems)
    f = Fields(record.data, record.path, problems, _PAGE_KEYS)
    f.warn_unknown()
    title = f.text("title", required=True)
    page = Page(
        slug=slug or "",
        title=title or "",
        menu=f.integer("menu", None),
        summary=f.text("summary"),
        body=record.body,
        source=_source(record, problems),
    )
    return page if slug and title else None


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


# --------------------------------------------------------------------------
# The network


def derive_network(
    partners: tuple[Partner, ...],
    capabilities: tuple[Capability, ...],
    products: tuple[Product, ...],
    on: date,
) -> Network:
    active = tuple(p for p in partners if p.is_active(on))
    providers: dict[str, tuple[Partner, ...]] = {}
    for capability in capabilities:
        providers[capability.slug] = tuple(
            p for p in active if capability.slug in p.provides
        )
    offered = frozenset(
        c.slug for c in capabilities if c.in_house or providers[c.slug]
    )
    deliverable = frozenset(
        p.slug for p in products if all(r in offered for r in p.requires)
    )
    return Network(
        on=on,
        active_partners=active,
        providers=providers,
        offered=offered,
        deliverable=deliverable,
    )


def _describe_inactive(partner: Partner, on: date) -> str:
    if partner.since is not None and on < partner.since:
        return f"'{partner.name}' ({partner.source.path}) starts on {partner.since}"
    return f"'{partner.name}' ({partner.source.path}) ended on {partner.until}"


def check_network(
    site_partners: tuple[Partner, ...],
    capabilities: tuple[Capability, ...],
    products: tuple[Product, ...],
    network: Network,
    partner_refs: dict[str, list[tuple[str, int]]],
    product_refs: dict[str, list[tuple[str, int]]],
    problems: Problems,
    broken: frozenset[str] | set[str] = frozenset(),
) -> None:
    """Cross-references and coverage. References to capabilities whose own
    file has an error (`broken`) are not reported again."""
    known = {c.slug: c for c in capabilities}
    for partner in site_partners:
        for raw, line in partner_refs.get(partner.slug, []):
            slug = slugify(raw)
            if slug not in known and slug not in broken:
                problems.error(
                    partner.source.path,
                    line,
                    f"partner '{partner.name}' provides unknown capability '{raw}'"
                    + _did_you_mean(slug, known),
                )
    for product in products:
        for raw, line in product_refs.get(product.slug, []):
            slug = slugify(raw)
            if slug in broken:
                continue
            if slug not in known:
                problems.error(
                    product.source.path,
                    line,
                    f"product '{product.title}' requires unknown capability '{raw}'"
                    + _did_you_mean(slug, known),
                )
            elif slug not in network.offered:
                inactive = [
                    p
                    for p in site_partners
                    if slug in p.provides and not p.is_active(network.on)
                ]
                if inactive:
                    why = "; alliance with " + ", ".join(
                        _describe_inactive(p, network.on) for p in inactive
                    )
                else:
                    why = "; no partner provides it and it is not in_house"
                problems.error(
                    product.source.path,
                    line,
                    f"product '{product.title}' requires capability "
                    f"'{known[slug].title}' ({slug}) that nobody active provides "
                    f"on {network.on}{why}",
                )
    for capability in capabilities:
        if capability.slug not in network.offered:
            problems.warning(
                capability.source.path,
                capability.source.line,
                f"capability '{capability.title}' is not published: it is not "
                "in_house and no active partner provides it",
            )


def _did_you_mean(slug: str, known: Mapping[str, Any]) -> str:
    hint = difflib.get_close_matches(slug, list(known), n=1)
    if hint:
        return f" (did you mean '{hint[0]}'?)"
    if known:
        return f" (known: {', '.join(sorted(known))})"
    return " (there are no files in content/capabilities/)"


class ModelMemo:
    """Posts and pages built from records that did not change, kept by a
    long-running process. The record cache hands back the same Record object
    for an unchanged file, so identity says "same input"."""

    def __init__(self) -> None:
        self._built: dict[int, tuple[Record, Any, list[Problem]]] = {}
        self._used: dict[int, tuple[Record, Any, list[Problem]]] = {}

    def build(self, record: Record, problems: Problems, make: Callable[[Record, Problems], T | None]) -> T | None:
        hit = self._built.get(id(record))
        if hit is not None and hit[0] is record:
            for problem in hit[2]:
                problems.add(problem)
            self._used[id(record)] = hit
            return hit[1]  # type: ignore[no-any-return]
        local = Problems(problems.root)
        item = make(record, local)
        problems.extend(local)
        self._used[id(record)] = (record, item, local.items)
        return item

    def finish(self) -> None:
        """Keep only what this build used, so deleted files are let go."""
        self._built, self._used = self._used, {}

    def holds(self, record: Record) -> bool:
        """Whether what was built from this very record is kept."""
        hit = self._built.get(id(record))
        return hit is not None and hit[0] is record

    # Kept between processes (state.py): ids are not, so the entries travel
    # as a list and are keyed again by their records' new ids.
    def __getstate__(self) -> object:
        return list(self._built.values())

    def __setstate__(self, entries: list[tuple[Record, Any, list[Problem]]]) -> None:
        self._built = {id(entry[0]): entry for entry in entries}
        self._used = {}


def _direct(record: Record, problems: Problems, make: Callable[[Record, Problems], T | None]) -> T | None:
    return make(record, problems)


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
    product_refs: dict[str, list[tuple[str, int]]] = {}
    partners = tuple(
        p for r in records.partners if (p := build_partner(r, problems, partner_refs))
    )
    capabilities = tuple(c for r in records.capabilities if (c := build_capability(r, problems)))
    products = tuple(
        pr for r in records.products if (pr := build_product(r, problems, product_refs))
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
    return Business("", None, None, None, None, None, Contact(), (), None, Source("content/business.yaml"))


def _placeholder_config(root: Path, title: str) -> SiteConfig:
    """Stands in for a missing site.yaml (already reported)."""
    return SiteConfig(
        base_url="https://example.invalid/",
        title=title,
        language="en",
        theme="default",
        posts_per_page=10,
        output_dir="public",
        output_dir_line=0,
        source=Source("content/site.yaml", 0),
    )
