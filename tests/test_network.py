"""The network rules of DESIGN.md section 2, as an owner would see them."""

from __future__ import annotations

import pytest

from datetime import date, datetime, timezone
from pathlib import Path

from sitegen.build import BuildOptions, render_site
from sitegen.errors import BuildFailed, Problems
from sitegen.content.load import load_site
from sitegen.content.builders import build_model

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)


def partner(name: str, provides: list[str], disclosure: str = "credited", **extra: str) -> str:
    lines = [f"name: {name}", f"disclosure: {disclosure}", "kind: supplier"]
    lines.append("provides: [" + ", ".join(provides) + "]")
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def capability(title: str, in_house: bool = False) -> str:
    return f"---\ntitle: {title}\nin_house: {'true' if in_house else 'false'}\n---\nBody of {title}.\n"


def product(title: str, requires: list[str]) -> str:
    return f"---\ntitle: {title}\nrequires: [{', '.join(requires)}]\n---\nAbout {title}.\n"


def model_of(root: Path, on: date = NOW.date()):
    problems = Problems(root)
    site = build_model(load_site(root, problems), problems, on)
    return site, problems


def test_in_house_capability_is_offered_without_partners(make_site):
    site = make_site({"content/capabilities/sewing.md": capability("Sewing", in_house=True)})
    model, problems = model_of(site.root)
    assert not problems.has_errors(), [p.format() for p in problems.errors]
    assert "sewing" in model.network.offered


def test_capability_provided_by_an_active_partner_is_offered(make_site):
    site = make_site(
        {
            "content/capabilities/dyeing.md": capability("Dyeing"),
            "content/partners/dyer.yaml": partner("Dye Works", ["dyeing"], since="2020-01-01"),
        }
    )
    model, _ = model_of(site.root)
    assert model is not None
    assert "dyeing" in model.network.offered
    assert [p.slug for p in model.network.providers["dyeing"]] == ["dyer"]


def test_capability_nobody_offers_is_not_published_and_check_warns(make_site):
    site = make_site({"content/capabilities/welding.md": capability("Welding")})
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert not (site.public / "capabilities" / "welding").exists()
    assert "Welding" not in site.page("/capabilities/")
    check = site.run("check")
    assert check.returncode == 0
    assert "content/capabilities/welding.md:2: warning: capability 'Welding' is not published" in check.stderr


def test_partner_activity_follows_since_and_until_inclusive(make_site):
    site = make_site(
        {
            "content/capabilities/dyeing.md": capability("Dyeing"),
            "content/partners/old.yaml": partner("Old", ["dyeing"], since="2020-01-01", until="2026-06-14"),
            "content/partners/today-ends.yaml": partner("Ends Today", ["dyeing"], until="2026-06-15"),
            "content/partners/today-starts.yaml": partner("Starts Today", ["dyeing"], since="2026-06-15"),
            "content/partners/later.yaml": partner("Later", ["dyeing"], since="2026-06-16"),
        }
    )
    model, _ = model_of(site.root)
    assert model is not None
    active = sorted(p.slug for p in model.network.active_partners)
    assert active == ["today-ends", "today-starts"]


def test_product_with_unknown_capability_is_an_error_naming_both(make_site):
    site = make_site({"content/products/gadget.md": product("Gadget", ["desing"])})
    result = site.build()
    assert result.returncode == 1
    assert (
        "content/products/gadget.md:3: product 'Gadget' requires unknown capability 'desing' "
        "(did you mean 'design'?)"
    ) in result.stderr


def test_uncovered_capability_names_product_capability_and_ended_partner(make_site):
    site = make_site(
        {
            "content/capabilities/delivery.md": capability("Delivery"),
            "content/partners/courier.yaml": partner(
                "Speedy Couriers", ["delivery"], since="2020-01-01", until="2025-12-31"
            ),
            "content/partners/newbie.yaml": partner("Newbie Vans", ["delivery"], since="2026-09-01"),
            "content/products/box.md": product("Soup Box", ["design", "delivery"]),
        }
    )
    # Withdrawn, not a failed build: a warning naming all three (#14).
    result = site.build()
    assert result.returncode == 0
    [line] = [l for l in result.error_lines if "Soup Box" in l]
    assert line.startswith(
        "content/products/box.md:3: warning: product 'Soup Box' is withdrawn: it requires capability 'Delivery'"
    )
    assert "'Speedy Couriers' (content/partners/courier.yaml) ended on 2025-12-31" in line
    assert "'Newbie Vans' (content/partners/newbie.yaml) starts on 2026-09-01" in line
    assert site.build("--strict").returncode == 1


def test_uncovered_capability_with_no_partner_at_all_says_so(make_site):
    site = make_site(
        {
            "content/capabilities/delivery.md": capability("Delivery"),
            "content/products/box.md": product("Soup Box", ["delivery"]),
        }
    )
    result = site.build()
    assert result.returncode == 0
    assert "is withdrawn" in result.stderr and "no partner provides it and it is not in_house" in result.stderr


def test_partner_providing_unknown_capability_is_an_error(make_site):
    site = make_site({"content/partners/x.yaml": partner("X Ltd", ["design", "teleportation"])})
    result = site.build()
    assert result.returncode == 1
    assert "content/partners/x.yaml:4: partner 'X Ltd' provides unknown capability 'teleportation'" in result.stderr


def test_disclosure_defaults_to_white_label(make_site):
    site = make_site(
        {
            "content/capabilities/dyeing.md": capability("Dyeing"),
            "content/partners/quiet.yaml": "name: Quiet Dyers\nprovides: [dyeing]\n",
        }
    )
    model, _ = model_of(site.root)
    assert model is not None
    assert model.partners[0].disclosure == "white-label"
    assert site.build().returncode == 0
    assert "Quiet Dyers" not in site.page("/network/")
    assert "Quiet Dyers" not in site.page("/capabilities/dyeing/")


def test_white_label_capability_is_published_as_the_company_own(make_site):
    site = make_site(
        {
            "content/capabilities/dyeing.md": capability("Dyeing"),
            "content/partners/quiet.yaml": partner("Quiet Dyers", ["dyeing"], disclosure="white-label"),
            "content/products/scarf.md": product("Scarf", ["dyeing"]),
        }
    )
    assert site.build().returncode == 0
    page = site.page("/capabilities/dyeing/")
    assert "Dyeing" in page
    assert "Quiet Dyers" not in page
    assert "Scarf" in site.page("/products/scarf/")


def test_credited_active_partner_appears_on_network_and_capability_pages(make_site):
    site = make_site(
        {
            "content/capabilities/dyeing.md": capability("Dyeing"),
            "content/partners/loud.yaml": partner(
                "Loud Dyers",
                ["dyeing"],
                url="https://loud.example/",
                location="Bradford",
                blurb="Bright colours since 1990.",
                logo="/img/loud.svg",
            ),
            "content/static/img/loud.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        }
    )
    assert site.build().returncode == 0
    network = site.page("/network/")
    for text in ("Loud Dyers", "https://loud.example/", "Bradford", "Bright colours since 1990.", "/img/loud.svg"):
        assert text in network
    assert "Loud Dyers" in site.page("/capabilities/dyeing/")


def test_inactive_credited_partner_is_not_published(make_site):
    site = make_site(
        {
            "content/capabilities/dyeing.md": capability("Dyeing", in_house=True),
            "content/partners/gone.yaml": partner("Gone Dyers", ["dyeing"], until="2025-01-01"),
            "content/partners/soon.yaml": partner("Soon Dyers", ["dyeing"], since="2027-01-01"),
        }
    )
    assert site.build().returncode == 0
    everything = b"".join(site.output_bytes().values())
    assert b"Gone Dyers" not in everything
    assert b"Soon Dyers" not in everything


def test_notes_never_appear_even_for_credited_partners(make_site):
    site = make_site(
        {
            "content/partners/loud.yaml": partner(
                "Loud Dyers", ["design"], notes="NOTE-CANARY-owes-us-money", blurb="Friendly."
            ),
        }
    )
    assert site.build().returncode == 0
    everything = b"".join(site.output_bytes().values())
    assert b"NOTE-CANARY" not in everything
    assert b"Loud Dyers" in everything


def test_product_is_deliverable_only_when_every_capability_is_offered(make_site):
    site = make_site(
        {
            "content/capabilities/dyeing.md": capability("Dyeing"),
            "content/partners/dyer.yaml": partner("Dyer", ["dyeing"]),
            "content/products/scarf.md": product("Scarf", ["design", "dyeing"]),
        }
    )
    model, _ = model_of(site.root)
    assert model is not None
    assert {"widget", "scarf"} <= model.network.deliverable
    later, problems = model_of(site.root, on=date(2026, 6, 15))
    assert not problems.has_errors()
    # After the dyer's alliance ended the scarf is withdrawn, with a warning
    # naming the partner, and the site still builds (#14).
    site.write({"content/partners/dyer.yaml": partner("Dyer", ["dyeing"], until="2026-01-01")})
    withdrawn, problems = model_of(site.root)
    assert not problems.has_errors()
    assert "scarf" not in withdrawn.network.deliverable and "scarf" not in withdrawn.network.available
    assert "widget" in withdrawn.network.available
    assert any("Scarf" in p.message and "ended on 2026-01-01" in p.message for p in problems.warnings)


def test_capability_page_lists_products_that_need_it(make_site):
    site = make_site()
    assert site.build().returncode == 0
    assert "/products/widget/" in site.page("/capabilities/design/")


def test_all_network_errors_are_reported_in_one_run(make_site):
    site = make_site(
        {
            "content/products/a.md": product("A", ["nope-one"]),
            "content/products/b.md": product("B", ["nope-two"]),
            "content/partners/p.yaml": partner("P", ["nope-three"]),
        }
    )
    try:
        render_site(BuildOptions(source=site.root, now=NOW))
    except BuildFailed as failed:
        messages = [p.format() for p in failed.problems.errors]
    else:
        raise AssertionError("the build should have failed")
    assert len(messages) == 3
    assert messages == sorted(messages)


@pytest.mark.parametrize("spelling", [
    "/images/partners/mill.svg",
    "/images/partners/../partners/mill.svg",
    "/images/partners/mill%2Esvg",
    "https://example.com/images/partners/mill.svg",
    "/IMAGES/Partners/Mill.SVG",
    "https://www.production.example/images/partners/mill.svg",
])
def test_a_white_label_logo_is_not_copied_however_its_reference_is_spelled(make_site, spelling):
    site = make_site({
        "content/static/images/partners/mill.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "content/partners/mill.yaml": f"name: Hidden Mill\ndisclosure: white-label\nprovides: [design]\nlogo: \"{spelling}\"\n",
    })
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert not (site.public / "images" / "partners" / "mill.svg").exists()
    assert b"mill" not in b"".join(site.output_bytes().values()).lower()


def test_a_logo_file_a_public_object_also_uses_is_still_copied(make_site):
    site = make_site({
        "content/static/images/shared.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "content/partners/mill.yaml": "name: Hidden Mill\ndisclosure: white-label\nprovides: [design]\nlogo: /images/../images/shared.svg\n",
        "content/business.yaml": "name: Test Co\nlogo: https://example.com/images/shared.svg\n",
    })
    assert site.build().returncode == 0
    assert (site.public / "images" / "shared.svg").exists()
