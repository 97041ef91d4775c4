"""Parallel rendering, the persistent cache, `clean`, and what `build` says."""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime, timezone

import pytest

from conftest import REPO
from sitegen.build import BuildOptions, render_site
from sitegen.content.markup import source_hash

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


def test_cached_build_gives_the_same_bytes(make_site):
    site = make_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\n# Hi\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"})
    assert site.build().returncode == 0
    first = site.output_bytes()
    assert (site.root / ".sitegen-cache" / "markdown.sqlite").is_file()
    assert site.build().returncode == 0
    assert site.output_bytes() == first


def test_no_cache_writes_no_cache(make_site):
    site = make_site()
    result = site.build("--no-cache")
    assert result.returncode == 0, result.stderr
    assert not (site.root / ".sitegen-cache").exists()


def test_corrupt_cache_is_discarded(make_site):
    site = make_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nBody *text*.\n"})
    assert site.build().returncode == 0
    first = site.output_bytes()
    cache = site.root / ".sitegen-cache"
    (cache / "markdown.sqlite").write_bytes(b"this is not a database" * 100)
    for compiled in (cache / "templates").glob("*.bin"):
        compiled.write_bytes(compiled.read_bytes()[:40] + b"\x00garbage")
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert site.output_bytes() == first


def test_foreign_cache_is_not_trusted(make_site):
    body = "Body of the post.\n"
    site = make_site({"content/posts/a.md": f"---\ntitle: A\ndate: 2026-01-01\n---\n{body}"})
    cache = site.root / ".sitegen-cache"
    cache.mkdir()
    connection = sqlite3.connect(cache / "markdown.sqlite")
    connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    connection.execute("CREATE TABLE html (source TEXT PRIMARY KEY, html TEXT)")
    connection.execute("INSERT INTO meta VALUES ('fingerprint', 'another version')")
    connection.execute("INSERT INTO html VALUES (?, ?)", (source_hash(body), "<p>PLANTED</p>"))
    connection.commit()
    connection.close()
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert "PLANTED" not in site.page("/blog/a/")
    assert "Body of the post." in site.page("/blog/a/")


POST_WITH_BAD_DATE = "---\ntitle: A\ntags: [soup, leeks]\nauthor: Ann\ndate: someday\n---\nBody.\n"


def test_parsed_front_matter_is_kept_and_reused_with_the_same_lines(make_site):
    """The second build reuses the first build's parsed YAML; what it reports
    and writes must not tell the difference."""
    site = make_site({"content/posts/a.md": "---\ntitle: A\ntags: [soup, leeks]\ndate: 2026-01-01\n---\nBody.\n"})
    assert site.build().returncode == 0
    stored = site.root / ".sitegen-cache" / "front-matter.json"
    assert stored.is_file()
    first = site.output_bytes()
    (site.root / "content/posts/a.md").write_text(POST_WITH_BAD_DATE.replace("date: someday", "date: 2026-01-01"))
    assert site.build().returncode == 0
    site.write({"content/posts/b.md": POST_WITH_BAD_DATE})
    for _ in range(2):  # the broken file's own YAML is fine: it may be kept
        failed = site.build()
        assert failed.returncode == 1
        assert "content/posts/b.md:5:" in failed.stderr, failed.stderr
    (site.root / "content/posts/b.md").unlink()
    (site.root / "content/posts/a.md").write_text("---\ntitle: A\ntags: [soup, leeks]\ndate: 2026-01-01\n---\nBody.\n")
    assert site.build().returncode == 0
    assert site.output_bytes() == first


def test_a_kept_parse_has_every_value_and_line_of_a_fresh_one():
    from pathlib import Path

    from sitegen.errors import Problems
    from sitegen.content.load import ParseMemo, parse_yaml_mapping

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


@pytest.mark.parametrize("planted", [
    "not json",
    '{"fingerprint": "another version", "entries": {}}',
    "[1, 2, 3]",
])
def test_unusable_parsed_front_matter_is_ignored(make_site, planted):
    site = make_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nBody.\n"})
    assert site.build().returncode == 0
    first = site.output_bytes()
    stored = site.root / ".sitegen-cache" / "front-matter.json"
    stored.write_text(planted)
    (site.root / "content/posts/a.md").write_text("---\ntitle: A\ndate: 2026-01-01\n---\nBody.\n\n")
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert site.output_bytes() == first


def test_malformed_parsed_entries_are_parsed_again(make_site):
    """Entries of the right file in the wrong shape are not trusted."""
    import json

    text = "---\ntitle: A\ndate: 2026-01-01\n---\nBody.\n"
    site = make_site({"content/posts/a.md": text})
    assert site.build().returncode == 0
    first = site.output_bytes()
    stored = site.root / ".sitegen-cache" / "front-matter.json"
    data = json.loads(stored.read_text())
    data["entries"] = {key: ["m", "x", 3] for key in data["entries"]}
    stored.write_text(json.dumps(data))
    (site.root / "content/posts/a.md").write_text(text + "\n")
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert site.output_bytes() == first


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


def test_markdown_converted_ahead_gives_the_same_bytes(corpus_site, monkeypatch):
    """A one-off build converts Markdown in workers while it plans; what
    they hand over must change nothing, whatever share of it is ready."""
    from sitegen.content import markup
    from sitegen.incremental import prefetch

    taken: list[int] = []
    finish = prefetch.MarkdownPrefetch.finish

    def counting_finish(self):
        taken.append(finish(self))
        return taken[-1]

    one = render_site(BuildOptions(source=corpus_site, now=NOW, jobs=1, cache=False))
    monkeypatch.setattr(prefetch, "MIN_FILES", 1)
    monkeypatch.setattr(prefetch.MarkdownPrefetch, "finish", counting_finish)
    monkeypatch.setattr(markup, "_cached", {})
    many = render_site(BuildOptions(source=corpus_site, now=NOW, jobs=2, cache=False))
    assert taken, "the workers were started"
    assert many.files == one.files


def test_markdown_converted_ahead_is_keyed_by_the_body_the_build_reads(corpus_site):
    from sitegen.content import markup
    from sitegen.errors import Problems
    from sitegen.content.load import load_markdown_file
    from sitegen.incremental.prefetch import _convert_files

    paths = sorted((corpus_site / "content" / "posts").glob("*.md"))[:5]
    converted = dict(_convert_files([str(p) for p in paths]))
    for path in paths:
        record = load_markdown_file(path, "post", Problems(corpus_site))
        assert record is not None
        assert converted[source_hash(record.body)] == markup.convert(record.body)


def test_a_build_without_workers_does_not_convert_ahead(corpus_site, monkeypatch):
    from sitegen.incremental import prefetch

    monkeypatch.setattr(prefetch, "MIN_FILES", 1)
    started = []
    start = prefetch.MarkdownPrefetch.start
    monkeypatch.setattr(prefetch.MarkdownPrefetch, "start", lambda self: started.append(start(self)) or started[-1])
    render_site(BuildOptions(source=corpus_site, now=NOW, jobs=1, cache=False))
    assert started == [False]


def test_word_counts_and_first_paragraphs_are_kept_and_checked(make_site):
    """The cache keeps each body's word count and first paragraph; a later
    build uses them, and entries of the wrong shape are worked out again."""
    import json
    import os

    body = "A first paragraph with *some* words.\n\nAnd a second one.\n"
    site = make_site({"content/posts/a.md": f"---\ntitle: A\ndate: 2026-01-01\n---\n{body}"})
    assert site.build().returncode == 0
    first = site.output_bytes()
    stored = site.root / ".sitegen-cache" / "text-facts.json"
    entries = json.loads(stored.read_text())["entries"]
    assert [len(body.split()), "A first paragraph with some words."] in entries.values()
    for planted in ({key: ["many", 3] for key in entries}, {key: [7] for key in entries}, "junk"):
        data = json.loads(stored.read_text()) if planted != "junk" else None
        if data is None:
            stored.write_text("junk")
        else:
            data["entries"] = planted
            stored.write_text(json.dumps(data))
        config = site.root / "content" / "site.yaml"
        config.write_text(config.read_text())  # a new signature: not a no-change build
        os.utime(config, ns=(0, 0))
        result = site.build()
        assert result.returncode == 0, result.stderr
        assert site.output_bytes() == first
