"""The build summary's last line: the next day the published site changes
with no file edited (#14 item 3). The build date is 2026-06-15."""

from __future__ import annotations

import pytest

COURIER = """
    name: Lakeshore Freight
    disclosure: white-label
    since: 2025-01-01
    until: {until}
    provides: [delivery]
"""
DELIVERY = "---\ntitle: Delivery\n---\nTo your door.\n"
VOYAGER = "---\ntitle: Voyager 16\nrequires: [design, delivery]\n---\nA boat.\n"


def courier_site(make_site, until: str):
    """A product whose delivery only Lakeshore Freight provides, until `until`."""
    return make_site({
        "content/capabilities/delivery.md": DELIVERY,
        "content/partners/lakeshore.yaml": COURIER.format(until=until),
        "content/products/voyager.md": VOYAGER,
    })


def summary_lines(run) -> list[str]:
    return [line for line in run.stdout.splitlines() if line.startswith("sitegen: next change")]


def test_an_alliance_ending_names_the_partner_and_what_becomes_unavailable(make_site):
    site = courier_site(make_site, "2027-01-15")
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert summary_lines(run) == [
        "sitegen: next change 2027-01-16: alliance with 'Lakeshore Freight' ends ('Voyager 16' becomes unavailable)"
    ]
    assert b"Lakeshore" not in b"".join(site.output_bytes().values()), "the terminal may name it; the site never"
    again = site.build()
    assert "unchanged)" in again.stdout, "the no-change build"
    assert summary_lines(again) == summary_lines(run), "a no-change build says it again"


def test_an_alliance_starting(make_site):
    site = make_site({
        "content/capabilities/delivery.md": DELIVERY,
        "content/partners/newbie.yaml": "name: Newbie Vans\ndisclosure: credited\nsince: 2026-09-01\nprovides: [delivery]\n",
        "content/products/voyager.md": VOYAGER,
    })
    run = site.build()
    assert summary_lines(run) == [
        "sitegen: next change 2026-09-01: alliance with 'Newbie Vans' starts ('Voyager 16' becomes available)"
    ]


def test_a_second_provider_ending_changes_nothing_and_is_not_the_next_change(make_site):
    site = make_site({
        "content/capabilities/delivery.md": DELIVERY,
        "content/partners/lakeshore.yaml": COURIER.format(until="2026-07-01"),
        "content/partners/other.yaml": "name: Other Co\ndisclosure: white-label\nprovides: [delivery]\n",
        "content/products/voyager.md": VOYAGER,
    })
    run = site.build()
    assert summary_lines(run) == []


@pytest.mark.parametrize(
    "window, expected",
    [
        (("10-01", "03-31"), "sitegen: next change 2026-10-01: 'Widget' becomes available"),
        (("04-01", "08-31"), "sitegen: next change 2026-09-01: 'Widget' becomes unavailable"),
    ],
)
def test_a_product_season(make_site, window, expected):
    start, end = window
    site = make_site({
        "content/products/widget.md": f"---\ntitle: Widget\nrequires: [design]\navailable_from: {start}\navailable_until: {end}\n---\nA widget.\n",
    })
    run = site.build()
    assert summary_lines(run) == [expected]


def test_a_future_post(make_site):
    site = make_site({
        "content/posts/soon.md": "---\ntitle: Soon\ndate: 2026-06-20 09:30\n---\nComing.\n",
        "content/posts/draft.md": "---\ntitle: Draft\ndate: 2026-06-18\ndraft: true\n---\nNot yet.\n",
    })
    run = site.build()
    assert summary_lines(run) == ["sitegen: next change 2026-06-20 09:30 UTC: post 'Soon' is published"]


def test_nothing_dated_says_nothing(make_site):
    run = make_site().build()
    assert run.returncode == 0 and summary_lines(run) == []


def test_with_future_a_post_loses_its_badge_rather_than_being_published(make_site):
    site = make_site({"content/posts/soon.md": "---\ntitle: Soon\ndate: 2026-06-20 09:30\n---\nComing.\n"})
    run = site.build("--future")
    assert summary_lines(run) == ["sitegen: next change 2026-06-20 09:30 UTC: post 'Soon' loses its Scheduled badge"]


def test_a_partner_that_never_ends_is_no_crash(make_site):
    site = courier_site(make_site, "9999-12-31")
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert summary_lines(run) == []
    assert site.run("report", "--days", "200").returncode == 0
