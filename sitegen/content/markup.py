"""Markdown to HTML, configured once for the whole site.

Conversion is a pure function of the source text, memoised, so a body used on
several pages (a post on its page and in the feed) is converted once.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import hashlib
import re
import signal
import threading
import time
from typing import Any, Callable, Collection, Iterable, Iterator

import markdown
import pygments  # type: ignore[import-untyped]
from markdown.extensions import Extension
from markdown.extensions.extra import ExtraExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.toc import TocExtension
from markdown.treeprocessors import Treeprocessor
from xml.etree import ElementTree as etree

from .parse import text_key

# Part of every cache key of rendered Markdown: change it when the output of
# the same source would change.
MARKDOWN_CONFIGURATION = (
    f"markdown {markdown.__version__}: extra, sane_lists, toc, table alignment classes, tables focusable; "
    f"codehilite with Pygments {pygments.__version__} for fenced code only, classes, no guessing, no line numbers, language classes, no options from attributes"
)

_converter: markdown.Markdown | None = None
_ALIGNED = re.compile(r"text-align: (left|center|right);")


class _TableAlignment(Treeprocessor):
    """A table column's `:---:` alignment as a class (`align-center`), not
    the inline `style=` the tables extension writes, which the site's
    Content-Security-Policy (`style-src 'self'`) makes browsers ignore."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag == "table":
                # A wide table scrolls sideways inside the text column; a
                # keyboard can reach what overflows only if it can focus it.
                element.set("tabindex", "0")
            if element.tag not in ("th", "td"):
                continue
            found = _ALIGNED.fullmatch(element.get("style") or "")
            if found:
                del element.attrib["style"]
                element.set("class", f"align-{found.group(1)}")


class _TableAlignmentExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_TableAlignment(md), "table_alignment", 0)


def _fences_only() -> Extension:
    """Highlight fenced code only. The codehilite extension also highlights
    indented code, guessing its language from a first `#!` or `:::` line
    (which it then removes): indented code stays exactly as written. And a
    fence's `{...}` attributes give an id and classes only: the standard
    preprocessor hands every other `key=value` to Pygments as an option
    (`noclasses=true` writes inline styles, `linenostep=0` crashes it).
    Made on first use: importing fenced_code imports Pygments' lexers."""
    from markdown.extensions.fenced_code import FencedBlockPreprocessor

    class PlainFences(FencedBlockPreprocessor):
        def handle_attrs(self, attrs: Any) -> tuple[str, list[str], dict[str, Any]]:
            found_id, classes, _ = super().handle_attrs(attrs)
            return found_id, classes, {}

    class FencesOnly(Extension):
        def extendMarkdown(self, md: markdown.Markdown) -> None:
            md.treeprocessors.deregister("hilite")
            fences: Any = md.preprocessors["fenced_code_block"]
            md.preprocessors.register(PlainFences(md, fences.config), "fenced_code_block", 25)

    return FencesOnly()


def _markdown() -> markdown.Markdown:
    global _converter
    if _converter is None:
        # Extension objects, not names: names are looked up through package
        # entry points, which costs a noticeable part of a small build.
        # Fenced code names its language (```python): Pygments marks its
        # tokens with classes that site.css colours (no inline styles, which
        # the Content-Security-Policy would block); code without a language
        # is left plain rather than guessed, and indented code as written.
        from markdown.extensions.codehilite import CodeHiliteExtension

        highlight = CodeHiliteExtension(
            css_class="highlight", guess_lang=False, use_pygments=True, linenums=False, pygments_lang_class=True,
        )
        _converter = markdown.Markdown(
            extensions=[
                ExtraExtension(), SaneListExtension(), TocExtension(), _TableAlignmentExtension(), highlight,
                _fences_only(),
            ],
            output_format="html",
        )
    return _converter


# The build cache's lookup of HTML by source hash (see incremental/store.py),
# and what this process converted since, for the build to save. Kept here so
# that worker processes forked for a parallel build inherit them.
_lookup: Callable[[str], str | None] | None = None
_stored: Callable[[], Collection[str]] = frozenset
_converted: dict[str, str] = {}


def use_cache(lookup: Callable[[str], str | None], stored: Callable[[], Collection[str]]) -> None:
    """Start answering from `lookup` (by source hash) and remembering new
    conversions for the build to save; `stored()` names the hashes the
    cache holds (without reading their HTML)."""
    global _lookup, _stored
    _lookup, _stored = lookup, stored


def take_converted() -> dict[str, str]:
    """New conversions since the last call (source hash -> HTML)."""
    fresh = dict(_converted)
    _converted.clear()
    return fresh


def remember_converted(entries: dict[str, str]) -> None:
    """Conversions made in worker processes, to be saved with ours."""
    if _lookup is not None:
        _converted.update(entries)


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


# Python-Markdown takes time that grows fast with some inputs (tens of
# thousands of '[', lists nested thousands deep): a body may take this long.
CONVERSION_SECONDS = 20.0


class MarkdownTooHard(Exception):
    """A body Python-Markdown cannot convert in time, or at all."""


def convert(source: str) -> str:
    """The conversion itself: no cache, no memo. Raises MarkdownTooHard for a
    body that takes longer than CONVERSION_SECONDS (measured where a timer
    can interrupt it: the main thread of a process) or nests too deeply."""
    converter = _markdown()
    try:
        with _time_limit(CONVERSION_SECONDS):
            return converter.convert(source)
    except RecursionError:
        raise MarkdownTooHard("its lists or quotes are nested too deeply to convert: flatten them") from None
    finally:
        converter.reset()


class _Expired(BaseException):
    """Raised by the timer into a conversion; not an Exception, so nothing
    on the way catches it."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds`, keeping any timer already set
    (it is put back with the time it has left)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _Expired

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    outer, interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise MarkdownTooHard(
            f"its Markdown took more than {seconds:g} s to convert (very many '[' or deeply nested "
            "lists?): simplify it"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 0.001), interval)


# Conversions made ahead, in worker processes, while this one planned the
# pages (render/parallel.ConvertAhead): source hash -> HTML, or the message
# of a body too hard to convert.
_ahead: dict[str, str] = {}
_ahead_failed: dict[str, str] = {}


def use_ahead(converted: dict[str, str], failed: dict[str, str]) -> None:
    """Answer these sources (by `source_hash`) without converting them, for
    one build: replaces the last build's."""
    _ahead.clear()
    _ahead.update(converted)
    _ahead_failed.clear()
    _ahead_failed.update(failed)


def convert_for_later(source: str) -> tuple[str, str, bool]:
    """(source hash, HTML, True), or (source hash, the reason, False) for a
    body too hard to convert: what a worker converting ahead sends back."""
    try:
        return source_hash(source), convert(source), True
    except MarkdownTooHard as exc:
        return source_hash(source), str(exc), False


def new_text_count() -> int:
    """How many texts of this build the cache had not met (their facts were
    worked out now): the bodies that may need converting, known without
    hashing every body again."""
    return len(_facts_new)


def pending_conversions(sources: Iterable[str], many: int) -> list[str]:
    """The distinct sources new to the cache (see `new_text_count`), in
    order; from `many` of them on, those whose HTML the cache holds anyway
    are left out (one query lists them)."""
    seen: set[str] = set()
    pending = []
    for source in sources:
        key = _body_key(source)
        if key in _facts_new and key not in seen:
            seen.add(key)
            pending.append(source)
    if len(pending) >= many and _lookup is not None:
        stored = _stored()
        pending = [source for source in pending if source_hash(source) not in stored]
    return pending


@functools.lru_cache(maxsize=8192)
def markdown_to_html(source: str) -> str:
    if _lookup is None and not _ahead:
        return convert(source)
    key = source_hash(source)
    found = _converted.get(key) or _ahead.get(key)
    if found is None and key in _ahead_failed:
        raise MarkdownTooHard(_ahead_failed[key])
    if found is not None:
        if _lookup is not None:
            _converted[key] = found  # for the cache, like a conversion of ours
        return found
    if _lookup is not None:
        found = _lookup(key)
    if found is None:
        found = convert(source)
        if _lookup is not None:
            _converted[key] = found
    return found


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
# count, first paragraph), by a hash of the body, and whether the body was
# found free of unpublishable characters (load.py checks every body). The
# build cache keeps them (incremental/store.py), so a build after a
# one-post edit works them out for one body instead of thousands; a session
# keeps what it used. An entry is [words, first paragraph or None, True
# when checked clean or None, the link targets the prose writes or None].
_facts_known: dict[str, list[Any]] = {}
_facts_used: dict[str, list[Any]] = {}
_facts_new: set[str] = set()


def use_text_facts(entries: dict[str, list[Any]]) -> None:
    """Start a build session from `entries` (from the cache); an entry that
    is not what this version writes is left out, to be worked out again."""
    _facts_known.update((key, entry) for key, entry in entries.items() if _well_formed(entry))
    _facts_used.clear()
    _facts_new.clear()


def _well_formed(entry: object) -> bool:
    return (
        type(entry) is list
        and len(entry) == 4
        and type(entry[0]) is int
        and (entry[1] is None or type(entry[1]) is str)
        and entry[2] in (True, None)
        and (entry[3] is None or (type(entry[3]) is list and all(
            type(t) is list and len(t) == 2 and type(t[0]) is str and type(t[1]) is int for t in entry[3])))
    )


def text_facts_used() -> tuple[dict[str, list[Any]], set[str]]:
    """The facts this process used, and which of them it worked out or
    completed itself (the others came from the cache as they are)."""
    new = set(_facts_new)
    _facts_new.clear()
    return dict(_facts_used), new


# A body's facts are looked up several times a build (when it is read, for
# its post, for its links): its key is worked out once.
_body_key = functools.lru_cache(maxsize=16384)(text_key)


def _facts(source: str) -> tuple[str, list[Any]]:
    """The body's key and its facts entry, a new one when there is none."""
    key = _body_key(source)
    found = _facts_known.get(key)
    if found is None:
        found = _facts_known[key] = [word_count(source), None, None, None]
        _facts_new.add(key)
    _facts_used[key] = found
    return key, found


def body_facts(source: str, paragraph: bool) -> tuple[int, str]:
    """(`word_count(source)`, `first_paragraph(source)` if `paragraph` else
    ""), remembered by the body's hash."""
    key, found = _facts(source)
    if paragraph and found[1] is None:
        found[1] = first_paragraph(source)
        _facts_new.add(key)
    return found[0], found[1] if paragraph else ""


def known_clean(source: str) -> bool:
    """Whether this very body was found free of unpublishable characters
    before (`note_clean`)."""
    return _facts(source)[1][2] is True


def note_clean(source: str) -> None:
    """Remember that this body has no unpublishable character."""
    key, found = _facts(source)
    if found[2] is not True:
        found[2] = True
        _facts_new.add(key)


def written_links(source: str) -> list[tuple[str, int]]:
    """The link targets the text's prose writes, each with its offset in
    the text (`written_targets`), remembered by the body's hash like its
    other facts."""
    key, found = _facts(source)
    if found[3] is None:
        found[3] = [[target, at] for target, at in written_targets(source)]
        _facts_new.add(key)
    return [(target, at) for target, at in found[3]]


# [text](target "title") and ![alt](target) (not after a backslash), the
# same with <a target with spaces>, [id]: target (not a [^footnote]), and
# href/src in raw HTML.
_INLINE = re.compile(r"(?<!\\)\]\(\s{0,10}(?:<([^<>\n]{1,2000})>|([^\s()<>]{1,2000}))")
_REFERENCE = re.compile(r"^ {0,3}\[(?!\^)[^\]\n]{1,1000}\]:\s{0,10}(?:<([^<>\n]{1,2000})>|([^\s<>]{1,2000}))", re.MULTILINE)
_HTML = re.compile(
    r"""<(?:a|img|source|link)(?=[\s/>])[^<>]{0,2000}?\b(?:href|src)\s*=\s*(?:"([^"<>]{1,2000})"|'([^'<>]{1,2000})'|([^"'\s<>]{1,2000}))""",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^ {0,3}\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
# A code span: a run of backticks, then anything up to the same run, within
# one paragraph (no blank line).
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(?:[^`\n]|\n(?![ \t]*\n)|`(?!\1)){0,4000}?(?<!`)\1(?!`)")
_INDENTED = re.compile(r"(?:^|\n\n)((?:(?: {4}|\t)[^\n]*(?:\n|$))+)")


class Spans:
    """Ranges of a text, merged where they overlap; `at in spans` tells
    whether an offset falls in one (by bisection: texts can be long)."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        self._spans = merged
        self._starts = [start for start, _ in merged]

    def __contains__(self, at: int) -> bool:
        index = bisect.bisect_right(self._starts, at) - 1
        return index >= 0 and at < self._spans[index][1]


def comment_spans(text: str) -> list[tuple[int, int]]:
    """The `<!-- ... -->` comments of a text (an unclosed one runs to its end)."""
    return [m.span() for m in _COMMENT.finditer(text)] if "<!--" in text else []


def hidden_spans(text: str) -> Spans:
    """The parts of `text` that are not prose: fenced code, comments, code
    spans, and indented code after a blank line."""
    spans = comment_spans(text)
    if "```" in text or "~~~" in text:
        spans += [m.span() for m in _FENCE.finditer(text)]
    if "`" in text:
        spans += [m.span() for m in _CODE_SPAN.finditer(text)]
    if "    " in text or "\t" in text:
        spans += [m.span(1) for m in _INDENTED.finditer(text)]
    return Spans(spans)


def written_targets(text: str) -> list[tuple[str, int]]:
    """The link targets a Markdown text writes in its prose, in order, each
    with its offset. Runs over every text of the site on every build (the
    build cache keeps the result by the text's hash), so each pattern runs
    only when its marker is in the text; it is linear in the text."""
    patterns = []
    if "](" in text:
        patterns.append(_INLINE)
    if "]:" in text:
        patterns.append(_REFERENCE)
    if "<" in text:
        patterns.append(_HTML)
    if not patterns:
        return []
    hidden = hidden_spans(text)
    found: list[tuple[int, str]] = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            group = next(g for g in range(1, (match.re.groups or 0) + 1) if match.group(g) is not None)
            if match.start() not in hidden:
                found.append((match.start(group), match.group(group)))
    found.sort()
    return [(target, at) for at, target in found]
