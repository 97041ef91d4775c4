"""Owner tools: `sitegen init` writes a new site, `sitegen new` adds one file.

The files come from the package-data folder `starter/` next to this module:
`starter/site/` is the tree `init` copies, `starter/new/<kind>.*` the
templates of `new`. Both are plain text with `{{name}}` placeholders filled
in here (dates, the title as a YAML string, the Netlify headers); nothing else
in them is interpreted. Neither command ever overwrites a file: files are
created with O_EXCL, so even a file that appears meanwhile is left alone.

Like the pipeline, this module never prints; `cli.py` reports its results and
its `ScaffoldError`s (`path: message`).
"""

from __future__ import annotations

import importlib.resources
import os
import re
from dataclasses import dataclass, field
from datetime import date
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final, Mapping

from . import DISTRIBUTION, __version__
from .build import BuildOptions, build_moment
from .content.slugs import shortened, slugify

# --------------------------------------------------------------------------
# Shared helpers

KINDS: Final = ("post", "page", "product", "capability", "partner")
"""What `sitegen new` can add."""

_FOLDERS: Final = {
    "post": "posts",
    "page": "pages",
    "product": "products",
    "capability": "capabilities",
    "partner": "partners",
}
_SUFFIXES: Final = {
    "post": (".md", ".markdown"),
    "page": (".md", ".markdown"),
    "product": (".md", ".markdown"),
    "capability": (".md", ".markdown"),
    "partner": (".yaml", ".yml"),
}
# Page slugs whose URL a built-in section already uses (see routes.py).
RESERVED_PAGE_SLUGS: Final = frozenset(
    {"products", "capabilities", "network", "blog", "tags", "categories"}
)
# Package-data names that cannot be stored as they are (setuptools skips
# hidden files), and the names they are written as.
_RENAMED: Final = {"gitignore": ".gitignore"}
_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")
_DATED_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-(.+)$")
_NEW = "sitegen new"  # what refusals that concern no file are reported against


class ScaffoldError(Exception):
    """A refusal the user can act on, reported as `path: message`."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def today() -> date:
    """The build's date: the same "today" `sitegen build` will use (UTC, or
    SOURCE_DATE_EPOCH), so a post dated today is never in the future."""
    return build_moment(BuildOptions()).date()


def _templates() -> Traversable:
    return importlib.resources.files("sitegen") / "starter"


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace every `{{name}}`; an unknown name is a bug in the templates."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"scaffold template uses unknown placeholder {{{{{name}}}}}")
        return values[name]

    return _PLACEHOLDER.sub(value, text)


def _write_new(path: Path, text: str) -> bool:
    """Create `path` with `text`; False (and nothing written) if it exists."""
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        return False
    return True


def _shown(path: Path) -> str:
    return path.as_posix()


# --------------------------------------------------------------------------
# YAML strings


def _yaml_escape(char: str) -> str:
    code = ord(char)
    named = {'"': '\\"', "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
    if char in named:
        return named[char]
    printable = (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
        or 0x10000 <= code <= 0x10FFFF
    ) and char not in "\u2028\u2029"
    if printable:
        return char
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def yaml_string(text: str) -> str:
    """`text` as a double-quoted YAML scalar that reads back as exactly `text`,
    whatever it holds (colons, quotes, `#`, a leading `-`, backslashes)."""
    return '"' + "".join(_yaml_escape(c) for c in text) + '"'


# --------------------------------------------------------------------------
# sitegen init


@dataclass
class InitResult:
    """What `init_site` did, as paths relative to the site folder."""

    folder: Path
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def site_files(on: date) -> dict[str, str]:
    """The files of a new site, by relative POSIX path, for the date `on`."""
    since = date(on.year - 1, on.month, 1)
    values = {
        "today": on.isoformat(),
        "year": str(on.year),
        "since": since.isoformat(),
        "review_by": date(on.year + 1, on.month, 1).isoformat(),
        "site_name": "Fernhill Ceramics",
        "version": __version__,
        "distribution": DISTRIBUTION,
    }
    files: dict[str, str] = {}

    def walk(folder: Traversable, prefix: str) -> None:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue
            name = _RENAMED.get(entry.name, entry.name) if not prefix else entry.name
            relative = fill(f"{prefix}{name}", values)
            if entry.is_dir():
                walk(entry, f"{relative}/")
            else:
                files[relative] = fill(entry.read_text(encoding="utf-8"), values)

    walk(_templates() / "site", "")
    return dict(sorted(files.items()))


def _visible_entries(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if not name.startswith("."))


def init_site(folder: Path, force: bool = False, on: date | None = None) -> InitResult:
    """Write a new site into `folder` (created if missing).

    A folder holding anything but hidden files is refused unless `force`;
    either way no existing file is overwritten: those are skipped and listed,
    and a site with content of its own (content/products/ ...) gets none of
    the starter's example content.
    """
    shown = str(folder)
    if folder.exists() or folder.is_symlink():
        if not folder.is_dir():
            raise ScaffoldError(shown, "exists and is not a folder")
        try:
            visible = _visible_entries(folder)
        except OSError as exc:
            raise ScaffoldError(shown, f"cannot read folder: {exc.strerror or exc}") from None
        if visible and not force:
            listed = ", ".join(visible[:3]) + (", ..." if len(visible) > 3 else "")
            raise ScaffoldError(
                shown,
                f"folder is not empty ({listed}); choose a new or empty folder, or use "
                "--force to add only the files that are missing (nothing is overwritten)",
            )
    result = InitResult(folder)
    # Into a site that has content of its own (a folder of products, posts
    # ...): no example content at all, since the examples refer to each other
    # and would not build beside it; `--force` then restores only what is
    # missing around it, such as business.yaml or netlify.toml.
    kinds = ("capabilities", "pages", "partners", "posts", "products", "static")
    has_content = any((folder / "content" / kind).is_dir() for kind in kinds)
    for relative, text in site_files(on or today()).items():
        parts = relative.split("/")
        if has_content and len(parts) > 2 and parts[0] == "content" and parts[1] in kinds:
            continue
        path = folder / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            written = _write_new(path, text)
        except OSError as exc:
            where = exc.filename if isinstance(exc.filename, str) else str(path)
            raise ScaffoldError(where, f"cannot write: {exc.strerror or exc}") from None
        (result.created if written else result.skipped).append(relative)
    return result


# --------------------------------------------------------------------------
# sitegen new


def clean_title(title: str) -> str:
    """The title as it will be stored; refuses what cannot be a title."""
    title = title.strip()
    if not title:
        raise ScaffoldError(_NEW, "the title must not be empty")
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in title):
        raise ScaffoldError(_NEW, "the title must be one line of text without control characters")
    return title


def _existing_with_slug(folder: Path, kind: str, slug: str) -> Path | None:
    """A file of this kind that already has `slug`, so a build would clash."""
    if not folder.is_dir():
        return None
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in _SUFFIXES[kind]:
            continue
        if any(part.startswith((".", "#", "~")) for part in path.relative_to(folder).parts):
            continue  # hidden files and editor droppings are not content
        stem = path.stem
        if kind == "post":
            dated = _DATED_NAME.match(stem)
            stem = dated.group(1) if dated else stem
        if slugify(stem) == slug:
            return path
    return None


def new_file_path(content: Path, kind: str, slug: str, on: date) -> Path:
    folder = content / _FOLDERS[kind]
    if kind == "post":
        return folder / f"{on.isoformat()}-{slug}.md"
    return folder / f"{slug}{_SUFFIXES[kind][0]}"


def new_file_text(kind: str, title: str, slug: str, on: date) -> str:
    suffix = _SUFFIXES[kind][0]
    template = (_templates() / "new" / f"{kind}{suffix}").read_text(encoding="utf-8")
    return fill(
        template,
        {"title_yaml": yaml_string(title), "slug": slug, "today": on.isoformat()},
    )


def new_content(kind: str, title: str, source: Path, on: date | None = None) -> Path:
    """Write a new `kind` file titled `title` into `source`'s content folder;
    returns its path. Refuses to overwrite or to duplicate a slug."""
    if kind not in KINDS:
        raise ScaffoldError(kind, f"unknown kind; choose one of {', '.join(KINDS)}")
    content = source / "content"
    if not content.is_dir():
        raise ScaffoldError(
            _shown(content),
            "no content/ folder here: run 'sitegen init' to start a new site, "
            "or pass --source DIR to name the site folder",
        )
    title = clean_title(title)
    # A long title gives a slug cut between words: the file name must fit.
    slug = shortened(slugify(title))
    if not slug:
        raise ScaffoldError(
            _NEW,
            f"the title {title!r} gives an empty slug: the file name is made from the "
            "title's letters and digits, and it has none; use a title with at least "
            "one letter or digit",
        )
    if kind == "page" and slug in RESERVED_PAGE_SLUGS:
        raise ScaffoldError(
            _NEW,
            f"a page named '{slug}' would clash with the built-in /{slug}/ section; "
            "choose another title",
        )
    on = on or today()
    path = new_file_path(content, kind, slug, on)
    try:
        taken = path.exists() or path.is_symlink()
    except OSError as exc:  # a folder in the way we may not look into
        raise ScaffoldError(_shown(path), f"cannot write: {exc.strerror or exc}") from None
    if taken:
        raise ScaffoldError(_shown(path), "already exists")
    clash = _existing_with_slug(path.parent, kind, slug)
    if clash is not None:
        raise ScaffoldError(
            _shown(clash),
            f"already exists (a {kind} with the slug '{slug}'); choose another title",
        )
    text = new_file_text(kind, title, slug, on)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        written = _write_new(path, text)
    except OSError as exc:
        raise ScaffoldError(_shown(path), f"cannot write: {exc.strerror or exc}") from None
    if not written:
        raise ScaffoldError(_shown(path), "already exists")
    return path


NEXT_STEPS: Final = {
    "post": "It is a draft: `sitegen serve` shows it; set draft: false to publish it.",
    "page": "Remove the '#' before menu: to put it in the main navigation.",
    "product": "List the capabilities it needs in requires: (slugs from content/capabilities/).",
    "capability": "It is published once in_house: true or an active partner lists "
    "'{slug}' in provides:.",
    "partner": "It is white-label (never shown) until you set disclosure: credited; "
    "list what it delivers in provides:.",
}
"""What to do next with a file `sitegen new` wrote, by kind."""
