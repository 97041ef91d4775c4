"""Feeds, sitemap, metadata and deploy contexts, read the way machines read them."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def post(slug: str, title: str, day: str, **extra: str) -> dict[str, str]:
    lines = ["---", f"title: '{title}'", f"date: {day}"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    lines += ["---", f"First paragraph of {title}.", "", "Second paragraph.", ""]
    return {f"content/posts/{slug}.md": "\n".join(lines)}


@pytest.fixture
def blog_site(make_site):
    files: dict[str, str] = {}
    files.update(post("a", "Alpha & <Omega>", "2026-01-01", tags="[Soup, News]", author="Ann"))
    files.update(post("b", "Beta", "2026-02-01 09:30", categories="[Kitchen]", summary="'A <b>bold</b> claim'"))
    files.update(post("c", "Gamma", "2026-03-01T10:00:00+02:00"))
    files.update(post("d", "Draft", "2026-03-02", draft="true"))
    files.update(post("e", "Future", "2027-01-01"))
    files["content/pages/about.md"] = "---\ntitle: About\nmenu: 1\n---\nUs.\n"
    files["content/business.yaml"] = (
        "name: Test Co\ntagline: Things </script><script>alert(1)</script>\n"
        "summary: We make things.\nlogo: /logo.svg\n"
        "contact:\n  email: hi@example.com\n  phone: '+44 1 2345'\n  address: 1 High St\n"
        "social:\n  - name: Mastodon\n    url: https://social.example/@test\n"
    )
    files["content/static/logo.svg"] = "<svg xmlns='http://www.w3.org/2000/svg'/>"
    site = make_site(files)
    result = site.build()
    assert result.returncode == 0, result.stderr
    return site


def test_feed_is_valid_atom_with_absolute_links(blog_site):
    root = ET.fromstring((blog_site.public / "feed.xml").read_bytes())
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}id").text
    assert root.find(f"{ATOM}updated").text.startswith("2026-03-01")
    assert root.find(f"{ATOM}author/{ATOM}name").text == "Test Co"
    self_link = [l for l in root.findall(f"{ATOM}link") if l.get("rel") == "self"]
    assert self_link and self_link[0].get("href") == "https://example.com/feed.xml"
    entries = root.findall(f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles == ["Gamma", "Beta", "Alpha & <Omega>"], "newest first, no draft, no future"
    for entry in entries:
        assert entry.find(f"{ATOM}id").text.startswith("https://example.com/blog/")
        assert entry.find(f"{ATOM}updated").text
        link = entry.find(f"{ATOM}link")
        assert link.get("href").startswith("https://example.com/blog/")
    alpha = entries[2]
    assert alpha.find(f"{ATOM}author/{ATOM}name").text == "Ann"
    assert "First paragraph" in alpha.find(f"{ATOM}content").text


def test_every_page_links_the_feed_in_its_head(blog_site):
    for name, data in blog_site.output_bytes().items():
        if name.endswith(".html"):
            head = data.decode().split("</head>")[0]
            assert 'type="application/atom+xml"' in head, name


def test_sitemap_lists_every_page_exactly_once(blog_site):
    root = ET.fromstring((blog_site.public / "sitemap.xml").read_bytes())
    locs = [u.find(f"{SITEMAP}loc").text for u in root.findall(f"{SITEMAP}url")]
    assert len(locs) == len(set(locs))
    # Every page, except those that ask not to be indexed (the form thank-you page).
    pages = {
        name
        for name, data in blog_site.output_bytes().items()
        if name.endswith("index.html") and b'content="noindex"' not in data
    }
    expected = {"https://example.com/" + name[: -len("index.html")] for name in pages}
    assert set(locs) == expected
    assert all(loc.startswith("https://example.com/") for loc in locs)
    post_entry = [u for u in root.findall(f"{SITEMAP}url") if u.find(f"{SITEMAP}loc").text.endswith("/blog/b/")]
    assert post_entry[0].find(f"{SITEMAP}lastmod").text.startswith("2026-02-01")


def test_robots_points_at_the_sitemap(blog_site):
    robots = (blog_site.public / "robots.txt").read_text()
    assert "Sitemap: https://example.com/sitemap.xml" in robots


def json_ld_blocks(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(b) for b in blocks]


def test_every_json_ld_block_parses_and_cannot_close_its_script(blog_site):
    count = 0
    for name, data in blog_site.output_bytes().items():
        if name.endswith(".html"):
            html = data.decode()
            for block in json_ld_blocks(html):
                count += 1
                assert block["@context"] == "https://schema.org"
            assert "<script>alert(1)" not in html
    assert count > 10


def test_home_has_organization_with_offers_and_contact(blog_site):
    blocks = json_ld_blocks(blog_site.page("/"))
    org = next(b for b in blocks if b["@type"] == "LocalBusiness")  # it has an address
    assert org["name"] == "Test Co" and org["address"] == "1 High St"
    assert org["url"] == "https://example.com/"
    assert org["logo"] == "https://example.com/logo.svg"
    assert org["contactPoint"]["email"] == "hi@example.com"
    assert org["sameAs"] == ["https://social.example/@test"]
    offer = org["makesOffer"][0]
    assert offer["itemOffered"]["name"] == "Widget"
    assert offer["price"] == "10.00" and offer["priceCurrency"] == "EUR"
    assert "</script><script>" in org["slogan"]


def test_product_page_has_product_offer_and_breadcrumbs(blog_site):
    blocks = json_ld_blocks(blog_site.page("/products/widget/"))
    product = next(b for b in blocks if b["@type"] == "Product")
    assert product["name"] == "Widget"
    assert product["offers"]["@type"] == "Offer"
    assert product["offers"]["price"] == "10.00"
    assert product["offers"]["url"] == "https://example.com/products/widget/"
    crumbs = next(b for b in blocks if b["@type"] == "BreadcrumbList")
    assert [i["name"] for i in crumbs["itemListElement"]] == ["Home", "Products", "Widget"]


def test_post_page_has_blog_posting(blog_site):
    blocks = json_ld_blocks(blog_site.page("/blog/a/"))
    posting = next(b for b in blocks if b["@type"] == "BlogPosting")
    assert posting["headline"] == "Alpha & <Omega>"
    assert posting["datePublished"].startswith("2026-01-01")
    assert posting["author"]["name"] == "Ann"
    assert posting["publisher"]["name"] == "Test Co"


def test_every_html_page_has_complete_metadata(blog_site):
    for name, data in blog_site.output_bytes().items():
        if not name.endswith(".html"):
            continue
        html = data.decode()
        assert re.search(r'<html lang="en"', html), name
        assert re.search(r"<title>[^<]+</title>", html), name
        assert '<meta name="description" content="' in html, name
        for prop in ("og:title", "og:description", "og:url", "og:type", "og:site_name"):
            assert f'property="{prop}"' in html, (name, prop)
        assert 'name="twitter:card"' in html, name
        if name != "404.html":
            url = "/" + name[: -len("index.html")]
            assert f'<link rel="canonical" href="https://example.com{url}">' in html, name


def test_summary_defaults_to_first_paragraph_and_reading_time_shows(blog_site):
    blog = blog_site.page("/blog/")
    assert "First paragraph of Gamma." in blog
    assert "A &lt;b&gt;bold&lt;/b&gt; claim" in blog
    assert "min read" in blog_site.page("/blog/a/")


def test_post_has_newer_and_older_links(blog_site):
    middle = blog_site.page("/blog/b/")
    assert 'href="/blog/c/"' in middle and 'href="/blog/a/"' in middle


@pytest.mark.parametrize(
    "env, args, expected",
    [
        ({}, [], "https://example.com/"),
        ({}, ["--base-url", "https://other.example/sub/"], "https://other.example/sub/"),
        (
            {"CONTEXT": "deploy-preview", "DEPLOY_PRIME_URL": "https://deploy-preview-7--x.netlify.app", "URL": "https://prod.example"},
            [],
            "https://deploy-preview-7--x.netlify.app/",
        ),
        (
            {"CONTEXT": "branch-deploy", "DEPLOY_PRIME_URL": "https://staging--x.netlify.app"},
            [],
            "https://staging--x.netlify.app/",
        ),
        ({"CONTEXT": "production", "URL": "https://prod.example"}, [], "https://example.com/"),
        (
            {"CONTEXT": "deploy-preview", "DEPLOY_PRIME_URL": "https://p--x.netlify.app"},
            ["--base-url", "https://cli.example/"],
            "https://cli.example/",
        ),
    ],
)
def test_canonical_urls_follow_the_deploy_context(make_site, env, args, expected):
    site = make_site()
    result = site.run("build", *args, env=env)
    assert result.returncode == 0, result.stderr
    assert f'<link rel="canonical" href="{expected}products/widget/">' in site.page("/products/widget/")
    assert f"<loc>{expected}</loc>" in (site.public / "sitemap.xml").read_text()
    assert f"Sitemap: {expected}sitemap.xml" in (site.public / "robots.txt").read_text()


def test_production_url_fills_in_a_missing_base_url(make_site):
    site = make_site({"content/site.yaml": "title: No URL\n"})
    failed = site.build()
    assert failed.returncode == 1
    assert "content/site.yaml:1: missing required key 'base_url'" in failed.stderr
    result = site.run("build", env={"CONTEXT": "production", "URL": "https://prod.example"})
    assert result.returncode == 0, result.stderr
    assert 'href="https://prod.example/products/widget/"' in site.page("/products/widget/")


def test_bad_base_url_override_is_reported(make_site):
    site = make_site()
    result = site.build("--base-url", "not a url")
    assert result.returncode == 1
    assert result.error_lines == ["--base-url: base URL must be a URL without spaces, got 'not a url'"]


def test_check_reports_a_planted_broken_link_and_anchor_and_fails(make_site):
    site = make_site(
        {
            "content/posts/2026-01-05-links.md": (
                "---\ntitle: Links\ndate: 2026-01-05\n---\n"
                "Fine: [widget](/products/widget/).\n\n"
                "Broken: [gone](/prodcts/widget/).\n\n"
                "Bad anchor: [here](/products/widget/#nowhere).\n"
            )
        }
    )
    result = site.run("check")
    assert result.returncode == 1
    assert "content/posts/2026-01-05-links.md:7: broken link to /prodcts/widget/ in /blog/links/" in result.stderr
    assert "content/posts/2026-01-05-links.md:9: broken link to /products/widget/#nowhere in /blog/links/" in result.stderr
    only_links = site.run("check", "--links")
    assert only_links.returncode == 1
    assert len(only_links.error_lines) == 2
    assert not site.public.exists(), "check writes nothing"
