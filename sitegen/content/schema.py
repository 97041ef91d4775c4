"""The schema: every key of every content kind, declared once.

A kind's model class (model.py) *is* its schema: each dataclass field made
with `key(...)` is a key of the YAML or front matter, with its type of value,
whether it is required, its default, whether it may be published, and one
line of documentation. From that declaration alone come

* reading and validation (`read_entry`: every key read by its `ValueKind`,
  every problem at its line),
* the unknown-key warnings with their did-you-mean (`key_names`),
* the copy into the public view (`public_values`: only keys marked
  `public=True`; every key must say which it is, so a confidential field
  cannot be published by forgetting to say so),
* the reference tables in README.md (`reference_table`, checked by a test).

Adding a key to a kind is one line in its model class plus its use in a
template. Dataclass fields made without `key` (a file's slug, its Markdown
body, its source) are not keys. This module never decides what a key means
beyond its type: cross-references and the network are model.py's.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import urlsplit

from . import colours
from .fields import Fields, origin, url_problem
from .money import currencies, former_currencies, is_country, locale_name, parse_price, price_problem, size_problem
from .parse import LineDict, LineList
from .seasons import parse_season_day
from .slugs import MAX_SLUG, slugify, term_slug

_SCHEMA = "sitegen.schema"
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


class ValueKind:
    """How one key's YAML value becomes a typed value. `label` names the
    type in the reference tables."""

    label = "text"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        return f.text(name, spec.required)

    def describe(self) -> str:
        return self.label


class Text(ValueKind):
    pass


class Url(ValueKind):
    label = "link"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        return f.url(name, spec.required)


class AbsoluteUrl(ValueKind):
    label = "absolute URL"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        return f.url(name, spec.required, absolute=True)


class Flag(ValueKind):
    label = "true/false"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        return f.boolean(name, bool(spec.default))


@dataclass(frozen=True)
class WholeNumber(ValueKind):
    minimum: int | None = None
    label = "whole number"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        return f.integer(name, spec.default, minimum=self.minimum)


class Day(ValueKind):
    label = "date"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        return f.day(name, spec.required)


class Moment(ValueKind):
    label = "date and time"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        return f.moment(name, spec.required)


class SeasonDayKind(ValueKind):
    label = "day of the year or date"

    def describe(self) -> str:
        return "`MM-DD` (every year) or `YYYY-MM-DD` (once)"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        if name not in f.data or f.data[name] is None:
            return f.text(name, spec.required)  # absent: None, or "missing" when required
        value = f.data[name]
        found = parse_season_day(value) if isinstance(value, str) else None
        if found is None:
            shown = f"'{value.strip()}'" if isinstance(value, str) else f"a {type(value).__name__}"
            f.error(
                name,
                f"'{f.where}{name}' must be a day of the year like 10-01 (every year) or a date like "
                f"2027-10-01 (once), got {shown}",
            )
        return found


@dataclass(frozen=True)
class Choice(ValueKind):
    choices: tuple[str, ...]

    def describe(self) -> str:
        return " \\| ".join(f"`{c}`" for c in self.choices)

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        return f.choice(name, self.choices, spec.default)


class TextList(ValueKind):
    label = "list of text"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        return tuple(item for item, _ in f.text_list(name))


class References(ValueKind):
    """Slugs of other files (a partner's `provides`, a product's
    `requires`). The raw items and their lines are kept in `f.references`
    for the cross-reference messages of model.py."""

    label = "list of slugs"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        items = f.text_list(name)
        f.references[name] = items
        return tuple(slugify(item) for item, _ in items)


_TERM_WORD = {"tags": "tag", "categories": "category"}


class Terms(ValueKind):
    """Tag or category names: spaces collapsed, `C++` and `c++` one term
    (the first spelling in the file is kept)."""

    label = "list of text"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        seen: dict[str, str] = {}
        for item, line in f.text_list(name):
            item = " ".join(item.split())
            slug = term_slug(item)
            if len(slug) > MAX_SLUG:
                # Its page's folder would be named by the slug: a name no
                # file system takes (or one just under) fails the write.
                shown = item if len(item) <= 40 else item[:40] + "…"
                f.problems.error(
                    f.path, line,
                    f"the {_TERM_WORD.get(name, name)} '{shown}' is too long for the address of its "
                    f"page (/{name}/<slug>/): its slug would have {len(slug)} characters, at most "
                    f"{MAX_SLUG} fit; shorten it",
                )
                continue
            seen.setdefault(item.casefold(), item)
        return tuple(seen.values())


class Currency(ValueKind):
    label = "currency code"

    def describe(self) -> str:
        return "ISO 4217 code, e.g. `GBP`"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        value = f.text(name, spec.required)
        if value is None:
            return None
        code = value.upper()
        if code in former_currencies():
            f.error(
                name,
                f"'{f.where}{name}' must be a currency in use today (ISO 4217), got '{value}', "
                "which Babel knows only as a former or special code",
            )
            return None
        if not re.fullmatch(r"[A-Z]{3}", code) or code not in currencies():
            f.error(
                name,
                f"'{f.where}{name}' must be a currency code like EUR, GBP or USD (ISO 4217), got '{value}'",
            )
            return None
        return code


class Price(ValueKind):
    """An amount of money as a `Decimal`, read from the text written
    (`6.50` keeps its cents); "from 45" or "£6.50" are errors that say
    what to write."""

    label = "number"

    def describe(self) -> str:
        return "number, e.g. `6.50` or `6400`"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        if isinstance(f.data.get(name), (int, float)):  # a YAML tag such as !!float 6.5
            f.error(name, f"'{f.where}{name}' must be a plain number like 6.50, without a YAML tag such as !!float")
            return None
        value = f.text(name, spec.required)
        if value is None:
            return None
        amount = parse_price(value)
        problem = price_problem(value, f.where + name) if amount is None else size_problem(amount, f.where + name)
        if problem:
            f.error(name, problem)
            return None
        return amount


class LocaleCode(ValueKind):
    label = "locale code"

    def describe(self) -> str:
        return "locale code, e.g. `en_GB` or `de_CH`"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        value = f.text(name, spec.required)
        if value is None:
            return None
        found = locale_name(value)
        if found is None:
            f.error(
                name,
                f"'{f.where}{name}' must be a locale code: a language and a country like en_GB, en_US or de_CH, "
                f"got '{value}'",
            )
        return found


class Country(ValueKind):
    """A country's two-letter code (shown by its name) or its name; a
    two-letter code that is no country's is a warning."""

    label = "country"

    def describe(self) -> str:
        return "two-letter code such as `GB`, or a name"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        value = f.text(name, spec.required)
        if value is not None and re.fullmatch(r"[A-Za-z]{2}", value) and not is_country(value):
            hint = " (the United Kingdom's is GB)" if value.upper() == "UK" else ""
            f.problems.warning(
                f.path, f.line(name),
                f"'{f.where}{name}' is not a country's two-letter code (ISO 3166){hint}: "
                "write its code, such as GB, US or DE, or its name",
            )
        return value


@dataclass(frozen=True)
class WebLink(ValueKind):
    """A full http(s) URL and nothing else (no path, mailto:, javascript:)."""

    example: str = "https://example.com/"
    label = "http(s) link"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        value = f.text(name, spec.required)
        if value is None:
            return None
        if url_problem(value, absolute=True) is None and urlsplit(value).scheme.lower() in ("http", "https"):
            return value
        f.error(name, f"'{f.where}{name}' must be a full https:// (or http://) link like {self.example}, got '{value}'")
        return None


class Colour(ValueKind):
    """`#rgb` or `#rrggbb`, kept as `#rrggbb`. With `text=True` the colour
    is also used for text (links, buttons): a colour too pale to read on the
    theme's light pages is a warning that names the colour used instead."""

    label = "colour"

    def __init__(self, text: bool = False) -> None:
        self.text = text

    def describe(self) -> str:
        return "colour `#rrggbb` or `#rgb`"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        if name in f.data and f.data[name] is None:
            # `accent: #1d6a4f` unquoted: YAML reads everything from '#' as a comment.
            f.error(name, f"'{f.where}{name}' is empty: quote the colour, since '#' starts a comment in YAML: "
                          f"{name}: \"#1d6a4f\"")
            return None
        value = f.text(name, spec.required)
        if value is None:
            return None
        rgb = colours.parse_colour(value)
        if rgb is None:
            f.error(name, f"'{f.where}{name}' must be a colour written #rrggbb or #rgb, like #1d6a4f, got '{value[:40]}'")
            return None
        if self.text:
            used = colours.readable(rgb, colours.LIGHT_BACKGROUNDS, colours.BLACK)
            if used != rgb:
                ratio = min(colours.contrast(rgb, ground) for ground in colours.LIGHT_BACKGROUNDS)
                f.problems.warning(
                    f.path, f.line(name),
                    f"'{f.where}{name}' {value} is too pale for text on the light pages "
                    f"(contrast {ratio:.1f}:1, readable text needs {colours.TEXT_CONTRAST}:1); "
                    f"links and buttons use {colours.hex_colour(used)} instead, or choose a darker colour",
                )
        return colours.hex_colour(rgb)


class FontList(ValueKind):
    """A keyword of `colours.FONT_KEYWORDS` or font names, kept as the CSS
    `font-family` value they give."""

    label = "font"

    def describe(self) -> str:
        return "`system`, `sans`, `serif`, `rounded`, `slab`, `mono` or font names"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        value = f.text(name, spec.required)
        if value is None:
            return None
        stack, problem = colours.font_stack(value)
        if problem is not None:
            f.error(name, f"'{f.where}{name}' must be {problem}")
            return None
        return stack


class Email(ValueKind):
    label = "e-mail address"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        value = f.text(name, spec.required)
        if value is not None and ("@" not in value or any(c.isspace() for c in value)):
            f.error(name, f"'{f.where}{name}' must be an e-mail address, got '{value}'")
            return None
        return value


class Language(ValueKind):
    label = "language code"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        value = f.text(name, spec.required)
        if value is not None and not _LANGUAGE.match(value):
            f.error(name, f"'{name}' must be a language code like 'en' or 'en-GB', got '{value}'")
            return spec.default
        return value or spec.default


class FolderName(ValueKind):
    """A folder under themes/ (that it exists is checked by model.py)."""

    label = "folder name"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        value = f.text(name, spec.required) or spec.default
        if value != spec.default and (value in (".", "..") or "/" in value or "\\" in value):
            f.error(name, f"'{name}' must be a folder name under themes/, got '{value}'")
            return spec.default
        return value


FORM_MODES = ("netlify", "none")


class FormTarget(ValueKind):
    """`netlify`, `none`, or an absolute http(s) URL the forms post to."""

    label = "`netlify` \\| `none` \\| URL"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        value = f.text(name)
        if value is None or value in FORM_MODES:
            return value or spec.default
        if url_problem(value, absolute=True) is None and urlsplit(value).scheme.lower() in ("http", "https"):
            if origin(value) is not None:
                return value
            f.error(
                name,
                f"'{name}' must be a form service's address with a plain host name (letters, digits, hyphens "
                f"and dots, or an IPv6 address in brackets), which the site's security policy can allow; "
                f"got '{value}'",
            )
            return spec.default
        f.error(
            name,
            f"'{name}' must be 'netlify', 'none' or a full http(s) URL for the form action "
            f"like https://formspree.io/f/abc, got '{value}'",
        )
        return spec.default


@dataclass(frozen=True)
class Nested(ValueKind):
    """A nested set of keys, read by the schema of `of` (a model class)."""

    of: type
    label = "keys"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        nested = f.mapping(name, key_names(self.of))
        if nested is None:
            return spec.default
        nested.warn_unknown()
        values, _ = read_entry(self.of, nested)
        return self.of(**values)


@dataclass(frozen=True)
class TextOrNested(Nested):
    """Either one text, used as written, or the nested keys of `of`."""

    label = "text or keys"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        value = f.data.get(name)
        if isinstance(value, LineDict):
            found = super().read(f, name, spec)
            return found if any(vars(found).values()) else None
        if value is not None and not isinstance(value, str):
            names = ", ".join(key_names(self.of))
            f.error(name, f"'{f.where}{name}' must be text, or keys among {names}")
            return None
        return f.text(name, spec.required)


@dataclass(frozen=True)
class Entries(ValueKind):
    """A list of nested sets of keys (each read by the schema of `of`);
    an entry missing a required key is reported and left out."""

    of: type
    label = "list of keys"

    def read(self, f: Fields, name: str, spec: Key) -> Any:
        raw = f.data.get(name)
        if raw is None:
            return ()
        required = [k.name for k in keys_of(self.of) if k.required]
        needs = " and ".join(f"'{n}'" for n in required)
        if not isinstance(raw, LineList):
            f.error(name, f"'{f.where}{name}' must be a list of entries with {needs}")
            return ()
        found = []
        for index, item in enumerate(raw):
            if not isinstance(item, LineDict):
                f.problems.error(f.path, raw.line_of(index), f"each '{name}' entry must have {needs} keys")
                continue
            entry = Fields(item, f.path, f.problems, key_names(self.of), where=f"{f.where}{name}.")
            entry.warn_unknown()
            values, complete = read_entry(self.of, entry)
            if complete:
                found.append(self.of(**values))
        return tuple(found)


TEXT = Text()
URL = Url()
FLAG = Flag()
DAY = Day()
MOMENT = Moment()
TEXT_LIST = TextList()
REFERENCES = References()
TERMS = Terms()
CURRENCY = Currency()
PRICE = Price()
LOCALE = LocaleCode()
EMAIL = Email()
SEASON_DAY = SeasonDayKind()


@dataclass(frozen=True)
class Key:
    """One key of a kind: see the module docstring."""

    name: str
    kind: ValueKind
    public: bool
    doc: str
    required: bool = False
    default: Any = None
    added: bool = False  # a sitegen addition to the content format


def key(
    kind: ValueKind,
    *,
    public: bool,
    doc: str,
    required: bool = False,
    default: Any = None,
    added: bool = False,
) -> Any:
    """A dataclass field that is a key of its kind's files.

    `public` is required on purpose: every key says whether the public view
    may carry it. Required keys have no default (a model object is only
    made when they were read)."""
    spec = Key("", kind, public, doc, required, default, added)
    if required:
        return dataclasses.field(metadata={_SCHEMA: spec})
    return dataclasses.field(default=default, metadata={_SCHEMA: spec})


_KEYS: dict[type, tuple[Key, ...]] = {}


def keys_of(kind: type) -> tuple[Key, ...]:
    """The keys of a model class, in declaration order."""
    found = _KEYS.get(kind)
    if found is None:
        found = tuple(
            dataclasses.replace(f.metadata[_SCHEMA], name=f.name)
            for f in dataclasses.fields(kind)
            if _SCHEMA in f.metadata
        )
        _KEYS[kind] = found
    return found


def key_names(kind: type) -> tuple[str, ...]:
    return tuple(k.name for k in keys_of(kind))


def read_entry(kind: type, f: Fields, skip: Iterable[str] = ()) -> tuple[dict[str, Any], bool]:
    """Every key of `kind` read from `f` (problems reported there), and
    whether every required key was read. Keys in `skip` are left to the
    caller."""
    values: dict[str, Any] = {}
    complete = True
    skipped = set(skip)
    for spec in keys_of(kind):
        if spec.name in skipped:
            continue
        value = spec.kind.read(f, spec.name, spec)
        if value is None:
            value = spec.default
            complete = complete and not spec.required
        values[spec.name] = value
    return values, complete


def public_values(entry: object, declared: Iterable[str]) -> tuple[tuple[str, Any], ...]:
    """(name, value) of each key of `entry`'s kind marked public, less those
    the public class computes itself (`declared`)."""
    skip = set(declared)
    return tuple(
        (spec.name, getattr(entry, spec.name))
        for spec in keys_of(type(entry))
        if spec.public and spec.name not in skip
    )


def reference_table(kind: type, where: str = "") -> list[str]:
    """The README's reference table rows of a kind:
    `| key | required | value | in templates | meaning |`."""
    rows = []
    for spec in keys_of(kind):
        name = f"{where}{spec.name}"
        flag = "required" if spec.required else ""
        shown = "yes" if spec.public else "no"
        doc = f"*(sitegen addition)* {spec.doc}" if spec.added else spec.doc
        rows.append(f"| `{name}` | {flag} | {spec.kind.describe()} | {shown} | {doc} |")
        if isinstance(spec.kind, (Nested, Entries)):
            rows.extend(reference_table(spec.kind.of, f"{name}."))
    return rows
