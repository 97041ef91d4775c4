"""The URL map, slugs and the theme loader chain, as a site owner sees them."""

from __future__ import annotations

import re

import pytest

from sitegen.content.slugs import slugify, term_slug


def post(title: str, day: str, tags: list[str] | None = None, categories: list[str] | None = None) -> str:
    lines = ["---", f"title: '{title}'", f"date: {day}"]
    if tags is not None:
        lines.append("tags: [" + ", ".join(f"'{t}'" for t in tags) + "]")
    if categories is not None:
        lines.append("categories: [" + ", ".join(f"'{c}'" for c in categories) + "]")
    lines += ["---", f"Text of {title}.", ""]
    return "\n".join(lines)


@pytest.mark.parametrize(
    "name, slug",
    [
        ("Ünïcödé voyage", "unicode-voyage"),
        ("../../x", "x"),
        ("..\\..\\evil", "evil"),
        ("C++", "c-plus-plus"),
        ("c++", "c-plus-plus"),
        ("  Local   Farms ", "local-farms"),
        ("R&D", "r-and-d"),
        ("Crème Brûlée", "creme-brulee"),
    ],
)
def test_slugs_are_clean(name, slug):
    assert slugify(name) == slug
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", term_slug(name))


def test_names_without_latin_letters_still_get_a_stable_slug():
    assert term_slug("日本") == term_slug("日本")
    assert re.fullmatch(r"term-[0-9a-f]{8}", term_slug("日本"))
    assert term_slug("日本") != term_slug("中国")


def test_every_url_of_the_map_is_written(make_site):
    site = make_site(
        {
            "content/partners/p.yaml": "name: P\ndisclosure: credited\nprovides: [design]\n",
            "content/posts/2026-01-01-hello.md": post("Hello", "2026-01-01", ["Soup"], ["News"]),
            "content/pages/about.md": "---\ntitle: About\nmenu: 1\n---\nUs.\n",
            "content/static/files/price list.pdf": "%PDF-1.4",
        }
    )
    assert site.build().returncode == 0
    for relative in (
        "index.html",
        "products/index.html",
        "products/widget/index.html",
        "capabilities/index.html",
        "capabilities/design/index.html",
        "network/index.html",
        "blog/index.html",
        "blog/hello/index.html",
        "tags/index.html",
        "tags/soup/index.html",
        "categories/index.html",
        "categories/news/index.html",
        "about/index.html",
        "feed.xml",
        "sitemap.xml",
        "robots.txt",
        "404.html",
        "files/price list.pdf",
    ):
        assert (site.public / relative).is_file(), relative


def test_terms_differing_in_case_or_symbols_are_one_term(make_site):
    site = make_site(
        {
            "content/posts/a.md": post("A", "2026-01-01", ["C++"]),
            "content/posts/b.md": post("B", "2026-01-02", ["c++"]),
            "content/posts/c.md": post("C", "2026-01-03", ["Ünïcödé voyage"]),
        }
    )
    assert site.build().returncode == 0
    tags = sorted(p.name for p in (site.public / "tags").iterdir() if p.is_dir())
    assert tags == ["c-plus-plus", "unicode-voyage"]
    term_page = site.page("/tags/c-plus-plus/")
    assert "/blog/a/" in term_page and "/blog/b/" in term_page


def test_hostile_tags_write_nothing_outside_the_output(make_site, tmp_path):
    site = make_site(
        {
            "content/posts/a.md": post("A", "2026-01-01", ["../../x", "..\\..\\evil", "/etc/passwd", "..", "%2e%2e"]),
        }
    )
    def outside_output(p):
        parts = p.relative_to(tmp_path).parts
        return "public" not in parts and ".sitegen-cache" not in parts

    before = {p for p in tmp_path.rglob("*") if outside_output(p)}
    assert site.build().returncode == 0
    after = {p for p in tmp_path.rglob("*") if outside_output(p)}
    assert after == before
    tags = sorted(p.name for p in (site.public / "tags").iterdir() if p.is_dir())
    assert all(re.fullmatch(r"[a-z0-9-]+", t) for t in tags)
    assert "x" in tags and "evil" in tags and "etc-passwd" in tags


def test_blog_is_paginated_by_posts_per_page(make_site):
    files = {f"content/posts/p{n}.md": post(f"Post {n}", f"2026-01-{n:02d}") for n in range(1, 8)}
    files["content/site.yaml"] = "base_url: https://example.com/\nposts_per_page: 3\n"
    site = make_site(files)
    assert site.build().returncode == 0
    first = site.page("/blog/")
    assert "Post 7" in first and "Post 5" in first and "Post 4" not in first
    assert "/blog/page/2/" in first
    assert "Post 1" in site.page("/blog/page/3/")
    assert not (site.public / "blog" / "page" / "4").exists()
    assert not (site.public / "blog" / "page" / "1").exists()


def test_menu_orders_pages_among_built_in_sections(make_site):
    site = make_site(
        {
            "content/pages/about.md": "---\ntitle: About us\nmenu: 1\n---\nUs.\n",
            "content/pages/contact.md": "---\ntitle: Contact\nmenu: 99\n---\nWrite.\n",
            "content/pages/privacy.md": "---\ntitle: Privacy\n---\nNo tracking.\n",
        }
    )
    assert site.build().returncode == 0
    home = site.page("/")
    nav = re.search(r"<nav[^>]*aria-label=\"Main\"[^>]*>(.*?)</nav>", home, re.S)
    assert nav, "the home page has a main navigation"
    links = re.findall(r'href="([^"]+)"', nav.group(1))
    assert links.index("/about/") < links.index("/products/") < links.index("/contact/")
    assert "/privacy/" not in links
    assert (site.public / "privacy" / "index.html").is_file()


def test_site_theme_overrides_built_in_templates_file_by_file(make_site):
    site = make_site(
        {
            "content/site.yaml": "base_url: https://example.com/\ntheme: mine\n",
            "themes/mine/templates/product.html": (
                "{% extends 'base.html' %}{% block content %}<p class=custom>CUSTOM {{ product.title }}</p>{% endblock %}\n"
            ),
            "themes/mine/static/assets/extra.css": "body{}\n",
        }
    )
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert "CUSTOM Widget" in site.page("/products/widget/")
    assert "CUSTOM" not in site.page("/products/")
    assert (site.public / "assets" / "extra.css").is_file()
    assert (site.public / "assets" / "site.css").is_file()


def test_content_static_overrides_theme_static(make_site):
    site = make_site({"content/static/assets/site.css": "/* mine */\n"})
    assert site.build().returncode == 0
    assert (site.public / "assets" / "site.css").read_text() == "/* mine */\n"


def test_built_in_theme_loads_nothing_from_the_internet_and_has_no_scripts(make_site):
    site = make_site(
        {
            "content/partners/p.yaml": "name: P\ndisclosure: credited\nprovides: [design]\nurl: https://p.example/\n",
            "content/posts/a.md": post("A", "2026-01-01", ["t"], ["c"]),
            "content/pages/about.md": "---\ntitle: About\nmenu: 1\n---\nUs.\n",
        }
    )
    assert site.build().returncode == 0
    for name, data in site.output_bytes().items():
        if not name.endswith(".html"):
            continue
        html = data.decode()
        assert "<script" not in html.replace('<script type="application/ld+json">', ""), name
        assert " style=" not in html and "<style" not in html, name
        for tag in re.findall(r"<(?:link|img|script|source|iframe)\b[^>]*>", html):
            for url in re.findall(r'(?:src|href)="([^"]+)"', tag):
                if "rel=\"canonical\"" in tag or "og:" in tag:
                    continue
                assert not url.startswith(("http:", "https:", "//")), (name, tag)
    css = (site.public / "assets" / "site.css").read_text()
    assert "@import" not in css and "url(http" not in css


def test_html_pages_have_language_title_and_description(make_site):
    site = make_site({"content/site.yaml": "base_url: https://example.com/shop/\nlanguage: en-GB\n"})
    assert site.build().returncode == 0
    page = site.page("/products/widget/")
    assert '<html lang="en-GB"' in page
    assert "<title>" in page and "Widget" in page
    assert '<link rel="canonical" href="https://example.com/shop/products/widget/">' in page
    assert '<meta name="description"' in page
