"""Stage 5 for pictures: encode each derived image file (view/pictures.py).

A derivative is made from the source's pixels alone: turned by its EXIF
orientation, converted to sRGB-compatible RGB(A) with its colour profile
kept, resized with Lanczos (never larger than the source), and saved with
no EXIF, GPS, XMP, IPTC or comments. Encoded files are kept in a folder
(the build cache's `images/`) under the name of their key, which digests
the source and every setting, so a rebuild encodes only what changed.
A file there is reused only while it has the very bytes it was written
with: its size and SHA-256 are recorded in the folder's `encoded.json` when
it is written and checked on every reuse (hashing a site's images costs a
fraction of reading them), so a damaged, truncated or replaced file, or one
without a record, is encoded again and never published. Files are written
to a temporary name and renamed, so a killed build never leaves half a
file to be reused.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..content.images import MAX_PIXELS
from ..files import open_regular
from ..view.pictures import QUALITY, Derivative

# The record of what each encoded file was written with (see above).
INDEX = "encoded.json"
_INDEX_VERSION = 1
_INDEX_MAX_BYTES = 64 * 1024 * 1024

_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif", "TIFF": ".tif", "BMP": ".bmp", "ICO": ".ico"}


@dataclass(frozen=True)
class ImageJob:
    derivative: Derivative
    source: Path  # the file under content/static/


class ImageFailed(Exception):
    """A source that cannot be encoded (read or decoded)."""

    def __init__(self, source: Path, message: str) -> None:
        super().__init__(message)
        self.source = source
        self.message = message


def cache_file(folder: Path, derivative: Derivative) -> Path:
    return folder / f"{derivative.key}{_SUFFIX[derivative.format]}"


def prune(folder: Path, jobs: Iterable[ImageJob], keep: Iterable[str] = ("survey.json", INDEX)) -> None:
    """Remove encoded files no job of this build uses (a replaced photo's
    old sizes), so the cache holds one site's worth of images."""
    used = {cache_file(folder, job.derivative).name for job in jobs} | set(keep)
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name not in used:
            try:
                (folder / name).unlink()
            except OSError:
                pass


def produce(jobs: Iterable[ImageJob], folder: Path) -> int:
    """Encode every job whose file is not in `folder` yet, or no longer as
    it was written; returns how many were encoded. Raises ImageFailed for a
    source that cannot be encoded. One source is decoded at a time (a site
    of a hundred 12-megapixel photos must not hold them all in memory)."""
    encoded = 0
    by_source: dict[Path, list[ImageJob]] = {}
    for job in jobs:
        by_source.setdefault(job.source, []).append(job)
    recorded = _load_index(folder)
    index = dict(recorded)
    try:
        for source, group in by_source.items():
            missing = [job for job in group if not _intact(cache_file(folder, job.derivative), index)]
            if not missing:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            image = _open(source)
            try:
                for job in missing:
                    try:
                        data = _encode(image, job.derivative)
                    except (OSError, ValueError, MemoryError) as exc:
                        raise ImageFailed(source, f"cannot encode this image ({exc}): export it again as JPEG or PNG")
                    target = cache_file(folder, job.derivative)
                    index.pop(target.name, None)
                    _store(folder, target, data)
                    index[target.name] = (len(data), hashlib.sha256(data).hexdigest())
                    encoded += 1
            finally:
                image.close()
    finally:
        used = {cache_file(folder, job.derivative).name for job in jobs}
        index = {name: entry for name, entry in index.items() if name in used}
        if index != recorded:
            _save_index(folder, index)
    return encoded


def _intact(target: Path, index: dict[str, tuple[int, str]]) -> bool:
    """Whether `target` holds the bytes it was written with: a regular file
    (never followed through a link, never a FIFO waited on) of the recorded
    size and SHA-256."""
    recorded = index.get(target.name)
    if recorded is None:
        return False
    size, digest = recorded
    try:
        descriptor = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size != size:
                return False
            signature = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns, digest)
            if _verified.get(str(target)) == signature:
                return True
            if hashlib.file_digest(handle, "sha256").hexdigest() != digest:
                return False
            _verified[str(target)] = signature
            return True
    except OSError:
        return False


# Files this process hashed and found intact, with their status then: a
# preview does not hash every photo again at each rebuild. Any write to a
# file changes its change time (which no tool can set back), so a file whose
# status is the same still has the bytes that were hashed.
_verified: dict[str, tuple[int, int, int, int, int, str]] = {}


def _load_index(folder: Path) -> dict[str, tuple[int, str]]:
    """The records of `folder`'s encoded files; none from a damaged index."""
    try:
        descriptor = os.open(folder / INDEX, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return {}
    try:
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > _INDEX_MAX_BYTES:
                return {}
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    files = data.get("files") if isinstance(data, dict) and data.get("version") == _INDEX_VERSION else None
    if not isinstance(files, dict):
        return {}
    return {
        name: (entry[0], entry[1])
        for name, entry in files.items()
        if isinstance(entry, list) and len(entry) == 2 and type(entry[0]) is int and isinstance(entry[1], str)
    }


def _save_index(folder: Path, index: dict[str, tuple[int, str]]) -> None:
    text = json.dumps({"version": _INDEX_VERSION, "files": index}, sort_keys=True)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _store(folder, folder / INDEX, text.encode("utf-8"))
    except OSError:
        pass  # without its record a file is only encoded again next time


def _store(folder: Path, target: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".encoding-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)  # (a damaged cache: our own folder, never a link)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _open(source: Path):  # type: ignore[no-untyped-def]
    """The source's pixels, upright, in RGB or RGBA, in sRGB."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with open_regular(source) as handle:
            data = handle.read()
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                opened.load()
                profile = opened.info.get("icc_profile")
                upright = ImageOps.exif_transpose(opened)
                if upright.mode in ("I;16", "I;16B", "I;16L", "I"):
                    # 16-bit grey: scaled to 8 bits, not clipped to white.
                    upright = upright.point(lambda value: value / 256).convert("L")
                has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
                image = upright.convert("RGBA" if has_alpha else "RGB")
                image = _to_srgb(image, profile, opened.mode)
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise ImageFailed(source, f"cannot encode this image ({exc}): export it again as JPEG or PNG") from None
    # Only the pixels go on: no EXIF (GPS, device), XMP, IPTC, comments or
    # colour profile (the pixels are in sRGB), whatever Pillow carried over.
    image.info.clear()
    return image


def _to_srgb(image, profile: bytes | None, mode: str):  # type: ignore[no-untyped-def]
    """The pixels in sRGB, converted from the photo's colour profile (a
    wide-gamut phone photo keeps its colours); as they are without one."""
    if not profile:
        return image
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        if source.profile.xcolor_space.strip() != "RGB" or mode not in ("RGB", "RGBA"):
            return image  # a CMYK or grey profile: Pillow's conversion to RGB was the best there is
        target = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(image, source, target, outputMode=image.mode)
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return image


def _encode(image, derivative: Derivative) -> bytes:  # type: ignore[no-untyped-def]
    from PIL import Image, ImageOps

    size = (derivative.width, derivative.height)
    if derivative.crop:
        shown = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    elif image.size != size:
        shown = image.resize(size, Image.Resampling.LANCZOS)
    else:
        shown = image.copy()
    image_format = derivative.format
    if image_format == "JPEG" and shown.mode != "RGB":
        background = Image.new("RGB", shown.size, (255, 255, 255))
        background.paste(shown, mask=shown.getchannel("A"))
        shown = background
    if image_format == "BMP" and shown.mode == "RGBA":
        shown = shown.convert("RGB")
    options: dict[str, object] = {}
    if image_format in QUALITY:
        options["quality"] = QUALITY[image_format]
    if image_format == "JPEG":
        options.update(optimize=True, progressive=True)
    if image_format == "PNG":
        options["optimize"] = True
    if image_format == "WEBP":
        options["method"] = 4
    if image_format == "ICO":
        side = derivative.width
        options["sizes"] = [(s, s) for s in (16, 32, 48, 64) if s <= side]
    if image_format == "TIFF":
        options["compression"] = "tiff_deflate"
    out = io.BytesIO()
    # No exif=, no xmp=, no comment=: Pillow writes none unless asked.
    shown.save(out, format=image_format, **options)
    return out.getvalue()
