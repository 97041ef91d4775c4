"""The next change: the first moment after a build at which the site it
publishes would differ with no file edited, and what changes then.

A static site changes on its own dates: an alliance starts (a partner's
`since`) or ends (the day after its `until`), a product's season opens or
closes (`available_from`, `available_until`), a post dated later is
published. The build summary ends with the first of these that changes
what is published (an alliance that starts or ends while another partner
provides the same capabilities, white-label, changes nothing), so the
owner knows when the live site must be rebuilt (a scheduled rebuild does
it daily). The build date itself (the year in the footer) is not counted.

This is for the owner's terminal, so it names partners, white-label ones
too; nothing here reaches the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING

from .network import derive_network
from .seasons import next_change as season_change

if TYPE_CHECKING:
    from .model import Site

# How far ahead to look: alliances and seasons are planned in months.
HORIZON_DAYS = 3 * 366


@dataclass(frozen=True)
class Change:
    moment: datetime
    what: tuple[str, ...]

    @property
    def when(self) -> str:
        """The day, with the time of day when it is not midnight UTC."""
        return self.moment.date().isoformat() if self.moment.time() == time(0) else self.moment.strftime("%Y-%m-%d %H:%M UTC")

    def describe(self) -> str:
        """When, and what changes then."""
        return f"{self.when}: " + "; ".join(self.what)


def next_change(
    site: Site, now: datetime, include_drafts: bool = False, include_future: bool = False
) -> Change | None:
    """The first change after `now` (see the module docstring), or None
    when nothing is dated within HORIZON_DAYS."""
    today = now.date()
    horizon = today + timedelta(days=HORIZON_DAYS) if (date.max - today).days > HORIZON_DAYS else date.max
    found = coming_changes(site, now, horizon, include_drafts, include_future, first=True)
    return found[0] if found else None


def coming_changes(
    site: Site, now: datetime, until: date, include_drafts: bool = False, include_future: bool = False,
    first: bool = False,
) -> list[Change]:
    """Every change after `now` up to the end of `until`, in order (with
    `first`, only the first)."""
    today = now.date()
    days: set[date] = set()
    for partner in site.partners:
        if partner.since is not None and today < partner.since <= until:
            days.add(partner.since)
        if partner.until is not None and today <= partner.until < until:
            days.add(partner.until + timedelta(days=1))
    for product in site.products:
        edge = season_change(product.available_from, product.available_until, today)
        while edge is not None and edge <= until:
            days.add(edge)
            if first:
                break
            edge = season_change(product.available_from, product.available_until, edge)
    moments: dict[datetime, list[str]] = {}
    for day in sorted(days):
        described = _network_changes(site, day)
        if described:
            moments.setdefault(_midnight(day), []).extend(described)
            if first:
                break  # later days cannot come first
    for post in site.posts:
        if post.date > now and (include_drafts or not post.draft) and post.date.date() <= until:
            # With --future the post is shown already, marked as scheduled.
            what = "loses its Scheduled badge" if include_future else "is published"
            moments.setdefault(post.date.astimezone(timezone.utc), []).append(f"post '{post.title}' {what}")
    found = [Change(moment, tuple(moments[moment])) for moment in sorted(moments)]
    return found[:1] if first else found


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def _network_changes(site: Site, day: date) -> list[str]:
    """What differs on `day` from the day before: alliances that start or
    end, and the products that become available or unavailable."""
    before = derive_network(site.partners, site.capabilities, site.products, day - timedelta(days=1))
    after = derive_network(site.partners, site.capabilities, site.products, day)
    titles = {p.slug: p.title for p in site.products}
    gained = sorted(titles[s] for s in after.available - before.available)
    lost = sorted(titles[s] for s in before.available - after.available)
    credited_before = {p.slug for p in before.active_partners if p.credited}
    credited_after = {p.slug for p in after.active_partners if p.credited}
    if not gained and not lost and before.offered == after.offered and credited_before == credited_after:
        return []
    effects = [f"'{t}' becomes available" for t in gained] + [f"'{t}' becomes unavailable" for t in lost]
    found: list[str] = []
    for partner in site.partners:
        if partner.since == day:
            found.append(f"alliance with '{partner.name}' starts")
        elif partner.until is not None and partner.until < date.max and partner.until + timedelta(days=1) == day:
            found.append(f"alliance with '{partner.name}' ends")
    if found:
        found[-1] += f" ({', '.join(effects)})" if effects else ""
        return found
    return effects or ["the network changes"]
