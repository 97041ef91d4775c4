"""The report as JSON for scripts: one object, keys in a fixed order."""

from __future__ import annotations

import json
from typing import Any, Iterable

from .data import (
    CapabilityHealth,
    Ending,
    ItemRef,
    PartnerRef,
    ProductGap,
    Report,
    Review,
    SinglePoint,
    Starting,
)


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


def _health_json(h: CapabilityHealth) -> dict[str, Any]:
    return {
        **_item_json(h.capability),
        "in_house": h.in_house,
        "lead_time": h.lead_time,
        "providers": h.provider_count,
        "partners": [_partner_json(p) for p in h.partners],
    }


def _single_point_json(s: SinglePoint) -> dict[str, Any]:
    return {
        "capability": _item_json(s.capability),
        "provider": _partner_json(s.provider),
        "products": _items_json(s.products),
    }


def _ending_json(e: Ending) -> dict[str, Any]:
    return {
        "partner": _partner_json(e.partner),
        "until": e.until.isoformat(),
        "days_left": e.days_left,
        "breaks": [_gap_json(b) for b in e.breaks],
    }


def _starting_json(s: Starting) -> dict[str, Any]:
    return {
        "partner": _partner_json(s.partner),
        "since": s.since.isoformat(),
        "days_until": s.days_until,
        "provides": _items_json(s.provides),
        "enables": _items_json(s.enables),
    }


def _review_json(r: Review, days_key: str) -> dict[str, Any]:
    """`days_key` is days_overdue or days_left: what `r.days` counts."""
    return {
        "partner": _partner_json(r.partner),
        "review_by": r.review_by.isoformat(),
        days_key: r.days,
    }


def report_json(report: Report) -> dict[str, Any]:
    """The report as plain data, keys in a fixed order."""
    return {
        "date": report.on.isoformat(),
        "days": report.days,
        "healthy": report.healthy,
        "capabilities": [_health_json(h) for h in report.capabilities],
        "single_points_of_failure": [
            _single_point_json(s) for s in report.single_points_of_failure
        ],
        "ending": [_ending_json(e) for e in report.ending],
        "starting": [_starting_json(s) for s in report.starting],
        "unused_partners": [
            {"partner": _partner_json(u.partner), "provides": _items_json(u.provides)}
            for u in report.unused_partners
        ],
        "overdue_reviews": [_review_json(r, "days_overdue") for r in report.overdue_reviews],
        "reviews_due_soon": [_review_json(r, "days_left") for r in report.reviews_due_soon],
        "unoffered_capabilities": [
            {"capability": _item_json(u.capability), "required_by": _items_json(u.required_by)}
            for u in report.unoffered_capabilities
        ],
        "undeliverable_products": [_gap_json(g) for g in report.undeliverable_products],
        "coming_changes": [
            {"moment": c.moment.isoformat().replace("+00:00", "Z"), "what": list(c.what)} for c in report.coming
        ],
        "strict": report.strict,
        "errors": [
            {"path": e.path, "line": e.line, "message": e.message} for e in report.errors
        ],
    }


def format_json(report: Report) -> str:
    return json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n"
