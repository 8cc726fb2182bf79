"""Copy-mode clips equal the source frame for frame and packet for packet, on every kind of
source we know of, on the player's timeline; a second, independent reader agrees."""

from __future__ import annotations

from pathlib import Path

import pytest

from playclips.clipping.game import run_game

from .conftest import local_job, read_manifest, read_report, write_plays
from .support.oracle import check_copy_clip, duration, frames, hash_clips, keyframe_times
from .support.second_reader import check_with_second_reader
from .support.sources import SOURCES, make_source

ANGLES = ("FAR_LEFT", "NEAR_RIGHT")
# NEAR_RIGHT's file starts 1.25 s after the game's reference clock: plays near 0 begin before
# its first frame there.
OFFSETS = {"FAR_LEFT": 0.0, "NEAR_RIGHT": -1.25}


def plays_for(game: str, d: float, keyframes: list[float]) -> list[dict]:
    """Plays that hit the edges: t=0 (before NEAR_RIGHT's start), wholly before NEAR_RIGHT's
    video, the very end, across the end,
    overlaps, sub-GOP, and starts just before a keyframe (within the B-frame reorder delay,
    where a keyframe is decoded before but shown after the play's start)."""
    rows = [
        ("at_zero", 0.0, 1.5),
        ("before_video", 0.2, 1.0),
        ("mid", 7.3, 9.1),
        ("sub_gop", 11.05, 11.25),
        ("overlap_a", 12.0, 15.0),
        ("overlap_b", 13.5, 16.0),
        ("at_end", d - 3.0, d - 1.4),
        ("across_end", d - 1.5, d + 3.0),
        ("beyond_end", d + 2.0, d + 4.0),
    ]
    middle = [k for k in keyframes if 4.0 < k < d - 4.0]
    if middle:
        k = middle[len(middle) // 2]
        rows += [("before_key_half", k - 0.016, k + 1.0), ("before_key_frame", k - 0.034, k + 0.5)]
    return [
        {"game_id": game, "play_id": p, "start_s": s, "end_s": e, "label": p} for p, s, e in rows
    ]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_clip_matches_the_source(name: str, workdir: Path) -> None:
    source = make_source(name)
    d = round(duration(str(source)), 3)  # plays are timed to the millisecond
    game = f"g_{name}"
    folder = workdir / "videos" / game
    folder.mkdir()
    for angle in ANGLES:
        (folder / f"{angle}{source.suffix}").symlink_to(source)
    videos = [{"game_id": game, "angle": a, "offset_s": o} for a, o in OFFSETS.items()]
    plays = plays_for(game, d, keyframe_times(str(source)))
    plays_file = write_plays(workdir / "plays.json", plays, videos)

    report = run_game(game, local_job(workdir, plays_file, ANGLES))

    assert report.status == "ok", report.to_dict()
    records = read_manifest(workdir / "out", game)
    by_play = {p["play_id"]: p for p in plays}
    first = float(frames(str(source))[0].t)  # the first frame a player shows
    # A play is clipped on an angle where it overlaps the video, rejected where it does not.
    overlaps = {
        (p["play_id"], a)
        for p in plays
        for a, o in OFFSETS.items()
        if p["end_s"] + o > first and p["start_s"] + o < d
    }
    made = {(r["play_id"], r["angle"]) for r in records}
    assert made == overlaps
    assert ("mid", "FAR_LEFT") in made
    carried = SOURCES[name].carried_audio
    hash_clips([r["uri"] for r in records])
    for record in records:
        offset = OFFSETS[record["angle"]]
        play = by_play[record["play_id"]]
        clip = Path(record["uri"])
        check_copy_clip(
            source, clip, record, play["start_s"] + offset, play["end_s"] + offset, carried
        )
        assert record["clip_start_s"] <= max(play["start_s"] + offset, first) + 1e-6
        check_with_second_reader(source, clip, record)
    saved = read_report(workdir / "out", "r1", game)
    rejected = {(r["play_id"], r["angle"]): r["reason"] for r in saved["rejected"]}
    assert set(rejected) == {(p, a) for p in by_play for a in ANGLES} - overlaps
    assert ("beyond_end", "FAR_LEFT") in rejected
    warned = {(w["play_id"], w["angle"]) for w in saved["warnings"]}
    notes = {(r["play_id"], r["angle"]): r.get("note", "") for r in records}
    for (play_id, angle), note in notes.items():
        play, offset = by_play[play_id], OFFSETS[angle]
        starts_early = play["start_s"] + offset < first - 1e-6
        ends_late = play["end_s"] + offset > d + 1e-6
        assert ("before the first frame" in note) == starts_early, (play_id, angle, note)
        assert ("past the last frame" in note) == ends_late, (play_id, angle, note)
        assert ((play_id, angle) in warned) == bool(note)
