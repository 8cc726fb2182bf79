"""Cloud Storage faults (429/500/503, lost answers, resets mid-body, slow bodies) on >= 5% of
requests, reads and writes: the outputs equal a clean run's and the retries are reported."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from playclips.clipping.game import Job, run_game
from playclips.plays import LocalPlaysFile

from ..support.oracle import check_copy_clip
from ..support.sources import make_source
from .conftest import gcs_root, gcs_tree, plays_rows, write_plays
from .faultproxy import RETRIED, FaultProxy

GAMES = ("fa", "fb")
ANGLES = ("FAR_LEFT", "NEAR_LEFT")
PLAYS = 8
_n = itertools.count()


def _buckets(fake_gcs, *stems: str) -> list[str]:
    names = [f"rel-{stem}-{next(_n)}" for stem in stems]
    for name in names:
        fake_gcs.create_bucket(name)
    return names


def _run(fake_gcs, tmp_path: Path, seed: int, rate: float, plays: int = PLAYS) -> None:
    videos, clean, faulty = _buckets(fake_gcs, "videos", "clean", "faulty")
    source = make_source("bframes")
    direct_videos = gcs_root(fake_gcs.url, f"gs://{videos}")
    rows = []
    for game in GAMES:
        rows += plays_rows(game, plays)
        for angle in ANGLES:
            direct_videos.put(f"{game}/{angle}.mp4", source.read_bytes(), content_type="video/mp4")
    plays_file = write_plays(tmp_path / "plays.json", rows)

    def job(endpoint: str, out: str) -> Job:
        return Job(
            plays=LocalPlaysFile(str(plays_file)),
            videos=gcs_root(endpoint, f"gs://{videos}"),
            out=gcs_root(endpoint, f"gs://{out}/train"),
            run_id="r",
            angles=ANGLES,
        )

    clean_reports = [run_game(g, job(fake_gcs.url, clean)) for g in GAMES]
    assert all(r.ok for r in clean_reports), [r.failure_lines() for r in clean_reports]
    # random faults, plus the two that matter most for correctness on every seed: a media read
    # cut mid-body (the reader must not hand PyAV short data) and a create-only upload that
    # landed but whose answer was lost (its retry gets 412 and must count as made)
    force = {"/download/": "reset", "uploadType=multipart": "lost-503"}
    with FaultProxy(fake_gcs.url, seed=seed, rate=rate, force=force) as proxy:
        faulty_job = job(proxy.url, faulty)
        reports = [run_game(g, faulty_job) for g in GAMES]
    assert all(r.ok for r in reports), [r.failure_lines() for r in reports]

    # the faults happened, on reads and writes, at the rate asked
    assert proxy.retried_faults and proxy.requests >= 50
    assert sum(proxy.faults.values()) / proxy.requests >= rate / 2, (proxy.faults, proxy.requests)
    methods = {m for kind, m, _ in proxy.faulted if kind != "slow"}
    assert {"GET", "POST"} <= methods, proxy.faulted
    kinds = {
        (kind, "/download/" in ident, "multipart" in ident) for kind, _, ident in proxy.faulted
    }
    assert {("reset", True, False), ("lost-503", False, True)} <= kinds, proxy.faulted
    # every retried fault is in the reports (the report's own upload is after its count)
    a = gcs_root(fake_gcs.url, f"gs://{faulty}/train")
    counted = 0
    for game in GAMES:
        data = json.loads(a.open_read(f"reports/r/{game}.json").read())
        counted += data["storage_retries"]
        assert data["storage_retries"] >= sum(x["retries"] for x in data["angles"])
    # not counted by a report: the report's own upload (after its count), and the bucket
    # metadata lookups google-cloud-storage makes in the background with its own retry
    late = sum(
        1
        for kind, _, ident in proxy.faulted
        if kind in RETRIED
        and ("reports/r/" in ident or re.match(r"GET /storage/v1/b/[^/?]+\?", ident))
    )
    assert proxy.retried_faults - late <= counted <= proxy.retried_faults, (counted, proxy.faults)
    assert counted > 0

    # outputs equal the clean run's: the same clip bytes, the same manifests, every line once
    b = gcs_root(fake_gcs.url, f"gs://{clean}/train")
    got_clips, want_clips = gcs_tree(a, "clips/"), gcs_tree(b, "clips/")
    assert got_clips.keys() == want_clips.keys()
    assert len(got_clips) == len(GAMES) * len(ANGLES) * plays
    assert got_clips == want_clips
    for game in GAMES:
        got = gcs_tree(a, f"manifests/{game}/")[f"manifests/{game}/clips.jsonl"]
        want = gcs_tree(b, f"manifests/{game}/")[f"manifests/{game}/clips.jsonl"]
        assert got == want.replace(f"gs://{clean}/".encode(), f"gs://{faulty}/".encode())
        lines = got.decode().splitlines()
        assert len(lines) == len(set(lines)) == len(ANGLES) * plays
    # and the clips are right, frame for frame (one game, checked against the source)
    for i, line in enumerate(got.decode().splitlines()[:4]):
        record = json.loads(line)
        clip = tmp_path / f"clip-{i}.mp4"
        clip.write_bytes(got_clips[record["uri"].split("/train/", 1)[1]])
        check_copy_clip(source, clip, record, record["play_start_s"], record["play_end_s"])


def test_storage_faults_leave_the_outputs_of_a_clean_run(fake_gcs, tmp_path: Path) -> None:
    _run(fake_gcs, tmp_path, seed=8, rate=0.12)


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(10))
def test_storage_faults_soak(fake_gcs, tmp_path: Path, seed: int) -> None:
    _run(fake_gcs, tmp_path, seed=seed, rate=0.25, plays=20)
