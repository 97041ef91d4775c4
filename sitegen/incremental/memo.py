"""The preview's one memo: values made from inputs, kept between the builds
of one long-running process.

A stage asks `memo.get(slot, inputs, make)`: when `slot` (a file, a post, a
URL) was made last time from inputs equal to these, the very same value comes
back, else `make()` makes a new one. Equal is checked item by item, identity
first: the stages before hand back the very objects of unchanged content, so
most checks are one pointer comparison, and the value coming back is the
very object, so the stages after see "unchanged" the same cheap way.

A memo made `by_identity` compares with `is` alone, for inputs whose
equality is not the whole story (a loaded record compares equal to one
whose keys moved to other lines, and model objects carry those lines).

The inputs are everything `make` reads, so the memo can only be as right as
the caller's `inputs`; callers pass the objects `make` is a function of
(the record a model object is built from, the model post and term names a
public post is made from, the inputs a route is planned from), never a
hand-picked list of their fields. Nothing here is written to disk.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, TypeVar

T = TypeVar("T")


class Memo:
    """See the module docstring. `finish` ends a build: slots it did not
    ask for (deleted files, gone pages) are let go."""

    def __init__(self, by_identity: bool = False) -> None:
        self._last: dict[Hashable, tuple[tuple[object, ...], Any]] = {}
        self._now: dict[Hashable, tuple[tuple[object, ...], Any]] = {}
        self._same = _identical if by_identity else _same

    def get(self, slot: Hashable, inputs: tuple[object, ...], make: Callable[[], T]) -> T:
        hit = self._now.get(slot)
        if hit is None:
            hit = self._last.get(slot)
        if hit is None or not self._same(hit[0], inputs):
            hit = (inputs, make())
        self._now[slot] = hit
        return hit[1]

    def peek(self, slot: Hashable, inputs: tuple[object, ...]) -> Any:
        """The value made for `slot` from inputs equal to these, else None;
        never makes one."""
        hit = self._now.get(slot)
        if hit is None:
            hit = self._last.get(slot)
        if hit is None or not self._same(hit[0], inputs):
            return None
        self._now[slot] = hit
        return hit[1]

    def put(self, slot: Hashable, inputs: tuple[object, ...], value: object) -> None:
        """Remember `value` as made from `inputs` (a value made elsewhere)."""
        self._now[slot] = (inputs, value)

    def carry(self, slot: Hashable) -> None:
        """Keep `slot` for the next build as it is, unasked."""
        hit = self._now.get(slot) or self._last.get(slot)
        if hit is not None:
            self._now[slot] = hit

    def finish(self) -> None:
        self._last, self._now = self._now, {}


# Loops, not all(...): these run thousands of times per preview rebuild.
def _same(old: tuple[object, ...], new: tuple[object, ...]) -> bool:
    if len(old) != len(new):
        return False
    for a, b in zip(old, new):
        if a is not b and a != b:
            return False
    return True


def _identical(old: tuple[object, ...], new: tuple[object, ...]) -> bool:
    if len(old) != len(new):
        return False
    for a, b in zip(old, new):
        if a is not b:
            return False
    return True
