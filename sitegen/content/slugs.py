"""Slugs: the one place that turns names into URL path segments.

A slug is NFC-normalised, accent-folded, lower-case and made only of
``[a-z0-9-]``, so it can never contain a path separator or climb out of the
output folder, whatever a file name or a tag says. A slug names a folder of
the output, so one made from free text (a tag, a title) must also fit a
file name: `MAX_SLUG` characters at most, well within the 255 bytes file
systems allow.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

# The longest slug made from free text: a tag or category longer is an
# error at its line, a title for `sitegen new` is cut between words.
MAX_SLUG = 200

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SPOKEN = {"+": "plus", "&": "and", "#": "sharp"}
_SPOKEN_SYMBOL = re.compile(r"\+|&|(?<=[A-Za-z])#")


@functools.lru_cache(maxsize=65536)
def slugify(text: str) -> str:
    """`Ünïcödé voyage` -> `unicode-voyage`; `../../x` -> `x`; `C++` -> `c-plus-plus`.

    Returns an empty string when nothing usable is left; callers decide
    whether that is an error or needs `term_slug`'s fallback.
    """
    if text.isascii():
        ascii_text = text  # normalising and folding leave ASCII as it is (most file names)
    else:
        text = unicodedata.normalize("NFC", text)
        folded = unicodedata.normalize("NFKD", text)
        ascii_text = "".join(c for c in folded if not unicodedata.combining(c))
        ascii_text = ascii_text.replace("ß", "ss").replace("æ", "ae").replace("ø", "o")
        ascii_text = ascii_text.replace("Æ", "ae").replace("Ø", "o").replace("œ", "oe")
    # Symbols that carry meaning in names keep it, so `C`, `C++` and `C#`
    # are three terms, and `R&D` reads `r-and-d`.
    ascii_text = _SPOKEN_SYMBOL.sub(lambda m: f" {_SPOKEN[m.group(0)]} ", ascii_text)
    # An apostrophe joins a word, it does not split it: "Rosa's" -> "rosas".
    ascii_text = ascii_text.replace("'", "").replace("\u2019", "")
    lowered = ascii_text.lower().encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", lowered).strip("-")


@functools.lru_cache(maxsize=65536)
def term_slug(name: str) -> str:
    """A slug for a tag or category that is never empty.

    Names with no Latin letters or digits (``日本``, ``+++``) get a short,
    stable hash so they still have a page of their own.
    """
    slug = slugify(name)
    if slug:
        return slug
    digest = hashlib.sha1(
        unicodedata.normalize("NFC", name.strip()).casefold().encode("utf-8")
    ).hexdigest()
    return f"term-{digest[:8]}"


def shortened(slug: str, limit: int = MAX_SLUG) -> str:
    """`slug` cut to at most `limit` characters, between words (at a hyphen)
    unless that would drop more than half of it: `a-long-title` -> `a-long`."""
    if len(slug) <= limit:
        return slug
    cut = slug.rfind("-", 0, limit + 1)  # a word ending right at the limit stays whole
    return (slug[:cut] if cut > limit // 2 else slug[:limit]).strip("-")
