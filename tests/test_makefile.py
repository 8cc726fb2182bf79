"""The Makefile: `make help` lists every entry point and fits a terminal."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_make_help_fits_80_columns() -> None:
    proc = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = proc.stdout.splitlines()
    assert len(lines) > 10 and max(len(line) for line in lines) <= 80
    names = [line.split()[0] for line in lines if not line.startswith("   ")]
    assert {"help", "test", "demo", "run-page-png"} <= set(names)
    # Descriptions start in one column, whatever the length of the target names.
    starts = {len(line) - len(line[2:].split(None, 1)[1]) for line in lines if line[2] != " "}
    assert len(starts) == 1, starts
