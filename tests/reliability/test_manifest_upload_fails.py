"""A manifest upload that keeps failing on Cloud Storage fails the game, with one line and a
report, instead of a traceback that would end the run before the next game."""

from __future__ import annotations

import re
from pathlib import Path

from google.cloud.storage.retry import DEFAULT_RETRY

from playclips.clipping.game import Job, run_game
from playclips.plays import LocalPlaysFile
from playclips.storage import LocalStorage

from ..support.sources import install_game, make_source
from .conftest import gcs_root, gcs_tree, plays_rows, write_plays
from .faultproxy import FaultProxy

_NAME = re.compile(rb'"name":\s*"([^"]+)"')


class ManifestUploadsFail(FaultProxy):
    """Answers 503 to every upload of a manifest; everything else goes through."""

    def decide(self, method: str, path: str, range_: str, body: bytes) -> str:
        name = _NAME.search(body[:4096])  # an upload names its object in its first part
        if name and name.group(1).endswith(b"/clips.jsonl"):
            with self._lock:
                self.faults["503"] += 1
            return "503"
        return ""


def test_a_failed_manifest_upload_fails_the_game_and_the_next_game_runs(
    tmp_path: Path, fake_gcs
) -> None:
    source = make_source("bframes")
    for game in ("m1", "m2"):
        install_game(tmp_path / "videos", game, source, ["FAR_LEFT"])
    plays = write_plays(tmp_path / "plays.json", plays_rows("m1", 3) + plays_rows("m2", 3))
    fake_gcs.create_bucket("rel-manifest-fails")
    retry = DEFAULT_RETRY.with_delay(initial=0.02, maximum=0.1, multiplier=2).with_timeout(1.5)

    with ManifestUploadsFail(fake_gcs.url, seed=0, rate=0.0) as proxy:
        job = Job(
            plays=LocalPlaysFile(str(plays)),
            videos=LocalStorage(str(tmp_path / "videos")),
            out=gcs_root(proxy.url, "gs://rel-manifest-fails/o", retry=retry),
            run_id="r",
            angles=("FAR_LEFT",),
        )
        reports = [run_game(game, job) for game in ("m1", "m2")]

    assert proxy.faults["503"] >= 2  # retried, then given up
    for report in reports:
        assert report.status == "failed"
        lines = report.failure_lines()
        assert len(lines) == 1 and "the manifest was not written" in lines[0], lines
        assert "\n" not in lines[0]
        assert report.clips_made == 3  # the clips themselves are stored, and kept
    objects = gcs_tree(gcs_root(fake_gcs.url, "gs://rel-manifest-fails/o"), "")
    assert sorted(k for k in objects if k.startswith("reports/")) == [
        "reports/r/m1.json",
        "reports/r/m2.json",
    ]
    assert not [k for k in objects if k.startswith("manifests/")]
    assert len([k for k in objects if k.startswith("clips/")]) == 6
