"""`sitegen report`: the network health report, for the owner only.

The fixture's "today" is 2026-06-15 (SOURCE_DATE_EPOCH); the CLI tests run
the real command line, the unit tests call `build_report` on a model built
in-process.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from sitegen.errors import Problems
from sitegen.content.load import load_site
from sitegen.content.builders import build_model
from sitegen.report import build_report, format_json, format_text

TODAY = date(2026, 6, 15)


def partner(name: str, provides: list[str], disclosure: str = "credited", **extra: str) -> str:
    lines = [f"name: {name}", f"disclosure: {disclosure}", "kind: supplier"]
    lines.append("provides: [" + ", ".join(provides) + "]")
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def capability(title: str, in_house: bool = False, lead_time: str | None = None) -> str:
    extra = f"lead_time: {lead_time}\n" if lead_time else ""
    return (
        f"---\ntitle: {title}\nin_house: {'true' if in_house else 'false'}\n{extra}---\n"
        f"Body of {title}.\n"
    )


def product(title: str, requires: list[str]) -> str:
    return f"---\ntitle: {title}\nrequires: [{', '.join(requires)}]\n---\nAbout {title}.\n"


def flat(text: str) -> str:
    """The text with every run of whitespace as one space (findings wrap)."""
    return " ".join(text.split())


# A site with one of each problem (plus the fixture's in-house Design):
#   dyeing  <- Dye Works only, ending 2026-07-05 (in 20 days) => Scarf breaks then
#                                                              (and a single point today)
#   sewing  <- Stitch Ltd only                                => single point of failure
#   polish  <- Shine Co; no product requires polish           => unused partner
TROUBLED = {
    "content/capabilities/dyeing.md": capability("Dyeing", lead_time="2 weeks"),
    "content/capabilities/sewing.md": capability("Sewing"),
    "content/capabilities/polish.md": capability("Polishing"),
    "content/products/scarf.md": product("Scarf", ["dyeing", "design"]),
    "content/products/shirt.md": product("Shirt", ["sewing", "design"]),
    "content/partners/dye-works.yaml": partner("Dye Works", ["dyeing"], until="2026-07-05"),
    "content/partners/stitch.yaml": partner("Stitch Ltd", ["sewing"], since="2020-01-01"),
    "content/partners/shine.yaml": partner("Shine Co", ["polish"]),
}


def model_of(root: Path, on: date = TODAY):
    problems = Problems(root)
    site = build_model(load_site(root, problems), problems, on)
    return site, problems


# --------------------------------------------------------------------------
# The command line


def test_healthy_site_exits_0_and_says_all_good(make_site):
    site = make_site(
        {
            "content/capabilities/sewing.md": capability("Sewing"),
            "content/products/shirt.md": product("Shirt", ["sewing"]),
            "content/partners/a.yaml": partner("Stitch A", ["sewing"]),
            "content/partners/b.yaml": partner("Stitch B", ["sewing"], review_by="2027-01-01"),
        }
    )
    result = site.run("report")
    assert result.returncode == 0, result.stdout + result.stderr
    out = flat(result.stdout)
    assert "for your eyes only: includes white-label partners" in out
    assert "as of 2026-06-15, looking 60 days ahead (to 2026-08-14)" in out
    assert "Sewing: 'Stitch A' (credited), 'Stitch B' (credited)" in out
    assert "All good: every capability a product needs has a second provider" in out
    assert "sitegen: all good, nothing needs your attention" in out
    assert result.stderr == ""
    data = json.loads(site.run("report", "--format", "json").stdout)
    assert data["healthy"] is True


def test_minimal_site_in_house_only_is_healthy(make_site):
    # The fixture's only capability is in-house with no partner: one
    # provider, but not a point of failure of the network.
    result = make_site().run("report")
    assert result.returncode == 0, result.stdout
    assert "Design: in-house" in result.stdout


def test_troubled_site_prints_each_finding_and_exits_1(make_site):
    site = make_site(TROUBLED)
    # The real `python -m sitegen`: the report reaches a pipe through the
    # flush before os._exit, with its exit status.
    result = site.run("report", subprocess=True)
    assert result.returncode == 1, result.stdout + result.stderr
    out = flat(result.stdout)
    assert (
        "content/partners/dye-works.yaml: 'Dye Works' (credited) ends on 2026-07-05 "
        "(in 20 days); 'Scarf' becomes undeliverable (needs 'Dyeing')"
    ) in out
    assert (
        "content/capabilities/sewing.md: 'Sewing' has one provider, 'Stitch Ltd' "
        "(credited, content/partners/stitch.yaml); needed by 'Shirt'"
    ) in out
    assert "content/partners/shine.yaml: 'Shine Co' (credited) provides 'Polishing', which no product requires" in out
    assert "Dyeing: 'Dye Works' (credited); lead time 2 weeks" in out
    # Only the ending that withdraws Scarf needs action (#14): single points
    # of failure and the unused partner are information, unless --strict.
    assert "sitegen: 1 finding needs your attention" in out
    assert "Single points of failure (information) (2)" in out
    strict = site.run("report", "--strict")
    assert strict.returncode == 1
    assert "sitegen: 4 findings need your attention" in flat(strict.stdout)
    # Dyeing today also has one provider that Scarf needs.
    assert "content/capabilities/dyeing.md: 'Dyeing' has one provider" in out
    for line in result.stdout.splitlines():
        assert len(line) <= 80, line


def test_troubled_site_json_parses_with_each_finding(make_site):
    site = make_site(TROUBLED)
    result = site.run("report", "--format", "json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert list(data) == [
        "date",
        "days",
        "healthy",
        "capabilities",
        "single_points_of_failure",
        "ending",
        "starting",
        "unused_partners",
        "overdue_reviews",
        "reviews_due_soon",
        "unoffered_capabilities",
        "undeliverable_products",
        "coming_changes",
        "strict",
        "errors",
    ]
    # Dye Works' end is dated in the window, and withdraws Scarf.
    assert data["coming_changes"] == [
        {"moment": "2026-07-06T00:00:00Z", "what": ["alliance with 'Dye Works' ends ('Scarf' becomes unavailable)"]}
    ]
    assert data["date"] == "2026-06-15" and data["days"] == 60 and data["healthy"] is False
    [ending] = data["ending"]
    assert ending["partner"] == {
        "slug": "dye-works",
        "name": "Dye Works",
        "disclosure": "credited",
        "path": "content/partners/dye-works.yaml",
    }
    assert ending["until"] == "2026-07-05" and ending["days_left"] == 20
    assert [b["product"]["slug"] for b in ending["breaks"]] == ["scarf"]
    assert ending["breaks"][0]["missing"] == [
        {"slug": "dyeing", "title": "Dyeing", "path": "content/capabilities/dyeing.md"}
    ]
    spofs = {s["capability"]["slug"]: s for s in data["single_points_of_failure"]}
    assert sorted(spofs) == ["dyeing", "sewing"]
    assert spofs["sewing"]["provider"]["slug"] == "stitch"
    assert [p["slug"] for p in spofs["sewing"]["products"]] == ["shirt"]
    assert [u["partner"]["slug"] for u in data["unused_partners"]] == ["shine"]
    assert data["undeliverable_products"] == [] and data["errors"] == []
    capabilities = {c["slug"]: c for c in data["capabilities"]}
    assert capabilities["design"]["in_house"] is True and capabilities["design"]["providers"] == 1
    assert capabilities["dyeing"]["lead_time"] == "2 weeks"


def test_days_excludes_an_ending_beyond_the_window(make_site):
    site = make_site(TROUBLED)
    result = site.run("report", "--days", "10")
    out = flat(result.stdout)
    assert "Dye Works' (credited) ends" not in out
    assert "All good: no alliance ends in this window." in out
    assert "as of 2026-06-15, looking 10 days ahead (to 2026-06-25)" in out
    data = json.loads(site.run("report", "--days", "10", "--format", "json").stdout)
    assert data["ending"] == [] and data["days"] == 10
    # The window's last day is included.
    data = json.loads(site.run("report", "--days", "20", "--format", "json").stdout)
    assert [e["partner"]["slug"] for e in data["ending"]] == ["dye-works"]


def test_ending_without_breaking_is_information_only(make_site):
    site = make_site(
        {
            "content/capabilities/sewing.md": capability("Sewing"),
            "content/products/shirt.md": product("Shirt", ["sewing"]),
            "content/partners/a.yaml": partner("Stitch A", ["sewing"], until="2026-07-01"),
            "content/partners/b.yaml": partner("Stitch B", ["sewing"]),
        }
    )
    result = site.run("report")
    assert result.returncode == 0, result.stdout
    assert "'Stitch A' (credited) ends on 2026-07-01 (in 16 days); no product depends on it alone" in flat(result.stdout)


def test_overdue_review_is_reported(make_site):
    site = make_site(
        {
            "content/capabilities/design.md": capability("Design", in_house=True),
            "content/capabilities/sewing.md": capability("Sewing"),
            "content/products/shirt.md": product("Shirt", ["design"]),
            "content/products/coat.md": product("Coat", ["sewing"]),
            "content/partners/a.yaml": partner("Stitch A", ["sewing"], review_by="2026-05-31"),
            "content/partners/b.yaml": partner("Stitch B", ["sewing"], review_by="2026-07-01"),
        }
    )
    result = site.run("report")
    assert result.returncode == 1
    out = flat(result.stdout)
    assert "content/partners/a.yaml: 'Stitch A' (credited) review_by 2026-05-31 passed 15 days ago" in out
    assert "content/partners/b.yaml: 'Stitch B' (credited) review_by 2026-07-01 is due in 16 days (information)" in out
    data = json.loads(site.run("report", "--format", "json").stdout)
    assert data["overdue_reviews"] == [
        {
            "partner": {
                "slug": "a",
                "name": "Stitch A",
                "disclosure": "credited",
                "path": "content/partners/a.yaml",
            },
            "review_by": "2026-05-31",
            "days_overdue": 15,
        }
    ]
    assert [r["partner"]["slug"] for r in data["reviews_due_soon"]] == ["b"]


def test_white_label_partner_is_named_but_nothing_is_written(make_site):
    site = make_site(
        {
            "content/capabilities/sewing.md": capability("Sewing"),
            "content/products/shirt.md": product("Shirt", ["sewing"]),
            "content/partners/secret.yaml": partner("Secret Stitchers", ["sewing"], disclosure="white-label"),
        }
    )
    before = sorted(p.relative_to(site.root) for p in site.root.rglob("*"))
    result = site.run("report")
    # Secret Stitchers is a single point of failure: information (#14), and
    # a failure with --strict.
    assert result.returncode == 0
    assert site.run("report", "--strict").returncode == 1
    out = flat(result.stdout)
    assert out.splitlines()[0].startswith("Network health report for Test Co")
    assert "for your eyes only: includes white-label partners" in out
    assert "'Secret Stitchers' (white-label, content/partners/secret.yaml)" in out
    json_run = site.run("report", "--format", "json")
    assert json.loads(json_run.stdout)["capabilities"][1]["partners"][0]["name"] == "Secret Stitchers"
    assert not site.public.exists()
    assert sorted(p.relative_to(site.root) for p in site.root.rglob("*")) == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["--days", "-1"], "--days: must be a whole number of days from 0 to 36500, got '-1'"),
        (["--days", "soon"], "--days: must be a whole number of days from 0 to 36500, got 'soon'"),
        (["--days", "1e9"], "--days: must be a whole number of days from 0 to 36500, got '1e9'"),
        (["--days", "99999999999"], "--days: must be a whole number of days from 0 to 36500, got '99999999999'"),
        (["--date", "2026-02-30"], "--date: must be a date like 2026-06-15, got '2026-02-30'"),
        (["--date", "tomorrow"], "--date: must be a date like 2026-06-15, got 'tomorrow'"),
        (["--date", "20260615"], "--date: must be a date like 2026-06-15, got '20260615'"),
    ],
)
def test_bad_days_or_date_is_a_one_line_usage_error(make_site, args, message):
    result = make_site().run("report", *args)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [message]
    assert result.stdout == ""


def test_date_reports_as_of_another_day(make_site):
    site = make_site(TROUBLED)
    data = json.loads(site.run("report", "--date", "2026-07-10", "--format", "json").stdout)
    assert data["date"] == "2026-07-10"
    # Dye Works has ended by then: Scarf is not deliverable. A build withdraws
    # it with a warning (#14), so it is no content error.
    assert [g["product"]["slug"] for g in data["undeliverable_products"]] == ["scarf"]
    assert not any("nobody active provides" in e["message"] for e in data["errors"])


def test_content_error_is_printed_first_and_exits_1(make_site):
    site = make_site(
        {
            "content/capabilities/sewing.md": capability("Sewing"),
            "content/products/shirt.md": product("Shirt", ["sewing"]),
            "content/partners/a.yaml": partner("Stitch A", ["sewing"]),
            "content/partners/b.yaml": partner("Stitch B", ["sewing"], until="someday"),
        }
    )
    result = site.run("report")
    assert result.returncode == 1
    assert result.error_lines == [
        "content/partners/b.yaml:5: 'until' must be a date like 2024-05-31 (or 2024-05-31 14:30), got 'someday'"
    ]
    assert "sitegen: 1 error in the content" in result.stderr
    out = flat(result.stdout)
    assert "1 error in the content, listed on standard error" in out
    assert "sitegen: no finding in the network; 1 content error to fix" in out
    data = json.loads(site.run("report", "--format", "json").stdout)
    assert data["healthy"] is False
    assert data["errors"] == [
        {
            "path": "content/partners/b.yaml",
            "line": 5,
            "message": "'until' must be a date like 2024-05-31 (or 2024-05-31 14:30), got 'someday'",
        }
    ]


def test_no_site_here_is_an_error_without_a_report(make_site, tmp_path):
    site = make_site()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = site.run("report", "--source", str(empty))
    assert result.returncode == 1
    assert "no content/ folder here" in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------
# build_report on a model built in-process


def test_build_report_finds_the_troubled_sites_problems(make_site):
    site = make_site(TROUBLED)
    model, problems = model_of(site.root)
    assert not problems.has_errors(), [p.format() for p in problems.errors]
    report = build_report(model, TODAY, 60)
    assert not report.healthy
    assert [s.capability.slug for s in report.single_points_of_failure] == ["dyeing", "sewing"]
    assert [(e.partner.slug, e.days_left) for e in report.ending] == [("dye-works", 20)]
    assert [b.product.slug for b in report.ending[0].breaks] == ["scarf"]
    assert [u.partner.slug for u in report.unused_partners] == ["shine"]
    assert report.attention == 1  # the ending that withdraws Scarf (#14)
    assert replace(report, strict=True).attention == 4
    assert report.undeliverable_products == () and report.unoffered_capabilities == ()
    json.loads(format_json(report))
    assert "Dye Works" in format_text(report)


def test_build_report_uses_its_own_date_not_the_models(make_site):
    site = make_site(TROUBLED)
    model, _ = model_of(site.root)
    report = build_report(model, date(2026, 8, 1), 60)
    assert [g.product.slug for g in report.undeliverable_products] == ["scarf"]
    assert [(g.slug, g.path) for g in report.undeliverable_products[0].missing] == [
        ("dyeing", "content/capabilities/dyeing.md")
    ]
    assert [u.capability.slug for u in report.unoffered_capabilities] == ["dyeing"]
    assert report.ending == ()


def test_a_replacement_starting_in_time_means_nothing_breaks(make_site):
    site = make_site(
        {
            **TROUBLED,
            "content/partners/new-dyer.yaml": partner("New Dyer", ["dyeing"], since="2026-07-06"),
        }
    )
    model, _ = model_of(site.root)
    report = build_report(model, TODAY, 60)
    assert [(e.partner.slug, e.breaks) for e in report.ending] == [("dye-works", ())]
    [starting] = report.starting
    assert (starting.partner.slug, starting.since, starting.days_until) == ("new-dyer", date(2026, 7, 6), 21)
    assert [c.slug for c in starting.provides] == ["dyeing"]
    # On 2026-07-06 Dye Works is gone, so the newcomer is what keeps Scarf.
    assert [p.slug for p in starting.enables] == ["scarf"]
    assert "'New Dyer' (credited) starts on 2026-07-06 (in 21 days), providing 'Dyeing'; makes 'Scarf' deliverable" in flat(format_text(report))


def test_a_replacement_starting_too_late_still_breaks(make_site):
    site = make_site(
        {
            **TROUBLED,
            "content/partners/new-dyer.yaml": partner("New Dyer", ["dyeing"], since="2026-07-07"),
        }
    )
    model, _ = model_of(site.root)
    report = build_report(model, TODAY, 60)
    assert [b.product.slug for b in report.ending[0].breaks] == ["scarf"]


def test_two_providers_ending_together_are_both_blamed(make_site):
    site = make_site(
        {
            "content/capabilities/sewing.md": capability("Sewing"),
            "content/products/shirt.md": product("Shirt", ["sewing"]),
            "content/partners/a.yaml": partner("Stitch A", ["sewing"], until="2026-07-01"),
            "content/partners/b.yaml": partner("Stitch B", ["sewing"], until="2026-07-01"),
            "content/partners/c.yaml": partner("Stitch C", ["sewing"], until="2026-08-01"),
        }
    )
    model, _ = model_of(site.root)
    report = build_report(model, TODAY, 60)
    breaks = {e.partner.slug: [b.product.slug for b in e.breaks] for e in report.ending}
    # A and B end together while C remains: nothing breaks then; C is last.
    assert breaks == {"a": [], "b": [], "c": ["shirt"]}
    model2, _ = model_of(
        make_site({"content/partners/c.yaml": None}).root
    )
    report2 = build_report(model2, TODAY, 60)
    assert {e.partner.slug: [b.product.slug for b in e.breaks] for e in report2.ending} == {
        "a": ["shirt"],
        "b": ["shirt"],
    }


def test_in_house_plus_one_partner_is_not_a_single_point(make_site):
    site = make_site(
        {
            "content/capabilities/design.md": capability("Design", in_house=True),
            "content/partners/a.yaml": partner("Studio A", ["design"]),
        }
    )
    model, _ = model_of(site.root)
    report = build_report(model, TODAY, 60)
    [design] = report.capabilities
    assert design.provider_count == 2 and design.in_house
    assert report.single_points_of_failure == ()
    assert report.healthy


def test_spof_ignores_products_that_cannot_be_delivered_anyway(make_site):
    site = make_site(
        {
            "content/capabilities/sewing.md": capability("Sewing"),
            "content/capabilities/weaving.md": capability("Weaving"),
            "content/products/rug.md": product("Rug", ["sewing", "weaving"]),
            "content/partners/a.yaml": partner("Stitch A", ["sewing"]),
        }
    )
    model, _ = model_of(site.root)
    report = build_report(model, TODAY, 60)
    assert report.single_points_of_failure == ()
    assert [(g.product.slug, [m.slug for m in g.missing]) for g in report.undeliverable_products] == [
        ("rug", ["weaving"])
    ]
    assert [(u.capability.slug, [p.slug for p in u.required_by]) for u in report.unoffered_capabilities] == [
        ("weaving", ["rug"])
    ]


def test_unused_partners_include_those_providing_nothing_but_not_inactive_ones(make_site):
    site = make_site(
        {
            "content/partners/idle.yaml": "name: Idle Ltd\n",
            "content/partners/old.yaml": partner("Old Co", ["polish"], until="2026-01-01"),
            "content/partners/design.yaml": partner("Design Co", ["design"]),
            "content/capabilities/polish.md": capability("Polishing"),
        }
    )
    model, _ = model_of(site.root)
    report = build_report(model, TODAY, 60)
    assert [(u.partner.slug, u.provides) for u in report.unused_partners] == [("idle", ())]
    assert "'Idle Ltd' (white-label) provides nothing" in flat(format_text(report))


def test_reviews_of_ended_partners_are_not_reported(make_site):
    site = make_site(
        {
            "content/partners/old.yaml": partner("Old Co", ["design"], until="2026-01-01", review_by="2025-12-01"),
            "content/partners/soon.yaml": partner("Soon Co", ["design"], since="2026-09-01", review_by="2026-06-01"),
        }
    )
    model, _ = model_of(site.root)
    report = build_report(model, TODAY, 60)
    assert [r.partner.slug for r in report.overdue_reviews] == ["soon"]
    assert report.overdue_reviews[0].days == 14


def test_report_window_is_clamped_at_the_end_of_the_calendar(make_site):
    site = make_site({"content/partners/a.yaml": partner("Studio A", ["design"], until="9999-12-31")})
    model, _ = model_of(site.root, date(9999, 12, 30))
    report = build_report(model, date(9999, 12, 30), 36500)
    assert report.window_end == date.max
    assert report.ending == ()
    format_text(report)
    with pytest.raises(ValueError):
        build_report(model, TODAY, -1)


# --------------------------------------------------------------------------
# What needs action, and the coming changes (#14)


@pytest.mark.parametrize(
    "files, needs_action",
    [
        # A single point of failure and an unused partner: information only.
        ({"content/capabilities/sewing.md": capability("Sewing"),
          "content/products/shirt.md": product("Shirt", ["sewing"]),
          "content/partners/a.yaml": partner("Stitch A", ["sewing"]),
          "content/partners/idle.yaml": partner("Idle Co", [])}, False),
        # An overdue review.
        ({"content/partners/a.yaml": partner("Stitch A", ["design"], review_by="2026-06-01")}, True),
        # A product withdrawn today for want of a provider.
        ({"content/capabilities/sewing.md": capability("Sewing"),
          "content/products/shirt.md": product("Shirt", ["sewing"]),
          "content/partners/a.yaml": partner("Stitch A", ["sewing"], until="2026-06-01")}, True),
        # An alliance ending in the window that withdraws a product.
        ({"content/capabilities/sewing.md": capability("Sewing"),
          "content/products/shirt.md": product("Shirt", ["sewing"]),
          "content/partners/a.yaml": partner("Stitch A", ["sewing"], until="2026-07-01")}, True),
        # A season closing, a paused product: the owner's choice, information.
        ({"content/products/widget.md": "---\ntitle: Widget\nrequires: [design]\navailable_until: 07-31\n---\nW.\n",
          "content/products/paused.md": "---\ntitle: Paused\nrequires: [design]\nstatus: paused\n---\nP.\n"}, False),
    ],
    ids=["information-only", "overdue-review", "withdrawn-today", "ending-withdraws", "season-and-pause"],
)
def test_report_exits_1_only_when_something_needs_action(make_site, files, needs_action):
    site = make_site(files)
    result = site.run("report")
    assert result.returncode == (1 if needs_action else 0), result.stdout + result.stderr


def test_report_lists_the_coming_changes_in_its_window(make_site):
    site = make_site({
        "content/products/widget.md": "---\ntitle: Widget\nrequires: [design]\navailable_until: 07-31\n---\nW.\n",
        "content/posts/later.md": "---\ntitle: Later\ndate: 2026-06-20\n---\nSoon.\n",
        "content/posts/far.md": "---\ntitle: Far away\ndate: 2026-12-20\n---\nLater.\n",
    })
    result = site.run("report", "--days", "60")
    assert result.returncode == 0
    out = flat(result.stdout)
    assert "Coming changes by 2026-08-14 (information) (2)" in out
    assert "2026-06-20: post 'Later' is published" in out
    assert "2026-08-01: 'Widget' becomes unavailable" in out
    assert "Far away" not in out


def test_a_paused_product_missing_a_provider_needs_no_action(make_site):
    """The owner paused it: the report does not call for action every day."""
    site = make_site({
        "content/capabilities/sewing.md": capability("Sewing"),
        "content/products/shirt.md": "---\ntitle: Shirt\nrequires: [sewing]\nstatus: paused\n---\nS.\n",
        "content/partners/a.yaml": partner("Stitch A", ["sewing"], until="2026-06-01"),
    })
    assert site.run("report").returncode == 0
