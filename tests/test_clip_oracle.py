"""Copy-mode clips equal the source frame for frame, on every kind of source we know of."""

from __future__ import annotations

from pathlib import Path

import pytest

from playclips.pipeline import run_game

from .conftest import local_job, read_manifest, read_report, write_plays
from .support.oracle import check_copy_clip
from .support.sources import SOURCES, make_source

ANGLES = ("FAR_LEFT", "NEAR_RIGHT")
OFFSETS = {"FAR_LEFT": 0.0, "NEAR_RIGHT": 1.25}


def plays_for(game: str, d: float) -> list[dict]:
    """Plays that hit the edges: t=0, the very end, across the end, overlaps, sub-GOP."""
    rows = [
        ("at_zero", 0.0, 1.5),
        ("mid", 7.3, 9.1),
        ("sub_gop", 11.05, 11.25),
        ("overlap_a", 12.0, 15.0),
        ("overlap_b", 13.5, 16.0),
        ("at_end", d - 3.0, d - 1.4),
        ("across_end", d - 1.5, d + 3.0),
        ("beyond_end", d + 2.0, d + 4.0),
    ]
    return [
        {"game_id": game, "play_id": p, "start_s": s, "end_s": e, "label": p} for p, s, e in rows
    ]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_clip_matches_the_source_frames(name: str, workdir: Path) -> None:
    source = make_source(name)
    d = SOURCES[name].duration_s
    game = f"g_{name}"
    folder = workdir / "videos" / game
    folder.mkdir()
    for angle in ANGLES:
        (folder / f"{angle}{source.suffix}").symlink_to(source)
    videos = [
        {
            "game_id": game,
            "angle": a,
            "uri": f"{game}/{a}{source.suffix}",
            "offset_s": o,
        }
        for a, o in OFFSETS.items()
    ]
    plays = plays_for(game, d)
    plays_file = write_plays(workdir / "plays.json", plays, videos)

    report = run_game(game, local_job(workdir, plays_file, ANGLES))

    assert report.status == "ok", report.to_dict()
    records = read_manifest(workdir / "out", game)
    by_play = {p["play_id"]: p for p in plays}
    made = {(r["play_id"], r["angle"]) for r in records}
    expected = {(p, a) for p in by_play for a in ANGLES}
    # Every play that overlaps the video is clipped on every angle; the one after the end is not.
    assert made == {(p, a) for p, a in expected if p != "beyond_end"}
    for record in records:
        offset = OFFSETS[record["angle"]]
        play = by_play[record["play_id"]]
        clip = Path(record["uri"])
        assert clip.is_file()
        check_copy_clip(source, clip, record, play["start_s"] + offset, play["end_s"] + offset)
        assert record["clip_start_s"] <= play["start_s"] + offset + 1e-6
    saved = read_report(workdir / "out", "r1", game)
    assert {(r["play_id"], r["angle"]) for r in saved["rejected"]} == {
        ("beyond_end", a) for a in ANGLES
    }
    assert all("after the video ends" in r["reason"] for r in saved["rejected"])
    assert {(w["play_id"], w["angle"]) for w in saved["warnings"]} == {
        ("across_end", a) for a in ANGLES
    }
    for r in records:
        if r["play_id"] == "across_end":
            assert "past the end" in r["note"]
