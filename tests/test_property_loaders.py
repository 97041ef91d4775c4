"""Property-based tests of the loaders: whatever a content file holds,
`sitegen build` ends with exit 0 or 1 (never an internal error or a
signal), every problem is one `path:line: message` line, a failed build
leaves the previous output as it was, and the build finishes within the
in-process time bound (conftest.IN_PROCESS_TIMEOUT).

Random YAML is drawn from a grammar of what a content file can hold:
scalars of every kind with and without explicit core tags (on the right or
the wrong kind of node), unsafe tags, anchors and aliases, nested mappings
and lists, keys of the schema and unknown ones; then random text and
random bytes. Examples are derived from a fixed seed, so a run is
repeatable.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL_FILES, SiteFolder, write_files

SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROBLEM_LINE = re.compile(r"^content/[^\n]*?(:\d+)?: \S")

TAGS = ["!!int", "!!float", "!!bool", "!!str", "!!null", "!!timestamp", "!!binary", "!!seq", "!!map",
        "!!set", "!!omap", "!!pairs", "!!python/object:os.system", "!!python/name:os.system", "!custom", "!"]
KEYS = ["title", "date", "tags", "categories", "draft", "summary", "author", "image", "price", "currency",
        "requires", "in_house", "disclosure", "since", "until", "provides", "base_url", "posts_per_page",
        "menu", "output_dir", "name", "unknown_key", "x" * 300]

scalars = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["true", "no", "~", "null", "", "2026-13-45", "2026-01-01 25:61", "2026-06-01 10:00 +24:00",
                     "0x", "0o9", ".inf", "1e999", "http://[zz/", "/images/../../etc/passwd", "'", '"', "|", ">",
                     "- a", "{a: [", "*missing", "&a", "\\x00", "\u202e", "\ud7ff"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20).map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
)


def tagged(node: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(node, st.tuples(st.sampled_from(TAGS), node).map(lambda pair: f"{pair[0]} {pair[1]}"))


values = st.recursive(
    tagged(scalars),
    lambda inner: st.one_of(
        tagged(st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")),
        tagged(st.dictionaries(st.sampled_from(KEYS), inner, max_size=4).map(
            lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"
        )),
        st.tuples(st.sampled_from(["&a ", "&b "]), inner).map("".join),
        st.sampled_from(["*a", "*b", "[*a, *a, *a]"]),
    ),
    max_leaves=12,
)

mappings = st.lists(st.tuples(st.sampled_from(KEYS), values), max_size=8).map(
    lambda pairs: "".join(f"{key}: {value}\n" for key, value in pairs)
)
# After a valid title and date: the random keys often leave a post that builds.
extra_keys = st.dictionaries(st.sampled_from([k for k in KEYS if k not in ("title", "date")]), values, max_size=4).map(
    lambda pairs: "title: Random\ndate: 2026-01-01\n" + "".join(f"{key}: {value}\n" for key, value in pairs.items())
)


def checked_build(site: SiteFolder, before: dict[str, bytes]) -> None:
    run = site.build()
    assert run.returncode in (0, 1), (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    if run.returncode == 1:
        assert run.error_lines, run.stderr
        for line in run.error_lines:
            assert PROBLEM_LINE.match(line), line
        assert site.output_bytes() == before, "a failed build changed the output"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The minimal site, built once; each example starts from a copy."""
    root = Path(tmp_path_factory.mktemp("built")) / "site"
    write_files(root, dict(MINIMAL_FILES))
    assert SiteFolder(root).build().returncode == 0
    return root


@contextlib.contextmanager
def fresh_site(tmp_path_factory, built: Path) -> Iterator[tuple[SiteFolder, dict[str, bytes]]]:
    """A copy of the built site for one example, and its output. The copy
    of an example that passed is removed when it ends (240 copies, a third
    of the files a run leaves behind); a failing example's stays."""
    root = Path(tmp_path_factory.mktemp("example")) / "site"
    shutil.copytree(built, root, symlinks=True)
    site = SiteFolder(root)
    yield site, site.output_bytes()
    shutil.rmtree(root.parent, ignore_errors=True)  # tidying never fails an example


@SETTINGS
@given(front=st.one_of(mappings, extra_keys))
def test_random_front_matter(tmp_path_factory, built: Path, front: str) -> None:
    with fresh_site(tmp_path_factory, built) as (site, before):
        (site.root / "content" / "posts").mkdir(exist_ok=True)
        (site.root / "content" / "posts" / "2026-01-01-random.md").write_text(f"---\n{front}---\nBody.\n", encoding="utf-8")
        checked_build(site, before)


@SETTINGS
@given(document=mappings, kind=st.sampled_from(["site.yaml", "business.yaml", "partners/random.yaml"]))
def test_random_yaml_files(tmp_path_factory, built: Path, document: str, kind: str) -> None:
    with fresh_site(tmp_path_factory, built) as (site, before):
        path = site.root / "content" / kind
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document, encoding="utf-8")
        checked_build(site, before)


@SETTINGS
@given(data=st.binary(max_size=600), where=st.sampled_from(["posts/2026-01-01-bytes.md", "pages/bytes.md",
                                                            "partners/bytes.yaml", "site.yaml", "products/widget.md"]))
def test_random_bytes(tmp_path_factory, built: Path, data: bytes, where: str) -> None:
    with fresh_site(tmp_path_factory, built) as (site, before):
        path = site.root / "content" / where
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        checked_build(site, before)


@SETTINGS
@given(body=st.text(max_size=400), front=mappings)
def test_random_text_after_valid_front_matter(tmp_path_factory, built: Path, body: str, front: str) -> None:
    with fresh_site(tmp_path_factory, built) as (site, before):
        (site.root / "content" / "pages").mkdir(exist_ok=True)
        text = f"---\ntitle: Random\n{front}---\n{body}"
        (site.root / "content" / "pages" / "random.md").write_text(text, encoding="utf-8", errors="surrogatepass")
        checked_build(site, before)
