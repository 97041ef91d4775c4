"""Broken or hostile input: never a crash, a hang or half a site.

Each case plants one bad value or file in the minimal site and builds: the
user gets one `path:line: message` saying what to do, exit status 1, no
traceback (conftest checks that), and no output folder (or the previous one
untouched). Cases: YAML core tags on values they cannot take, single values
Python itself refuses (a zone of +24:00, a number of 5,000 digits, an
"http://[zz/" URL, a NUL or ESC in text), alias bombs and deep nesting, and
FIFOs or devices where a file should be.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import Run, SiteFolder

POST = "content/posts/2024-05-01-hello.md"
PAGE = "content/pages/about.md"
SITE = "content/site.yaml"
BUSINESS = "content/business.yaml"
PARTNER = "content/partners/rosa.yaml"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)


def front(*lines: str, body: str = "Body text.") -> str:
    return "\n".join(["---", *lines, "---", body]) + "\n"


def errors_of(run: Run) -> list[str]:
    return [line for line in run.error_lines if not re.match(r"^\S+?(:\d+)?: warning: ", line)]


def fails_with_one_error(site: SiteFolder, prefix: str, *words: str, run: Run | None = None) -> str:
    """Build (unless `run` is given): exit 1, exactly one error, starting
    with `prefix` and containing `words`; no output folder, no staging."""
    run = run or site.build()
    assert run.returncode == 1, f"exit {run.returncode}\n{run.stderr}"
    assert "internal error" not in run.stderr, run.stderr
    errors = errors_of(run)
    assert len(errors) == 1, f"expected one error starting {prefix!r}, got:\n{run.stderr}"
    message = errors[0]
    assert message.startswith(prefix), f"expected {prefix!r}, got {message!r}"
    for word in words:
        assert word in message, f"{word!r} missing from {message!r}"
    assert not (site.root / "public").exists(), "a failed build wrote output"
    assert [p.name for p in site.root.iterdir() if "sitegen-staging" in p.name] == []
    return message


def built_once(site: SiteFolder) -> dict[str, bytes]:
    first = site.build()
    assert first.returncode == 0, first.stderr
    return site.output_bytes()


# --------------------------------------------------------------------------
# 1. YAML core tags on the wrong kind of value

BAD_TAGS = {
    "int-empty": ('!!int ""', ("!!int",)),
    "int-0x": ("!!int 0x", ("!!int", "'0x'")),
    "int-5000-digits": ("!!int " + "9" * 5000, ("!!int",)),
    "float-x": ("!!float x", ("!!float", "'x'")),
    "bool-maybe": ("!!bool maybe", ("!!bool", "'maybe'")),
    "timestamp-month-13": ("!!timestamp 2025-13-45", ("!!timestamp", "2025-13-45")),
    "seq-on-mapping": ("!!seq {a: b}", ("!!seq", "mapping")),
    "map-on-text": ("!!map a", ("!!map",)),
    "binary-bad-base64": ('!!binary "a"', ("base64",)),
    "python-object": ('!!python/object/apply:os.system ["touch ran-python"]', ("python/object/apply",)),
    "python-name": ("!!python/name:os.system", ("python/name",)),
}

# (file, its text with {value} on the key's line, that line)
TAGGED_FILES = {
    "post": (POST, front("title: {value}", "date: 2024-05-01"), 2),
    "site": (SITE, "base_url: https://example.com/\ntitle: {value}\n", 2),
    "business": (BUSINESS, "name: Test Co\ntagline: {value}\n", 2),
    "partner": (PARTNER, "name: Rosa Textiles\nkind: supplier\nblurb: {value}\n", 3),
}


@pytest.mark.parametrize("where", list(TAGGED_FILES))
@pytest.mark.parametrize("tag", list(BAD_TAGS))
def test_core_tag_on_a_value_it_cannot_take_is_an_error_at_its_line(make_site, tag: str, where: str) -> None:
    """As a user who wrote `!!int ""` (or worse), I get one located error, not an internal error."""
    value, words = BAD_TAGS[tag]
    path, text, line = TAGGED_FILES[where]
    site = make_site({path: text.replace("{value}", value)})
    message = fails_with_one_error(site, f"{path}:{line}: ", "invalid YAML", *words)
    assert "remove the tag" in message or "correct" in message, message
    assert not (site.root / "ran-python").exists(), "a python/ tag was run"


@pytest.mark.parametrize("value, kind", [("!!int 5", "int"), ("!!float 1.5", "float"), ("!!timestamp 2024-05-01", "date")])
def test_tag_that_makes_a_non_text_value_gives_the_usual_must_be_text(make_site, value: str, kind: str) -> None:
    site = make_site({POST: front(f"title: {value}", "date: 2024-05-01")})
    fails_with_one_error(site, f"{POST}:2: ", "'title' must be text", kind)


# --------------------------------------------------------------------------
# 2. Single values that Python refuses


@pytest.mark.parametrize("zone", ["+24:00", "+99:99", "-24:00", "+05:60"])
def test_time_zone_out_of_range(make_site, zone: str) -> None:
    site = make_site({POST: front("title: Hello", f"date: 2024-05-01 10:00 {zone}")})
    fails_with_one_error(site, f"{POST}:3: ", "'date'", zone, "-23:59 to +23:59")


def test_number_of_5000_digits_in_posts_per_page(make_site) -> None:
    site = make_site({SITE: f"base_url: https://example.com/\nposts_per_page: {'9' * 5000}\n"})
    message = fails_with_one_error(site, f"{SITE}:2: ", "'posts_per_page'", "at most 15 digits")
    assert len(message) < 200, "the number is not repeated"


def test_number_of_5000_digits_in_menu(make_site) -> None:
    site = make_site({PAGE: front("title: About", f"menu: -{'1' * 5000}")})
    fails_with_one_error(site, f"{PAGE}:3: ", "'menu'", "at most 15 digits")


@pytest.mark.parametrize("value", [
    "99999999999999", "253402300800", "-1", "1.5", "1e9", "soon", "\u00b2", pytest.param("9" * 5000, id="5000-digits"),
])
def test_a_source_date_epoch_that_is_no_moment_is_an_error_naming_it(make_site, monkeypatch, value: str) -> None:
    """Before, a year past 9999 was an internal error, and a value that was
    no whole number was passed over for the clock without a word."""
    from sitegen.build import BuildOptions, build_moment
    from sitegen.errors import BuildFailed

    site = make_site()
    before = built_once(site)
    expected = (
        "SOURCE_DATE_EPOCH: must be a whole number of seconds since 1970-01-01 UTC, from 0 to 253402300799 "
        "(the end of 9999), got '"
    )
    for command in (["build"], ["check"], ["report"], ["new", "post", "Hello"]):
        run = site.run(*command, env={"SOURCE_DATE_EPOCH": value})
        assert run.returncode == 1, (command, run.stderr)
        [line] = run.stderr.splitlines()
        assert line.startswith(expected) and line.endswith("set it to one (`date +%s` prints the current one) or unset it")
        assert len(line) < 250, "a long value is not repeated whole"
    assert site.output_bytes() == before
    assert not (site.root / "content" / "posts").exists()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(BuildFailed):
        build_moment(BuildOptions())


@pytest.mark.parametrize("value", ["0", " 1781524800 ", "", "253402300799", pytest.param("0" * 5000 + "1781524800", id="zeros")])
def test_a_source_date_epoch_from_0_to_the_end_of_9999_or_empty_is_a_moment(make_site, value: str) -> None:
    site = make_site()
    run = site.run("build", env={"SOURCE_DATE_EPOCH": value})
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize(
    "path, text, line, key",
    [
        (SITE, "title: Test Co\nbase_url: http://[zz/\n", 2, "base_url"),
        (BUSINESS, "name: Test Co\nlogo: http://[zz/\n", 2, "logo"),
        (PARTNER, "name: Rosa Textiles\nurl: http://[zz/\n", 2, "url"),
        (SITE, "base_url: https://example.com/\nforms: http://[zz/x\n", 2, "forms"),
    ],
    ids=["base_url", "logo", "url", "forms"],
)
def test_url_that_urlsplit_refuses(make_site, path: str, text: str, line: int, key: str) -> None:
    site = make_site({path: text})
    fails_with_one_error(site, f"{path}:{line}: ", f"'{key}'", "http://[zz/")


def test_check_reports_a_body_link_that_urlsplit_refuses(make_site) -> None:
    site = make_site({POST: front("title: Hello", "date: 2024-05-01", body="See [this](http://[zz/).")})
    run = site.run("check")
    assert run.returncode == 1, run.stderr
    assert errors_of(run) == [f"{POST}:5: broken link to http://[zz/ in /blog/hello/ (not a valid URL)"], run.stderr


def test_nul_in_output_dir(make_site) -> None:
    site = make_site({SITE: 'base_url: https://example.com/\noutput_dir: "pub\\0lic"\n'})
    fails_with_one_error(site, f"{SITE}:2: ", "'output_dir'", "U+0000", "remove it")
    assert not any(p.name.startswith("pub") for p in site.root.iterdir())


def test_nul_in_theme(make_site) -> None:
    site = make_site({SITE: 'base_url: https://example.com/\ntheme: "x\\0"\n'})
    fails_with_one_error(site, f"{SITE}:2: ", "'theme'", "U+0000")


@pytest.mark.parametrize(
    "escape, code",
    [("\\e", "U+001B"), ("\\0", "U+0000"), ("\\x7f", "U+007F"), ("\\r", "U+000D"), ("\\x0c", "U+000C")],
    ids=["esc", "nul", "del", "cr", "form-feed"],
)
def test_control_character_in_a_title_is_an_error_and_the_feed_stays_valid(make_site, escape: str, code: str) -> None:
    """As a user who pasted "\\e" into a title, the build stops at that line
    instead of publishing a feed.xml that no reader can parse."""
    site = make_site()
    before = built_once(site)
    site.write({POST: front(f'title: "Hello{escape} world"', "date: 2024-05-01")})
    run = site.build()
    assert run.returncode == 1, run.stderr
    assert errors_of(run) == [f"{POST}:2: 'title' contains the control character {code}; remove it"], run.stderr
    assert site.output_bytes() == before


def test_control_character_in_a_list_item_and_in_a_key(make_site) -> None:
    site = make_site({POST: front("title: Hello", "date: 2024-05-01", 'tags: [soup, "a\\x01b"]', '"ti\\etle2": x')})
    run = site.build()
    assert run.returncode == 1, run.stderr
    assert sorted(errors_of(run)) == [
        f"{POST}:4: an item of 'tags' contains the control character U+0001; remove it",
        f"{POST}:5: the key 'ti\\x1btle2' contains the control character U+001B; remove it",
    ], run.stderr
    assert "\x1b" not in run.stderr


def test_a_tag_or_category_too_long_for_a_folder_name_is_an_error_at_its_line(make_site) -> None:
    """A term's slug names its page's folder: one longer than 200 characters
    is an error at the post's line (not a failed write naming no file),
    and one of 200 builds."""
    site = make_site({POST: front("title: Hello", "date: 2024-05-01", f"tags: [soup, {'t' * 300}]",
                                  f"categories: ['{'Ç' * 201}']")})
    run = site.build()
    assert run.returncode == 1, run.stderr
    assert sorted(errors_of(run)) == [
        f"{POST}:4: the tag '{'t' * 40}…' is too long for the address of its page (/tags/<slug>/): "
        "its slug would have 300 characters, at most 200 fit; shorten it",
        f"{POST}:5: the category '{'Ç' * 40}…' is too long for the address of its page "
        "(/categories/<slug>/): its slug would have 201 characters, at most 200 fit; shorten it",
    ], run.stderr
    assert not site.public.exists()
    site.write({POST: front("title: Hello", "date: 2024-05-01", f"tags: [soup, {'t' * 200}]")})
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert (site.public / "tags" / ("t" * 200) / "index.html").is_file()


def test_control_character_in_a_markdown_body(make_site) -> None:
    site = make_site({POST: front("title: Hello", "date: 2024-05-01", body="First line.\n\nNUL \x00 and ESC \x1b[31m here.")})
    fails_with_one_error(site, f"{POST}:7: ", "the text contains the control character U+0000", "remove it")


def test_tab_and_newline_in_text_are_fine(make_site) -> None:
    site = make_site({POST: front('title: "Hello\\tworld"', 'summary: "two\\nlines"', "date: 2024-05-01")})
    run = site.build()
    assert run.returncode == 0, run.stderr


# --------------------------------------------------------------------------
# 3. Alias bombs, deep nesting, size

# The "billion laughs": nine levels of nine aliases, 9**9 values from 324 bytes.
BOMB = ['a: &a ["x","x","x","x","x","x","x","x","x"]'] + [
    f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]" for previous, name in zip("abcdefgh", "bcdefghi")
]


@pytest.mark.parametrize("where", ["post", "site"])
def test_alias_bomb_stops_at_once(make_site, where: str) -> None:
    if where == "post":
        path, files, first = POST, {POST: front("title: Hello", "date: 2024-05-01", *BOMB)}, 4
    else:
        path, files, first = SITE, {SITE: "\n".join(["base_url: https://example.com/", *BOMB]) + "\n"}, 2
    site = make_site(files)
    started = time.monotonic()
    run = site.build()  # conftest fails a run that does not finish in 120 s
    assert time.monotonic() - started < 60, "a generous bound: it takes well under a second"
    message = fails_with_one_error(site, f"{path}:", "aliases", "100,000", run=run)
    line = int(message.split(":")[1])
    assert first <= line < first + len(BOMB), message


def test_merge_bomb_stops_at_once(make_site) -> None:
    levels = ["m0: &m0 {k: v}"] + [
        f"m{n}: &m{n} {{!!merge '<<': [{','.join([f'*m{n - 1}'] * 9)}]}}" for n in range(1, 10)
    ]
    site = make_site({SITE: "\n".join(["base_url: https://example.com/", *levels]) + "\n"})
    fails_with_one_error(site, f"{SITE}:", "aliases", "100,000")


def test_alias_inside_what_it_names(make_site) -> None:
    site = make_site({POST: front("title: Hello", "date: 2024-05-01", "tags: &t [soup, *t]")})
    fails_with_one_error(site, f"{POST}:4: ", "alias", "inside")


def test_aliases_that_stay_small_still_work(make_site) -> None:
    site = make_site({POST: front("title: &t Hello", "date: 2024-05-01", "summary: *t", "tags: &x [a, b]", "categories: *x")})
    run = site.build()
    assert run.returncode == 0, run.stderr
    assert (site.public / "tags" / "a" / "index.html").is_file()
    assert (site.public / "categories" / "b" / "index.html").is_file()


@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{a: ", "}")], ids=["lists", "mappings"])
def test_deep_nesting_is_an_error_not_a_crash(make_site, opening: str, closing: str) -> None:
    """libyaml's composer recursed once per level in C: 50,000 levels killed the process."""
    depth = 50_000
    site = make_site({POST: front("title: Hello", "date: 2024-05-01", "tags: " + opening * depth + "x" + closing * depth)})
    run = site.build(subprocess=True)  # a crash must fail this test, not the test run
    fails_with_one_error(site, f"{POST}:4: ", "nested more than 100 levels", run=run)


def test_front_matter_over_the_size_limit(make_site) -> None:
    site = make_site({POST: front("title: Hello", "date: 2024-05-01", "summary: " + "x" * 1_000_001)})
    fails_with_one_error(site, f"{POST}:1: ", "1,000,000")


# --------------------------------------------------------------------------
# 4. Special files


@pytest.mark.parametrize("relative", [
    "content/posts/x.md", "content/static/pipe", "content/static/img/pipe.png", SITE,
    "themes/default/templates/product.html",  # before, silently passed over for the built-in one
])
def test_fifo_is_an_error_never_opened(make_site, relative: str) -> None:
    """As a user with a named pipe in the site, the build says so instead of waiting forever."""
    site = make_site()
    before = built_once(site)
    path = site.root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    run = site.build()
    assert run.returncode == 1, run.stderr
    assert errors_of(run) == [f"{relative}: not a regular file (a FIFO, device or socket): remove it"], run.stderr
    assert site.output_bytes() == before
    assert site.run("check").returncode == 1


@pytest.mark.parametrize("when", ["cold", "after a build", "in worker processes"])
def test_a_template_that_is_not_utf8_is_an_error_at_its_file_and_line(make_site, monkeypatch, when) -> None:
    """Before, an internal error after a build (the template keys read it),
    and `page.html: ...UnicodeDecodeError` without folder, line or advice
    on a cold one."""
    from sitegen.render import parallel

    site = make_site()
    before = built_once(site) if when == "after a build" else {}
    template = site.root / "themes/default/templates/product.html"
    template.parent.mkdir(parents=True)
    template.write_bytes(b'{% extends "base.html" %}\n{# caf\xe9 #}\n')
    jobs = "1"
    if when == "in worker processes":  # (a site this small is otherwise rendered in one)
        monkeypatch.setattr(parallel, "workers_pay", lambda jobs, count, minimum=0: jobs > 1 and count > 0)
        jobs = "2"
    run = site.build("--jobs", jobs)
    assert run.returncode == 1, run.stderr
    assert errors_of(run) == [
        "themes/default/templates/product.html:2: template is not valid UTF-8 text: save it as UTF-8"
    ]
    assert site.output_bytes() == before if before else not site.public.exists()


@pytest.mark.parametrize("name", [
    "manifest.json", "manifest.last.json", "store.sqlite", "store.sqlite-journal", "store.sqlite-wal",
    "store.sqlite-shm", "images/survey.json", "an encoded image",
])
def test_a_fifo_in_the_build_cache_is_passed_over_never_opened(make_site, tmp_path, name) -> None:
    """The cache can only make a build faster: a FIFO in it, which open()
    would wait on forever, counts as a damaged entry."""
    from PIL import Image

    site = make_site()
    (site.root / "content" / "static").mkdir(parents=True)
    Image.new("RGB", (40, 30), (10, 120, 90)).save(site.root / "content" / "static" / "dot.png")
    built_once(site)
    cache = site.root / ".sitegen-cache"
    if name == "an encoded image":
        path = next(p for p in sorted((cache / "images").iterdir()) if p.name != "survey.json")
    else:
        path = cache / name
    if name == "manifest.last.json":  # (the set-aside record is read only when there is no other)
        (cache / "manifest.json").unlink()
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    # SQLite would block in C, where no signal reaches: the time limit of a
    # run in this process could not stop it, a subprocess's can.
    apart = name.startswith("store")
    for _ in ("with the FIFO", "after it"):
        run = site.build(subprocess=apart)
        assert run.returncode == 0, run.stderr
        assert site.run("check", subprocess=apart).returncode == 0
        site.write({"content/pages/more.md": f"---\ntitle: More\n---\n{_}\n"})
    assert not path.exists() or path.is_file(), "a build that succeeded leaves a damaged cache entry"
    assert site.build().returncode == 0
    assert site.build("--no-cache", "--output", str(tmp_path / "cold")).returncode == 0
    assert site.output_bytes() == site.output_bytes(tmp_path / "cold")


def test_device_in_static_is_an_error(make_site) -> None:
    site = make_site()
    before = built_once(site)
    (site.root / "content" / "static").mkdir(parents=True, exist_ok=True)
    os.symlink("/dev/null", site.root / "content" / "static" / "null.txt")
    run = site.build()
    assert run.returncode == 1, run.stderr
    assert errors_of(run) == ["content/static/null.txt: not a regular file (a FIFO, device or socket): remove it"]
    assert site.output_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_an_error_at_its_path(make_site) -> None:
    site = make_site({POST: front("title: Hello", "date: 2024-05-01")})
    path = site.root / POST
    path.chmod(0)
    try:
        fails_with_one_error(site, f"{POST}: ", "cannot read file")
    finally:
        path.chmod(0o644)


# --------------------------------------------------------------------------
# Links out of the site folder


@pytest.mark.parametrize("where", [
    "content/static/passwd.txt",
    "content/posts/leak.md",
    "content/posts/2024/leak.md",  # a link in a subfolder of a kind's folder
    "content/site.yaml",
    "themes/mine/static/leak.txt",
    "themes/mine/templates/base.html",  # a template every page uses
    "themes/mine/templates/parts/unused.html",  # and one no page uses
])
def test_nothing_outside_the_site_is_read_through_a_link(make_site, tmp_path, where):
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("---\ntitle: SECRET-CANARY\ndate: 2026-01-01\n---\nSECRET-CANARY\n")
    site = make_site({"content/site.yaml": "base_url: https://example.com/\ntheme: mine\n",
                      "themes/mine/static/.keep": ""})
    link = site.root / where
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(secret)
    run = site.build()
    assert run.returncode == 1
    assert f"{where}: a link to {secret}, outside the site folder" in run.stderr
    assert not site.public.exists() or b"SECRET-CANARY" not in b"".join(site.output_bytes().values())


def test_reading_gets_every_byte_whatever_the_size_the_file_system_reports(tmp_path):
    """A file is read in one call when it holds the bytes its size says;
    one that says 0 (as /proc files do) or that grew is read to its end."""
    from sitegen.files import read_regular

    empty, big = tmp_path / "empty.md", tmp_path / "big.md"
    empty.write_bytes(b"")
    big.write_bytes(b"x" * 3_000_001)
    assert read_regular(empty) == b""
    assert read_regular(big) == b"x" * 3_000_001
    if Path("/proc/self/status").exists():
        assert read_regular("/proc/self/status").startswith(b"Name:")


def test_a_link_inside_the_site_is_followed(make_site):
    site = make_site({"content/shared/note.txt": "shared note\n"})
    link = site.root / "content/static/note.txt"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(site.root / "content/shared/note.txt")
    assert site.build().returncode == 0
    assert (site.public / "note.txt").read_text() == "shared note\n"


def test_site_yml_beside_site_yaml_is_an_error(make_site):
    site = make_site({"content/site.yml": "base_url: https://other.example/\n"})
    run = site.build()
    assert run.returncode == 1
    assert "content/site.yml: both site.yaml and site.yml exist: keep one" in run.stderr


@pytest.mark.parametrize("where", ["content/posts", "content/static", "content/partners"])
def test_a_file_where_a_content_folder_belongs_is_an_error(make_site, where):
    """Before, a file named content/posts made the whole blog silently vanish."""
    site = make_site({where: "not a folder\n"})
    run = site.build()
    assert run.returncode == 1
    assert f"{where}: {where.rsplit('/', 1)[1]} must be a folder of files, but it is not one" in run.stderr


def test_a_newline_in_a_file_name_stays_on_one_line_of_the_message(make_site):
    site = make_site({"content/posts/bad\nname.md": "---\ntitle: A\ndate: someday\n---\nBody.\n"})
    run = site.build()
    assert run.returncode == 1
    [line] = [l for l in run.stderr.splitlines() if "someday" in l]
    assert line.startswith("content/posts/bad\\nname.md:3: ")


# --------------------------------------------------------------------------
# Markdown that Python-Markdown cannot convert in time, or at all


def test_a_body_too_slow_to_convert_is_an_error_at_its_file(make_site, monkeypatch):
    from sitegen.content import markup

    monkeypatch.setattr(markup, "CONVERSION_SECONDS", 0.2)
    site = make_site({"content/posts/brackets.md": "---\ntitle: A\ndate: 2026-01-01\n---\n" + "[" * 3000 + "\n"})
    run = site.build("--no-cache")
    assert run.returncode == 1
    assert "content/posts/brackets.md: its Markdown took more than 0.2 s to convert" in run.stderr
    assert "template error" not in run.stderr


def test_a_body_nested_too_deeply_is_an_error_at_its_file(make_site, monkeypatch):
    """Before, an 800-level list was blamed on post.html and a 3,000-level
    one took minutes: now either is an error at the post, in bounded time."""
    from sitegen.content import markup

    monkeypatch.setattr(markup, "CONVERSION_SECONDS", 1.0)
    body = "".join("  " * depth + "- item\n" for depth in range(3000))
    site = make_site({"content/posts/deep.md": "---\ntitle: A\ndate: 2026-01-01\n---\n" + body})
    run = site.build("--no-cache")
    assert run.returncode == 1
    assert "content/posts/deep.md: its " in run.stderr
    assert "template error" not in run.stderr


def test_a_linked_content_folder_leading_out_of_the_site_is_refused(make_site, tmp_path):
    outside_folder = tmp_path / "elsewhere"
    outside_folder.mkdir()
    (outside_folder / "passwd.txt").write_text("SECRET-CANARY\n")
    site = make_site()
    (site.root / "content" / "static").symlink_to(outside_folder, target_is_directory=True)
    run = site.build()
    assert run.returncode == 1
    assert f"content/static: a link to {outside_folder}, outside the site folder" in run.stderr


def test_a_linked_folder_inside_content_is_an_error_not_silently_left_out(make_site, tmp_path):
    outside_folder = tmp_path / "elsewhere"
    outside_folder.mkdir()
    (outside_folder / "secret.txt").write_text("SECRET-CANARY\n")
    site = make_site({"shared/pics/hello.txt": "hi\n", "shared/posts/2026-01-01-a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nA.\n"})
    static = site.root / "content" / "static"
    static.mkdir(parents=True, exist_ok=True)
    (static / "pics").symlink_to(site.root / "shared" / "pics", target_is_directory=True)
    (static / "elsewhere").symlink_to(outside_folder, target_is_directory=True)
    posts = site.root / "content" / "posts"
    posts.mkdir(exist_ok=True)
    (posts / "old").symlink_to(site.root / "shared" / "posts", target_is_directory=True)
    run = site.build()
    assert run.returncode == 1
    assert run.error_lines == [
        f"content/posts/old: a link to the folder {site.root / 'shared' / 'posts'}: sitegen does not follow "
        "linked folders inside content/ (one could loop, or lead out of the site): move or copy its files here, "
        "or link each file",
        f"content/static/elsewhere: a link to {outside_folder}, outside the site folder: sitegen never reads "
        "through such a link; copy the file into the site instead",
        f"content/static/pics: a link to the folder {site.root / 'shared' / 'pics'}: sitegen does not follow "
        "linked folders inside content/ (one could loop, or lead out of the site): move or copy its files here, "
        "or link each file",
    ]
    assert not site.public.exists()


def test_well_known_files_are_published_and_other_hidden_files_are_not(make_site, tmp_path):
    """content/static/.well-known/ (security.txt, a payment provider's
    domain file) is the web's, not a hidden folder."""
    site = make_site({
        "content/static/.well-known/security.txt": "Contact: mailto:security@example.com\n",
        "content/static/.well-known/.DS_Store": "junk\n",
        "content/static/.htaccess": "Deny from all\n",
        "content/static/.git/config": "[core]\n",
    })
    assert site.build().returncode == 0
    published = sorted(p.relative_to(site.public).as_posix() for p in site.public.rglob("*") if "/." in "/" + p.relative_to(site.public).as_posix())
    assert published == [".sitegen-output", ".well-known", ".well-known/security.txt"]
    (site.root / "content/static/.well-known/security.txt").unlink()
    assert site.build().returncode == 0
    assert not (site.public / ".well-known").exists()
    cold = tmp_path / "cold"
    assert site.build("--no-cache", "--output", str(cold)).returncode == 0
    assert site.output_bytes() == site.output_bytes(cold)


@pytest.mark.parametrize("where", ["themes/mine", "themes/mine/templates", "themes/mine/static"])
def test_a_linked_theme_folder_leading_out_of_the_site_is_refused(make_site, tmp_path, where):
    """As content/static is: the error names the link and where it leads,
    and not one template or file of the folder out there is published."""
    elsewhere = tmp_path / "elsewhere"
    for relative in ("templates/base.html", "static/leak.txt"):
        (elsewhere / relative).parent.mkdir(parents=True, exist_ok=True)
        (elsewhere / relative).write_text("SECRET-CANARY\n")
    site = make_site({"content/site.yaml": "base_url: https://example.com/\ntheme: mine\n",
                      "themes/mine/static/.keep": ""})
    before = built_once(site)
    link = site.root / where
    if link.exists():
        shutil.rmtree(link)
    link.parent.mkdir(parents=True, exist_ok=True)
    target = elsewhere / Path(where).relative_to("themes/mine")
    link.symlink_to(target, target_is_directory=True)
    run = site.build()
    assert run.returncode == 1, run.stderr
    assert errors_of(run) == [f"{where}: a link to {target}, outside the site folder: sitegen never reads "
                              "through such a link; copy the file into the site instead"]
    assert site.output_bytes() == before


def test_a_template_reached_through_a_linked_folder_inside_the_site_is_read_only_if_it_stays_inside(make_site, tmp_path):
    """A link inside the site is followed, as for content files; a link
    out, even from a folder a link inside led to, is refused at its use."""
    secret = tmp_path / "secret.html"
    secret.write_text("SECRET-CANARY\n")
    site = make_site({
        "content/site.yaml": "base_url: https://example.com/\ntheme: mine\n",
        "themes/mine/templates/product.html": '{% extends "base.html" %}{% block content %}'
                                              '{% include "parts/price.html" %}{% endblock %}\n',
        "shared/price.html": "SHARED-PRICE\n",
    })
    (site.root / "themes/mine/templates/parts").symlink_to(site.root / "shared", target_is_directory=True)
    before = built_once(site)
    assert "SHARED-PRICE" in site.page("/products/widget/")
    (site.root / "shared/price.html").unlink()
    (site.root / "shared/price.html").symlink_to(secret)
    run = site.build()
    assert run.returncode == 1, run.stderr
    assert errors_of(run) == [f"themes/mine/templates/parts/price.html: a link to {secret}, outside the site "
                              "folder: sitegen never reads through such a link; copy the file into the site instead"]
    assert site.output_bytes() == before


def test_the_preview_refuses_a_template_linked_out_of_the_site_while_it_runs(make_site, tmp_path):
    from sitegen.build import BuildOptions
    from sitegen.errors import BuildFailed
    from sitegen.session import BuildSession

    secret = tmp_path / "secret.html"
    secret.write_text("SECRET-CANARY\n")
    site = make_site({"content/site.yaml": "base_url: https://example.com/\ntheme: mine\n",
                      "themes/mine/templates/.keep": ""})
    session = BuildSession(BuildOptions(source=site.root, now=NOW, drafts=True), watched=True)
    assert b"SECRET-CANARY" not in b"".join(session.render().files.values())
    link = site.root / "themes/mine/templates/product.html"
    link.symlink_to(secret)
    session.forget([link])
    with pytest.raises(BuildFailed) as failed:
        session.render()
    assert [p.format() for p in failed.value.problems.errors] == [
        f"themes/mine/templates/product.html: a link to {secret}, outside the site folder: sitegen never reads "
        "through such a link; copy the file into the site instead"
    ]
