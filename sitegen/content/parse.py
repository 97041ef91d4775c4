"""YAML text to mappings that remember the line of every key.

YAML is parsed with a safe loader whose only implicit type is null: every
other plain scalar stays *text*, and the model converts it by its schema.
That makes YAML 1.1 traps impossible (a ``title: no`` stays "no", a
``price: 12.50`` keeps its trailing zero, a ``version: 1.10`` is not the
float 1.1). Hostile documents are bounded (size, nesting, alias copies) and
every failure is a problem at its line, never an exception. Parsed
documents are remembered by a hash of their text (`ParseMemo`).
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml
import yaml.composer
import yaml.constructor
import yaml.nodes
import yaml.parser
import yaml.reader
import yaml.resolver
import yaml.scanner

from ..errors import Problems

class LineDict(dict[str, Any]):
    """A YAML mapping that remembers the line of each of its keys."""

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class LineList(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.lines[index] if index < len(self.lines) else self.line


class _TextResolver(yaml.resolver.BaseResolver):
    """Resolves plain scalars to text, except the spellings of null."""


_TextResolver.add_implicit_resolver(
    "tag:yaml.org,2002:null",
    re.compile(r"^(?:~|null|Null|NULL|)$"),
    ["~", "n", "N", ""],
)


# Limits that keep a hostile or broken document from taking the build down.
# A page's YAML is a few hundred characters; these are far beyond any real
# site and far below what would take seconds, memory or the stack.
MAX_YAML_CHARACTERS = 1_000_000  # per document (front matter or .yaml file)
MAX_NESTING = 100  # levels of lists and mappings, aliases expanded
MAX_ALIAS_COPIES = 100_000  # values repeated by aliases (*name) and merges, per document

# Characters that cannot be published: XML (the feed, the sitemap) forbids
# C0 controls other than tab, newline and carriage return, surrogates and
# U+FFFE/U+FFFF, and no text a user means to show contains a carriage
# return (files' line ends are normalised), NUL, ESC or DEL. The YAML reader
# already refuses them typed raw; this is for escapes like "\e" or "\0"
# and for Markdown bodies.
UNPUBLISHABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


@functools.lru_cache(maxsize=16384)
def text_key(text: str) -> str:
    """A digest of `text`, the key of what is worked out from it (parsed
    front matter, a body's facts). Remembered: a body is keyed when it is
    read and again when its facts are looked up."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def character_problem(text: str) -> str | None:
    """'the control character U+001B' for the first unpublishable character
    of `text`, or None when it has none."""
    found = UNPUBLISHABLE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    kind = "control character" if code < 0x20 or code == 0x7F else "character"
    return f"the {kind} U+{code:04X}"


def printable(text: str, limit: int = 60) -> str:
    """`text` for a one-line message: unpublishable characters as escapes,
    cut at `limit` characters."""
    shown = UNPUBLISHABLE.sub(lambda m: repr(m.group())[1:-1], text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


class _Refusal(yaml.MarkedYAMLError):
    """A document sitegen will not read; `problem` is the whole message."""


def _refuse(message: str, mark: Any) -> _Refusal:
    return _Refusal(problem=message, problem_mark=mark)


class _BoundedComposer(yaml.composer.Composer):
    """PyYAML's composer (nodes from parse events) with a bound on nesting.

    libyaml's own composer recurses in C once per level and crashes the
    process on `[[[[...` tens of thousands deep; this one refuses the
    document past MAX_NESTING levels instead."""

    _depth = 0
    peek_event: Callable[[], Any]  # the parser's

    def compose_node(self, parent: yaml.nodes.Node | None, index: Any) -> yaml.nodes.Node | None:
        if self._depth >= MAX_NESTING:
            raise _refuse(
                f"lists and mappings are nested more than {MAX_NESTING} levels deep here: flatten them",
                self.peek_event().start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_TAG_NOUNS = {
    "int": "whole number",
    "float": "number",
    "bool": "true/false value",
    "timestamp": "date",
    "binary": "base64 text",
}


def _tag_problem(node: yaml.nodes.Node) -> str:
    """What is wrong when a tag's constructor failed on `node`."""
    tag = str(node.tag)
    short = "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag
    if isinstance(node, yaml.nodes.ScalarNode):
        value = printable(str(node.value))
        noun = _TAG_NOUNS.get(short[2:])
        if noun is None:
            return f"the tag {short} cannot be used on '{value}': remove the tag"
        return f"'{value}' is not a valid {noun} for the tag {short}: correct it or remove the tag"
    kind = "a mapping" if isinstance(node, yaml.nodes.MappingNode) else "a list"
    return f"the tag {short} cannot be used on {kind}: remove the tag"


class _PositionConstructor(yaml.constructor.SafeConstructor):
    """SafeConstructor that builds LineDict/LineList and flags duplicate keys.

    It never lets a document take the build down: a tag's constructor that
    fails on its value (`!!int ""`, `!!timestamp 2025-13-45`) is an error at
    the value's line; every use of an alias (`*name`) builds its own copy
    (so each value has its own lines), and the copies of a document are
    counted and bounded (MAX_ALIAS_COPIES) so that a "billion laughs" of
    nested aliases stops at once; nesting, aliases expanded, is bounded by
    MAX_NESTING; an alias inside the collection it names is refused."""

    def __init__(self) -> None:
        super().__init__()
        self.duplicate_keys: list[tuple[int, str, int]] = []
        self.bad_keys: list[tuple[int, str]] = []
        self._seen: set[yaml.nodes.Node] = set()
        self._copies = 0
        self._nesting = 0
        self._where: Any = None  # the mark of the last value met for the first time

    def construct_document(self, node: yaml.nodes.Node) -> Any:
        try:
            # Deep from the top: every value is built inside its parent's
            # call, so an alias to an unfinished collection is seen as one.
            return self.construct_object(node, deep=True)
        finally:
            self.constructed_objects = {}
            self.recursive_objects = {}
            self.state_generators = []
            self.deep_construct = False
            self._seen = set()
            self._copies = 0
            self._nesting = 0

    def construct_object(self, node: yaml.nodes.Node, deep: bool = False) -> Any:
        if node in self._seen:  # an alias: a node met before
            if node in self.recursive_objects:
                raise _refuse(
                    "an alias (*name) is used inside the list or mapping it names: "
                    "that would never end; write the values out",
                    node.start_mark,
                )
            self._count(1)
            if isinstance(node, yaml.nodes.CollectionNode):
                self.constructed_objects.pop(node, None)  # each use its own copy
        else:
            self._seen.add(node)
            self._where = node.start_mark
        if self._nesting >= MAX_NESTING:
            raise _refuse(
                f"lists and mappings are nested more than {MAX_NESTING} levels deep here "
                "(aliases included): flatten them",
                self._where,
            )
        self._nesting += 1
        try:
            return super().construct_object(node, deep=True)
        except yaml.YAMLError:
            raise
        except Exception:  # a core tag's constructor on a value it cannot take
            raise _refuse(_tag_problem(node), node.start_mark) from None
        finally:
            self._nesting -= 1

    def _count(self, copies: int) -> None:
        self._copies += copies
        if self._copies > MAX_ALIAS_COPIES:
            raise _refuse(
                f"aliases (*name) here repeat more than {MAX_ALIAS_COPIES:,} values: "
                "write the values out instead of nesting aliases",
                self._where,
            )

    def flatten_mapping(self, node: yaml.nodes.MappingNode) -> None:
        """SafeConstructor.flatten_mapping (`!!merge` keys), with the merged
        entries counted as copies: merging aliases of merges grows as fast
        as nested aliases do."""
        merge: list[tuple[Any, Any]] = []
        index = 0
        while index < len(node.value):
            key_node, value_node = node.value[index]
            if key_node.tag == "tag:yaml.org,2002:merge":
                del node.value[index]
                if isinstance(value_node, yaml.nodes.MappingNode):
                    sources = [value_node]
                elif isinstance(value_node, yaml.nodes.SequenceNode) and all(
                    isinstance(item, yaml.nodes.MappingNode) for item in value_node.value
                ):
                    sources = list(reversed(value_node.value))
                else:
                    raise _refuse("a merge (<<) takes a mapping or a list of mappings", value_node.start_mark)
                for source in sources:
                    if self._nesting >= MAX_NESTING:
                        raise _refuse(f"merges (<<) are nested more than {MAX_NESTING} levels deep", source.start_mark)
                    self._nesting += 1
                    try:
                        self.flatten_mapping(source)
                    finally:
                        self._nesting -= 1
                    self._count(len(source.value))
                    merge.extend(source.value)
            elif key_node.tag == "tag:yaml.org,2002:value":
                key_node.tag = "tag:yaml.org,2002:str"
                index += 1
            else:
                index += 1
        if merge:
            node.value = merge + node.value

    def construct_line_map(self, node: yaml.nodes.Node) -> Iterator[LineDict]:
        if not isinstance(node, yaml.nodes.MappingNode):
            raise _refuse(_tag_problem(node), node.start_mark)
        data = LineDict(node.start_mark.line + 1)
        yield data
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str) or key == "":
                self.bad_keys.append((line, f"keys must be plain text, got {printable(repr(key))}"))
                continue
            problem = character_problem(key)
            if problem:
                self.bad_keys.append((line, f"the key '{printable(key)}' contains {problem}; remove it"))
                continue
            if key in data:
                self.duplicate_keys.append((line, key, data.lines[key]))
            data[key] = self.construct_object(value_node, deep=True)
            data.lines[key] = line

    def construct_line_seq(self, node: yaml.nodes.Node) -> Iterator[LineList]:
        if not isinstance(node, yaml.nodes.SequenceNode):
            raise _refuse(_tag_problem(node), node.start_mark)
        data = LineList(node.start_mark.line + 1)
        yield data
        for child in node.value:
            data.append(self.construct_object(child, deep=True))
            data.lines.append(child.start_mark.line + 1)


_PositionConstructor.add_constructor(  # type: ignore[type-var]
    "tag:yaml.org,2002:map", _PositionConstructor.construct_line_map
)
_PositionConstructor.add_constructor(  # type: ignore[type-var]
    "tag:yaml.org,2002:seq", _PositionConstructor.construct_line_seq
)


def _nesting_bound(text: str) -> int:
    """An upper bound on how deep `text`'s lists and mappings nest: each
    list or mapping, flow or block, takes at least one of these indicators."""
    return sum(text.count(indicator) for indicator in "[{-:?")


if getattr(yaml, "__with_libyaml__", False):
    # libyaml's parser is several times faster; it still asks our Python
    # resolver and constructor for every node, so behaviour is identical.
    from yaml._yaml import CParser

    class _FastLoader(CParser, _PositionConstructor, _TextResolver):
        """libyaml's parser and composer: for documents that cannot nest
        deeper than MAX_NESTING (its composer recurses in C)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _PositionConstructor.__init__(self)
            _TextResolver.__init__(self)

    class _BoundedLoader(_BoundedComposer, CParser, _PositionConstructor, _TextResolver):
        """libyaml's parser, PyYAML's composer with a bound on nesting."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _BoundedComposer.__init__(self)
            _PositionConstructor.__init__(self)
            _TextResolver.__init__(self)

    def _Loader(text: str) -> Any:
        return _FastLoader(text) if _nesting_bound(text) <= MAX_NESTING else _BoundedLoader(text)

else:  # pragma: no cover - PyYAML built without libyaml

    class _Loader(  # type: ignore[no-redef]
        yaml.reader.Reader,
        yaml.scanner.Scanner,
        yaml.parser.Parser,
        _BoundedComposer,
        _PositionConstructor,
        _TextResolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            _BoundedComposer.__init__(self)
            _PositionConstructor.__init__(self)
            _TextResolver.__init__(self)


class ParseMemo:
    """Parsed YAML by a hash of its text, for texts that parsed without any
    problem. The build cache keeps it between builds (plain JSON of text,
    null, mappings and lists with their lines), so a build after a one-post
    edit parses one file's front matter instead of thousands."""

    def __init__(self, known: dict[str, Any] | None = None) -> None:
        self.known = known or {}
        self.used: dict[str, Any] = {}  # what this build parsed or reused
        self.added = False

    def find(self, key: str, line_offset: int) -> LineDict | None:
        encoded = self.known.get(key)
        if encoded is None:
            return None
        try:
            value = _decode(encoded, line_offset)
        except (TypeError, ValueError, IndexError, KeyError):
            return None  # not what this version writes: parse instead
        if not isinstance(value, LineDict):
            return None
        self.used[key] = encoded
        return value

    def add(self, key: str, value: LineDict) -> None:
        try:
            self.used[key] = _encode(value)
            self.added = True
        except TypeError:
            pass  # an explicit tag made a number or a date: not kept

    @property
    def changed(self) -> bool:
        return self.added or len(self.used) != len(self.known)


def _encode(value: Any) -> Any:
    if value is None or type(value) is str:
        return value
    if isinstance(value, LineDict):
        flat: list[Any] = ["m", value.line]
        for key, item in value.items():
            flat += (key, value.lines[key], _encode(item))
        return flat
    if isinstance(value, LineList):
        flat = ["s", value.line]
        for line, item in zip(value.lines, value):
            flat += (line, _encode(item))
        return flat
    raise TypeError(type(value).__name__)


def _decode(encoded: Any, offset: int) -> Any:
    if encoded is None or type(encoded) is str:
        return encoded
    kind = encoded[0]
    if kind == "m":
        mapping = LineDict(int(encoded[1]) + offset)
        for index in range(2, len(encoded), 3):
            key = encoded[index]
            if type(key) is not str:
                raise TypeError("key")
            mapping[key] = _decode(encoded[index + 2], offset)
            mapping.lines[key] = int(encoded[index + 1]) + offset
        return mapping
    if kind == "s":
        sequence = LineList(int(encoded[1]) + offset)
        for index in range(2, len(encoded), 2):
            sequence.append(_decode(encoded[index + 1], offset))
            sequence.lines.append(int(encoded[index]) + offset)
        return sequence
    raise ValueError(kind)


def parse_yaml_mapping(
    text: str, path: Path, problems: Problems, line_offset: int = 0, memo: ParseMemo | None = None
) -> LineDict | None:
    """Parse a YAML document that must be a mapping; report problems with lines.

    `line_offset` is added to every line (front matter starts below its '---').
    Returns None when the document cannot be used at all.
    """
    if len(text) > MAX_YAML_CHARACTERS:
        problems.error(
            path,
            max(line_offset, 1),
            f"{'front matter' if line_offset else 'the file'} is {len(text):,} characters long, "
            f"more than the limit of {MAX_YAML_CHARACTERS:,}: shorten it",
        )
        return None
    key = ""
    if memo is not None:
        key = text_key(text)
        found = memo.find(key, line_offset)
        if found is not None:
            return found
    loader = _Loader(text)
    try:
        value = _load_document(loader, text, path, problems, line_offset)
    finally:
        loader.dispose()
    if value is _FAILED:
        return None
    for line, key, first in loader.duplicate_keys:
        problems.error(
            path, line + line_offset, f"duplicate key '{key}' (first given on line {first + line_offset})"
        )
    for line, message in loader.bad_keys:
        problems.error(path, line + line_offset, message)
    if value is None:
        value = LineDict(1)
    if not isinstance(value, LineDict):
        problems.error(
            path,
            1 + line_offset,
            "expected 'key: value' lines at the top level, got "
            + _describe(value),
        )
        return None
    if memo is not None and not loader.duplicate_keys and not loader.bad_keys:
        memo.add(key, value)
    _shift(value, line_offset)
    return value


_FAILED = object()


def _load_document(loader: Any, text: str, path: Path, problems: Problems, line_offset: int) -> Any:
    """The document's value, or `_FAILED` after reporting why it has none."""
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        line = _error_line(exc, text)
        advice = _advice(exc, text)
        problems.error(
            path,
            (advice[0] if advice else line) + line_offset,
            f"invalid YAML: {advice[1] if advice else _error_text(exc, line_offset)}",
        )
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1 + line_offset
        character = exc.character if isinstance(exc.character, int) else ord(exc.character)
        problems.error(path, line, f"invalid YAML: unacceptable character #x{character:04x}")
    except yaml.YAMLError as exc:
        problems.error(path, 1 + line_offset, f"invalid YAML: {exc}")
    return _FAILED


def _advice(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str] | None:
    """(line, what to do) for the mistakes people make most, whose parser
    messages do not say it: a tab used to indent, and ': ' inside a value."""
    lines = text.split("\n")
    mark = exc.problem_mark
    if mark is None or mark.line >= len(lines):
        return None
    problem = exc.problem or ""
    where = lines[mark.line]
    if problem.startswith("exceeded maximum nesting depth"):
        # libyaml's own bound (PyYAML 6.0.4 on), met before MAX_NESTING's.
        return _error_line(exc, text), (
            f"lists and mappings are nested more than {MAX_NESTING} levels deep here: flatten them"
        )
    if "\t" in problem or "cannot start any token" in problem and "\t" in where:
        tabbed = next((n for n, line in enumerate(lines) if "\t" in line[: len(line) - len(line.lstrip())]), mark.line)
        return tabbed + 1, "a tab indents this line: indent with spaces (YAML does not allow tabs for indentation)"
    if problem.startswith("mapping values are not allowed"):
        written = lines[mark.line]
        key, sep, value = written.partition(": ")
        value = value.strip()
        if sep and value and not value.startswith(("\"", "'")) and key.strip() and " " not in key.strip():
            quoted = value.replace("\\", "\\\\").replace('"', '\\"')
            return mark.line + 1, (
                f"the value of '{key.strip()}' contains ': ', which YAML reads as another key: "
                f"put the value in double quotes: {key.rstrip()}: \"{quoted}\""
            )
    return None


def _error_line(exc: yaml.MarkedYAMLError, text: str) -> int:
    """The line to show: where an unclosed quote or bracket began, when the
    parser only noticed at the end of the text; else where it failed."""
    problem, context = exc.problem_mark, exc.context_mark
    if context is not None and (
        problem is None or "end of stream" in (exc.problem or "") or problem.line >= text.count("\n")
    ):
        return context.line + 1
    if problem is not None:
        return problem.line + 1
    return 1


def _error_text(exc: yaml.MarkedYAMLError, line_offset: int) -> str:
    what = exc.problem or exc.context or "cannot be read"
    if isinstance(exc, _Refusal):
        return what
    if isinstance(exc, yaml.constructor.ConstructorError):
        return f"unsupported YAML tag or value ({what}): remove the tag or correct the value"
    if exc.context and exc.context_mark is not None and exc.problem:
        start = exc.context_mark.line + 1 + line_offset
        return f"{exc.problem} ({exc.context} that starts on line {start})"
    return what


def _shift(value: Any, offset: int) -> None:
    if offset == 0:
        return
    if isinstance(value, LineDict):
        value.line += offset
        value.lines = {k: n + offset for k, n in value.lines.items()}
        for child in value.values():
            _shift(child, offset)
    elif isinstance(value, LineList):
        value.line += offset
        value.lines = [n + offset for n in value.lines]
        for child in value:
            _shift(child, offset)


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__
