"""The timeline with drift: file time = offset_s + game time * (1 + drift_ppm / 1e6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playclips.clipping.game import run_game
from playclips.model import Game, Play, Video
from playclips.plan import plan_game, spec_hash
from playclips.plays import LocalPlaysFile, PlaysError
from tests.conftest import local_job, read_manifest, write_plays
from tests.support.sources import install_game, make_source


def _game(**video: object) -> Game:
    play = Play("g", "late", 10_000.0, 10_008.0)
    return Game("g", (play,), {"FAR_LEFT": Video("g", "FAR_LEFT", "", **video)})  # type: ignore[arg-type]


def test_the_planner_maps_plays_with_offset_and_drift() -> None:
    specs, issues = plan_game(_game(offset_s=-2.5, drift_ppm=50.0), ["FAR_LEFT"])
    assert not issues
    assert specs[0].start_s == pytest.approx(-2.5 + 10_000.0 * 1.00005, abs=1e-9)
    assert specs[0].end_s == pytest.approx(-2.5 + 10_008.0 * 1.00005, abs=1e-9)


def test_no_drift_means_what_an_offset_always_meant() -> None:
    specs, _ = plan_game(_game(offset_s=3.0), ["FAR_LEFT", "NEAR_LEFT"])
    assert [(s.angle, s.start_s, s.end_s) for s in specs] == [
        ("FAR_LEFT", 10_003.0, 10_011.0),
        ("NEAR_LEFT", 10_000.0, 10_008.0),  # no video row: offset 0, drift 0
    ]


def test_a_new_drift_makes_a_new_clip() -> None:
    # The spec hash decides whether a clip is made again: a changed drift must change it.
    before, _ = plan_game(_game(offset_s=3.0), ["FAR_LEFT"])
    after, _ = plan_game(_game(offset_s=3.0, drift_ppm=20.0), ["FAR_LEFT"])
    assert spec_hash(before[0], {}) != spec_hash(after[0], {})


def _plays_file(tmp_path: Path, video: dict) -> LocalPlaysFile:
    path = tmp_path / "plays.json"
    plays = [{"game_id": "g", "play_id": "p", "start_s": 1, "end_s": 2}]
    path.write_text(json.dumps({"plays": plays, "videos": [{"game_id": "g", **video}]}))
    return LocalPlaysFile(str(path))


def test_the_plays_file_reads_drift_and_the_sync_fields(tmp_path: Path) -> None:
    row = {"angle": "FAR_LEFT", "uri": "a.mp4", "offset_s": 1.25, "drift_ppm": -33.5}
    row |= {"offset_correction_s": 0.02, "synced_at": "2026-11-30T12:00:00+00:00"}
    video = _plays_file(tmp_path, row).load_game("g").videos["FAR_LEFT"]
    assert video == Video("g", "FAR_LEFT", "a.mp4", 1.25, -33.5, "2026-11-30T12:00:00+00:00", 0.02)
    bare = _plays_file(tmp_path, {"angle": "FAR_LEFT"}).load_game("g").videos["FAR_LEFT"]
    assert (bare.offset_s, bare.drift_ppm, bare.synced_at) == (0.0, 0.0, None)


@pytest.mark.parametrize("value", ["fast", "nan", [1]])
def test_a_bad_drift_is_refused_naming_the_field(tmp_path: Path, value: object) -> None:
    source = _plays_file(tmp_path, {"angle": "FAR_LEFT", "drift_ppm": value})
    with pytest.raises(PlaysError, match=r"drift_ppm .* is not a"):
        source.load_game("g")


def test_a_run_cuts_each_angle_where_its_drift_puts_the_play(workdir: Path) -> None:
    """End to end: the manifest's play offsets land where offset + t x (1 + drift) says."""
    install_game(workdir / "videos", "g1", make_source("bframes"), ["FAR_LEFT", "NEAR_LEFT"])
    videos = [
        {"game_id": "g1", "angle": "FAR_LEFT", "offset_s": 0.5},
        # 5% (50,000 ppm): far beyond a real clock, so the shift is whole frames at 30 fps.
        {"game_id": "g1", "angle": "NEAR_LEFT", "offset_s": 0.5, "drift_ppm": 50_000},
    ]
    plays = write_plays(
        workdir / "plays.json",
        [{"game_id": "g1", "play_id": "p1", "start_s": 10.0, "end_s": 12.0}],
        videos,
    )
    report = run_game("g1", local_job(workdir, plays, ("FAR_LEFT", "NEAR_LEFT")))
    assert report.status == "ok", report
    starts = {
        r["angle"]: r["clip_start_s"] + r["play_start_offset_s"]
        for r in read_manifest(workdir / "out", "g1")
    }
    assert starts["FAR_LEFT"] == pytest.approx(10.5, abs=1e-6)
    assert starts["NEAR_LEFT"] == pytest.approx(0.5 + 10.0 * 1.05, abs=1e-6)
