"""Stage 1, load: read the site's YAML and Markdown files into records.

Every value keeps the line it came from so later stages can say
``content/partners/rosa.yaml:7: ...``. YAML is parsed with a safe loader whose
only implicit type is null: every other plain scalar stays *text*, and the
model converts it by its schema. That makes YAML 1.1 traps impossible (a
``title: no`` stays "no", a ``price: 12.50`` keeps its trailing zero, a
``version: 1.10`` is not the float 1.1). This module never interprets what a
key means; it only reads files.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import yaml
import yaml.composer
import yaml.constructor
import yaml.nodes
import yaml.parser
import yaml.reader
import yaml.resolver
import yaml.scanner

from ..errors import Problem, Problems
from ..files import NOT_REGULAR, NotRegularFile, open_regular


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
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        found = memo.find(key, line_offset)
        if found is not None:
            return found
    loader = _Loader(text)
    try:
        value = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        problems.error(
            path,
            _error_line(exc, text) + line_offset,
            f"invalid YAML: {_error_text(exc, line_offset)}",
        )
        return None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1 + line_offset
        character = exc.character if isinstance(exc.character, int) else ord(exc.character)
        problems.error(path, line, f"invalid YAML: unacceptable character #x{character:04x}")
        return None
    except yaml.YAMLError as exc:
        problems.error(path, 1 + line_offset, f"invalid YAML: {exc}")
        return None
    finally:
        loader.dispose()
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


@dataclass(frozen=True)
class Record:
    """One content file: its data with lines, and its Markdown body if any."""

    kind: str
    path: Path
    slug: str
    data: LineDict
    body: str = ""
    body_line: int = 1


@dataclass
class Records:
    """Everything `load` read from a site folder."""

    root: Path
    site: Record | None = None
    business: Record | None = None
    partners: list[Record] = field(default_factory=list)
    capabilities: list[Record] = field(default_factory=list)
    products: list[Record] = field(default_factory=list)
    posts: list[Record] = field(default_factory=list)
    pages: list[Record] = field(default_factory=list)
    static_files: list[Path] = field(default_factory=list)
    # Files that exist but could not be read, by kind: later stages must not
    # call their slugs unknown, which would only repeat the first error.
    unreadable: dict[str, list[Path]] = field(default_factory=dict)


_DATED_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")
_FRONT_MATTER_FENCE = re.compile(r"^---[ \t]*$")
_FRONT_MATTER_END_LINE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


def read_text(path: Path, problems: Problems) -> str | None:
    try:
        # Never a plain open(): a FIFO would block the build forever.
        with open_regular(path) as handle:  # not Path.read_bytes: slower, for thousands of posts
            raw = handle.read()
    except NotRegularFile:
        problems.error(path, 0, NOT_REGULAR)
        return None
    except OSError as exc:
        problems.error(path, 0, f"cannot read file: {exc.strerror or exc}")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.error(path, line, "file is not valid UTF-8 text")
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_yaml_file(path: Path, kind: str, problems: Problems, memo: ParseMemo | None = None) -> Record | None:
    text = read_text(path, problems)
    if text is None:
        return None
    data = parse_yaml_mapping(text, path, problems, memo=memo)
    if data is None:
        return None
    return Record(kind=kind, path=path, slug=path.stem, data=data)


def split_front_matter(
    text: str, path: Path, problems: Problems
) -> tuple[str, int, str, int] | None:
    """Return (front matter, its first line, body, body's first line)."""
    first_end = text.find("\n")
    first = text if first_end < 0 else text[:first_end]
    if not _FRONT_MATTER_FENCE.match(first):
        problems.error(
            path,
            1,
            "missing front matter: the file must start with a '---' line, "
            "then 'title: ...' and the other keys, then another '---' line",
        )
        return None
    end = _FRONT_MATTER_END_LINE.search(text, first_end + 1) if first_end >= 0 else None
    if end is None:
        problems.error(path, 1, "front matter is not closed: add a '---' line after its keys")
        return None
    front = text[first_end + 1 : end.start() - 1] if end.start() > first_end + 1 else ""
    body = text[end.end() + 1 :]
    return front, 2, body, text.count("\n", 0, end.start()) + 2


def load_markdown_file(path: Path, kind: str, problems: Problems, memo: ParseMemo | None = None) -> Record | None:
    text = read_text(path, problems)
    if text is None:
        return None
    parts = split_front_matter(text, path, problems)
    if parts is None:
        return None
    front, front_line, body, body_line = parts
    found = UNPUBLISHABLE.search(body)
    if found is not None:
        problems.error(
            path,
            body_line + body.count("\n", 0, found.start()),
            f"the text contains {character_problem(found.group())}; remove it",
        )
    data = parse_yaml_mapping(front, path, problems, line_offset=front_line - 1, memo=memo)
    if data is None:
        return None
    slug = path.stem
    if kind == "post":
        match = _DATED_NAME.match(slug)
        if match:
            slug = match.group(2)
    return Record(kind=kind, path=path, slug=slug, data=data, body=body, body_line=body_line)


# The folders of content/ whose files are Markdown with front matter.
MARKDOWN_FOLDERS = ("posts", "pages", "capabilities", "products")


def is_ignored_name(name: str) -> bool:
    """Editor droppings and hidden files are never content."""
    return name.startswith((".", "#", "~")) or name.endswith(("~", ".swp", ".swx", ".tmp"))


def _collection(folder: Path, suffixes: tuple[str, ...], problems: Problems) -> list[str]:
    if not folder.is_dir():
        return []
    found: list[str] = []
    # os.walk, not Path.rglob: a 5,000-post site is listed on every preview
    # rebuild, and the pathlib version costs tens of milliseconds more.
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = [d for d in subdirectories if not is_ignored_name(d)]
        for name in files:
            if is_ignored_name(name):
                continue
            path = os.path.join(directory, name)
            if os.path.splitext(name)[1].lower() in suffixes:
                found.append(path)
            else:
                problems.warning(
                    path,
                    0,
                    f"ignored: only {' or '.join(suffixes)} files are read in {folder.name}/",
                )
    found.sort()
    return found


_Reader = Callable[[Path, str, Problems], "Record | None"]


class RecordCache:
    """Records of files that did not change since they were last read.

    A file counts as unchanged while its size, modification and change times
    and inode are the same; its problems are replayed with its record. Used by
    long-running processes (the preview server) to skip re-parsing.

    With `watched`, the owner promises to `forget` every path that changed
    (a file watcher does), so unforgotten files are not even looked at and
    folders are listed again only when a file appeared or went away: a
    rebuild of a 5,000-post site then touches only the edited files.
    """

    def __init__(self, watched: bool = False) -> None:
        self._entries: dict[tuple[str, str], tuple[tuple[int, ...], Record | None, list[Problem]]] = {}
        self.watched = watched
        # Folder listings (with the problems listing them found), kept while
        # `watched` and no file appeared or disappeared.
        self._listings: dict[str, tuple[list[str], list[Problem]]] = {}
        self._known: set[str] = set()
        self.content = ""  # the content folder, with a trailing separator

    def forget(self, paths: Iterable[Path]) -> None:
        """Drop these files' records whatever their stat says: file times are
        coarse, and an edit within one clock tick can keep size and mtime."""
        gone = {str(p) for p in paths}
        for key in [k for k in self._entries if k[0] in gone]:
            del self._entries[key]
        inside = [p for p in gone if p.startswith(self.content)]
        if any(path not in self._known or not os.path.isfile(path) for path in inside):
            # Something was added, removed or renamed: list every folder
            # again, and know only what those listings find (a file that
            # went away and comes back must count as new again).
            self._listings = {}
            self._known = set()

    def listing(self, folder: Path, list_folder: Callable[[Problems], list[str]], problems: Problems) -> list[str]:
        """`list_folder`'s answer, remembered while nothing was added or removed."""
        if self.watched:
            hit = self._listings.get(str(folder))
            if hit is not None:
                problems.add_all(hit[1])
                return hit[0]
        local = Problems(problems.root)
        found = list_folder(local)
        problems.extend(local)
        if self.watched:
            self._listings[str(folder)] = (found, local.items)
            self._known.update(found)
        return found

    def load(self, path: str, kind: str, read: _Reader, problems: Problems) -> Record | None:
        hit = self._entries.get((path, kind))
        if self.watched and hit is not None:
            problems.add_all(hit[2])
            return hit[1]
        try:
            stat = os.stat(path)
        except OSError:
            return read(Path(path), kind, problems)
        signature = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)
        if hit is not None and hit[0] == signature:
            problems.add_all(hit[2])
            return hit[1]
        local = Problems(problems.root)
        record = read(Path(path), kind, local)
        problems.extend(local)
        self._entries[(path, kind)] = (signature, record, local.items)
        self._known.add(path)
        return record


class _NoCache(RecordCache):
    """For one-off builds: read everything, remember nothing."""

    def listing(self, folder: Path, list_folder: Callable[[Problems], list[str]], problems: Problems) -> list[str]:
        return list_folder(problems)

    def load(self, path: str, kind: str, read: _Reader, problems: Problems) -> Record | None:
        return read(Path(path), kind, problems)


def load_site(
    root: Path, problems: Problems, cache: RecordCache | None = None, parsed: ParseMemo | None = None
) -> Records:
    """Read every content file under `root/content`; never raises for content.
    `parsed` remembers parsed YAML across builds (see ParseMemo)."""
    cache = cache if cache is not None else _NoCache()
    records = Records(root=root)
    content = root / "content"
    cache.content = str(content) + os.sep
    if not content.is_dir():
        problems.error(
            content,
            0,
            "no content/ folder here: run sitegen in a site folder or pass --source DIR",
        )
        return records

    for name, kind in (("site", "site"), ("business", "business")):
        found = cache.listing(content / name, functools.partial(_first_existing, content, name), problems)
        if not found:
            problems.error(content / f"{name}.yaml", 0, "file is missing")
            continue
        record = cache.load(found[0], kind, functools.partial(load_yaml_file, memo=parsed), problems)
        if kind == "site":
            records.site = record
        else:
            records.business = record

    for folder, kind, suffixes, target in (
        ("partners", "partner", (".yaml", ".yml"), records.partners),
        ("capabilities", "capability", (".md", ".markdown"), records.capabilities),
        ("products", "product", (".md", ".markdown"), records.products),
        ("posts", "post", (".md", ".markdown"), records.posts),
        ("pages", "page", (".md", ".markdown"), records.pages),
    ):
        read = functools.partial(load_yaml_file if kind == "partner" else load_markdown_file, memo=parsed)
        listed = functools.partial(_collection, content / folder, suffixes)
        for name in cache.listing(content / folder, listed, problems):
            record = cache.load(name, kind, read, problems)
            if record is not None:
                target.append(record)
            else:
                records.unreadable.setdefault(kind, []).append(Path(name))

    static = content / "static"
    records.static_files = [Path(p) for p in cache.listing(static, functools.partial(_static_files, static), problems)]
    return records


def _static_files(static: Path, problems: Problems) -> list[str]:
    """The files of content/static/; FIFOs, devices and sockets are errors
    (copying one would block or never end)."""
    found: list[str] = []
    for directory, subdirectories, files in os.walk(static):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            path = os.path.join(directory, name)
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                problems.error(path, 0, f"cannot read file: {exc.strerror or exc}")
                continue
            if stat.S_ISREG(mode):
                found.append(path)
            elif not stat.S_ISDIR(mode):  # a link to a folder is not followed, as before
                problems.error(path, 0, NOT_REGULAR)
    found.sort()
    return found


def _first_existing(folder: Path, stem: str, problems: Problems) -> list[str]:
    for suffix in (".yaml", ".yml"):
        candidate = folder / f"{stem}{suffix}"
        if candidate.exists() and not candidate.is_dir():
            return [str(candidate)]  # a FIFO too: read_text says what it is
    return []
