"""Colours and font lists of `site.yaml: theme_options`, and the contrast
arithmetic that keeps the theme readable whatever colour an owner picks.

Colours are `#rgb` or `#rrggbb`. Contrast is WCAG 2's ratio of relative
luminances. `readable` moves a colour towards black or white, in small
steps, until text in it (or text on it) reaches a ratio; the theme uses it
for both colour schemes, so a pale brand yellow still gives dark-enough
links on the light pages and a deep navy still gives light-enough links on
the dark ones.
"""

from __future__ import annotations

import re

RGB = tuple[int, int, int]

_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")

# What normal text needs (WCAG 2 AA, 1.4.3).
TEXT_CONTRAST = 4.5

WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)

# The default theme's grounds and texts (themes/default/static/assets/site.css);
# a chosen colour is checked against each.
# (page, surface, tinted panel, home banner)
LIGHT_BACKGROUNDS: tuple[RGB, ...] = ((0xFB, 0xF7, 0xF0), (0xFF, 0xFF, 0xFF), (0xF4, 0xED, 0xE2), (0xF3, 0xE7, 0xD4))
DARK_BACKGROUNDS: tuple[RGB, ...] = ((0x1B, 0x17, 0x14), (0x25, 0x20, 0x1C), (0x22, 0x1D, 0x19), (0x26, 0x20, 0x1B))
LIGHT_TEXTS: tuple[RGB, ...] = ((0x2A, 0x24, 0x1F), (0x5F, 0x56, 0x4D))
DARK_TEXTS: tuple[RGB, ...] = ((0xEF, 0xE7, 0xDC), (0xC3, 0xB7, 0xA8))


def parse_colour(text: str) -> RGB | None:
    """`#1d6` or `#11dd66` as (r, g, b); None for anything else."""
    found = _HEX.fullmatch(text.strip())
    if found is None:
        return None
    digits = found.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def hex_colour(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: RGB) -> float:
    r, g, b = (_channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(a: RGB, b: RGB, share_of_b: float) -> RGB:
    """`a` moved `share_of_b` (0 to 1) of the way to `b`."""
    return tuple(round(x + (y - x) * share_of_b) for x, y in zip(a, b))  # type: ignore[return-value]


def readable(colour: RGB, against: tuple[RGB, ...], towards: RGB, ratio: float = TEXT_CONTRAST) -> RGB:
    """The least change of `colour` towards `towards` (black or white) that
    has at least `ratio` against every colour of `against`."""
    for step in range(0, 101, 2):
        candidate = mix(colour, towards, step / 100)
        if all(contrast(candidate, other) >= ratio for other in against):
            return candidate
    return towards


def ground(colour: RGB, texts: tuple[RGB, ...], towards: RGB, limit: RGB) -> RGB:
    """A background made from `colour`: moved towards `towards` until every
    text colour reads on it and it is no nearer the texts than `limit` (the
    theme's own ground of that role), so whatever read on the theme's
    ground reads on this one too."""
    bound = luminance(limit)
    lighter = towards == WHITE
    for step in range(0, 101, 2):
        candidate = mix(colour, towards, step / 100)
        far_enough = luminance(candidate) >= bound if lighter else luminance(candidate) <= bound
        if far_enough and all(contrast(candidate, text) >= TEXT_CONTRAST for text in texts):
            return candidate
    return towards


# Font lists: a keyword, or family names separated by commas.
FONT_KEYWORDS: dict[str, str] = {
    "system": 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", Arial, sans-serif',
    "sans": '"Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif',
    "serif": '"Iowan Old Style", "Palatino Linotype", Palatino, "Book Antiqua", "URW Palladio L", "P052", '
             "Georgia, serif",
    "rounded": 'ui-rounded, "SF Pro Rounded", "Nunito", "Varela Round", system-ui, sans-serif',
    "slab": '"Roboto Slab", "Rockwell", "Zilla Slab", "DejaVu Serif", Georgia, serif',
    "mono": 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace',
}
GENERIC_FAMILIES = ("serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "ui-serif",
                    "ui-sans-serif", "ui-monospace", "ui-rounded")
STANDARD_GENERICS = ("serif", "sans-serif", "monospace", "cursive", "fantasy")
_FAMILY = re.compile(r"[A-Za-z][A-Za-z0-9-]*(?: [A-Za-z0-9][A-Za-z0-9-]*)*")
MAX_FAMILIES = 12


def font_stack(text: str) -> tuple[str | None, str | None]:
    """(CSS font-family value, None) or (None, what is wrong). A keyword
    gives its stack; family names are kept in order, quoted, and a generic
    family is added when the list names none, so the browser always has one."""
    value = text.strip()
    if value.lower() in FONT_KEYWORDS:
        return FONT_KEYWORDS[value.lower()], None
    names = [part.strip().strip("\"'").strip() for part in value.split(",")]
    if not value or len(names) > MAX_FAMILIES or not all(names):
        return None, f"a keyword ({', '.join(FONT_KEYWORDS)}) or up to {MAX_FAMILIES} font names separated by commas"
    shown = []
    for name in names:
        if not _FAMILY.fullmatch(name) or len(name) > 60:
            return None, (
                f"font names of letters, digits, spaces and hyphens, such as 'Source Sans 3, sans-serif'; "
                f"'{name[:60]}' is not one"
            )
        shown.append(name if name.lower() in GENERIC_FAMILIES else f'"{name}"')
    if not any(name.lower() in STANDARD_GENERICS for name in names):
        # (system-ui and the ui-* families are not known to every browser)
        shown.append(_generic_for(names))
    return ", ".join(shown), None


_SERIF = ("serif", "georgia", "times", "garamond", "palatino", "baskerville", "caslon", "bodoni", "didot",
          "cambria", "charter", "merriweather", "lora", "playfair", "slab", "rockwell", "book antiqua")
_MONOSPACE = ("mono", "code", "courier", "consolas", "menlo")


def _generic_for(names: list[str]) -> str:
    """The generic family most like the first named font: a serif for
    'Georgia' or 'Source Serif 4', monospace for 'Fira Code', else sans-serif."""
    first = names[0].lower()
    if first in ("ui-serif", "ui-monospace", "ui-sans-serif", "ui-rounded"):
        return {"ui-serif": "serif", "ui-monospace": "monospace"}.get(first, "sans-serif")
    if "sans" in first:
        return "sans-serif"
    if any(word in first for word in _SERIF):
        return "serif"
    if any(word in first for word in _MONOSPACE):
        return "monospace"
    return "sans-serif"
