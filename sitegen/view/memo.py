"""The preview's memo of public objects, kept between rebuilds in one
process so that unchanged content gives the very same objects (pages that
show them then compare equal at the cost of an identity check).

Its shortcuts are keyed by the functions that decide what they skip:
posts.visibility, posts.term_names and posts.newest_first_key.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime
from typing import Any, Callable

from ..content.model import Post
from ..incremental.memo import Memo
from .objects import PublicPost, PublicSite, Taxonomy, TermLink
from .posts import newest_first_key, taxonomy, term_names, visibility

_SITE_PARTS = (
    "business",
    "forms",
    "menu",
    "pages",
    "products",
    "withdrawn_products",
    "resellers",
    "capabilities",
    "partners",
    "tag_index",
    "category_index",
    "tags",
    "categories",
)


class PublicMemo:
    """Public posts built from model posts that did not change, kept by a
    long-running process so that unchanged posts stay the *same objects*:
    pages showing them then compare equal at the cost of an identity check."""

    def __init__(self) -> None:
        self._built = Memo()  # public posts by (file, future)
        self._generation = object()
        self._site_parts: dict[str, object] = {}
        self._names: dict[str, dict[str, str]] = {}
        self._taxonomies: dict[str, tuple[tuple[PublicPost, ...], Taxonomy]] = {}
        self._last_posts: tuple[
            tuple[Post, ...], datetime, tuple[bool, bool], tuple[PublicPost, ...], tuple[dict[str, str], dict[str, str]]
        ] | None = None
        self._position: dict[int, int | None] = {}
        self._valid_until: datetime | None = None
        self._images: object = None

    def note_images(self, images: object) -> None:
        """Posts carry pictures made from the site's image facts: when
        those change (a photo replaced), no post is kept."""
        if images != self._images:
            self._images = images
            self._generation = object()
            self._last_posts = None

    def names(self, taxonomy: str, names: dict[str, str]) -> dict[str, str]:
        """The last build's term-name map when equal to this one; a new map
        starts a new generation of public posts (their term links change)."""
        old = self._names.get(taxonomy)
        if old is not None and old == names:
            return old
        self._names[taxonomy] = names
        self._generation = object()
        return names

    def posts(
        self, visible: list[tuple[Post, bool]], make: Callable[[Post, bool], PublicPost]
    ) -> list[PublicPost]:
        """The public post made last time from each equal model post, while
        the term-name maps (see `names`) stayed the same; else a new one."""
        found = [
            self._built.get((post.source.path, future), (post, self._generation), functools.partial(make, post, future))
            for post, future in visible
        ]
        self._built.finish()
        return found

    def note_posts(
        self,
        model_posts: tuple[Post, ...],
        now: datetime,
        flags: tuple[bool, bool],
        public: tuple[PublicPost, ...],
        names: tuple[dict[str, str], dict[str, str]],
    ) -> None:
        """Remember this build's posts, and the term-name maps they were
        made with, for `posts_in_place`."""
        by_source = {p.source_path: index for index, p in enumerate(public)}
        self._last_posts = (model_posts, now, flags, public, names)
        self._position = {id(p): by_source.get(p.source.path) for p in model_posts}
        later = [p.date for p in model_posts if p.date > now]
        self._valid_until = min(later) if later else None

    def posts_in_place(
        self,
        model_posts: tuple[Post, ...],
        now: datetime,
        flags: tuple[bool, bool],
        maker: Callable[[dict[str, str], dict[str, str]], Callable[[Post, bool], PublicPost]],
    ) -> tuple[PublicPost, ...] | None:
        """The last build's public posts with the replaced ones swapped in,
        when no replaced post changed what decides the list: whether it is
        shown (`visibility`), the names of its terms (`term_names`), its
        file, and its place in the order (`newest_first_key` of the public
        post). These are the very functions `public_posts` filters, names
        and sorts with, so a new field that changes any of them is seen
        here too. A replaced post is made by this build's `maker` (its
        pictures go to this build's picture book) with the term-name maps
        the kept ones were made with. None when the list must be made again."""
        if self._last_posts is None:
            return None
        old_posts, then, old_flags, public, names = self._last_posts
        make = maker(*names)
        if old_flags != flags or len(old_posts) != len(model_posts) or now < then:
            return None
        if self._valid_until is not None and now >= self._valid_until:
            return None
        kept = list(public)
        position = dict(self._position)
        for old, new in zip(old_posts, model_posts):
            if old is new:
                continue
            if (
                old.source.path != new.source.path
                or visibility(old, now, *flags) != visibility(new, now, *flags)
                or term_names(old) != term_names(new)
            ):
                return None
            at = position.pop(id(old))
            position[id(new)] = at
            if at is not None:  # shown: shown again, if at the same place
                future = kept[at].future
                made = make(new, future)
                if newest_first_key(made) != newest_first_key(kept[at]):
                    return None
                kept[at] = made
        for old, new in zip(old_posts, model_posts):
            if old is not new and (at := position.get(id(new))) is not None:
                self._built.put((new.source.path, kept[at].future), (new, self._generation), kept[at])
        found = tuple(kept)
        self._last_posts = (model_posts, now, flags, found, names)
        self._position = position
        return found

    def taxonomy(
        self,
        name: str,
        title: str,
        posts: tuple[PublicPost, ...],
        links_of: Callable[[PublicPost], tuple[TermLink, ...]],
    ) -> Taxonomy:
        """`_taxonomy(...)`, derived from the last build's when only a few
        posts were replaced in place, each keeping its terms: then every
        term keeps its posts in their order, the replaced ones swapped in."""
        found: Taxonomy | None = None
        last = self._taxonomies.get(name)
        if last is not None and len(last[0]) == len(posts):
            old_posts, old = last
            changed = [i for i, (a, b) in enumerate(zip(old_posts, posts)) if a is not b]
            if not changed:
                found = old
            elif all(links_of(old_posts[i]) == links_of(posts[i]) for i in changed):
                swap = {id(old_posts[i]): posts[i] for i in changed}
                touched = {link.slug for i in changed for link in links_of(posts[i])}
                found = replace(old, terms=tuple(
                    replace(term, posts=tuple(swap.get(id(p), p) for p in term.posts))
                    if term.slug in touched else term
                    for term in old.terms
                ))
        if found is None:
            found = taxonomy(name, title, posts, links_of)
        self._taxonomies[name] = (posts, found)
        return found

    def keep_unchanged(self, public: PublicSite) -> PublicSite:
        """The site with each part equal to the last build's replaced by that
        very object: one comparison here saves one per page later."""
        kept: dict[str, Any] = {}
        for name in _SITE_PARTS:
            value = getattr(public, name)
            old = self._site_parts.get(name)
            if old is not None and old is not value and old == value:
                kept[name] = old
            else:
                self._site_parts[name] = value
        return replace(public, **kept) if kept else public
