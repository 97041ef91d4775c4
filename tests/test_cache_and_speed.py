"""Parallel rendering, the persistent cache, `clean`, and what `build` says."""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime, timezone

import pytest

from conftest import REPO
from sitegen.build import BuildOptions, render_site
from sitegen.markup import source_hash

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
    verbose = site.build("--verbose", "--no-cache")
    for stage in ("load", "model", "routes", "render", "write"):
        assert stage in verbose.stdout
    # Nothing changed since the last cached build: only the check runs.
    assert "unchanged check" in site.build("--verbose").stdout
    quiet = site.build("--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    before = site.output_bytes()
    strict = site.build("--strict")
    assert strict.returncode == 1
    assert "content/products/widget.md:4: unknown key 'colour'" in strict.stderr
    assert site.output_bytes() == before, "a strict failure leaves the output alone"
