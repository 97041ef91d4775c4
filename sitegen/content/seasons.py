"""When a product can be had: `available_from` and `available_until`.

Each is a day of the year, `MM-DD`, for a window that comes back every year
("October to March" is `10-01` to `03-31`, crossing the new year), or a
date, `YYYY-MM-DD`, for a window that comes once. A yearly window missing
one end runs from 1 January or to 31 December; a dated one is open on that
side. Both ends are inclusive. 29 February in a yearly window counts as 1
March in other years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_FORM = re.compile(r"^(?:([0-9]{4})-)?([0-9]{2})-([0-9]{2})$")


@dataclass(frozen=True)
class SeasonDay:
    """A day of the year (`year` None: every year) or one date."""

    month: int
    day: int
    year: int | None = None

    def __str__(self) -> str:
        return (f"{self.year:04d}-" if self.year is not None else "") + f"{self.month:02d}-{self.day:02d}"

    def in_year(self, year: int) -> date:
        """This day in `year` (29 February: 1 March in other years)."""
        try:
            return date(year, self.month, self.day)
        except ValueError:
            return date(year, 3, 1)


def parse_season_day(text: str) -> SeasonDay | None:
    """`MM-DD` or `YYYY-MM-DD`; None when it is neither (or no such day)."""
    found = _FORM.match(text.strip())
    if found is None:
        return None
    year = int(found.group(1)) if found.group(1) else None
    month, day = int(found.group(2)), int(found.group(3))
    try:
        date(year if year is not None else 2000, month, day)  # 2000: 29 February exists
    except ValueError:
        return None
    if year is not None and year < 1:
        return None
    return SeasonDay(month, day, year)


def available_on(start: SeasonDay | None, end: SeasonDay | None, on: date) -> bool:
    """Whether the window from `start` to `end` (both inclusive) holds `on`."""
    if start is None and end is None:
        return True
    if _yearly(start, end):
        first = start.in_year(on.year) if start is not None else date(on.year, 1, 1)
        last = end.in_year(on.year) if end is not None else date(on.year, 12, 31)
        if first <= last:
            return first <= on <= last
        return on >= first or on <= last  # across the new year
    return (start is None or on >= _dated(start)) and (end is None or on <= _dated(end))


def back_on(start: SeasonDay | None, end: SeasonDay | None, on: date) -> date | None:
    """The first day after `on` inside the window, when `on` is outside it;
    None when it is inside, or will never be again."""
    if available_on(start, end, on):
        return None
    if _yearly(start, end):
        for year in _this_and_next(on.year):
            first = start.in_year(year) if start is not None else date(year, 1, 1)
            if first > on:
                return first
        return None  # the calendar's end
    if start is not None and on < _dated(start):
        return _dated(start)
    return None


def next_change(start: SeasonDay | None, end: SeasonDay | None, on: date) -> date | None:
    """The first day after `on` on which `available_on` differs from today."""
    today = available_on(start, end, on)
    if start is None and end is None:
        return None
    candidates: list[date] = []
    if _yearly(start, end):
        for year in _this_and_next(on.year):
            if start is not None:
                candidates.append(start.in_year(year))
            if end is not None and end.in_year(year) < date.max:
                candidates.append(end.in_year(year) + timedelta(days=1))
            if start is None:
                candidates.append(date(year, 1, 1))
            if end is None and year < date.max.year:
                candidates.append(date(year + 1, 1, 1))
    else:
        if start is not None:
            candidates.append(_dated(start))
        if end is not None and _dated(end) < date.max:
            candidates.append(_dated(end) + timedelta(days=1))
    for moment in sorted(c for c in candidates if c > on):
        if available_on(start, end, moment) != today:
            return moment
    return None


def _this_and_next(year: int) -> tuple[int, ...]:
    """`year` and the four after, within the calendar (it ends in 9999):
    a window's edges move around 29 February, which comes every four."""
    return tuple(range(year, min(year + 5, date.max.year + 1)))


def mixed_forms(start: SeasonDay | None, end: SeasonDay | None) -> bool:
    """Whether one end is a day of the year and the other a date."""
    return start is not None and end is not None and (start.year is None) != (end.year is None)


def _yearly(start: SeasonDay | None, end: SeasonDay | None) -> bool:
    return (start or end) is not None and (start or end).year is None  # type: ignore[union-attr]


def _dated(day: SeasonDay) -> date:
    assert day.year is not None
    return date(day.year, day.month, day.day)
