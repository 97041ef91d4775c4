"""Typed values out of one YAML mapping, with the file and line of each.

`Fields` wraps a mapping of the loader (`LineDict`) and reads its keys as
text, URLs, true/false, whole numbers, dates and lists, reporting every
problem at the key's line. It knows nothing of which keys a kind has: the
schema (schema.py) says that, and calls these readers.
"""

from __future__ import annotations

import ipaddress

import difflib
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from ..errors import Problems
from .parse import LineDict, LineList, character_problem

_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_SAFE_URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Whole numbers (a page's menu place, posts per page) longer than this are
# mistakes; Python refuses to convert numbers of over 4,300 digits at all.
MAX_DIGITS = 15


class Fields:
    """Typed access to one mapping of a record; reports and remembers keys."""

    def __init__(
        self,
        data: LineDict,
        path: Path,
        problems: Problems,
        known: Iterable[str],
        where: str = "",
    ) -> None:
        self.data = data
        self.path = path
        self.problems = problems
        self.known = tuple(known)
        self.where = where
        # Raw items and lines of reference lists, for cross-reference messages.
        self.references: dict[str, list[tuple[str, int]]] = {}

    def line(self, key: str) -> int:
        return self.data.line_of(key)

    def error(self, key: str, message: str) -> None:
        self.problems.error(self.path, self.line(key), message)

    def _name(self, key: str) -> str:
        return f"{self.where}{key}"

    def warn_unknown(self) -> None:
        for key in self.data:
            if key in self.known:
                continue
            hint = difflib.get_close_matches(key, self.known, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            self.problems.warning(
                self.path,
                self.line(key),
                f"unknown key '{self._name(key)}' is ignored{suggestion}",
            )

    def _present(self, key: str, required: bool) -> bool:
        value = self.data.get(key)
        if isinstance(value, str):
            problem = character_problem(value)
            if problem:
                # NUL, ESC and the like: invalid in the feed's XML, in a path,
                # and in a terminal showing this value back in a message.
                self.error(key, f"'{self._name(key)}' contains {problem}; remove it")
                return False
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                if key in self.data:
                    self.error(key, f"'{self._name(key)}' must not be empty")
                else:
                    self.problems.error(
                        self.path,
                        self.data.line,
                        f"missing required key '{self._name(key)}'",
                    )
            return False
        return True

    def text(self, key: str, required: bool = False) -> str | None:
        if not self._present(key, required):
            return None
        value = self.data[key]
        if not isinstance(value, str):
            self.error(key, f"'{self._name(key)}' must be text, got {_kind_of(value)}")
            return None
        return value.strip()

    def url(self, key: str, required: bool = False, absolute: bool = False) -> str | None:
        value = self.text(key, required)
        if value is None:
            return None
        problem = url_problem(value, absolute)
        if problem:
            self.error(key, f"'{self._name(key)}' {problem}, got '{value}'")
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        if not self._present(key, False):
            return default
        value = self.data[key]
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        self.error(key, f"'{self._name(key)}' must be true or false, got {_show(value)}")
        return default

    def integer(self, key: str, default: int | None, minimum: int | None = None) -> int | None:
        if not self._present(key, False):
            return default
        value = self.data[key]
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            digits = value.strip().lstrip("+-").lstrip("0")
            if len(digits) > MAX_DIGITS:
                self.error(
                    key,
                    f"'{self._name(key)}' must be a whole number of at most {MAX_DIGITS} digits, "
                    f"got one of {len(digits):,} digits",
                )
                return default
            number = int(value)
            if minimum is not None and number < minimum:
                self.error(key, f"'{self._name(key)}' must be at least {minimum}, got {number}")
                return default
            return number
        self.error(key, f"'{self._name(key)}' must be a whole number, got {_show(value)}")
        return default

    def choice(self, key: str, choices: tuple[str, ...], default: str | None) -> str | None:
        value = self.text(key)
        if value is None:
            return default
        if value not in choices:
            self.error(key, f"{self._name(key)} must be {_one_of(choices)}, got '{value}'")
            return default
        return value

    def day(self, key: str, required: bool = False) -> date | None:
        moment = self.moment(key, required)
        if moment is None:
            return None
        if moment.time() != time(0) or (
            isinstance(self.data[key], str) and "T" in self.data[key]
        ):
            self.error(key, f"'{self._name(key)}' must be a date (YYYY-MM-DD) without a time")
            return None
        return moment.date()

    def moment(self, key: str, required: bool = False) -> datetime | None:
        if not self._present(key, required):
            return None
        value = self.data[key]
        parsed = parse_moment(value) if isinstance(value, str) else None
        if parsed is None and isinstance(value, str) and _zone_out_of_range(value):
            self.error(
                key,
                f"'{self._name(key)}' has a time zone offset out of range, got '{value.strip()}': "
                "use one from -23:59 to +23:59, such as +02:00",
            )
        elif parsed is None:
            self.error(
                key,
                f"'{self._name(key)}' must be a date like 2024-05-31 "
                f"(or 2024-05-31 14:30), got {_show(value)}",
            )
        return parsed

    def text_list(self, key: str) -> list[tuple[str, int]]:
        """A list of text items (a single text is a one-item list), with lines."""
        if not self._present(key, False):
            return []
        value = self.data[key]
        if isinstance(value, str):
            return [(value.strip(), self.line(key))]
        if not isinstance(value, LineList):
            self.error(key, f"'{self._name(key)}' must be a list, got {_kind_of(value)}")
            return []
        items: list[tuple[str, int]] = []
        for index, item in enumerate(value):
            line = value.line_of(index)
            problem = character_problem(item) if isinstance(item, str) else None
            if problem:
                self.problems.error(self.path, line, f"an item of '{self._name(key)}' contains {problem}; remove it")
            elif item is None or (isinstance(item, str) and not item.strip()):
                self.problems.error(self.path, line, f"'{self._name(key)}' has an empty item")
            elif not isinstance(item, str):
                self.problems.error(
                    self.path,
                    line,
                    f"items of '{self._name(key)}' must be text, got {_kind_of(item)}",
                )
            else:
                items.append((item.strip(), line))
        return items

    def mapping(self, key: str, known: Iterable[str]) -> Fields | None:
        if not self._present(key, False):
            return None
        value = self.data[key]
        if not isinstance(value, LineDict):
            self.error(key, f"'{self._name(key)}' must be a set of 'key: value' lines, got {_kind_of(value)}")
            return None
        return Fields(value, self.path, self.problems, known, where=f"{self._name(key)}.")


def _one_of(choices: tuple[str, ...]) -> str:
    quoted = [f"'{c}'" for c in choices]
    if len(quoted) == 2:
        return f"{quoted[0]} or {quoted[1]}"
    return "one of " + ", ".join(quoted)


def _kind_of(value: Any) -> str:
    if isinstance(value, LineDict):
        return "a set of 'key: value' lines"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    return _kind_of(value)


def base_url_problem(value: str) -> str | None:
    """Why `value` cannot be the address every page of the site is under."""
    problem = url_problem(value, absolute=True)
    if problem:
        return problem
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        return "must be an http(s) URL like https://example.com/"
    if "?" in value or "#" in value:
        return "must not have a ?query or #fragment: every page's address is made by adding to it"
    if "@" in parts.netloc:
        return "must not hold a user name or password"
    try:
        parts.port
    except ValueError:
        return "has a port that is not a number from 0 to 65535"
    return None


def url_problem(value: str, absolute: bool = False) -> str | None:
    """Why `value` cannot be used as a link target, or None if it can."""
    if any(c.isspace() for c in value) or any(ord(c) < 32 for c in value):
        return "must be a URL without spaces"
    try:
        parts = urlsplit(value)
    except ValueError:  # "http://[zz/": brackets that hold no IPv6 address
        return "must be a valid URL (a host in [ ] must be an IPv6 address)"
    if parts.scheme:
        if parts.scheme.lower() not in _SAFE_URL_SCHEMES:
            return "must be an http(s), mailto or tel URL or a path starting with '/'"
        if parts.scheme.lower() in ("http", "https") and not parts.netloc:
            return "must be a full URL like https://example.com/"
        return None
    if absolute:
        return "must be a full URL like https://example.com/"
    if value.startswith("//"):
        return "must be a full URL like https://example.com/ or a path starting with '/'"
    return None


_MOMENT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?)?$"
)


def _zone_out_of_range(text: str) -> bool:
    """Whether `text` is a date and time whose zone offset is not one,
    like +24:00 or +99:99."""
    match = _MOMENT.match(text.strip())
    zone = match.group(7) if match else None
    if not zone or zone in ("Z", "z"):
        return False
    digits = zone[1:].replace(":", "")
    return int(digits[:2]) > 23 or int(digits[2:]) > 59


def parse_moment(text: str) -> datetime | None:
    """Parse YYYY-MM-DD[ HH:MM[:SS][zone]]; naive times are taken as UTC."""
    match = _MOMENT.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    tz = UTC
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=tz,
        )
    except ValueError:
        return None


# Hosts as a Content-Security-Policy can name them: letters, digits, hyphens
# and dots, ASCII only (write an internationalised name in its xn-- form:
# Python's IDNA codec and browsers disagree on some names).
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")


def origin(url: str) -> str | None:
    """`https://cdn.example:8443/a.jpg` -> `https://cdn.example:8443`; None
    for anything that is not an http(s) URL whose host a security policy
    can name (an ASCII name or an IPv6 address in brackets)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        return None
    if text.startswith("//"):
        scheme = "https"  # a protocol-relative URL: the site is served over https
    if scheme not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    default = 443 if scheme == "https" else 80
    suffix = f":{port}" if port not in (None, default) else ""
    if "[" in parts.netloc:
        try:
            return f"{scheme}://[{ipaddress.IPv6Address(host).compressed}]{suffix}"
        except ValueError:
            return None
    if not host.isascii() or not _HOST.fullmatch(host):
        return None
    return f"{scheme}://{host}{suffix}"
