"""Page plans kept between the builds of a long-running process (the preview)."""

from __future__ import annotations

from typing import Callable

from ..view.objects import PublicPost, PublicSite
from ..incremental.memo import Memo
from .pages import Route, SitemapEntry


class RouteMemo:
    """Page plans kept between the builds of a long-running process.

    Valid while the site-wide facts metadata uses (base URL, language, the
    business) are unchanged; per page, while everything it was planned from
    is the very same objects (the public view's memo keeps unchanged posts
    so). It also remembers the last list of outputs: while no page or static
    file was added, removed or moved, the URL clash checks cannot find
    anything new and are skipped.
    """

    def __init__(self) -> None:
        self._site_key: tuple[object, ...] = ()
        self._plans = Memo()  # each page's route by URL, from its inputs
        self._parts = Memo()  # the same, from a few parts (see `note`)
        # (posts, posts per page, each post's route by position): the short
        # way for a blog whose posts stayed in place (see _plan_blog).
        self.blog: tuple[tuple[PublicPost, ...], int, list[Route]] | None = None
        self.clash_free: list[tuple[str, str]] | None = None
        self.last_pages: list[Route] | None = None  # the pages `clash_free` was made from
        self.sitemap: tuple[SitemapEntry, ...] | None = None
        self.sitemap_of: dict[int, tuple[Route, SitemapEntry]] = {}

    def start(self, public: PublicSite) -> None:
        # Every public key of site.yaml (the schema says which) and the business.
        key = (public.shown, public.business)
        if key != self._site_key:
            self._site_key = key
            self._plans, self._parts = Memo(), Memo()
            self.blog = None
            self.sitemap = None
            self.sitemap_of = {}

    def plan(self, url: str, inputs: tuple[object, ...], make: Callable[[tuple[object, ...]], Route]) -> Route:
        """The last build's route for `url` when its inputs are equal
        (identity first, element by element), else `make(inputs)`."""
        return self._plans.get(url, inputs, lambda: make(inputs))

    def reuse(self, url: str, parts: tuple[object, ...]) -> Route | None:
        """The last build's route for `url` if it was noted with equal
        `parts` (see `note`): the short way for the thousands of post and
        term pages of a big blog, skipping even the making of `inputs`."""
        route: Route | None = self._parts.peek(url, parts) if parts else None
        if route is not None:
            self._plans.carry(url)
        return route

    def note(self, url: str, parts: tuple[object, ...], route: Route) -> None:
        """Remember that `url`'s route follows from `parts` alone (given the
        site-wide facts `start` checks)."""
        self._parts.put(url, parts, route)

    def finish(self) -> None:
        """Let go of the plans of pages that are gone (deleted posts)."""
        self._plans.finish()
        self._parts.finish()
