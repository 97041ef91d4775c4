"""Photos as owners add them: straight from a phone, large, turned by an
EXIF flag and carrying GPS. Each test builds a real site."""

from __future__ import annotations

import io
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image, ImageDraw

PRODUCT = "content/products/widget.md"
POST = "content/posts/2026-05-01-harvest.md"
GPS_MARK = b"PhoneMaker Secret"


def phone_photo(width: int = 2400, height: int = 1800, orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: EXIF orientation, maker, GPS, a comment."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    ImageDraw.Draw(image).rectangle([0, 0, width // 2, height // 2], fill=(20, 80, 200))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = GPS_MARK.decode()
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=85, comment=b"taken at home")
    return out.getvalue()


def png(width: int, height: int, alpha: bool = False) -> bytes:
    image = Image.new("RGBA" if alpha else "RGB", (width, height), (10, 120, 90, 128) if alpha else (10, 120, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def photo_site(make_site, photo: bytes | None = None):
    site = make_site(
        {
            PRODUCT: "---\ntitle: Widget\nrequires: [design]\nimage: /images/photo.jpg\n---\nA widget.\n",
            POST: "---\ntitle: Harvest\ndate: 2026-05-01\nimage: /images/photo.jpg\n---\nThe harvest came in.\n",
        }
    )
    path = site.root / "content/static/images/photo.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(photo if photo is not None else phone_photo())
    return site


def files_under(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in folder.rglob("*") if p.is_file()}


def test_a_phone_photo_is_published_upright_in_sizes_without_its_gps(make_site):
    original = phone_photo(4000, 3000)
    site = photo_site(make_site, original)
    run = site.build()
    assert run.returncode == 0, run.stderr
    output = site.output_bytes()
    for name, data in output.items():
        assert data != original, name
        assert GPS_MARK not in data and b"taken at home" not in data, name
        if name.endswith((".jpg", ".webp", ".png")):
            with Image.open(io.BytesIO(data)) as image:
                exif = image.getexif()
                assert not exif.get_ifd(0x8825) and 0x0112 not in exif and 0x010F not in exif, name
                assert "comment" not in image.info and "xmp" not in image.info, name
    # The file's own URL still works: a copy of its pixels, turned upright
    # (the EXIF flag said "a quarter turn") and at most 2560 px wide.
    with Image.open(io.BytesIO(output["images/photo.jpg"])) as own:
        assert own.size == (2560, 3413)
    page = site.page("/products/widget/")
    image = re.search(r"<img [^>]*srcset=[^>]*>", page)
    assert image is not None, page
    tag = image.group(0)
    assert 'width="1600"' in tag and 'height="2133"' in tag
    widths = re.findall(r" (\d+)w", re.search(r'srcset="([^"]*)"', tag).group(1))
    assert len(widths) >= 2 and all(int(w) <= 3000 for w in widths)  # never wider than the photo
    webp = re.search(r'<source type="image/webp" srcset="([^"]*)"', page).group(1)
    for url in re.findall(r"(/_img/\S+\.webp)", webp):
        assert url.lstrip("/") in output
        assert output[url.lstrip("/")][:4] == b"RIFF"
    assert 'loading="lazy"' not in tag, "the product's own photo is the page's main image"
    cards = site.page("/products/")
    assert re.search(r'<img [^>]*srcset="[^"]*"[^>]*loading="lazy" decoding="async"', cards)


def test_a_second_build_encodes_nothing_and_equals_a_cold_build(make_site, tmp_path):
    site = photo_site(make_site)
    assert site.build().returncode == 0
    cache = files_under(site.root / ".sitegen-cache" / "images")
    assert any(name.endswith(".webp") for name in cache)
    # A post edit: a real build (not a replay), with every image known.
    site.write({"content/posts/2026-05-02-note.md": "---\ntitle: Note\ndate: 2026-05-02\n---\nA note.\n"})
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert files_under(site.root / ".sitegen-cache" / "images") == cache, "nothing was encoded again"
    incremental = site.output_bytes()
    cold = site.build("--no-cache", "--output", str(tmp_path / "cold"))
    assert cold.returncode == 0, cold.stderr
    assert site.output_bytes(tmp_path / "cold") == incremental


def test_a_damaged_encoded_file_in_the_cache_is_encoded_again_not_published(make_site, tmp_path):
    """The cache only makes builds faster: an encoded file cut short, or
    replaced by a folder, a link or a FIFO, is encoded again (no crash, no
    hang), and the output equals a cold build's, every image whole."""
    site = photo_site(make_site)
    assert site.build().returncode == 0
    cache = site.root / ".sitegen-cache" / "images"
    encoded = sorted(p for p in cache.iterdir() if p.suffix in (".jpg", ".webp"))
    assert len(encoded) >= 4
    victim = tmp_path / "victim.jpg"
    victim.write_bytes(b"not the photo")
    for path in encoded[3:]:
        path.write_bytes(path.read_bytes()[:10])  # cut short, as a full disk leaves it
    encoded[0].unlink()
    encoded[0].mkdir()
    encoded[1].unlink()
    encoded[1].symlink_to(victim)
    encoded[2].unlink()
    os.mkfifo(encoded[2])
    shutil.rmtree(site.public / "_img")  # the build needs every file again
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert victim.read_bytes() == b"not the photo"
    cold = site.build("--no-cache", "--output", str(tmp_path / "cold"))
    assert cold.returncode == 0, cold.stderr
    output = site.output_bytes()
    assert output == site.output_bytes(tmp_path / "cold")
    for name, data in output.items():
        if name.endswith((".jpg", ".webp")):
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    # Damaged again with the output in place: the files are encoded again
    # and the output stays as it was.
    for path in encoded:
        path.write_bytes(b"0123456789")
    site.write({"content/posts/2026-05-02-note.md": "---\ntitle: Note\ndate: 2026-05-02\n---\nA note.\n"})
    assert site.build().returncode == 0
    assert site.build("--no-cache", "--output", str(tmp_path / "cold")).returncode == 0
    assert site.output_bytes() == site.output_bytes(tmp_path / "cold")
    assert all(path.read_bytes() != b"0123456789" for path in encoded)


def test_a_replaced_photo_gets_new_files_and_the_old_ones_go(make_site):
    site = photo_site(make_site)
    assert site.build().returncode == 0
    before = {n for n in site.output_bytes() if n.startswith("_img/")}
    (site.root / "content/static/images/photo.jpg").write_bytes(phone_photo(1800, 1200, orientation=1))
    assert site.build().returncode == 0
    after = {n for n in site.output_bytes() if n.startswith("_img/")}
    assert after and not (after & before)
    assert len(list((site.root / ".sitegen-cache" / "images").glob("*.webp"))) == len(
        [n for n in after if n.endswith(".webp")]
    ), "the cache keeps only what the site uses"


def test_shared_links_get_a_raster_card_and_never_an_svg(make_site):
    site = photo_site(make_site)
    site.write({"content/site.yaml": "base_url: https://example.com/\ntitle: Test Co\n",
                "content/business.yaml": "name: Test Co\nlogo: /logo.svg\n",
                "content/static/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})
    assert site.build().returncode == 0
    output = site.output_bytes()
    for url in ("/products/widget/", "/blog/harvest/"):
        page = site.page(url)
        card = re.search(r'<meta property="og:image" content="https://example.com/([^"]+)">', page).group(1)
        with Image.open(io.BytesIO(output[card])) as image:
            assert image.size == (1200, 630) and image.format == "JPEG"
        assert '<meta property="og:image:width" content="1200">' in page
        assert f'<meta name="twitter:image" content="https://example.com/{card}">' in page
    home = site.page("/")
    assert "og:image" not in home and "twitter:image" not in home, "no raster picture: no card (never the SVG logo)"
    site.write({"content/site.yaml": "base_url: https://example.com/\ntitle: Test Co\nsocial_image: /images/photo.jpg\n"})
    assert site.build().returncode == 0
    assert re.search(r'<meta property="og:image" content="https://example.com/_img/photo-card-', site.page("/"))


def test_a_post_cover_shows_on_the_post_and_in_its_json_ld(make_site):
    site = photo_site(make_site)
    assert site.build().returncode == 0
    post = site.page("/blog/harvest/")
    assert "<picture>" in post
    assert re.search(r'"image":"https://example.com/_img/photo-1600w-[0-9a-f]+\.jpg"', post)


def test_a_raster_favicon_gives_favicon_ico_and_touch_icons(make_site):
    site = make_site({"content/site.yaml": "base_url: https://example.com/\ntitle: Test Co\nfavicon: /icon.png\n"})
    (site.root / "content/static").mkdir(parents=True, exist_ok=True)
    (site.root / "content/static/icon.png").write_bytes(png(512, 512, alpha=True))
    assert site.build().returncode == 0
    output = site.output_bytes()
    with Image.open(io.BytesIO(output["favicon.ico"])) as icon:
        assert icon.format == "ICO"
    for name, side in (("apple-touch-icon.png", 180), ("favicon-192.png", 192)):
        with Image.open(io.BytesIO(output[name])) as image:
            assert image.size == (side, side)
    home = site.page("/")
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in home
    assert '<link rel="apple-touch-icon" href="/apple-touch-icon.png">' in home
    site.write({"content/site.yaml": "base_url: https://example.com/\ntitle: Test Co\nfavicon: /icon.svg\n",
                "content/static/icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})
    assert site.build().returncode == 0
    assert '<link rel="icon" type="image/svg+xml" href="/icon.svg">' in site.page("/")
    assert "favicon.ico" not in site.output_bytes()


def test_a_file_that_is_no_image_or_too_large_is_an_error_at_its_line(make_site):
    site = photo_site(make_site)
    assert site.build().returncode == 0
    before = site.output_bytes()
    folder = site.root / "content/static/images"
    (folder / "photo.jpg").write_bytes(b"<html>not a photo</html>")
    big = Image.new("1", (8000, 7000))
    big.save(folder / "huge.png")
    run = site.build()
    assert run.returncode == 1
    assert "content/static/images/photo.jpg: this file is not an image sitegen can read" in run.stderr
    assert f"{PRODUCT}:4: 'image' names /images/photo.jpg, which is not an image sitegen can read" in run.stderr
    assert "content/static/images/huge.png: this file is over 50 megapixels: make it smaller" in run.stderr
    assert "Traceback" not in run.stderr
    assert site.output_bytes() == before


def test_svg_and_other_sites_images_pass_through(make_site):
    site = make_site({PRODUCT: "---\ntitle: Widget\nrequires: [design]\nimage: https://cdn.example.org/w.jpg\n---\nA widget.\n"})
    assert site.build().returncode == 0
    assert '<img src="https://cdn.example.org/w.jpg" alt="Widget" fetchpriority="high">' in site.page("/products/widget/")


def test_a_photo_under_any_name_is_stripped(make_site):
    """A JPEG saved as .jfif, with no extension or with a trailing dot is
    still a photo: never published with its GPS."""
    site = make_site()
    folder = site.root / "content/static/images"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("a.jfif", "IMG_0042", "b.JPG", "c.jpg."):
        (folder / name).write_bytes(phone_photo(600, 400))
    assert site.build().returncode == 0
    output = site.output_bytes()
    for name in ("images/a.jfif", "images/IMG_0042", "images/b.JPG", "images/c.jpg."):
        assert name in output and output[name][:3] == b"\xff\xd8\xff", name
    assert not any(GPS_MARK in data for data in output.values())


def test_files_differing_in_case_keep_their_own_pixels_and_a_hidden_logo_stays_hidden(make_site):
    site = make_site(
        {
            PRODUCT: "---\ntitle: Widget\nrequires: [design]\nimage: /images/Secret.png\n---\nA widget.\n",
            "content/partners/quiet.yaml": "name: Quiet Ltd\nprovides: [design]\nlogo: /images/secret.png\n",
        }
    )
    folder = site.root / "content/static/images"
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (300, 200), (255, 0, 255)).save(folder / "secret.png")  # the white-label partner's
    Image.new("RGB", (300, 200), (0, 0, 255)).save(folder / "Secret.png")
    run = site.build()
    assert run.returncode == 0, run.stderr
    output = site.output_bytes()
    assert "images/secret.png" not in output and "images/Secret.png" in output
    for name, data in output.items():
        if name.endswith((".png", ".jpg", ".webp")):
            with Image.open(io.BytesIO(data)) as image:
                red, green, blue = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
                assert red < 60 and blue > 200, name  # blue, never the partner's magenta


def test_a_very_tall_image_is_narrowed_not_a_crash(make_site):
    site = make_site({PRODUCT: "---\ntitle: Widget\nrequires: [design]\nimage: /images/tall.png\n---\nA widget.\n"})
    folder = site.root / "content/static/images"
    folder.mkdir(parents=True, exist_ok=True)
    # 20000 px tall: the 480 px size (480×16000) fits WebP's 16383 px limit,
    # the image's own width (600 px, 20000 tall) and its own copy do not and
    # are narrowed to 491×16383; without that the build fails to encode.
    # (Narrow, so the encoding of ~16 Mpx files is not what the test waits on.)
    Image.new("L", (600, 20000), 128).save(folder / "tall.png")
    run = site.build()
    assert run.returncode == 0, run.stderr
    for name, data in site.output_bytes().items():
        if name.endswith(".webp"):
            with Image.open(io.BytesIO(data)) as image:
                assert max(image.size) <= 16383, name


def test_a_linked_images_cache_is_never_followed(make_site, tmp_path):
    site = photo_site(make_site)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "important.txt").write_text("keep me")
    (site.root / ".sitegen-cache").mkdir()
    (site.root / ".sitegen-cache" / "images").symlink_to(victim)
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in victim.iterdir()) == ["important.txt"]
    assert any(name.startswith("_img/") for name in site.output_bytes())


def test_photos_in_a_body_become_responsive_pictures_that_follow_the_file(make_site, tmp_path):
    site = photo_site(make_site)
    site.write({
        POST: "---\ntitle: Harvest\ndate: 2026-05-01\n---\nThe harvest came in.\n\n"
              "![Crates of squash](/images/photo.jpg)\n\n<img src='/images/photo.jpg' alt='Again'>\n\n"
              "![Elsewhere](https://other.example/x.jpg)\n",
        "content/pages/about.md": "---\ntitle: About\n---\n![The yard](/images/photo.jpg)\n",
    })
    assert site.build().returncode == 0
    for url, alt in (("/blog/harvest/", "Crates of squash"), ("/blog/harvest/", "Again"), ("/about/", "The yard")):
        tag = re.search(rf'<img src="/_img/photo-[^>]*alt="{alt}"[^>]*>', site.page(url)).group(0)
        assert len(re.findall(r"\d+w", re.search(r'srcset="([^"]+)"', tag).group(1))) >= 2
        assert re.search(r'width="\d+" height="\d+"', tag) and 'loading="lazy"' in tag
    assert '<img alt="Elsewhere" src="https://other.example/x.jpg">' in site.page("/blog/harvest/")
    # The photo is replaced by one of another shape: pages follow, equal to a cold build.
    (site.root / "content/static/images/photo.jpg").write_bytes(phone_photo(1000, 1000, orientation=1))
    assert site.build().returncode == 0
    assert 'width="1000" height="1000"' in site.page("/about/")
    cold = site.build("--no-cache", "--output", str(tmp_path / "cold"))
    assert cold.returncode == 0, cold.stderr
    assert site.output_bytes(tmp_path / "cold") == site.output_bytes()


def test_the_preview_keeps_the_files_of_photos_shown_only_in_a_post_body(make_site):
    from sitegen.build import BuildOptions, render_site
    from sitegen.session import BuildSession

    site = photo_site(make_site)
    other = site.root / "content/static/images/other.jpg"
    other.write_bytes(phone_photo(1200, 900, orientation=1))
    site.write({"content/posts/2026-05-03-yard.md": "---\ntitle: Yard\ndate: 2026-05-03\n---\n![The yard](/images/other.jpg)\n"})
    # One moment for the preview and the cold builds it is compared with.
    options = BuildOptions(source=site.root, now=datetime(2026, 6, 15, 12, tzinfo=timezone.utc))
    session = BuildSession(options, watched=True)

    def statics(rendered) -> list[str]:
        return sorted(static.output for static in rendered.routes.static)

    first = session.render()
    assert any(name.startswith("_img/other-") for name in statics(first))
    for change in ({"content/pages/about.md": "---\ntitle: About\n---\nUs.\n"},
                   {"content/posts/2026-05-03-yard.md": "---\ntitle: Yard\ndate: 2026-05-03\n---\n![The yard](/images/other.jpg)\n\nMore.\n"},
                   {"content/site.yaml": "base_url: https://example.org/\ntitle: Test Co\n"}):
        site.write(change)
        session.forget([site.root / name for name in change])
        preview = session.render()
        cold = render_site(options)
        assert statics(preview) == statics(cold)
        assert preview.files == cold.files


def test_odd_images_in_a_body_are_left_as_written_or_kept_whole(make_site):
    site = photo_site(make_site)
    (site.root / "content/static/blog/harvest").mkdir(parents=True)
    (site.root / "content/static/blog/harvest/photo.jpg").write_bytes(png(300, 300))
    site.write({POST: "---\ntitle: Harvest\ndate: 2026-05-01\n---\n"
                      "![port](https://example.com:99999/images/photo.jpg)\n\n"
                      "![relative](photo.jpg)\n\n"
                      '<img src="/images/photo.jpg" alt="Before > after">\n\n'
                      "<picture><img src='/images/photo.jpg' alt='theirs'></picture>\n\n"
                      "<!-- <img src='/images/photo.jpg' alt='hidden'> -->\n"})
    run = site.build()
    assert run.returncode == 0, run.stderr
    page = site.page("/blog/harvest/")
    assert 'src="https://example.com:99999/images/photo.jpg"' in page  # not the site's: as written
    assert '<img alt="relative" src="photo.jpg">' in page  # relative to the page: as written
    assert re.search(r'<picture><source [^>]*><img src="/_img/photo-[^>]*alt="Before &gt; after"', page)
    assert "<picture><img src='/images/photo.jpg' alt='theirs'></picture>" in page
    assert "<!-- <img src='/images/photo.jpg' alt='hidden'> -->" in page
