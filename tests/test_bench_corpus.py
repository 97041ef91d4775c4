"""The benchmark corpus generator (bench/corpus.py): deterministic, and its
sitegen corpus builds and checks cleanly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import Run, run_cli

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from corpus import FORMATS, generate, main  # noqa: E402

POSTS = 30


def files_of(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def run_sitegen(*args: str) -> Run:
    return run_cli(args, cwd=Path.cwd(), environment={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.fixture(scope="module")
def corpus_all(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("bench") / "all", POSTS, "all")


def test_same_seed_gives_identical_bytes(tmp_path, corpus_all):
    again = generate(tmp_path / "again", POSTS, "all", seed=42)
    first, second = files_of(corpus_all), files_of(again)
    assert sorted(first) == sorted(second)
    assert len(first) > POSTS * len(FORMATS)
    for name in first:
        assert first[name] == second[name], name


def test_another_seed_gives_another_corpus(tmp_path, corpus_all):
    other = generate(tmp_path / "other", POSTS, "sitegen", seed=7)
    assert files_of(other) != files_of(corpus_all / "sitegen")


def test_sitegen_corpus_builds_and_checks_cleanly(tmp_path):
    site = generate(tmp_path / "site", POSTS, "sitegen")
    posts = list((site / "content" / "posts").glob("*.md"))
    assert len(posts) == POSTS
    build = run_sitegen("build", "--source", str(site))
    assert build.returncode == 0, build.stderr
    assert build.stderr == ""
    check = run_sitegen("check", "--source", str(site))
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stderr == ""
    public = site / "public"
    assert len(list((public / "blog").glob("*/index.html"))) >= POSTS
    assert (public / "blog" / "page" / "3" / "index.html").is_file()  # 10 per page
    assert (public / "tags" / "local-farms" / "index.html").is_file()  # a tag with a space
    assert (public / "network" / "index.html").is_file()


def test_sitegen_posts_have_the_promised_shape(corpus_all):
    posts = sorted((corpus_all / "sitegen" / "content" / "posts").glob("*.md"))
    texts = [p.read_text(encoding="utf-8") for p in posts]
    assert all(p.name[:4].isdigit() and p.name[10] == "-" for p in posts)
    assert sum("```python" in t for t in texts) == len(range(0, POSTS, 5))
    assert sum("|---|" in t for t in texts) == len(range(0, POSTS, 7))
    assert sum("\nsummary: " in t for t in texts) == POSTS // 2
    assert all("](/blog/" in t and "\n## " in t and "\n- " in t for t in texts)
    for text in texts:
        words = len(text.split("---\n", 2)[2].split())
        assert 400 < words < 950


PEERS = {
    "hugo": ("hugo.toml", "content/posts", {"_index.md"}),
    "pelican": ("pelicanconf.py", "content", set()),
    "mkdocs": ("mkdocs.yml", "docs/blog", {"index.md"}),
    "eleventy": ("package.json", "posts", set()),
}


@pytest.mark.parametrize("fmt", sorted(PEERS))
def test_peer_format_has_config_and_every_post(corpus_all, fmt):
    config, posts_dir, extra = PEERS[fmt]
    root = corpus_all / fmt
    assert (root / config).is_file()
    posts = [p for p in (root / posts_dir).glob("*.md") if p.name not in extra]
    assert len(posts) == POSTS
    if fmt == "eleventy":
        assert (root / "eleventy.config.js").is_file()
        assert '"@11ty/eleventy": "3.1.2"' in (root / "package.json").read_text()


def test_cli_refuses_a_non_empty_folder_without_force(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["--posts", "3", "--format", "hugo", "--out", str(out)]) == 1
    assert "not empty" in capsys.readouterr().err
    assert main(["--posts", "3", "--format", "hugo", "--out", str(out), "--force"]) == 0
    assert (out / "keep.txt").read_text() == "mine"  # not ours: written over, never cleared
    line = capsys.readouterr().out.strip()
    assert line.count("\n") == 0 and "hugo" in line and "files" in line


def test_forced_rewrite_of_own_corpus_leaves_no_stale_posts(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--posts", "12", "--format", "sitegen", "--out", str(out)]) == 0
    assert main(["--posts", "4", "--format", "sitegen", "--out", str(out), "--force"]) == 0
    assert len(list((out / "content" / "posts").glob("*.md"))) == 4
