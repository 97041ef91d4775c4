"""Stage 1, load: read the site's YAML and Markdown files into records.

Every value keeps the line it came from so later stages can say
``content/partners/rosa.yaml:7: ...`` (YAML is parsed by parse.py). Only
regular files inside the site are opened. This module never interprets
what a key means; it only reads files.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ClassVar, Iterable, Iterator


from ..errors import Problem, Problems
from ..incremental.cache import source_made
from ..files import NOT_REGULAR, OUTSIDE, NotRegularFile, outside, read_regular, site_places
from .markup import known_clean, note_clean
from .parse import UNPUBLISHABLE, LineDict, ParseMemo, character_problem, parse_yaml_mapping, text_key


@dataclass(frozen=True)
class Record:
    """One content file: its data with lines, and its Markdown body if any."""

    # A Markdown file's record is marked as made from its kind, path and text
    # (incremental/cache.py: provenance), so what is built from it can be too.
    _made_from: ClassVar[bytes | None] = None

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
        raw = read_regular(path)  # not Path.read_bytes: slower, for thousands of posts
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
    found = None if known_clean(body) else UNPUBLISHABLE.search(body)
    if found is None:
        note_clean(body)
    else:
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
    record = Record(kind=kind, path=path, slug=slug, data=data, body=body, body_line=body_line)
    # What the record is a function of: its front matter and body, where
    # the body starts, its kind and path (text_key: both are keyed anyway).
    source_made(record, kind, str(path), text_key(front), text_key(body), body_line)
    return record


# The folders of content/ whose files are Markdown with front matter.
MARKDOWN_FOLDERS = ("posts", "pages", "capabilities", "products")


def is_ignored_name(name: str) -> bool:
    """Editor droppings and hidden files are never content."""
    return name.startswith((".", "#", "~")) or name.endswith(("~", ".swp", ".swx", ".tmp"))


def _folder_problem(folder: Path, problems: Problems) -> bool:
    """Whether `folder` cannot be listed: a file where a folder belongs is an
    error (its whole kind would be silently missing); no folder is fine."""
    if folder.is_dir():
        return False
    if os.path.lexists(folder):
        problems.error(folder, 0, f"{folder.name} must be a folder of files, but it is not one: rename or remove it")
    return True


def _walk_error(problems: Problems) -> Callable[[OSError], None]:
    """The walk's error handler: a folder that cannot be read is an error at
    its path, never a kind of content silently missing."""
    return lambda exc: problems.error(exc.filename or "content", 0, f"cannot read folder: {exc.strerror or exc}")


def _walk_files(
    top: str, onerror: Callable[[OSError], None], ignored: Callable[[str], bool] = is_ignored_name
) -> Iterator[tuple[str, list[tuple[str, bool]]]]:
    """os.walk's top-down order and errors, without descending into linked
    folders or folders with `ignored` names, giving each file's name and
    whether it is itself a symbolic link (os.scandir already knows: no lstat
    per file). Walks do not descend into linked folders, so only a file that
    is itself a link can lead out of a folder found inside the site; a
    linked folder is given as a linked file (see `_linked_folder`)."""
    files: list[tuple[str, bool]] = []
    folders: list[str] = []
    try:
        with os.scandir(top) as entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if not is_dir:
                    try:
                        is_link = entry.is_symlink()
                    except OSError:  # (a file system that needs an lstat): checked as a link
                        is_link = True
                    files.append((entry.name, is_link))
                elif ignored(entry.name):
                    continue
                elif entry.is_symlink():
                    files.append((entry.name, True))  # a linked folder: the caller says it is not read
                else:
                    folders.append(entry.path)
    except OSError as error:
        onerror(error)
        return
    yield top, files
    for folder in folders:
        yield from _walk_files(folder, onerror, ignored)


def _collection(folder: Path, suffixes: tuple[str, ...], inside: tuple[str, ...], problems: Problems) -> list[str]:
    if _folder_problem(folder, problems) or not _inside(str(folder), inside, problems):
        return []
    found: list[str] = []
    # Not Path.rglob: a 5,000-post site is listed on every preview rebuild,
    # and the pathlib version costs tens of milliseconds more.
    for directory, files in _walk_files(str(folder), _walk_error(problems)):
        for name, is_link in files:
            if is_ignored_name(name):
                continue
            path = os.path.join(directory, name)
            if is_link and _linked_folder(path, inside, problems):
                continue
            if os.path.splitext(name)[1].lower() in suffixes:
                if not is_link or _inside(path, inside, problems):
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
    try:
        os.listdir(content)
    except OSError as exc:  # a content/ folder that cannot be read: nothing can be built
        problems.error(content, 0, f"cannot read folder: {exc.strerror or exc}")
        return records

    inside = site_places(root)
    for name, kind in (("site", "site"), ("business", "business")):
        found = cache.listing(content / name, functools.partial(_first_existing, content, name), problems)
        if not found:
            needs = "base_url: https://..." if name == "site" else "name: Your Company"
            problems.error(
                content / f"{name}.yaml", 0,
                f"file is missing: `sitegen init --force` writes a starter {name}.yaml (it changes no file "
                f"you have and adds no example to your content), or create it with at least '{needs}'",
            )
            continue
        if not _inside(found[0], inside, problems):
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
        listed = functools.partial(_collection, content / folder, suffixes, inside)
        for name in cache.listing(content / folder, listed, problems):
            record = cache.load(name, kind, read, problems)
            if record is not None:
                target.append(record)
            else:
                records.unreadable.setdefault(kind, []).append(Path(name))

    static = content / "static"
    listed_static = functools.partial(_static_files, static, inside)
    records.static_files = [Path(p) for p in cache.listing(static, listed_static, problems)]
    return records


def _inside(path: str, inside: tuple[str, ...], problems: Problems) -> bool:
    """Whether `path` stays inside the site folder; a link out is an error."""
    target = outside(path, inside)
    if target is None:
        return True
    problems.error(path, 0, OUTSIDE.format(target=target))
    return False


WELL_KNOWN = ".well-known"
LINKED_FOLDER = (
    "a link to the folder {target}: sitegen does not follow linked folders inside content/ "
    "(one could loop, or lead out of the site): move or copy its files here, or link each file"
)


def _linked_folder(path: str, inside: tuple[str, ...], problems: Problems) -> bool:
    """Whether `path`, a link, leads to a folder: an error, never a folder
    silently left out (one leading out of the site says so)."""
    if not os.path.isdir(path):
        return False
    if _inside(path, inside, problems):
        problems.error(path, 0, LINKED_FOLDER.format(target=os.path.realpath(path)))
    return True


def _static_files(static: Path, inside: tuple[str, ...], problems: Problems) -> list[str]:
    """The files of content/static/ but hidden ones (.well-known/ is not
    hidden); FIFOs, devices and sockets are errors (copying one would block
    or never end)."""
    if _folder_problem(static, problems) or not _inside(str(static), inside, problems):
        return []
    found: list[str] = []
    # Hidden files are editors' and systems' (.DS_Store, .git); .well-known/
    # is the web's own (security.txt, payment providers' domain files).
    hidden: Callable[[str], bool] = lambda name: name.startswith(".") and name != WELL_KNOWN
    for directory, files in _walk_files(str(static), _walk_error(problems), hidden):
        for name, is_link in files:
            if hidden(name):
                continue
            path = os.path.join(directory, name)
            if is_link and _linked_folder(path, inside, problems):
                continue
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                problems.error(path, 0, f"cannot read file: {exc.strerror or exc}")
                continue
            if stat.S_ISREG(mode):
                if not is_link or _inside(path, inside, problems):
                    found.append(path)
            elif not stat.S_ISDIR(mode):
                problems.error(path, 0, NOT_REGULAR)
    found.sort()
    return found


def _first_existing(folder: Path, stem: str, problems: Problems) -> list[str]:
    found = [
        str(candidate)
        for candidate in (folder / f"{stem}.yaml", folder / f"{stem}.yml")
        if os.path.lexists(candidate) and not os.path.isdir(candidate)  # a FIFO too: read_text says what it is
    ]
    if len(found) > 1:
        problems.error(found[1], 0, f"both {stem}.yaml and {stem}.yml exist: keep one (sitegen reads {stem}.yaml)")
    return found[:1]
