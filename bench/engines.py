"""The engines the bench compares; each runs as its own process so that it can be measured.

    python -m bench.engines CONFIG.json     (writes the result JSON named in the config)

- `playclips`: the library's `run_game` (clipping.job.Job) with the storage given by URI: GcsStorage
  over the real google-cloud-storage client (the emulator in STORAGE_EMULATOR_HOST) or a local
  folder. Tuning knobs (PyAV read buffer, angles/uploads in flight, the GCS reader's block
  size and read-ahead) are passed only when set, so the defaults in the code are measured.
- `playclips-cli`: the `playclips run` command (encode mode is run this way, with the flags
  the CLI has), its numbers read back from the game's report.
- `seed`: the design playclips replaces. For each angle in turn: download the whole object to
  the scratch folder with the client (`Blob.download_to_filename`, checksum checked), then one
  `ffmpeg -ss START -i FILE -t DURATION -c copy CLIP` process per play (`jobs` at a time), each
  clip uploaded create-only from the scratch folder and deleted, then the angle deleted.
- `ffmpeg-http`: one `ffmpeg -ss ... -i URL ... -c copy` process per play reading the object's
  media URL with HTTP ranges (through the bench's counting proxy), each clip uploaded as above.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any


def _storage(uri: str, knobs: dict[str, Any] | None = None) -> Any:
    from playclips.storage import LocalStorage
    from playclips.storage.gcs import GcsStorage

    if uri.startswith("gs://"):
        return GcsStorage.from_uri(uri, **(knobs or {}))
    return LocalStorage(uri)


def run_playclips(cfg: dict[str, Any]) -> dict[str, Any]:
    from playclips.clipping.game import Job, NoEvents, run_game
    from playclips.plays import LocalPlaysFile

    knobs = {
        k: cfg[k]
        for k in ("angles_in_flight", "uploads_in_flight", "read_buffer")
        if cfg.get(k) is not None
    }
    if cfg.get("gcs") or "uploads_in_flight" in knobs or "read_buffer" in knobs:
        # knobs only the library takes: one process, angles in threads
        job = Job(
            plays=LocalPlaysFile(cfg["plays"]),
            videos=_storage(cfg["videos"], cfg.get("gcs") or {}),
            out=_storage(cfg["out"]),
            run_id="bench",
            angles=tuple(cfg["angles"]),
            **knobs,
        )
        report = run_game(cfg["game"], job)
    else:  # as `playclips run` runs a game: angles in processes when there are CPUs for it
        from playclips.config import Settings
        from playclips.run.runner import run_games

        class _Quiet(NoEvents):
            def game_done(self, report: Any) -> None:
                pass

            def close(self) -> None:
                pass

        settings = Settings(
            plays=cfg["plays"],
            videos=cfg["videos"],
            out=cfg["out"],
            angles=tuple(cfg["angles"]),
            run_id="bench",
            **{k: cfg[k] for k in ("angles_in_flight", "angle_processes") if k in cfg},
        )
        [report] = run_games(settings, [cfg["game"]], _Quiet())
    return {
        "status": report.status,
        "clips": report.clips_made,
        "bytes_read": report.bytes_read,
        "bytes_written": report.bytes_written,
        "read_requests": sum(a.read_requests for a in report.angles),
        "errors": report.failure_lines()[:5],
    }


def run_playclips_cli(cfg: dict[str, Any]) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "playclips.cli",
        "run",
        cfg["game"],
        "--plays",
        cfg["plays"],
        "--videos",
        cfg["videos"],
        "--out",
        cfg["out"],
        "--angles",
        ",".join(cfg["angles"]),
        "--run-id",
        "bench",
        "--log-format",
        "json",
        *cfg.get("cli_args", []),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = _storage(cfg["out"])
    try:
        with out.open_read(f"reports/bench/{cfg['game']}.json") as f:
            report = json.loads(f.read())
        with out.open_read(f"manifests/{cfg['game']}/clips.jsonl") as f:
            modes = sorted({json.loads(line).get("mode") for line in f.read().splitlines()})
    except Exception as exc:
        return {"status": "failed", "clips": 0, "errors": [f"{exc}", proc.stderr[-2000:]]}
    return {
        "status": report["status"],
        "clips": report["counts"]["clips_made"],
        "bytes_read": report["bytes_read"],
        "bytes_written": report["bytes_written"],
        "read_requests": sum(a.get("read_requests", 0) for a in report["angles"]),
        "modes": modes,
        "exit_code": proc.returncode,
        "errors": [proc.stderr[-2000:]] if proc.returncode else [],
    }


_READ_STATS = re.compile(r"Statistics: (\d+) bytes read")


def _plays(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(Path(cfg["plays"]).read_text())["plays"]


def _cut_and_put(
    cfg: dict[str, Any], source: str, angle: str, play: dict[str, Any], out: Any
) -> int:
    """One clip the seed way: an ffmpeg process writes it to scratch, then it is uploaded."""
    from playclips.media.tools import ffmpeg_exe

    clip = Path(cfg["scratch"]) / f"{angle}-{play['play_id']}.mp4"
    start, end = float(play["start_s"]), float(play["end_s"])
    proc = subprocess.run(
        [
            ffmpeg_exe(),
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "verbose",
            "-y",
            "-ss",
            f"{start:.3f}",
            "-i",
            source,
            "-t",
            f"{end - start:.3f}",
            "-c",
            "copy",
            str(clip),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise RuntimeError(f"ffmpeg failed for {angle} {play['play_id']}: {proc.stderr[-500:]}")
    # What ffmpeg itself read from its input (AVIO statistics, printed at -loglevel verbose).
    consumed = sum(int(n) for n in _READ_STATS.findall(proc.stderr))
    data = clip.read_bytes()
    key = f"clips/{cfg['game']}/{angle}/{play['play_id']}.mp4"
    out.put(key, data, content_type="video/mp4", if_generation_match=0)
    clip.unlink()
    return len(data), consumed


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_seed(cfg: dict[str, Any]) -> dict[str, Any]:
    from playclips.storage.gcs import _make_client

    bucket = _make_client().bucket(cfg["bucket"])
    out = _storage(cfg["out"])
    plays = _plays(cfg)
    scratch = Path(cfg["scratch"])
    result: dict[str, Any] = {"clips": 0, "bytes_read": 0, "bytes_written": 0}
    download_s = cut_s = download_cpu_s = 0.0
    for angle in cfg["angles"]:
        local = scratch / f"{angle}.mp4"
        started, cpu = time.monotonic(), _self_cpu()
        bucket.blob(cfg["object"]).download_to_filename(str(local))
        download_s += time.monotonic() - started
        download_cpu_s += _self_cpu() - cpu
        result["bytes_read"] += local.stat().st_size
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=cfg["jobs"]) as pool:
            jobs = [(str(local), angle, p) for p in plays]
            done = list(pool.map(lambda j: _cut_and_put(cfg, j[0], j[1], j[2], out), jobs))
        cut_s += time.monotonic() - started
        result["clips"] += len(done)
        result["bytes_written"] += sum(n for n, _ in done)
        result["ffmpeg_bytes_consumed"] = result.get("ffmpeg_bytes_consumed", 0) + sum(
            c for _, c in done
        )
        local.unlink()
    result.update(
        status="ok",
        download_s=round(download_s, 3),
        download_cpu_s=round(download_cpu_s, 3),
        cut_s=round(cut_s, 3),
    )
    return result


def run_ffmpeg_http(cfg: dict[str, Any]) -> dict[str, Any]:
    out = _storage(cfg["out"])
    plays = _plays(cfg)
    work = [(angle, p) for angle in cfg["angles"] for p in plays]
    with ThreadPoolExecutor(max_workers=cfg["jobs"]) as pool:
        done = list(pool.map(lambda w: _cut_and_put(cfg, cfg["url"], w[0], w[1], out), work))
    # bytes_read is what the counting proxy relayed: the harness fills it in.
    return {
        "status": "ok",
        "clips": len(done),
        "bytes_written": sum(n for n, _ in done),
        "ffmpeg_bytes_consumed": sum(c for _, c in done),
    }


ENGINES = {
    "playclips": run_playclips,
    "playclips-cli": run_playclips_cli,
    "seed": run_seed,
    "ffmpeg-http": run_ffmpeg_http,
}


def main() -> None:
    cfg = json.loads(Path(sys.argv[1]).read_text())
    try:
        result = ENGINES[cfg["engine"]](cfg)
    except Exception as exc:  # the harness reports it; the bench goes on with other engines
        result = {"status": "failed", "clips": 0, "errors": [f"{type(exc).__name__}: {exc}"]}
    Path(cfg["result"]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
