"""Each angle's timing (offset, drift, last sync) travels from its video row to the report and
the run page."""

from __future__ import annotations

import json
from pathlib import Path


def test_the_run_page_shows_each_angles_offset_drift_and_sync(tmp_path: Path) -> None:
    """The report carries each angle's timing from its video row; the run page shows it."""
    from playclips.clipping.game import Job, run_game
    from playclips.outputs.index_page import write_run_index
    from playclips.plays import LocalPlaysFile
    from playclips.storage import LocalStorage

    from ..support.sources import make_source

    source = make_source("bframes")
    (tmp_path / "videos" / "g1").mkdir(parents=True)
    for angle in ("WIDE", "TIGHT"):
        (tmp_path / "videos" / "g1" / f"{angle}.mp4").symlink_to(source)
    plays = tmp_path / "plays.json"
    plays.write_text(
        json.dumps(
            {
                "plays": [{"game_id": "g1", "play_id": "p1", "start_s": 2.0, "end_s": 4.0}],
                "videos": [
                    {
                        "game_id": "g1",
                        "angle": "WIDE",
                        "offset_s": 1.5,
                        "drift_ppm": 42.0,
                        "synced_at": "2026-11-30T12:00:00+00:00",
                        "sync_confidence": 0.93,
                    },
                    {"game_id": "g1", "angle": "TIGHT", "offset_s": -0.25},
                ],
            }
        )
    )
    out = LocalStorage(str(tmp_path / "out"))
    job = Job(LocalPlaysFile(str(plays)), LocalStorage(str(tmp_path / "videos")), out, "r1")

    report = run_game("g1", job)

    wide = next(a for a in report.angles if a.angle == "WIDE")
    assert (wide.offset_s, wide.drift_ppm, wide.sync_confidence) == (1.5, 42.0, 0.93)
    write_run_index(out, "r1")
    page = (tmp_path / "out" / "reports" / "r1" / "index.html").read_text()
    assert "offset +1.500 s · drift +42.00 ppm · synced 2026-11-30, confidence 0.93" in page
    assert "offset -0.250 s · never synced" in page
