"""Bad (and merely unusual) angle videos for the corpus, generated once into the test cache."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

from playclips.media.tools import ffmpeg_exe

from ..support.sources import CACHE, make_source
from .mp4check import with_empty_video_track, without_box

HERE = CACHE / "reliability"
_SRC = ("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=20")
_TONE = ("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=20")
_X264 = ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "25")

# name -> ffmpeg arguments (inputs, codecs, format); the output file is HERE/name.
_FFMPEG: dict[str, tuple[str, ...]] = {
    "prores.mov": (*_SRC, "-c:v", "prores_ks", "-profile:v", "0"),
    "raw.h264": (*_SRC, *_X264, "-f", "h264"),
    "audio_only.mp4": (*_TONE, "-c:a", "aac"),
    "h264.mkv": (*_SRC, *_TONE, *_X264, "-bf", "2", "-c:a", "aac", "-f", "matroska"),
}


def _ffmpeg(name: str) -> Path:
    path = HERE / name
    if not path.exists():
        HERE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{name}")
        subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-y", *_FFMPEG[name], str(tmp)],
            check=True,
            timeout=120,
        )
        tmp.replace(path)
    return path


def bad_video(kind: str) -> bytes | Path:
    """The content for one corpus video `kind`: bytes to write, or a file to link."""
    good = make_source("bframes")
    if kind == "empty":
        return b""
    if kind == "random_bytes":
        return random.Random(8).randbytes(200_000)
    if kind == "truncated":  # index (moov) at the end: cut off with the second half
        data = good.read_bytes()
        return data[: len(data) // 2]
    if kind == "truncated_after_index":  # index at the front, media cut off after ~10 s
        data = make_source("faststart").read_bytes()
        return data[: len(data) // 2]
    if kind == "no_moov":
        return without_box(good.read_bytes(), b"moov")
    if kind == "empty_video_track":
        return with_empty_video_track(good.read_bytes())
    if kind in ("prores", "raw_h264", "audio_only", "mkv"):
        return _ffmpeg(
            {
                "prores": "prores.mov",
                "raw_h264": "raw.h264",
                "audio_only": "audio_only.mp4",
                "mkv": "h264.mkv",
            }[kind]
        )
    raise KeyError(kind)
