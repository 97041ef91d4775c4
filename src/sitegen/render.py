"""Stage 5, render: each route's template and context to the bytes of a file.

Jinja2 with autoescape on for every template (HTML and XML alike) and
StrictUndefined, so a template that names a field the public view does not
have fails with its file and line instead of printing nothing. Templates are
found through a loader chain: the site's theme, then the built-in theme.
Rendering a page is a pure function of its route; this module never writes.
"""

from __future__ import annotations

import traceback
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterable

import jinja2

from .errors import Problems
from .routes import Route, absolute_url

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_format(value: date | datetime) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def isoformat(value: date | datetime) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def make_environment(template_dirs: Iterable[Path], base_url: str) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(d)) for d in template_dirs]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["absolute"] = lambda url: absolute_url(base_url, str(url))
    env.filters["date_format"] = date_format
    env.filters["isoformat"] = isoformat
    return env


class Renderer:
    """Renders routes; reports template problems once each, with file and line."""

    def __init__(self, env: jinja2.Environment, problems: Problems) -> None:
        self.env = env
        self.problems = problems
        self._reported: set[tuple[str, int, str]] = set()

    def render(self, route: Route) -> bytes | None:
        try:
            template = self.env.get_template(route.template)
            text = template.render(route.context)
        except jinja2.TemplateSyntaxError as exc:
            self._report(exc.filename or route.template, exc.lineno or 0, f"template error: {exc.message}")
            return None
        except jinja2.TemplateNotFound as exc:
            path, line = self._template_position(exc)
            self._report(
                path or route.template,
                line,
                f"template '{exc.name}' not found",
                f" (needed for {route.url})",
            )
            return None
        except Exception as exc:  # a template raised while running
            path, line = self._template_position(exc)
            self._report(
                path or route.template,
                line,
                f"template error: {_describe(exc)}",
                f" (while rendering {route.url})",
            )
            return None
        if not text.endswith("\n"):
            text += "\n"
        return text.encode("utf-8")

    def _report(self, path: str, line: int, message: str, where: str = "") -> None:
        # The same mistake in a template fails every page using it: say it once,
        # naming the first page it broke.
        key = (path, line, message)
        if key in self._reported:
            return
        self._reported.add(key)
        self.problems.error(path, line, message + where)

    def _template_position(self, exc: BaseException) -> tuple[str | None, int]:
        """The innermost frame of the traceback that ran template code."""
        position: tuple[str | None, int] = (None, 0)
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename.endswith((".html", ".xml", ".txt")) and Path(frame.filename).is_file():
                position = (frame.filename, frame.lineno or 0)
        return position


def _describe(exc: BaseException) -> str:
    if isinstance(exc, jinja2.UndefinedError):
        return f"{exc.message} (the public view has no such field)"
    return f"{type(exc).__name__}: {exc}"


def render_routes(
    routes: Iterable[Route], env: jinja2.Environment, problems: Problems
) -> dict[str, bytes]:
    renderer = Renderer(env, problems)
    rendered: dict[str, bytes] = {}
    for route in routes:
        data = renderer.render(route)
        if data is not None:
            rendered[route.output] = data
    return rendered
