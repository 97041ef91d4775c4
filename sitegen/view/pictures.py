"""Pictures as pages show them: a photo's sizes, formats and social card.

Every raster image the site uses is published only as files re-encoded
from its pixels (render/images.py encodes them): WebP and a fallback in the
source's own kind (JPEG, or PNG for transparency) at a few widths, never
wider than the source, and a 1200×630 social card. The file's own URL
(`/images/soup.jpg`) serves a copy re-encoded the same way, at most
`ORIGINAL_MAX` wide, so links to it keep working and nothing of the file
but its pixels (no EXIF, GPS, XMP or comments) is ever published.

File names carry a digest of the source and of these settings, so a
changed photo or setting gets new URLs and no browser keeps a stale copy.
This module decides names and sizes only; it reads and writes nothing.
"""

from __future__ import annotations

import html

import hashlib
import posixpath
import re
from dataclasses import dataclass

from ..content.images import ImageFacts
from ..content.markup import Spans, comment_spans, hidden_spans

WIDTHS = (480, 960, 1600)  # srcset widths, each only when the source is wider
ORIGINAL_MAX = 2560  # the copy at the file's own URL
SOCIAL = (1200, 630)  # og:image / twitter:image (the size those sites ask for)
QUALITY = {"JPEG": 82, "WEBP": 80}
# Part of every derived file's name: change it when encoding changes.
PIPELINE = "2"
OUTPUT_FOLDER = "_img"
_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif",
         "TIFF": "image/tiff", "BMP": "image/bmp"}
_SUFFIX = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# The icons a raster favicon gives: (output path, square side, format).
FAVICONS = (("favicon.ico", 64, "ICO"), ("favicon-192.png", 192, "PNG"), ("apple-touch-icon.png", 180, "PNG"))


@dataclass(frozen=True)
class Derivative:
    """One file encoded from a source image."""

    output: str  # output path relative to the output folder
    source: str  # the source's path under content/static/ (as written)
    digest: str  # the source's
    width: int
    height: int
    format: str  # JPEG, PNG, WEBP (or the source's own, for its own URL)
    crop: bool = False  # cover the box exactly (the social card), else fit the width

    @property
    def key(self) -> str:
        """What the encoded bytes depend on: the name of the cache file."""
        text = "|".join((PIPELINE, self.digest, str(self.width), str(self.height), self.format, str(self.crop),
                         str(QUALITY.get(self.format, 0))))
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class Picture:
    """An image reference as templates use it. Printed, it is the URL of
    the image (`<img src="{{ product.image }}">` keeps working); a raster
    image also has its sizes (`srcset`, `webp_srcset`), its shown `width`
    and `height` and its social card. SVG files and images on other sites
    have only `src` (their `width` is None)."""

    ref: str  # as written in the content
    src: str
    width: int | None = None
    height: int | None = None
    srcset: str = ""
    webp_srcset: str = ""
    type: str = ""
    social: str | None = None  # the 1200×630 card (raster sources only)

    @property
    def raster(self) -> bool:
        return self.width is not None

    def __str__(self) -> str:
        return self.src


def fallback_format(facts: ImageFacts) -> str:
    """The format of the sizes older browsers get: JPEG, or PNG for images
    with transparency (and PNG sources, often drawings and logos)."""
    return "PNG" if facts.alpha or facts.format == "PNG" else "JPEG"


# WebP's limit on either side; no picture file is larger than this.
MAX_SIDE = 16383


def _scaled(facts: ImageFacts, width: int) -> tuple[int, int]:
    """`width` (at most the source's), and the height that keeps the
    proportions; both at most MAX_SIDE (a very tall screenshot narrows)."""
    wide: float = min(width, facts.width)
    high: float = facts.height * wide / facts.width
    if high > MAX_SIDE:
        wide, high = wide * MAX_SIDE / high, MAX_SIDE
    return max(1, round(wide)), max(1, round(high))


def _name(source: str, digest: str, label: str, image_format: str) -> str:
    """A derived file's name: the source's name made safe for URLs and
    srcset (no spaces or commas), a label and the source's digest."""
    stem = posixpath.splitext(posixpath.basename(source.rstrip(" .")))[0]
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:60] or "image"
    return f"{OUTPUT_FOLDER}/{stem}-{label}-{digest[:10]}.{_SUFFIX[image_format]}"


def sizes_of(facts: ImageFacts) -> tuple[int, ...]:
    """The srcset widths for a source: each of WIDTHS it is wider than, and
    its own width when it is narrower than the largest (never upscaled)."""
    found = [w for w in WIDTHS if w < facts.width]
    if facts.width <= WIDTHS[-1]:
        found.append(facts.width)
    else:
        found.append(WIDTHS[-1])
    return tuple(sorted(set(found)))


def picture(ref: str, source: str, facts: ImageFacts, card: bool = True) -> tuple[Picture, tuple[Derivative, ...]]:
    """The picture of a raster image at `source` (its path under
    content/static/) and the files it needs; `card=False` leaves out the
    social card (an image inside a text is never a page's shared picture)."""
    made: list[Derivative] = []
    fallback = fallback_format(facts)
    srcsets: dict[str, list[str]] = {"WEBP": [], fallback: []}
    seen: set[int] = set()
    for width in sizes_of(facts):
        w, h = _scaled(facts, width)
        if w in seen:
            continue
        seen.add(w)
        for image_format in ("WEBP", fallback):
            derivative = Derivative(_name(source, facts.digest, f"{w}w", image_format), source, facts.digest, w, h,
                                    image_format)
            made.append(derivative)
            srcsets[image_format].append(f"/{derivative.output} {w}w")
    largest = made[-1]  # the fallback at the largest width
    social = None
    if card:
        shared = Derivative(_name(source, facts.digest, "card", "JPEG"), source, facts.digest, *SOCIAL, "JPEG", crop=True)
        made.append(shared)
        social = "/" + shared.output
    shown_w, shown_h = _scaled(facts, WIDTHS[-1])
    found = Picture(
        ref=ref,
        src="/" + largest.output,
        width=shown_w,
        height=shown_h,
        srcset=", ".join(srcsets[fallback]),
        webp_srcset=", ".join(srcsets["WEBP"]),
        type=_MIME[fallback],
        social=social,
    )
    return found, tuple(made)


# The format a file's own URL is served in, by its name's ending.
_BY_SUFFIX = {"jpg": "JPEG", "jpeg": "JPEG", "jpe": "JPEG", "jfif": "JPEG", "pjpeg": "JPEG", "pjp": "JPEG",
              "mpo": "JPEG", "png": "PNG", "apng": "PNG", "webp": "WEBP", "gif": "GIF", "tif": "TIFF",
              "tiff": "TIFF", "bmp": "BMP"}


def own_copy(source: str, facts: ImageFacts) -> Derivative:
    """The copy served at the file's own URL: its pixels only, at most
    ORIGINAL_MAX wide, in the format its name says (a `.jpg` is a JPEG
    whatever the file held), else JPEG (PNG with transparency)."""
    w, h = _scaled(facts, ORIGINAL_MAX)
    suffix = posixpath.splitext(source.rstrip(" ."))[1].lstrip(".").lower()
    image_format = _BY_SUFFIX.get(suffix) or ("PNG" if facts.alpha else "JPEG")
    return Derivative(source, source, facts.digest, w, h, image_format)


def favicon_files(source: str, facts: ImageFacts) -> tuple[Derivative, ...]:
    """/favicon.ico, a 192 px PNG and the 180 px apple-touch-icon, each the
    image's centre cropped square."""
    return tuple(
        Derivative(output, source, facts.digest, side, side, image_format, crop=True)
        for output, side, image_format in FAVICONS
    )


def passthrough(ref: str) -> Picture:
    """An SVG, an image on another site, or a file sitegen does not have."""
    return Picture(ref=ref, src=ref)


# Images in a Markdown body: `![alt](/path)` and `<img src="/path">`.
# Each repetition stops at the next bracket or tag, so no text (a body of
# a million unclosed "<img" or "![") makes the search slower than linear.
# An <img> tag: quoted values may hold '>' (alt="before > after").
_TAG = r"""<img(?=[\s/>])(?:[^<>"']|"[^"<]{0,2000}"|'[^'<]{0,2000}'){0,4000}>"""
_BODY_IMAGE = re.compile(
    r"(?<!\\)!\[[^\[\]\n]{0,1000}\]\(\s{0,10}(?:<([^<>\n]{1,2000})>|([^\s)<>]{1,2000}))|(" + _TAG + ")"
    r"|(<source(?=[\s/>])[^<>]{0,4000}>)",
    re.IGNORECASE,
)
# ![alt][label] (or ![label][]) and the [label]: address it names.
_IMAGE_REFERENCE = re.compile(r"(?<!\\)!\[([^\[\]\n]{0,1000})\]\[([^\[\]\n]{0,1000})\]")
_DEFINITION = re.compile(r"^ {0,3}\[(?!\^)([^\]\n]{1,1000})\]:\s{0,10}(?:<([^<>\n]{1,2000})>|([^\s<>]{1,2000}))", re.MULTILINE)
_IMG_TAG = re.compile(_TAG, re.IGNORECASE)
_PICTURE_EDGE = re.compile(r"<(/?)picture(?=[\s>])", re.IGNORECASE)
_IMG_OPENING = re.compile(r"<img", re.IGNORECASE)


def may_show_image(text: str) -> bool:
    """Whether a text may show an image at all. Most do not, and every
    text of the site is asked on every build: plain substring tests first
    (a case-blind pattern over thousands of texts costs a quarter second)."""
    return "![" in text or ("<" in text and _IMG_OPENING.search(text) is not None)
_ATTRIBUTE = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
# A text column is at most about 46rem wide (site.css: --measure).
BODY_SIZES = "(min-width: 50rem) 46rem, 100vw"


@dataclass(frozen=True)
class BodyImages:
    """The images a Markdown text shows: the site's photos as pictures, by
    the address written, and the origins of other sites' images."""

    pictures: tuple[tuple[str, Picture], ...] = ()
    origins: tuple[str, ...] = ()



def body_image_refs(source: str) -> list[str]:
    """The image addresses a Markdown text shows in its prose (not in code
    or comments), in order, once each: `![alt](address)`, `![alt][label]`
    with its `[label]: address`, and `src`/`srcset` of `<img>` and
    `<source>` in raw HTML."""
    hidden = hidden_spans(source)
    found: dict[str, None] = {}
    for match in _BODY_IMAGE.finditer(source):
        if match.start() in hidden:
            continue
        written = match.group(1) or match.group(2)
        if written:
            found.setdefault(html.unescape(written), None)
            continue
        attributes = _attributes(match.group(3) or match.group(4).replace("<source", "<img ", 1))
        for ref in ([attributes["src"]] if "src" in attributes else []) + srcset_refs(attributes.get("srcset", "")):
            found.setdefault(ref, None)
    if "][" in source and "]:" in source:
        defined = {
            m.group(1).strip().lower(): m.group(2) or m.group(3)
            for m in _DEFINITION.finditer(source) if m.start() not in hidden
        }
        for match in _IMAGE_REFERENCE.finditer(source):
            label = (match.group(2) or match.group(1)).strip().lower()
            if label in defined and match.start() not in hidden:
                found.setdefault(html.unescape(defined[label]), None)
    return list(found)


def srcset_refs(srcset: str) -> list[str]:
    """The addresses of a `srcset`: "a.jpg 480w, b.jpg 960w" -> [a.jpg, b.jpg]."""
    return [words[0] for words in (part.split() for part in srcset.split(",")) if words]


def _attributes(tag: str) -> dict[str, str]:
    """The attributes of one `<img ...>` tag, names lower-cased, values unescaped."""
    attributes: dict[str, str] = {}
    for name, double, single, bare in _ATTRIBUTE.findall(tag[4:].rstrip(">").rstrip("/")):
        attributes.setdefault(name.lower(), html.unescape(double or single or bare))
    return attributes


def _inside_pictures(markup: str) -> list[tuple[int, int]]:
    """The spans of `<picture>` elements the author wrote (their images
    already choose their own sources)."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for edge in _PICTURE_EDGE.finditer(markup):
        if not edge.group(1):
            if depth == 0:
                start = edge.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                spans.append((start, edge.end()))
    if depth:
        spans.append((start, len(markup)))
    return spans


def responsive_images(markup: str, pictures: tuple[tuple[str, Picture], ...]) -> str:
    """`markup` with each `<img>` whose `src` is one of `pictures` made a
    `<picture>`: WebP and fallback sizes, its width and height, loaded
    lazily unless the author said otherwise. Other images, and images
    inside a `<picture>` the author wrote, are left as written."""
    by_src = dict(pictures)
    authored = Spans((_inside_pictures(markup) if "picture" in markup.lower() else []) + comment_spans(markup))

    def replace(match: re.Match[str]) -> str:
        tag = match.group(0)
        if match.start() in authored:
            return tag
        attributes = _attributes(tag)
        found = by_src.get(attributes.get("src", ""))
        if found is None or not found.raster:
            return tag
        attributes.setdefault("loading", "lazy")
        attributes.setdefault("decoding", "async")
        kept = "".join(
            f' {name}="{html.escape(value)}"' for name, value in attributes.items()
            if name not in ("src", "srcset", "sizes", "width", "height")
        )
        return (
            f'<picture><source type="image/webp" srcset="{html.escape(found.webp_srcset)}" sizes="{BODY_SIZES}">'
            f'<img src="{html.escape(found.src)}" srcset="{html.escape(found.srcset)}" sizes="{BODY_SIZES}" '
            f'width="{found.width}" height="{found.height}"{kept}></picture>'
        )

    return _IMG_TAG.sub(replace, markup)
