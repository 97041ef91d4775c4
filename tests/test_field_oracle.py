"""The field oracle: every shortcut equals a cold build, for every key.

Generated from the schema: for each key of each content kind (nested ones
included), the key alone is given another value; and a file of every kind
is added, deleted and renamed. After each change the preview (a session
told which file changed, and one that checks file signatures), the
command-line build (incremental, from the saved state) and the no-change
build that follows it must all equal a cold build, byte for byte, or fail
with the same problems.

A key added to the schema is covered without touching this file; a new
*kind of value* must be taught to `SAMPLES` (the test says so). A key that
changes the order, visibility or naming of posts and that some shortcut does
not know about makes this test fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from sitegen.build import BuildOptions, build_site, render_site
from sitegen.session import BuildSession
from sitegen.content import model, schema
from sitegen.errors import BuildFailed

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)
# Every write gets its own file time, one second apart and long past, so
# that neither the file-time granularity nor the racy window of the
# no-change record depends on how fast the machine runs the test.
EPOCH_NS = 1_700_000_000 * 10**9

Data = dict[str, Any]

# Two values for each kind of value: the site starts with the first and
# the oracle changes a key to the second.
SAMPLES: dict[type, Callable[[str], tuple[Any, Any]]] = {
    schema.Text: lambda name: (f"Alpha {name}", f"Beta {name}"),
    schema.Url: lambda name: (f"/images/{name}-a.svg", f"https://example.org/{name}"),
    schema.AbsoluteUrl: lambda name: ("https://example.com/", "https://example.org/shop/"),
    schema.Flag: lambda name: ("false", "true"),
    schema.WholeNumber: lambda name: ("2", "7"),
    schema.Day: lambda name: ("2026-01-01", "2026-03-01"),
    schema.Moment: lambda name: ("2026-02-01 10:00", "2026-06-01 09:00"),
    schema.TextList: lambda name: (["one", "two"], ["three"]),
    schema.Terms: lambda name: (["Soup", "Winter"], ["soup", "Local Farms"]),
    # A partner's `sells` names products; every other reference, capabilities.
    schema.References: lambda name: (["mug"], ["mug", "bowl"]) if name == "sells" else (["design", "firing"], ["design"]),
    schema.Currency: lambda name: ("GBP", "EUR"),
    schema.Price: lambda name: ("6.50", "6400"),
    schema.LocaleCode: lambda name: ("en_GB", "de_DE"),
    schema.Country: lambda name: ("GB", "FR"),
    schema.WebLink: lambda name: ("https://pay.example/a", "https://pay.example/b"),
    schema.Email: lambda name: ("a@example.com", "b@example.com"),
    schema.Colour: lambda name: ("#1d6a4f", "#f5c400"),
    schema.FontList: lambda name: ("serif", "Source Sans 3, sans-serif"),
    schema.Language: lambda name: ("en", "fr"),
    schema.FolderName: lambda name: ("default", "mine"),
    schema.FormTarget: lambda name: ("netlify", "https://forms.example/submit"),
    # In season on the oracle's date (15 June) as first written, out of it after.
    schema.SeasonDayKind: lambda name: ("01-01", "12-01") if name.endswith("from") else ("12-31", "06-01"),
}


def samples(spec: schema.Key) -> tuple[Any, Any]:
    if isinstance(spec.kind, schema.Choice):
        return spec.kind.choices[0], spec.kind.choices[1]
    make = SAMPLES.get(type(spec.kind))
    if make is None:
        pytest.fail(f"the field oracle has no sample values for {type(spec.kind).__name__}: add them to SAMPLES")
    return make(spec.name)


def full_entry(kind: type, fixed: Data) -> Data:
    """Every key of `kind`: the `fixed` values, else the first sample."""
    data: Data = {}
    for spec in schema.keys_of(kind):
        if spec.name in fixed:
            data[spec.name] = fixed[spec.name]
        elif isinstance(spec.kind, schema.Nested):
            data[spec.name] = full_entry(spec.kind.of, {})
        elif isinstance(spec.kind, schema.Entries):
            data[spec.name] = [full_entry(spec.kind.of, {}), full_entry(spec.kind.of, {"name": "Second"})]
        else:
            data[spec.name] = samples(spec)[0]
    return data


def to_yaml(data: Data, indent: str = "") -> str:
    """Mapping -> YAML with every scalar double-quoted (JSON strings are
    valid YAML), lists in flow style, nested mappings indented."""
    lines = []
    for name, value in data.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{name}:\n" + to_yaml(value, indent + "  "))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{indent}{name}:")
            for item in value:
                body = to_yaml(item, indent + "    ")
                lines.append(f"{indent}  - " + body[len(indent) + 4:].rstrip("\n"))
        elif isinstance(value, list):
            lines.append(f"{indent}{name}: [{', '.join(json.dumps(v) for v in value)}]")
        else:
            lines.append(f"{indent}{name}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


class Site:
    """The oracle's site: files as data, written with their own file times."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, tuple[Data, str | None]] = {}
        self.writes = 0

    def put(self, relative: str, data: Data, body: str | None = None) -> Path:
        self.files[relative] = (data, body)
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = to_yaml(data) if body is None else f"---\n{to_yaml(data)}---\n{body}\n"
        path.write_text(text, encoding="utf-8")
        self.writes += 1
        stamp = EPOCH_NS + self.writes * 10**9
        os.utime(path, ns=(stamp, stamp))
        return path

    def delete(self, relative: str) -> Path:
        del self.files[relative]
        path = self.root / relative
        path.unlink()
        return path


def base_site(root: Path) -> tuple[Site, dict[type, str]]:
    """A small site in which every key of every kind has a value; returns
    it and, per kind, the file whose keys the oracle changes."""
    site = Site(root)
    (root / "themes" / "mine" / "templates").mkdir(parents=True)
    (root / "content" / "static" / "images").mkdir(parents=True)
    site.put("content/site.yaml", full_entry(model.SiteConfig, {"title": "Oracle Co", "posts_per_page": "2", "output_dir": "public"}))
    site.put("content/business.yaml", full_entry(model.Business, {"name": "Oracle Co"}))
    credited = {"disclosure": "credited", "since": "2025-01-01", "until": "2027-12-31", "provides": ["firing"]}
    site.put("content/partners/kiln.yaml", full_entry(model.Partner, {"name": "Kiln Co", **credited}))
    site.put("content/partners/hidden.yaml", full_entry(model.Partner, {
        "name": "Hidden Co", "disclosure": "white-label", "since": "2025-01-01", "until": "2027-12-31",
        "provides": ["glazing"],
    }))
    site.put("content/capabilities/design.md", full_entry(model.Capability, {"title": "Design", "in_house": "true"}), "We design.")
    site.put("content/capabilities/firing.md", full_entry(model.Capability, {"title": "Firing", "in_house": "false"}), "Kilns.")
    site.put("content/capabilities/glazing.md", full_entry(model.Capability, {"title": "Glazing", "in_house": "false"}), "Glaze.")
    site.put("content/products/mug.md", full_entry(model.Product, {"title": "Mug"}), "A mug.")
    site.put("content/products/bowl.md", full_entry(model.Product, {"title": "Bowl", "requires": ["design"]}), "A bowl.")
    for n in range(4):
        site.put(
            f"content/posts/p{n}.md",
            full_entry(model.Post, {"title": f"Post {n}", "date": f"2026-0{n + 2}-10 08:00", "draft": "false",
                                    "tags": ["Soup", f"t{n}"]}),
            f"Body of post {n}.\n\n## Part\n\nMore words {n}.",
        )
    site.put("content/pages/about.md", full_entry(model.Page, {"title": "About"}), "About us.")
    site.put("content/pages/contact.md", full_entry(model.Page, {"title": "Contact", "menu": "50"}), "Write.")
    # The files the link samples name (a missing one is an error of its own).
    for kind in KINDS:
        for spec in schema.keys_of(kind):
            if isinstance(spec.kind, schema.Url):
                path = root / "content" / "static" / "images" / f"{spec.name}-a.svg"
                path.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    targets = {
        model.SiteConfig: "content/site.yaml",
        model.Business: "content/business.yaml",
        model.Partner: "content/partners/kiln.yaml",
        model.Capability: "content/capabilities/firing.md",
        model.Product: "content/products/mug.md",
        model.Post: "content/posts/p1.md",
        model.Page: "content/pages/about.md",
    }
    return site, targets


def key_changes(kind: type, data: Data, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Data]]:
    """(description, new data) for each key of `kind`, nested keys included,
    each changed alone from `data`."""
    for spec in schema.keys_of(kind):
        where = path + (spec.name,)
        if isinstance(spec.kind, schema.Nested):
            for label, nested in key_changes(spec.kind.of, data[spec.name], where):
                yield label, {**data, spec.name: nested}
        elif isinstance(spec.kind, schema.Entries):
            for label, first in key_changes(spec.kind.of, data[spec.name][0], where):
                yield label, {**data, spec.name: [first, *data[spec.name][1:]]}
        else:
            first, second = samples(spec)
            yield ".".join(where), {**data, spec.name: second if data[spec.name] != second else first}


def outcome(render: Callable[[], Any]) -> tuple[str, object]:
    try:
        rendered = render()
        # The pages, and the static files the routes publish (photo sizes among them).
        return ("ok", (rendered.files, sorted(static.output for static in rendered.routes.static)))
    except BuildFailed as failed:
        return ("failed", sorted(p.format() for p in failed.problems.errors))


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclass
class Expected:
    """What a cold build of one state of the site gives."""

    render: tuple[str, object]
    output: dict[str, bytes] | None = None
    counts: tuple[int, int] | None = None


class Oracle:
    """Keeps the preview sessions and the command-line output across
    changes, and compares every one of them with a cold build."""

    def __init__(self, site: Site, tmp: Path) -> None:
        self.site = site
        self.options = BuildOptions(source=site.root, now=NOW, drafts=False, jobs=1)
        self.watched = BuildSession(self.options, watched=True)
        self.checked = BuildSession(self.options, watched=False)
        self.cold_output = tmp / "cold"
        self.base = Expected(("unknown", None))

    def check(self, label: str, touched: list[Path], expected: Expected | None = None) -> Expected:
        """Compare every shortcut with a cold build (or with `expected`, a
        cold build of the very same files) and return the cold build."""
        self.watched.forget(touched)
        self.checked.forget(touched)
        if expected is None:
            expected = Expected(outcome(lambda: render_site(self.options)))
        assert outcome(self.watched.render) == expected.render, f"{label}: the preview (told what changed) differs from a cold build"
        assert outcome(self.checked.render) == expected.render, f"{label}: the preview (checking files) differs from a cold build"
        self.check_command_line(label, expected)
        return expected

    def check_command_line(self, label: str, expected: Expected) -> None:
        should_build = expected.render[0] == "ok"
        try:
            incremental = build_site(self.options)
        except BuildFailed:
            assert not should_build, f"{label}: the command-line build failed where a cold one did not"
            return
        assert should_build, f"{label}: the command-line build succeeded where a cold one failed"
        if expected.output is None:
            shutil.rmtree(self.cold_output, ignore_errors=True)
            cold = build_site(BuildOptions(source=self.site.root, now=NOW, jobs=1, cache=False, output=self.cold_output))
            expected.output = folder_bytes(self.cold_output)
            expected.counts = (cold.pages, cold.static_files)
        output = incremental.output
        assert folder_bytes(output) == expected.output, f"{label}: the incremental command-line build differs from a cold build"
        assert (incremental.pages, incremental.static_files) == expected.counts, label
        again = build_site(self.options)
        assert again.output == output, label
        assert (again.pages, again.static_files) == expected.counts, label
        assert folder_bytes(output) == expected.output, f"{label}: the no-change build differs from a cold build"


@pytest.fixture
def oracle(tmp_path: Path) -> Iterator[tuple[Oracle, dict[type, str]]]:
    site, targets = base_site(tmp_path / "site")
    found = Oracle(site, tmp_path)
    found.base = found.check("the base site", [])
    assert (site.root / "public" / "index.html").exists(), "the oracle's base site must build"
    yield found, targets


KINDS = [model.SiteConfig, model.Business, model.Partner, model.Capability, model.Product, model.Post, model.Page]


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_each_key_changed_alone_equals_a_cold_build(oracle: tuple[Oracle, dict[type, str]], kind: type) -> None:
    checker, targets = oracle
    relative = targets[kind]
    data, body = checker.site.files[relative]
    changes = list(key_changes(kind, data))
    assert len(changes) >= len(schema.keys_of(kind))
    for label, changed in changes:
        checker.check(f"{relative}: {label}", [checker.site.put(relative, changed, body)])
        checker.check(f"{relative}: {label} undone", [checker.site.put(relative, data, body)], checker.base)


FILE_KINDS = {
    "partner": ("content/partners/kiln.yaml", "content/partners/kiln-two.yaml"),
    "capability": ("content/capabilities/glazing.md", "content/capabilities/glazing-two.md"),
    "product": ("content/products/bowl.md", "content/products/bowl-two.md"),
    "post": ("content/posts/p2.md", "content/posts/2026-01-01-p2-renamed.md"),
    "page": ("content/pages/about.md", "content/pages/about-us.md"),
}


@pytest.mark.parametrize("kind", sorted(FILE_KINDS))
def test_files_added_deleted_and_renamed_equal_a_cold_build(oracle: tuple[Oracle, dict[type, str]], kind: str) -> None:
    checker, _ = oracle
    existing, other = FILE_KINDS[kind]
    data, body = checker.site.files[existing]
    checker.check(f"{kind}: a second file added", [checker.site.put(other, data, body)])
    checker.check(f"{kind}: the second file deleted", [checker.site.delete(other)])
    moved = [checker.site.delete(existing), checker.site.put(other, data, body)]
    checker.check(f"{kind}: renamed", moved)
    moved = [checker.site.delete(other), checker.site.put(existing, data, body)]
    checker.check(f"{kind}: renamed back", moved)


@pytest.mark.parametrize("relative", ["content/site.yaml", "content/business.yaml"])
def test_site_files_deleted_and_restored_equal_a_cold_build(oracle: tuple[Oracle, dict[type, str]], relative: str) -> None:
    checker, _ = oracle
    data, body = checker.site.files[relative]
    checker.check(f"{relative}: deleted", [checker.site.delete(relative)])
    checker.check(f"{relative}: restored", [checker.site.put(relative, data, body)])


def test_a_term_spelled_anew_elsewhere_equals_a_cold_build(oracle: tuple[Oracle, dict[type, str]]) -> None:
    """A post's displayed tag name is the spelling most posts use (a tie
    goes to the first in sorted order): respelling it in other posts
    changes the page of a post whose file, and whose neighbours' files, did
    not change (p0 keeps "Soup" in its file but must now show "SOUP")."""
    checker, _ = oracle
    originals = {f"content/posts/p{n}.md": checker.site.files[f"content/posts/p{n}.md"] for n in (2, 3)}
    touched = []
    for relative, (data, body) in originals.items():
        touched.append(checker.site.put(relative, {**data, "tags": ["SOUP", *data["tags"][1:]]}, body))
    checker.check("Soup respelled SOUP in two of four posts", touched)
    assert b"SOUP" in (checker.site.root / "public" / "blog" / "p0" / "index.html").read_bytes()
    touched = [checker.site.put(relative, data, body) for relative, (data, body) in originals.items()]
    checker.check("the spelling restored", touched, checker.base)


def test_time_passing_under_future_equals_a_cold_build(tmp_path: Path) -> None:
    """With --future a post dated later is shown marked as scheduled; once
    its moment has passed it is not, though no file changed."""
    site, _ = base_site(tmp_path / "site")
    later = NOW.replace(hour=16)  # the same day: the build date pages show stays as it was
    site.put("content/posts/soon.md", {**site.files["content/posts/p1.md"][0], "title": "Soon",
                                       "date": "2026-06-15 15:00"}, "Coming.")
    for moment in (NOW, later, NOW):
        options = BuildOptions(source=site.root, now=moment, future=True, jobs=1)
        incremental = build_site(options)
        cold_folder = tmp_path / f"cold-{moment.hour}"
        shutil.rmtree(cold_folder, ignore_errors=True)
        build_site(BuildOptions(source=site.root, now=moment, future=True, jobs=1, cache=False, output=cold_folder))
        assert folder_bytes(incremental.output) == folder_bytes(cold_folder), f"--future at {moment}"
        scheduled = b"Scheduled" in (incremental.output / "blog" / "soon" / "index.html").read_bytes()
        assert scheduled == (moment < later), moment
