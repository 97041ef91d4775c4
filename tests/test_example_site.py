"""The example site in the repository builds cleanly and keeps its secrets."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, SiteFolder, copy_example_site
from sitegen.load import load_site
from sitegen.errors import Problems


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> SiteFolder:
    site = copy_example_site(tmp_path_factory.mktemp("example") / "site")
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", "the example site builds without warnings"
    return site


def test_example_site_has_a_believable_network():
    problems = Problems(REPO)
    records = load_site(REPO, problems)
    assert not problems.has_errors()
    disclosures = [r.data.get("disclosure", "white-label") for r in records.partners]
    assert len(records.partners) >= 5
    assert "credited" in disclosures and "white-label" in disclosures
    assert any(r.data.get("until") for r in records.partners), "one alliance has ended"
    assert len(records.capabilities) >= 6
    assert len(records.products) >= 4
    assert len(records.pages) >= 3


def test_example_site_check_is_clean(example):
    result = example.run("check")
    assert result.returncode == 0
    assert result.stderr == ""


def test_example_white_label_partners_leave_no_trace(example):
    problems = Problems(REPO)
    records = load_site(REPO, problems)
    output = b"\n".join(
        name.encode() + b"\n" + data for name, data in example.output_bytes().items()
    )
    hidden = [r for r in records.partners if r.data.get("disclosure", "white-label") == "white-label"]
    assert hidden
    for record in hidden:
        for key in ("name", "url", "logo", "location", "blurb", "notes"):
            value = record.data.get(key)
            if value:
                assert value.encode() not in output, (record.path.name, key)
        assert record.slug.encode() not in output, record.path.name
    for record in records.partners:
        if record.data.get("notes"):
            assert record.data["notes"].strip().encode() not in output


def test_example_site_pages_exist(example):
    for url in ("/", "/products/", "/capabilities/", "/network/", "/blog/", "/about/", "/404.html"):
        assert example.page(url if url.endswith("/") else url)
    network = example.page("/network/")
    assert network.count('class="partner') >= 3 or network.count("<article") >= 3


def test_two_builds_of_the_example_give_identical_bytes(example, tmp_path):
    first = example.output_bytes()
    other = tmp_path / "again"
    result = example.build("--output", str(other))
    assert result.returncode == 0, result.stderr
    assert example.output_bytes(other) == first


def test_wheel_ships_the_built_in_theme(tmp_path):
    """A non-editable install carries the templates and the stylesheet."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, project / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(project)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    [wheel] = list(Path(tmp_path).glob("sitegen-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "sitegen/themes/default/templates/base.html" in names
    assert "sitegen/themes/default/static/assets/site.css" in names
    assert "sitegen/py.typed" in names
