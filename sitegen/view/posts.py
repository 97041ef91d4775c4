"""The published posts and their terms: which posts are shown, in what
order, under which term names.

`_visibility`, `_term_names` and `newest_first_key` are the only places
that decide visibility, term names and order; the preview's memo
(memo.py) keys its shortcuts on these very functions.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from datetime import datetime
from itertools import chain
from typing import Callable, Iterable, TYPE_CHECKING

from ..content.markup import body_facts
from ..content.model import Post, Site
from ..content.slugs import term_slug
from ..incremental.cache import made
from .objects import PublicPost, RichText, Taxonomy, Term, TermLink
from .pictures import BodyImages, Picture
from .published import publish

if TYPE_CHECKING:
    from .memo import PublicMemo

WORDS_PER_MINUTE = 220


def visibility(post: Post, now: datetime, include_drafts: bool, include_future: bool) -> tuple[bool, bool]:
    """(shown, future): whether the build shows `post`, and whether it is
    dated after `now`."""
    future = post.date > now
    return not ((post.draft and not include_drafts) or (future and not include_future)), future


def left_out(posts: Iterable[Post], now: datetime, include_drafts: bool, include_future: bool) -> str | None:
    """What the build summary says of the posts it did not publish:
    "2 drafts not published (--drafts shows them)", and the future ones."""
    drafts = future = 0
    for post in posts:
        if visibility(post, now, include_drafts, include_future)[0]:
            continue
        if post.draft and not include_drafts:
            drafts += 1
        else:
            future += 1
    said = []
    if drafts:
        said.append(f"{drafts} draft{'s' if drafts != 1 else ''} not published "
                    f"(--drafts shows {'them' if drafts != 1 else 'it'})")
    if future:
        said.append(f"{future} post{'s' if future != 1 else ''} dated in the future not published yet "
                    f"(--future shows {'them' if future != 1 else 'it'})")
    return "; ".join(said) or None


def term_names(post: Post) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names a post gives its terms (they decide the terms' displayed names)."""
    return post.tags, post.categories


def _visible_posts(
    site: Site, now: datetime, include_drafts: bool, include_future: bool
) -> list[tuple[Post, bool]]:
    visible = []
    for post in site.posts:
        shown, future = visibility(post, now, include_drafts, include_future)
        if shown:
            visible.append((post, future))
    return visible


def _canonical_names(names: Iterable[str]) -> dict[str, str]:
    """Term slug -> its displayed name: the spelling used most often (ties:
    the first in sorted order), so output does not depend on file order.
    `C++` and `c++` are one term."""
    best: dict[str, tuple[int, str]] = {}
    for name, count in Counter(names).items():
        slug = term_slug(name)
        current = best.get(slug)
        if current is None or (-count, name) < (-current[0], current[1]):
            best[slug] = (count, name)
    return {slug: name for slug, (_, name) in best.items()}


@functools.lru_cache(maxsize=65536)
def _term_links_for(taxonomy: str, names: tuple[str, ...], shown: tuple[str, ...]) -> tuple[TermLink, ...]:
    canonical = {term_slug(n): s for n, s in zip(names, shown)}
    links: dict[str, TermLink] = {}
    for name in names:
        slug = term_slug(name)
        if slug not in links:
            links[slug] = TermLink(taxonomy, canonical[slug], slug, f"/{taxonomy}/{slug}/")
    return tuple(links.values())


def public_posts(
    site: Site,
    now: datetime,
    include_drafts: bool,
    include_future: bool,
    memo: PublicMemo | None,
    pictures: Callable[[str | None], Picture | None] = lambda ref: None,
    images: object = None,
    body_pictures: Callable[[str], BodyImages | None] = lambda source: None,
) -> tuple[PublicPost, ...]:
    """The posts shown at `now`, newest first. `pictures` makes a cover's
    Picture, `body_pictures` those of the photos a body shows; `images` is
    what pictures are made from (the memo starts afresh when it changes)."""
    def maker(tag_names: dict[str, str], category_names: dict[str, str]) -> Callable[[Post, bool], PublicPost]:
        def make(post: Post, future: bool) -> PublicPost:
            # The post's own displayed term names are inputs of the call, not
            # the whole maps: a new tag elsewhere leaves this post as it was.
            return made(
                _public_post, post, future, _shown_names(post.tags, tag_names),
                _shown_names(post.categories, category_names), pictures(post.image), body_pictures(post.body),
            )

        return make

    if memo is not None:
        # Pictures are made from the image facts and the site's address
        # (a body may name a photo by its full URL): either changed, no
        # post is kept.
        memo.note_images((images, site.config.base_url))
        kept = memo.posts_in_place(site.posts, now, (include_drafts, include_future), maker)
        if kept is not None:
            return kept
    visible = _visible_posts(site, now, include_drafts, include_future)
    tag_names = _canonical_names(chain.from_iterable([term_names(post)[0] for post, _ in visible]))
    category_names = _canonical_names(chain.from_iterable([term_names(post)[1] for post, _ in visible]))
    if memo is not None:
        tag_names = memo.names("tags", tag_names)
        category_names = memo.names("categories", category_names)
    make = maker(tag_names, category_names)

    posts = [make(post, future) for post, future in visible] if memo is None else memo.posts(visible, make)
    posts.sort(key=newest_first_key, reverse=True)
    found = tuple(posts)
    if memo is not None:
        memo.note_posts(site.posts, now, (include_drafts, include_future), found, (tag_names, category_names))
    return found


def _shown_names(names: tuple[str, ...], canonical: dict[str, str]) -> tuple[str, ...]:
    """The displayed name of each of `names` (see `_canonical_names`)."""
    return tuple([canonical[term_slug(name)] for name in names])


def _public_post(
    post: Post, future: bool, tag_names: tuple[str, ...], category_names: tuple[str, ...], image: Picture | None,
    body_images: BodyImages | None = None,
) -> PublicPost:
    """`post` as published; `tag_names` and `category_names` are the
    displayed names of its tags and categories (see `_shown_names`);
    `image` is its cover, `body_images` what its body shows."""
    words, first_paragraph = body_facts(post.body, paragraph=not post.summary)
    return publish(
        PublicPost,
        post,
        slug=post.slug,
        url=f"/blog/{post.slug}/",
        summary=post.summary or first_paragraph,
        future=future,
        body=RichText(post.body, post.source.path, *((body_images.pictures, body_images.origins) if body_images else ())),
        tags=_term_links_for("tags", post.tags, tag_names),
        categories=_term_links_for("categories", post.categories, category_names),
        reading_minutes=max(1, math.ceil(words / WORDS_PER_MINUTE)),
        source_path=post.source.path,
        image=image,
    )


def newest_first_key(post: PublicPost) -> tuple[datetime, str]:
    return (post.date, post.slug)


def tags_of(post: PublicPost) -> tuple[TermLink, ...]:
    return post.tags


def categories_of(post: PublicPost) -> tuple[TermLink, ...]:
    return post.categories


def taxonomy(
    name: str,
    title: str,
    posts: tuple[PublicPost, ...],
    links_of: Callable[[PublicPost], tuple[TermLink, ...]],
) -> Taxonomy:
    """The terms of one taxonomy, each with its posts (newest first)."""
    members: dict[str, list[PublicPost]] = {}
    shown: dict[str, str] = {}
    for post in posts:
        for link in links_of(post):
            found = members.get(link.slug)
            if found is None:
                found = members[link.slug] = []
                shown[link.slug] = link.name
            found.append(post)
    terms = [
        Term(taxonomy=name, name=shown[slug], slug=slug, url=f"/{name}/{slug}/", posts=tuple(found))
        for slug, found in members.items()
    ]
    terms.sort(key=lambda t: (t.name.casefold(), t.slug))
    return Taxonomy(name=name, title=title, url=f"/{name}/", terms=tuple(terms))
