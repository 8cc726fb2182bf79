"""Cloud Run job prices and the model that turns a bench run into seconds and dollars per game.

Every price and platform constant is here, with where it comes from.

The model. A Cloud Run job task is billed for the vCPUs and memory it is *allocated*, for as
long as it runs (rounded up to 100 ms), whatever it uses. So a game's cost is its task's wall
time x (vCPUs x CPU price + GiB x memory price), and the wall time on a task is projected:

    wall = max(CPU-seconds / vCPUs, bytes fetched / read bandwidth,
               bytes written / write bandwidth)

for engines that overlap reading, cutting and uploading (playclips: four angles at once, uploads
in flight behind the cuts), and for the seed design, whose phases follow each other per angle:

    wall = bytes downloaded / read bandwidth + cut CPU-seconds / vCPUs

CPU-seconds and bytes come from the bench run and are scaled to the real game: a game of
REAL_ANGLES x REAL_PLAYS clips cut from REAL_ANGLE_BYTES angles. playclips' CPU and bytes scale
with the clips (per-clip figures x clips), plus one index per angle; the seed design downloads
every angle whole; ffmpeg over HTTP re-reads the index once per clip. Bandwidth between a
Cloud Run task and a same-region bucket is not published; two models bracket it (the same two
the GCS reader's block-size bench uses, bench/gcs_block_size.py).
"""

from __future__ import annotations

from typing import Any

# https://cloud.google.com/run/pricing — "Pricing for regions in Tier 1", row "Services with CPU
# always allocated / Jobs": $0.00001800 per vCPU-second beyond the free tier; charges are
# "rounded up to the nearest 100 millisecond".
PRICING_URL = "https://cloud.google.com/run/pricing"
CPU_USD_PER_VCPU_S = 0.000018
# Same page and row, memory column: $0.00000200 per GiB-second (the copy of the page in our
# search corpus cuts that cell off, so this figure is unverified).
MEM_USD_PER_GIB_S = 0.000002
BILLING_GRANULARITY_S = 0.1

# https://cloud.google.com/run/docs/configuring/jobs/cpu — "4 vCPU: 2 to 16 GiB".
TASK_VCPUS = 4
TASK_MIN_GIB = {1: 0.5, 2: 0.5, 4: 2, 6: 4, 8: 4}
TASK_MAX_GIB = {1: 4, 2: 8, 4: 16, 6: 24, 8: 32}

# The real game the projection is for: 4 angles, 150 plays, 10 GB per angle (3 h).
REAL_ANGLES = 4
REAL_PLAYS = 150
REAL_ANGLE_BYTES = 10e9
REAL_INDEX_BYTES = 19.7e6  # the 3 h fixture's moov (648,000 video frames + AAC audio)

# (read MB/s, write MB/s) of one Cloud Run task to/from a same-region bucket: assumed.
BANDWIDTH_MODELS = {"slow": (100e6, 100e6), "fast": (400e6, 400e6)}

TARGET_WALL_S = 60.0
TARGET_USD = 0.005


def task_gib(peak_rss_bytes: float, scratch_bytes: float, vcpus: int = TASK_VCPUS) -> float:
    """Memory to allocate: peak RSS plus scratch files (Cloud Run's filesystem is memory),
    with 25% headroom, rounded up to 0.5 GiB and at least the minimum for the vCPUs."""
    need = (peak_rss_bytes + scratch_bytes) * 1.25 / 2**30
    gib = max(TASK_MIN_GIB[vcpus], -(-need * 2 // 1) / 2)
    return gib


def task_usd(wall_s: float, gib: float, vcpus: int = TASK_VCPUS) -> float:
    billed = -(-wall_s // BILLING_GRANULARITY_S) * BILLING_GRANULARITY_S
    return billed * (vcpus * CPU_USD_PER_VCPU_S + gib * MEM_USD_PER_GIB_S)


def project(engine: dict[str, Any], fixture: dict[str, Any], angles: int) -> dict[str, Any]:
    """Seconds and dollars for the real game on one TASK_VCPUS task, from one engine's run."""
    clips = max(1, engine["clips"])
    real_clips = REAL_ANGLES * REAL_PLAYS
    scale = real_clips / clips
    kind = engine["kind"]
    index = fixture["moov_bytes"]
    fetched = engine["bytes_read"]
    if kind == "seed":
        real_read = REAL_ANGLES * REAL_ANGLE_BYTES
        # Download CPU scales with the bytes, the ffmpeg processes with the clips.
        dl_cpu = engine.get("download_cpu_s", 0.0)
        cut_cpu = engine["cpu_s"] - dl_cpu
        real_cpu = dl_cpu * real_read / max(1, fetched) + cut_cpu * scale
    elif kind == "ffmpeg-http":
        real_read = (fetched - clips * index) * scale + real_clips * REAL_INDEX_BYTES
        real_cpu = engine["cpu_s"] * scale
    else:  # playclips: per-clip bytes, plus one index per angle
        real_read = (fetched - angles * index) * scale + REAL_ANGLES * REAL_INDEX_BYTES
        real_cpu = engine["cpu_s"] * scale
    real_written = engine["bytes_written"] * scale
    scratch = engine["peak_scratch_bytes"]
    if kind == "seed":
        scratch = REAL_ANGLE_BYTES  # one whole angle at a time
    gib = task_gib(engine["peak_rss_bytes"], scratch)
    out: dict[str, Any] = {
        "clips": real_clips,
        "read_bytes": real_read,
        "written_bytes": real_written,
        "cpu_s": real_cpu,
        "task_gib": gib,
        "fits_task": gib <= TASK_MAX_GIB[TASK_VCPUS],
        "models": {},
    }
    for name, (read_bw, write_bw) in BANDWIDTH_MODELS.items():
        if kind == "seed":
            dl_cpu_real = real_cpu - (engine["cpu_s"] - engine.get("download_cpu_s", 0.0)) * scale
            wall = max(real_read / read_bw, dl_cpu_real / TASK_VCPUS) + max(
                (real_cpu - dl_cpu_real) / TASK_VCPUS, real_written / write_bw
            )
        else:  # playclips' angles in processes: the vCPUs at the efficiency measured in the run
            vcpus = TASK_VCPUS * engine.get("parallel_efficiency", 1.0)
            wall = max(real_cpu / vcpus, real_read / read_bw, real_written / write_bw)
        out["models"][name] = {"wall_s": wall, "usd": task_usd(wall, gib)}
    return out
