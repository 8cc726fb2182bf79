"""Memory stays flat: clips are never buffered beyond the ones in flight."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from playclips.media.tools import ffmpeg_exe

from ..support.sources import CACHE, concat_copies

# Runs one game in a fresh interpreter and prints its peak RSS (KiB, from getrusage).
_SCRIPT = """
import json, resource, sys
def peak_kib():
    # VmHWM: this process's own peak (ru_maxrss also counts the parent's, kept over fork+exec)
    with open('/proc/self/status') as f:
        return int(next(x for x in f if x.startswith('VmHWM')).split()[1])
from playclips.clipping.game import Job, run_game
from playclips.plays import LocalPlaysFile
from playclips.storage import LocalStorage
root = sys.argv[1]
job = Job(plays=LocalPlaysFile(root + "/plays.json"), videos=LocalStorage(root + "/videos"),
          out=LocalStorage(sys.argv[2]), run_id="m", angles=("FAR_LEFT",))
report = run_game("long", job)
print(json.dumps({"status": report.status, "made": report.clips_made,
                  "written": report.bytes_written,
                  "rss_kib": peak_kib()}))
"""


def _long_source() -> Path:
    """Six minutes of 640x360 at ~4 Mb/s: a 20 s segment concatenated 18 times."""
    path = CACHE / "long-6min.mp4"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    segment = CACHE / "long-segment.mp4"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=30",
            "-t",
            "20",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "4M",
            "-g",
            "60",
            str(segment),
        ],
        check=True,
    )
    concat_copies(segment, 18, path)
    return path


def _run(tmp: Path, clips: int) -> dict:
    root = tmp / f"n{clips}"
    (root / "videos" / "long").mkdir(parents=True)
    (root / "videos" / "long" / "FAR_LEFT.mp4").symlink_to(_long_source())
    step = 350 / clips
    rows = [
        {
            "game_id": "long",
            "play_id": f"p{i}",
            "start_s": i * step,
            "end_s": i * step + 5.0,
            "label": "x",
        }
        for i in range(clips)
    ]
    (root / "plays.json").write_text(json.dumps(rows))
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(root), str(root / "out")],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_peak_memory_does_not_grow_with_the_number_of_clips(tmp_path: Path) -> None:
    few = _run(tmp_path, 6)
    many = _run(tmp_path, 60)
    assert few["status"] == many["status"] == "ok"
    assert many["made"] == 60
    grown_mib = (many["rss_kib"] - few["rss_kib"]) / 1024
    written_mib = many["written"] / 2**20
    # 60 clips of ~2.5 MB are ~150 MB; holding them would show. Allow a few clips in flight.
    assert written_mib > 100
    assert grown_mib < 20, f"peak RSS grew by {grown_mib:.1f} MiB for {written_mib:.0f} MiB"
