"""The benchmark runner (bench/run.py) still works: CI's smoke run.

Benchmarks are not tests; this only runs the tiny smoke benchmark that
bench/README.md names (50 posts, sitegen only, one counted run, nothing
installed) and checks that it finishes and prints a sensible table.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SMOKE = [
    "bench/run.py", "--posts", "50", "--runs", "1", "--tools", "sitegen",
    "--scenarios", "cold,nochange,post,partner", "--no-install",
]


def test_smoke_run_prints_a_table_for_every_scenario():
    done = subprocess.run(
        [sys.executable, *SMOKE],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    table = done.stdout
    assert "50 posts" in table
    rows = {}
    for line in table.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == 7 and cells[1] == "sitegen":
            rows[cells[0]] = cells
    assert set(rows) == {"cold", "nochange", "post", "partner"}, table
    for scenario, (_, _, median, spread, peak, pages, _) in rows.items():
        assert 0 < float(median) < 120, (scenario, median)
        assert re.fullmatch(r"[\d.]+–[\d.]+", spread), (scenario, spread)
        assert float(peak) > 0, (scenario, peak)
        # 50 posts, 5 blog pages, tag, category and network pages: well over
        # 50 pages, and nowhere near a page per word.
        assert 60 <= int(pages) <= 500, (scenario, pages)
    assert "notes:" not in table, table
