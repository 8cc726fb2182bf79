"""The whole pipeline on Cloud Storage (fake-gcs-server, real client): videos in one bucket,
clips, manifest and report in another; every clip checked frame by frame against its source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pytest

from playclips.clipping.game import Job, run_game
from playclips.clipping.store import META_GENERATION, META_SPEC
from playclips.plays import LocalPlaysFile
from playclips.storage import ObjectInfo, PreconditionFailed, ReadStats
from playclips.storage.gcs import GcsStorage

from ..support.oracle import check_copy_clip
from ..support.sources import make_source
from .conftest import FAST_RETRY

GAME = "g1"
ANGLES = ("FAR_LEFT", "NEAR_RIGHT")
SOURCES = {"FAR_LEFT": "bframes", "NEAR_RIGHT": "open_gop"}
OFFSETS = {"FAR_LEFT": 0.0, "NEAR_RIGHT": 0.5}
DURATION_S = 60.0  # long enough that a few short plays are a small part of each video
PLAYS = [("p1", 3.1, 4.6), ("p2", 27.25, 28.5), ("p3", 50.4, 52.0)]
KiB = 1 << 10
# The test sources run at ~45 kB/s, a twentieth of a real angle's bitrate, so the reader's
# block and fetch sizes are scaled down alike (the defaults would read these files whole).
SMALL_READS = {"block_size": 16 * KiB, "first_fetch": 64 * KiB, "read_ahead": 64 * KiB}


@dataclass
class Setup:
    videos: GcsStorage
    out: GcsStorage
    plays_file: Path
    sources: dict[str, Path]
    video_info: dict[str, ObjectInfo]


@pytest.fixture
def setup(new_bucket: Callable[[str], str], tmp_path: Path) -> Setup:
    videos = GcsStorage(new_bucket("videos"), retry=FAST_RETRY, **SMALL_READS)
    out = GcsStorage(new_bucket("training"), "datasets/v1", retry=FAST_RETRY)
    sources = {a: make_source(SOURCES[a], DURATION_S) for a in ANGLES}
    info = {
        a: videos.put(f"{GAME}/{a}.mp4", p.read_bytes(), content_type="video/mp4")
        for a, p in sources.items()
    }
    rows = [
        {"game_id": GAME, "play_id": p, "start_s": s, "end_s": e, "label": "pass"}
        for p, s, e in PLAYS
    ]
    video_rows = [
        {"game_id": GAME, "angle": a, "uri": f"{GAME}/{a}.mp4", "offset_s": OFFSETS[a]}
        for a in ANGLES
    ]
    plays_file = tmp_path / "plays.json"
    plays_file.write_text(json.dumps({"plays": rows, "videos": video_rows}))
    return Setup(videos, out, plays_file, sources, info)


def job(s: Setup, run_id: str, out: object | None = None) -> Job:
    return Job(
        plays=LocalPlaysFile(str(s.plays_file)),
        videos=s.videos,
        out=out or s.out,  # type: ignore[arg-type]
        run_id=run_id,
        angles=ANGLES,
    )


def read(storage: GcsStorage, key: str) -> bytes:
    with storage.open_read(key) as f:
        return f.read()


def manifest(s: Setup) -> list[dict]:
    return [json.loads(line) for line in read(s.out, f"manifests/{GAME}/clips.jsonl").splitlines()]


def objects(s: Setup) -> dict[str, int]:
    """Every clip object below the output root, with its generation."""
    return {k: s.out.stat(k).generation for k in s.out.list("clips/")}  # type: ignore[union-attr]


def check_clips(s: Setup, records: list[dict], tmp_path: Path) -> None:
    plays = {p: (start, end) for p, start, end in PLAYS}
    for record in records:
        angle = record["angle"]
        key = f"clips/{GAME}/{angle}/{record['play_id']}.mp4"
        assert record["uri"] == f"gs://{s.out.bucket_name}/datasets/v1/{key}"
        clip = tmp_path / f"{angle}-{record['play_id']}.mp4"
        clip.write_bytes(read(s.out, key))
        start, end = plays[record["play_id"]]
        check_copy_clip(
            s.sources[angle], clip, record, start + OFFSETS[angle], end + OFFSETS[angle]
        )
        meta = s.out.stat(key).metadata  # type: ignore[union-attr]
        assert meta[META_GENERATION] == str(s.video_info[angle].generation)


def test_a_game_end_to_end_on_cloud_storage(setup: Setup, tmp_path: Path) -> None:
    s = setup
    report = run_game(GAME, job(s, "r1"))

    assert report.status == "ok", report.to_dict()
    assert (report.clips_made, report.clips_skipped, report.clips_failed) == (6, 0, 0)
    assert report.manifest == f"gs://{s.out.bucket_name}/datasets/v1/manifests/{GAME}/clips.jsonl"
    assert sorted(s.out.list("clips/")) == sorted(
        f"clips/{GAME}/{a}/{p}.mp4" for a in ANGLES for p, _, _ in PLAYS
    )
    keys = set(s.out.list(""))
    assert {f"manifests/{GAME}/clips.jsonl", f"reports/r1/{GAME}.json"} <= keys
    assert list(s.videos.list("")) == [f"{GAME}/{a}.mp4" for a in ANGLES]  # videos untouched
    records = manifest(s)
    assert {(r["play_id"], r["angle"]) for r in records} == {
        (p, a) for p, _, _ in PLAYS for a in ANGLES
    }
    check_clips(s, records, tmp_path)

    saved = json.loads(read(s.out, f"reports/r1/{GAME}.json"))
    assert saved["counts"]["clips_made"] == 6
    for angle in report.angles:
        size = s.video_info[angle.angle].size
        print(f"{angle.angle}: fetched {angle.bytes_read} of {size} bytes in "
              f"{angle.read_requests} requests")  # fmt: skip
        assert 0 < angle.bytes_read < 0.4 * size, (angle.angle, angle.bytes_read, size)
        # Index and first fetch at open, then about the clips' own bytes (key frame pre-roll
        # included) plus at most one fetch window past each clip's end.
        assert angle.bytes_read < 1.5 * angle.bytes_written + 256 * KiB
        assert angle.read_requests <= 40
        assert angle.video == f"gs://{s.videos.bucket_name}/{GAME}/{angle.angle}.mp4"


def test_reruns_skip_every_clip_and_remake_only_what_is_missing(setup: Setup) -> None:
    s = setup
    run_game(GAME, job(s, "r1"))
    first_manifest = read(s.out, f"manifests/{GAME}/clips.jsonl")
    made = objects(s)

    again = run_game(GAME, job(s, "r2"))
    assert again.status == "ok"
    assert (again.clips_made, again.clips_skipped) == (0, 6)
    assert again.bytes_read == 0  # no video was opened
    assert objects(s) == made  # no new object, no new generation
    assert read(s.out, f"manifests/{GAME}/clips.jsonl") == first_manifest

    # A clip that went missing is made again; the clips that exist are skipped.
    gone = f"clips/{GAME}/NEAR_RIGHT/p2.mp4"
    s.out._bucket.blob(s.out._name(gone)).delete()
    third = run_game(GAME, job(s, "r3"))
    assert (third.clips_made, third.clips_skipped) == (1, 5)
    now = objects(s)
    assert {k: g for k, g in now.items() if k != gone} == {
        k: g for k, g in made.items() if k != gone
    }
    assert read(s.out, f"manifests/{GAME}/clips.jsonl") == first_manifest


class RacingOut:
    """The output root, with another writer that puts `key` just before the job does."""

    def __init__(self, inner: GcsStorage, key: str, metadata: Callable[[dict], dict]) -> None:
        self.inner, self.key, self.metadata = inner, key, metadata
        self.root = inner.root
        self.raced: ObjectInfo | None = None
        self.job_errors: list[Exception] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def put(self, key: str, data: bytes, **kwargs: object) -> ObjectInfo:
        if key == self.key and self.raced is None:
            meta = self.metadata(dict(kwargs["metadata"]))  # type: ignore[arg-type]
            self.raced = self.inner.put(
                key, b"racer:" + data, content_type="video/mp4", metadata=meta,
                if_generation_match=0,
            )  # fmt: skip
        try:
            return self.inner.put(key, data, **kwargs)  # type: ignore[arg-type]
        except PreconditionFailed as exc:
            self.job_errors.append(exc)
            raise


def test_a_racing_twin_is_accepted_without_a_second_write(setup: Setup) -> None:
    s = setup
    key = f"clips/{GAME}/FAR_LEFT/p2.mp4"
    out = RacingOut(s.out, key, lambda meta: meta)  # same source version and clip spec
    report = run_game(GAME, job(s, "r1", out))

    assert report.status == "ok", report.to_dict()
    assert len(out.job_errors) == 1  # the job's create-only put lost the race...
    assert s.out.stat(key) == out.raced  # ...and the twin stands, not overwritten
    assert report.clips_made == 6 and report.clips_failed == 0
    assert sum(1 for r in manifest(s) if r["play_id"] == "p2" and r["angle"] == "FAR_LEFT") == 1


def test_a_racing_foreign_writer_is_not_overwritten(setup: Setup, tmp_path: Path) -> None:
    s = setup
    key = f"clips/{GAME}/FAR_LEFT/p2.mp4"
    out = RacingOut(s.out, key, lambda meta: {**meta, META_SPEC: "someone-else"})
    report = run_game(GAME, job(s, "r1", out))

    assert report.status == "partial"
    assert [(f.play_id, f.angle) for f in report.failed] == [("p2", "FAR_LEFT")]
    assert "upload failed" in report.failed[0].reason
    assert s.out.stat(key) == out.raced  # the other writer's object is intact
    assert read(s.out, key).startswith(b"racer:")
    records = manifest(s)
    assert ("p2", "FAR_LEFT") not in {(r["play_id"], r["angle"]) for r in records}
    assert len(records) == 5
    check_clips(s, records, tmp_path)

    # The next run replaces exactly that stale version, and only it.
    before = objects(s)
    again = run_game(GAME, job(s, "r2"))
    assert again.status == "ok"
    assert (again.clips_made, again.clips_skipped) == (1, 5)
    after = objects(s)
    assert after[key] != before[key]
    assert {k: g for k, g in after.items() if k != key} == {
        k: g for k, g in before.items() if k != key
    }
    check_clips(s, manifest(s), tmp_path)


def test_a_video_replaced_while_it_is_read_fails_that_angle_cleanly(setup: Setup) -> None:
    s = setup
    size = s.video_info["FAR_LEFT"].size

    class ReplaceMidway:
        """FAR_LEFT's reader; the video is replaced when the cut of p2 first reads its bytes."""

        def __init__(self, inner: BinaryIO, key: str) -> None:
            self.inner, self.key, self.replaced = inner, key, False

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        def read(self, n: int = -1) -> bytes:
            if not self.replaced and 0.3 * size < self.inner.tell() < 0.8 * size:
                self.replaced = True
                data = s.sources["FAR_LEFT"].read_bytes()
                s.videos.put(self.key, data, content_type="video/mp4")
            return self.inner.read(n)

    class Videos:
        def __init__(self, inner: GcsStorage) -> None:
            self.inner = inner
            self.root = inner.root
            self.readers: list[ReplaceMidway] = []

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        def open_read(self, key: str, stats: ReadStats | None = None) -> object:
            reader = self.inner.open_read(key, stats)
            if not key.endswith("FAR_LEFT.mp4"):
                return reader
            self.readers.append(ReplaceMidway(reader, key))
            return self.readers[-1]

    j = job(s, "r1")
    # Planned reads would fetch p2's bytes ahead, before the replacement (its clips would then
    # be whole, from the generation pinned): with no room to read ahead, they are fetched after.
    s.videos.plan["plan_memory"] = 1
    j.videos = videos = Videos(s.videos)  # type: ignore[assignment]
    report = run_game(GAME, j)

    assert videos.readers and videos.readers[0].replaced
    by_angle = {a.angle: a for a in report.angles}
    assert by_angle["NEAR_RIGHT"].status == "ok" and by_angle["NEAR_RIGHT"].clips_made == 3
    far = by_angle["FAR_LEFT"]
    assert far.clips_made == 1, report.to_dict()
    assert far.status == "failed" and "replaced or deleted while being read" in far.error
    assert report.status == "partial"
    assert sorted(s.out.list(f"clips/{GAME}/FAR_LEFT/")) == [f"clips/{GAME}/FAR_LEFT/p1.mp4"]
    listed = {(r["angle"], r["play_id"]) for r in manifest(s)}  # exactly the clips that exist
    assert listed == {("FAR_LEFT", "p1")} | {("NEAR_RIGHT", p) for p, _, _ in PLAYS}


def test_the_cli_runs_a_game_from_bucket_to_bucket(setup: Setup) -> None:
    s = setup
    exe = Path(sys.executable).with_name("playclips")
    done = subprocess.run(
        [
            str(exe), "run", GAME,
            "--plays", str(s.plays_file),
            "--videos", f"gs://{s.videos.bucket_name}",
            "--out", f"gs://{s.out.bucket_name}/cli",
            "--angles", "FAR_LEFT",
            "--run-id", "cli-1",
            "--log-format", "json",
        ],
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    cli_out = GcsStorage(s.out.bucket_name, "cli")
    assert sorted(cli_out.list("clips/")) == [f"clips/{GAME}/FAR_LEFT/{p}.mp4" for p, _, _ in PLAYS]
    lines = read(cli_out, f"manifests/{GAME}/clips.jsonl").splitlines()
    assert [json.loads(x)["uri"] for x in lines] == [
        f"gs://{s.out.bucket_name}/cli/clips/{GAME}/FAR_LEFT/{p}.mp4" for p, _, _ in PLAYS
    ]
    report = json.loads(read(cli_out, f"reports/cli-1/{GAME}.json"))
    assert report["status"] == "ok" and report["counts"]["clips_made"] == 3
