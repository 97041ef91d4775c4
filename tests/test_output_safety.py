"""The writer: never destroys the user's files, replaces its own output atomically.

A build writes only into its output folder, refuses folders holding the
user's work (one `path:line:` or `--output:` message, exit 1, nothing
written or deleted), removes stale files of its previous build, leaves the
old output byte-identical when a build fails, and gives the same bytes for
the same input.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import MINIMAL_FILES, Run, SiteFolder, write_files

SITE_YAML = "content/site.yaml"


def snapshot(folder: Path, skip: Path | None = None) -> dict[str, bytes | str]:
    """Every file (its bytes), folder and symlink under `folder`, except `skip`
    and the build cache (.sitegen-cache/, which a successful build may write)."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        if skip is not None and (path == skip or path.is_relative_to(skip)):
            continue
        if ".sitegen-cache" in path.relative_to(folder).parts:
            continue
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[key] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            found[key] = "<dir>"
        else:
            found[key] = path.read_bytes()
    return found


def staging_leftovers(folder: Path) -> list[str]:
    return [
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if "sitegen-staging" in p.name or "sitegen-old" in p.name
    ]


def errors_of(run: Run) -> list[str]:
    return [line for line in run.error_lines if ": warning: " not in line]


def assert_refused(run: Run, prefix: str, *words: str) -> str:
    assert run.returncode == 1, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    errors = errors_of(run)
    assert len(errors) == 1, run.stderr
    assert errors[0].startswith(prefix), f"expected {prefix!r}, got {errors[0]!r}"
    for word in words:
        assert word in errors[0], f"{word!r} missing from {errors[0]!r}"
    return errors[0]


def site_yaml(output_dir: str) -> dict[str, str]:
    return {SITE_YAML: f"base_url: https://example.com/\ntitle: Test Co\noutput_dir: {output_dir}\n"}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal site with a theme folder of the user's own, built once per module."""
    root = tmp_path_factory.mktemp("baseline") / "site"
    root.mkdir()
    folder = SiteFolder(root).write(
        {**MINIMAL_FILES, "themes/mine/templates/extra.html": "<p>mine</p>\n"}
    )
    first = folder.build()
    assert first.returncode == 0, first.stderr
    return root


@pytest.fixture
def site(baseline: Path, tmp_path: Path) -> SiteFolder:
    """A fresh copy of the baseline site, with the public/ of its successful build."""
    root = tmp_path / "site"
    shutil.copytree(baseline, root, symlinks=True)
    return SiteFolder(root)


# --------------------------------------------------------------------------
# Refused output folders


@pytest.mark.parametrize(
    "output_dir, words",
    [
        (".", ("site folder",)),
        ("content", ("content/",)),
        ("content/static/out", ("content/",)),
        ("themes", ("themes/",)),
        ("themes/mine", ("themes/",)),
        ("..", ("contains the site folder",)),
        ("public/../content", ("content/",)),
    ],
)
def test_site_yaml_output_dir_that_holds_my_work_is_refused(
    site: SiteFolder, tmp_path: Path, output_dir: str, words: tuple[str, ...]
) -> None:
    """As a user who set a dangerous output_dir, I get its line in site.yaml and lose nothing."""
    site.write(site_yaml(output_dir))
    before = snapshot(tmp_path)
    run = site.build()
    assert_refused(run, f"{SITE_YAML}:3: ", "output folder", *words)
    assert snapshot(tmp_path) == before
    assert staging_leftovers(tmp_path) == []


@pytest.mark.parametrize("output", [".", "..", "content", "themes", "/"])
def test_dangerous_output_option_is_refused(site: SiteFolder, tmp_path: Path, output: str) -> None:
    """As a user passing a dangerous --output, I get an `--output:` message and lose nothing."""
    before = snapshot(tmp_path)
    run = site.build("--output", output)
    assert_refused(run, "--output: ", "output folder")
    assert snapshot(tmp_path) == before
    assert staging_leftovers(tmp_path) == []
    if output == "/":
        assert not [p for p in os.listdir("/") if "sitegen" in p]


@pytest.mark.parametrize("spelling", ["path", "tilde"])
@pytest.mark.parametrize("with_marker", [False, True], ids=["plain", "with-marker"])
def test_home_folder_is_refused(
    site: SiteFolder, tmp_path: Path, spelling: str, with_marker: bool
) -> None:
    """As a user who typed --output ~, my home folder is refused even if it holds a marker."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.txt").write_text("four years of work\n", encoding="utf-8")
    if with_marker:
        (home / ".sitegen-output").write_text("stray marker\n", encoding="utf-8")
    before = snapshot(tmp_path)
    output = str(home) if spelling == "path" else "~"
    run = site.run("build", "--output", output, env={"HOME": str(home)})
    assert_refused(run, "--output: ", "home")
    assert (home / "thesis.txt").read_text(encoding="utf-8") == "four years of work\n"
    assert snapshot(tmp_path) == before
    assert staging_leftovers(tmp_path) == []


def test_non_empty_folder_without_marker_is_refused(site: SiteFolder, tmp_path: Path) -> None:
    """As a user pointing --output at a folder of my own files, they survive."""
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "keep.txt").write_text("keep me\n", encoding="utf-8")
    (mine / "sub" / "data.bin").write_bytes(b"\x00\x01\x02")
    before = snapshot(tmp_path)
    run = site.build("--output", str(mine))
    assert_refused(run, "--output: ", "not empty", ".sitegen-output")
    assert snapshot(tmp_path) == before
    assert staging_leftovers(tmp_path) == []


def test_output_that_is_a_file_is_refused(site: SiteFolder, tmp_path: Path) -> None:
    """As a user who named a file as --output, the file survives."""
    target = tmp_path / "notes.txt"
    target.write_text("notes\n", encoding="utf-8")
    before = snapshot(tmp_path)
    run = site.build("--output", str(target))
    assert_refused(run, "--output: ", "output folder")
    assert snapshot(tmp_path) == before


def test_public_symlinked_to_content_is_refused(make_site, tmp_path: Path) -> None:
    """As a user whose public/ is a symlink into content/, nothing of content/ is replaced."""
    site = make_site()
    (site.root / "public").symlink_to(site.root / "content", target_is_directory=True)
    before = snapshot(tmp_path)
    run = site.build()
    assert_refused(run, f"{SITE_YAML}:", "content/")
    assert snapshot(tmp_path) == before
    assert staging_leftovers(tmp_path) == []


def test_output_inside_symlinked_content_is_refused(make_site, tmp_path: Path) -> None:
    """As a user whose content/ is a symlink to another checkout, output_dir inside it is refused."""
    shared = tmp_path / "shared-content"
    site = make_site(minimal=False)
    write_files(tmp_path / "shared", dict(MINIMAL_FILES))
    (tmp_path / "shared" / "content").rename(shared)
    (tmp_path / "shared").rmdir()
    (site.root / "content").symlink_to(shared, target_is_directory=True)
    site.write(site_yaml("content/static/out"))
    before = snapshot(tmp_path)
    run = site.build()
    assert_refused(run, f"{SITE_YAML}:3: ", "content/")
    assert snapshot(tmp_path) == before
    assert not (shared / "static").exists()


def test_check_reports_a_dangerous_output_folder(site: SiteFolder, tmp_path: Path) -> None:
    """As a user running `sitegen check`, I learn about a dangerous output_dir before building."""
    site.write(site_yaml("content"))
    before = snapshot(tmp_path)
    run = site.run("check")
    assert_refused(run, f"{SITE_YAML}:3: ", "content/")
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------
# Accepted output folders


def test_new_folder_is_created(site: SiteFolder) -> None:
    """As a user, --output into a folder that does not exist yet creates it."""
    run = site.build("--output", "fresh/deep")
    assert run.returncode == 0, run.stderr
    out = site.root / "fresh" / "deep"
    assert (out / "index.html").is_file()
    assert (out / ".sitegen-output").is_file()
    assert staging_leftovers(site.root) == []


def test_empty_existing_folder_is_used(site: SiteFolder, tmp_path: Path) -> None:
    """As a user with an empty deploy folder, the site is written into it."""
    empty = tmp_path / "deploy"
    empty.mkdir()
    run = site.build("--output", str(empty))
    assert run.returncode == 0, run.stderr
    assert (empty / "index.html").is_file()
    assert site.output_bytes(empty) == site.output_bytes()
    assert staging_leftovers(tmp_path) == []


def test_own_previous_output_is_replaced(site: SiteFolder, tmp_path: Path) -> None:
    """As a user rebuilding, sitegen reuses the folder it wrote last time."""
    assert (site.public / ".sitegen-output").is_file()
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert (site.public / "index.html").is_file()
    assert staging_leftovers(tmp_path) == []


def test_leftovers_of_an_interrupted_build_are_cleaned(site: SiteFolder) -> None:
    """As a user whose last build was killed, the next build removes its staging folders."""
    (site.root / ".public.sitegen-staging-dead0000" / "blog").mkdir(parents=True)
    (site.root / ".public.sitegen-old-dead0000").mkdir()
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert staging_leftovers(site.root) == []


def test_output_relative_to_the_current_folder(make_site, tmp_path: Path) -> None:
    """As a user in another folder, `--source ../site --output out` writes ./out."""
    site = make_site()
    work = tmp_path / "work"
    work.mkdir()
    run = site.run("build", "--source", "../site", "--output", "out", cwd=work)
    assert run.returncode == 0, run.stderr
    assert (work / "out" / "index.html").is_file()
    assert not site.public.exists()
    assert not (site.root / "out").exists()


# --------------------------------------------------------------------------
# Replacing the previous output


def test_stale_pages_disappear(make_site) -> None:
    """As a user who deleted a page, its old output is gone after the next build."""
    site = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHello.\n"})
    assert site.build().returncode == 0
    assert (site.public / "about" / "index.html").is_file()
    site.write({"content/pages/about.md": None})
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert not (site.public / "about").exists()
    assert (site.public / "index.html").is_file()


def test_failed_build_keeps_the_old_output(site: SiteFolder, tmp_path: Path) -> None:
    """As a user whose build failed, the site I deployed last time is untouched."""
    before = site.output_bytes()
    site.write({"content/posts/hello.md": "---\ntitle: Hello\ndate: 2024-13-45\n---\nHi.\n"})
    run = site.build()
    assert run.returncode == 1, run.stderr
    assert site.output_bytes() == before
    assert staging_leftovers(tmp_path) == []


RICH_FILES = {
    "content/partners/rosa.yaml": """
        name: Rosa Textiles
        kind: supplier
        provides: [sewing]
        disclosure: credited
        since: 2020-01-01
        url: https://rosa.example/
        blurb: Fine fabrics.
    """,
    "content/partners/quiet.yaml": """
        name: Quiet Works
        kind: manufacturer
        provides: [cutting]
        since: 2021-01-01
    """,
    "content/capabilities/sewing.md": "---\ntitle: Sewing\n---\nWe sew.\n",
    "content/capabilities/cutting.md": "---\ntitle: Cutting\n---\nWe cut.\n",
    "content/products/bag.md": """
        ---
        title: Bag
        price: "25.00"
        currency: EUR
        requires: [design, sewing, cutting]
        ---
        A bag.
    """,
    "content/posts/2024-05-01-hello.md": """
        ---
        title: Hello
        date: 2024-05-01
        tags: [news, Café]
        categories: [updates]
        ---
        First post.
    """,
    "content/posts/2024-06-01-more.md": """
        ---
        title: More
        date: 2024-06-01 10:30
        tags: [news]
        ---
        Second post.
    """,
    "content/pages/about.md": "---\ntitle: About\nmenu: 1\n---\nAbout *us*.\n",
    "content/static/robots-extra.txt": "hello\n",
}


def test_same_input_gives_the_same_bytes(make_site, tmp_path: Path) -> None:
    """As a user deploying from CI, two builds of the same input are byte-identical."""
    site = make_site(RICH_FILES)
    assert site.build().returncode == 0
    first = site.output_bytes()
    assert site.build().returncode == 0
    assert site.output_bytes() == first
    # Different hash seeds: no set or dict order of one process leaks into the
    # bytes. A seed takes effect only in a new interpreter: real processes.
    for name, seed in (("a", "1"), ("b", "2")):
        run = site.run("build", "--output", str(tmp_path / name), env={"PYTHONHASHSEED": seed}, subprocess=True)
        assert run.returncode == 0, run.stderr
    assert site.output_bytes(tmp_path / "a") == first
    assert site.output_bytes(tmp_path / "b") == first


# --------------------------------------------------------------------------
# Nothing escapes the output folder


def test_path_tricks_write_nothing_outside_the_output(make_site, tmp_path: Path) -> None:
    """As a site owner, tags and file names with `..` or backslashes stay inside public/."""
    site = make_site({
        "content/posts/2024-05-01-..%2F..%2Fescape.md": """
            ---
            title: Tricky
            date: 2024-05-01
            tags: ['../../x', '..\\..\\evil', '/etc/passwd']
            categories: ['../../../up']
            ---
            Body.
        """,
        "content/pages/x..md": "---\ntitle: Dots\n---\nDots.\n",
        "content/pages/a\\..\\..\\evil.md": "---\ntitle: Backslashes\n---\nB.\n",
    })
    before = snapshot(tmp_path, skip=site.public)
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert snapshot(tmp_path, skip=site.public) == before
    public = site.public.resolve()
    for path in site.public.rglob("*"):
        assert path.resolve().is_relative_to(public), path
        assert "\\" not in path.name and ".." not in path.relative_to(site.public).parts
    assert (site.public / "tags" / "x" / "index.html").is_file()
    assert (site.public / "tags" / "evil" / "index.html").is_file()


# --------------------------------------------------------------------------
# Static files


def test_static_files_are_copied_as_is_without_dotfiles(make_site) -> None:
    """As a user, content/static files arrive byte for byte; hidden files stay private."""
    blob = bytes(range(256)) * 8
    site = make_site()
    static = site.root / "content" / "static"
    (static / "img").mkdir(parents=True)
    (static / "img" / "blob.bin").write_bytes(blob)
    (static / "docs").mkdir()
    (static / "docs" / "crlf.txt").write_bytes(b"line one\r\nline two\r\n\xef\xbb\xbfbom\n")
    (static / ".env").write_text("SECRET=1\n", encoding="utf-8")
    (static / ".hidden").mkdir()
    (static / ".hidden" / "key.txt").write_text("secret\n", encoding="utf-8")
    (static / "img" / ".DS_Store").write_bytes(b"\x00junk")
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert (site.public / "img" / "blob.bin").read_bytes() == blob
    assert (site.public / "docs" / "crlf.txt").read_bytes() == b"line one\r\nline two\r\n\xef\xbb\xbfbom\n"
    assert not (site.public / ".env").exists()
    assert not (site.public / ".hidden").exists()
    assert not (site.public / "img" / ".DS_Store").exists()
    assert not any(b"SECRET=1" in data or b"secret\n" == data for data in site.output_bytes().values())


def test_files_and_output_folders_with_the_longest_names_build_again_and_again(make_site, tmp_path: Path) -> None:
    """As a user with a file name as long as the file system allows (255
    bytes), every build that changes it works, with or without the cache,
    and so does an output folder with such a name; no temporary file or
    journal stays behind."""
    site = make_site()
    long_name = "a" * 251 + ".txt"
    static = site.root / "content" / "static"
    (static / "docs").mkdir(parents=True)
    cold = tmp_path / ("o" * 255)
    for version in ("v1", "v2", "v3"):
        (static / long_name).write_text(version)
        (static / "docs" / long_name).write_text(version)
        for args in ((), ("--no-cache",), ("--no-cache", "--output", str(cold))):
            run = site.build(*args)
            assert run.returncode == 0, run.stderr
        assert (site.public / long_name).read_text() == version
        assert (site.public / "docs" / long_name).read_text() == version
        assert site.output_bytes() == site.output_bytes(cold)
        assert staging_leftovers(tmp_path) == []
        assert not (site.public / ".sitegen-update").exists()


def test_build_failing_while_writing_keeps_the_old_output(site: SiteFolder, tmp_path: Path) -> None:
    """As a user whose build broke half-way through writing, the deployed site is untouched."""
    before = site.output_bytes()
    # A static file where the blog's folder must go: found only when writing.
    site.write({"content/static/blog": "not a folder\n"})
    run = site.build()
    assert run.returncode == 1, run.stderr
    assert site.output_bytes() == before
    assert staging_leftovers(tmp_path) == []


# --------------------------------------------------------------------------
# The writer on its own (in-process, fast)


def _write(out: Path, root: Path, files: dict[str, bytes], copies=()):
    from sitegen.output.write import write_output

    return write_output(out, root, files, list(copies))


@pytest.mark.parametrize("bad", ["../escape.txt", "a/../../escape.txt", "/tmp/escape.txt", ""])
def test_writer_refuses_paths_outside_the_output(tmp_path: Path, bad: str) -> None:
    """As a user, no bug upstream can make the writer put a file outside the output."""
    from sitegen.output.write import OutputRefused

    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    out = root / "public"
    _write(out, root, {"index.html": b"old\n"})
    before = snapshot(tmp_path)
    with pytest.raises(OutputRefused):
        _write(out, root, {"index.html": b"new\n", bad: b"evil\n"})
    assert snapshot(tmp_path) == before
    assert staging_leftovers(tmp_path) == []


def test_writer_failure_midway_keeps_the_old_output(tmp_path: Path) -> None:
    """As a user, a copy that fails half-way leaves the previous output and no staging."""
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    out = root / "public"
    result = _write(out, root, {"index.html": b"old\n", "a/index.html": b"a\n"})
    assert result.files_written == 2
    assert (out / ".sitegen-output").is_file()
    before = snapshot(tmp_path)
    with pytest.raises(OSError):
        _write(out, root, {"index.html": b"new\n"}, [("img/x.png", root / "missing.png")])
    assert snapshot(tmp_path) == before
    assert staging_leftovers(tmp_path) == []


def test_writer_replaces_its_output_completely(tmp_path: Path) -> None:
    """As a user, files of the last build that are not in this one are gone."""
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    source = tmp_path / "logo.bin"
    source.write_bytes(b"\x89PNG\x00\xff")
    out = root / "public"
    _write(out, root, {"index.html": b"1\n", "old/index.html": b"old\n"})
    _write(out, root, {"index.html": b"2\n"}, [("img/logo.bin", source)])
    assert snapshot(out) == {
        ".sitegen-output": (out / ".sitegen-output").read_bytes(),
        "img": "<dir>",
        "img/logo.bin": b"\x89PNG\x00\xff",
        "index.html": b"2\n",
    }


def test_first_build_failing_while_rendering_leaves_nothing(make_site, tmp_path: Path) -> None:
    """As a user, a first build whose template breaks while pages are being
    written ahead leaves no output folder and no staging folder behind."""
    site = make_site(
        {
            "themes/mine/templates/post.html": "{% extends 'base.html' %}{% block content %}{{ post.title.nope() }}{% endblock %}",
            "content/posts/2024-05-01-hello.md": "---\ntitle: Hello\ndate: 2024-05-01\n---\nHi.\n",
        }
    )
    site.write({"content/site.yaml": "base_url: https://example.com/\ntitle: Test Co\ntheme: mine\n"})
    run = site.build()
    assert run.returncode == 1, run.stderr
    assert "post.html" in run.stderr
    assert not (site.root / "public").exists()
    assert staging_leftovers(site.root) == []


def test_writer_finishes_a_staging_folder_filled_ahead(tmp_path: Path) -> None:
    """Pages written while rendering are kept; pages that changed or were
    dropped before the end are written again or removed."""
    from sitegen.output.write import StagedOutput, write_output

    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    out = root / "public"
    staged = StagedOutput(out, root)
    kept = b"kept\n"
    staged.add("blog/a/index.html", kept)
    staged.add("blog/gone/index.html", b"dropped later\n")
    staged.add("index.html", b"first version\n")
    assert not out.exists()
    files = {"blog/a/index.html": kept, "index.html": b"second version\n", "b/index.html": b"b\n"}
    write_output(out, root, files, [], staged=staged)
    assert snapshot(out) == {
        ".sitegen-output": (out / ".sitegen-output").read_bytes(),
        "b": "<dir>",
        "b/index.html": b"b\n",
        "blog": "<dir>",
        "blog/a": "<dir>",
        "blog/a/index.html": kept,
        "index.html": b"second version\n",
    }
    assert staging_leftovers(tmp_path) == []


def test_writer_staging_ahead_refuses_what_the_writer_refuses(tmp_path: Path) -> None:
    from sitegen.output.write import OutputRefused, StagedOutput, write_output

    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    with pytest.raises(OutputRefused):
        StagedOutput(root / "content" / "out", root)
    out = root / "public"
    staged = StagedOutput(out, root)
    staged.add("../escape.txt", b"evil\n")
    assert staged.broken and not (root / "escape.txt").exists()
    with pytest.raises(OutputRefused):
        write_output(out, root, {"../escape.txt": b"evil\n"}, [], staged=staged)
    assert not out.exists()
    assert staging_leftovers(tmp_path) == []


def test_plain_text_files_are_not_html_escaped(make_site):
    """robots.txt and _headers are text: an `&` in the site's address is an
    `&` there, as in the pages' links it is `&amp;`."""
    site = make_site({"content/site.yaml": "base_url: 'https://example.com/r&d/'\ntitle: Test Co\n"})
    assert site.build().returncode == 0
    robots = (site.public / "robots.txt").read_text(encoding="utf-8")
    assert "Sitemap: https://example.com/r&d/sitemap.xml" in robots
    assert "&amp;" not in robots
    assert 'href="https://example.com/r&amp;d/' in (site.public / "index.html").read_text(encoding="utf-8")
    assert "&amp;" not in (site.public / "_headers").read_text(encoding="utf-8")
