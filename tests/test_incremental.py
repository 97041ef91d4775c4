"""A site rebuilt in one process after each edit equals a cold build, byte for byte."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sitegen.build import BuildOptions, render_site
from sitegen.session import BuildSession
from sitegen.errors import BuildFailed

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)
TAGS = ["Soup", "soup", "Local Farms", "C++", "news", "Winter"]


def post_text(rng: random.Random, title: str) -> str:
    tags = rng.sample(TAGS, rng.randint(0, 3))
    day = f"2026-{rng.randint(1, 7):02d}-{rng.randint(1, 28):02d}"
    draft = "draft: true\n" if rng.random() < 0.15 else ""
    body = " ".join(rng.choice(["soup", "leek", "farm", "jar", "**bold**", "[w](/products/widget/)"]) for _ in range(rng.randint(5, 40)))
    return f"---\ntitle: {title}\ndate: {day}\ntags: [{', '.join(tags)}]\ncategories: [{rng.choice(['News', 'Kitchen'])}]\n{draft}---\n{body}\n\n## Part two\n\nMore {title}.\n"


def outcome(render) -> tuple[str, object]:
    try:
        result = render()
    except BuildFailed as failed:
        return ("failed", [p.format() for p in failed.problems.errors])
    # The pages, and the static files the routes publish (photo sizes among them).
    return ("ok", (result.files, sorted(static.output for static in result.routes.static)))


EDITS = (
    "edit_post",
    "retitle_post",
    "add_post",
    "delete_post",
    "rename_post",
    "partner",
    "business",
    "page",
    "template",
    "product",
    "static",
    "selling",
    "contact_or_privacy",
)


def apply_edit(root: Path, rng: random.Random, step: int) -> list[Path]:
    """Change the site like an owner would; return the paths touched."""
    posts = sorted((root / "content" / "posts").glob("*.md"))
    kind = rng.choice(EDITS)
    touched: list[Path] = []

    def write(path: Path, text: str | None) -> None:
        touched.append(path)
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    if kind == "edit_post" and posts:
        write(rng.choice(posts), post_text(rng, f"Edited {step}"))
    elif kind == "retitle_post" and posts:
        # Same date and terms: the post keeps its place in every list.
        path = rng.choice(posts)
        text = path.read_text()
        write(path, text.replace("title: ", f"title: Retitled {step} ", 1) + f"\nMore words {step}.\n")
    elif kind == "add_post" or not posts:
        write(root / "content" / "posts" / f"new-{step}.md", post_text(rng, f"New {step}"))
    elif kind == "delete_post":
        write(rng.choice(posts), None)
    elif kind == "rename_post":
        old = rng.choice(posts)
        text = old.read_text()
        write(old, None)
        write(old.with_name(f"renamed-{step}.md"), text)
    elif kind == "partner":
        disclosure = rng.choice(["credited", "white-label"])
        until = rng.choice(["", "until: 2026-01-01\n", "until: 2027-01-01\n"])
        write(
            root / "content" / "partners" / "dyer.yaml",
            f"name: Dyer {step}\ndisclosure: {disclosure}\nprovides: [dyeing]\n{until}blurb: Colours {step}\n",
        )
    elif kind == "business":
        write(root / "content" / "business.yaml", f"name: Test Co {step}\ntagline: Tag {step}\n")
    elif kind == "page":
        menu = rng.choice(["", "menu: 1\n", "menu: 99\n"])
        write(root / "content" / "pages" / f"p{rng.randint(1, 3)}.md", f"---\ntitle: Page {step}\n{menu}---\nText {step}.\n")
    elif kind == "template":
        path = root / "themes" / "mine" / "templates" / "post.html"
        if path.exists() and rng.random() < 0.5:
            write(path, None)
        else:
            write(path, f"{{% extends 'base.html' %}}{{% block content %}}<h1>{{{{ post.title }}}}</h1>v{step}{{% endblock %}}\n")
    elif kind == "product":
        requires = rng.choice(["[design]", "[design, dyeing]"])
        selling = rng.choice(
            ["", "price: 6.5\n", "price: 6.50\ncurrency: EUR\n", "price: 45\nprice_from: true\nunit: scarf\n",
             "buy_url: https://pay.example/scarf\n", "order: none\nprice: 12\n", "made_to_order: true\nlead_time: 3 weeks\n"]
        )
        write(
            root / "content" / "products" / "scarf.md",
            f"---\ntitle: Scarf {step}\nrequires: {requires}\n{selling}---\nWarm.\n",
        )
    elif kind == "selling":
        # The site-wide settings a product page's price and buttons follow.
        extra = rng.choice(["", "locale: de_DE\n", "locale: en_US\ncurrency: USD\n", "currency: GBP\n", "forms: none\n"])
        write(
            root / "content" / "site.yaml",
            f"base_url: https://example.com/\ntheme: mine\nposts_per_page: 2\n{extra}",
        )
    elif kind == "contact_or_privacy":
        # Where the calls to action lead, and what every form links.
        path = root / "content" / "pages" / f"{rng.choice(['contact', 'privacy'])}.md"
        write(path, None if path.exists() else f"---\ntitle: {path.stem.title()} {step}\n---\nText.\n")
    elif kind == "static":
        write(root / "content" / "static" / "note.txt", f"note {step}\n")
    return touched



def editable_site(make_site, rng: random.Random):
    """A small site with a site theme, a partner and four random posts:
    what `apply_edit` changes."""
    site = make_site(
        {
            "content/site.yaml": "base_url: https://example.com/\ntheme: mine\nposts_per_page: 2\n",
            "themes/mine/templates/.keep": "",
            "content/capabilities/dyeing.md": "---\ntitle: Dyeing\n---\nColour.\n",
            "content/partners/dyer.yaml": "name: Dyer\ndisclosure: credited\nprovides: [dyeing]\n",
        }
    )
    for index in range(4):
        site.write({f"content/posts/p{index}.md": post_text(rng, f"Post {index}")})
    return site

@pytest.mark.parametrize("watched", [False, True], ids=["stat-checked", "watcher-trusted"])
def test_incremental_renders_equal_cold_renders_after_random_edits(make_site, watched):
    """`watched` is the preview server's mode: only the files named to
    `forget` are read again, folders are listed again only when a file came
    or went."""
    rng = random.Random(20261128)
    site = editable_site(make_site, rng)
    options = BuildOptions(source=site.root, now=NOW, drafts=True)
    session = BuildSession(options, watched=watched)
    assert outcome(session.render) == outcome(lambda: render_site(options))
    for step in range(40):
        touched = apply_edit(site.root, rng, step)
        session.forget(touched)
        incremental = outcome(session.render)
        cold = outcome(lambda: render_site(options))
        assert incremental == cold, f"step {step} diverged"


def tagged_posts(count: int) -> dict[str, str]:
    """`count` posts a day apart, each with one of three tags."""
    return {
        f"content/posts/p{n:02d}.md": f"---\ntitle: Post {n}\ndate: 2026-01-{n + 1:02d}\ntags: [t{n % 3}]\n---\nBody {n}.\n"
        for n in range(count)
    }


def test_one_post_edit_re_renders_only_pages_showing_that_post(make_site):
    site = make_site(tagged_posts(30))
    options = BuildOptions(source=site.root, now=NOW)
    session = BuildSession(options)
    first = session.render()
    total = len(first.files)
    path = site.root / "content/posts/p05.md"
    path.write_text("---\ntitle: Post 5\ndate: 2026-01-06\ntags: [t2]\n---\nA new body.\n")
    session.forget([path])
    session.render()
    # The post, its two neighbours, its blog page and its tag page; nothing else.
    assert session.stats.rendered <= 6, session.stats
    assert session.stats.reused >= total - 6


def test_command_line_builds_after_random_edits_equal_cold_builds(make_site, tmp_path):
    """`sitegen build` reuses the last build's pages; its output must always
    equal a cold build's, file for file and byte for byte."""
    rng = random.Random(4242)
    site = editable_site(make_site, rng)
    assert_builds_equal_cold_builds(site, rng, 25, BuildOptions(source=site.root, now=NOW, jobs=1), tmp_path / "cold")


def assert_builds_equal_cold_builds(site, rng: random.Random, steps: int, options: BuildOptions, cold_out: Path) -> None:
    """Random edits, each followed by a build with `options` whose output
    must equal a cold build's (`cold_out`), file for file and byte for byte."""
    from sitegen.build import build_site

    for step in range(steps):
        if step:
            apply_edit(site.root, rng, step)
        try:
            build_site(options)
        except BuildFailed:
            continue
        build_site(BuildOptions(source=site.root, now=NOW, jobs=1, cache=False, output=cold_out))
        assert site.output_bytes() == site.output_bytes(cold_out), f"step {step} diverged"


def test_incremental_build_writes_only_changed_files(make_site):
    from sitegen.build import build_site

    files = {
        f"content/posts/p{n:02d}.md": f"---\ntitle: Post {n}\ndate: 2026-01-{n + 1:02d}\n---\nBody {n}.\n"
        for n in range(12)
    }
    site = make_site(files)
    options = BuildOptions(source=site.root, now=NOW)
    first = build_site(options)
    times = {p: p.stat().st_mtime_ns for p in site.public.rglob("*.html")}
    assert build_site(options).unchanged == first.pages, "a build with no change rewrites nothing"
    assert {p: p.stat().st_mtime_ns for p in site.public.rglob("*.html")} == times
    (site.root / "content/posts/p03.md").write_text("---\ntitle: Post 3\ndate: 2026-01-04\n---\nNew body.\n")
    result = build_site(options)
    changed = {p for p in site.public.rglob("*.html") if p.stat().st_mtime_ns != times.get(p)}
    assert site.public / "blog/p03/index.html" in changed
    assert site.public / "index.html" not in changed
    assert site.public / "products/widget/index.html" not in changed
    assert len(changed) <= 6, changed
    assert result.unchanged >= len(times) - 6


def test_an_output_file_edited_by_hand_is_rendered_again(make_site):
    from sitegen.build import build_site

    site = make_site()
    options = BuildOptions(source=site.root, now=NOW)
    build_site(options)
    page = site.public / "products/widget/index.html"
    original = page.read_bytes()
    page.write_bytes(b"edited by hand")
    build_site(options)
    assert page.read_bytes() == original


def test_kept_pages_are_written_afresh_when_the_output_cannot_be_updated_in_place(make_site, tmp_path):
    """A page the build keeps without reading it is still right when the
    writer has to start a fresh folder (here: a page replaced by a symlink,
    which sitegen never keeps as it is)."""
    from sitegen.build import build_site

    site = make_site()
    options = BuildOptions(source=site.root, now=NOW)
    build_site(options)
    before = site.output_bytes()
    page = site.public / "products/widget/index.html"
    elsewhere = tmp_path / "copy.html"
    elsewhere.write_bytes(page.read_bytes())
    page.unlink()
    page.symlink_to(elsewhere)
    result = build_site(options)
    pages = [name for name in before if not name.startswith("assets/") and name != ".sitegen-output"]
    assert result.unchanged >= len(pages) - 1
    assert not page.is_symlink()
    assert site.output_bytes() == before


def test_no_change_build_after_an_incremental_one_reports_every_page(make_site):
    from sitegen.build import build_site

    site = make_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nA.\n"})
    options = BuildOptions(source=site.root, now=NOW)
    first = build_site(options)
    (site.root / "content/posts/a.md").write_text("---\ntitle: A\ndate: 2026-01-01\n---\nA, again.\n")
    build_site(options)
    assert build_site(options).pages == first.pages


def test_a_failed_build_keeps_the_page_book_but_no_record_to_replay(make_site):
    """While a build runs its manifest is set aside: a failed build leaves
    nothing a no-change check would trust, and the next build still keeps
    every page whose inputs did not change."""
    from sitegen.build import build_site
    from sitegen.incremental import snapshot

    site = make_site(tagged_posts(12))
    options = BuildOptions(source=site.root, now=NOW)
    first = build_site(options)
    site.write({"content/posts/broken.md": "---\ntitle: B\ndate: someday\n---\nB.\n"})
    with pytest.raises(BuildFailed):
        build_site(options)
    cache = site.root / ".sitegen-cache"
    assert not (cache / snapshot.RECORD_NAME).exists() and (cache / snapshot.SET_ASIDE_NAME).exists()
    site.write({"content/posts/broken.md": None})
    again = build_site(options)
    assert again.timings.keys() != {"unchanged check"}, "a full build, not a replay"
    assert again.unchanged == first.pages
    assert (cache / snapshot.RECORD_NAME).exists() and not (cache / snapshot.SET_ASIDE_NAME).exists()


def test_output_files_changed_by_hand_are_rendered_again(make_site):
    """Kept pages are checked by the signature the manifest recorded; a file
    edited, deleted or rewritten by hand is found and made right."""
    from sitegen.build import build_site

    site = make_site(tagged_posts(12))
    options = BuildOptions(source=site.root, now=NOW)
    build_site(options)
    expected = site.output_bytes()
    (site.public / "products/widget/index.html").write_bytes(b"edited by hand")
    (site.public / "blog/p02/index.html").unlink()
    (site.public / "tags/t1/index.html").write_bytes(expected["tags/t1/index.html"])  # rewritten, same bytes
    (site.root / "content/posts/p09.md").write_text(
        "---\ntitle: Post 9\ndate: 2026-01-10\ntags: [t0]\n---\nBody 9, longer.\n"
    )
    build_site(options)
    after = site.output_bytes()
    assert after["products/widget/index.html"] == expected["products/widget/index.html"]
    assert after["blog/p02/index.html"] == expected["blog/p02/index.html"]
    assert "Body 9, longer." in after["blog/p09/index.html"].decode()
    cold = site.root / "cold"
    build_site(BuildOptions(source=site.root, now=NOW, cache=False, output=cold))
    assert after == site.output_bytes(cold)
