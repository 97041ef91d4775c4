"""Restyling the built-in theme without copying it: theme_options (colours
and fonts as /assets/theme.css), a site's own custom.css, highlighted code."""

from __future__ import annotations

import re

from conftest import REPO
from sitegen.content.colours import DARK_BACKGROUNDS, DARK_TEXTS, LIGHT_BACKGROUNDS, LIGHT_TEXTS, contrast, parse_colour

SITE = "content/site.yaml"
BASE = "base_url: https://example.com/\ntitle: Test Co\n"


def _properties(css: str, dark: bool) -> dict[str, str]:
    block = css.split("@media (prefers-color-scheme: dark)")[1 if dark else 0]
    return dict(re.findall(r"--([a-z-]+): ([^;]+);", block))


STYLESHEET = (REPO / "themes/default/static/assets/site.css").read_text(encoding="utf-8")


def test_the_contrast_rules_know_the_stylesheets_own_colours():
    """colours.py checks against the theme's grounds and texts: they must be
    the ones site.css declares, in both schemes."""
    for scheme, grounds, texts in ((False, LIGHT_BACKGROUNDS, LIGHT_TEXTS), (True, DARK_BACKGROUNDS, DARK_TEXTS)):
        declared = _properties(STYLESHEET, scheme)
        assert grounds == tuple(parse_colour(declared[name]) for name in (
            "color-bg", "color-surface", "color-surface-alt", "color-hero"))
        assert texts == tuple(parse_colour(declared[name]) for name in ("color-text", "color-muted"))


def test_theme_options_give_a_stylesheet_whose_colours_stay_readable(make_site):
    site = make_site({SITE: BASE + "theme_options:\n  accent: '#f5c400'\n  brand: '#1d3557'\n  font: serif\n"
                                    "  heading_font: Source Serif 4, Georgia\n"})
    run = site.build()
    assert run.returncode == 0, run.stderr
    # The pale yellow is named, with the colour used instead, at its line.
    assert re.search(r"content/site.yaml:4: warning: 'theme_options.accent' #f5c400 is too pale .* use #[0-9a-f]{6}",
                     run.stderr), run.stderr
    home = site.page("/")
    assert home.index('href="/assets/site.css"') < home.index('href="/assets/theme.css"') < home.index(
        'href="/assets/custom.css"')
    css = site.page("/assets/theme.css")
    light, dark = _properties(css, dark=False), _properties(css, dark=True)
    defaults = _properties(STYLESHEET, dark=False)
    assert set(light) | set(dark) <= set(defaults), "theme.css sets only properties site.css uses"
    for scheme, grounds, texts in ((light, LIGHT_BACKGROUNDS, LIGHT_TEXTS), (dark, DARK_BACKGROUNDS, DARK_TEXTS)):
        colour = {name: parse_colour(value) for name, value in scheme.items() if name.startswith("color-")}
        accent, hover, soft = colour["color-accent"], colour["color-accent-hover"], colour["color-accent-soft"]
        tinted = (colour["color-hero"], colour["color-surface-alt"])
        for ground in grounds + tinted:  # links and outline buttons, on every ground
            assert contrast(accent, ground) >= 4.5, (scheme, ground)
        for ground in tinted:  # body text on the banner and the panels
            assert all(contrast(text, ground) >= 4.5 for text in texts), (scheme, ground)
        for button in (accent, hover):  # a button's label, and when hovered
            assert contrast(colour["color-on-accent"], button) >= 4.5
        # The current menu item: hover colour (light) or accent (dark) on the soft tint.
        assert contrast(accent if scheme is dark else hover, soft) >= 4.5
    assert light["font-body"].startswith('"Iowan Old Style"')
    assert light["font-heading"] == '"Source Serif 4", "Georgia", serif'
    assert "theme.css" not in "".join(site.output_bytes()["sitemap.xml"].decode())


def test_without_theme_options_there_is_no_theme_stylesheet(make_site):
    site = make_site()
    assert site.build().returncode == 0
    assert "assets/theme.css" not in site.output_bytes()
    assert "/assets/theme.css" not in site.page("/")


def test_an_unquoted_colour_is_an_error_that_says_to_quote_it(make_site):
    site = make_site({SITE: BASE + "theme_options:\n  accent: #1d6a4f\n"})
    run = site.build()
    assert run.returncode == 1
    assert run.error_lines == [
        "content/site.yaml:4: 'theme_options.accent' is empty: quote the colour, since '#' starts a comment "
        'in YAML: accent: "#1d6a4f"'
    ]


def test_a_wrong_colour_or_font_is_an_error_at_its_line_and_nothing_reaches_the_css(make_site):
    site = make_site({SITE: BASE + "theme_options:\n  accent: 'red; } body { display: none'\n"
                                   "  brand: '#12345'\n  font: 'Arial; } * { color: red'\n"
                                   "  heading_font: '</style><script>'\n"})
    run = site.build()
    assert run.returncode == 1
    lines = run.error_lines
    assert any(l.startswith("content/site.yaml:4: 'theme_options.accent' must be a colour written #rrggbb") for l in lines)
    assert any(l.startswith("content/site.yaml:5: 'theme_options.brand' must be a colour") for l in lines)
    assert any(l.startswith("content/site.yaml:6: 'theme_options.font' must be") for l in lines)
    assert any(l.startswith("content/site.yaml:7: 'theme_options.heading_font' must be") for l in lines)
    assert "Traceback" not in run.stderr


def test_a_sites_custom_css_replaces_the_empty_one(make_site):
    site = make_site()
    assert site.build().returncode == 0
    assert "/*" in site.page("/assets/custom.css") and "{" not in site.page("/assets/custom.css").split("*/")[-1]
    site.write({"themes/default/static/assets/custom.css": ".brand { letter-spacing: 0.1em; }\n"})
    assert site.build().returncode == 0
    assert site.page("/assets/custom.css") == ".brand { letter-spacing: 0.1em; }\n"


def test_fenced_code_is_highlighted_with_classes_and_no_inline_style(make_site):
    site = make_site({"content/pages/notes.md": "---\ntitle: Notes\n---\n```python\ndef f():\n    return 'x'\n```\n\n"
                                                "```\nplain <b>text</b>\n```\n"})
    assert site.build().returncode == 0
    page = site.page("/notes/")
    assert '<span class="k">def</span>' in page and '<span class="s1">' in page
    assert "plain &lt;b&gt;text&lt;/b&gt;" in page
    assert "style=" not in page
    assert ".highlight .k" in site.page("/assets/site.css")


def test_fence_attributes_cannot_set_highlighter_options_and_indented_code_stays_plain(make_site):
    site = make_site({"content/pages/notes.md": "---\ntitle: Notes\n---\n"
                      "```{.python linenums=true linenostep=0 noclasses=true}\nx = 1\n```\n\n"
                      "    #!/bin/sh\n    echo hi\n"})
    run = site.build()
    assert run.returncode == 0, run.stderr
    page = site.page("/notes/")
    assert '<span class="n">x</span>' in page and "style=" not in page and "linenos" not in page
    assert "<pre><code>#!/bin/sh\necho hi\n</code></pre>" in page
