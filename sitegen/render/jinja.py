"""Stage 5, render: each route's template and context to the bytes of a file.

Jinja2 with autoescape on for every template (HTML, XML, CSS) but the plain
text ones (`robots.txt`, `_headers`: an `&` there is an `&`), and
StrictUndefined, so a template that names a field the public view does not
have fails with its file and line instead of printing nothing. Templates are
found through a loader chain: the site's theme, then the built-in theme.
Rendering a page is a pure function of its route; this module never writes.
"""

from __future__ import annotations

import difflib

import hashlib
import os
import posixpath
import re
import stat
import traceback
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable

import jinja2
from jinja2.loaders import split_template_path

from ..errors import ContentProblem, Problems
from ..files import NOT_REGULAR, OUTSIDE, NotRegularFile, outside, read_regular
from ..plan.pages import Route, absolute_url
from .theme import BUILTIN_THEME

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
            value = value.replace(tzinfo=UTC)
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def escapes_html(name: str | None) -> bool:
    """Whether a template's output is escaped as HTML: every template but
    plain text files, where HTML escaping would change what they say."""
    return name is None or not (name.endswith(".txt") or name.rsplit("/", 1)[-1] == "_headers")


def make_environment(
    template_dirs: Iterable[Path],
    base_url: str,
    bytecode_cache: jinja2.BytecodeCache | None = None,
    inside: tuple[str, ...] = (),
) -> jinja2.Environment:
    """`inside`: the real folders the site's templates must stay in
    (`files.site_places`); the built-in theme's are sitegen's own."""
    loader = jinja2.ChoiceLoader(
        [_TemplateFolder(d, None if d.is_relative_to(BUILTIN_THEME) else inside) for d in template_dirs]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=escapes_html,
        undefined=_Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=bytecode_cache,
    )
    @jinja2.pass_context
    def absolute(context: jinja2.runtime.Context, url: object) -> str:
        # Takes the context only so that Jinja cannot fold `"/x" | absolute`
        # into the compiled template: compiled templates are cached on disk
        # by their source, and the base URL changes between deploy contexts.
        return absolute_url(base_url, str(url))

    env.filters["absolute"] = absolute
    env.filters["date_format"] = date_format
    env.filters["isoformat"] = isoformat
    return env


class _TemplateFolder(jinja2.FileSystemLoader):
    """One folder of templates, read as sitegen reads every file of a site
    (files.py): never a FIFO or device, which would block, and never
    through a link leading out of the site (`inside`; None for the built-in
    theme). A template that cannot be used is a problem at its file
    (ContentProblem), never an internal error nor silently passed over for
    the built-in one."""

    def __init__(self, folder: Path, inside: tuple[str, ...] | None) -> None:
        super().__init__(str(folder))
        self.folder = str(folder)
        self.inside = inside

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = posixpath.join(self.folder, *split_template_path(template))
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            raise jinja2.TemplateNotFound(template) from None
        except OSError as exc:
            raise ContentProblem(path, f"cannot read file: {exc.strerror or exc}") from None
        if stat.S_ISDIR(info.st_mode):
            raise jinja2.TemplateNotFound(template)
        target = outside(path, self.inside) if self.inside is not None else None
        if target is not None:
            raise ContentProblem(path, OUTSIDE.format(target=target))
        try:
            raw = read_regular(path)
        except NotRegularFile:
            raise ContentProblem(path, NOT_REGULAR) from None
        except OSError as exc:
            raise ContentProblem(path, f"cannot read file: {exc.strerror or exc}") from None
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ContentProblem(path, "template is not valid UTF-8 text: save it as UTF-8", line) from None
        source = source.replace("\r\n", "\n").replace("\r", "\n")  # as open() in text mode gave Jinja

        def uptodate() -> bool:
            try:
                return os.stat(path).st_mtime_ns == info.st_mtime_ns
            except OSError:
                return False

        return source, os.path.normpath(path), uptodate


class Renderer:
    """Renders routes; reports template problems once each, with file and line."""

    def __init__(self, env: jinja2.Environment, problems: Problems, site: object) -> None:
        self.env = env
        self.problems = problems
        self.site = site  # every page's `site`: the public view
        self._reported: set[tuple[str, int, str]] = set()

    def render(self, route: Route, site: object = None) -> bytes | None:
        """The page's bytes, or None after reporting why it failed; `site`
        stands in for the public view (see _ReadTracker)."""
        try:
            template = self.env.get_template(route.template)
            text = template.render(route.context, site=self.site if site is None else site)
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
        except ContentProblem as exc:  # a body it printed cannot be converted, a template cannot be read
            self._report(exc.path, exc.line, exc.message)
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


class _Undefined(jinja2.StrictUndefined):
    """StrictUndefined whose message names the closest field the object
    does have: `product.titel` -> did you mean 'title'?"""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        message: str = super()._undefined_message
        target, name = self._undefined_obj, self._undefined_name
        if target is jinja2.utils.missing or not isinstance(name, str):
            return message
        if isinstance(target, _ReadTracker):  # `site`, watched for what the page reads
            target = object.__getattribute__(target, "_target")
            message = f"'site' has no attribute '{name}'"
        if isinstance(target, dict):
            names = [str(key) for key in target]
        else:
            names = [n for n in dir(target) if not n.startswith("_")]
            names += [str(key) for key in getattr(target, "_shown", {})]
        close = difflib.get_close_matches(name, sorted(set(names) - {"shown"}), n=1)
        return f"{message} (did you mean '{close[0]}'?)" if close else message


def _describe(exc: BaseException) -> str:
    if isinstance(exc, jinja2.UndefinedError):
        message = exc.message or "undefined"
        hint = re.search(r" \(did you mean '[^']*'\?\)$", message)
        if hint is None:
            return f"{message} (the public view has no such field)"
        return f"{message[:hint.start()]}: the public view has no such field{hint.group(0)}"
    return f"{type(exc).__name__}: {exc}"


class _ReadTracker:
    """Stands in for `site` in a template and notes each attribute it reads.

    A page's output is a pure function of its template, its own context and
    the `site` attributes it read; when none of those changed, the page's
    bytes cannot have changed either, so the memo reuses them.
    """

    __slots__ = ("_target", "_reads")

    def __init__(self, target: object, reads: dict[str, Any]) -> None:
        self._target = target
        self._reads = reads

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        self._reads[name] = value
        return value


def render_tracked(renderer: "Renderer", route: Route) -> tuple[bytes | None, dict[str, Any]]:
    """Render with `site` behind a _ReadTracker; return the bytes and what was read."""
    reads: dict[str, Any] = {}
    return renderer.render(route, _ReadTracker(renderer.site, reads)), reads


_STATIC_REFERENCE = re.compile(r"""\{%[-+]?\s*(?:extends|include|import|from)\s+(["'])(.+?)\1""")
_DYNAMIC_REFERENCE = re.compile(
    r"""\{%[-+]?\s*(?:extends|include|import|from)\s+(?!["'][^"']*["']\s*(?:%|-|\+|as\b|import\b|ignore\b|with\b|without\b))"""
)


class TemplateKeys:
    """A fingerprint per template covering every template it extends,
    includes or imports, so editing `_macros.html` re-renders exactly the
    pages whose templates use it."""

    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self._keys: dict[str, str] = {}

    def key(self, name: str) -> str:
        if name not in self._keys:
            self._keys[name] = self._fingerprint(name)
        return self._keys[name]

    def _fingerprint(self, name: str) -> str:
        digest = hashlib.sha256()
        seen: set[str] = set()
        pending = [name]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            try:
                source, filename, _ = self.env.loader.get_source(self.env, current)  # type: ignore[union-attr]
            except jinja2.TemplateNotFound:
                digest.update(f"missing:{current}".encode())
                continue
            except ContentProblem as problem:
                # Rendering reports it, if a page uses it; the key need only
                # differ from any a template that can be read gives.
                digest.update(f"unusable:{current}\0{problem.message}".encode())
                continue
            digest.update(f"{current}\0{filename}\0".encode())
            digest.update(source.encode("utf-8"))
            # A regular expression, not Jinja's parser: it is ten times
            # faster, and anything it cannot read counts as "every template".
            if _DYNAMIC_REFERENCE.search(source):
                pending.extend(self.env.list_templates())
            pending.extend(match.group(2) for match in _STATIC_REFERENCE.finditer(source))
        return digest.hexdigest()
