"""The report as text for an 80-column terminal: one function per section,
each returning its findings; `format_text` puts them under their headings."""

from __future__ import annotations

import textwrap
from typing import Sequence

from .data import Ending, ItemRef, PartnerRef, Report

NOTICE = "for your eyes only: includes white-label partners; never publish this report"
WIDTH = 80


_KEEP = "\0"  # stands for a space inside a name while wrapping


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
    end = report.window_end
    lines = _header(report)
    _section(lines, "Capabilities and their providers", _capabilities(report), "No capabilities.")
    info = "" if report.strict else " (information)"
    _section(
        lines,
        f"Single points of failure{info}",
        _single_points(report),
        "All good: every capability a product needs has a second provider "
        "or is in-house.",
    )
    _section(
        lines,
        f"Alliances ending by {end}",
        _ending(report),
        "All good: no alliance ends in this window.",
    )
    _section(lines, f"Alliances starting by {end} (information)", _starting(report), "None.")
    _section(
        lines,
        f"Partners no product uses{info}",
        _unused(report),
        "All good: every active partner provides something a product needs.",
    )
    _section(lines, "Partner reviews", _reviews(report), "All good: no review is overdue or due soon.")
    _section(
        lines,
        f"Capabilities nobody offers{info}",
        _unoffered(report),
        "All good: every capability is offered.",
    )
    _section(
        lines,
        "Products that cannot be delivered",
        _undeliverable(report),
        "All good: every product is deliverable.",
    )
    _section(
        lines,
        f"Coming changes by {end} (information)",
        [c.describe() for c in report.coming],
        "None: nothing the site shows is dated in this window.",
    )
    if report.errors:
        _section(lines, "Content errors", [_errors(report)], "")
    lines.append("")
    lines.append(f"sitegen: {_summary(report)}")
    return "\n".join(lines) + "\n"


def _header(report: Report) -> list[str]:
    name = f" for {report.business}" if report.business else ""
    return [
        f"Network health report{name}",
        NOTICE,
        f"as of {report.on}, looking {_days(report.days)} ahead (to {report.window_end})",
    ]


def _capabilities(report: Report) -> list[str]:
    capabilities = []
    for h in report.capabilities:
        providers = (["in-house"] if h.in_house else []) + [_partner(p) for p in h.partners]
        who = ", ".join(providers) if providers else "nobody (not offered)"
        lead = f"; lead time {h.lead_time}" if h.lead_time else ""
        capabilities.append(f"{_keep(h.capability.title)}: {who}{lead}")
    return capabilities


def _single_points(report: Report) -> list[str]:
    return [
        f"{s.capability.path}: {_item(s.capability)} has one provider, "
        f"{_partner(s.provider, path=True)}; needed by {_names(s.products)}"
        for s in report.single_points_of_failure
    ]


def _ending(report: Report) -> list[str]:
    return [_ending_line(e) for e in report.ending]


def _ending_line(e: Ending) -> str:
    if e.breaks:
        effect = "; ".join(
            f"{_item(b.product)} becomes undeliverable (needs {_names(b.missing)})"
            for b in e.breaks
        )
    else:
        effect = "no product depends on it alone"
    return (
        f"{e.partner.path}: {_partner(e.partner)} ends on {e.until} "
        f"({_in_days(e.days_left)}); " + effect
    )


def _starting(report: Report) -> list[str]:
    return [
        f"{s.partner.path}: {_partner(s.partner)} starts on {s.since} "
        f"({_in_days(s.days_until)}), providing {_names(s.provides)}"
        + (f"; makes {_names(s.enables)} deliverable" if s.enables else "")
        for s in report.starting
    ]


def _unused(report: Report) -> list[str]:
    return [
        f"{u.partner.path}: {_partner(u.partner)} provides "
        + (f"{_names(u.provides)}, which no product requires" if u.provides else "nothing")
        for u in report.unused_partners
    ]


def _reviews(report: Report) -> list[str]:
    """Overdue reviews first, then the ones due soon (information)."""
    return [
        f"{r.partner.path}: {_partner(r.partner)} review_by {r.review_by} "
        f"passed {_days(r.days)} ago"
        for r in report.overdue_reviews
    ] + [
        f"{r.partner.path}: {_partner(r.partner)} review_by {r.review_by} "
        f"is due {_in_days(r.days)} (information)"
        for r in report.reviews_due_soon
    ]


def _unoffered(report: Report) -> list[str]:
    return [
        f"{u.capability.path}: {_item(u.capability)} is not in-house and no active "
        f"partner provides it"
        + (f"; required by {_names(u.required_by)}" if u.required_by else "")
        for u in report.unoffered_capabilities
    ]


def _undeliverable(report: Report) -> list[str]:
    return [
        f"{g.product.path}: {_item(g.product)} is not deliverable on {report.on}; "
        f"missing {_names(g.missing)}"
        for g in report.undeliverable_products
    ]


def _errors(report: Report) -> str:
    count = len(report.errors)
    return (
        f"{count} error{'' if count == 1 else 's'} in the content, listed on standard "
        "error (sitegen check shows them too); this report may be incomplete until "
        "they are fixed."
    )


def _summary(report: Report) -> str:
    """The last line: how many findings need attention, and content errors."""
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
    return summary
