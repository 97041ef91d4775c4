"""Markdown to HTML, configured once for the whole site.

Conversion is a pure function of the source text, memoised, so a body used on
several pages (a post on its page and in the feed) is converted once.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any

import markdown
from markdown.extensions.extra import ExtraExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.toc import TocExtension

# Part of every cache key of rendered Markdown: change it when the output of
# the same source would change.
MARKDOWN_CONFIGURATION = f"markdown {markdown.__version__}: extra, sane_lists, toc"

_converter: markdown.Markdown | None = None


def _markdown() -> markdown.Markdown:
    global _converter
    if _converter is None:
        # Extension objects, not names: names are looked up through package
        # entry points, which costs a noticeable part of a small build.
        _converter = markdown.Markdown(
            extensions=[ExtraExtension(), SaneListExtension(), TocExtension()],
            output_format="html",
        )
    return _converter


# HTML by source hash from the persistent cache (see cache.py), and what this
# process converted since, for the build to save. Kept here so that worker
# processes forked for a parallel build inherit what was loaded.
_cached: dict[str, str] = {}
_converted: dict[str, str] = {}
_remember = False


def use_cache(entries: dict[str, str]) -> None:
    """Start answering from `entries` and remembering new conversions."""
    global _remember
    _cached.update(entries)
    _remember = True


def take_converted() -> dict[str, str]:
    """New conversions since the last call (source hash -> HTML)."""
    fresh = dict(_converted)
    _converted.clear()
    return fresh


def remember_converted(entries: dict[str, str]) -> None:
    """Conversions made in worker processes, to be saved with ours."""
    if _remember:
        _converted.update(entries)


def use_prefetched(entries: dict[str, str]) -> None:
    """Conversions made ahead by worker processes (see prefetch.py): answered
    from like the persistent cache, and saved with this build's own."""
    _cached.update(entries)
    if _remember:
        _converted.update(entries)


def is_cached(key: str) -> bool:
    return key in _cached


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def convert(source: str) -> str:
    """The conversion itself: no cache, no memo."""
    converter = _markdown()
    try:
        return converter.convert(source)
    finally:
        converter.reset()


@functools.lru_cache(maxsize=8192)
def markdown_to_html(source: str) -> str:
    key = source_hash(source) if _remember or _cached else ""
    if key:
        found = _cached.get(key)
        if found is not None:
            return found
    html = convert(source)
    if _remember:
        _converted[key] = html
    return html


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|!?\[([^\]]*)\]\[[^\]]*\]")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`+|~~)(?=\S)(.+?)(?<=\S)\1")
_TAG = re.compile(r"<[^>]+>")
_BLOCK_START = re.compile(r"^\s{0,3}(?:#|>|[-*+]\s|\d+[.)]\s|```|~~~|\||<|!\[|-{3,}|\*{3,}|_{3,}|\[[^\]]+\]:)")


def first_paragraph(source: str, limit: int = 280) -> str:
    """Plain text of the first prose paragraph of a Markdown body.

    Headings, lists, code, tables, quotes and raw HTML are skipped; inline
    markup is reduced to its text; the result is cut at a word boundary.
    """
    paragraph: list[str] = []
    in_fence = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if not stripped:
            if paragraph:
                break
            continue
        if not paragraph and (_BLOCK_START.match(line) or line.startswith(("    ", "\t"))):
            continue
        paragraph.append(stripped)
    text = " ".join(paragraph)
    # Each pattern needs a character most paragraphs lack: test for it first.
    if "[" in text:
        text = _LINK.sub(lambda m: m.group(1) or m.group(2) or "", text)
    if "*" in text or "_" in text or "`" in text or "~" in text:
        for _ in range(3):
            text = _EMPHASIS.sub(r"\2", text)
    if "<" in text:
        text = _TAG.sub("", text)
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.-")
    return cut + "…"


def word_count(source: str) -> int:
    # Whitespace-separated words: close enough for reading time, and cheap.
    return len(source.split())


# Facts about Markdown bodies that every build needs for every post (word
# count, first paragraph), by a hash of the body. The build cache keeps
# them (cache.TextFactsStore), so a build after a one-post edit works them
# out for one body instead of thousands; a session keeps what it used.
_facts_known: dict[str, list[Any]] = {}
_facts_used: dict[str, list[Any]] = {}
_facts_added = False


def use_text_facts(entries: dict[str, list[Any]]) -> None:
    """Start a build session from `entries` (from the cache)."""
    global _facts_added
    _facts_known.update(entries)
    _facts_used.clear()
    _facts_added = False


def text_facts_used() -> tuple[dict[str, list[Any]], bool]:
    """The facts this process used, and whether that differs from what it was given."""
    return dict(_facts_used), _facts_added or len(_facts_used) != len(_facts_known)


def body_facts(source: str, paragraph: bool) -> tuple[int, str]:
    """(`word_count(source)`, `first_paragraph(source)` if `paragraph` else
    ""), remembered by the body's hash."""
    global _facts_added
    key = hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    found = _facts_known.get(key)
    if (
        found is None
        or len(found) != 2
        or type(found[0]) is not int
        or not (found[1] is None or type(found[1]) is str)
    ):
        found = _facts_known[key] = [word_count(source), None]  # absent, or not what this version writes
        _facts_added = True
    if paragraph and found[1] is None:
        found[1] = first_paragraph(source)
        _facts_added = True
    _facts_used[key] = found
    return found[0], found[1] if paragraph else ""
