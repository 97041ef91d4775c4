"""Where a site's templates and theme static files come from.

A site theme in ``themes/<name>/`` overrides the built-in theme file by file:
templates are looked up in ``themes/<name>/templates/`` first, then in the
built-in theme; static files likewise.

The built-in theme lives in the repository's top-level ``themes/default/``
and is shipped inside the installed package as ``sitegen/themes/default/``
(the wheel maps one onto the other). An installed sitegen finds it beside
its code; a source checkout (tests, ``python -m sitegen`` from the
repository) finds it at the top of the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import Problems
from ..files import OUTSIDE, outside, site_places

_PACKAGE = Path(__file__).resolve().parent.parent


def _builtin_theme() -> Path:
    shipped = _PACKAGE / "themes" / "default"
    if shipped.is_dir():
        return shipped
    # A source checkout: the package sits beside pyproject.toml and themes/.
    return _PACKAGE.parent / "themes" / "default"


BUILTIN_THEME = _builtin_theme()


def template_dirs(root: Path, theme: str, problems: Problems) -> list[Path]:
    """Where templates are looked up: the site theme's folder, when it has
    one it may use, then the built-in theme's. A template that is a link
    out of the site is an error even if no page uses it (as a static file
    is); the loader refuses to read one as well (render/jinja.py)."""
    own = _site_folder(root, theme, "templates", problems)
    if own is None:
        return [BUILTIN_THEME / "templates"]
    _refuse_links_out(own, site_places(root), problems)
    return [own, BUILTIN_THEME / "templates"]


def static_dirs(root: Path, theme: str, problems: Problems) -> list[Path]:
    own = _site_folder(root, theme, "static", problems)
    return ([] if own is None else [own]) + [BUILTIN_THEME / "static"]


def _site_folder(root: Path, theme: str, part: str, problems: Problems) -> Path | None:
    """`themes/<theme>/<part>/` when the site has it and may use it. A
    folder on the way that cannot be read, or that is a link leading out of
    the site, is an error at it: the theme's files are never silently left
    out for the built-in theme's, nor read from outside the site."""
    inside = site_places(root)
    themes = root / "themes"
    for folder in (themes, themes / theme, themes / theme / part):
        target = outside(folder, inside)
        if target is not None:
            problems.error(folder, 0, OUTSIDE.format(target=target))
            return None
        try:
            os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return None  # no such folder: the built-in theme's files are used
        except OSError as exc:
            problems.error(folder, 0, f"cannot read folder: {exc.strerror or exc}")
            return None
    return folder


def _refuse_links_out(folder: Path, inside: tuple[str, ...], problems: Problems) -> None:
    """An error at every file or folder under `folder` that is a link out
    of the site, and at every folder that cannot be read."""

    def unreadable(exc: OSError) -> None:
        problems.error(exc.filename or folder, 0, f"cannot read folder: {exc.strerror or exc}")

    for directory, folders, files in os.walk(folder, onerror=unreadable):
        for name in (*folders, *files):
            path = os.path.join(directory, name)
            target = outside(path, inside) if os.path.islink(path) else None
            if target is not None:
                problems.error(path, 0, OUTSIDE.format(target=target))
