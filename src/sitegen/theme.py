"""Where a site's templates and theme static files come from.

A site theme in ``themes/<name>/`` overrides the built-in theme file by file:
templates are looked up in ``themes/<name>/templates/`` first, then in the
built-in theme shipped inside the package; static files likewise.
"""

from __future__ import annotations

from pathlib import Path

BUILTIN_THEME = Path(__file__).resolve().parent / "themes" / "default"


def template_dirs(root: Path, theme: str) -> list[Path]:
    dirs = [root / "themes" / theme / "templates"]
    return [d for d in dirs if d.is_dir()] + [BUILTIN_THEME / "templates"]


def static_dirs(root: Path, theme: str) -> list[Path]:
    dirs = [root / "themes" / theme / "static"]
    return [d for d in dirs if d.is_dir()] + [BUILTIN_THEME / "static"]
