"""A build with nothing changed replays the last one: same summary, same
warnings, same bytes, and any change at all makes a full build whose output
equals a cold build's."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import BUILD_EPOCH, Run, SiteFolder, changed_ns

from sitegen.incremental import snapshot
from sitegen.build import BuildOptions, build_site

POST = "---\ntitle: Hello\ndate: 2026-06-01\ntags: [soup]\n---\nA post about soup.\n"
RECORD = Path(".sitegen-cache") / "manifest.json"


def stages(run: Run) -> list[str]:
    """The stages `build -v` timed: only "unchanged check" for a replay."""
    return [line.split("  ")[1].strip() for line in run.stdout.splitlines() if line.startswith("  ")]


def replayed(run: Run) -> bool:
    assert run.returncode == 0, run.stderr
    return stages(run) == ["unchanged check"]


def cold(site: SiteFolder, *args: str, env: dict[str, str] | None = None) -> dict[str, bytes]:
    """What a build from scratch writes, into a folder of its own."""
    folder = site.root.parent / "cold"
    result = site.run("build", "--no-cache", "--output", str(folder), *args, env=env)
    assert result.returncode == 0, result.stderr
    files = site.output_bytes(folder)
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    folder.rmdir()
    return files


@pytest.fixture
def built(make_site):
    """A small site built once, with its record written."""
    site = make_site({"content/posts/hello.md": POST})
    first = site.build("-v")
    assert first.returncode == 0 and not replayed(first), first.stderr
    assert (site.root / RECORD).is_file()
    return site


def test_second_build_replays_with_the_same_bytes(built):
    before = built.output_bytes()
    again = built.build("-v")
    assert replayed(again)
    # Rendered: the pages, the feed and sitemap, robots.txt and the headers file.
    pages = sum(1 for name in before if name.endswith((".html", ".xml", ".txt")) or name == "_headers")
    assert f"built {pages} pages ({pages} unchanged) and copied" in again.stdout
    assert built.output_bytes() == before


CHANGES = {
    "edit a post": {"content/posts/hello.md": POST.replace("soup.", "leek and potato soup.")},
    "add a post": {"content/posts/second.md": POST.replace("Hello", "Second")},
    "remove a post": {"content/posts/hello.md": None},
    "add a static file": {"content/static/notes.txt": "hello\n"},
    "add an ignored file": {"content/posts/.hello.md.swp": "x"},
    "add a template": {"themes/default/templates/robots.txt": "User-agent: *\nDisallow: /\n"},
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_input_change_builds_like_a_cold_build(built, change):
    built.write(CHANGES[change])
    result = built.build("-v")
    assert not replayed(result)
    assert built.output_bytes() == cold(built)
    assert replayed(built.build("-v"))  # and the new record holds


def test_an_added_empty_folder_builds_again(built):
    (built.root / "content" / "drafts").mkdir()
    assert not replayed(built.build("-v"))
    (built.root / "content" / "drafts").rmdir()
    assert not replayed(built.build("-v"))


OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "--drafts": (("--drafts",), {}),
    "--future": (("--future",), {}),
    "--base-url": (("--base-url", "https://preview.example.org/"), {}),
    "deploy preview URL": ((), {"CONTEXT": "deploy-preview", "DEPLOY_PRIME_URL": "https://p--x.netlify.app"}),
}


@pytest.fixture
def dated_site(make_site):
    return make_site({
        "content/posts/hello.md": POST,
        "content/posts/draft.md": "---\ntitle: Draft\ndate: 2026-06-02\ndraft: true\n---\nNot yet.\n",
        "content/posts/later.md": "---\ntitle: Later\ndate: 2026-09-01\n---\nSoon.\n",
    })


@pytest.mark.parametrize("option", OPTIONS)
def test_options_that_change_output_build_again(dated_site, option):
    site = dated_site
    args, env = OPTIONS[option]
    assert site.build().returncode == 0
    result = site.run("build", "-v", *args, env=env)
    assert not replayed(result)
    assert site.output_bytes() == cold(site, *args, env=env)
    assert replayed(site.run("build", "-v", *args, env=env))
    assert not replayed(site.build("-v"))  # and back


def test_a_new_base_url_reaches_every_file(dated_site):
    """Compiled templates are cached on disk by their source: nothing that
    depends on the base URL may be folded into them."""
    assert dated_site.build().returncode == 0
    assert dated_site.build("--base-url", "https://preview.example.org/").returncode == 0
    assert dated_site.output_bytes() == cold(dated_site, "--base-url", "https://preview.example.org/")


def test_the_build_moment_decides_future_posts(make_site):
    noon = int(BUILD_EPOCH)
    site = make_site({
        "content/posts/hello.md": POST,
        "content/posts/evening.md": "---\ntitle: Evening\ndate: 2026-06-15 18:00\n---\nTonight.\n",
    })
    assert site.build().returncode == 0
    an_hour_later = {"SOURCE_DATE_EPOCH": str(noon + 3600)}
    assert replayed(site.run("build", "-v", env=an_hour_later))  # nothing is due yet
    seven_pm = {"SOURCE_DATE_EPOCH": str(noon + 7 * 3600)}
    result = site.run("build", "-v", env=seven_pm)
    assert not replayed(result)
    assert "Evening" in site.page("/blog/")
    assert site.output_bytes() == cold(site, env=seven_pm)
    back_at_noon = site.build("-v")  # the clock went back: the post is hidden again
    assert not replayed(back_at_noon)
    assert "Evening" not in site.page("/blog/")


def test_the_next_day_builds_again(built):
    tomorrow = {"SOURCE_DATE_EPOCH": str(int(BUILD_EPOCH) + 86400)}
    assert not replayed(built.run("build", "-v", env=tomorrow))
    assert built.output_bytes() == cold(built, env=tomorrow)


def test_a_deleted_output_file_is_restored(built):
    before = built.output_bytes()
    (built.public / "blog" / "hello" / "index.html").unlink()
    assert not replayed(built.build("-v"))
    assert built.output_bytes() == before


def test_a_hand_edited_output_file_is_restored(built):
    before = built.output_bytes()
    page = built.public / "index.html"
    page.write_bytes(before["index.html"].replace(b"Test Co", b"Best Co"))  # same size
    assert not replayed(built.build("-v"))
    assert built.output_bytes() == before


def test_an_extra_output_file_is_removed(built):
    before = built.output_bytes()
    (built.public / "stray.html").write_text("mine", encoding="utf-8")
    assert not replayed(built.build("-v"))
    assert built.output_bytes() == before


def restamp(site: SiteFolder, relative: str) -> None:
    """Make the record hold `relative`'s current signature, as a file system
    with coarse times would show an edit within the same tick."""
    path = site.root / RECORD
    record = json.loads(path.read_text(encoding="utf-8"))
    info = os.stat(site.root / relative)
    record["inputs"]["files"][relative] = [info.st_mtime_ns, info.st_size, info.st_ino, info.st_ctime_ns]
    path.write_text(json.dumps(record), encoding="utf-8")


def test_a_racy_same_size_edit_is_caught_by_content(make_site, stop_the_clock):
    built = make_site({"content/posts/hello.md": POST})
    post = built.root / "content" / "posts" / "hello.md"
    # Every build below reads the clock as the moment the post was written:
    # all of them fall within its racy window, however long they take.
    stop_the_clock(changed_ns(post))
    first = built.build("-v")
    assert first.returncode == 0 and not replayed(first), first.stderr
    record = json.loads((built.root / RECORD).read_text(encoding="utf-8"))
    # Written a moment before the build: its content is in the record.
    assert "content/posts/hello.md" in record["inputs"]["hashes"]
    restamp(built, "content/posts/hello.md")
    assert replayed(built.build("-v"))  # same signature, same content
    post.write_text(POST.replace("soup.", "stew."), encoding="utf-8")  # same size, same second
    restamp(built, "content/posts/hello.md")
    assert not replayed(built.build("-v"))
    assert "stew" in built.page("/blog/hello/")
    assert built.output_bytes() == cold(built)


def test_old_files_stop_being_read_once_verified(make_site, monkeypatch, stop_the_clock):
    site = make_site({"content/posts/hello.md": POST})
    # The first build reads the clock as the moment the post was written,
    # however long it takes to start: its files are racy, so hashed.
    stop_the_clock(changed_ns(site.root / "content" / "posts" / "hello.md"))
    options = BuildOptions(source=site.root, now=datetime(2026, 6, 15, 12, tzinfo=timezone.utc), jobs=1)
    build_site(options)
    record = json.loads((site.root / RECORD).read_text(encoding="utf-8"))
    assert record["inputs"]["hashes"] and record["outputs"]["hashes"]
    # Pretend the files are older than any clock tick: the replay verifies
    # them after writing its fence, then the record no longer needs them.
    monkeypatch.setattr(snapshot, "RACY_NS", 0)
    stop_the_clock(time.time_ns())  # now, after every file was written
    again = build_site(options)
    assert again.timings.keys() == {"unchanged check"}
    record = json.loads((site.root / RECORD).read_text(encoding="utf-8"))
    assert record["inputs"]["hashes"] == {} and record["outputs"]["hashes"] == {}
    assert build_site(options).timings.keys() == {"unchanged check"}


def test_warnings_are_printed_again(make_site):
    site = make_site({"content/posts/hello.md": POST.replace("tags:", "colour: red\ntags:")})
    first = site.build()
    assert "warning: unknown key 'colour'" in first.stderr
    again = site.build("-v")
    assert replayed(again)
    assert again.stderr == first.stderr
    assert "1 warning" in again.stdout


def test_strict_fails_on_replayed_warnings_like_a_full_build(make_site):
    site = make_site({"content/posts/hello.md": POST.replace("tags:", "colour: red\ntags:")})
    assert site.build().returncode == 0
    before = site.output_bytes()
    strict = site.build("--strict")
    full = site.build("--strict", "--no-cache")
    assert strict.returncode == full.returncode == 1
    assert strict.stderr == full.stderr
    assert "content/posts/hello.md:4: unknown key 'colour'" in strict.stderr
    assert site.output_bytes() == before
    assert replayed(site.build("-v"))


def test_a_corrupt_or_foreign_record_is_ignored(built):
    before = built.output_bytes()
    path = built.root / RECORD
    path.write_text("{not json", encoding="utf-8")
    assert not replayed(built.build("-v"))
    assert built.output_bytes() == before
    record = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**record, "fingerprint": "another sitegen"}), encoding="utf-8")
    assert not replayed(built.build("-v"))
    path.write_text(json.dumps({**record, "outputs": []}), encoding="utf-8")
    assert not replayed(built.build("-v"))
    assert built.output_bytes() == before


def test_a_failed_build_leaves_no_record(built):
    built.write({"content/posts/hello.md": POST.replace("date: 2026-06-01", "date: someday")})
    assert built.build().returncode == 1
    assert not (built.root / RECORD).exists()


def test_no_cache_and_check_neither_use_nor_write_it(make_site):
    site = make_site({"content/posts/hello.md": POST})
    assert site.run("check").returncode == 0
    assert not (site.root / RECORD).exists()
    assert site.build().returncode == 0
    record = (site.root / RECORD).read_bytes()
    assert not replayed(site.build("-v", "--no-cache"))
    assert (site.root / RECORD).read_bytes() == record


def test_clean_removes_it(built):
    assert built.run("clean").returncode == 0
    assert not (built.root / RECORD).exists()
