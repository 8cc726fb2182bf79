"""Progress: an ETA on a terminal and in the periodic log lines; run_id on every JSON line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from playclips.outputs.report import AngleReport, GameReport
from playclips.run import progress
from playclips.run.progress import (
    LineProgress,
    TerminalProgress,
    estimated_total,
    eta_seconds,
    format_eta,
)


@pytest.mark.parametrize(
    ("done", "total", "elapsed", "eta"),
    [(0, 10, 5.0, None), (5, 20, 10.0, 30.0), (20, 20, 9.0, 0.0), (1, 150, 2.0, 298.0)],
)
def test_eta_is_the_clips_left_at_the_rate_so_far(
    done: int, total: int, elapsed: float, eta: float | None
) -> None:
    assert eta_seconds(done, total, elapsed) == eta


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "?"), (0, "0m00s"), (65.4, "1m05s"), (7380, "2h03m")]
)
def test_eta_reads_as_minutes_or_hours(seconds: float | None, text: str) -> None:
    assert format_eta(seconds) == text


@pytest.mark.parametrize(
    ("planned", "games_planned", "games", "total"),
    [(600, 1, 10, 6000), (600, 2, 3, 900), (600, 3, 3, 600), (600, 1, 0, 600), (0, 0, 5, 0)],
)
def test_games_not_planned_yet_count_at_the_average_so_far(
    planned: int, games_planned: int, games: int, total: int
) -> None:
    assert estimated_total(planned, games_planned, games) == total


def test_eta_of_a_many_game_run_counts_the_games_to_come(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([0.0, 10.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    display = LineProgress(json_lines=True, stream=stream, run_id="r9", games=4)
    display.angle_planned("g1", "FAR_LEFT", 10)
    display.clip_done("g1", "FAR_LEFT", "made", 1)  # 1 of ~40 clips in 10 s
    (line,) = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert (line["clips_total"], line["eta_s"]) == (40, 390.0)


def test_json_progress_lines_carry_run_id_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([100.0, 101.0, 102.0, 110.0, 111.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    display = LineProgress(json_lines=True, stream=stream, run_id="r9")  # started at 100 s
    display.angle_planned("g1", "FAR_LEFT", 10)
    display.clip_done("g1", "FAR_LEFT", "made", 1000)  # 101 s: 1 of 10 in 1 s
    display.clip_done("g1", "FAR_LEFT", "made", 1000)  # 102 s: within 5 s, no line
    display.clip_done("g1", "FAR_LEFT", "made", 1000)  # 110 s: 3 of 10 in 10 s
    display.angle_done("g1", AngleReport("FAR_LEFT", clips_made=3))
    display.game_done(GameReport(run_id="r9", game_id="g1"))
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert all(x["run_id"] == "r9" for x in lines) and len(lines) == 4
    first, second = lines[0], lines[1]
    assert (first["clips_done"], first["eta_s"]) == (1, 9.0)
    assert (second["clips_done"], second["eta_s"]) == (3, 23.3)
    assert second["message"].endswith("ETA 0m23s")


def test_text_progress_lines_show_the_eta() -> None:
    stream = io.StringIO()
    display = LineProgress(json_lines=False, stream=stream, run_id="r9")
    display.angle_planned("g1", "FAR_LEFT", 4)
    display.clip_done("g1", "FAR_LEFT", "made", 10)
    assert "1/4 clips" in stream.getvalue() and "ETA " in stream.getvalue()


def test_terminal_progress_has_a_whole_run_bar_with_an_eta() -> None:
    from rich.progress import TimeRemainingColumn

    display = TerminalProgress(games=2)
    try:
        display.angle_planned("g1", "FAR_LEFT", 3)
        display.angle_planned("g1", "NEAR_LEFT", 2)
        display.clip_done("g1", "FAR_LEFT", "made", 10)
        bars = {t.description: t for t in display._progress.tasks}
        # g2 is not planned yet: counted at g1's 5 clips
        assert bars["all clips"].total == 10 and bars["all clips"].completed == 1
        assert any(isinstance(c, TimeRemainingColumn) for c in display._progress.columns)
    finally:
        display.close()


def test_trigger_without_credentials_is_one_line_with_no_warning(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GOOGLE_", "CLOUDSDK_", "GCE_")) and k != "PYTHONWARNINGS"
    }
    env |= {"HOME": str(tmp_path), "NO_GCE_CHECK": "True", "CLOUDSDK_CONFIG": str(tmp_path)}
    proc = subprocess.run(
        [
            *(sys.executable, "-W", "default", "-m", "playclips.cli", "trigger", "g1"),
            *("--env", "dev", "--project", "p", "--region", "europe-west1", "--workflow", "w"),
            *("--training-bucket", "b"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "error: no Google credentials found: run `gcloud auth application-default login` (or "
        "set GOOGLE_APPLICATION_CREDENTIALS to a credentials file), then trigger again"
    ], proc.stderr


def _two_games() -> list[GameReport]:
    from playclips.model import PlayIssue

    good = GameReport(run_id="r1", game_id="g1", seconds=2.25)
    good.angles = [
        AngleReport(angle="WIDE", clips_made=3, bytes_read=2_500_000, bytes_written=1_200_000),
        AngleReport(angle="TIGHT", clips_made=1, clips_skipped=2),
    ]
    bad = GameReport(run_id="r1", game_id="g2", status="partial")
    bad.angles = [AngleReport(angle="WIDE", status="failed", clips_failed=2, error="gone")]
    bad.rejected = [PlayIssue("p1", "late", "WIDE"), PlayIssue("p1", "late", "TIGHT")]
    return [good, bad]


def test_summary_table_has_one_row_per_game_with_its_totals() -> None:
    out = io.StringIO()
    progress.summary_table(_two_games(), out)
    rows = {line.split("│")[1].strip(): line for line in out.getvalue().splitlines() if "│" in line}
    cells = [c.strip() for c in rows["g1"].split("│")[1:-1]]
    assert cells == ["g1", "ok", "4", "2", "0", "0", "2.5", "1.2", "2.2"]
    cells = [c.strip() for c in rows["g2"].split("│")[1:-1]]
    assert cells[:6] == ["g2", "partial", "0", "0", "2", "1"]  # a play rejected twice counts once


def test_a_game_and_angle_end_as_one_line_each_with_their_severity() -> None:
    out = io.StringIO()
    lines = LineProgress(json_lines=True, stream=out, run_id="r1")
    good, bad = _two_games()
    lines.angle_done("g2", bad.angles[0])
    lines.game_done(good)
    lines.game_done(bad)
    angle, first, second = (json.loads(x) for x in out.getvalue().splitlines())
    assert (angle["severity"], angle["message"]) == ("ERROR", "g2 WIDE: failed: gone")
    assert (first["severity"], first["message"], first["clips_made"]) == ("INFO", "g1: ok", 4)
    assert (second["severity"], second["status"], second["plays_rejected"]) == (
        "ERROR",
        "partial",
        2,
    )
    assert {x["run_id"] for x in (angle, first, second)} == {"r1"}


def test_both_displays_have_every_method_the_runner_calls() -> None:
    from playclips.run.runner import Display

    wanted = {n for n in vars(Display) if not n.startswith("_")} | {
        "angle_planned",
        "clip_done",
        "angle_done",
    }
    for display in (LineProgress, TerminalProgress):
        assert wanted <= {n for n in dir(display) if callable(getattr(display, n))}
