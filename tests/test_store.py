"""The build cache's one store (.sitegen-cache/store.sqlite): every entry is
verified before use, and nothing in it can change what a build writes."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sitegen.build import BuildOptions, build_site, render_site
from sitegen.incremental.store import STORE_NAME, Store

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)
BODY = "A first paragraph with *some* words.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
PARTNER = "name: Secret Mill\ndisclosure: white-label\nprovides: [design]\nblurb: Hidden blurb\n"


@pytest.fixture
def site(make_site):
    return make_site({
        "content/posts/a.md": f"---\ntitle: A\ndate: 2026-01-01\ntags: [soup]\n---\n{BODY}",
        "content/partners/mill.yaml": PARTNER,
    })


def build(root: Path, **options: object):
    return build_site(BuildOptions(source=root, now=NOW, jobs=1, **options))  # type: ignore[arg-type]


def cold(root: Path) -> dict[str, bytes]:
    return render_site(BuildOptions(source=root, now=NOW, jobs=1, cache=False)).files


def rows(root: Path) -> list[tuple[str, str, bytes, bytes]]:
    with sqlite3.connect(root / ".sitegen-cache" / STORE_NAME) as connection:
        return connection.execute("SELECT kind, key, value, checksum FROM entries").fetchall()


def tamper(root: Path, change) -> int:
    """Apply `change(kind, value) -> new value or None` to every entry,
    leaving its checksum as it was; returns how many changed."""
    changed = 0
    with sqlite3.connect(root / ".sitegen-cache" / STORE_NAME) as connection:
        for kind, key, value, _ in connection.execute("SELECT * FROM entries").fetchall():
            new = change(kind, bytes(value))
            if new is not None and new != value:
                connection.execute("UPDATE entries SET value = ? WHERE kind = ? AND key = ?", (new, kind, key))
                changed += 1
    return changed


def touch_all(root: Path) -> None:
    """New signatures for every content file: no no-change replay, every file read again."""
    for path in (root / "content").rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes())


def test_one_store_holds_every_kind_and_a_cached_build_gives_the_same_bytes(site):
    build(site.root)
    kinds = {kind for kind, *_ in rows(site.root)}
    assert kinds == {"yaml", "facts", "html", "template"}
    assert sorted(p.name for p in (site.root / ".sitegen-cache").iterdir() if not p.name.startswith(".")) == [
        "manifest.json", STORE_NAME,
    ]
    touch_all(site.root)
    shutil.rmtree(site.public)  # every page rendered again, from the store
    build(site.root)
    expected = cold(site.root)
    assert {k: v for k, v in site.output_bytes().items() if k in expected} == expected


def test_edited_entries_are_never_used(site):
    """Flipping a white-label partner to credited, planting HTML, flipping a
    bit of compiled code: every entry fails its checksum, is worked out
    again, and the output is a cold build's."""
    build(site.root)

    def change(kind: str, value: bytes) -> bytes | None:
        if kind == "yaml" and b"white-label" in value:
            return value.replace(b"white-label", b"credited")
        if kind == "html":
            return b"<p>PLANTED</p>"
        if kind == "facts":
            return b'[1, "PLANTED"]'
        if kind == "template":
            flipped = bytearray(value)
            flipped[len(flipped) // 2] ^= 0x40
            return bytes(flipped)
        return None

    assert tamper(site.root, change) >= 4
    touch_all(site.root)
    build(site.root, output=site.root / "again")
    again = {p.relative_to(site.root / "again").as_posix(): p.read_bytes()
             for p in (site.root / "again").rglob("*.html")}
    assert again == {k: v for k, v in cold(site.root).items() if k.endswith(".html")}
    everything = b"".join(again.values())
    assert b"Secret Mill" not in everything and b"PLANTED" not in everything


def test_entries_of_the_wrong_shape_are_worked_out_again(site):
    """Entries with a good checksum but not what this sitegen writes (as a
    bug or an older format could leave) do not crash or change the build."""
    build(site.root)
    expected = cold(site.root)
    for junk in (b"not json", b'["m", "x", 3]', b"[7]", b'{"a": 1}'):
        store = Store(site.root / ".sitegen-cache")
        for kind in ("yaml", "facts"):
            for key in store.load(kind):
                store.put(kind, key, junk)
        store.flush()
        touch_all(site.root)
        shutil.rmtree(site.public)
        build(site.root)
        assert {k: v for k, v in site.output_bytes().items() if k in expected} == expected


@pytest.mark.parametrize("planted", [b"this is not a database" * 100, b""], ids=["junk", "empty"])
def test_a_store_that_is_not_one_is_replaced(site, planted):
    build(site.root)
    (site.root / ".sitegen-cache" / STORE_NAME).write_bytes(planted)
    touch_all(site.root)
    shutil.rmtree(site.public)
    build(site.root)
    # A new store (this process remembers the HTML and text facts it made
    # before, so only a new process would store those again).
    assert {"yaml", "template"} <= {kind for kind, *_ in rows(site.root)}
    expected = cold(site.root)
    assert {k: v for k, v in site.output_bytes().items() if k in expected} == expected


def test_a_store_of_another_sitegen_is_not_trusted(site):
    build(site.root)
    with sqlite3.connect(site.root / ".sitegen-cache" / STORE_NAME) as connection:
        connection.execute("UPDATE meta SET value = 'another version' WHERE key = 'fingerprint'")
        connection.execute("UPDATE entries SET value = ? WHERE kind = 'html'", (b"<p>PLANTED</p>",))
    touch_all(site.root)
    build(site.root)
    assert b"PLANTED" not in b"".join(site.output_bytes().values())


def test_parsed_front_matter_is_reused_with_its_lines_and_pruned(site):
    build(site.root)
    before = {key for kind, key, *_ in rows(site.root) if kind == "yaml"}
    (site.root / "content/posts/a.md").write_text("---\ntitle: A\ntags: [soup]\ndate: someday\n---\nBody.\n")
    failed = site.build()
    assert failed.returncode == 1 and "content/posts/a.md:4:" in failed.stderr
    assert {key for kind, key, *_ in rows(site.root) if kind == "yaml"} == before, "a failed build writes nothing"
    (site.root / "content/posts/a.md").write_text("---\ntitle: B\ndate: 2026-01-01\n---\nBody.\n")
    build(site.root)
    after = {key for kind, key, *_ in rows(site.root) if kind == "yaml"}
    assert len(after) == len(before), "the old front matter's entry is gone, the new one kept"
    assert after != before


def test_word_counts_and_first_paragraphs_are_kept(site):
    build(site.root)
    facts = [json.loads(value) for kind, _, value, _ in rows(site.root) if kind == "facts"]
    # Words, first paragraph, that the body was checked free of control
    # characters, and the links its prose writes (none here).
    assert [len(BODY.split()), "A first paragraph with some words.", True, []] in facts


def test_a_linked_cache_folder_is_neither_read_nor_written(site, tmp_path):
    """A `.sitegen-cache` that is a symlink (to another site's cache, say)
    is not used: nothing is read or written through it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (site.root / ".sitegen-cache").symlink_to(elsewhere, target_is_directory=True)
    build(site.root)
    assert list(elsewhere.iterdir()) == []
    expected = cold(site.root)
    assert {k: v for k, v in site.output_bytes().items() if k in expected} == expected


def test_a_body_known_clean_is_checked_again_once_it_changes(site):
    """The store remembers that a body had no control character, by the
    body's hash: the same post with an escape character added is an error,
    however many builds said the body was clean before."""
    from sitegen.errors import BuildFailed

    build(site.root)
    build(site.root)
    post = site.root / "content" / "posts" / "a.md"
    post.write_text(post.read_text() + "\nA hidden \x1b escape.\n")
    with pytest.raises(BuildFailed) as failed:
        build(site.root)
    assert any("the control character U+001B" in p.format() for p in failed.value.problems.errors)
