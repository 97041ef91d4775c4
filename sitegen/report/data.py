"""The report as data: frozen dataclasses, and `build_report`, which fills
them in from the model (one helper per section). Pure; `report_site` loads a
site folder for the CLI."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import Problem, Problems
from ..content.changes import Change, coming_changes
from ..content.load import load_site
from ..content.builders import build_model
from ..content.model import Capability, Partner, Product, Site
from ..content.network import Network, derive_network

MAX_DAYS = 36500  # --days: a hundred years is plenty


# --------------------------------------------------------------------------
# The report, as data


@dataclass(frozen=True)
class PartnerRef:
    slug: str
    name: str
    disclosure: str
    path: str


@dataclass(frozen=True)
class ItemRef:
    """A capability or a product; `path` is None for a capability slug with no
    valid file (unknown, or its file has errors)."""

    slug: str
    title: str
    path: str | None


@dataclass(frozen=True)
class CapabilityHealth:
    capability: ItemRef
    in_house: bool
    partners: tuple[PartnerRef, ...]
    lead_time: str | None

    @property
    def provider_count(self) -> int:
        return int(self.in_house) + len(self.partners)

    @property
    def offered(self) -> bool:
        return self.provider_count > 0


@dataclass(frozen=True)
class SinglePoint:
    capability: ItemRef
    provider: PartnerRef
    products: tuple[ItemRef, ...]


@dataclass(frozen=True)
class ProductGap:
    """A product and the capabilities it lacks."""

    product: ItemRef
    missing: tuple[ItemRef, ...]


@dataclass(frozen=True)
class Ending:
    partner: PartnerRef
    until: date
    days_left: int
    breaks: tuple[ProductGap, ...]


@dataclass(frozen=True)
class Starting:
    partner: PartnerRef
    since: date
    days_until: int
    provides: tuple[ItemRef, ...]
    enables: tuple[ItemRef, ...]


@dataclass(frozen=True)
class Unused:
    partner: PartnerRef
    provides: tuple[ItemRef, ...]


@dataclass(frozen=True)
class Review:
    partner: PartnerRef
    review_by: date
    days: int  # days overdue (overdue_reviews) or days left (reviews_due_soon)


@dataclass(frozen=True)
class Unoffered:
    capability: ItemRef
    required_by: tuple[ItemRef, ...]


@dataclass(frozen=True)
class Report:
    on: date
    days: int
    business: str
    capabilities: tuple[CapabilityHealth, ...]
    single_points_of_failure: tuple[SinglePoint, ...]
    ending: tuple[Ending, ...]
    starting: tuple[Starting, ...]
    unused_partners: tuple[Unused, ...]
    overdue_reviews: tuple[Review, ...]
    reviews_due_soon: tuple[Review, ...]
    unoffered_capabilities: tuple[Unoffered, ...]
    undeliverable_products: tuple[ProductGap, ...]
    errors: tuple[Problem, ...] = ()
    # Dated changes in the window (content/changes.py): what the site will
    # do by itself, for the owner's calendar (information).
    coming: tuple[Change, ...] = ()
    # --strict: single points of failure, unused partners and capabilities
    # nobody offers need attention too.
    strict: bool = False

    @property
    def window_end(self) -> date:
        return _add_days(self.on, self.days)

    @property
    def breaking_endings(self) -> tuple[Ending, ...]:
        return tuple(e for e in self.ending if e.breaks)

    @property
    def attention(self) -> int:
        """How many findings need the owner's action (content errors apart):
        an alliance ending in the window that withdraws a product, an
        overdue review, a product withdrawn today for want of a provider.
        The rest is information, unless `strict`."""
        needed = len(self.breaking_endings) + len(self.overdue_reviews) + len(self.undeliverable_products)
        if self.strict:
            needed += (
                len(self.single_points_of_failure) + len(self.unused_partners) + len(self.unoffered_capabilities)
            )
        return needed

    @property
    def healthy(self) -> bool:
        return self.attention == 0 and not self.errors


# --------------------------------------------------------------------------
# Building it


def _add_days(day: date, days: int) -> date:
    """`day + days`, clamped to the calendar's ends instead of overflowing."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def _key(name: str, slug: str) -> tuple[str, str]:
    return (name.casefold(), slug)


def _partner_ref(partner: Partner) -> PartnerRef:
    return PartnerRef(partner.slug, partner.name, partner.disclosure, partner.source.path)


def _product_ref(product: Product) -> ItemRef:
    return ItemRef(product.slug, product.title, product.source.path)


class _Lookup:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.capabilities: dict[str, Capability] = {c.slug: c for c in site.capabilities}

    def capability(self, slug: str) -> ItemRef:
        found = self.capabilities.get(slug)
        if found is None:
            return ItemRef(slug, slug, None)
        return ItemRef(found.slug, found.title, found.source.path)

    def capabilities_of(self, slugs: Iterable[str]) -> tuple[ItemRef, ...]:
        unique = dict.fromkeys(slugs)
        return tuple(sorted((self.capability(s) for s in unique), key=_item_key))

    def network(self, partners: Sequence[Partner], on: date) -> Network:
        return derive_network(tuple(partners), self.site.capabilities, self.site.products, on)


def _item_key(item: ItemRef) -> tuple[str, str]:
    return _key(item.title, item.slug)


def _products(products: Iterable[Product]) -> tuple[ItemRef, ...]:
    return tuple(sorted((_product_ref(p) for p in products), key=_item_key))


def build_report(
    site: Site, on: date, days: int, errors: Sequence[Problem] = (), strict: bool = False
) -> Report:
    """The network's health on `on`, looking `days` ahead. Pure."""
    if days < 0:
        raise ValueError("days must not be negative")
    look = _Lookup(site)
    end = _add_days(on, days)
    partners = tuple(sorted(site.partners, key=lambda p: _key(p.name, p.slug)))
    capabilities = tuple(sorted(site.capabilities, key=lambda c: _key(c.title, c.slug)))
    products = tuple(sorted(site.products, key=lambda p: _key(p.title, p.slug)))
    today = look.network(partners, on)
    health = _capability_health(look, capabilities, today)
    overdue, due_soon = _reviews(partners, on, end)
    return Report(
        on=on,
        days=days,
        business=site.business.name,
        capabilities=health,
        single_points_of_failure=_single_points(health, products, today),
        ending=_ending(look, partners, products, on, end),
        starting=_starting(look, partners, products, on, end),
        unused_partners=_unused(look, partners, products, on),
        overdue_reviews=overdue,
        reviews_due_soon=due_soon,
        unoffered_capabilities=_unoffered(look, capabilities, products, today),
        undeliverable_products=_undeliverable(look, products, today),
        errors=tuple(e for e in errors if e.is_error),
        coming=tuple(coming_changes(site, datetime.combine(on, time.max, tzinfo=timezone.utc), end)),
        strict=strict,
    )


def _capability_health(
    look: _Lookup, capabilities: Sequence[Capability], today: Network
) -> tuple[CapabilityHealth, ...]:
    """Every capability with its providers on the report date."""
    return tuple(
        CapabilityHealth(
            capability=look.capability(c.slug),
            in_house=c.in_house,
            partners=tuple(_partner_ref(p) for p in today.providers.get(c.slug, ())),
            lead_time=c.lead_time,
        )
        for c in capabilities
    )


def _single_points(
    health: Sequence[CapabilityHealth], products: Sequence[Product], today: Network
) -> tuple[SinglePoint, ...]:
    """Capabilities a deliverable product needs whose one provider is a partner
    (one only the company itself provides is not a failure of the network)."""
    deliverable = [p for p in products if p.slug in today.deliverable]
    return tuple(
        SinglePoint(
            capability=h.capability,
            provider=h.partners[0],
            products=_products(p for p in deliverable if h.capability.slug in p.requires),
        )
        for h in health
        if h.provider_count == 1
        and not h.in_house
        and any(h.capability.slug in p.requires for p in deliverable)
    )


def _ending(
    look: _Lookup,
    partners: Sequence[Partner],
    products: Sequence[Product],
    on: date,
    end: date,
) -> tuple[Ending, ...]:
    """Alliances whose `until` falls in [on, end], with what each one breaks."""
    ending: list[Ending] = []
    for partner in partners:
        until = partner.until
        if until is None or not on <= until <= end or not partner.is_active(until):
            continue
        if until == date.max:  # never ends in practice
            continue
        breaks = _breaks(look, partners, products, partner, until)
        ending.append(Ending(_partner_ref(partner), until, (until - on).days, breaks))
    ending.sort(key=lambda e: (e.until, *_key(e.partner.name, e.partner.slug)))
    return tuple(ending)


def _breaks(
    look: _Lookup,
    partners: Sequence[Partner],
    products: Sequence[Product],
    partner: Partner,
    until: date,
) -> tuple[ProductGap, ...]:
    """The products `partner` ending on `until` makes undeliverable: computed on
    the day after, so other partners ending or starting by then count; a
    product is deliverable that day with the partner kept and not without it."""
    after = until + timedelta(days=1)
    without = look.network(partners, after)
    kept = [replace(p, until=None) if p is partner else p for p in partners]
    with_it = look.network(kept, after)
    lost = with_it.offered - without.offered
    return tuple(
        ProductGap(
            _product_ref(p),
            look.capabilities_of(r for r in p.requires if r in lost),
        )
        for p in products
        # A paused product is withdrawn already, by the owner's choice.
        if p.slug in with_it.deliverable and p.slug not in without.deliverable and p.status != "paused"
    )


def _starting(
    look: _Lookup,
    partners: Sequence[Partner],
    products: Sequence[Product],
    on: date,
    end: date,
) -> tuple[Starting, ...]:
    """Alliances whose `since` falls in (on, end], with the products each one
    makes deliverable that day."""
    starting: list[Starting] = []
    for partner in partners:
        since = partner.since
        if since is None or not on < since <= end or not partner.is_active(since):
            continue
        others = [p for p in partners if p is not partner]
        with_it = look.network(partners, since)
        without = look.network(others, since)
        starting.append(
            Starting(
                _partner_ref(partner),
                since,
                (since - on).days,
                look.capabilities_of(partner.provides),
                _products(
                    p
                    for p in products
                    if p.slug in with_it.deliverable and p.slug not in without.deliverable
                ),
            )
        )
    starting.sort(key=lambda s: (s.since, *_key(s.partner.name, s.partner.slug)))
    return tuple(starting)


def _unused(
    look: _Lookup, partners: Sequence[Partner], products: Sequence[Product], on: date
) -> tuple[Unused, ...]:
    """Partners active on `on` that provide nothing any product requires
    and sell no product (a reseller is used: it sells)."""
    required = {slug for p in products for slug in p.requires}
    known = {p.slug for p in products}
    return tuple(
        Unused(_partner_ref(p), look.capabilities_of(p.provides))
        for p in partners
        if p.is_active(on) and not required.intersection(p.provides) and not known.intersection(p.sells)
    )


def _reviews(
    partners: Sequence[Partner], on: date, end: date
) -> tuple[tuple[Review, ...], tuple[Review, ...]]:
    """Reviews overdue on `on`, and reviews due in [on, end]. Partners whose
    alliance has already ended are left out: their facts no longer reach the
    site."""
    current = [p for p in partners if p.until is None or p.until >= on]
    overdue = sorted(
        (
            Review(_partner_ref(p), p.review_by, (on - p.review_by).days)
            for p in current
            if p.review_by is not None and p.review_by < on
        ),
        key=lambda r: (r.review_by, *_key(r.partner.name, r.partner.slug)),
    )
    due_soon = sorted(
        (
            Review(_partner_ref(p), p.review_by, (p.review_by - on).days)
            for p in current
            if p.review_by is not None and on <= p.review_by <= end
        ),
        key=lambda r: (r.review_by, *_key(r.partner.name, r.partner.slug)),
    )
    return tuple(overdue), tuple(due_soon)


def _unoffered(
    look: _Lookup,
    capabilities: Sequence[Capability],
    products: Sequence[Product],
    today: Network,
) -> tuple[Unoffered, ...]:
    """Capabilities neither in-house nor provided by an active partner."""
    return tuple(
        Unoffered(
            look.capability(c.slug),
            _products(p for p in products if c.slug in p.requires),
        )
        for c in capabilities
        if c.slug not in today.offered
    )


def _undeliverable(
    look: _Lookup, products: Sequence[Product], today: Network
) -> tuple[ProductGap, ...]:
    """Products not deliverable on the report date, with what they miss
    (a paused product is left out: the owner withdrew it already)."""
    return tuple(
        ProductGap(
            _product_ref(p),
            look.capabilities_of(r for r in p.requires if r not in today.offered),
        )
        for p in products
        if p.slug not in today.deliverable and p.status != "paused"
    )


def report_site(source: Path, on: date, days: int, strict: bool = False) -> tuple[Report | None, Problems]:
    """Load the site folder and report on it.

    The report is None only when there is no site to report on (no content/
    folder); otherwise it is built from the valid part of the site and carries
    the content errors, which are also in the returned problems.
    """
    root = source.resolve()
    problems = Problems(root)
    records = load_site(root, problems)
    if not (root / "content").is_dir():
        return None, problems
    site = build_model(records, problems, on)
    return build_report(site, on, days, problems.errors, strict), problems
