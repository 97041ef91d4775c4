"""The stages up to render, run once (a command-line build, `check`) or
again and again in one process (the preview): load -> model -> public view
-> routes -> render. build.py writes what a session renders; importing this
module imports the whole pipeline, which a no-change build never needs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import jinja2

from .build import BuildOptions, build_moment
from .content.images import IMAGE_KEYS, Survey, SurveyIndex, survey
from .content.load import RecordCache, Records, load_site
from .content.builders import ModelMemo, build_model
from .content.model import Site
from .errors import BuildFailed, Problem, Problems
from .files import OUTSIDE, open_regular, outside, site_places
from .incremental import snapshot
from .incremental.cache import bytes_hash, cache_folder
from .incremental.pages import PageBook, render_pages
from .incremental.store import StoreUse
from .output.write import StagedOutput
from .plan.memo import RouteMemo
from .plan.pages import RouteMap
from .plan.routes import plan_routes
from .plan.written_links import FragmentLink, check_fragments, check_written_links
from .render.images import ImageFailed, ImageJob, cache_file, produce, prune
from .render.jinja import TemplateKeys, make_environment
from .render.parallel import ConvertAhead, default_jobs
from .render.theme import BUILTIN_THEME, static_dirs, template_dirs
from .view.memo import PublicMemo
from .view.objects import PublicSite
from .view.pictures import own_copy
from .view.public import build_public_site, publishable_static_files, static_key

# What a session is told about where the build will write (build.py).
OutputCheck = Callable[[Site, Problems], None]


@dataclass(frozen=True)
class RenderedSite:
    site: Site
    public: PublicSite
    routes: RouteMap
    files: dict[str, bytes]
    warnings: list[Problem]
    timings: dict[str, float] = field(default_factory=dict)
    # Pages of an incremental build kept from the last output, whose bytes
    # were checked there but not read into `files`: output -> content hash.
    kept: dict[str, str] = field(default_factory=dict)


class _StageClock:
    """Seconds spent in each stage, for `build --verbose`."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._last
        self._last = now


@dataclass
class RenderStats:
    rendered: int = 0  # pages whose bytes are new
    reused: int = 0  # pages whose bytes are the last build's


class BuildSession:
    """One site rendered again and again in one process (the preview server),
    or once (`remember=False`: the command line, `check`).

    Between renders it keeps the records of unchanged files, the model,
    public-view and route objects of unchanged content, the compiled
    templates while no template file changed, and a `PageBook` of every
    page, so a one-post edit re-renders only the pages that show that post.
    A command-line build starts from the `PageBook` of the last build's
    manifest instead. Either way the result is byte-identical to a fresh
    `render_site`.
    """

    def __init__(
        self,
        options: BuildOptions,
        remember: bool = True,
        watched: bool = False,
        manifest: snapshot.JsonObject | None = None,
        untouched: Callable[[Path], Callable[[str], bool] | None] | None = None,
    ) -> None:
        """`watched`: the caller reports every changed file to `forget` (a
        file watcher does), so files it did not name are not even looked at.

        `manifest` (command-line builds): the last build's record, whose
        `PageBook` says which pages are unchanged; `untouched(old output
        folder)` says which of that build's output files are still as it
        left them."""
        self.options = options
        self.watched = watched
        self._remember = remember
        self._records = RecordCache(watched) if remember else None
        self._model_memo = ModelMemo() if remember else None
        self._public_memo = PublicMemo() if remember else None
        self._route_memo = RouteMemo() if remember else None
        self._book: PageBook | None = None
        self._manifest = manifest
        self._untouched = untouched
        self._cache = StoreUse(cache_folder(options.source.resolve()), remember) if options.cache else None
        self._images_folder: Path | None = None
        self._temporary_images = False
        self._survey: SurveyIndex | None = None
        self._image_jobs: list[ImageJob] = []
        # Written links to a #fragment, checked once the pages are rendered.
        self._fragment_links: list[FragmentLink] = []
        self._ahead = ConvertAhead((), 1)
        self._env: jinja2.Environment | None = None
        self._env_signature: tuple[object, ...] = ()
        self._template_keys: TemplateKeys | None = None
        self.stats = RenderStats()
        self.timings: dict[str, float] = {}
        # Called with (pages done, pages in all) while rendering a full build.
        self.progress: Callable[[int, int], None] | None = None
        # Outputs whose bytes equal the previous output's (incremental builds).
        self.unchanged: set[str] = set()
        # A first build's staging folder, filled while rendering (write.py).
        self.staged: StagedOutput | None = None

    @property
    def book(self) -> PageBook | None:
        """The pages of the last render, for the manifest."""
        return self._book

    def forget(self, paths: Iterable[Path]) -> None:
        """Files known to have changed (from a watcher): never reuse them."""
        changed = [Path(p).absolute() for p in paths]
        if self._records is not None:
            self._records.forget(changed)
        themes = self.options.source.absolute() / "themes"
        if any(p.is_relative_to(themes) for p in changed):
            self._env = None  # a template may have changed: recompile to be sure

    def render(
        self,
        output_check: OutputCheck | None = None,
        previous_output: Callable[[Site], Path | None] | None = None,
        stage: Callable[[Site], StagedOutput | None] | None = None,
    ) -> RenderedSite:
        """Every stage but write; raises BuildFailed with all problems found.

        Stages go on past errors (using only the valid content) so that one
        run reports content, URL, output-folder and template problems alike.
        `output_check` adds problems about where the build would be written.
        `previous_output` finds the last build's output folder (command-line
        builds keep pages there). `stage` may give a staging folder to write
        pages into as they are rendered (`self.staged`); the caller must use
        it up or discard it.
        """
        root = self.options.source.resolve()
        problems = Problems(root)
        clock = _StageClock()
        self.timings = clock.seconds
        try:
            return self._render(root, problems, clock, output_check, previous_output, stage)
        finally:
            self._ahead.close()

    def _render(
        self,
        root: Path,
        problems: Problems,
        clock: _StageClock,
        output_check: OutputCheck | None,
        previous_output: Callable[[Site], Path | None] | None,
        stage: Callable[[Site], StagedOutput | None] | None,
    ) -> RenderedSite:
        site, public, routes = self._plan(root, problems, output_check, clock)
        env, keys = self._environment(template_dirs(root, site.config.theme, problems), public.base_url, root)
        records = self.options.cache and self.options.cache_write
        # Asked even when no page is kept: finding the last output first
        # finishes a write a killed build left half done.
        found = previous_output(site) if previous_output is not None else None
        old = found if records else None
        untouched = self._untouched(old) if old is not None and self._untouched is not None else None
        book = self._page_book(public, problems, records, old)
        self.staged = stage(site) if stage is not None and not problems.has_errors() else None
        self._ahead.finish()
        pages = render_pages(
            routes.pages, env, problems, keys, public, book, self.options.jobs or default_jobs(), self.progress,
            on_page=self.staged.add if self.staged is not None else None,
            holds=self._holds(old, untouched),
            look=self._look(untouched),
        )
        if self._fragment_links and not problems.has_errors():
            check_fragments(root, self._fragment_links, pages.files, found, problems)
        clock.lap("render")
        if not problems.has_errors() and self.options.cache_write:
            self._encode_images(problems)
            clock.lap("images")
        if problems.has_errors():
            raise BuildFailed(problems)
        self._book = book
        self.unchanged = pages.unchanged
        total = len(pages.files) + len(pages.kept)
        self.stats = RenderStats(rendered=total - len(pages.unchanged), reused=len(pages.unchanged))
        if self._cache is not None and self.options.cache_write:
            self._cache.save()  # only a build that succeeded leaves anything in the cache
        if self._survey is not None:
            self._survey.save()
        return RenderedSite(site, public, routes, pages.files, problems.warnings, dict(clock.seconds), pages.kept)

    def _plan(
        self, root: Path, problems: Problems, output_check: OutputCheck | None, clock: _StageClock
    ) -> tuple[Site, PublicSite, RouteMap]:
        """load -> model -> public view -> routes, going on past errors."""
        options = self.options
        now = build_moment(options)
        parsed = self._cache.parsed if self._cache is not None else None
        records = load_site(root, problems, self._records, parsed)
        if self._cache is not None and self._cache.unusable is not None:
            problems.warning(
                cache_folder(root), 0,
                f"cannot read the build cache ({self._cache.unusable}): building without it; "
                "fix its permissions or delete it",
            )
        clock.lap("load")
        if not (root / "content").is_dir():
            raise BuildFailed(problems)
        # Bodies the cache does not hold are converted by workers meanwhile.
        self._ahead = ConvertAhead(
            (r.body for r in (*records.posts, *records.pages, *records.products, *records.capabilities)),
            options.jobs or default_jobs(),
        )
        site = build_model(records, problems, now.date(), options.base_url, self._model_memo)
        if output_check is not None:
            output_check(site, problems)
        clock.lap("model")
        static_root = root / "content" / "static"
        images = survey(static_root, site.static_files, self._survey_index(root), problems)
        _check_image_references(records, images, site.config.base_url, problems)
        public = build_public_site(
            site, now, include_drafts=options.drafts, include_future=options.future, memo=self._public_memo,
            images=images.facts,
        )
        clock.lap("public view")
        sources, self._image_jobs = _static_sources(site, public, problems, images, self._image_folder(root))
        routes = plan_routes(public, sources, problems, self._route_memo)
        self._fragment_links = (
            check_written_links(root, records, site, public, routes, problems, now, options.drafts, options.future)
            if options.written_links else []
        )
        clock.lap("routes")
        return site, public, routes

    def _image_folder(self, root: Path) -> Path:
        """Where encoded images are kept: the build cache's images/, or a
        folder of this session's own when there is no cache to write."""
        if self._images_folder is None:
            if not self.options.cache_write or self._cache_usable(root):
                # (`check` writes nothing: the names are all it needs.)
                self._images_folder = cache_folder(root) / "images"
            else:
                self._images_folder = Path(tempfile.mkdtemp(prefix="sitegen-images-"))
                self._temporary_images = True
        return self._images_folder

    def _cache_usable(self, root: Path) -> bool:
        """Whether images may be kept in the build cache: it is wanted, and
        neither it nor its images/ is a link or anything but a folder we can
        write (else a folder of this session's own is used)."""
        if not (self.options.cache and self.options.cache_write):
            return False
        folder = cache_folder(root)
        images = folder / "images"
        try:
            for path in (folder, images):
                if path.is_symlink() or (os.path.lexists(path) and not path.is_dir()):
                    return False
            # Nothing is created here: a build that fails leaves no cache.
            nearest = images if images.is_dir() else folder if folder.is_dir() else root
        except OSError:  # a cache folder we may not even look into
            return False
        return os.access(nearest, os.W_OK | os.X_OK)

    def close(self) -> None:
        """Remove what only this session needed (encoded images kept
        outside the cache, when there is none)."""
        if self._temporary_images and self._images_folder is not None:
            shutil.rmtree(self._images_folder, ignore_errors=True)
            self._images_folder = None
            self._temporary_images = False

    def _survey_index(self, root: Path) -> SurveyIndex:
        if self._survey is None:
            use = self._cache_usable(root)
            self._survey = SurveyIndex(cache_folder(root) / "images" / "survey.json" if use else None)
        return self._survey

    def _encode_images(self, problems: Problems) -> None:
        """Encode the image files this build publishes that are not encoded
        yet, and let go of those it no longer uses."""
        folder = self._image_folder(self.options.source.resolve())
        try:
            produce(self._image_jobs, folder)
            prune(folder, self._image_jobs)
        except ImageFailed as failed:
            problems.error(failed.source, 0, failed.message)
        except OSError as exc:
            problems.error(folder, 0, f"cannot write encoded images: {exc.strerror or exc}; `sitegen clean` empties the cache")

    def _page_book(self, public: PublicSite, problems: Problems, records: bool, old: Path | None) -> PageBook | None:
        """The book the one rule reads (see incremental/pages.py): the last
        render's (the preview), the manifest's (a command-line build that
        finds its last output), or a fresh one to record this build's pages
        (`records`: a command-line build that keeps a manifest). None when
        nothing is kept: content errors (every page is rendered, to find
        every template problem), `check`, or a build without cache."""
        if problems.has_errors():
            return None
        salt = f"{public.base_url}|{self.options.drafts}|{self.options.future}"
        if self._remember:
            if self._book is None or self._book.salt != salt:
                self._book = PageBook(salt, in_memory=True)
            return self._book
        if not records:
            return None
        if old is not None and self._manifest is not None:
            return PageBook.from_json(self._manifest.get("book"), salt)
        return PageBook(salt, in_memory=False)

    def _look(self, untouched: Callable[[str], bool] | None) -> Callable[[list[str]], None]:
        """Check the signatures of these last-output files now (`holds`
        then has the answers): done while workers compare the pages."""

        def look(outputs: list[str]) -> None:
            if untouched is not None:
                for output in outputs:
                    untouched(output)

        return look

    def _holds(self, old: Path | None, untouched: Callable[[str], bool] | None) -> Callable[[str, str], bool] | None:
        """Whether the last output folder still holds a page's bytes: by the
        manifest's signature when the file is as the last build left it
        (`untouched`), else by reading it."""
        if old is None:
            return None

        def holds(output: str, sha: str) -> bool:
            if untouched is not None and untouched(output):
                return True
            try:
                with open_regular(f"{old}/{output}") as handle:
                    return bytes_hash(handle.read()) == sha
            except OSError:
                return False

        return holds

    def _environment(
        self, folders: list[Path], base_url: str, root: Path
    ) -> tuple[jinja2.Environment, TemplateKeys]:
        """The Jinja environment, rebuilt only when a template file changed."""
        signature = (base_url, *folders, *_folder_signature(folders))
        if self._env is None or self._template_keys is None or signature != self._env_signature:
            bytecode = self._cache.bytecode if self._cache else None
            self._env = make_environment(folders, base_url, bytecode, site_places(root))
            self._template_keys = TemplateKeys(self._env)
            self._env_signature = signature
        return self._env, self._template_keys


def _folder_signature(folders: list[Path]) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            try:
                stat = path.stat()
            except OSError:
                continue
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return found


def _check_image_references(records: Records, images: Survey, base_url: str, problems: Problems) -> None:
    """An image key naming a file of content/static/ that cannot be used
    is an error at that key's line too."""
    if not images.problems:
        return
    for kind, keys in IMAGE_KEYS.items():
        found = getattr(records, kind)
        for record in found if isinstance(found, list) else [found]:
            if record is None:
                continue
            for key in keys:
                value = record.data.get(key)
                name = static_key(value, base_url, fold=False) if isinstance(value, str) else None
                failed = images.problems.get(name) if name is not None else None
                if failed is not None:
                    problems.error(
                        record.path, record.data.line_of(key), f"'{key}' names {value.strip()}, which {failed.message}"
                    )


def _static_sources(
    site: Site, public: PublicSite, problems: Problems, images: Survey, image_folder: Path
) -> tuple[list[tuple[Path, str, str]], list[ImageJob]]:
    """(file, output path, origin) in precedence order: content first, then
    theme; and the image files to encode. A raster image of content/static/
    is published only re-encoded (view/pictures.py): its own URL serves a
    copy of its pixels, and the sizes its pictures use are added."""
    sources: list[tuple[Path, str, str]] = []
    jobs: list[ImageJob] = []
    content_static = site.root / "content" / "static"
    for path in publishable_static_files(site, public):
        relative = path.relative_to(content_static).as_posix()
        if relative in images.problems:
            continue  # it cannot be read as an image: an error already says so
        facts = images.facts.get(relative)  # (the survey found the raster files)
        if facts is not None:
            copy = own_copy(relative, facts)
            jobs.append(ImageJob(copy, path))
            sources.append((cache_file(image_folder, copy), relative, problems.display_path(path)))
            continue
        sources.append((path, relative, problems.display_path(path)))
    for derivative in public.image_files:
        path = content_static / derivative.source
        jobs.append(ImageJob(derivative, path))
        sources.append((cache_file(image_folder, derivative), derivative.output, problems.display_path(path)))
    inside = site_places(site.root)
    for folder in static_dirs(site.root, site.config.theme, problems):
        builtin = folder.is_relative_to(BUILTIN_THEME)
        for path in sorted(folder.rglob("*")):
            relative_path = path.relative_to(folder)
            if not path.is_file() or any(p.startswith(".") for p in relative_path.parts):
                continue
            target = None if builtin else outside(path, inside)
            if target is not None:
                problems.error(problems.display_path(path), 0, OUTSIDE.format(target=target))
                continue
            origin = f"the built-in theme's {relative_path.as_posix()}" if builtin else problems.display_path(path)
            sources.append((path, relative_path.as_posix(), origin))
    return sources, jobs


