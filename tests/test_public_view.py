"""What may be published: white-label canaries, escaping, drafts, future posts."""

from __future__ import annotations

import json
import re

CANARY = "zqxcanary"


def white_label_site(make_site, disclosure_line: str = "disclosure: white-label\n"):
    return make_site(
        {
            f"content/partners/{CANARY}-slug.yaml": (
                f"name: {CANARY}-name Ltd\n"
                "kind: manufacturer\n"
                "provides: [bottling]\n"
                + disclosure_line
                + "since: 2020-01-01\n"
                f"url: https://{CANARY}-url.example/\n"
                f"logo: /images/{CANARY}-logo.svg\n"
                f"location: {CANARY}-location, Leeds\n"
                f"blurb: {CANARY}-blurb we bottle soup.\n"
                f"notes: {CANARY}-notes they are cheap.\n"
                "review_by: 2027-01-01\n"
            ),
            f"content/static/images/{CANARY}-logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
            "content/static/images/ok.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
            "content/capabilities/bottling.md": "---\ntitle: Bottling\nsummary: Glass jars, sealed.\n---\nWe bottle.\n",
            "content/products/jar.md": "---\ntitle: Soup Jar\nimage: /images/ok.svg\nrequires: [bottling, design]\n---\nA jar.\n",
            "content/posts/2026-01-02-news.md": "---\ntitle: News\ndate: 2026-01-02\ntags: [jars]\n---\nWe now sell jars.\n",
            "content/pages/about.md": "---\ntitle: About\nmenu: 1\n---\nAbout us.\n",
        }
    )


def all_output(site) -> bytes:
    """Every byte of the output, file names included."""
    files = site.output_bytes()
    return b"\n".join(name.encode() + b"\n" + data for name, data in files.items())


def test_white_label_canary_appears_in_zero_output_bytes(make_site):
    site = white_label_site(make_site)
    result = site.build()
    assert result.returncode == 0, result.stderr
    output = all_output(site)
    assert CANARY.encode() not in output
    # ...while the capability it provides is published as the company's own.
    assert b"Bottling" in site.public.joinpath("capabilities/bottling/index.html").read_bytes()
    assert site.public.joinpath("products/jar/index.html").is_file()
    assert site.public.joinpath("images/ok.svg").is_file()


def test_white_label_canary_absent_from_drafts_and_future_builds_too(make_site):
    site = white_label_site(make_site)
    result = site.build("--drafts", "--future")
    assert result.returncode == 0, result.stderr
    assert CANARY.encode() not in all_output(site)


def test_credited_partner_fields_are_published_but_notes_are_not(make_site):
    site = white_label_site(make_site, disclosure_line="disclosure: credited\n")
    assert site.build().returncode == 0
    output = all_output(site)
    for field in ("name", "url", "logo", "location", "blurb"):
        assert f"{CANARY}-{field}".encode() in output, field
    assert f"{CANARY}-notes".encode() not in output


def test_titles_with_script_tags_are_escaped_everywhere(make_site):
    evil = "<script>alert(1)</script>"
    site = make_site(
        {
            "content/business.yaml": f"name: 'Evil {evil} Co'\ntagline: '{evil}'\nsummary: '{evil}'\n",
            "content/products/widget.md": f"---\ntitle: 'Widget {evil}'\nsummary: '{evil}'\nrequires: [design]\n---\nBody.\n",
            "content/posts/2026-01-01-x.md": f"---\ntitle: 'Post {evil}'\ndate: 2026-01-01\ntags: ['{evil}']\nsummary: '{evil}'\n---\nText.\n",
            "content/pages/p.md": f"---\ntitle: 'Page {evil}'\nmenu: 1\n---\nText.\n",
        }
    )
    result = site.build()
    assert result.returncode == 0, result.stderr
    for name, data in site.output_bytes().items():
        assert b"<script>alert(1)" not in data, name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in site.page("/products/widget/")
    assert "&lt;script&gt;" in site.page("/blog/x/")


def test_javascript_urls_are_rejected_not_published(make_site):
    site = make_site(
        {
            "content/partners/p.yaml": "name: P\ndisclosure: credited\nprovides: [design]\nurl: 'javascript:alert(1)'\n",
        }
    )
    result = site.build()
    assert result.returncode == 1
    assert "content/partners/p.yaml:4:" in result.stderr


def test_drafts_and_future_posts_are_not_published_by_default(make_site):
    site = make_site(
        {
            "content/posts/2026-01-01-live.md": "---\ntitle: Live Post\ndate: 2026-01-01\n---\nLive.\n",
            "content/posts/draft.md": "---\ntitle: Draft Post\ndate: 2026-01-02\ndraft: true\n---\nDraft.\n",
            "content/posts/future.md": "---\ntitle: Future Post\ndate: 2026-12-24\n---\nLater.\n",
        }
    )
    assert site.build().returncode == 0
    output = all_output(site)
    assert b"Live Post" in output
    assert b"Draft Post" not in output
    assert b"Future Post" not in output
    assert not (site.public / "blog" / "draft").exists()

    assert site.build("--drafts", "--future").returncode == 0
    assert (site.public / "blog" / "draft" / "index.html").is_file()
    assert (site.public / "blog" / "future" / "index.html").is_file()


def test_dated_file_name_prefix_is_not_part_of_the_slug(make_site):
    site = make_site({"content/posts/2026-03-14-spring-soup.md": "---\ntitle: Spring\ndate: 2026-03-14\n---\nHi.\n"})
    assert site.build().returncode == 0
    assert (site.public / "blog" / "spring-soup" / "index.html").is_file()


def test_every_json_ld_and_page_is_well_formed_utf8(make_site):
    site = white_label_site(make_site)
    assert site.build().returncode == 0
    for name, data in site.output_bytes().items():
        if name.endswith((".html", ".xml", ".txt")):
            text = data.decode("utf-8")
            for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S):
                json.loads(block)
