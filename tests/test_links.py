"""The internal link check: real sites rendered in memory, then `check_links`."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import REPO, SiteFolder
from sitegen.build import BuildOptions, render_site
from sitegen.errors import BuildFailed, Problems
from sitegen.render.links import (
    check_links,
    internal_target,
    page_url_for,
    parse_base,
    parse_page,
)
from sitegen.plan.pages import Route
from sitegen.render.theme import template_dirs

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)

POST = "content/posts/2026-01-02-hello.md"
ABOUT = "content/pages/about.md"

CLEAN_FILES: dict[str, str | None] = {
    POST: """
        ---
        title: Hello
        date: 2026-01-02
        tags: [soup, news]
        categories: [updates]
        ---
        Our first post. Read [about us](/about/) or [our story](/about/#our-story).

        A [widget](../../products/widget/), from [its page](/products/widget/).
    """,
    ABOUT: """
        ---
        title: About
        menu: 50
        ---
        We sell the [widget](/products/widget/).

        ## Our story

        It began [here](#our-story), [at the top](#) of this page.
    """,
}


def link_check(root: Path) -> tuple[list[str], int]:
    """Render the site in memory and check its links: (problems, links checked).
    A link written in a text that leads nowhere stops the build itself
    (plan/written_links.py), with the message the rendered check gives."""
    try:
        # No cache: the example is checked where it lies, in the checkout,
        # which a test must not write to.
        rendered = render_site(BuildOptions(source=root, now=NOW, cache=False))
    except BuildFailed as failed:
        return [p.format() for p in failed.problems.errors], 0
    site = rendered.site
    problems = Problems(site.root)
    checked = check_links(
        rendered.files,
        rendered.routes.pages,
        [s.output for s in rendered.routes.static],
        rendered.public.base_url,
        site.root,
        template_dirs(site.root, site.config.theme, problems),
        problems,
    )
    assert not problems.warnings
    return [p.format() for p in problems.errors], checked


def line_of(site: SiteFolder, relative: str, text: str) -> int:
    lines = (site.root / relative).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)


def with_post_body(body: str) -> dict[str, str | None]:
    post = f"""
        ---
        title: Hello
        date: 2026-01-02
        ---
        {body}
    """
    return {**CLEAN_FILES, POST: post}


def test_a_clean_site_has_no_broken_links(make_site):
    site = make_site(CLEAN_FILES)
    problems, checked = link_check(site.root)
    assert problems == []
    assert checked > 50  # menus, footers, canonical URLs, tags, the links above


def test_a_broken_link_in_a_post_names_the_content_line(make_site):
    site = make_site(with_post_body("Intro.\n\n        Go [x](/nope/) now."))
    line = line_of(site, POST, "[x](/nope/)")
    problems, _ = link_check(site.root)
    assert problems == [f"{POST}:{line}: broken link to /nope/ in /blog/hello/"]


def test_broken_anchors_name_the_missing_id(make_site):
    site = make_site(
        with_post_body("See [y](/products/widget/#missing).\n\n        And [z](#nowhere).")
    )
    problems, _ = link_check(site.root)
    assert problems == [
        f"{POST}:{line_of(site, POST, '#missing')}: broken link to /products/widget/#missing "
        "in /blog/hello/ (no element with id 'missing')",
        f"{POST}:{line_of(site, POST, '#nowhere')}: broken link to #nowhere "
        "in /blog/hello/ (no element with id 'nowhere')",
    ]


def test_relative_and_percent_encoded_links_resolve(make_site):
    site = make_site(
        {
            **with_post_body(
                "A [r](../../products/widget/), [s](../), [t](../../about/#our-story), "
                "the [price list](/files/price%20list.pdf) and [same](../../files/price%20list.pdf)."
            ),
            "content/static/files/price list.pdf": "%PDF-1.4 not really\n",
        }
    )
    assert link_check(site.root)[0] == []


def test_a_missing_static_image_is_reported(make_site):
    site = make_site(with_post_body("Look: ![i](/images/none.png)"))
    line = line_of(site, POST, "/images/none.png")
    problems, _ = link_check(site.root)
    assert problems == [f"{POST}:{line}: broken link to /images/none.png in /blog/hello/"]


def test_a_missing_static_file_with_a_space_is_reported(make_site):
    site = make_site(with_post_body("The [list](/files/price%20list.pdf)."))
    line = line_of(site, POST, "price%20list")
    problems, _ = link_check(site.root)
    assert problems == [
        f"{POST}:{line}: broken link to /files/price%20list.pdf in /blog/hello/"
    ]


def test_a_broken_link_in_a_theme_template_names_the_template(make_site):
    template = "themes/mine/templates/page.html"
    site = make_site(
        {
            **CLEAN_FILES,
            "content/site.yaml": """
                base_url: https://example.com/
                title: Test Co
                theme: mine
            """,
            "content/pages/contact.md": "---\ntitle: Contact\n---\nWrite to us.\n",
            template: """
                {% extends "base.html" %}
                {% block content %}
                <article>
                  {{ page.body }}
                  <p><a href="/missing/">Gone</a></p>
                </article>
                {% endblock %}
            """,
        }
    )
    line = line_of(site, template, 'href="/missing/"')
    problems, _ = link_check(site.root)
    # Two pages use the template: one message, at the line to fix.
    assert problems == [f"{template}:{line}: broken link to /missing/ in /about/"]


def test_absolute_links_to_the_site_are_checked(make_site):
    site = make_site(
        with_post_body(
            "[a](https://example.com/products/widget/), [b](https://example.com/), "
            "[c](https://example.com/about/#our-story), [elsewhere](https://other.example/nope/), "
            "[mail](mailto:x@example.com)\n\n        [gone](https://example.com/nothing/)"
        )
    )
    line = line_of(site, POST, "[gone]")
    problems, _ = link_check(site.root)
    assert problems == [
        f"{POST}:{line}: broken link to https://example.com/nothing/ in /blog/hello/"
    ]


def test_a_base_url_with_a_path_accepts_both_forms_of_site_path(make_site):
    site = make_site(
        {
            **with_post_body(
                "[a](/shop/products/widget/), [b](/products/widget/), "
                "[c](https://example.com/shop/about/#our-story)\n\n"
                "        [gone](https://example.com/shop/nope/)"
            ),
            "content/site.yaml": """
                base_url: https://example.com/shop/
                title: Test Co
            """,
        }
    )
    line = line_of(site, POST, "[gone]")
    problems, _ = link_check(site.root)
    assert problems == [
        f"{POST}:{line}: broken link to https://example.com/shop/nope/ in /blog/hello/"
    ]


def test_the_example_site_has_no_broken_links():
    problems, checked = link_check(REPO)
    assert problems == []
    assert checked > 500


# In-process checks of the parts, on hand-made pages.


def route(url: str, source: str = "the home page (built-in)", template: str = "home.html") -> Route:
    output = url.lstrip("/") + "index.html" if url.endswith("/") else url.lstrip("/")
    return Route(url, output, template, {}, source)


def check(
    files: dict[str, str],
    routes: list[Route],
    static: tuple[str, ...] = (),
    base_url: str = "https://example.com/",
    tmp: Path = Path("/nonexistent"),
) -> tuple[list[str], int]:
    problems = Problems(tmp)
    checked = check_links(
        {name: text.encode() for name, text in files.items()},
        routes,
        static,
        base_url,
        tmp,
        [],
        problems,
    )
    return [p.format() for p in problems.errors], checked


def test_a_link_found_in_no_source_is_reported_in_the_output_page():
    html = '<!doctype html>\n<p>\n<a href="/gone/">x</a>\n<img src="/a.png" srcset="/a.png 1x, /b.png 2x">\n'
    problems, checked = check({"index.html": html}, [route("/")], static=("a.png",))
    assert problems == [
        "index.html:3: broken link to /gone/ in /",
        "index.html:4: broken link to /b.png in /",
    ]
    assert checked == 4


def test_skipped_links_and_form_actions_are_not_checked():
    html = (
        '<a href="mailto:a@b.c"></a><a href="tel:+44"></a><img src="data:image/png;base64,AA">'
        '<a href="https://other.example/x"></a><a href="//other.example/x"></a>'
        '<a href="http://example.com/gone/"></a><form action="/nowhere/"></form>'
    )
    assert check({"index.html": html}, [route("/")]) == ([], 0)


def test_ids_names_queries_and_the_top_fragment():
    html = (
        '<h2 id="a">A</h2><a name="b"></a>'
        '<a href="#a"></a><a href="#b"></a><a href="?page=2#a"></a><a href="#"></a>'
        '<a href="#top"></a><a href="/#a"></a><a href="//example.com/#b"></a>'
        '<a href="/x/%C3%A9t%C3%A9/#caf%C3%A9"></a><a href="/404.html"></a>'
    )
    files = {"index.html": html, "x/été/index.html": '<p id="café"></p>', "404.html": ""}
    problems, checked = check(files, [route("/"), route("/x/été/"), route("/404.html")])
    assert problems == []
    assert checked == 9


def test_relative_links_resolve_against_the_page_url():
    files = {
        "a/b/index.html": '<a href="../c/"></a><a href="d"></a><a href="../../../e.txt"></a>',
        "a/c/index.html": "",
        "a/b/d/index.html": "",
        "e.txt": "",
        "404.html": '<a href="a/c/"></a><a href="b/"></a>',
    }
    routes = [route("/a/b/"), route("/a/c/"), route("/a/b/d/"), route("/e.txt"), route("/404.html")]
    problems, _ = check(files, routes)
    assert problems == ["404.html:1: broken link to b/ in /404.html"]


def test_content_source_then_templates_then_output(tmp_path: Path):
    (tmp_path / "content/posts").mkdir(parents=True)
    (tmp_path / "content/posts/p.md").write_text("---\ntitle: P\n---\nA [x](/gone/#f).\n")
    templates = tmp_path / "themes/t/templates"
    templates.mkdir(parents=True)
    (templates / "post.html").write_text("<main>\n<a href='/also-gone/'>\n</main>\n")
    (templates / "base.html").write_text("\n\n<a href=\"/base-gone/\">\n")
    html = '<a href="/gone/#f"></a>\n<a href="/also-gone/"></a>\n<a href="/base-gone/"></a>\n<a href="/nowhere/"></a>'
    post = Route("/blog/p/", "blog/p/index.html", "post.html", {}, "content/posts/p.md")
    problems = Problems(tmp_path)
    check_links({"blog/p/index.html": html.encode()}, [post], [], "https://example.com/",
                tmp_path, [templates], problems)
    assert [p.format() for p in problems.errors] == [
        "blog/p/index.html:4: broken link to /nowhere/ in /blog/p/",
        "content/posts/p.md:4: broken link to /gone/#f in /blog/p/",
        "themes/t/templates/base.html:3: broken link to /base-gone/ in /blog/p/",
        "themes/t/templates/post.html:2: broken link to /also-gone/ in /blog/p/",
    ]


@pytest.mark.parametrize(
    ("href", "page", "paths", "fragment"),
    [
        ("/x/", "/", ("/x/",), None),
        ("../y#f", "/a/b/", ("/a/y",), "f"),
        ("/shop/p/?q=1", "/", ("/p/", "/shop/p/"), None),
        ("https://example.com/shop", "/", ("/",), None),
        ("HTTPS://EXAMPLE.com/shop/a%20b", "/", ("/a b",), None),
    ],
)
def test_internal_target(href: str, page: str, paths: tuple[str, ...], fragment: str | None):
    target = internal_target(href, page, parse_base("https://example.com/shop/"))
    assert target is not None
    assert (target.paths, target.fragment) == (paths, fragment)


@pytest.mark.parametrize(
    "href", ["https://example.com/other/", "http://example.com/shop/", "ftp://example.com/shop/"]
)
def test_links_outside_the_base_url_are_external(href: str):
    assert internal_target(href, "/", parse_base("https://example.com/shop/")) is None


def test_page_urls_and_parsing():
    assert [page_url_for(o) for o in ("index.html", "a/b/index.html", "404.html")] == [
        "/",
        "/a/b/",
        "/404.html",
    ]
    page = parse_page('<p id="x">\n<link rel="stylesheet" href=" /s.css ">\n<a href>')
    assert page.ids == frozenset({"x"})
    assert [(l.href, l.line) for l in page.links] == [("/s.css", 2)]


def test_a_build_fails_on_a_broken_link_or_missing_image_it_was_given(make_site):
    """`build` itself, not only `check`: each at the line that writes it,
    the previous output left as it was."""
    site = make_site(CLEAN_FILES)
    assert site.build().returncode == 0
    before = site.output_bytes()
    site.write({
        POST: "---\ntitle: Hello\ndate: 2026-01-02\nimage: /images/missing.jpg\n---\n"
              "Our [cups](/prodcts/cups/) and [mugs](../../products/widget/).\n\n"
              "```\n[in code](/not/checked/)\n```\n\nMail [us](mailto:a@example.com), "
              "see [elsewhere](https://other.example/x/).\n",
    })
    run = site.build()
    assert run.returncode == 1
    assert run.error_lines == [
        f"{POST}:4: 'image' names /images/missing.jpg, but the site has no file /images/missing.jpg: "
        "add it as content/static/images/missing.jpg or correct the name",
        f"{POST}:6: broken link to /prodcts/cups/ in /blog/hello/",
    ]
    assert site.output_bytes() == before


def test_a_written_link_to_a_missing_id_fails_the_build_even_when_the_target_changes_later(make_site):
    site = make_site({
        **CLEAN_FILES,
        "content/pages/team.md": "---\ntitle: Team\n---\n## Our people\n\nUs.\n",
        POST: "---\ntitle: Hello\ndate: 2026-01-02\n---\nMeet [them](/team/#our-people); [up](#top).\n",
    })
    assert site.build().returncode == 0
    # The page linked to is edited; the post that links to it is not.
    site.write({"content/pages/team.md": "---\ntitle: Team\n---\n## The crew\n\nUs.\n"})
    run = site.build()
    assert run.returncode == 1
    assert run.error_lines == [f"{POST}:5: broken link to /team/#our-people in /blog/hello/ (no element with id 'our-people')"]
    # And the other way round: the post changes, the page is kept as built.
    site.write({"content/pages/team.md": "---\ntitle: Team\n---\n## Our people\n\nUs.\n"})
    assert site.build().returncode == 0
    site.write({POST: "---\ntitle: Hello\ndate: 2026-01-02\n---\nMeet [them](/team/#nobody).\n"})
    run = site.build()
    assert run.error_lines == [f"{POST}:5: broken link to /team/#nobody in /blog/hello/ (no element with id 'nobody')"]


def test_what_is_not_a_link_is_not_reported_and_lines_are_where_the_link_is(make_site):
    site = make_site({
        **CLEAN_FILES,
        "content/static/files/price list.pdf": "%PDF-1.4\n",
        POST: "---\ntitle: Hello\ndate: 2026-01-02\n---\n"
              "A note[^1], the [price list](</files/price list.pdf>), ``code `[a](/nope1/)` here``,\n"
              "`span over\n[b](/nope2/) lines`, an escaped \\[c\\](/nope3/), <!-- [d](/nope4/) -->\n\n"
              "```\nsee [e](/bad/)\n```\n\n    [f](/nope5/)\n\n[^1]: Some note here.\n\n"
              "And a real one: [g](/bad/).\n",
    })
    run = site.build()
    assert run.error_lines == [f"{POST}:17: broken link to /bad/ in /blog/hello/"]


def test_a_long_text_full_of_links_is_scanned_whole():
    """460 KB of comments and links (the old scan, quadratic, took 23 s over
    it): every link outside the comments is found, in order, with its offset."""
    from sitegen.content.markup import written_targets

    text = "<!-- c -->[a](/about/)\n" * 20000
    found = written_targets(text)
    assert len(found) == 20000 and all(target == "/about/" for target, _ in found)
    assert [at for _, at in found[:2]] == [14, 37]


def test_the_preview_sees_a_link_break_when_the_page_it_names_goes(make_site):
    """A kept post's links are not looked at again while the site's pages
    stay the same; when a page goes, they are."""
    from sitegen.session import BuildSession

    site = make_site({**CLEAN_FILES, "content/pages/team.md": "---\ntitle: Team\n---\nUs.\n",
                      POST: "---\ntitle: Hello\ndate: 2026-01-02\n---\nMeet [the team](/team/).\n"})
    session = BuildSession(BuildOptions(source=site.root, now=NOW), watched=True)
    session.render()
    other = site.root / "content/posts/2026-01-03-other.md"
    other.write_text("---\ntitle: Other\ndate: 2026-01-03\n---\nHi.\n")
    session.forget([other])
    session.render()
    team = site.root / "content/pages/team.md"
    team.unlink()
    session.forget([team])
    with pytest.raises(BuildFailed) as failed:
        session.render()
    assert [p.format() for p in failed.value.problems.errors] == [f"{POST}:5: broken link to /team/ in /blog/hello/"]
    team.write_text("---\ntitle: Team\n---\nUs.\n")
    session.forget([team])
    session.render()


# --------------------------------------------------------------------------
# Links to what the date alone takes away or has not brought yet: warnings,
# never a failed build (alliances end; the site must keep building).

def _epoch(day: str) -> str:
    return str(int(datetime.fromisoformat(day + "T12:00:00+00:00").timestamp()))


DATED_FILES: dict[str, str | None] = {
    "content/capabilities/chilled.md": "---\ntitle: Chilled delivery\n---\nCold all the way.\n",
    "content/partners/pedal.yaml": "name: Pedal & Post\ndisclosure: credited\nprovides: [chilled]\nsells: [widget]\nuntil: 2026-06-30\n",
    "content/partners/quiet.yaml": "name: Quiet Kitchen\ndisclosure: white-label\nprovides: [design]\n",
    "content/posts/2026-07-10-summer.md": "---\ntitle: Summer menu\ndate: 2026-07-10\n---\nSoon.\n",
    POST: "---\ntitle: Hello\ndate: 2026-01-02\n---\n"
          "We deliver [chilled](/capabilities/chilled/) with [Pedal](/network/#pedal).\n\n"
          "Buy [here](/where-to-buy/); see the [summer menu](/blog/summer/).\n",
}


def test_an_alliance_ending_turns_its_links_into_warnings_not_a_failed_build(make_site, tmp_path):
    site = make_site(DATED_FILES)
    first = site.build()  # 2026-06-15: Pedal is active; the summer post is not out yet
    assert first.returncode == 0, first.stderr
    assert first.error_lines == [
        f"{POST}:7: warning: link to /blog/summer/ in /blog/hello/: that post is published on "
        "2026-07-10; until then the link leads to the not-found page (a scheduled rebuild publishes it on the day)",
    ]
    # The day after the alliance ends, with no file edited.
    later = {"SOURCE_DATE_EPOCH": _epoch("2026-07-01")}
    run = site.run("build", env=later)
    assert run.returncode == 0, run.stderr
    warned = [line for line in run.error_lines if "link to" in line]
    assert warned == [
        f"{POST}:5: warning: link to /capabilities/chilled/ in /blog/hello/: capability 'Chilled delivery' "
        "(chilled) is not offered on 2026-07-01 (no active partner provides it), so its page is not published; "
        "until it is, the link leads to the not-found page: remove it or add a provider",
        f"{POST}:5: warning: link to /network/#pedal in /blog/hello/: Pedal & Post is not an active partner on "
        "2026-07-01, so the network page has no such anchor; until it is, the link leads to the top of that page",
        f"{POST}:7: warning: link to /blog/summer/ in /blog/hello/: that post is published on 2026-07-10; "
        "until then the link leads to the not-found page (a scheduled rebuild publishes it on the day)",
        f"{POST}:7: warning: link to /where-to-buy/ in /blog/hello/: no credited reseller is active on "
        "2026-07-01, so /where-to-buy/ is not published; until one is, the link leads to the not-found page",
    ]
    assert not (site.public / "capabilities/chilled").exists()
    # What a build from the cache wrote equals a cold build of the same day.
    cold = tmp_path / "cold"
    assert site.run("build", "--no-cache", "--output", str(cold), env=later).returncode == 0
    assert site.output_bytes() == site.output_bytes(cold)
    # --strict fails on them, as on every warning; `check --links` reports them.
    assert site.run("build", "--strict", env=later).returncode == 1
    checked = site.run("check", "--links", env=later)
    assert checked.returncode == 0
    assert sum("warning: link to" in line for line in checked.error_lines) == 4
    # On the summer post's day it is published and its link lands.
    summer = site.run("build", env={"SOURCE_DATE_EPOCH": _epoch("2026-07-10")})
    assert summer.returncode == 0 and "/blog/summer/" not in summer.stderr
    assert (site.public / "blog/summer/index.html").is_file()


def test_links_to_what_never_was_or_to_a_white_label_partner_stay_errors(make_site):
    site = make_site({
        **DATED_FILES,
        POST: "---\ntitle: Hello\ndate: 2026-01-02\n---\n"
              "[Baking](/capabilities/baking/), [quiet](/network/#quiet), [draft](/blog/secret/).\n",
        "content/posts/secret.md": "---\ntitle: Secret\ndate: 2026-01-01\ndraft: true\n---\nShh.\n",
    })
    run = site.build()
    assert run.returncode == 1
    assert run.error_lines == [
        f"{POST}:5: broken link to /blog/secret/ in /blog/hello/",
        f"{POST}:5: broken link to /capabilities/baking/ in /blog/hello/",
    ]
    # (anchors are checked once the pages render, when nothing else is wrong)
    site.write({POST: "---\ntitle: Hello\ndate: 2026-01-02\n---\nSee [quiet](/network/#quiet).\n"})
    run = site.build()
    assert run.returncode == 1
    assert run.error_lines == [f"{POST}:5: broken link to /network/#quiet in /blog/hello/ (no element with id 'quiet')"]
    assert not site.public.exists()


def test_the_preview_warns_of_a_withheld_link_at_every_rebuild(make_site):
    """A text whose link did not land is looked at again by the next
    rebuild, even when the site's pages stay the same."""
    from sitegen.session import BuildSession

    site = make_site({
        **DATED_FILES, "content/pages/other.md": "---\ntitle: Other\n---\nHi.\n",
        POST: "---\ntitle: Hello\ndate: 2026-01-02\n---\nSee the [summer menu](/blog/summer/).\n",
    })
    session = BuildSession(BuildOptions(source=site.root, now=NOW), watched=True)
    other = site.root / "content/pages/other.md"
    for words in ("Hello.", "Hello again."):
        warnings = [p.format() for p in session.render().warnings]
        assert any("link to /blog/summer/" in w for w in warnings), warnings
        other.write_text(f"---\ntitle: Other\n---\n{words}\n")  # the same pages, one edited
        session.forget([other])
