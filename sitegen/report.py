"""`sitegen report`: the network health report, for the owner's eyes only.

A stage on top of the model, like the CLI: the pipeline never imports it and
it never writes a file. It works on the *model*, not the public view, so
white-label partners are named here; the report is printed in the terminal
and never published (the text output says so in its second line).

`build_report(site, on, days)` is pure and returns a `Report` of frozen
dataclasses; `format_text` and `format_json` render it. `report_site` loads a
site folder for the CLI.

What the report finds, on the report date `on` (today, or `--date`) and over
the window [on, on + days]:

* **capabilities**: every capability with its providers. In-house counts as
  one provider; each *active* partner that provides it is one more (with its
  disclosure, credited or white-label). Lead time as written.
* **single points of failure** (needs attention): a capability with exactly
  one provider in total, that provider being a partner, and required by at
  least one product deliverable on `on` (those products are listed). A
  capability that only the company itself provides (in-house, no partner) is
  not a point of failure *of the network* and is not reported.
* **ending** alliances: partners whose `until` falls within the window (a
  partner that starts and ends inside the window is included too). For each,
  the products it would make undeliverable, computed on the day after `until`
  with `derive_network`, so other partners ending or starting by then count:
  a product is attributed to the partner when it is deliverable that day with
  the partner kept and not deliverable without it (two partners ending on the
  same day for the same capability are both named). An ending that breaks a
  product needs attention; one that breaks nothing is informational.
* **starting** alliances (informational): partners whose `since` falls in
  (on, on + days], with the products they would make deliverable that day.
* **unused partners** (needs attention): partners active on `on` none of
  whose provided capabilities is required by any product (a partner that
  provides nothing is unused too).
* **overdue reviews** (needs attention): `review_by` before `on`; **reviews
  due soon** (informational): `review_by` within the window. Partners whose
  alliance has already ended (`until` before `on`) are left out of both: their
  facts no longer reach the site.
* **unoffered capabilities** (informational; `sitegen check` warns about them
  too): not in-house and no active partner, with the products requiring them.
* **undeliverable products** (needs attention): products not deliverable on
  `on`, with the capabilities they miss (a slug without a valid capability
  file, unknown or with errors, is shown as "not a valid capability").
* **errors**: content errors found while building the model for `on`
  (needs attention; they include the errors a build on that day would give
  for undeliverable products). The model keeps the valid part of the site, so
  the report still runs, but it may be incomplete: the CLI prints the errors
  first on standard error, as `path:line: message`, and exits 1.

Text output fits an 80-column terminal: a heading per section (with its
count), one entry per finding starting with the file to edit, wrapped with a
hanging indent without breaking paths or quoted names, an "All good" line for
an empty section, and a last `sitegen: ...` summary line. JSON output is one
object with the keys date, days, healthy, capabilities,
single_points_of_failure, ending, starting, unused_partners, overdue_reviews,
reviews_due_soon, unoffered_capabilities, undeliverable_products, errors, in
that order; dates are ISO, capabilities and products are {slug, title, path}
(path null for a capability slug without a valid file), partners {slug,
name, disclosure, path}. `--days` is 0 to MAX_DAYS; the window's end is
clamped to the last day of the calendar.

The site is healthy, and `sitegen report` exits 0, when nothing needs
attention; otherwise it exits 1.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterable, Sequence

from .errors import Problem, Problems
from .content.load import load_site
from .content.model import Capability, Partner, Product, Site, build_model
from .content.network import Network, derive_network

MAX_DAYS = 36500  # --days: a hundred years is plenty
NOTICE = "for your eyes only: includes white-label partners; never publish this report"


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

    @property
    def window_end(self) -> date:
        return _add_days(self.on, self.days)

    @property
    def breaking_endings(self) -> tuple[Ending, ...]:
        return tuple(e for e in self.ending if e.breaks)

    @property
    def attention(self) -> int:
        """How many findings need the owner's attention (content errors apart)."""
        return (
            len(self.single_points_of_failure)
            + len(self.breaking_endings)
            + len(self.unused_partners)
            + len(self.overdue_reviews)
            + len(self.undeliverable_products)
        )

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
    site: Site, on: date, days: int, errors: Sequence[Problem] = ()
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

    health = tuple(
        CapabilityHealth(
            capability=look.capability(c.slug),
            in_house=c.in_house,
            partners=tuple(_partner_ref(p) for p in today.providers.get(c.slug, ())),
            lead_time=c.lead_time,
        )
        for c in capabilities
    )

    deliverable = [p for p in products if p.slug in today.deliverable]
    single_points = tuple(
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

    ending: list[Ending] = []
    for partner in partners:
        until = partner.until
        if until is None or not on <= until <= end or not partner.is_active(until):
            continue
        if until == date.max:  # never ends in practice
            continue
        after = until + timedelta(days=1)
        without = look.network(partners, after)
        kept = [replace(p, until=None) if p is partner else p for p in partners]
        with_it = look.network(kept, after)
        lost = with_it.offered - without.offered
        breaks = tuple(
            ProductGap(
                _product_ref(p),
                look.capabilities_of(r for r in p.requires if r in lost),
            )
            for p in products
            if p.slug in with_it.deliverable and p.slug not in without.deliverable
        )
        ending.append(Ending(_partner_ref(partner), until, (until - on).days, breaks))
    ending.sort(key=lambda e: (e.until, *_key(e.partner.name, e.partner.slug)))

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

    required = {slug for p in products for slug in p.requires}
    unused = tuple(
        Unused(_partner_ref(p), look.capabilities_of(p.provides))
        for p in partners
        if p.is_active(on) and not required.intersection(p.provides)
    )

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

    unoffered = tuple(
        Unoffered(
            look.capability(c.slug),
            _products(p for p in products if c.slug in p.requires),
        )
        for c in capabilities
        if c.slug not in today.offered
    )
    undeliverable = tuple(
        ProductGap(
            _product_ref(p),
            look.capabilities_of(r for r in p.requires if r not in today.offered),
        )
        for p in products
        if p.slug not in today.deliverable
    )

    return Report(
        on=on,
        days=days,
        business=site.business.name,
        capabilities=health,
        single_points_of_failure=single_points,
        ending=tuple(ending),
        starting=tuple(starting),
        unused_partners=unused,
        overdue_reviews=tuple(overdue),
        reviews_due_soon=tuple(due_soon),
        unoffered_capabilities=unoffered,
        undeliverable_products=undeliverable,
        errors=tuple(e for e in errors if e.is_error),
    )


def report_site(source: Path, on: date, days: int) -> tuple[Report | None, Problems]:
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
    return build_report(site, on, days, problems.errors), problems


# --------------------------------------------------------------------------
# Text


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


def _names(items: Sequence[ItemRef]) -> str:
    return ", ".join(_item(i) for i in items) or "nothing"


def _item(item: ItemRef) -> str:
    if item.path is None:
        return f"'{item.slug}' (not a valid capability)"
    return _keep(f"'{item.title}'")


def _partner(partner: PartnerRef, path: bool = False) -> str:
    where = f", {partner.path}" if path else ""
    return _keep(f"'{partner.name}'") + f" ({partner.disclosure}{where})"


def _in_days(count: int) -> str:
    if count == 0:
        return "today"
    if count == 1:
        return "tomorrow"
    return f"in {_days(count)}"


WIDTH = 80


_KEEP = "\0"  # stands for a space inside a name while wrapping


def _keep(name: str) -> str:
    """A name that wrapping will not break across lines."""
    return name.replace(" ", _KEEP)


def _wrap(line: str) -> list[str]:
    """One finding, wrapped to the terminal width with a hanging indent;
    paths and quoted names are never broken."""
    wrapped = textwrap.wrap(
        line,
        width=WIDTH,
        initial_indent="  ",
        subsequent_indent="      ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [part.replace(_KEEP, " ") for part in wrapped] or [""]


def _section(lines: list[str], title: str, body: list[str], empty: str) -> None:
    heading = f"{title} ({len(body)})" if body else title
    lines.append("")
    lines.append(heading)
    lines.append("-" * len(heading))
    for line in body or [empty]:
        lines.extend(_wrap(line))


def format_text(report: Report) -> str:
    """The report for an 80-column terminal: sections with headings, one
    finding per entry (wrapped with a hanging indent when longer than a line),
    each starting with the file to edit."""
    on, end = report.on, report.window_end
    name = f" for {report.business}" if report.business else ""
    lines = [
        f"Network health report{name}",
        f"{NOTICE}",
        f"as of {on}, looking {_days(report.days)} ahead (to {end})",
    ]

    capabilities = []
    for h in report.capabilities:
        providers = (["in-house"] if h.in_house else []) + [_partner(p) for p in h.partners]
        who = ", ".join(providers) if providers else "nobody (not offered)"
        lead = f"; lead time {h.lead_time}" if h.lead_time else ""
        capabilities.append(f"{_keep(h.capability.title)}: {who}{lead}")
    _section(lines, "Capabilities and their providers", capabilities, "No capabilities.")

    _section(
        lines,
        "Single points of failure",
        [
            f"{s.capability.path}: {_item(s.capability)} has one provider, "
            f"{_partner(s.provider, path=True)}; needed by {_names(s.products)}"
            for s in report.single_points_of_failure
        ],
        "All good: every capability a product needs has a second provider "
        "or is in-house.",
    )

    _section(
        lines,
        f"Alliances ending by {end}",
        [
            f"{e.partner.path}: {_partner(e.partner)} ends on {e.until} "
            f"({_in_days(e.days_left)}); "
            + (
                "; ".join(
                    f"{_item(b.product)} becomes undeliverable (needs {_names(b.missing)})"
                    for b in e.breaks
                )
                if e.breaks
                else "no product depends on it alone"
            )
            for e in report.ending
        ],
        "All good: no alliance ends in this window.",
    )

    _section(
        lines,
        f"Alliances starting by {end} (information)",
        [
            f"{s.partner.path}: {_partner(s.partner)} starts on {s.since} "
            f"({_in_days(s.days_until)}), providing {_names(s.provides)}"
            + (f"; makes {_names(s.enables)} deliverable" if s.enables else "")
            for s in report.starting
        ],
        "None.",
    )

    _section(
        lines,
        "Partners no product uses",
        [
            f"{u.partner.path}: {_partner(u.partner)} provides "
            + (f"{_names(u.provides)}, which no product requires" if u.provides else "nothing")
            for u in report.unused_partners
        ],
        "All good: every active partner provides something a product needs.",
    )

    reviews = [
        f"{r.partner.path}: {_partner(r.partner)} review_by {r.review_by} "
        f"passed {_days(r.days)} ago"
        for r in report.overdue_reviews
    ] + [
        f"{r.partner.path}: {_partner(r.partner)} review_by {r.review_by} "
        f"is due {_in_days(r.days)} (information)"
        for r in report.reviews_due_soon
    ]
    _section(lines, "Partner reviews", reviews, "All good: no review is overdue or due soon.")

    _section(
        lines,
        "Capabilities nobody offers",
        [
            f"{u.capability.path}: {_item(u.capability)} is not in-house and no active "
            f"partner provides it"
            + (f"; required by {_names(u.required_by)}" if u.required_by else "")
            for u in report.unoffered_capabilities
        ],
        "All good: every capability is offered.",
    )

    _section(
        lines,
        "Products that cannot be delivered",
        [
            f"{g.product.path}: {_item(g.product)} is not deliverable on {on}; "
            f"missing {_names(g.missing)}"
            for g in report.undeliverable_products
        ],
        "All good: every product is deliverable.",
    )

    if report.errors:
        count = len(report.errors)
        _section(
            lines,
            "Content errors",
            [
                f"{count} error{'' if count == 1 else 's'} in the content, listed on standard "
                "error (sitegen check shows them too); this report may be incomplete until "
                "they are fixed."
            ],
            "",
        )

    lines.append("")
    count = report.attention
    if report.healthy:
        summary = "all good, nothing needs your attention"
    elif count:
        summary = "1 finding needs" if count == 1 else f"{count} findings need"
        summary += " your attention"
    else:
        summary = "no finding in the network"
    if report.errors:
        errors = len(report.errors)
        summary += f"; {errors} content error{'' if errors == 1 else 's'} to fix"
    lines.append(f"sitegen: {summary}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# JSON


def _partner_json(partner: PartnerRef) -> dict[str, Any]:
    return {
        "slug": partner.slug,
        "name": partner.name,
        "disclosure": partner.disclosure,
        "path": partner.path,
    }


def _item_json(item: ItemRef) -> dict[str, Any]:
    return {"slug": item.slug, "title": item.title, "path": item.path}


def _items_json(items: Iterable[ItemRef]) -> list[dict[str, Any]]:
    return [_item_json(i) for i in items]


def _gap_json(gap: ProductGap) -> dict[str, Any]:
    return {"product": _item_json(gap.product), "missing": _items_json(gap.missing)}


def report_json(report: Report) -> dict[str, Any]:
    """The report as plain data, keys in a fixed order."""
    return {
        "date": report.on.isoformat(),
        "days": report.days,
        "healthy": report.healthy,
        "capabilities": [
            {
                **_item_json(h.capability),
                "in_house": h.in_house,
                "lead_time": h.lead_time,
                "providers": h.provider_count,
                "partners": [_partner_json(p) for p in h.partners],
            }
            for h in report.capabilities
        ],
        "single_points_of_failure": [
            {
                "capability": _item_json(s.capability),
                "provider": _partner_json(s.provider),
                "products": _items_json(s.products),
            }
            for s in report.single_points_of_failure
        ],
        "ending": [
            {
                "partner": _partner_json(e.partner),
                "until": e.until.isoformat(),
                "days_left": e.days_left,
                "breaks": [_gap_json(b) for b in e.breaks],
            }
            for e in report.ending
        ],
        "starting": [
            {
                "partner": _partner_json(s.partner),
                "since": s.since.isoformat(),
                "days_until": s.days_until,
                "provides": _items_json(s.provides),
                "enables": _items_json(s.enables),
            }
            for s in report.starting
        ],
        "unused_partners": [
            {"partner": _partner_json(u.partner), "provides": _items_json(u.provides)}
            for u in report.unused_partners
        ],
        "overdue_reviews": [
            {
                "partner": _partner_json(r.partner),
                "review_by": r.review_by.isoformat(),
                "days_overdue": r.days,
            }
            for r in report.overdue_reviews
        ],
        "reviews_due_soon": [
            {
                "partner": _partner_json(r.partner),
                "review_by": r.review_by.isoformat(),
                "days_left": r.days,
            }
            for r in report.reviews_due_soon
        ],
        "unoffered_capabilities": [
            {"capability": _item_json(u.capability), "required_by": _items_json(u.required_by)}
            for u in report.unoffered_capabilities
        ],
        "undeliverable_products": [_gap_json(g) for g in report.undeliverable_products],
        "errors": [
            {"path": e.path, "line": e.line, "message": e.message} for e in report.errors
        ],
    }


def format_json(report: Report) -> str:
    return json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n"
