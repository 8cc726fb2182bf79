"""The frame-level oracle for clips (DESIGN.md, "Correctness oracle").

A copy-mode clip's decoded frames must equal the source's decoded frames over
[clip_start_s, clip_end_s), bit for bit, and the manifest's play offsets must select exactly
the source frames of [start, end). Frames are hashed by ffmpeg's framemd5 muxer, an
independent decoder from the one playclips cuts with.
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from playclips.media.tools import ffmpeg_exe

EPS = 1e-6


@dataclass(frozen=True)
class Frame:
    t: float  # presentation time in seconds, as ffmpeg reports it
    md5: str


@functools.cache
def frames(path: str, stream: str = "0:v:0") -> tuple[Frame, ...]:
    """Every decoded frame of `stream` in presentation order, with its time and MD5."""
    out = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            path,
            "-map",
            stream,
            "-fps_mode",
            "passthrough",
            "-f",
            "framemd5",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tb = Fraction(1)
    result = []
    for line in out.splitlines():
        if line.startswith("#tb"):
            tb = Fraction(line.split(":", 1)[1].strip())
        elif line and not line.startswith("#"):
            cols = [c.strip() for c in line.split(",")]
            result.append(Frame(float(int(cols[2]) * tb), cols[5]))
    return tuple(sorted(result, key=lambda f: f.t))


def between(fs: tuple[Frame, ...], start: float, end: float) -> list[str]:
    return [f.md5 for f in fs if start - EPS <= f.t < end - EPS]


def check_copy_clip(
    source: Path, clip: Path, record: dict, play_start: float, play_end: float
) -> None:
    """Assert the clip and its manifest record against the source (times on the source file).

    `play_start`/`play_end` are the play's times on this angle's file timeline, clamped to the
    video's duration.
    """
    src = frames(str(source))
    got = frames(str(clip))
    assert got, f"{clip} has no video frames"
    assert abs(got[0].t) < EPS, f"{clip} starts at {got[0].t}, not 0"
    want = between(src, record["clip_start_s"], record["clip_end_s"])
    assert [f.md5 for f in got] == want, (
        f"{clip}: {len(got)} frames do not equal the source's {len(want)} frames over "
        f"[{record['clip_start_s']}, {record['clip_end_s']})"
    )
    assert record["frames"] == len(got)
    in_play = between(got, record["play_start_offset_s"], record["play_end_offset_s"])
    assert in_play == between(src, play_start, play_end), (
        f"{clip}: the play offsets [{record['play_start_offset_s']}, "
        f"{record['play_end_offset_s']}) do not select the play's frames"
    )
    assert in_play, f"{clip}: no frame of the play is in the clip"
