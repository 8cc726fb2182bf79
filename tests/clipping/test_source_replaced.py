"""A source video replaced under the same name: every clip cut from it is made again.

A clip is skipped on a rerun only when the metadata on it names the version (generation) of
the source it was cut from and that is still the version in place. These tests replace one
angle's video with different footage of the same length and name, and check that each of its
clips is cut again from the new footage (frame for frame) while the other angle's clips are
left alone, and that a manifest written while the angle is not selected does not list the
stale clips.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playclips.clipping.game import run_game

from ..conftest import local_job, read_manifest, read_report, write_plays
from ..support.oracle import check_copy_clip
from ..support.sources import make_source

ANGLES = ("FAR_LEFT", "NEAR_LEFT")
PLAYS = [
    {"game_id": "g1", "play_id": p, "start_s": s, "end_s": e, "label": "run"}
    for p, s, e in (("p1", 2.0, 4.0), ("p2", 6.0, 9.5), ("p3", 12.0, 13.0), ("p4", 16.0, 18.0))
]


def _replace(path: Path, source: Path) -> None:
    """Put `source`'s bytes at `path` the way an upload tool does: a new file, renamed over."""
    tmp = path.with_name(".upload-" + path.name)
    shutil.copyfile(source, tmp)
    os.replace(tmp, path)


def _setup(workdir: Path) -> tuple[Path, Path, Path]:
    old, new = make_source("bframes"), make_source("open_gop")
    assert old.read_bytes() != new.read_bytes()
    folder = workdir / "videos" / "g1"
    folder.mkdir(parents=True)
    (folder / "FAR_LEFT.mp4").symlink_to(old)
    shutil.copyfile(old, folder / "NEAR_LEFT.mp4")
    return old, new, write_plays(workdir / "plays.json", PLAYS)


def _clips(out: Path, angle: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "clips" / "g1" / angle).glob("*.mp4"))}


def test_every_clip_of_a_replaced_video_is_made_again(workdir: Path) -> None:
    old, new, plays = _setup(workdir)
    out = workdir / "out"
    first = run_game("g1", local_job(workdir, plays, ANGLES, run_id="r1"))
    assert first.status == "ok" and first.clips_made == 8
    before = {a: _clips(out, a) for a in ANGLES}

    _replace(workdir / "videos" / "g1" / "NEAR_LEFT.mp4", new)
    second = run_game("g1", local_job(workdir, plays, ANGLES, run_id="r2"))

    angles = {a.angle: a for a in second.angles}
    assert second.status == "ok"
    assert (angles["NEAR_LEFT"].clips_made, angles["NEAR_LEFT"].clips_skipped) == (4, 0)
    assert (angles["FAR_LEFT"].clips_made, angles["FAR_LEFT"].clips_skipped) == (0, 4)
    assert _clips(out, "FAR_LEFT") == before["FAR_LEFT"]
    after = _clips(out, "NEAR_LEFT")
    assert after.keys() == before["NEAR_LEFT"].keys()
    assert all(after[name] != before["NEAR_LEFT"][name] for name in after)
    records = read_manifest(out, "g1")
    assert len(records) == 8
    for r in records:  # each clip is the frames of the video now in place
        source = new if r["angle"] == "NEAR_LEFT" else old
        check_copy_clip(source, Path(r["uri"]), r, r["play_start_s"], r["play_end_s"])
    assert read_report(out, "r2", "g1")["counts"]["clips_made"] == 4


def test_a_manifest_never_lists_the_clips_of_a_replaced_video(workdir: Path) -> None:
    _, new, plays = _setup(workdir)
    out = workdir / "out"
    assert run_game("g1", local_job(workdir, plays, ANGLES, run_id="r1")).status == "ok"

    _replace(workdir / "videos" / "g1" / "NEAR_LEFT.mp4", new)
    # a rerun of the other angle only: the stale clips are not relisted
    report = run_game("g1", local_job(workdir, plays, ("FAR_LEFT",), run_id="r2"))
    assert report.status == "ok" and report.clips_skipped == 4
    assert {r["angle"] for r in read_manifest(out, "g1")} == {"FAR_LEFT"}

    # and the next run of both angles makes them again and lists them
    report = run_game("g1", local_job(workdir, plays, ANGLES, run_id="r3"))
    assert (report.clips_made, report.clips_skipped) == (4, 4)
    assert len(read_manifest(out, "g1")) == 8


def test_a_rerun_of_one_angle_keeps_the_other_angles_lines(workdir: Path) -> None:
    _, _, plays = _setup(workdir)
    out = workdir / "out"
    assert run_game("g1", local_job(workdir, plays, ANGLES, run_id="r1")).status == "ok"
    before = read_manifest(out, "g1")

    report = run_game("g1", local_job(workdir, plays, ("FAR_LEFT",), run_id="r2"))

    assert report.status == "ok" and report.clips_skipped == 4
    assert read_manifest(out, "g1") == before
