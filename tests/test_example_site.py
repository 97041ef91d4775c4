"""The example site in the repository builds cleanly and keeps its secrets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from conftest import BUILD_EPOCH, REPO, SiteFolder, copy_example_site
from sitegen.content.load import load_site
from sitegen.errors import Problems


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> SiteFolder:
    site = copy_example_site(tmp_path_factory.mktemp("example") / "site")
    result = site.build()
    assert result.returncode == 0, result.stderr
    # The example shows a product withdrawn because an alliance ended (#14):
    # those are its only warnings, and they name what ended.
    assert result.stderr.splitlines() == [
        "content/capabilities/hamper-packing.md:2: warning: capability 'Gift hamper packing' is not "
        "published: it is not in_house and no active partner provides it",
        "content/products/christmas-soup-hamper.md:9: warning: product 'Christmas Soup Hamper' is withdrawn: "
        "it requires capability 'Gift hamper packing' (hamper-packing) that nobody active provides on "
        "2026-06-15; alliance with 'Dales Hamper Co.' (content/partners/dales-hamper-co.yaml) ended on 2026-04-30",
    ]
    return site


def test_the_example_shows_a_reseller_a_season_and_a_withdrawn_product(example):
    where = example.page("/where-to-buy/")
    assert "Hyde Park Pantry" in where and "41 Brudenell Road" in where
    assert "Also sold at" in example.page("/products/spiced-red-lentil-and-tomato/")
    parsnip = example.page("/products/roast-parsnip-and-bramley-apple/")
    assert "Currently unavailable." in parsnip and "Back on 1 October 2026" in parsnip
    hamper = example.page("/products/christmas-soup-hamper/")
    assert "Currently unavailable." in hamper and "request-quote" not in hamper
    everything = b"".join(example.output_bytes().values())
    assert b"Dales Hamper" not in everything and b"Ann retired" not in everything


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


EXPECTED_WARNINGS = 2  # the withdrawn hamper and its unpublished capability (see `example`)


def test_example_site_check_is_clean(example):
    result = example.run("check")
    assert result.returncode == 0
    # No error and no broken link; the warnings are the build's, on purpose.
    lines = result.stderr.splitlines()
    assert len(lines) == EXPECTED_WARNINGS and all(": warning: " in line for line in lines), result.stderr


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


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtual environment (its dependencies from this interpreter),
    made once for the two tests below. Neither changes what the other
    finds there: one installs the wheel with --ignore-installed, the other
    only resolves with --dry-run --ignore-installed, which does not look at
    what is installed."""
    folder = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(folder)], check=True, timeout=120)
    return folder


def test_wheel_ships_the_built_in_theme_and_builds_anywhere(venv, tmp_path):
    """A non-editable install carries the templates and the stylesheet (the
    top-level themes/default/ inside the package) and builds a site in a
    folder that has nothing to do with the repository."""
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("sitegen", "themes"):
        shutil.copytree(REPO / folder, project / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, project / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(project)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    [wheel] = list(Path(tmp_path).glob("sitegen_alliance-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "sitegen/themes/default/templates/base.html" in names
    assert "sitegen/themes/default/static/assets/site.css" in names
    assert "sitegen/py.typed" in names
    assert "sitegen/preview/live.js" in names
    assert any(n.startswith("sitegen/starter/site/content/") for n in names)
    assert not any(n.startswith(("themes/", "content/", "tests/")) for n in names)

    # Installed into a fresh virtual environment (its dependencies from this
    # interpreter), the console script builds a site far from the checkout.
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", str(wheel)], check=True, timeout=300)
    site = tmp_path / "elsewhere" / "site"
    shutil.copytree(REPO / "content", site / "content")
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SITEGEN_DEBUG")}
    environment["SOURCE_DATE_EPOCH"] = BUILD_EPOCH
    built = subprocess.run(
        [str(venv / "bin" / "sitegen"), "build"], cwd=site, env=environment,
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr
    css = (site / "public" / "assets" / "site.css").read_bytes()
    assert css == (REPO / "themes" / "default" / "static" / "assets" / "site.css").read_bytes()
    located = subprocess.run(
        [str(python), "-c", "import sitegen.render.theme as t; print(t.BUILTIN_THEME)"],
        cwd=site, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert str(venv) in located.stdout


def test_the_starters_install_line_installs_this_project_and_never_the_other_sitegen(venv, tmp_path):
    """`init` writes requirements.txt for Netlify. Resolved with this
    project's wheel at hand, it selects that wheel; resolved against the
    package index alone, it never selects the unrelated `sitegen` there."""
    from sitegen import __version__
    from sitegen.scaffold import site_files

    requirements = tmp_path / "requirements.txt"
    requirements.write_text(site_files(date.today())["requirements.txt"], encoding="utf-8")
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr
    # In a fresh virtual environment, the install line (as Netlify runs it,
    # with the wheel where pip looks for files) picks this project.
    report = tmp_path / "report.json"
    resolved = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--report", str(report), "--find-links", str(wheels), "-r", str(requirements)],
        capture_output=True, text=True, timeout=600,
    )
    assert resolved.returncode == 0, resolved.stderr
    chosen = {item["metadata"]["name"]: item for item in json.loads(report.read_text())["install"]}
    ours = chosen["sitegen-alliance"]
    assert ours["metadata"]["version"] == __version__
    assert ours["download_info"]["url"].startswith("file:") and ours["download_info"]["url"].endswith(".whl")
    assert "sitegen" not in chosen, "the unrelated `sitegen` distribution was selected"
    # Against the package index alone, the pin cannot fall back to `sitegen`.
    public = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--report", "-", "-r", str(requirements)],
        capture_output=True, text=True, timeout=600,
    )
    assert "sitegen-0.9" not in public.stdout + public.stderr and '"name": "sitegen"' not in public.stdout
    if public.returncode == 0:  # once this version is published, it is this project
        assert '"name": "sitegen-alliance"' in public.stdout
