"""Bench `playclips sync` on a generated 3-hour, 4-angle game: accuracy, bytes read, time.

    python -m bench.sync                  # local folder and fake-gcs-server (make bench-sync)
    python -m bench.sync --storage local  # one of them
    python -m bench.sync --duration 600   # a shorter game (seconds)

The game is tests/support/stadium.py's stadium heard by four cameras with known offsets (within
+/-30 s) and clock drifts (within +/-100 ppm): 8 kHz mono AAC at 48 kbit/s, muxed beside a
320x180, 1 fps video of noise at ~630 kbit/s (one encode, stream-copied into every angle; its
~79 KB frames are skipped by seeks, as a camera file's ~1 MB video chunks are), so audio is ~6%
of each file's bytes: harder than a real 10 GB angle (audio 1-3% of the bytes) for the
bytes-read target. Made once into .cache/bench/fixtures/ (4 x ~900 MB; the audio takes
minutes), then reused.

Per storage it runs one `sync_game` (what `playclips sync` runs) in this process and reports:
wall and CPU seconds, bytes read against the game's bytes, and per angle the offset error, the
drift error and the worst error, over the last minute of the game, of where a play lands in
the angle (in ms and in frames at 60 fps). Results: .cache/bench/results/sync-<time>.json, or
--out.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from playclips.media.tools import ffmpeg_exe
from playclips.model import Game, Video
from playclips.sync import GameSync, open_video_root, sync_game, video_resolver
from tests.support.stadium import Camera, make_game
from tests.support.stadium import Game as StadiumGame

from .fixtures import CACHE, Fixture, _checksums

TARGETS = {"offset_ms": 5.0, "drift_ppm": 2.0, "last_minute_frames": 0.5, "bytes_pct": 2.0}
TARGET_SECONDS = 20.0
CAMERAS = (
    Camera("FAR_LEFT", offset_s=0.0, gain=1.0, lowpass_hz=3500, noise=0.05),
    Camera("NEAR_LEFT", -17.43, 88.0, gain=0.5, lowpass_hz=2500, noise=0.05),
    Camera("FAR_RIGHT", 29.1, -96.5, gain=1.5, lowpass_hz=3000, noise=0.1),
    Camera("NEAR_RIGHT", -8.2, 31.25, gain=0.7, lowpass_hz=1800, noise=0.04),
)


def make_game_files(duration_s: float, log=print) -> tuple[StadiumGame, dict[str, Path]]:
    """The game's angles: the stadium's audio beside a video of noise at ~630 kbit/s."""
    game = StadiumGame(f"sync-{duration_s:g}s", duration_s, CAMERAS)
    folder = CACHE / "fixtures" / f"{game.game_id}-{game.digest()}"
    if not all((folder / f"{c.angle}.mp4").exists() for c in CAMERAS):
        log(f"making {game.game_id} in {folder} (once; minutes for 3 hours)")
    audio = make_game(game, folder)
    noise = folder / "noise-video.mp4"
    if not noise.exists():
        log("encoding the noise video (once)")
        _ffmpeg(
            "-f", "lavfi", "-i",
            f"nullsrc=s=320x180:r=1:d={duration_s:g},geq=lum='random(1)*255':cb=128:cr=128",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-g", "10",
            "-pix_fmt", "yuv420p", out=noise,
        )  # fmt: skip
    files = {}
    for angle, path in audio.items():
        files[angle] = folder / "with-video" / f"{angle}.mp4"
        if not files[angle].exists():
            files[angle].parent.mkdir(exist_ok=True)
            _ffmpeg(
                "-i", str(noise), "-i", str(path), "-map", "0:v", "-map", "1:a", "-c", "copy",
                out=files[angle],
            )  # fmt: skip
    return game, files


def _ffmpeg(*args: str, out: Path) -> None:
    tmp = out.with_name(f".tmp-{out.name}")
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args, str(tmp)]
    subprocess.run(cmd, check=True, timeout=1800)
    tmp.replace(out)


def run_once(game: StadiumGame, storage_uri: str) -> tuple[GameSync, dict[str, float]]:
    root = open_video_root(storage_uri)
    rows = {"FAR_LEFT": Video(game.game_id, "FAR_LEFT", "", 0.0)}
    angles = [c.angle for c in game.cameras]
    cpu0 = _cpu()
    t0 = time.monotonic()
    result = sync_game(Game(game.game_id, (), rows), angles, "FAR_LEFT", video_resolver(root))
    return result, {"wall_s": time.monotonic() - t0, "cpu_s": _cpu() - cpu0}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def score(game: StadiumGame, result: GameSync, timing: dict[str, float]) -> dict[str, Any]:
    angles = {}
    for camera in game.cameras:
        a = result.angles[camera.angle]
        row: dict[str, Any] = {
            "refused": a.refused,
            "bytes_read": a.bytes_read,
            "read_requests": a.read_requests,
            "video_bytes": a.video_bytes,
            "confidence": round(a.confidence, 3),
            "windows": f"{a.windows_agreeing}/{a.windows_tried}",
        }
        if a.offset_s is not None and a.drift_ppm is not None:
            got = Video("g", camera.angle, "", a.offset_s, a.drift_ppm)
            truth = Video("g", camera.angle, "", camera.offset_s, camera.drift_ppm)
            last = [game.duration_s - 60 + k for k in range(61)]
            worst = max(abs(got.file_time(t) - truth.file_time(t)) for t in last)
            row |= {
                "offset_s": round(a.offset_s, 6),
                "drift_ppm": round(a.drift_ppm, 4),
                "offset_error_ms": round(abs(a.offset_s - camera.offset_s) * 1000, 4),
                "drift_error_ppm": round(abs(a.drift_ppm - camera.drift_ppm), 4),
                "last_minute_error_ms": round(worst * 1000, 4),
                "last_minute_error_frames_60fps": round(worst * 60, 4),
            }
        angles[camera.angle] = row
    read = sum(a["bytes_read"] for a in angles.values())
    total = sum(a["video_bytes"] for a in angles.values())
    return {
        "wall_s": round(timing["wall_s"], 2),
        "cpu_s": round(timing["cpu_s"], 2),
        "bytes_read": read,
        "game_bytes": total,
        "bytes_pct": round(100 * read / total, 3) if total else None,
        "angles": angles,
    }


def _local_root(game: StadiumGame, files: dict[str, Path], work: Path) -> str:
    folder = work / "videos" / game.game_id
    folder.mkdir(parents=True, exist_ok=True)
    for angle, path in files.items():
        link = folder / f"{angle}.mp4"
        if not link.exists():
            link.symlink_to(path)
    return str(work / "videos")


def _gcs_root(game: StadiumGame, files: dict[str, Path], work: Path) -> tuple[str, Any]:
    from .servers import start_disk_gcs

    server = start_disk_gcs(work / "gcs")
    os.environ.update(server.env())
    for angle, path in files.items():
        md5, crc = _checksums(path)
        fixture = Fixture(angle, str(path), path.stat().st_size, md5, crc, game.duration_s, 0, 0, 0)
        server.place("bench-videos", f"{game.game_id}/{angle}.mp4", fixture)
    return "gs://bench-videos", server


def print_table(name: str, scored: dict[str, Any]) -> None:
    print(
        f"\n{name}: {scored['wall_s']:.1f} s wall, {scored['cpu_s']:.1f} s CPU, read "
        f"{scored['bytes_read'] / 1e6:.1f} of {scored['game_bytes'] / 1e6:.0f} MB "
        f"({scored['bytes_pct']:.2f}%)"
    )
    print(
        f"  {'angle':<11} {'offset err ms':>13} {'drift err ppm':>13} "
        f"{'last min ms':>11} {'frames@60':>9} {'conf':>5} {'windows':>7} {'MB read':>8} "
        f"{'requests':>8}"
    )
    for angle, a in scored["angles"].items():
        if "offset_error_ms" not in a:
            print(f"  {angle:<11} refused: {a['refused']}")
            continue
        print(
            f"  {angle:<11} {a['offset_error_ms']:>13.3f} {a['drift_error_ppm']:>13.3f} "
            f"{a['last_minute_error_ms']:>11.3f} {a['last_minute_error_frames_60fps']:>9.3f} "
            f"{a['confidence']:>5.2f} {a['windows']:>7} {a['bytes_read'] / 1e6:>8.2f} "
            f"{a['read_requests']:>8}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", choices=["local", "gcs", "both"], default="both")
    parser.add_argument("--duration", type=float, default=3 * 3600.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    game, files = make_game_files(args.duration)
    work = CACHE / "sync-work"
    shutil.rmtree(work, ignore_errors=True)
    results: dict[str, Any] = {"game": game.game_id, "duration_s": game.duration_s}
    results["targets"] = {**TARGETS, "wall_s": TARGET_SECONDS}
    server = None
    try:
        kinds = ["local", "gcs"] if args.storage == "both" else [args.storage]
        for kind in kinds:
            if kind == "local":
                root = _local_root(game, files, work)
            else:
                root, server = _gcs_root(game, files, work)
            result, timing = run_once(game, root)
            results[kind] = score(game, result, timing)
            print_table(f"{kind} ({root})", results[kind])
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    out = args.out or CACHE / "results" / f"sync-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
