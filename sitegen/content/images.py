"""The site's photos: what each raster image in content/static/ is.

An owner's phone photo is 4000×3000 pixels, several megabytes, turned by an
EXIF flag rather than in its pixels, and carries where and with what it was
taken (GPS, device). sitegen never publishes such a file as it is: every
raster image under content/static/ is re-encoded from its pixels alone
(render/images.py), at the sizes pages need. This module only *reads*: for
each raster file its digest, its size as shown (after the EXIF rotation),
its format and whether it has transparency (`ImageFacts`), or the problem
that stops it from being used (not an image, too large, damaged).

Reading a photo's header is cheap; its digest needs every byte. Both are
kept in the build cache (`SurveyIndex`) by the file's path, size, time and
inode, so an unchanged photo is not read again.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Iterable

from ..errors import Problems
from ..files import open_regular

RASTER_SUFFIXES = frozenset({
    ".jpg", ".jpeg", ".jpe", ".jfif", ".pjpeg", ".pjp", ".png", ".apng", ".webp", ".gif", ".tif", ".tiff", ".bmp",
    ".heic", ".heif", ".avif", ".jxl", ".mpo",
})
# Files that are certainly no photos are not opened to look; any other
# file is, since a photo may have any name ("IMG_0042", "photo.jpg.").
_NOT_RASTER = frozenset({
    ".svg", ".css", ".js", ".mjs", ".json", ".map", ".txt", ".md", ".html", ".htm", ".xml", ".pdf", ".ico",
    ".woff", ".woff2", ".ttf", ".otf", ".eot", ".webmanifest", ".csv", ".zip", ".mp4", ".webm", ".mp3",
    ".ogg", ".wav", ".vtt", ".gpx", ".kml", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt",
})
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"II*\x00", b"MM\x00*", b"BM")
# Larger images are refused: decoding 50 million pixels takes ~200 MB; a
# "photo" of more is a mistake or an attack (a decompression bomb).
MAX_PIXELS = 50_000_000
# Bump when what the survey records changes: older index entries are dropped.
SURVEY_VERSION = 2


def is_raster(path: Path | str) -> bool:
    """Whether a static file is a photo or bitmap: by its name, else (a
    name that says nothing certain) by its first bytes."""
    suffix = os.path.splitext(str(path).rstrip(" ."))[1].lower()
    if suffix in RASTER_SUFFIXES:
        return True
    if suffix in _NOT_RASTER:
        return False
    try:
        with open_regular(path) as handle:
            head = handle.read(16)
    except OSError:
        return False
    return head.startswith(_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP") or head[4:8] == b"ftyp"


@dataclass(frozen=True)
class ImageFacts:
    """One raster image as pages show it."""

    digest: str  # of the file's bytes
    width: int  # after the EXIF rotation
    height: int
    format: str  # Pillow's name: JPEG, PNG, WEBP, GIF, TIFF, BMP
    alpha: bool  # has transparency (kept: encoded as PNG and WebP, never JPEG)
    path: str = ""  # under content/static/, as written (set by `survey`)


@dataclass(frozen=True)
class ImageProblem:
    """Why a raster file cannot be used, for messages at its references."""

    message: str


def _read(path: Path) -> ImageFacts | ImageProblem:
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with open_regular(path) as handle:
            data = handle.read()
    except OSError as exc:
        return ImageProblem(f"cannot read file: {exc.strerror or exc}")
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    return _too_large(width, height)
                orientation = image.getexif().get(0x0112, 1)
                image_format = image.format or "PNG"
                alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
                # Decoded once (a JPEG at an eighth of its size) so that a
                # damaged file is found here, at its path, not while encoding.
                image.draft(None, (max(1, width // 8), max(1, height // 8)))
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return ImageProblem(f"is over {MAX_PIXELS // 1_000_000} megapixels: make it smaller before adding it")
    except UnidentifiedImageError:
        return ImageProblem(
            "is not an image sitegen can read: save it as JPEG, PNG or WebP (HEIC and AVIF photos too)"
        )
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        return ImageProblem(f"is a damaged image ({exc}): export it again")
    if orientation in (5, 6, 7, 8):  # turned a quarter: shown with width and height swapped
        width, height = height, width
    return ImageFacts(digest, width, height, image_format, alpha)


def _too_large(width: int, height: int) -> ImageProblem:
    return ImageProblem(
        f"is {width}×{height} pixels, over {MAX_PIXELS // 1_000_000} megapixels: make it smaller before adding it"
    )


class SurveyIndex:
    """The survey's memory between builds: a JSON file in the build cache,
    entries by path and checked by size, time and inode."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        self.changed = False
        if path is not None:
            try:
                with open_regular(path) as handle:
                    data = json.loads(handle.read().decode("utf-8"))
                if isinstance(data, dict) and data.get("version") == SURVEY_VERSION:
                    entries = data.get("entries")
                    self.entries = entries if isinstance(entries, dict) else {}
            except (OSError, ValueError, RecursionError):  # damaged: surveyed afresh
                self.entries = {}

    def facts(self, file: Path) -> ImageFacts | ImageProblem:
        try:
            stat = file.stat()
        except OSError as exc:
            return ImageProblem(f"cannot read file: {exc.strerror or exc}")
        signature = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
        key = str(file)
        entry = self.entries.get(key)
        if isinstance(entry, dict) and entry.get("signature") == signature:
            found = _from_entry(entry)
            if found is not None:
                return found
        found = _read(file)
        self.entries[key] = {"signature": signature, **_to_entry(found)}
        self.changed = True
        return found

    def keep_only(self, used: Iterable[Path]) -> None:
        """Let go of the entries of files no longer there."""
        keep = {str(p) for p in used}
        if set(self.entries) - keep:
            self.entries = {k: v for k, v in self.entries.items() if k in keep}
            self.changed = True

    def save(self) -> None:
        """Write the index when anything changed (after a build that succeeded)."""
        if self.path is None or not self.changed:
            return
        text = json.dumps({"version": SURVEY_VERSION, "entries": self.entries}, sort_keys=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(self.path.name + ".tmp")
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, self.path)
            self.changed = False
        except OSError:
            pass  # a cache that cannot be written is only slower next time


def _to_entry(found: ImageFacts | ImageProblem) -> dict[str, Any]:
    if isinstance(found, ImageProblem):
        return {"problem": found.message}
    facts = asdict(found)
    facts.pop("path")
    return {"facts": facts}


def _from_entry(entry: dict[str, Any]) -> ImageFacts | ImageProblem | None:
    try:
        if "problem" in entry:
            return ImageProblem(str(entry["problem"]))
        facts = entry["facts"]
        found = ImageFacts(
            digest=str(facts["digest"]),
            width=int(facts["width"]),
            height=int(facts["height"]),
            format=str(facts["format"]),
            alpha=bool(facts["alpha"]),
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if found.width < 1 or found.height < 1 or found.width * found.height > MAX_PIXELS:
        return None
    return found


@dataclass
class Survey:
    """The raster files of content/static/ by their path relative to it,
    as written (`view.public.static_key(..., fold=False)`)."""

    facts: dict[str, ImageFacts]
    problems: dict[str, ImageProblem]


# Keys that name an image, by kind of record (load.Records' attributes).
IMAGE_KEYS = {"site": ("favicon", "social_image"), "business": ("logo",), "partners": ("logo",),
              "products": ("image",), "posts": ("image",)}


def survey(
    static_root: Path, files: Iterable[Path], index: SurveyIndex, problems: Problems,
) -> Survey:
    """Facts of every raster file among `files` (under `static_root`);
    each file that cannot be used is an error at that file."""
    found: dict[str, ImageFacts] = {}
    failed: dict[str, ImageProblem] = {}
    used: list[Path] = []
    for file in files:
        if not is_raster(file):
            continue
        used.append(file)
        facts = index.facts(file)
        relative = file.relative_to(static_root).as_posix()
        if isinstance(facts, ImageProblem):
            problems.error(file, 0, f"this file {facts.message}")
            failed[relative] = facts
            continue
        found[relative] = replace(facts, path=relative)
    index.keep_only(used)
    return Survey(found, failed)
