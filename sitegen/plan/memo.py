"""Page plans kept between the builds of a long-running process (the preview)."""

from __future__ import annotations

from typing import Callable

from ..view.objects import PublicPost, PublicSite
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
        self._plans: dict[str, tuple[tuple[object, ...], Route, tuple[object, ...]]] = {}
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
            self._plans = {}
            self.blog = None
            self.sitemap = None
            self.sitemap_of = {}

    def plan(self, url: str, inputs: tuple[object, ...], make: Callable[[tuple[object, ...]], Route]) -> Route:
        """The last build's route for `url` when its inputs are equal
        (identity first, element by element), else `make(inputs)`."""
        hit = self._plans.get(url)
        if hit is None or hit[0] != inputs:
            hit = self._plans[url] = (inputs, make(inputs), ())
        return hit[1]

    def reuse(self, url: str, parts: tuple[object, ...]) -> Route | None:
        """The last build's route for `url` if it was noted with these very
        `parts` (see `note`): the short way for the thousands of post and
        term pages of a big blog, skipping even the making of `inputs`."""
        hit = self._plans.get(url)
        if hit is None or hit[2] != parts or not parts:
            return None
        return hit[1]

    def note(self, url: str, parts: tuple[object, ...]) -> None:
        """Remember that `url`'s route follows from `parts` alone (given the
        site-wide facts `start` checks)."""
        inputs, route, _ = self._plans[url]
        self._plans[url] = (inputs, route, parts)

    def finish(self, pages: list[Route]) -> None:
        """Let go of the plans of pages that are gone (deleted posts)."""
        if len(self._plans) > len(pages):
            current = {route.url for route in pages}
            for url in [u for u in self._plans if u not in current]:
                del self._plans[url]
