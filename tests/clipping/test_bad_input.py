"""Bad input gets a clear one-line reason and loses nothing else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from playclips.cli import main
from playclips.clipping.game import run_game

from ..conftest import local_job, read_manifest, read_report, write_plays
from ..support.oracle import check_copy_clip
from ..support.sources import make_source

ANGLES = ("FAR_LEFT", "NEAR_LEFT")


def _game(workdir: Path, game: str, files: dict[str, Path | bytes]) -> None:
    folder = workdir / "videos" / game
    folder.mkdir(parents=True, exist_ok=True)
    for angle, content in files.items():
        if isinstance(content, Path):
            (folder / f"{angle}.mp4").symlink_to(content)
        else:
            (folder / f"{angle}.mp4").write_bytes(content)


def _plays(game: str, *rows: tuple) -> list[dict]:
    return [
        {"game_id": game, "play_id": p, "start_s": s, "end_s": e, "label": "run"}
        for p, s, e in rows
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no video for NEAR_LEFT: expected"),
        (os.urandom(200_000), "MP4/MOV, Matroska/WebM or MPEG-TS"),
        ("truncated", "is not a readable video"),
        (b"", "MP4/MOV, Matroska/WebM or MPEG-TS"),
    ],
    ids=["missing", "random-bytes", "truncated-no-moov", "empty"],
)
def test_a_bad_angle_fails_alone(workdir: Path, content: object, reason: str) -> None:
    source = make_source("bframes")
    files: dict[str, Path | bytes] = {"FAR_LEFT": source}
    if content == "truncated":
        files["NEAR_LEFT"] = source.read_bytes()[: source.stat().st_size // 2]
    elif isinstance(content, bytes):
        files["NEAR_LEFT"] = content
    _game(workdir, "g1", files)
    plays = write_plays(workdir / "plays.json", _plays("g1", ("p1", 2.0, 4.0), ("p2", 6, 9.5)))

    report = run_game("g1", local_job(workdir, plays, ANGLES))

    assert report.status == "partial"
    near = next(a for a in report.angles if a.angle == "NEAR_LEFT")
    assert near.status == "failed" and reason in near.error, near.error
    assert "\n" not in near.error
    records = read_manifest(workdir / "out", "g1")
    assert {(r["play_id"], r["angle"]) for r in records} == {("p1", "FAR_LEFT"), ("p2", "FAR_LEFT")}
    for r in records:
        check_copy_clip(source, Path(r["uri"]), r, r["play_start_s"], r["play_end_s"])
    assert read_report(workdir / "out", "r1", "g1")["status"] == "partial"


def test_bad_plays_are_reported_and_skipped(workdir: Path) -> None:
    source = make_source("bframes")
    _game(workdir, "g1", {"FAR_LEFT": source})
    rows = _plays(
        "g1",
        ("good", 1.0, 3.0),
        ("backwards", 5.0, 4.0),
        ("empty", 5.0, 5.0),
        ("negative", -2.0, 1.0),
        ("twice", 6.0, 7.0),
        ("twice", 8.0, 9.0),
        ("words", "soon", 3.0),
        ("nan", float("nan"), 3.0),
        ("../escape", 1.0, 2.0),
    )
    plays = workdir / "plays.json"
    plays.write_text(__import__("json").dumps(rows, allow_nan=True).replace("NaN", '"NaN"'))

    report = run_game("g1", local_job(workdir, plays, ("FAR_LEFT",)))

    assert report.status == "ok"
    assert [r["play_id"] for r in read_manifest(workdir / "out", "g1")] == ["good"]
    reasons = {r.play_id: r.reason for r in report.rejected}
    assert "is not after start_s" in reasons["backwards"]
    assert "is not after start_s" in reasons["empty"]
    assert "negative" in reasons["negative"]
    assert "appears 2 times" in reasons["twice"]
    assert "start_s 'soon' is not a number" in reasons["words"]
    assert "not a finite number" in reasons["nan"]
    assert "invalid play id" in reasons["../escape"]
    assert not (workdir / "out" / "clips" / "g1" / "escape.mp4").exists()


def test_csv_missing_columns_names_them(workdir: Path) -> None:
    plays = workdir / "plays.csv"
    plays.write_text("game_id,play_id,start_s,label\ng1,p1,1.0,run\n")
    result = CliRunner().invoke(
        main,
        [
            "run",
            "g1",
            "--plays",
            str(plays),
            "--videos",
            str(workdir / "videos"),
            "--out",
            str(workdir / "out"),
            "--log-format",
            "text",
            "--run-id",
            "r1",
        ],
    )
    # an unusable plays file is bad usage: exit 2, one line, and still the game's report
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "lacks column(s) end_s" in errors[0], result.output
    report = read_report(workdir / "out", "r1", "g1")
    assert report["status"] == "failed" and "lacks column(s) end_s" in report["error"]
    assert not (workdir / "out" / "clips").exists()


@pytest.mark.parametrize("game_id", ["../x", "a/b", "", "x" * 1024, "é-game", ".hidden"])
def test_bad_game_ids_never_reach_a_path(workdir: Path, game_id: str) -> None:
    plays = write_plays(workdir / "plays.json", _plays("g1", ("p1", 1.0, 2.0)))
    before = sorted(p for p in workdir.rglob("*"))
    report = run_game(game_id, local_job(workdir, plays, ("FAR_LEFT",)))
    assert report.status == "failed"
    assert "invalid game id" in report.error
    assert sorted(p for p in workdir.rglob("*")) == before  # nothing written anywhere


def test_a_game_without_plays_fails_with_the_known_games(workdir: Path) -> None:
    plays = write_plays(workdir / "plays.json", _plays("g1", ("p1", 1.0, 2.0)))
    report = run_game("g2", local_job(workdir, plays, ("FAR_LEFT",)))
    assert report.status == "failed"
    assert "no plays for game 'g2'" in report.error and "g1" in report.error


def test_one_bad_game_leaves_the_others_whole(workdir: Path) -> None:
    source = make_source("bframes")
    _game(workdir, "good", {"FAR_LEFT": source})
    _game(workdir, "bad", {"FAR_LEFT": b"not a video"})
    plays = write_plays(
        workdir / "plays.json",
        _plays("good", ("p1", 1.0, 2.0)) + _plays("bad", ("p1", 1.0, 2.0)),
    )
    result = CliRunner().invoke(
        main,
        [
            "run",
            "good",
            "bad",
            "../x",
            "--plays",
            str(plays),
            "--videos",
            str(workdir / "videos"),
            "--out",
            str(workdir / "out"),
            "--angles",
            "FAR_LEFT",
            "--run-id",
            "r9",
            "--log-format",
            "text",
        ],
    )
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 2, result.output
    assert any("bad: FAR_LEFT:" in e and "not a readable video" in e for e in errors)
    assert any("invalid game id '../x'" in e for e in errors)
    assert read_report(workdir / "out", "r9", "good")["status"] == "ok"
    assert len(read_manifest(workdir / "out", "good")) == 1
