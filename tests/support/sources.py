"""Test videos generated with ffmpeg, cached under .cache/test-sources by recipe.

Each source covers a trap a real camera file can set for a stream-copy cutter.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from playclips.media.tools import ffmpeg_exe

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "test-sources"


@dataclass(frozen=True)
class Source:
    """A recipe: ffmpeg input and output arguments, and the container extension."""

    name: str
    args: tuple[str, ...]
    ext: str = "mp4"
    duration_s: float = 20.0


def _video(rate: str = "30", size: str = "320x240") -> tuple[str, ...]:
    return ("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}")


def _tone(freq: int = 440) -> tuple[str, ...]:
    return ("-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate=48000")


_X264 = ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p")
_AAC = ("-c:a", "aac", "-b:a", "64k")

SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        # B-frames with a closed GOP every 2 s, audio, index (moov) at the end.
        Source("bframes", (*_video(), *_tone(), *_X264, "-bf", "3", "-g", "60", *_AAC)),
        # Open GOP: leading B-frames after each keyframe are shown before it.
        Source(
            "open_gop",
            (
                *_video(),
                *_tone(),
                *_X264,
                "-bf",
                "3",
                "-g",
                "45",
                "-x264-params",
                "open-gop=1:keyint=45:min-keyint=45:scenecut=0",
                *_AAC,
            ),
        ),
        # 29.97 fps: frame times are not round numbers.
        Source(
            "ntsc",
            (*_video("30000/1001"), *_tone(), *_X264, "-bf", "2", "-g", "48", *_AAC),
        ),
        # A 10 s GOP: the keyframe pre-roll can be most of a clip.
        Source(
            "long_gop",
            (
                *_video(),
                *_X264,
                "-bf",
                "3",
                "-g",
                "300",
                "-keyint_min",
                "300",
                "-sc_threshold",
                "0",
                "-an",
            ),
            duration_s=30.0,
        ),
        Source("no_audio", (*_video("25"), *_X264, "-bf", "2", "-g", "50", "-an")),
        Source(
            "two_audio",
            (
                *_video(),
                *_tone(440),
                *_tone(660),
                "-map",
                "0:v",
                "-map",
                "1:a",
                "-map",
                "2:a",
                *_X264,
                "-bf",
                "2",
                "-g",
                "60",
                *_AAC,
            ),
        ),
        # MOV with a timecode (data) track, which must be skipped cleanly.
        Source(
            "timecode_mov",
            (
                *_video(),
                *_tone(),
                *_X264,
                "-bf",
                "2",
                "-g",
                "60",
                *_AAC,
                "-timecode",
                "01:00:00:00",
            ),
            ext="mov",
        ),
        # Index at the front, as an encoder with +faststart writes it.
        Source(
            "faststart",
            (
                *_video(),
                *_tone(),
                *_X264,
                "-bf",
                "3",
                "-g",
                "60",
                *_AAC,
                "-movflags",
                "+faststart",
            ),
        ),
        Source(
            "hevc",
            (
                *_video(),
                *_tone(),
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-x265-params",
                "keyint=60:min-keyint=60:bframes=3:log-level=error",
                "-tag:v",
                "hvc1",
                *_AAC,
            ),
        ),
        # Variable frame rate: after frame 240 only every third frame is kept, timestamps intact.
        Source(
            "vfr",
            (
                *_video(),
                *_tone(),
                "-vf",
                "select='lt(n\\,240)+not(mod(n\\,3))'",
                "-fps_mode",
                "vfr",
                *_X264,
                "-bf",
                "2",
                "-g",
                "40",
                *_AAC,
            ),
        ),
    ]
}


def make_source(name: str, duration_s: float | None = None) -> Path:
    """Path to the generated source `name` (made once, then reused from the cache)."""
    source = SOURCES[name]
    duration = duration_s or source.duration_s
    args = (*source.args, "-t", f"{duration:g}")
    digest = hashlib.sha1(" ".join(args).encode()).hexdigest()[:10]
    path = CACHE / f"{name}-{digest}.{source.ext}"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{path.name}")
        cmd = [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            *args,
            str(tmp),
        ]
        subprocess.run(cmd, check=True)
        tmp.replace(path)
    return path


def concat_copies(segment: Path, copies: int, out: Path) -> None:
    """Write `copies` of `segment` back to back into `out` by stream copy (concat demuxer).

    How long and large sources are made cheaply; `out` appears whole or not at all.
    """
    listing = out.with_name(f".list-{os.getpid()}-{out.stem}.txt")
    listing.write_text(f"file '{segment.resolve()}'\n" * copies)
    tmp = out.with_name(f".tmp-{os.getpid()}-{out.name}")
    try:
        subprocess.run(
            [
                ffmpeg_exe(),
                "-v",
                "error",
                "-y",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                "-c",
                "copy",
                str(tmp),
            ],
            check=True,
        )
        tmp.replace(out)
    finally:
        listing.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


def install_game(videos_root: Path, game_id: str, source: Path, angles: list[str]) -> None:
    """Link `source` in as every angle of a game: {root}/{game}/{ANGLE}.{ext}."""
    folder = videos_root / game_id
    folder.mkdir(parents=True, exist_ok=True)
    for angle in angles:
        target = folder / f"{angle}{source.suffix}"
        if not target.exists():
            target.symlink_to(source)
