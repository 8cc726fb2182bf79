"""outputs/report.py: a game's report is strict JSON with its counts, and every message it
gives is one line, naming the game, angle and play."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from playclips.model import PlayIssue
from playclips.outputs.report import AngleReport, GameReport, one_line, write_report
from playclips.storage import LocalStorage


def _report() -> GameReport:
    return GameReport(
        run_id="r1",
        game_id="g1",
        status="partial",
        plays=3,
        clips_planned=6,
        angles=[
            AngleReport(
                "FAR_LEFT", clips_made=2, clips_skipped=1, bytes_read=100, bytes_written=40
            ),
            AngleReport("NEAR_LEFT", status="failed", error="no video", clips_failed=3),
        ],
        rejected=[PlayIssue("p3", "ends before it starts"), PlayIssue("p3", "late", "FAR_LEFT")],
        failed=[PlayIssue("p2", "clip over the byte limit", "FAR_LEFT")],
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\nb\r\tc", "a\\nb\\r\\tc"),
        ("\x1b[31mred\x7f", "\\x1b[31mred\\x7f"),
        ("next\x85line\u2028sep\u2029", "next\\x85line\\u2028sep\\u2029"),
        ("jeu décisif ⚽", "jeu décisif ⚽"),  # printable text is left alone
    ],
)
def test_one_line_escapes_every_control_character(text: str, shown: str) -> None:
    assert one_line(text) == shown
    assert len(one_line(text).splitlines()) == 1


def test_the_json_holds_the_counts_summed_over_angles() -> None:
    data = json.loads(_report().to_json())
    assert data["counts"] == {
        "plays": 3,
        "plays_rejected": 1,  # one play, rejected on two grounds
        "clips_planned": 6,
        "clips_made": 2,
        "clips_skipped_existing": 1,
        "clips_failed": 3,
    }
    assert (data["bytes_read"], data["bytes_written"]) == (100, 40)
    assert [a["angle"] for a in data["angles"]] == ["FAR_LEFT", "NEAR_LEFT"]
    assert data["failed"] == [
        {"play_id": "p2", "reason": "clip over the byte limit", "angle": "FAR_LEFT"}
    ]


def test_the_json_is_strict() -> None:
    report = _report()
    report.seconds = math.inf
    with pytest.raises(ValueError):
        report.to_json()


def test_failure_and_warning_lines_name_game_angle_and_play() -> None:
    report = _report()
    assert report.failure_lines() == [
        "g1: NEAR_LEFT: no video",
        "g1: FAR_LEFT: play p2: clip over the byte limit",
    ]
    assert report.warning_lines() == [
        "g1: play p3 skipped: ends before it starts",
        "g1: FAR_LEFT: play p3 skipped: late",
    ]
    report.error = "plays file\nis gone"
    assert report.failure_lines() == ["g1: plays file\\nis gone"]  # the game's error alone
    report.game_id = "x" * 100
    assert report.failure_lines()[0].startswith("x" * 57 + "...: ")


def test_write_report_puts_it_where_the_run_page_reads_it(tmp_path: Path) -> None:
    report = _report()
    write_report(report, LocalStorage(str(tmp_path)), "r1")
    written = tmp_path / "reports" / "r1" / "g1.json"
    assert written.read_bytes() == report.to_json()
    assert report.status == "partial"


def test_a_report_that_cannot_be_written_fails_the_game_and_says_why(tmp_path: Path) -> None:
    (tmp_path / "reports").write_text("a file where the folder should be")
    report = _report()
    write_report(report, LocalStorage(str(tmp_path)), "r1")
    assert report.status == "failed"
    assert report.error.startswith("could not write the report: ")
    assert "reports is a file, not a folder" in report.error
    nan = _report()
    nan.seconds = math.nan
    write_report(nan, LocalStorage(str(tmp_path / "elsewhere")), "r1")
    assert nan.status == "failed" and "could not write the report" in nan.error
    assert not (tmp_path / "elsewhere" / "reports" / "r1" / "g1.json").exists()
