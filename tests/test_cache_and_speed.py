"""Parallel rendering, the persistent cache, `clean`, and what `build` says."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import pytest

from conftest import REPO
from sitegen.build import BuildOptions, render_site

sys.path.insert(0, str(REPO / "bench"))
from corpus import generate  # noqa: E402

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory):
    """About 250 pages: enough for the build to spread over processes."""
    return generate(tmp_path_factory.mktemp("corpus") / "site", 120, "sitegen")


def test_parallel_render_equals_one_process(corpus_site):
    one = render_site(BuildOptions(source=corpus_site, now=NOW, jobs=1, cache=False))
    many = render_site(BuildOptions(source=corpus_site, now=NOW, jobs=2, cache=False))
    assert len(one.files) > 200
    assert list(many.files) == list(one.files)
    assert many.files == one.files


def test_bodies_converted_ahead_equal_and_fail_as_in_one_process(tmp_path, monkeypatch):
    """Workers convert the bodies while the pages are planned: the pages are
    the same as one process makes, and a body too hard to convert is the
    same error, at its file."""
    from sitegen.content import markup
    from sitegen.errors import BuildFailed

    # Bodies this process has not met (another seed): they are converted ahead.
    site = generate(tmp_path / "site", 110, "sitegen", seed=7)
    files = []
    for jobs in (2, 1):
        files.append(render_site(BuildOptions(source=site, now=NOW, jobs=jobs, cache=False)).files)
        if jobs == 2:
            assert len(markup._ahead) >= 110, "the bodies were converted ahead"
    assert files[0] == files[1]

    # A body that fails whatever the machine's speed (a lowered time limit
    # would fail ordinary bodies on a loaded machine): the conversion itself
    # is replaced, in this process and in the workers forked from it.
    real = markup.convert

    def convert(source: str) -> str:
        if "Too hard, on purpose." in source:
            raise markup.MarkdownTooHard("its Markdown is too hard for this test: simplify it")
        return real(source)

    monkeypatch.setattr(markup, "convert", convert)
    for post in sorted((site / "content" / "posts").glob("*.md"))[:100]:
        post.write_text(post.read_text() + "\nMore.\n")  # new bodies again
    (site / "content" / "posts" / "2026-01-01-brackets.md").write_text(
        "---\ntitle: Brackets\ndate: 2026-01-01\n---\nToo hard, on purpose.\n"
    )
    messages = []
    for jobs in (2, 1):
        markup.markdown_to_html.cache_clear()
        with pytest.raises(BuildFailed) as failed:
            render_site(BuildOptions(source=site, now=NOW, jobs=jobs, cache=False))
        if jobs == 2:
            assert markup._ahead_failed, "the hard body was converted ahead"
        messages.append([str(problem) for problem in failed.value.problems.items])
    assert messages[0] == messages[1]
    assert messages[0] == ["content/posts/2026-01-01-brackets.md: its Markdown is too hard for this test: simplify it"]


def test_no_cache_writes_no_cache(make_site):
    site = make_site()
    result = site.build("--no-cache")
    assert result.returncode == 0, result.stderr
    assert not (site.root / ".sitegen-cache").exists()


POST_WITH_BAD_DATE = "---\ntitle: A\ntags: [soup, leeks]\nauthor: Ann\ndate: someday\n---\nBody.\n"


def test_a_kept_parse_has_every_value_and_line_of_a_fresh_one():
    from pathlib import Path

    from sitegen.errors import Problems
    from sitegen.content.parse import ParseMemo, parse_yaml_mapping

    text = "title: A\ntags:\n  - soup\n  - [nested, list]\ncontact:\n  email: a@b.c\n  phone: ~\nempty:\n"

    def lines(value):
        if isinstance(value, dict):
            return (value.line, dict(value.lines), {k: lines(v) for k, v in value.items()})
        if isinstance(value, list):
            return (value.line, list(value.lines), [lines(v) for v in value])
        return value

    memo = ParseMemo()
    parse_yaml_mapping(text, Path("x.md"), Problems(None), 1, memo)
    assert memo.added
    kept = ParseMemo(memo.used)
    for offset in (0, 1, 7):
        fresh = parse_yaml_mapping(text, Path("x.md"), Problems(None), offset)
        again = parse_yaml_mapping(text, Path("x.md"), Problems(None), offset, kept)
        assert again == fresh and lines(again) == lines(fresh)
    assert not kept.added, "the second parses came from the memo"


def test_failed_build_writes_no_cache(make_site):
    site = make_site({"content/products/widget.md": "---\nrequires: [design]\n---\nNo title.\n"})
    assert site.build().returncode == 1
    assert not (site.root / ".sitegen-cache").exists()


def test_clean_removes_cache_and_output_but_not_foreign_folders(make_site, tmp_path):
    site = make_site()
    assert site.build().returncode == 0
    assert site.public.is_dir() and (site.root / ".sitegen-cache").is_dir()
    result = site.run("clean")
    assert result.returncode == 0
    assert not site.public.exists() and not (site.root / ".sitegen-cache").exists()
    assert "removed" in result.stdout
    mine = site.root / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    result = site.run("clean", "--output", "mine")
    assert result.returncode == 0
    assert (mine / "keep.txt").read_text() == "mine"
    assert "left" in result.stderr


def test_build_summary_quiet_verbose_and_strict(make_site):
    site = make_site({"content/products/widget.md": "---\ntitle: Widget\nrequires: [design]\ncolour: red\n---\nBody.\n"})
    normal = site.build()
    assert normal.returncode == 0
    assert "warning: unknown key 'colour'" in normal.stderr
    assert "1 warning" in normal.stdout and "pages" in normal.stdout and "public/" in normal.stdout
    assert "\r" not in normal.stderr, "no progress line when not on a terminal"
    # From here on the real `python -m sitegen`: what reaches its pipes
    # before it leaves through os._exit, and its exit statuses.
    verbose = site.build("--verbose", "--no-cache", subprocess=True)
    for stage in ("load", "model", "routes", "render", "write"):
        assert stage in verbose.stdout
    # Nothing changed since the last cached build: only the check runs.
    assert "unchanged check" in site.build("--verbose", subprocess=True).stdout
    quiet = site.build("--quiet", subprocess=True)
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    before = site.output_bytes()
    strict = site.build("--strict", subprocess=True)
    assert strict.returncode == 1
    assert "content/products/widget.md:4: unknown key 'colour'" in strict.stderr
    assert site.output_bytes() == before, "a strict failure leaves the output alone"


def test_the_summary_counts_the_drafts_and_future_posts_it_left_out(make_site):
    site = make_site({
        "content/posts/2026-01-01-idea.md": "---\ntitle: Idea\ndate: 2026-01-01\ndraft: true\n---\nSoon.\n",
        "content/posts/2026-01-02-plan.md": "---\ntitle: Plan\ndate: 2026-01-02\ndraft: true\n---\nLater.\n",
        "content/posts/2027-01-01-next.md": "---\ntitle: Next\ndate: 2027-01-01\n---\nNext year.\n",
    })
    said = "sitegen: 2 drafts not published (--drafts shows them); " \
           "1 post dated in the future not published yet (--future shows it)"
    first = site.build()
    assert first.returncode == 0 and said in first.stdout, first.stdout
    again = site.build()  # the no-change build says it again
    assert said in again.stdout, again.stdout
    shown = site.build("--drafts", "--future")
    assert "not published" not in shown.stdout
