"""`sitegen init` and `sitegen new`, driven through the real command line."""

from __future__ import annotations

import os
import re
import shutil
import tomllib
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

import markupsafe
import pytest
import yaml
from conftest import Run, run_cli

from sitegen import __version__
from sitegen.content import model
from sitegen.content.schema import key_names
from sitegen.errors import Problems
from sitegen.content.load import load_markdown_file, load_yaml_file
from sitegen.content.parse import LineDict
from sitegen.scaffold import KINDS
from sitegen.view.security import parse_headers_file

REPO = Path(__file__).resolve().parent.parent

SITE_FILES = {
    ".gitignore",
    "README.md",
    "netlify.toml",
    "netlify/functions/scheduled-rebuild.mjs",
    "requirements.txt",
    "content/site.yaml",
    "content/business.yaml",
    "content/partners/millbrook-kilns.yaml",
    "content/capabilities/design.md",
    "content/capabilities/kiln-firing.md",
    "content/products/everyday-mug.md",
    "content/pages/about.md",
    "content/pages/contact.md",
    "content/pages/privacy.md",
    "content/static/images/everyday-mug.svg",
}

# Every key of every kind, from the schema: the scaffold must teach them all.
SCHEMA = {
    "site": key_names(model.SiteConfig),
    "business": key_names(model.Business),
    "partner": key_names(model.Partner),
    "capability": key_names(model.Capability),
    "product": key_names(model.Product),
    "post": key_names(model.Post),
    "page": key_names(model.Page),
}


def run(cwd: Path, *args: str, env: dict[str, str] | None = None, subprocess: bool = False) -> Run:
    """`sitegen ARGS` in `cwd` on today's date (no SOURCE_DATE_EPOCH unless
    `env` sets it); in this process unless `subprocess` (see conftest.run_cli)."""
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    environment.pop("SOURCE_DATE_EPOCH", None)
    environment.pop("SITEGEN_DEBUG", None)
    environment.update(env or {})
    return run_cli(args, cwd=cwd, environment=environment, subprocess=subprocess)


def utc_days() -> set[str]:
    """Today's date as the build sees it; take it before and after a run and
    accept either, in case the run crossed midnight UTC."""
    return {datetime.now(timezone.utc).date().isoformat()}


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def front_matter(path: Path) -> LineDict:
    problems = Problems(path.parent)
    loader = load_yaml_file if path.suffix == ".yaml" else load_markdown_file
    record = loader(path, "x", problems)
    assert record is not None and not problems.items, [p.format() for p in problems.items]
    return record.data


def assert_builds_clean(site: Path) -> None:
    build = run(site, "build")
    assert build.returncode == 0, build.stderr
    assert build.stderr == ""
    check = run(site, "check")
    assert check.returncode == 0, check.stderr
    assert check.stderr == ""
    assert "no errors, 0 warnings" in check.stdout


# The site folder, the finished `sitegen init` and the possible dates of today.
Scaffolded = tuple[Path, Run, set[str]]


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Scaffolded:
    """`sitegen init` (no DIR) in an empty folder, once for the module."""
    site = tmp_path_factory.mktemp("scaffold") / "site"
    site.mkdir()
    before = utc_days()
    done = run(site, "init")
    return site, done, before | utc_days()


@pytest.fixture
def site(scaffolded: Scaffolded, tmp_path: Path) -> Iterator[Path]:
    """A fresh copy of the scaffolded site for a test to change."""
    copy = tmp_path / "site"
    shutil.copytree(scaffolded[0], copy, ignore=shutil.ignore_patterns("public", ".sitegen-cache"))
    yield copy


# --------------------------------------------------------------------------
# sitegen init


def test_init_in_empty_folder_writes_a_site_that_builds_and_checks_clean(scaffolded: Scaffolded) -> None:
    site, done, days = scaffolded
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    posts = sorted(p.name for p in (site / "content" / "posts").iterdir())
    assert len(posts) == 1 and posts[0] in {f"{d}-welcome.md" for d in days}
    assert set(tree(site)) == SITE_FILES | {f"content/posts/{posts[0]}"}
    for name in SITE_FILES:
        assert name in done.stdout
    assert "sitegen serve" in done.stdout and "cd " not in done.stdout
    assert "{{" not in "".join(t.decode() for t in tree(site).values())

    assert_builds_clean(site)
    public = site / "public"
    for url in ("index.html", "about/index.html", "contact/index.html", "blog/welcome/index.html",
                "products/everyday-mug/index.html", "capabilities/design/index.html",
                "capabilities/kiln-firing/index.html", "images/everyday-mug.svg"):
        assert (public / url).is_file(), url
    home = (public / "index.html").read_text(encoding="utf-8")
    assert home.index('href="/about/"') < home.index('href="/products/"')
    nav = home[home.index('<nav class="site-nav'):home.index("</nav>")]
    assert nav.index('href="/blog/"') < nav.index('href="/contact/"')
    # The example partner is white-label: nothing of it reaches the output.
    for path, data in tree(public).items():
        assert b"millbrook" not in data.lower(), path
        assert "millbrook" not in path


def test_scaffolded_site_satisfies_its_content_security_policy(scaffolded: Scaffolded) -> None:
    site = scaffolded[0]
    if not (site / "public").is_dir():
        assert run(site, "build").returncode == 0
    for path, data in tree(site / "public").items():
        if not path.endswith(".html"):
            continue
        html = data.decode("utf-8")
        assert "style=" not in html and "<style" not in html, path
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert tag == '<script type="application/ld+json">', (path, tag)
        for attribute in re.findall(r'\b(?:src|srcset)="([^"]*)"', html):
            assert attribute.startswith("/") and not attribute.startswith("//"), (path, attribute)
        for link in re.findall(r"<link\b[^>]*>", html):
            if 'rel="stylesheet"' in link or 'rel="icon"' in link:
                assert re.search(r'href="/[^/]', link), (path, link)
        for action in re.findall(r'<form\b[^>]*\baction="([^"]*)"', html):
            assert not re.match(r"[a-z]+:|//", action), (path, action)
    for path, data in tree(site / "public").items():
        if path.endswith(".css"):  # no fonts, imports or images from elsewhere
            assert not re.search(rb"@import|url\(\s*['\"]?(?:(?!data:)[a-z]+:|//)", data), path


def test_every_key_is_explained_in_the_scaffolded_files(scaffolded: Scaffolded) -> None:
    content = scaffolded[0] / "content"
    kinds = {
        "site": [content / "site.yaml"],
        "business": [content / "business.yaml"],
        "partner": list((content / "partners").iterdir()),
        "capability": list((content / "capabilities").iterdir()),
        "product": list((content / "products").iterdir()),
        "post": list((content / "posts").iterdir()),
        "page": list((content / "pages").iterdir()),
    }
    for kind, paths in kinds.items():
        for path in paths:
            text = path.read_text(encoding="utf-8")
            comments = "\n".join(l for l in text.splitlines() if l.lstrip().startswith("#"))
            for key in SCHEMA[kind]:
                # Each key is named in a comment (what it means, its values
                # and default) and present, live or commented out.
                assert re.search(rf"\b{key}\b", comments), (path.name, key)
                assert re.search(rf"^(?:# )?{key}:", text, re.M), (path.name, key)
            for key in front_matter(path):
                assert key in SCHEMA[kind], (path.name, key)
    partner = (content / "partners" / "millbrook-kilns.yaml").read_text(encoding="utf-8")
    assert "disclosure: white-label" in partner and "credited" in partner
    kiln = front_matter(content / "capabilities" / "kiln-firing.md")
    assert kiln["in_house"] == "false" and front_matter(content / "capabilities" / "design.md")["in_house"] == "true"
    assert "kiln-firing" in front_matter(content / "partners" / "millbrook-kilns.yaml")["provides"]
    assert list(front_matter(content / "products" / "everyday-mug.md")["requires"]) == ["design", "kiln-firing"]
    assert front_matter(content / "pages" / "about.md")["menu"] == "5"
    assert front_matter(content / "pages" / "contact.md")["menu"] == "50"
    since = front_matter(content / "partners" / "millbrook-kilns.yaml")["since"]
    assert date.fromisoformat(since) < datetime.now(timezone.utc).date()


def test_netlify_requirements_gitignore_and_readme(scaffolded: Scaffolded) -> None:
    site = scaffolded[0]
    netlify = tomllib.loads((site / "netlify.toml").read_text(encoding="utf-8"))
    assert netlify["build"]["command"] == "pip install -r requirements.txt && sitegen build"
    assert netlify["build"]["publish"] == "public"
    assert netlify["build"]["environment"] == {"PYTHON_VERSION": "3.11"}
    # The headers are the build's (public/_headers), not hand-kept here.
    assert "headers" not in netlify and "_headers" in (site / "netlify.toml").read_text(encoding="utf-8")
    if not (site / "public").is_dir():
        assert run(site, "build").returncode == 0
    headers = parse_headers_file((site / "public" / "_headers").read_text(encoding="utf-8"))
    assert headers["Content-Security-Policy"] == (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "font-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'; "
        "object-src 'none'"
    )
    assert headers["X-Frame-Options"] == "DENY"

    lines = (site / "requirements.txt").read_text(encoding="utf-8").splitlines()
    # Exactly this project at this version: plain `sitegen` on the public
    # package index is an unrelated program.
    assert [l for l in lines if l and not l.startswith("#")] == [f"sitegen-alliance=={__version__}"]

    ignored = (site / ".gitignore").read_text(encoding="utf-8")
    assert "/public/" in ignored.splitlines() and "/.sitegen-cache/" in ignored.splitlines()

    readme = (site / "README.md").read_text(encoding="utf-8")
    for word in ("content/partners/", "content/static/", "sitegen build", "sitegen serve",
                 "sitegen check", "Netlify", "requirements.txt"):
        assert word in readme


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "notes.txt").write_bytes(b"mine\n")
    done = run(tmp_path, "init", "busy")
    assert done.returncode == 1
    assert done.stderr.startswith("busy: ") and "not empty" in done.stderr and "--force" in done.stderr
    assert tree(folder) == {"notes.txt": b"mine\n"}

    # The current folder, too.
    done = run(folder, "init")
    assert done.returncode == 1 and done.stderr.startswith(".: ")
    assert tree(folder) == {"notes.txt": b"mine\n"}

    # A file is not a folder.
    done = run(tmp_path, "init", "busy/notes.txt")
    assert done.returncode == 1 and done.stderr.startswith("busy/notes.txt: ")


def test_init_accepts_a_folder_with_only_hidden_files(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_bytes(b"ref: refs/heads/main\n")
    done = run(tmp_path, "init")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / ".git" / "HEAD").read_bytes() == b"ref: refs/heads/main\n"
    assert (tmp_path / "content" / "site.yaml").is_file()


def test_init_force_writes_only_missing_files(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    mine = {
        "README.md": b"# my own readme\n",
        "content/site.yaml": b"base_url: https://mine.example/\n",
        "notes.txt": b"keep\n",
    }
    for name, data in mine.items():
        (tmp_path / name).write_bytes(data)
    done = run(tmp_path, "init", "--force")
    assert done.returncode == 0, done.stderr
    files = tree(tmp_path)
    for name, data in mine.items():
        assert files[name] == data, name
    assert "skipped README.md" in done.stdout and "skipped content/site.yaml" in done.stdout
    assert "content/business.yaml" in done.stdout and (tmp_path / "netlify.toml").is_file()
    assert_builds_clean(tmp_path)

    # Again: everything exists, nothing changes.
    before = tree(tmp_path)
    again = run(tmp_path, "init", "--force")
    assert again.returncode == 0 and "nothing written" in again.stdout
    assert tree(tmp_path) == before


def test_init_into_a_new_sub_folder(tmp_path: Path) -> None:
    done = run(tmp_path, "init", "sites/my shop")
    assert done.returncode == 0, done.stderr
    target = tmp_path / "sites" / "my shop"
    assert (target / "content" / "business.yaml").is_file()
    assert "cd 'sites/my shop'" in done.stdout and "sitegen serve" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites"]
    assert_builds_clean(target)


def test_init_uses_source_date_epoch_for_today(tmp_path: Path) -> None:
    epoch = str(int(datetime(2026, 6, 15, 12, tzinfo=timezone.utc).timestamp()))
    done = run(tmp_path, "init", env={"SOURCE_DATE_EPOCH": epoch})
    assert done.returncode == 0, done.stderr
    post = tmp_path / "content" / "posts" / "2026-06-15-welcome.md"
    assert front_matter(post)["date"] == "2026-06-15"
    partner = front_matter(tmp_path / "content" / "partners" / "millbrook-kilns.yaml")
    assert partner["since"] == "2025-06-01"
    build = run(tmp_path, "build", env={"SOURCE_DATE_EPOCH": epoch})
    assert build.returncode == 0 and build.stderr == ""
    assert (tmp_path / "public" / "blog" / "welcome" / "index.html").is_file()


# --------------------------------------------------------------------------
# sitegen new


def test_new_writes_each_kind_where_it_belongs_and_the_build_stays_green(site: Path) -> None:
    days = utc_days()
    written: dict[str, Path] = {}
    for kind in KINDS:
        done = run(site, "new", kind, "Hello World")
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        line = done.stdout.splitlines()[0]
        assert line.startswith("sitegen: created content/")
        written[kind] = site / line.removeprefix("sitegen: created ")
        assert written[kind].is_file()
    days |= utc_days()
    assert written["post"].name in {f"{d}-hello-world.md" for d in days}
    assert written["post"].parent == site / "content" / "posts"
    assert written["page"] == site / "content" / "pages" / "hello-world.md"
    assert written["product"] == site / "content" / "products" / "hello-world.md"
    assert written["capability"] == site / "content" / "capabilities" / "hello-world.md"
    assert written["partner"] == site / "content" / "partners" / "hello-world.yaml"

    post = front_matter(written["post"])
    assert dict(post) == {
        "title": "Hello World", "date": post["date"], "tags": [], "categories": [],
        "summary": "", "draft": "true",
    }
    assert post["date"] in days
    page = front_matter(written["page"])
    assert "menu" not in page and "# menu:" in written["page"].read_text(encoding="utf-8")
    assert front_matter(written["product"])["requires"] == []
    assert front_matter(written["capability"])["in_house"] == "false"
    partner_text = written["partner"].read_text(encoding="utf-8")
    partner = front_matter(written["partner"])
    assert partner["name"] == "Hello World" and partner["provides"] == []
    assert partner["disclosure"] == "white-label"
    assert "never shown" in partner_text and "credited" in partner_text
    for kind, path in written.items():
        for key in front_matter(path):
            assert key in SCHEMA[kind], (kind, key)
        for key in SCHEMA[kind]:
            assert re.search(rf"^(?:# )?{key}:", path.read_text(encoding="utf-8"), re.M), (kind, key)

    build = run(site, "build")
    assert build.returncode == 0, build.stderr
    # The one warning is the new capability nobody offers yet: by design.
    assert [l for l in build.stderr.splitlines() if "warning" in l] == [
        l for l in build.stderr.splitlines() if "capabilities/hello-world.md" in l
    ]
    assert "error" not in build.stderr
    assert (site / "public" / "products" / "hello-world" / "index.html").is_file()
    assert (site / "public" / "hello-world" / "index.html").is_file()
    assert not (site / "public" / "blog" / "hello-world").exists()  # a draft
    check = run(site, "check")
    assert check.returncode == 0, check.stderr


def test_new_partner_and_product_with_empty_lists_keep_build_and_check_clean(site: Path) -> None:
    assert run(site, "new", "partner", "Quiet Supplier").returncode == 0
    assert run(site, "new", "product", "Gift card").returncode == 0
    assert_builds_clean(site)
    for path, data in tree(site / "public").items():
        assert b"quiet" not in data.lower(), path


TRICKY_TITLES = [
    "Soup: the sequel",
    'He said "hi"',
    "It's #1 # really",
    "- leading dash",
    "-x",
    "C# & C++: 100% \\back\\slash",
    "[not a list]",
    "{not: a mapping}",
    "*star & !bang | pipe > more",
    "@at `tick` %percent",
    "yes",
    "null",
    "0123",
    "Ünïcödé — voyage 🍲",
    "key: value # comment",
    "'single' quotes",
]


def test_tricky_titles_read_back_exactly(site: Path) -> None:
    paths: dict[str, Path] = {}
    for title in TRICKY_TITLES:
        done = run(site, "new", "product", "--", title)
        assert done.returncode == 0, (title, done.stderr)
        paths[title] = site / done.stdout.splitlines()[0].removeprefix("sitegen: created ")
    for title, path in paths.items():
        assert front_matter(path)["title"] == title
        text = path.read_text(encoding="utf-8")
        assert yaml.safe_load(text.split("---\n")[1])["title"] == title
    build = run(site, "build")
    assert build.returncode == 0, build.stderr
    for title, path in paths.items():
        page = (site / "public" / "products" / path.stem / "index.html").read_text(encoding="utf-8")
        assert f">{markupsafe.escape(title)}</h1>" in page, title

    # Partners (YAML files) and posts too, without `--` when argparse allows.
    for kind in ("partner", "post", "page", "capability"):
        done = run(site, "new", kind, "A: \"b\" #c - d")
        assert done.returncode == 0, done.stderr
        path = site / done.stdout.splitlines()[0].removeprefix("sitegen: created ")
        key = "name" if kind == "partner" else "title"
        assert front_matter(path)[key] == 'A: "b" #c - d'
    assert run(site, "build").returncode == 0


def test_a_title_too_long_for_a_file_name_gives_a_slug_cut_between_words(site: Path) -> None:
    """As a user pasting a long headline, `new` writes a file whose slug is
    the title's first words (at most 200 characters), keeps the whole
    title, and the site builds."""
    title = "Word " * 60 + "end"  # a slug of over 300 characters
    for kind in ("post", "page", "product"):
        done = run(site, "new", kind, title)
        assert done.returncode == 0, done.stderr
        path = site / done.stdout.splitlines()[0].removeprefix("sitegen: created ")
        slug = re.sub(r"^\d{4}-\d\d-\d\d-", "", path.stem) if kind == "post" else path.stem
        assert slug == "-".join(["word"] * 40), slug
        assert front_matter(path)["title"] == title.strip()
    assert_builds_clean(site)


def test_new_refuses_to_overwrite(site: Path) -> None:
    first = run(site, "new", "post", "Hello")
    assert first.returncode == 0
    path = site / first.stdout.splitlines()[0].removeprefix("sitegen: created ")
    path.write_bytes(b"---\ntitle: mine\ndate: 2020-01-01\n---\nmine\n")
    again = run(site, "new", "post", "Hello")
    assert again.returncode == 1
    assert again.stderr == f"{path.relative_to(site).as_posix()}: already exists\n"
    assert path.read_bytes() == b"---\ntitle: mine\ndate: 2020-01-01\n---\nmine\n"

    about = site / "content" / "pages" / "about.md"
    before = about.read_bytes()
    done = run(site, "new", "page", "About")
    assert done.returncode == 1 and done.stderr == "content/pages/about.md: already exists\n"
    assert about.read_bytes() == before

    # Another file with the same slug would make the build fail: refused too.
    (site / "content" / "posts" / "2020-01-01-old-news.md").write_text(
        "---\ntitle: Old news\ndate: 2020-01-01\n---\n", encoding="utf-8"
    )
    clash = run(site, "new", "post", "Old News")
    assert clash.returncode == 1
    assert clash.stderr.startswith("content/posts/2020-01-01-old-news.md: already exists")
    assert run(site, "new", "product", "EVERYDAY mug").returncode == 1
    assert len(list((site / "content" / "posts").iterdir())) == 3


def test_new_refuses_without_a_content_folder(tmp_path: Path) -> None:
    done = run(tmp_path, "new", "post", "Hello")
    assert done.returncode == 1
    assert done.stderr.startswith("content: ") and "sitegen init" in done.stderr
    assert list(tmp_path.iterdir()) == []
    other = run(tmp_path, "new", "page", "Hello", "--source", "nowhere")
    assert other.returncode == 1 and other.stderr.startswith("nowhere/content: ")
    assert list(tmp_path.iterdir()) == []


def test_new_with_source_writes_into_that_site(site: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run(elsewhere, "new", "capability", "Delivery", "--source", str(site))
    assert done.returncode == 0, done.stderr
    assert (site / "content" / "capabilities" / "delivery.md").is_file()
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("title", ["???", "   ", "日本"])
def test_new_refuses_a_title_without_a_slug(site: Path, title: str) -> None:
    before = tree(site)
    done = run(site, "new", "page", title)
    assert done.returncode == 1
    assert done.stderr.startswith("sitegen new: ")
    assert "empty" in done.stderr
    assert tree(site) == before


def test_new_refuses_page_names_of_built_in_sections_and_bad_input(site: Path) -> None:
    done = run(site, "new", "page", "Blog")
    assert done.returncode == 1 and "/blog/" in done.stderr
    assert not (site / "content" / "pages" / "blog.md").exists()
    assert run(site, "new", "product", "Blog").returncode == 0  # /products/blog/ is fine
    for title in ("two\nlines", "tab\there"):
        refused = run(site, "new", "post", title)
        assert refused.returncode == 1 and refused.stderr.startswith("sitegen new: ")
    wrong = run(site, "new", "widget", "Hello")
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr


def test_help_explains_both_commands(tmp_path: Path) -> None:
    # The real `python -m sitegen`: help leaves through SystemExit, not
    # through cli.run's os._exit, and is wrapped for a pipe.
    new = run(tmp_path, "new", "--help", subprocess=True)
    assert new.returncode == 0
    for word in ("post", "page", "product", "capability", "partner", "white-label", "--source", "draft"):
        assert word in new.stdout, word
    init = run(tmp_path, "init", "--help", subprocess=True)
    assert init.returncode == 0
    assert "--force" in init.stdout and "overwritten" in init.stdout
    top = run(tmp_path, "--help", subprocess=True)
    assert "init" in top.stdout and "new" in top.stdout


def test_init_force_restores_a_deleted_business_yaml_without_adding_examples(site: Path) -> None:
    (site / "content/business.yaml").unlink()
    products = sorted(p.name for p in (site / "content/products").iterdir())
    (site / "content/products" / products[0]).unlink()
    failed = run(site, "build")
    assert failed.returncode == 1
    assert "content/business.yaml: file is missing: `sitegen init --force` writes a starter business.yaml" in failed.stderr
    done = run(site, "init", "--force")
    assert done.returncode == 0, done.stderr
    assert (site / "content/business.yaml").is_file()
    assert sorted(p.name for p in (site / "content/products").iterdir()) == products[1:], "no example came back"
    assert run(site, "build").returncode == 0


def test_init_force_adds_no_example_content_beside_a_sites_own(tmp_path: Path) -> None:
    (tmp_path / "content/capabilities").mkdir(parents=True)
    (tmp_path / "content/capabilities/welding.md").write_text("---\ntitle: Welding\nin_house: true\n---\nWe weld.\n")
    (tmp_path / "content/site.yaml").write_text("base_url: https://weld.example/\n")
    done = run(tmp_path, "init", "--force")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "content/business.yaml").is_file() and (tmp_path / "netlify.toml").is_file()
    for kind in ("products", "posts", "partners", "pages"):
        assert not (tmp_path / "content" / kind).exists(), kind
    assert run(tmp_path, "build").returncode == 0
