"""The build cache folder `<site>/.sitegen-cache/`, and fingerprints.

The folder holds two files: the store of derived values (store.py) and the
manifest of the last build (snapshot.py). Both are bound to the cache
fingerprint here (this sitegen's version and code, the Markdown
configuration, the Python, Jinja and Babel versions); anything written by another
sitegen, or that cannot be read, is discarded and rebuilt, never trusted.
Deleting the folder is always safe: `sitegen clean` does it, `--no-cache`
ignores it.

`fingerprint` digests public-view objects stably across processes, for the
page book's rule when a build starts in a new process (pages.py). `made`
lets an object made by a pure function from digestible inputs carry the
digest of that call instead (its provenance), so a post is not read field
by field on every build.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import operator
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import babel
import jinja2

from .. import __version__
from ..content.markup import MARKDOWN_CONFIGURATION

CACHE_DIR = ".sitegen-cache"
_SCHEMA = "1"


def cache_folder(site_root: Path) -> Path:
    return site_root / CACHE_DIR


@functools.lru_cache(maxsize=1)
def _fingerprint() -> str:
    return "|".join(
        (
            _SCHEMA,
            __version__,
            _code_digest(),
            MARKDOWN_CONFIGURATION,
            sys.version.split()[0],
            jinja2.__version__,
            # Prices and country names are written from Babel's CLDR data.
            babel.__version__,
        )
    )


def _code_digest() -> str:
    """A digest of sitegen's own Python files. Compiled templates depend on
    how the filters are defined (Jinja folds or calls them differently), and
    a development install changes code without changing the version."""
    digest = hashlib.blake2b(digest_size=12)
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package).as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _write_ignore_file(folder: Path) -> None:
    """A .gitignore inside the cache, so it is never committed by accident."""
    marker = folder / ".gitignore"
    if not marker.exists():
        try:
            marker.write_text("# sitegen's build cache: safe to delete\n*\n", encoding="utf-8")
        except OSError:
            pass


def clean(paths: Iterable[Path]) -> list[Path]:
    """Remove these folders if present; return the ones removed."""
    import shutil

    removed = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
            removed.append(path)
    return removed


# --------------------------------------------------------------------------
# Pages of the last build, for incremental builds from the command line


# A fingerprint is the digest of the repr of a tuple of plain values: text,
# numbers, None, booleans and dates, whose reprs are complete and
# self-delimiting, so `repr` (in C, for a whole tuple at once) writes an
# unambiguous encoding. Anything else stands in that tuple as its own
# digest, a `bytes` object, which no plain value's repr resembles; the text
# hashed for each kind of digest starts differently, so digests of
# different kinds never meet. Each dataclass object and tuple is digested
# once per build, keyed by identity, so a post shown on its own page, its
# neighbours' pages and a dozen lists is read once. Tuples, lists and dicts
# keep their order (a template may iterate them, so order is part of the
# input); sets are sorted, so hash seeds do not matter.
#
# Provenance. An object of a class that declares `_made_from` and was made
# by `made(function, *inputs)` stands in as the digest of that call: the
# function's full name and the encoding of its inputs (where an input with
# a provenance stands in as its own). Equal calls of a pure function give
# equal values, so equal provenances prove equal objects without reading
# them. This holds while `function` reads nothing but its inputs and
# sitegen's code, which the cache fingerprint above covers (a manifest
# from other code is never used). Inputs are passed positionally; keyword
# arguments are sinks the value does not depend on (a problem list). An
# object made any other way (`dataclasses.replace`) has no provenance and
# is read field by field: slower, never wrong. Provenance digests start
# with "=", which no other kind of digest does.

Memo = dict[int, tuple[object, bytes]]
_PLAIN = frozenset({str, int, float, bool, type(None), date, datetime})
_NOT_TEXT = _PLAIN - {str}
_LONG = 512
_FIELDS: dict[type, tuple[str, Callable[[Any], tuple[Any, ...]], bool] | None] = {}
T = TypeVar("T")


def made(function: Callable[..., T], *inputs: Any, **sinks: Any) -> T:
    """`function(*inputs, **sinks)`, its value marked as made by this call
    (see Provenance above) when its class declares `_made_from`."""
    value = function(*inputs, **sinks)
    if value is not None and hasattr(type(value), "_made_from"):
        name = f"{function.__module__}.{function.__qualname__}"
        object.__setattr__(value, "_made_from", _digest("=" + name + repr(_plains(inputs, {}))))
    return value


def source_made(value: Any, *inputs: Any) -> None:
    """Mark `value`, just read from a file, as made from `inputs` (what
    was read: the file's kind, path and text)."""
    kind = type(value)
    name = f"{kind.__module__}.{kind.__qualname__}"
    object.__setattr__(value, "_made_from", _digest("=" + name + repr(_plains(inputs, {}))))


def fingerprint(value: object, memo: Memo) -> str:
    """A digest of everything `value` holds, stable across processes.

    Equal digests mean equal inputs: the public view is made of frozen
    dataclasses, tuples, text, numbers and dates, all encoded completely.
    `memo` maps id() to (object, digest) for the objects of one build:
    holding the object keeps its id from being reused by another object
    while the memo lives.
    """
    plain = _plain(value, memo)
    return (plain if type(plain) is bytes else _digest(")" + repr(plain))).hex()


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _plain(value: Any, memo: Memo) -> Any:
    """`value` itself if its repr is a complete encoding, else its digest."""
    kind = type(value)
    if kind in _PLAIN:
        if kind is str and len(value) > _LONG:
            # Long text (a post's Markdown) is hashed as it is: repr would
            # copy it with escapes first, at four times the cost.
            return _digest("'" + value)
        return value
    fields = _FIELDS[kind] if kind in _FIELDS else _fields(kind)
    if fields is not None or kind is tuple:
        if fields is not None and fields[2]:
            provenance = value._made_from
            if provenance is not None:
                return provenance
        # Immutable: digested once per build. Tuples too, since one tuple
        # is often shared by hundreds of pages (a list's page URLs).
        key = id(value)
        found = memo.get(key)
        if found is not None and found[0] is value:
            return found[1]
        if fields is None:
            digest = _digest("(" + repr(_plains(value, memo)))
        else:
            values = fields[1](value)
            plains = _plains(values, memo)
            if plains is values:
                # Only plain fields (a link, a sitemap entry): cheaper to
                # write out in the parent's repr than to digest. Tuples
                # never appear there otherwise, and the tag says the type.
                return (fields[0], *values)
            digest = _digest(fields[0] + repr(plains))
        memo[key] = (value, digest)
        return digest
    if kind is list:
        return _digest("[" + repr(_plains(value, memo)))
    if kind is dict:
        pairs = [part for pair in value.items() for part in pair]  # name, value, name ...
        return _digest("{" + repr(_plains(pairs, memo)))
    if isinstance(value, (set, frozenset)):
        return _digest("set" + repr(sorted(repr(_plain(item, memo)) for item in value)))
    if isinstance(value, str):  # Markup and other text types
        return _digest(f"{kind.__module__}.{kind.__qualname__}'{value}")
    # Paths, other numbers: their reprs hold the whole value.
    return _digest(f"{kind.__module__}.{kind.__qualname__}:{value!r}")


def _plains(values: tuple[Any, ...] | list[Any], memo: Memo) -> tuple[Any, ...]:
    """`values` with each value that is not plain replaced by its digest."""
    for value in values:
        kind = type(value)
        if kind not in _PLAIN or (kind is str and len(value) > _LONG):
            # Plain values inline: this runs for most fields of most objects.
            return tuple(
                [
                    v if (k := type(v)) in _NOT_TEXT or (k is str and len(v) <= _LONG) else _plain(v, memo)
                    for v in values
                ]
            )
    return values if type(values) is tuple else tuple(values)


def _fields(kind: type) -> tuple[str, Callable[[Any], tuple[Any, ...]], bool] | None:
    """For a dataclass type: its tag, a function returning its field
    values as a tuple, and whether it may carry a provenance; None for any
    other type."""
    found: tuple[str, Callable[[Any], tuple[Any, ...]], bool] | None = None
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind))
        getter = operator.attrgetter(*names) if len(names) > 1 else _single(names)
        found = (f"{kind.__module__}.{kind.__qualname__}", getter, hasattr(kind, "_made_from"))
    _FIELDS[kind] = found
    return found


def _single(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """attrgetter with one name returns the value itself, not a tuple."""
    return lambda value: tuple(getattr(value, name) for name in names)


def bytes_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()
