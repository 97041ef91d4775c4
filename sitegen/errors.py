"""Problems a user can cause, as data.

Every stage reports what is wrong with the site as `Problem` values carrying a
file, a line and a message; stages *collect* them instead of stopping at the
first, and the CLI prints them all at once as ``path:line: message``. Nothing
here formats tracebacks or knows about the terminal.
"""

from __future__ import annotations

import re

import enum
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the site, located in a file of it."""

    path: str
    line: int
    message: str
    severity: Severity = field(default=Severity.ERROR, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        """One line, always: a newline or other control character in a file
        name (or anywhere in the message) is written as an escape."""
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        location = f"{self.path}:{self.line}" if self.line > 0 else self.path
        return _one_line(f"{location}: {prefix}{self.message}")

    def __str__(self) -> str:
        return self.format()


class Problems:
    """A collector that every stage appends to; never raises by itself."""

    def __init__(self, root: Path | None = None) -> None:
        self._root = root
        self._items: list[Problem] = []
        # Files found by walking the site are plain "<root>/<relative>"
        # strings: cut those without pathlib, which is slow at thousands.
        self._prefix = f"{root}/" if root is not None and root.is_absolute() and os.sep == "/" else ""

    def display_path(self, path: Path | str) -> str:
        """The path as the user should read it: relative to the site root."""
        text = os.fspath(path)
        prefix = self._prefix
        if (
            prefix
            and text.startswith(prefix)
            and "//" not in text
            and "/." not in text
            and not text.endswith("/")
            and len(text) > len(prefix)
        ):
            return text[len(prefix) :]
        p = Path(path)
        if self._root is not None and p.is_absolute():
            # As given first: content/ may be a symlink to a folder elsewhere,
            # and the user knows it by the path inside the site.
            if p.is_relative_to(self._root):
                return p.relative_to(self._root).as_posix()
            resolved, root = p.resolve(), self._root.resolve()
            if resolved.is_relative_to(root):
                return resolved.relative_to(root).as_posix()
        return p.as_posix()

    def error(self, path: Path | str, line: int, message: str) -> None:
        self._items.append(Problem(self.display_path(path), line, message))

    def warning(self, path: Path | str, line: int, message: str) -> None:
        self._items.append(
            Problem(self.display_path(path), line, message, Severity.WARNING)
        )

    def extend(self, problems: Problems) -> None:
        self._items.extend(problems._items)

    def add(self, problem: Problem) -> None:
        self._items.append(problem)

    def add_all(self, problems: Iterable[Problem]) -> None:
        self._items.extend(problems)

    @property
    def root(self) -> Path | None:
        return self._root

    @property
    def items(self) -> list[Problem]:
        return list(self._items)

    @property
    def errors(self) -> list[Problem]:
        return sorted({p for p in self._items if p.is_error}, key=_sort_key)

    @property
    def warnings(self) -> list[Problem]:
        return sorted({p for p in self._items if not p.is_error}, key=_sort_key)

    def has_errors(self) -> bool:
        return any(p.is_error for p in self._items)

    def __len__(self) -> int:
        return len(self._items)


def _sort_key(problem: Problem) -> tuple[str, int, str]:
    return (problem.path, problem.line, problem.message)


class BuildFailed(Exception):
    """The site could not be built; carries every problem found."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        super().__init__(
            "\n".join(p.format() for p in problems.errors) or "build failed"
        )


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text) if _CONTROL.search(text) else text


class ContentProblem(Exception):
    """A file of the site found unusable while rendering (a Markdown body
    that cannot be converted, a template that cannot be read or leads out
    of the site): the renderer reports it at that file."""

    def __init__(self, path: str, message: str, line: int = 0) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
        self.line = line
