"""The bench harness runs end to end on a tiny fixture and writes every engine and metric.

Correctness of the harness only: no timing is asserted (the machine is shared and small).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METRICS = (
    "wall_s",
    "cpu_s",
    "bytes_read",
    "bytes_written",
    "peak_rss_bytes",
    "peak_pss_bytes",
    "peak_scratch_bytes",
    "fetch_ratio",
    "game_wall_s",
    "load_before",
)


def test_bench_writes_every_engine_and_metric(tmp_path: Path) -> None:
    out = tmp_path / "results"
    env = {**os.environ, "PLAYCLIPS_BENCH_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--fixture",
            "tiny",
            "--angles",
            "2",
            "--encode-clips",
            "1",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "playclips copy (GCS)" in proc.stdout  # the table was printed

    engines = {e["kind"]: e for e in results["engines"]}
    expected = {"copy-gcs", "copy-local", "seed", "ffmpeg-http"}
    if results["encode_available"]:
        expected.add("encode-gcs")
    assert set(engines) == expected
    plays = 4  # the tiny fixture's game
    for kind, e in engines.items():
        if kind == "encode-gcs" and e["status"] == "unavailable":
            continue  # --mode encode not wired into the pipeline yet
        assert e["status"] == "ok", (kind, e.get("errors"), e.get("stderr_tail"))
        for metric in METRICS:
            assert metric in e, (kind, metric)
        assert e["clips"] == (1 if kind == "encode-gcs" else plays * 2), kind
        assert e["bytes_read"] > 0 and e["bytes_written"] > 0, kind
        assert e["cpu_s"] > 0 and e["wall_s"] > 0 and e["peak_rss_bytes"] > 0, kind
        models = e["projection"]["models"]
        assert set(models) == {"slow", "fast"}
        assert all(m["wall_s"] > 0 and m["usd"] > 0 for m in models.values()), kind
    # What the engines are made of shows in the measurements.
    assert engines["copy-gcs"]["peak_scratch_bytes"] == 0
    assert engines["seed"]["peak_scratch_bytes"] >= results["fixture"]["size"]
    assert engines["seed"]["bytes_read"] == 2 * results["fixture"]["size"]
    assert results["pricing"]["source"].startswith("https://cloud.google.com/run/pricing")
    assert {t["target"] for t in results["targets"]} >= {
        "bytes fetched / clip bytes (copy, GCS)",
        "wall speed-up vs seed (same run)",
        "CPU vs ffmpeg/clip over HTTP (same run)",
    }
    # the scaling pair: the local engine on every CPU and pinned to one, and its efficiency
    locals_ = [e for e in results["engines"] if e["kind"] == "copy-local"]
    assert sorted(e["knobs"].get("cpus", 0) for e in locals_) == [0, 1]
    if (os.cpu_count() or 1) > 1:
        assert 0 < results["parallel_efficiency"] <= 1
        assert any(t["target"].startswith("wall on ") for t in results["targets"])
