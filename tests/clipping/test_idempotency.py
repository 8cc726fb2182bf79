"""Reruns make nothing new and write the same manifest; stale clips are replaced."""

from __future__ import annotations

import json
from pathlib import Path

from playclips.clipping.game import run_game
from playclips.clipping.store import META_SPEC
from playclips.storage import LocalStorage

from ..conftest import local_job, read_manifest, write_plays
from ..support.sources import install_game, make_source

ANGLES = ("FAR_LEFT", "NEAR_LEFT")


def _snapshot(out: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in sorted((out / "clips").rglob("*.mp4"))}


def test_a_second_run_makes_nothing_and_rewrites_an_identical_manifest(workdir: Path) -> None:
    install_game(workdir / "videos", "g1", make_source("bframes"), list(ANGLES))
    rows = [
        {
            "game_id": "g1",
            "play_id": f"p{i}",
            "start_s": 2.0 * i,
            "end_s": 2.0 * i + 1.5,
            "label": "run",
        }
        for i in range(5)
    ]
    plays = write_plays(workdir / "plays.json", rows)
    out = workdir / "out"

    first = run_game("g1", local_job(workdir, plays, ANGLES, run_id="r1"))
    manifest = (out / "manifests" / "g1" / "clips.jsonl").read_bytes()
    clips = _snapshot(out)
    second = run_game("g1", local_job(workdir, plays, ANGLES, run_id="r2"))

    assert (first.clips_made, first.clips_skipped) == (10, 0)
    assert (second.clips_made, second.clips_skipped) == (0, 10)
    assert second.bytes_read == 0  # no video was opened
    assert _snapshot(out) == clips
    assert (out / "manifests" / "g1" / "clips.jsonl").read_bytes() == manifest


def test_changed_play_times_replace_only_that_clip(workdir: Path) -> None:
    install_game(workdir / "videos", "g1", make_source("bframes"), ["FAR_LEFT"])
    rows = [
        {"game_id": "g1", "play_id": "a", "start_s": 1.0, "end_s": 2.0, "label": "run"},
        {"game_id": "g1", "play_id": "b", "start_s": 5.0, "end_s": 6.0, "label": "run"},
    ]
    plays = write_plays(workdir / "plays.json", rows)
    run_game("g1", local_job(workdir, plays, ("FAR_LEFT",)))
    out = LocalStorage(str(workdir / "out"))
    old_b = out.stat("clips/g1/FAR_LEFT/b.mp4")
    rows[1]["end_s"] = 9.0
    write_plays(workdir / "plays.json", rows)

    report = run_game("g1", local_job(workdir, plays, ("FAR_LEFT",), run_id="r2"))

    assert (report.clips_made, report.clips_skipped) == (1, 1)
    new_b = out.stat("clips/g1/FAR_LEFT/b.mp4")
    assert new_b and old_b and new_b.metadata[META_SPEC] != old_b.metadata[META_SPEC]
    record = next(r for r in read_manifest(workdir / "out", "g1") if r["play_id"] == "b")
    assert record["clip_end_s"] >= 9.0
    assert json.loads(new_b.metadata["playclips-clip"])["clip_end_s"] == record["clip_end_s"]


def test_a_label_change_updates_the_manifest_without_recutting(workdir: Path) -> None:
    install_game(workdir / "videos", "g1", make_source("bframes"), ["FAR_LEFT"])
    rows = [{"game_id": "g1", "play_id": "a", "start_s": 1.0, "end_s": 2.0, "label": "run"}]
    plays = write_plays(workdir / "plays.json", rows)
    run_game("g1", local_job(workdir, plays, ("FAR_LEFT",)))
    rows[0]["label"] = "pass"
    write_plays(workdir / "plays.json", rows)
    report = run_game("g1", local_job(workdir, plays, ("FAR_LEFT",), run_id="r2"))
    assert report.clips_skipped == 1
    assert read_manifest(workdir / "out", "g1")[0]["label"] == "pass"
