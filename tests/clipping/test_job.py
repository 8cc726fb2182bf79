"""clipping/job.py: what a game's run is given. Its clip options are what a stored clip is
compared against on a rerun, so they hold exactly what decides a clip's bytes."""

from __future__ import annotations

import json
from pathlib import Path

from playclips.clipping.job import Job, NoEvents
from playclips.media.encode import EncodeOptions
from playclips.outputs.report import AngleReport
from playclips.plays import LocalPlaysFile
from playclips.storage import LocalStorage


def _job(tmp_path: Path, **kw: object) -> Job:
    plays = tmp_path / "plays.json"
    plays.write_text(json.dumps({"plays": [], "videos": []}))
    return Job(
        LocalPlaysFile(str(plays)),
        LocalStorage(str(tmp_path / "videos")),
        LocalStorage(str(tmp_path / "out")),
        "r1",
        **kw,  # type: ignore[arg-type]
    )


def test_copy_mode_options_ignore_the_encode_settings(tmp_path: Path) -> None:
    plain = _job(tmp_path).clip_options
    assert plain == {"mode": "copy", "format": 1}
    tuned = _job(tmp_path, encode=EncodeOptions(height=720, crf=28), angles_in_flight=1)
    assert tuned.clip_options == plain  # copy mode's bytes depend on neither


def test_encode_mode_options_hold_every_encode_setting(tmp_path: Path) -> None:
    job = _job(tmp_path, mode="encode", encode=EncodeOptions(height=720, fps=29.97, crf=23))
    assert job.clip_options == {
        "mode": "encode",
        "format": 1,
        "height": 720,
        "fps": 29.97,
        "crf": 23,
        "preset": "veryfast",
    }
    other = _job(tmp_path, mode="encode", encode=EncodeOptions(height=720, fps=29.97, crf=24))
    assert other.clip_options != job.clip_options  # a clip made with crf 23 is not reused
    # Not how fast or where it runs: those leave the clip's bytes as they are.
    busier = _job(
        tmp_path,
        mode="encode",
        encode=EncodeOptions(height=720, fps=29.97, crf=23),
        encodes_in_flight=4,
        encode_threads=2,
        uploads_in_flight=2,
    )
    assert busier.clip_options == job.clip_options


def test_a_job_has_quiet_events_and_its_own_stop_switch(tmp_path: Path) -> None:
    a, b = _job(tmp_path), _job(tmp_path)
    assert isinstance(a.events, NoEvents)
    a.events.angle_planned("g1", "FAR_LEFT", 3)
    a.events.clip_done("g1", "FAR_LEFT", "made", 100)
    a.events.angle_done("g1", AngleReport("FAR_LEFT"))
    a.stop.set()
    assert not b.stop.is_set()  # one job's interrupt never stops another's
