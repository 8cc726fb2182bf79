"""Two runs of the same games at once (a duplicated trigger), on a folder and on Cloud Storage:
both succeed, and every clip, manifest and manifest line is whole and there once."""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
from pathlib import Path

import pytest

from playclips.clipping.game import Job, run_game
from playclips.plays import LocalPlaysFile

from ..support.sources import install_game, make_source
from .conftest import clean_env, cli, gcs_root, gcs_tree, plays_rows, tree_bytes, write_plays
from .mp4check import whole_mp4_problem

GAMES = ("ra", "rb")
ANGLES = ("FAR_LEFT", "NEAR_LEFT")
PLAYS = 12
_n = itertools.count()


def _local(tmp_path: Path) -> dict[str, str]:
    source = make_source("bframes")
    rows = []
    for game in GAMES:
        install_game(tmp_path / "videos", game, source, list(ANGLES))
        rows += plays_rows(game, PLAYS)
    write_plays(tmp_path / "plays.json", rows)
    return clean_env(
        PLAYCLIPS_PLAYS=str(tmp_path / "plays.json"),
        PLAYCLIPS_VIDEOS=str(tmp_path / "videos"),
        PLAYCLIPS_ANGLES=",".join(ANGLES),
        PLAYCLIPS_LOG_FORMAT="json",
    )


def _check_manifests(manifests: dict[str, bytes]) -> None:
    clips = {k: v for k, v in manifests.items() if k.endswith("/clips.jsonl")}
    assert len(clips) == len(GAMES)
    for data in clips.values():
        lines = data.decode().splitlines()
        assert len(lines) == len(set(lines)) == len(ANGLES) * PLAYS
        keys = [(json.loads(x)["play_id"], json.loads(x)["angle"]) for x in lines]
        assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("rounds", [1, pytest.param(5, marks=pytest.mark.soak)])
def test_two_runs_of_the_same_games_on_a_folder(tmp_path: Path, rounds: int) -> None:
    env = _local(tmp_path)
    reference = tmp_path / "reference"
    done = subprocess.run(
        cli("run", *GAMES, "--out", str(reference), "--run-id", "ref"), env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for r in range(rounds):
        out = tmp_path / f"out{r}"
        procs = [
            subprocess.Popen(
                cli("run", *GAMES, "--out", str(out), "--run-id", f"twin{i}"),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for i in range(2)
        ]
        errors = [p.communicate(timeout=120)[1].decode() for p in procs]
        assert [p.returncode for p in procs] == [0, 0], errors
        # nothing corrupted or doubled: the clips and manifests are the reference run's
        assert tree_bytes(out, "clips") == tree_bytes(reference, "clips")
        for path, data in tree_bytes(out, "clips").items():
            assert not whole_mp4_problem(data), path
        manifests = tree_bytes(out, "manifests")
        ref = {
            k: v.replace(str(reference).encode(), str(out).encode())
            for k, v in tree_bytes(reference, "manifests").items()
        }
        assert manifests == ref
        _check_manifests(manifests)
        assert not [p for p in out.rglob(".playclips-tmp-*")]
        # between them, the two runs made every clip; each says it is done
        for game in GAMES:
            counts = [
                json.loads((out / "reports" / f"twin{i}" / f"{game}.json").read_text())["counts"]
                for i in range(2)
            ]
            assert all(c["clips_failed"] == 0 for c in counts)
            total = len(ANGLES) * PLAYS
            assert all(c["clips_made"] + c["clips_skipped_existing"] == total for c in counts)


def test_two_runs_of_the_same_games_on_cloud_storage(fake_gcs, tmp_path: Path) -> None:
    videos, out = f"rel-rvideos-{next(_n)}", f"rel-rout-{next(_n)}"
    for name in (videos, out):
        fake_gcs.create_bucket(name)
    source = make_source("bframes")
    store = gcs_root(fake_gcs.url, f"gs://{videos}")
    rows = []
    for game in GAMES:
        rows += plays_rows(game, PLAYS)
        for angle in ANGLES:
            store.put(f"{game}/{angle}.mp4", source.read_bytes(), content_type="video/mp4")
    plays = write_plays(tmp_path / "plays.json", rows)
    reports: dict[str, list] = {}

    def twin(run_id: str) -> None:
        job = Job(
            plays=LocalPlaysFile(str(plays)),
            videos=gcs_root(fake_gcs.url, f"gs://{videos}"),
            out=gcs_root(fake_gcs.url, f"gs://{out}"),
            run_id=run_id,
            angles=ANGLES,
        )
        reports[run_id] = [run_game(g, job) for g in GAMES]

    threads = [threading.Thread(target=twin, args=(f"twin{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(r.ok for rs in reports.values() for r in rs), [
        r.failure_lines() for rs in reports.values() for r in rs
    ]
    root = gcs_root(fake_gcs.url, f"gs://{out}")
    clips = gcs_tree(root, "clips/")
    assert len(clips) == len(GAMES) * len(ANGLES) * PLAYS
    for key, data in clips.items():
        assert not whole_mp4_problem(data), key
    # one generation per clip: nobody overwrote anybody (create-only)
    for key in clips:
        info = root.stat(key)
        assert info is not None and info.metadata.get("playclips-spec")
    _check_manifests(gcs_tree(root, "manifests/"))
    # the clips equal a single run's
    single = f"rel-rsingle-{next(_n)}"
    fake_gcs.create_bucket(single)
    job = Job(
        plays=LocalPlaysFile(str(plays)),
        videos=gcs_root(fake_gcs.url, f"gs://{videos}"),
        out=gcs_root(fake_gcs.url, f"gs://{single}"),
        run_id="single",
        angles=ANGLES,
    )
    assert all(run_game(g, job).ok for g in GAMES)
    assert gcs_tree(gcs_root(fake_gcs.url, f"gs://{single}"), "clips/") == clips
