"""User mistakes: one `path:line: message` each, all in one run, exit 1, old output kept.

Every case starts from a site that built once, plants one mistake, builds
again and checks that the user gets exactly one located message naming the
problem, a non-zero exit, no traceback (conftest checks that), the previous
public/ byte-identical and no staging folder left behind.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import MINIMAL_FILES, REPO, Run, SiteFolder

# --------------------------------------------------------------------------
# Helpers


def file_lines(text: str) -> list[str]:
    """The lines of a file as `write_files` writes it."""
    return textwrap.dedent(text).lstrip("\n").split("\n")


def line_of(text: str, needle: str) -> int:
    """1-based line of the only line of `text` containing `needle`."""
    found = [n for n, line in enumerate(file_lines(text), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} must occur on exactly one line, found {found}"
    return found[0]


def errors_of(run: Run) -> list[str]:
    return [line for line in run.error_lines if not re.match(r"^\S+?(:\d+)?: warning: ", line)]


def warnings_of(run: Run) -> list[str]:
    return [line for line in run.error_lines if re.match(r"^\S+?(:\d+)?: warning: ", line)]


def leftovers(root: Path) -> list[str]:
    """Staging or retired folders of the writer that a build left behind."""
    return [
        p.name
        for p in root.iterdir()
        if "sitegen-staging" in p.name or "sitegen-old" in p.name
    ]


def assert_single_error(run: Run, prefix: str, *words: str) -> str:
    """Exactly one error line; it starts with `prefix` and contains `words`."""
    errors = errors_of(run)
    assert len(errors) == 1, f"expected one error starting {prefix!r}, got:\n{run.stderr}"
    message = errors[0]
    assert message.startswith(prefix), f"expected {prefix!r}, got {message!r}"
    for word in words:
        assert word in message, f"{word!r} missing from {message!r}"
    return message


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal site built once per module (copying it is faster than rebuilding)."""
    root = tmp_path_factory.mktemp("baseline") / "site"
    root.mkdir()
    site = SiteFolder(root).write(dict(MINIMAL_FILES))
    first = site.build()
    assert first.returncode == 0, first.stderr
    assert (site.public / "index.html").is_file()
    return root


@pytest.fixture
def built(baseline: Path, tmp_path: Path) -> tuple[SiteFolder, dict[str, bytes]]:
    """The minimal site after one successful build, and the bytes of its output."""
    root = tmp_path / "site"
    shutil.copytree(baseline, root, symlinks=True)
    site = SiteFolder(root)
    return site, site.output_bytes()


def build_fails(site: SiteFolder, before: dict[str, bytes]) -> Run:
    """Build again after a mistake: exit 1, previous output intact, no staging."""
    run = site.build()
    assert run.returncode == 1, f"exit {run.returncode}\n{run.stderr}"
    assert site.output_bytes() == before, "the previous output was changed"
    assert leftovers(site.root) == []
    return run


# --------------------------------------------------------------------------
# One case per kind of mistake


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str | None]
    path: str  # the file the message must name
    line: int | str  # a line number, or text found on exactly that line of `path`
    words: tuple[str, ...]

    def expected_line(self) -> int:
        if isinstance(self.line, int):
            return self.line
        return line_of(self.files[self.path] or "", self.line)


PARTNER = "content/partners/rosa.yaml"
POST = "content/posts/2024-05-01-hello.md"
PRODUCT = "content/products/widget.md"
SITE = "content/site.yaml"
BUSINESS = "content/business.yaml"
SEWING = "content/capabilities/sewing.md"

SEWING_FILE = """
    ---
    title: Sewing
    ---
    Sewing, by partners only.
"""


def partner(*lines: str) -> str:
    return "\n".join(["name: Rosa Textiles", "kind: supplier", *lines]) + "\n"


def front(*lines: str, body: str = "Body text.") -> str:
    return "\n".join(["---", *lines, "---", body]) + "\n"


CASES = [
    Case(
        "yaml-syntax-in-partner",
        {PARTNER: partner("blurb: Fine fabrics: since 1990", "disclosure: credited")},
        PARTNER, "blurb:", ("invalid YAML",),
    ),
    Case(
        "yaml-syntax-in-front-matter",
        {POST: front("title: Hello", "date: 2024-05-01", "summary: Big news: we moved")},
        POST, "summary:", ("invalid YAML",),
    ),
    Case(
        "yaml-list-instead-of-mapping",
        {PARTNER: "- name: Rosa Textiles\n- kind: supplier\n"},
        PARTNER, 1, ("key: value", "list"),
    ),
    Case(
        "yaml-duplicate-key",
        {PARTNER: "name: Rosa Textiles\nkind: supplier\nname: Rosa Ltd\n"},
        PARTNER, "Rosa Ltd", ("duplicate key 'name'", "line 1"),
    ),
    Case(
        "missing-title-in-product",
        {PRODUCT: front('price: "10.00"', "requires: [design]")},
        PRODUCT, "price:", ("missing required key 'title'",),
    ),
    Case(
        "missing-name-in-business",
        {BUSINESS: "tagline: We make things\nsummary: Things.\n"},
        BUSINESS, 1, ("missing required key 'name'",),
    ),
    Case(
        "missing-base-url-in-site",
        {SITE: "title: Test Co\n"},
        SITE, 1, ("missing required key 'base_url'",),
    ),
    Case(
        "missing-date-in-post",
        {POST: front("title: Hello", "summary: News")},
        POST, "title:", ("missing required key 'date'",),
    ),
    Case(
        "missing-front-matter",
        {"content/pages/about.md": "title: About\n\nWe are nice.\n"},
        "content/pages/about.md", 1, ("front matter", "---"),
    ),
    Case(
        "unclosed-front-matter",
        {"content/pages/about.md": "---\ntitle: About\n\nWe are nice.\n"},
        "content/pages/about.md", 1, ("front matter", "not closed"),
    ),
    Case(
        "bad-post-date",
        {POST: front("title: Hello", "date: 2024-13-45")},
        POST, "date:", ("'date'", "2024-13-45"),
    ),
    Case(
        "bad-partner-since",
        {PARTNER: partner("provides: [design]", "since: yesterday")},
        PARTNER, "since:", ("'since'", "yesterday"),
    ),
    Case(
        "until-before-since",
        {PARTNER: partner("provides: [design]", "since: 2024-01-01", "until: 2023-06-30")},
        PARTNER, "until:", ("until", "before", "since", "2023-06-30", "2024-01-01"),
    ),
    Case(
        "bad-partner-kind",
        {PARTNER: "name: Rosa Textiles\nkind: wizard\nprovides: [design]\n"},
        PARTNER, "kind:", ("kind must be one of", "'supplier'", "got 'wizard'"),
    ),
    Case(
        "bad-partner-disclosure",
        {PARTNER: partner("provides: [design]", "disclosure: public")},
        PARTNER, "disclosure:",
        ("disclosure must be 'credited' or 'white-label', got 'public'",),
    ),
    Case(
        "bad-bool-in-house",
        {SEWING: front("title: Sewing", "in_house: maybe")},
        SEWING, "in_house:", ("'in_house'", "true or false", "'maybe'"),
    ),
    Case(
        "bad-integer-posts-per-page",
        {SITE: "base_url: https://example.com/\ntitle: Test Co\nposts_per_page: lots\n"},
        SITE, "posts_per_page:", ("'posts_per_page'", "whole number", "'lots'"),
    ),
    Case(
        "zero-posts-per-page",
        {SITE: "base_url: https://example.com/\ntitle: Test Co\nposts_per_page: 0\n"},
        SITE, "posts_per_page:", ("'posts_per_page'", "at least 1"),
    ),
    Case(
        "tags-as-mapping",
        {POST: front("title: Hello", "date: 2024-05-01", "tags: {a: 1}")},
        POST, "tags:", ("'tags'", "must be a list"),
    ),
    Case(
        "title-as-list",
        {PRODUCT: front("title: [a, b]", "requires: [design]")},
        PRODUCT, "title:", ("'title'", "must be text", "list"),
    ),
    Case(
        "product-requires-unknown-capability",
        {PRODUCT: front("title: Widget", "requires:", "  - design", "  - welding")},
        PRODUCT, "- welding", ("product 'Widget'", "unknown capability 'welding'"),
    ),
    Case(
        "partner-provides-unknown-capability",
        {PARTNER: partner("provides:", "  - design", "  - welding")},
        PARTNER, "- welding", ("Rosa Textiles", "unknown capability 'welding'"),
    ),
    # A product needing a capability whose partner left, or has not started,
    # is withdrawn with a warning, not a mistake (#14): test_availability.py
    # and test_network.py.
    Case(
        "javascript-url-in-partner",
        {PARTNER: partner("provides: [design]", "disclosure: credited", "url: javascript:alert(1)")},
        PARTNER, "url:", ("'url'", "javascript:alert(1)"),
    ),
    Case(
        "relative-base-url",
        {SITE: "title: Test Co\nbase_url: example.com\n"},
        SITE, "base_url:", ("'base_url'", "full URL", "example.com"),
    ),
    Case(
        "base-url-with-a-query-and-fragment",
        {SITE: "title: Test Co\nbase_url: 'https://example.com/?ref=1#top'\n"},
        SITE, "base_url:", ("'base_url'", "?query or #fragment", "https://example.com/?ref=1#top"),
    ),
    Case(
        "base-url-with-a-port-that-is-not-a-number",
        {SITE: "title: Test Co\nbase_url: 'https://example.com:abc/'\n"},
        SITE, "base_url:", ("'base_url'", "port", "example.com:abc"),
    ),
    Case(
        "base-url-that-is-not-a-web-address",
        {SITE: "title: Test Co\nbase_url: 'mailto:hello@example.com'\n"},
        SITE, "base_url:", ("'base_url'", "http(s)", "mailto:hello@example.com"),
    ),
    Case(
        "page-on-the-blog-url",
        {"content/pages/blog.md": front("title: Blog")},
        "content/pages/blog.md", 1, ("/blog/", "blog index"),
    ),
    Case(
        "static-file-on-the-products-url",
        {"content/static/products/index.html": "<p>mine</p>\n"},
        "content/static/products/index.html", 1, ("/products/", "products index"),
    ),
    Case(
        "file-name-without-slug-characters",
        {"content/pages/___.md": front("title: Underscores")},
        "content/pages/___.md", 1, ("empty URL slug",),
    ),
    Case(
        "file-name-in-a-script-without-latin-letters",
        {"content/pages/日本.md": front("title: Japan")},
        "content/pages/日本.md", 1, ("empty URL slug",),
    ),
    Case(
        "missing-theme",
        {SITE: "base_url: https://example.com/\ntitle: Test Co\ntheme: nope\n"},
        SITE, "theme:", ("theme 'nope' not found", "themes/nope"),
    ),
    Case(
        "undefined-field-in-theme-template",
        {
            SITE: "base_url: https://example.com/\ntitle: Test Co\ntheme: mine\n",
            "content/pages/about.md": front("title: About"),
            "themes/mine/templates/page.html": (
                '{% extends "base.html" %}\n'
                "{% block content %}\n"
                "<p>{{ page.nope }}</p>\n"
                "{% endblock %}\n"
            ),
        },
        "themes/mine/templates/page.html", "page.nope", ("template error", "nope"),
    ),
    Case(
        "syntax-error-in-theme-template",
        {
            SITE: "base_url: https://example.com/\ntitle: Test Co\ntheme: mine\n",
            "content/pages/about.md": front("title: About"),
            "themes/mine/templates/page.html": (
                '{% extends "base.html" %}\n'
                "{% block content %}\n"
                "{% if %}<p>x</p>{% endif %}\n"
                "{% endblock %}\n"
            ),
        },
        "themes/mine/templates/page.html", "{% if %}", ("template error",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_mistake_gets_one_located_message(built, case: Case) -> None:
    """As a site owner who made one mistake, I get one `path:line: message` naming it."""
    site, before = built
    site.write(case.files)
    run = build_fails(site, before)
    assert_single_error(run, f"{case.path}:{case.expected_line()}: ", *case.words)


@pytest.mark.parametrize(
    "opened_by, lines",
    [
        ("title:", ('title: "Hello', "date: 2024-05-01", "summary: News")),
        ("tags:", ("title: Hello", "date: 2024-05-01", "tags: [a, b", "summary: News")),
    ],
    ids=["unclosed-quote", "unclosed-bracket"],
)
def test_unclosed_quote_or_bracket_in_front_matter(built, opened_by: str, lines: tuple[str, ...]) -> None:
    """As a user who forgot a closing quote or bracket, every line number I am shown is a line of my file."""
    site, before = built
    text = front(*lines)
    site.write({POST: text})
    run = build_fails(site, before)
    line = line_of(text, opened_by)
    message = assert_single_error(run, f"{POST}:{line}: ", "invalid YAML")
    mentioned = [int(n) for n in re.findall(r"\bline (\d+)", message)]
    assert all(n == line for n in mentioned), f"lines {mentioned} in {message!r} are not file line {line}"


def test_missing_site_yaml(built) -> None:
    """As a user who deleted content/site.yaml, I am told that file is missing."""
    site, before = built
    site.write({SITE: None})
    run = build_fails(site, before)
    # A file that does not exist has no line: `path: message` (or `path:1:`).
    message = assert_single_error(run, "content/site.yaml", "missing")
    assert re.match(r"^content/site\.yaml(:1)?: ", message), message


def test_pages_differing_only_in_case_share_a_url(built) -> None:
    """As a user with About.md and about.md, I learn both files want /about/."""
    site, before = built
    site.write({
        "content/pages/About.md": front("title: About us"),
        "content/pages/about.md": front("title: About"),
    })
    run = build_fails(site, before)
    message = assert_single_error(run, "content/pages/")
    match = re.match(r"^content/pages/(About|about)\.md:1: ", message)
    assert match, message
    other = "about.md" if match.group(1) == "About" else "About.md"
    assert f"content/pages/{other}" in message, message


def test_non_utf8_file(built) -> None:
    """As a user whose editor saved Latin-1, I get the file and line of the bad byte."""
    site, before = built
    path = site.root / PARTNER
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"name: Rosa Textiles\nkind: supplier\nlocation: Bras\xedlia\n")
    run = build_fails(site, before)
    assert_single_error(run, f"{PARTNER}:3: ", "UTF-8")


def test_control_character_gets_one_line_with_its_line(built) -> None:
    """As a user who pasted an invisible control character, I get one line pointing at it."""
    site, before = built
    path = site.root / PARTNER
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("name: Rosa Textiles\nkind: supplier\nblurb: Fine\x01 fabrics\n", encoding="utf-8")
    run = build_fails(site, before)
    assert_single_error(run, f"{PARTNER}:3: ", "invalid YAML")
    assert len(run.stderr.splitlines()) == 2, run.stderr  # the message and the summary


def test_static_file_where_a_page_folder_goes(built) -> None:
    """As a user with a file content/static/blog, I learn it clashes with the blog at /blog/."""
    site, before = built
    site.write({"content/static/blog": "not a folder\n"})
    run = build_fails(site, before)
    assert_single_error(run, "content/static/blog:1: ", "/blog/")


# --------------------------------------------------------------------------
# All mistakes at once


def test_all_mistakes_are_reported_in_one_run(built) -> None:
    """As a user with four mistakes in four files, I see all four, sorted by path."""
    site, before = built
    files = {
        SITE: "base_url: https://example.com/\ntitle: Test Co\nposts_per_page: lots\n",
        PARTNER: partner("provides: [design]", "disclosure: public"),
        POST: front("title: Hello", "date: 2024-13-45"),
        SEWING: front("title: Sewing", "in_house: maybe"),
    }
    site.write(files)
    run = build_fails(site, before)
    errors = errors_of(run)
    assert len(errors) == 4, run.stderr
    assert errors == sorted(errors)
    expected = [
        f"{SEWING}:{line_of(files[SEWING], 'in_house')}: ",
        f"{PARTNER}:{line_of(files[PARTNER], 'disclosure')}: ",
        f"{POST}:{line_of(files[POST], 'date:')}: ",
        f"{SITE}:{line_of(files[SITE], 'posts_per_page')}: ",
    ]
    for message, prefix in zip(errors, expected):
        assert message.startswith(prefix), (message, prefix)
    assert "build failed with 4 errors" in run.stderr


def test_mistakes_found_by_different_stages_are_reported_together(built) -> None:
    """As a user, one run shows a bad date, a URL clash and a dangerous output folder."""
    site, before = built
    files = {
        SITE: "base_url: https://example.com/\ntitle: Test Co\noutput_dir: content\n",
        POST: front("title: Hello", "date: 2024-13-45"),
        "content/pages/blog.md": front("title: Blog"),
    }
    site.write(files)
    run = site.build()
    assert run.returncode == 1, run.stderr
    assert site.output_bytes() == before
    errors = errors_of(run)
    assert any(e.startswith("content/pages/blog.md:1: ") and "/blog/" in e for e in errors), run.stderr
    assert any(e.startswith(f"{POST}:3: ") and "2024-13-45" in e for e in errors), run.stderr
    assert any(e.startswith(f"{SITE}:3: ") and "content" in e for e in errors), run.stderr
    assert len(errors) == 3, run.stderr


# --------------------------------------------------------------------------
# Warnings are not errors


def test_unknown_key_is_a_warning_with_a_suggestion(make_site) -> None:
    """As a user who typed `titel`, the site still builds and I am told what I meant."""
    files = {PRODUCT: front("title: Widget", "titel: Widgets", "requires: [design]")}
    site = make_site(files)
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert errors_of(run) == []
    line = line_of(files[PRODUCT], "titel")
    expected = f"{PRODUCT}:{line}: warning: unknown key 'titel'"
    found = [w for w in warnings_of(run) if w.startswith(expected)]
    assert len(found) == 1, run.stderr
    assert "did you mean 'title'" in found[0]
    assert (site.public / "products" / "widget" / "index.html").is_file()


# --------------------------------------------------------------------------
# sitegen check


def test_check_reports_the_same_errors_and_writes_nothing(make_site) -> None:
    """As a user running `sitegen check`, I see every error a build would give, nothing is written."""
    site = make_site({
        PARTNER: partner("provides: [design]", "disclosure: public"),
        POST: front("title: Hello", "date: 2024-13-45"),
    })
    checked = site.run("check")
    assert checked.returncode == 1, checked.stderr
    assert not site.public.exists()
    assert leftovers(site.root) == []
    built = site.build()
    assert built.returncode == 1
    assert len(errors_of(checked)) == 2
    assert errors_of(checked) == errors_of(built)
    assert not site.public.exists()


def test_check_on_a_good_site_writes_nothing(make_site) -> None:
    """As a user running `sitegen check` on a good site, it exits 0 and creates no public/."""
    site = make_site()
    run = site.run("check")
    assert run.returncode == 0, run.stderr
    assert not site.public.exists()
    assert leftovers(site.root) == []


def test_check_warns_about_a_capability_nobody_offers(make_site) -> None:
    """As a user, `sitegen check` tells me a capability will not be published, without failing."""
    site = make_site({SEWING: SEWING_FILE})
    run = site.run("check")
    assert run.returncode == 0, run.stderr
    assert errors_of(run) == []
    line = line_of(SEWING_FILE, "title:")
    found = [w for w in warnings_of(run) if w.startswith(f"{SEWING}:{line}: warning: ")]
    assert len(found) == 1, run.stderr
    assert "Sewing" in found[0] and "not published" in found[0]
    assert not site.public.exists()


# --------------------------------------------------------------------------
# YAML 1.1 traps: values stay what the user typed


def test_yaml_11_traps_keep_the_text_as_typed(make_site) -> None:
    """As a user, `title: no`, `price: 12.50` and `title: 2024-01-01` print as I typed them."""
    site = make_site({
        "content/pages/answer.md": front("title: no"),
        "content/pages/launch.md": front("title: 2024-01-01"),
        PRODUCT: front("title: Widget", "price: 12.50", "currency: EUR", "requires: [design]"),
    })
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert errors_of(run) == []
    assert re.search(r"<h1[^>]*>\s*no\s*</h1>", site.page("/answer/"))
    assert "<title>no · " in site.page("/answer/")
    assert re.search(r"<h1[^>]*>\s*2024-01-01\s*</h1>", site.page("/launch/"))
    product = site.page("/products/widget/")
    assert "12.50" in product
    assert not re.search(r"12\.5(?!0)", product)


def test_paths_stay_relative_when_content_is_a_symlink(tmp_path: Path) -> None:
    """As a user whose content/ is a symlink to another checkout, messages still say content/..."""
    shared = tmp_path / "elsewhere"
    SiteFolder(shared).write(dict(MINIMAL_FILES))
    root = tmp_path / "site"
    root.mkdir()
    (root / "content").symlink_to(shared / "content", target_is_directory=True)
    site = SiteFolder(root)
    site.write({POST: front("title: Hello", "date: 2024-13-45")})
    run = site.build()
    assert run.returncode == 1, run.stderr
    assert_single_error(run, f"{POST}:3: ", "2024-13-45")


def test_paths_in_messages_are_relative_to_the_site_however_they_are_spelled(tmp_path):
    from pathlib import Path

    from sitegen.errors import Problems

    root = tmp_path / "site"
    (root / "content" / "posts").mkdir(parents=True)
    problems = Problems(root)
    spellings = {
        f"{root}/content/posts/a.md": "content/posts/a.md",
        root / "content" / "posts" / "a.md": "content/posts/a.md",
        f"{root}/content/./posts/a.md": "content/posts/a.md",
        f"{root}//content/posts/a.md": "content/posts/a.md",
        f"{root}/content/": "content",
        f"{root}/content/.hidden.md": "content/.hidden.md",
        str(tmp_path / "elsewhere.md"): (tmp_path / "elsewhere.md").as_posix(),
        "content/posts/a.md": "content/posts/a.md",
    }
    for spelled, shown in spellings.items():
        assert problems.display_path(spelled) == shown, spelled
        assert problems.display_path(Path(spelled)) == shown, spelled


def test_a_tab_indenting_yaml_is_named_with_what_to_do(built) -> None:
    site, before = built
    site.write({BUSINESS: "name: Test Co\ncontact:\n\temail: hello@example.com\n"})
    run = build_fails(site, before)
    assert_single_error(run, f"{BUSINESS}:3: ", "a tab indents this line", "indent with spaces")


def test_a_colon_in_a_value_shows_the_line_quoted(built) -> None:
    site, before = built
    site.write({POST: front("title: Soup: the \"best\" one", "date: 2024-05-01")})
    run = build_fails(site, before)
    message = assert_single_error(run, f"{POST}:2: ", "double quotes")
    assert message.endswith('title: "Soup: the \\"best\\" one"'), message


def test_a_template_typo_gets_a_did_you_mean(built) -> None:
    site, before = built
    template = (REPO / "themes/default/templates/product.html").read_text(encoding="utf-8")
    site.write({"themes/default/templates/product.html": template.replace("product.title", "product.titel", 1)})
    run = build_fails(site, before)
    assert "has no attribute 'titel': the public view has no such field (did you mean 'title'?)" in run.stderr
