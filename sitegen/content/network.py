"""The alliance network on a build date, derived from the model (DESIGN.md
section 2): who is active, which capabilities are offered, which products
are deliverable and which are for sale; and the cross-reference checks
that name the partner whose alliance ended. A product that is not for sale
is withdrawn, not a failed build: a warning names what it lacks. Reads
model objects; never decides what is public."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import Problems
from .slugs import slugify

if TYPE_CHECKING:
    from .model import Capability, Partner, Product


@dataclass(frozen=True)
class Network:
    """The alliance as it stands on `on`: who is active, what is offered."""

    on: date
    active_partners: tuple[Partner, ...]
    providers: Mapping[str, tuple[Partner, ...]]
    offered: frozenset[str]
    deliverable: frozenset[str]  # every capability it needs is offered
    available: frozenset[str]  # deliverable, not paused and in its season: for sale


def derive_network(
    partners: tuple[Partner, ...],
    capabilities: tuple[Capability, ...],
    products: tuple[Product, ...],
    on: date,
) -> Network:
    active = tuple(p for p in partners if p.is_active(on))
    providers = {c.slug: tuple(p for p in active if c.slug in p.provides) for c in capabilities}
    offered = frozenset(c.slug for c in capabilities if c.in_house or providers[c.slug])
    deliverable = frozenset(p.slug for p in products if all(r in offered for r in p.requires))
    available = frozenset(p.slug for p in products if p.slug in deliverable and not p.withdrawn_by_choice(on))
    return Network(
        on=on, active_partners=active, providers=providers, offered=offered, deliverable=deliverable,
        available=available,
    )


References = dict[str, list[tuple[str, int]]]  # file slug -> (raw reference, line)


def check_network(
    site_partners: tuple[Partner, ...],
    capabilities: tuple[Capability, ...],
    products: tuple[Product, ...],
    network: Network,
    partner_refs: References,
    product_refs: References,
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
                    f"partner '{partner.name}' provides unknown capability '{raw}'" + _did_you_mean(slug, known),
                )
    for product in products:
        for raw, line in product_refs.get(product.slug, []):
            _check_requirement(product, raw, line, known, site_partners, network, problems, broken)
    for capability in capabilities:
        if capability.slug not in network.offered:
            problems.warning(
                capability.source.path,
                capability.source.line,
                f"capability '{capability.title}' is not published: it is not "
                "in_house and no active partner provides it",
            )


def check_sells(
    partners: tuple[Partner, ...],
    products: tuple[Product, ...],
    sells_refs: References,
    problems: Problems,
    broken: frozenset[str] | set[str] = frozenset(),
) -> None:
    """A partner's `sells` must name products (files whose own errors are
    reported already, `broken`, are not reported again)."""
    known = {p.slug: p for p in products}
    for partner in partners:
        for raw, line in sells_refs.get(partner.slug, []):
            slug = slugify(raw)
            if slug not in known and slug not in broken:
                problems.error(
                    partner.source.path,
                    line,
                    f"partner '{partner.name}' sells unknown product '{raw}'" + _did_you_mean(slug, known, "products"),
                )


def _check_requirement(
    product: Product,
    raw: str,
    line: int,
    known: dict[str, Capability],
    site_partners: tuple[Partner, ...],
    network: Network,
    problems: Problems,
    broken: frozenset[str] | set[str],
) -> None:
    slug = slugify(raw)
    if slug in broken:
        return
    if slug not in known:
        problems.error(
            product.source.path,
            line,
            f"product '{product.title}' requires unknown capability '{raw}'" + _did_you_mean(slug, known),
        )
        return
    if slug in network.offered:
        return
    inactive = [p for p in site_partners if slug in p.provides and not p.is_active(network.on)]
    if inactive:
        why = "; alliance with " + ", ".join(_describe_inactive(p, network.on) for p in inactive)
    else:
        why = "; no partner provides it and it is not in_house"
    # Withdrawn, not a failed build (the network changes on its own dates):
    # its page stays and says it is unavailable. --strict makes it fail.
    problems.warning(
        product.source.path,
        line,
        f"product '{product.title}' is withdrawn: it requires capability "
        f"'{known[slug].title}' ({slug}) that nobody active provides on {network.on}{why}",
    )


def _describe_inactive(partner: Partner, on: date) -> str:
    if partner.since is not None and on < partner.since:
        return f"'{partner.name}' ({partner.source.path}) starts on {partner.since}"
    return f"'{partner.name}' ({partner.source.path}) ended on {partner.until}"


def _did_you_mean(slug: str, known: Mapping[str, Any], folder: str = "capabilities") -> str:
    hint = difflib.get_close_matches(slug, list(known), n=1)
    if hint:
        return f" (did you mean '{hint[0]}'?)"
    if known:
        return f" (known: {', '.join(sorted(known))})"
    return f" (there are no files in content/{folder}/)"
