"""Choose the GCS reader's block size and read-ahead by measurement.

Cuts a game's worth of clips (the pipeline's reader: PyAV over `GcsStorage.open_read`) from one
synthetic camera angle served by fake-gcs-server on loopback, for several block sizes and
read-ahead limits, and prints requests, bytes fetched, loopback wall time and a modelled time
for a Cloud Run task reading a same-region bucket: requests x LATENCY + bytes / BANDWIDTH.
Requests and bytes do not depend on the network; the model turns them into seconds.

The angle: 300 s at 60 fps, 640x360 H.264 with B-frames and a 2 s GOP, CBR 7 Mbit/s (about a
real 3 h, 10 GB angle's bitrate), AAC audio, index (moov) at the end. The plays: 5 to 15 s,
one every 36 s (a real game has a play of 5-15 s every ~70 s). Also measured:
google-cloud-storage's own BlobReader (`Blob.open("rb", chunk_size=...)`), its fetches counted.

    .venv/bin/python bench/gcs_block_size.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playclips.media.cut import AngleReader  # noqa: E402
from playclips.media.tools import ffmpeg_exe  # noqa: E402
from playclips.model import ClipSpec, Play  # noqa: E402
from playclips.storage import ReadStats  # noqa: E402
from playclips.storage.gcs import GcsStorage  # noqa: E402
from tests.support.fake_gcs import start_fake_gcs  # noqa: E402

CACHE = ROOT / ".cache" / "bench"
# Two models of one Cloud Run task reading a same-region bucket (assumed, not measured here):
# (time to first byte of a ranged GET, bytes/s of one stream).
MODELS = {"fast": (0.015, 400e6), "slow": (0.060, 100e6)}
READ_BUFFER = 1 << 16  # pipeline.Job.read_buffer: PyAV's AVIO buffer
KiB, MiB = 1 << 10, 1 << 20

CONFIGS: list[tuple[int, int, int]] = [  # (block size, first fetch after a seek, read-ahead)
    (64 * KiB, 64 * KiB, 64 * KiB),
    (256 * KiB, 256 * KiB, 256 * KiB),
    (256 * KiB, 256 * KiB, 4 * MiB),
    (1 * MiB, 1 * MiB, 1 * MiB),
    (1 * MiB, 1 * MiB, 8 * MiB),
    (1 * MiB, 4 * MiB, 4 * MiB),
    (1 * MiB, 4 * MiB, 16 * MiB),
    (1 * MiB, 8 * MiB, 8 * MiB),
    (1 * MiB, 8 * MiB, 16 * MiB),
    (1 * MiB, 8 * MiB, 32 * MiB),
    (1 * MiB, 16 * MiB, 16 * MiB),
    (256 * KiB, 8 * MiB, 16 * MiB),
    (4 * MiB, 8 * MiB, 16 * MiB),
]
BLOB_READER_CHUNKS = [1 * MiB, 8 * MiB, 16 * MiB]


def make_angle(duration_s: int) -> Path:
    """The synthetic angle (made once, cached under .cache/bench)."""
    path = CACHE / f"angle-{duration_s}s-60fps-7M.mp4"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}")
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=640x360:rate=60",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        str(duration_s),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-bf",
        "2",
        "-g",
        "120",
        "-b:v",
        "7M",
        "-minrate",
        "7M",
        "-maxrate",
        "7M",
        "-bufsize",
        "2M",
        "-x264-params",
        "nal-hrd=cbr:force-cfr=1",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        str(tmp),
    ]
    print(f"making {path.name} ...", file=sys.stderr)
    subprocess.run(cmd, check=True)
    tmp.replace(path)
    return path


def plays(duration_s: int) -> list[ClipSpec]:
    """A play every 36 s, 5 to 15 s long (a fixed, shuffled cycle of lengths)."""
    lengths = [9.0, 5.0, 13.0, 7.0, 15.0, 11.0, 6.0, 10.0, 14.0, 8.0, 12.0]
    specs = []
    t = 5.0
    while t + 15 < duration_s:
        length = lengths[len(specs) % len(lengths)]
        play = Play("bench", f"p{len(specs):03d}", t, t + length)
        specs.append(ClipSpec(play, "FAR_LEFT", t, t + length))
        t += 36.0
    return specs


def cut_all(fileobj: BinaryIO, specs: list[ClipSpec]) -> int:
    """Cut every spec; return the total clip bytes."""
    total = 0
    with AngleReader(fileobj, "bench", READ_BUFFER) as reader:
        reader.info()
        for spec in specs:
            total += len(reader.cut(spec).data)
    return total


def measure(open_file: Callable[[ReadStats], BinaryIO], specs: list[ClipSpec]) -> dict[str, Any]:
    stats = ReadStats()
    started = time.perf_counter()
    clip_bytes = cut_all(open_file(stats), specs)
    wall = time.perf_counter() - started
    result = {
        "requests": stats.requests,
        "bytes": stats.bytes_read,
        "clip_bytes": clip_bytes,
        "wall": wall,
    }
    for model, (latency, bandwidth) in MODELS.items():
        result[model] = stats.requests * latency + stats.bytes_read / bandwidth
    return result


def range_reader(storage: GcsStorage, key: str, url_name: bool) -> Callable[[ReadStats], Any]:
    """GcsStorage.open_read; with url_name=True the reader shows PyAV its gs:// name.

    libavformat enlarges its read buffer to the streams' interleaving distance (~2 MB here)
    when the input's name is a network URL, and keeps 64 KiB reads for a local file name.
    """

    def open_file(stats: ReadStats) -> Any:
        reader = storage.open_read(key, stats)
        if not url_name:
            return reader
        reader.name = reader.uri  # type: ignore[attr-defined]
        return reader

    return open_file


def blob_reader(storage: GcsStorage, key: str, chunk: int) -> Callable[[ReadStats], BinaryIO]:
    """google-cloud-storage's BlobReader, its fetches counted by wrapping the blob's download."""

    def open_file(stats: ReadStats) -> BinaryIO:
        blob = storage._bucket.get_blob(storage._name(key))
        download = blob.download_as_bytes

        def counted(*args: Any, **kwargs: Any) -> bytes:
            data = download(*args, **kwargs)
            stats.add(len(data))
            return data

        blob.download_as_bytes = counted  # type: ignore[method-assign]
        return blob.open("rb", chunk_size=chunk)  # type: ignore[return-value]

    return open_file


def size(n: float) -> str:
    return f"{n / MiB:.0f} MiB" if n >= MiB else f"{n / KiB:.0f} KiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=300, help="angle length in seconds")
    parser.add_argument("--quick", action="store_true", help="fewer configurations")
    args = parser.parse_args()
    source = make_angle(args.duration)
    data = source.read_bytes()
    specs = plays(args.duration)
    server = start_fake_gcs()
    os.environ.update(server.env())
    try:
        server.create_bucket("bench-videos")
        base = GcsStorage("bench-videos")
        key = "bench/FAR_LEFT.mp4"
        base.put(key, data, content_type="video/mp4")
        rows: list[tuple[str, str, str, dict[str, Any]]] = []
        configs = CONFIGS[::3] if args.quick else CONFIGS
        for url_name in (False, True):
            for block, first, ahead in configs if not url_name else configs[:5]:
                storage = GcsStorage(
                    "bench-videos",
                    block_size=block,
                    first_fetch=first,
                    read_ahead=ahead,
                    cache_blocks=16,
                )
                result = measure(range_reader(storage, key, url_name), specs)
                name = "gs://" if url_name else "none"
                rows.append((size(block), f"{size(first)}..{size(ahead)}", name, result))
        for chunk in BLOB_READER_CHUNKS:
            result = measure(blob_reader(base, key, chunk), specs)
            rows.append((f"BlobReader {size(chunk)}", "-", "none", result))
    finally:
        server.stop()
    clip_bytes = rows[0][3]["clip_bytes"]
    models = ", ".join(
        f"{m} = {lat * 1000:.0f} ms/request + {bw / 1e6:.0f} MB/s"
        for m, (lat, bw) in MODELS.items()
    )
    print(
        f"angle {len(data) / 1e6:.1f} MB, {len(specs)} clips of 5-15 s, clips total "
        f"{clip_bytes / 1e6:.1f} MB; models (seconds): {models}"
    )
    print(
        f"{'block':>18} {'read-ahead':>16} {'name':>6} {'requests':>9} {'fetched MB':>11} "
        f"{'x clips':>8} {'fast s':>7} {'slow s':>7} {'loopback s':>11}"
    )
    for block, ahead, name, r in rows:
        print(
            f"{block:>18} {ahead:>16} {name:>6} {r['requests']:>9} {r['bytes'] / 1e6:>11.1f} "
            f"{r['bytes'] / clip_bytes:>8.2f} {r['fast']:>7.2f} {r['slow']:>7.2f} "
            f"{r['wall']:>11.2f}"
        )


if __name__ == "__main__":
    main()
