"""cli/render.py: where the run page is said to be, and the dataset summary's lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from playclips.cli import render
from playclips.config import Settings
from playclips.outputs.index_page import BROWSER_HOST


def test_page_address_is_a_browser_url_for_gs_and_an_absolute_path_locally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = "gs://bucket/out/reports/r 1/index.html"
    assert render.page_address(uri) == BROWSER_HOST + "bucket/out/reports/r%201/index.html"
    monkeypatch.chdir(tmp_path)
    assert render.page_address("out/x.html") == str(tmp_path / "out" / "x.html")


@pytest.mark.parametrize(
    ("tasks", "where"),
    [
        ("1", "/o/reports/r1/index.html"),
        ("3", "/o/reports/r1/index.html (written by finalize once every task ends)"),
    ],
)
def test_announce_names_the_run_and_its_page(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tasks: str, where: str
) -> None:
    monkeypatch.setenv("CLOUD_RUN_TASK_COUNT", tasks)
    render.announce(Settings(plays="p", videos="v", out="/o/", run_id="r1"), as_json=False)
    assert capsys.readouterr().out == f"Run id: r1\nRun page: {where}\n"


def test_dataset_summary_counts_splits_failures_and_caps_the_skips(
    capsys: pytest.CaptureFixture[str],
) -> None:
    skipped = [{"format": "vertex", "uri": f"u{i}", "reason": "no label"} for i in range(7)]
    summary = {
        "run_id": "r1",
        "games": {"ok": ["g1"], "partial": [], "failed": [{"game_id": "g2", "reason": "x"}]},
        "counts": {"train": {"games": 1, "clips": 4, "vertex": 3, "gemini": 4}},
        "skipped": skipped,
        "warnings": ["w"],
    }
    render.dataset_summary(summary)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "Dataset of run r1: 1 game(s) ok, 0 partial, 1 failed"
    assert lines[1] == "  train      1 game(s), 4 clips (Vertex AI 3, Gemini 4)"
    assert lines[2] == "error: g2: failed: x"
    assert lines[3:8] == [f"warning: vertex: skipped u{i}: no label" for i in range(5)]
    assert lines[8:] == ["warning: 2 more skipped (see summary.json)", "warning: w"]
