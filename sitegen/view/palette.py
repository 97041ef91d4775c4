"""The built-in theme's custom properties from `site.yaml: theme_options`.

The theme's stylesheet reads every colour and font from CSS custom
properties (`--color-accent`, `--font-body` ...). `palette` derives the
ones an owner's choices change, for the light and the dark colour scheme,
so that every pairing the stylesheet draws (link on page, text on banner,
button label on button, current menu item on its tint) keeps WCAG AA
contrast whatever colour was chosen. `/assets/theme.css` (the `theme.css`
template) prints them after the theme's own stylesheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from ..content.colours import (
    BLACK,
    DARK_BACKGROUNDS,
    DARK_TEXTS,
    LIGHT_BACKGROUNDS,
    LIGHT_TEXTS,
    RGB,
    TEXT_CONTRAST,
    WHITE,
    contrast,
    ground,
    hex_colour,
    mix,
    parse_colour,
    readable,
)
from ..content.model import ThemeOptions

Declarations = tuple[tuple[str, Markup], ...]


@dataclass(frozen=True)
class Palette:
    """Custom properties for `:root` (light), for the dark scheme, and the
    fonts (the same in both)."""

    light: Declarations
    dark: Declarations
    fonts: Declarations


def _tint(text: RGB, colour: RGB, ground_colour: RGB, start: float) -> RGB:
    """`colour` faded towards `ground_colour` until `text` reads on it."""
    for step in range(round(start * 100), 101, 2):
        candidate = mix(colour, ground_colour, step / 100)
        if contrast(text, candidate) >= TEXT_CONTRAST:
            return candidate
    return ground_colour


def _scheme(accent: RGB | None, brand: RGB | None, dark: bool) -> list[tuple[str, str]]:
    grounds, texts = (DARK_BACKGROUNDS, DARK_TEXTS) if dark else (LIGHT_BACKGROUNDS, LIGHT_TEXTS)
    away = WHITE if dark else BLACK  # where text colours go to stand out
    page = grounds[0]
    found: list[tuple[str, str]] = []
    if brand is not None:
        # Grounds go the other way from text: lighter on light pages.
        towards = BLACK if dark else WHITE
        hero = ground(brand, texts, towards, grounds[3])
        panel = ground(mix(brand, page, 0.5), texts, towards, grounds[2])
        found += [("color-hero", hex_colour(hero)), ("color-surface-alt", hex_colour(panel))]
    if accent is not None:
        link = readable(accent, grounds, away)
        hover = readable(mix(link, away, 0.25), grounds, away)
        # Button labels: `link` reads on the page (dark scheme) and on white
        # (light scheme, whose grounds include the white surface).
        on_accent = page if dark else WHITE
        current_text = link if dark else hover
        soft = _tint(current_text, link, page, 0.8)
        found += [
            ("color-accent", hex_colour(link)),
            ("color-accent-hover", hex_colour(hover)),
            ("color-on-accent", hex_colour(on_accent)),
            ("color-accent-soft", hex_colour(soft)),
        ]
    return found


def palette(options: ThemeOptions) -> Palette | None:
    """The custom properties `options` set, or None when it sets nothing
    (the theme's stylesheet alone then styles the site)."""
    accent = parse_colour(options.accent) if options.accent else None
    brand = parse_colour(options.brand) if options.brand else None
    fonts = []
    if options.font:
        fonts.append(("font-body", options.font))
    if options.heading_font:
        fonts.append(("font-heading", options.heading_font))
    if accent is None and brand is None and not fonts:
        return None

    def declarations(pairs: list[tuple[str, str]]) -> Declarations:
        # Colours are #rrggbb; fonts are checked names and generic families
        # (content/colours.font_stack): nothing here can end a declaration.
        return tuple((name, Markup(value)) for name, value in pairs)

    return Palette(
        declarations(_scheme(accent, brand, dark=False)),
        declarations(_scheme(accent, brand, dark=True)),
        declarations(fonts),
    )
