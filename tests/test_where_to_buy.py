"""Where to buy: partners that sell the products (#14 item 5)."""

from __future__ import annotations

import json
import re

CAFE = """
    name: Corner Café
    kind: stockist
    disclosure: credited
    location: Leeds
    address: 12 Market Street, Leeds LS1 6DT
    hours: Mon-Sat 8:00-17:00
    map_url: https://maps.example.org/?q=corner-cafe
    sells: [widget]
"""
DELI = """
    name: Deli Two
    kind: reseller
    disclosure: credited
    location: York
    url: https://deli.example/
    sells: [widget]
"""
SECRET = """
    name: Hush Grocers
    disclosure: white-label
    location: Secretville
    address: 1 Hidden Lane
    hours: Secret hours 3-4
    map_url: https://maps.example.org/?q=hush
    sells: [widget]
"""


def stores(html: str) -> list[dict]:
    found = []
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
        data = json.loads(block)
        found += [item for item in data.get("@graph", []) if item.get("@type") == "Store"]
    return found


def test_two_credited_resellers_are_listed_by_location_and_on_the_product(make_site):
    site = make_site({"content/partners/cafe.yaml": CAFE, "content/partners/deli.yaml": DELI})
    run = site.build()
    assert run.returncode == 0, run.stderr
    page = site.page("/where-to-buy/")
    assert page.index(">Leeds</h2>") < page.index(">York</h2>")
    assert "12 Market Street, Leeds LS1 6DT" in page and "Mon-Sat 8:00-17:00" in page
    assert 'href="https://maps.example.org/?q=corner-cafe"' in page
    assert [s["name"] for s in stores(page)] == ["Corner Café", "Deli Two"]
    assert stores(page)[0]["address"] == "12 Market Street, Leeds LS1 6DT"
    product = site.page("/products/widget/")
    assert "Also sold at" in product and "Corner Café" in product and "Deli Two" in product
    assert 'href="/where-to-buy/"' in site.page("/"), "in the menu when it has entries"
    assert site.run("check").returncode == 0, "every link and anchor lands"


def test_a_white_label_reseller_is_in_zero_output_bytes(make_site):
    site = make_site({"content/partners/secret.yaml": SECRET})
    run = site.build()
    assert run.returncode == 0, run.stderr
    everything = b"".join(site.output_bytes().values())
    for secret in (b"Hush", b"Secretville", b"Hidden Lane", b"q=hush", b"Secret hours"):
        assert secret not in everything, secret
    assert not (site.public / "where-to-buy").exists()
    assert "Also sold at" not in site.page("/products/widget/")


def test_no_reseller_no_page_and_no_menu_entry(make_site):
    site = make_site()
    assert site.build().returncode == 0
    assert not (site.public / "where-to-buy").exists()
    assert "/where-to-buy/" not in site.page("/")


def test_a_page_of_your_own_replaces_the_built_in_one(make_site):
    site = make_site({
        "content/partners/cafe.yaml": CAFE,
        "content/pages/where-to-buy.md": "---\ntitle: Where to buy\nmenu: 15\n---\nAsk at the market.\n",
    })
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert "Ask at the market." in site.page("/where-to-buy/")
    assert site.page("/").count('href="/where-to-buy/"') >= 1


def test_selling_an_unknown_product_is_an_error_with_a_hint(make_site):
    site = make_site({"content/partners/cafe.yaml": CAFE.replace("sells: [widget]", "sells: [widgte]")})
    run = site.build()
    assert run.returncode == 1
    assert any(
        line.startswith("content/partners/cafe.yaml:") and "sells unknown product 'widgte' (did you mean 'widget'?)" in line
        for line in run.error_lines
    ), run.stderr


def test_a_map_url_must_be_http(make_site):
    site = make_site({"content/partners/cafe.yaml": CAFE.replace("https://maps.example.org/?q=corner-cafe", "javascript:alert(1)")})
    run = site.build()
    assert run.returncode == 1
    assert any(line.startswith("content/partners/cafe.yaml:") and "map_url" in line for line in run.error_lines), run.stderr


def test_a_reseller_is_not_unused_in_the_report(make_site):
    site = make_site({"content/partners/cafe.yaml": CAFE})
    out = site.run("report").stdout
    assert "'Corner Café' (credited) provides nothing" not in " ".join(out.split())


def test_a_partner_slug_never_repeats_an_id_of_the_page(make_site):
    """Partner anchors are their slugs ([a-z0-9-]); the theme's own ids
    have an underscore, so no file name can make an id appear twice."""
    files = {}
    for slug in ("main", "footer-about", "footer-contact", "where-1"):
        files[f"content/partners/{slug}.yaml"] = CAFE.replace("Corner Café", f"Shop {slug}")
    site = make_site(files)
    assert site.build().returncode == 0
    for url in ("/network/", "/where-to-buy/"):
        ids = re.findall(r'\sid="([^"]+)"', site.page(url))
        assert len(ids) == len(set(ids)), (url, sorted(i for i in ids if ids.count(i) > 1))
