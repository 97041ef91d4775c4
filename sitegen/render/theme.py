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

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def _builtin_theme() -> Path:
    shipped = _PACKAGE / "themes" / "default"
    if shipped.is_dir():
        return shipped
    # A source checkout: the package sits beside pyproject.toml and themes/.
    return _PACKAGE.parent / "themes" / "default"


BUILTIN_THEME = _builtin_theme()


def template_dirs(root: Path, theme: str) -> list[Path]:
    dirs = [root / "themes" / theme / "templates"]
    return [d for d in dirs if d.is_dir()] + [BUILTIN_THEME / "templates"]


def static_dirs(root: Path, theme: str) -> list[Path]:
    dirs = [root / "themes" / theme / "static"]
    return [d for d in dirs if d.is_dir()] + [BUILTIN_THEME / "static"]
