"""Old or new, never half: builds killed part way, and builds at once.

A build killed with SIGKILL at a chosen step (a wrapper around the real
console entry point kills its own process there) must leave a folder the
next build finishes or rolls back, with no temporary file left; a second
build of a site waits for the first.
"""

from __future__ import annotations

import fcntl
import json
import os
import selectors
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import SiteFolder, cli_environment
from sitegen.output.journal import JOURNAL, recover

POSTS = {
    f"content/posts/2026-0{n}-0{n}-post-{n}.md": f"""
        ---
        title: Post {n}
        date: 2026-0{n}-0{n}
        tags: [soup, t{n}]
        ---
        Body {n}.
    """
    for n in range(1, 6)
}

# Runs `sitegen ARGS`, killing this very process (SIGKILL: no clean-up
# runs) at the Nth call of `function` in `module` whose first argument
# contains `marker`.
KILLER = textwrap.dedent(
    """
    import importlib, os, signal, sys
    module_name, name, marker, nth = sys.argv[1:5]
    module = importlib.import_module(module_name)
    original = getattr(module, name)
    seen = [0]
    def wrapper(*args, **kwargs):
        if marker in str(args[0]):
            seen[0] += 1
            if seen[0] == int(nth):
                os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    setattr(module, name, wrapper)
    sys.argv = ["sitegen", *sys.argv[5:]]
    from sitegen.cli import run
    run()
    """
)


def killed_build(site: SiteFolder, module: str, name: str, marker: str, nth: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLER, module, name, marker, str(nth), "build"],
        cwd=site.root, env=cli_environment(), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == -9, (done.returncode, done.stderr)


def temporary_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if ".sitegen-staging-" in p.name or p.name.startswith(JOURNAL))


def cold_output(site: SiteFolder, tmp_path: Path) -> dict[str, bytes]:
    cold = tmp_path / "cold"
    assert site.build("--no-cache", "--output", str(cold)).returncode == 0
    return site.output_bytes(cold)


def edit_every_post(site: SiteFolder, words: str) -> None:
    site.write({path: text.replace("Body", words) for path, text in POSTS.items()})


def test_a_build_killed_while_renaming_is_finished_by_the_next(make_site, tmp_path: Path) -> None:
    site = make_site(POSTS)
    assert site.build().returncode == 0
    edit_every_post(site, "Changed body")
    # Killed after the first of many renames of new pages into place.
    killed_build(site, "os", "replace", ".sitegen-staging-", 2)
    journal = json.loads((site.public / JOURNAL).read_text())
    assert journal["state"] == "renaming"
    assert temporary_files(site.public), "the kill must leave an update half done"
    again = site.build()
    assert again.returncode == 0, again.stderr
    assert temporary_files(site.public) == []
    assert site.output_bytes() == cold_output(site, tmp_path)


def test_recovery_of_a_killed_rename_completes_the_killed_build(make_site, tmp_path: Path) -> None:
    """Rolled forward: the folder holds exactly what the killed build wrote."""
    site = make_site(POSTS)
    assert site.build().returncode == 0
    edit_every_post(site, "Changed body")
    killed_build(site, "os", "replace", ".sitegen-staging-", 3)
    assert recover(site.public) is True
    assert temporary_files(site.public) == []
    assert site.output_bytes() == cold_output(site, tmp_path)


def test_a_build_killed_while_writing_is_rolled_back(make_site, tmp_path: Path) -> None:
    site = make_site(POSTS)
    assert site.build().returncode == 0
    before = site.output_bytes()
    edit_every_post(site, "Changed body")
    killed_build(site, "sitegen.output.write", "_write_new", ".sitegen-staging-", 2)
    assert json.loads((site.public / JOURNAL).read_text())["state"] == "writing"
    assert recover(site.public) is True
    assert temporary_files(site.public) == []
    assert site.output_bytes() == before, "rolled back: the last build's output, as it was"
    assert site.build().returncode == 0
    assert site.output_bytes() == cold_output(site, tmp_path)


def test_a_build_killed_between_the_renames_of_a_swap_puts_the_old_output_back(make_site, tmp_path: Path) -> None:
    site = make_site(POSTS)
    assert site.build().returncode == 0
    before = site.output_bytes()
    # The state a kill leaves between "output -> set aside" and "staging -> output".
    site.public.rename(site.root / ".public.sitegen-old-0badf00d")
    (site.root / ".public.sitegen-staging-0badf00d").mkdir()
    (site.root / ".public.sitegen-staging-0badf00d" / "index.html").write_text("half")
    # Even a build that fails puts the last output back: it is the previous output.
    site.write({"content/posts/2026-01-01-post-1.md": "---\ntitle: [broken\n---\n"})
    failed = site.build()
    assert failed.returncode == 1
    assert site.output_bytes() == before
    assert sorted(p.name for p in site.root.iterdir() if p.name.startswith(".public")) == []
    site.write({"content/posts/2026-01-01-post-1.md": POSTS["content/posts/2026-01-01-post-1.md"]})
    edit_every_post(site, "Changed body")
    assert site.build().returncode == 0
    assert sorted(p.name for p in site.root.iterdir() if p.name.startswith(".public")) == []
    assert site.output_bytes() == cold_output(site, tmp_path)


def test_a_journal_never_acts_outside_the_output(make_site, tmp_path: Path) -> None:
    site = make_site(POSTS)
    assert site.build().returncode == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    (outside / "x.sitegen-staging-1").write_text("theirs")
    os.symlink(outside, site.public / "link")
    (site.public / JOURNAL).write_text(json.dumps({
        "format": "sitegen-update 1", "state": "renaming",
        "renames": [["link/x.sitegen-staging-1", "link/keep.txt"], ["../outside/x.sitegen-staging-1", "index.html"]],
        "made": [], "stale": ["link/keep.txt", "../outside/keep.txt", "/etc/hostname"], "unwanted": ["link", ".."],
    }))
    assert recover(site.public) is True
    assert (outside / "keep.txt").read_text() == "mine"
    assert (outside / "x.sitegen-staging-1").read_text() == "theirs"
    os.unlink(site.public / "link")
    assert site.build().returncode == 0
    assert site.output_bytes() == cold_output(site, tmp_path)


def test_a_damaged_journal_is_dropped_and_the_build_is_whole(make_site, tmp_path: Path) -> None:
    site = make_site(POSTS)
    assert site.build().returncode == 0
    for damaged in ("{not json", json.dumps({"format": "sitegen-update 1", "state": "renaming", "renames": "abc",
                                             "made": []}), json.dumps([1, 2])):
        (site.public / JOURNAL).write_text(damaged)
        (site.public / "blog" / ".index.html.sitegen-staging-feedbeef").write_text("left over")
        edit_every_post(site, f"Body {len(damaged)}")
        run = site.build()
        assert run.returncode == 0, run.stderr
        assert temporary_files(site.public) == []
        assert site.output_bytes() == cold_output(site, tmp_path)


def start_while_locked(site, command: str, meanwhile) -> subprocess.Popen:
    """`sitegen COMMAND` started while this process holds the site's lock,
    as a running build does; once it said it waits, `meanwhile()` checks
    the site, and the lock is released on return."""
    holder = os.open(site.root, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        waiting = subprocess.Popen(
            [sys.executable, "-m", "sitegen", command], cwd=site.root, env=cli_environment(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        selector = selectors.DefaultSelector()
        selector.register(waiting.stderr, selectors.EVENT_READ)
        assert selector.select(timeout=120), f"the second {command} neither waited nor said so"
        assert "another build of this site is running; waiting" in waiting.stderr.readline()
        assert waiting.poll() is None
        meanwhile()
        return waiting
    finally:
        os.close(holder)


def test_a_second_build_waits_for_the_first(make_site) -> None:
    site = make_site(POSTS)

    def nothing_written() -> None:
        assert not site.public.exists(), "nothing is written while the other build runs"

    waiting = start_while_locked(site, "build", nothing_written)
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert (site.public / "index.html").is_file()
    assert "Traceback" not in err


def test_clean_waits_for_a_build_too(make_site) -> None:
    site = make_site(POSTS)
    assert site.build().returncode == 0

    def nothing_removed() -> None:
        assert site.public.exists()

    cleaning = start_while_locked(site, "clean", nothing_removed)
    cleaning.communicate(timeout=120)
    assert cleaning.returncode == 0
    assert not site.public.exists()


def test_the_journal_is_never_written_through_a_link(make_site, tmp_path: Path) -> None:
    """An output folder from elsewhere (a cloned repository) may hold links
    under the journal's names: writing the journal replaces them, and
    what they point to is left alone."""
    site = make_site(POSTS)
    assert site.build().returncode == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    for name in (JOURNAL, JOURNAL + ".partial"):
        os.symlink(victim, site.public / name)
    edit_every_post(site, "Changed body")
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert victim.read_text() == "precious\n"
    assert temporary_files(site.public) == []
    assert site.output_bytes() == cold_output(site, tmp_path)


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_folder_or_fifo_under_the_journals_names_is_cleared_not_a_wedge(
    make_site, tmp_path: Path, kind: str
) -> None:
    """Not a journal: removed, so this build and the next update the output
    and no `.partial` stays behind."""
    site = make_site(POSTS)
    assert site.build().returncode == 0
    for name in (JOURNAL, JOURNAL + ".partial"):
        if kind == "folder":
            (site.public / name).mkdir()
            (site.public / name / "inside.txt").write_text("x")
        else:
            os.mkfifo(site.public / name)
    for words in ("Changed body", "Changed again"):
        edit_every_post(site, words)
        run = site.build()
        assert run.returncode == 0, run.stderr
        assert temporary_files(site.public) == []
        assert site.output_bytes() == cold_output(site, tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        '{"format":"sitegen-update 1","state":"writing","renames":[["\\ud800","x"]],"made":[]}',
        "[" * 100000 + "]" * 100000,
        '{"format":"sitegen-update 1","state":"renaming","renames":[[".t","."]],"made":[],"stale":[],"unwanted":[]}',
    ],
    ids=["surrogate-path", "deep-json", "cannot-rename"],
)
def test_a_journal_that_cannot_be_followed_is_dropped_not_a_crash(make_site, tmp_path: Path, text: str) -> None:
    site = make_site(POSTS)
    assert site.build().returncode == 0
    (site.public / JOURNAL).write_text(text)
    (site.public / ".t").write_text("left over")
    edit_every_post(site, "Changed body")
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert temporary_files(site.public) == []
    assert site.output_bytes() == cold_output(site, tmp_path)
