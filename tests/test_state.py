"""The last build's memos kept for the next `sitegen build` (state.py):
builds from them equal cold builds, and a state this user did not sign is
never unpickled."""

from __future__ import annotations

import hashlib
import os
import pickle
import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sitegen.incremental import snapshot

from sitegen.incremental import state
from sitegen.build import BuildOptions, build_site

from conftest import changed_ns
from test_incremental import assert_builds_equal_cold_builds, editable_site, tagged_posts

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def no_racy_window(monkeypatch):
    """Files written by a test are seconds old at most, and a build leaves
    files changed that recently out of its state (their signature might not
    show the next change). Tests that need the state to hold them shrink
    the window; their edits are always more than one clock tick apart."""
    monkeypatch.setattr(snapshot, "RACY_NS", 0)


@pytest.fixture
def loads(monkeypatch):
    """The states builds started from (None: none usable)."""
    found: list[state.State | None] = []
    original = state.load

    def counting(root: Path, settings: dict[str, object]) -> state.State | None:
        loaded = original(root, settings)
        found.append(loaded)
        return loaded

    monkeypatch.setattr(state, "load", counting)
    return found


def state_file(root: Path) -> Path:
    return root / ".sitegen-cache" / state.STATE_NAME


def test_builds_from_the_state_after_random_edits_equal_cold_builds(make_site, tmp_path, no_racy_window, loads):
    rng = random.Random(20261128)
    site = editable_site(make_site, rng)
    assert_builds_equal_cold_builds(site, rng, 30, BuildOptions(source=site.root, now=NOW), tmp_path / "cold")
    used = [found for found in loads if found is not None]
    assert len(used) >= 20, "most builds should start from the last build's state"


def test_a_one_post_edit_reads_only_that_post(make_site, no_racy_window, loads, monkeypatch):
    from sitegen.content import load

    site = make_site(tagged_posts(20))
    options = BuildOptions(source=site.root, now=NOW)
    first = build_site(options)
    edited = site.root / "content/posts/p07.md"
    edited.write_text("---\ntitle: Post 7\ndate: 2026-01-08\ntags: [t1]\n---\nA longer, new body.\n")
    read: list[str] = []
    original = load.read_text

    def counting(path: Path, *rest: object) -> str | None:
        read.append(Path(path).name)
        return original(path, *rest)

    monkeypatch.setattr(load, "read_text", counting)
    result = build_site(options)
    assert loads[-1] is not None
    assert read == ["p07.md"]
    assert result.pages == first.pages
    assert result.unchanged >= first.pages - 6
    assert "A longer, new body." in (site.public / "blog/p07/index.html").read_text()


def test_no_change_build_after_an_incremental_one_reports_every_page(make_site):
    site = make_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nA.\n"})
    options = BuildOptions(source=site.root, now=NOW)
    first = build_site(options)
    (site.root / "content/posts/a.md").write_text("---\ntitle: A\ndate: 2026-01-01\n---\nA, again.\n")
    build_site(options)
    assert build_site(options).pages == first.pages


class _Planted:
    """Unpickling this would create a file: proof that a state was loaded."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.touch, (self.target,))


def _forged(real: bytes, payload: bytes, key: bytes) -> bytes:
    """A state file like `real` (same header) carrying `payload`, signed with `key`."""
    magic = state._MAGIC
    end = real.index(b"\n", len(magic) + 32)
    header = real[len(magic) + 32 : end]
    return magic + state._signature(key, header, payload) + header + b"\n" + payload


@pytest.mark.parametrize("how", ["another key", "signature copied"])
def test_a_state_this_user_did_not_sign_is_never_unpickled(make_site, tmp_path, how):
    site = make_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nA.\n"})
    assert site.build().returncode == 0
    path = state_file(site.root)
    real = path.read_bytes()
    planted = tmp_path / "planted"
    payload = pickle.dumps(_Planted(planted))
    if how == "another key":
        forged = _forged(real, payload, os.urandom(32))
    else:  # the real file's signature over another payload
        start = len(state._MAGIC)
        forged = _forged(real, payload, b"\0" * 32)
        forged = forged[:start] + real[start : start + 32] + forged[start + 32 :]
    path.write_bytes(forged)
    (site.root / "content/posts/a.md").write_text("---\ntitle: A\ndate: 2026-01-01\n---\nA, edited.\n")
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert not planted.exists(), "a state signed by someone else was unpickled"
    assert "A, edited." in site.page("/blog/a/")
    assert path.read_bytes() != forged, "the build leaves its own state"


def test_a_state_written_by_this_user_is_found_and_signed(make_site):
    site = make_site()
    assert site.build().returncode == 0
    key = Path(os.environ["XDG_CACHE_HOME"]) / "sitegen" / "state-key"
    assert key.stat().st_mode & 0o777 == 0o600
    data = state_file(site.root).read_bytes()
    assert data.startswith(state._MAGIC)
    end = data.index(b"\n", len(state._MAGIC) + 32)
    expected = hashlib.blake2b(key=key.read_bytes(), digest_size=32)
    header = data[len(state._MAGIC) + 32 : end]
    expected.update(len(header).to_bytes(8, "big") + header + data[end + 1 :])
    assert data[len(state._MAGIC) : len(state._MAGIC) + 32] == expected.digest()


def test_a_key_others_could_read_is_not_used(make_site):
    site = make_site()
    assert site.build().returncode == 0
    key = Path(os.environ["XDG_CACHE_HOME"]) / "sitegen" / "state-key"
    key.chmod(0o644)
    try:
        state_file(site.root).unlink()
        (site.root / "content/products/widget.md").write_text(
            "---\ntitle: Widget\nprice: \"11.00\"\ncurrency: EUR\nrequires: [design]\n---\nA finer widget.\n"
        )
        run = site.build()
        assert run.returncode == 0, run.stderr
        assert not state_file(site.root).exists()
        assert "A finer widget." in site.page("/products/widget/")
    finally:
        key.chmod(0o600)


def test_a_failed_build_keeps_the_last_state(make_site):
    site = make_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nA.\n"})
    assert site.build().returncode == 0
    before = state_file(site.root).read_bytes()
    site.write({"content/posts/b.md": "---\ntitle: B\ndate: someday\n---\nB.\n"})
    run = site.build()
    assert run.returncode == 1
    assert state_file(site.root).read_bytes() == before
    assert not list((site.root / ".sitegen-cache").glob("*.tmp"))


def test_files_changed_within_the_racy_window_are_read_again(make_site, loads, stop_the_clock):
    """Without shrinking the window: every file was just written, so the
    state holds none of their records and the next build reads them all."""
    site = make_site({"content/posts/a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nA.\n"})
    # Builds read the clock as the moment the first file was written: all
    # of them are within the window, however long the builds take.
    stop_the_clock(min(changed_ns(path) for path in (site.root / "content").rglob("*") if path.is_file()))
    options = BuildOptions(source=site.root, now=NOW)
    build_site(options)
    (site.root / "content/posts/a.md").write_text("---\ntitle: A\ndate: 2026-01-01\n---\nB.\n")
    result = build_site(options)
    assert loads[-1] is not None and loads[-1].records._entries == {}
    assert "B." in (site.public / "blog/a/index.html").read_text()
    assert result.pages


def test_output_files_changed_by_hand_are_rendered_again_from_the_state(make_site, no_racy_window, loads):
    site = make_site(tagged_posts(12))
    options = BuildOptions(source=site.root, now=NOW)
    build_site(options)
    expected = site.output_bytes()
    edited = site.public / "products/widget/index.html"
    edited.write_bytes(b"edited by hand")
    (site.public / "blog/p02/index.html").unlink()
    (site.public / "tags/t1/index.html").write_bytes(expected["tags/t1/index.html"])  # rewritten, same bytes
    (site.root / "content/posts/p09.md").write_text(
        "---\ntitle: Post 9\ndate: 2026-01-10\ntags: [t0]\n---\nBody 9, longer.\n"
    )
    build_site(options)
    assert loads[-1] is not None
    after = site.output_bytes()
    assert after["products/widget/index.html"] == expected["products/widget/index.html"]
    assert after["blog/p02/index.html"] == expected["blog/p02/index.html"]
    assert "Body 9, longer." in after["blog/p09/index.html"].decode()
    cold = site.root / "cold"
    build_site(BuildOptions(source=site.root, now=NOW, cache=False, output=cold))
    assert after == site.output_bytes(cold)
