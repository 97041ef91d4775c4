"""The public copy of a model object: its kind's keys marked public, and
nothing else.

Each public class of public.py declares only what the public view computes
(URLs, rendered bodies, links to other objects, displayed prices ...). The
keys the schema marks `public=True` ride along in `shown` and read like
attributes (`product.price`, `post.author`), so a key added to the schema is
in every template at once; a key marked `public=False` is never copied, so
it cannot reach a template, a feed or JSON-LD.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..content.schema import public_values

P = TypeVar("P", bound="Published")


@dataclass(frozen=True)
class Published:
    """Base of the public classes: public keys by name in `shown`."""

    shown: tuple[tuple[str, Any], ...] = field(default=(), kw_only=True)

    def __post_init__(self) -> None:
        shown = dict(self.shown)
        object.__setattr__(self, "_shown", shown)
        # Each shown key is also an attribute of the object itself, read
        # without a call to __getattr__ (thousands per build), unless the
        # class has a field or attribute of that name, which wins either way.
        kind = type(self)
        names = _CLASS_NAMES.get(kind)
        if names is None:
            names = _CLASS_NAMES[kind] = frozenset(dir(kind)) | {f.name for f in dataclasses.fields(kind)}
        self.__dict__.update({name: value for name, value in self.shown if name not in names})

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are neither fields nor shown keys (or
        # while unpickling). Looked up in __dict__ so that a half-made
        # object raises.
        shown = self.__dict__.get("_shown")
        if shown is None or name not in shown:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return shown[name]


_CLASS_NAMES: dict[type, frozenset[str]] = {}
_DECLARED: dict[type, frozenset[str]] = {}


def declared(kind: type) -> frozenset[str]:
    """The fields a public class computes itself."""
    found = _DECLARED.get(kind)
    if found is None:
        found = _DECLARED[kind] = frozenset(f.name for f in dataclasses.fields(kind)) - {"shown"}
    return found


def publish(kind: type[P], entry: object, **computed: Any) -> P:
    """A `kind` made of `entry`'s public keys and the `computed` fields."""
    return kind(shown=public_values(entry, declared(kind)), **computed)
