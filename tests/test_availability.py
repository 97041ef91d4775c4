"""Products that cannot be had today are withdrawn, not failed builds.

The build date is 2026-06-15 (conftest.BUILD_EPOCH). A product whose
capability lost its only partner, a paused product and one out of season
keep their pages, which say they are unavailable and take no orders; they
leave the home page and the product list's main grid; their JSON-LD offer
is out of stock. A missing partner is a warning (a failure with --strict).
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from sitegen.content.seasons import SeasonDay, available_on, back_on, next_change, parse_season_day

COURIER = {
    "content/capabilities/chilled-delivery.md": """
        ---
        title: Chilled delivery
        ---
        Cold boxes to your door.
    """,
    "content/partners/courier.yaml": """
        name: Cold Wheels
        disclosure: white-label
        since: 2025-01-01
        until: 2026-06-14
        provides: [chilled-delivery]
    """,
    "content/products/soup-box.md": """
        ---
        title: Weekly soup box
        price: "30.00"
        currency: EUR
        requires: [design, chilled-delivery]
        featured: true
        ---
        Soup, weekly.
    """,
}


def offers(html: str) -> list[dict]:
    found = []
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
        data = json.loads(block)
        if data.get("@type") == "Product":
            found.append(data["offers"])
    return found


def test_an_alliance_that_ended_withdraws_exactly_the_products_that_needed_it(make_site):
    site = make_site(COURIER)
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert (
        "content/products/soup-box.md:5: warning: product 'Weekly soup box' is withdrawn: it requires capability "
        "'Chilled delivery' (chilled-delivery) that nobody active provides on 2026-06-15; alliance with "
        "'Cold Wheels' (content/partners/courier.yaml) ended on 2026-06-14"
    ) in run.stderr
    page = site.page("/products/soup-box/")
    assert "Currently unavailable." in page
    assert "request-quote" not in page and "Order by email" not in page and 'action="' not in page
    assert offers(page)[0]["availability"] == "https://schema.org/OutOfStock"
    home = site.page("/")
    assert "/products/soup-box/" not in home, "a withdrawn product leaves the home page"
    assert "/products/widget/" in home
    listing = site.page("/products/")
    main, _, unavailable = listing.partition('id="unavailable"')
    assert "/products/widget/" in main and "/products/soup-box/" not in main
    assert "/products/soup-box/" in unavailable
    widget = site.page("/products/widget/")
    assert offers(widget)[0]["availability"] == "https://schema.org/InStock"
    assert "Currently unavailable" not in widget
    everything = b"".join(site.output_bytes().values())
    assert b"Cold Wheels" not in everything and b"courier" not in everything


def test_strict_fails_on_a_withdrawn_product_and_leaves_the_output(make_site):
    site = make_site()
    assert site.build().returncode == 0
    before = site.output_bytes()
    site.write(COURIER)
    run = site.build("--strict")
    assert run.returncode == 1
    assert "is withdrawn" in run.stderr and "(a warning; --strict fails on it)" in run.stderr
    assert site.output_bytes() == before


def test_a_capability_that_does_not_exist_is_still_an_error(make_site):
    site = make_site({"content/products/widget.md": "---\ntitle: Widget\nrequires: [desing]\n---\nA widget.\n"})
    run = site.build()
    assert run.returncode == 1
    assert "requires unknown capability 'desing' (did you mean 'design'?)" in run.stderr


def test_a_paused_product_keeps_its_page_and_takes_no_orders(make_site):
    site = make_site(
        {"content/products/widget.md": "---\ntitle: Widget\nrequires: [design]\nstatus: paused\nprice: 10\ncurrency: EUR\n---\nA widget.\n"}
    )
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert "withdrawn" not in run.stderr, "a pause is the owner's choice: no warning"
    page = site.page("/products/widget/")
    assert "Currently unavailable." in page and "We cannot take orders for it at the moment." in page
    assert "request-quote" not in page
    assert offers(page)[0]["availability"] == "https://schema.org/OutOfStock"
    assert "/products/widget/" not in site.page("/")


@pytest.mark.parametrize(
    "window, shown, back",
    [
        # October to March, across the new year, built on 15 June: out of season.
        (("10-01", "03-31"), False, "Back on 1 October 2026"),
        # April to September: in season.
        (("04-01", "09-30"), True, None),
        # Once, from a date to come.
        (("2026-07-01", None), False, "Back on 1 July 2026"),
        # Once, ended.
        ((None, "2026-06-14"), False, None),
        # Once, ends today (inclusive).
        ((None, "2026-06-15"), True, None),
    ],
)
def test_an_availability_window_decides_on_the_build_date(make_site, window, shown, back):
    start, end = window
    keys = "".join(f"{name}: {value}\n" for name, value in (("available_from", start), ("available_until", end)) if value)
    site = make_site({"content/products/widget.md": f"---\ntitle: Widget\nrequires: [design]\n{keys}---\nSoup.\n"})
    run = site.build()
    assert run.returncode == 0, run.stderr
    page = site.page("/products/widget/")
    assert ("Currently unavailable" not in page) == shown
    if back:
        assert back in page and back in site.page("/products/")


def test_a_season_across_the_new_year_on_both_sides_of_the_boundary():
    start, end = parse_season_day("10-01"), parse_season_day("03-31")
    assert available_on(start, end, date(2026, 12, 31))
    assert available_on(start, end, date(2027, 1, 1))
    assert available_on(start, end, date(2027, 3, 31))
    assert not available_on(start, end, date(2027, 4, 1))
    assert not available_on(start, end, date(2026, 9, 30))
    assert available_on(start, end, date(2026, 10, 1))
    assert back_on(start, end, date(2026, 9, 30)) == date(2026, 10, 1)
    assert back_on(start, end, date(2027, 4, 1)) == date(2027, 10, 1)
    assert next_change(start, end, date(2026, 12, 31)) == date(2027, 4, 1)
    assert next_change(start, end, date(2026, 6, 15)) == date(2026, 10, 1)


def test_season_days_are_read_strictly():
    assert parse_season_day("02-29") == SeasonDay(2, 29)
    assert SeasonDay(2, 29).in_year(2027) == date(2027, 3, 1)
    for bad in ("2-1", "13-01", "02-30", "2026-02-29", "10/01", "0000-01-01", "tomorrow", ""):
        assert parse_season_day(bad) is None, bad


@pytest.mark.parametrize(
    "keys, message",
    [
        ("available_from: October\n", "'available_from' must be a day of the year like 10-01 (every year) or a date like 2027-10-01 (once), got 'October'"),
        ("available_from: 10-01\navailable_until: 2027-03-31\n", "must both be days of the year (10-01) or both be dates"),
        ("status: sold-out\n", "status must be 'available' or 'paused', got 'sold-out'"),
    ],
)
def test_availability_mistakes_are_errors_at_their_line(make_site, keys, message):
    site = make_site({"content/products/widget.md": f"---\ntitle: Widget\nrequires: [design]\n{keys}---\nSoup.\n"})
    run = site.build()
    assert run.returncode == 1
    assert any(line.startswith("content/products/widget.md:") and message in line for line in run.error_lines), run.stderr


def test_the_calendar_s_ends_are_no_crash():
    start, end = parse_season_day("10-01"), parse_season_day("03-31")
    assert next_change(start, end, date(9999, 12, 31)) is None
    assert next_change(start, end, date(9999, 6, 1)) == date(9999, 10, 1)
    assert back_on(start, end, date(9999, 6, 1)) == date(9999, 10, 1)
    assert next_change(start, end, date(1, 1, 1)) == date(1, 4, 1)


def test_a_build_at_the_end_of_time_has_no_next_change_and_no_crash(make_site):
    site = make_site({"content/products/widget.md": "---\ntitle: Widget\nrequires: [design]\navailable_from: 10-01\navailable_until: 03-31\n---\nW.\n",
                      "content/partners/p.yaml": "name: P\nprovides: [design]\nuntil: 9999-12-31\n"})
    run = site.run("build", env={"SOURCE_DATE_EPOCH": "253402300799"})
    assert run.returncode == 0, run.stderr
    assert "internal error" not in run.stderr


def test_a_leap_day_gap_within_the_window_is_a_change():
    """03-01 to 02-28 every year leaves out 29 February of leap years."""
    start, end = parse_season_day("03-01"), parse_season_day("02-28")
    assert next_change(start, end, date(2026, 6, 15)) == date(2028, 2, 29)


def test_only_ascii_digits_and_ordered_dates():
    assert parse_season_day("２０２６-01-01") is None


def test_a_dated_window_that_ends_before_it_starts_is_an_error(make_site):
    site = make_site({"content/products/widget.md": "---\ntitle: Widget\nrequires: [design]\navailable_from: 2026-10-01\navailable_until: 2026-03-31\n---\nW.\n"})
    run = site.build()
    assert run.returncode == 1
    assert "'available_until' (2026-03-31) is before 'available_from' (2026-10-01)" in run.stderr
