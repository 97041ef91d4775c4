"""Folders and files sitegen may not read: an error (or, for the cache, a
warning) at their path, never an internal error, never content silently
missing, and the previous output untouched.

Run as an ordinary user, the tests take the permission away for real. As
root, whom permissions do not stop, every Python-level way into the
folder or file (listing, stat, open) is made to fail with EACCES for the
duration of the build, as the kernel would for anyone else.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import io
import os
from pathlib import Path
from typing import Iterator

import pytest

STATIC = {"content/static/notes.txt": "Hello\n"}


@contextlib.contextmanager
def unreadable(path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`path` (a folder or a file) cannot be read while the block runs."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    target = os.path.realpath(path)
    folder = path.is_dir()

    def denied(value: object) -> bool:
        if isinstance(value, int):
            return False
        try:
            candidate = os.path.abspath(os.fsdecode(value))  # type: ignore[arg-type]
        except TypeError:
            return False
        if folder:
            return candidate.startswith(target + os.sep)
        return candidate == target

    def guard(function, listing=False):  # type: ignore[no-untyped-def]
        def guarded(*args, **kwargs):  # type: ignore[no-untyped-def]
            first = args[0] if args else kwargs.get("path", kwargs.get("file", "."))
            name = os.path.abspath(os.fsdecode(first)) if not isinstance(first, int) else ""
            if denied(first) or (listing and folder and name == target):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(first))
            return function(*args, **kwargs)

        return guarded

    with monkeypatch.context() as patch:
        if folder:  # what is inside cannot even be looked at; the folder cannot be listed
            for name in ("stat", "lstat"):
                patch.setattr(os, name, guard(getattr(os, name)))
            for name in ("listdir", "scandir"):
                patch.setattr(os, name, guard(getattr(os, name), listing=True))
        # A file that cannot be read can still be looked at (stat) by anyone.
        for module, name in ((os, "open"), (builtins, "open"), (io, "open")):
            patch.setattr(module, name, guard(getattr(module, name)))
        yield


def test_an_unreadable_content_folder_is_an_error_at_its_path(make_site, monkeypatch):
    site = make_site(STATIC)
    assert site.build().returncode == 0
    before = site.output_bytes()
    (site.root / "content" / "products" / "widget.md").write_text("---\ntitle: New\n---\n")
    with unreadable(site.root / "content", monkeypatch):
        run = site.build()
    assert run.returncode == 1, run.stderr
    assert "content: cannot read folder: Permission denied" in run.stderr
    assert "internal error" not in run.stderr
    assert site.output_bytes() == before


def test_an_unreadable_cache_folder_is_a_warning_and_the_build_is_whole(make_site, monkeypatch, tmp_path):
    site = make_site(STATIC)
    assert site.build().returncode == 0
    (site.root / "content" / "pages").mkdir(exist_ok=True)
    (site.root / "content" / "pages" / "more.md").write_text("---\ntitle: More\n---\nWords.\n")
    with unreadable(site.root / ".sitegen-cache", monkeypatch):
        run = site.build()
    assert run.returncode == 0, run.stderr
    assert ".sitegen-cache: warning: cannot read the build cache (Permission denied): building without it" in run.stderr
    assert "internal error" not in run.stderr
    cold = tmp_path / "cold"
    assert site.build("--no-cache", "--output", str(cold)).returncode == 0
    assert site.output_bytes() == site.output_bytes(cold)


def test_an_unreadable_static_file_is_an_error_at_the_file(make_site, monkeypatch):
    site = make_site(STATIC)
    assert site.build().returncode == 0
    before = site.output_bytes()
    for changed in ("Changed\n", None):  # the file itself changed; or another one did
        if changed is None:
            assert site.build().returncode == 0
            before = site.output_bytes()
            (site.root / "content" / "pages").mkdir(exist_ok=True)
            (site.root / "content" / "pages" / "more.md").write_text("---\ntitle: More\n---\nWords.\n")
            site.root.joinpath("content", "static", "notes.txt").chmod(0o644)
        else:
            (site.root / "content" / "static" / "notes.txt").write_text(changed)
        check_unreadable_static(site, monkeypatch, before)


def check_unreadable_static(site, monkeypatch, before):
    with unreadable(site.root / "content" / "static" / "notes.txt", monkeypatch):
        run = site.build()
    assert run.returncode == 1, run.stderr
    assert "content/static/notes.txt: cannot read file: Permission denied" in run.stderr
    assert "cannot write the output" not in run.stderr
    assert site.output_bytes() == before


@pytest.mark.parametrize("where", [
    "themes",
    "themes/default",
    "themes/default/templates",  # before, the site's templates were silently left out
    "themes/default/templates/parts",  # (or those of a folder in it)
    "themes/default/templates/product.html",
])
def test_an_unreadable_theme_folder_or_template_is_an_error_at_its_path(make_site, monkeypatch, where):
    template = "themes/default/templates/product.html"
    site = make_site({**STATIC, template: '{% extends "base.html" %}\n', "themes/default/templates/parts/note.html": ""})
    assert site.build().returncode == 0
    before = site.output_bytes()
    site.write({template: '{% extends "base.html" %}{# changed #}\n'})
    with unreadable(site.root / where, monkeypatch):
        run = site.build()
    assert run.returncode == 1, run.stderr
    what = "file" if where == template else "folder"
    assert run.error_lines == [f"{where}: cannot read {what}: Permission denied"]
    assert site.output_bytes() == before


def test_an_unreadable_themes_folder_is_one_error_whatever_theme_is_named(make_site, monkeypatch):
    """Before, an internal error when site.yaml named a theme of its own."""
    site = make_site({**STATIC, "content/site.yaml": "base_url: https://example.com/\ntheme: mine\n",
                      "themes/mine/templates/product.html": '{% extends "base.html" %}\n'})
    assert site.build().returncode == 0
    before = site.output_bytes()
    site.write({"themes/mine/templates/product.html": '{% extends "base.html" %}{# changed #}\n'})
    with unreadable(site.root / "themes", monkeypatch):
        run = site.build()
    assert run.returncode == 1, run.stderr
    assert run.error_lines == ["themes: cannot read folder: Permission denied"]
    assert site.output_bytes() == before
