"""The frame-level oracle for clips, on the player's timeline.

A copy-mode clip's decoded frames must equal the source's decoded frames over
[clip_start_s, clip_end_s), bit for bit, and the manifest's play offsets must select exactly
the source frames of [start, end). Each audio stream's packets in the clip must equal the
source's packets of that stream shown over the clip's span (packet hashes, stream copy).

Frames and packets are hashed by ffmpeg's framemd5 muxer (an independent reader from the one
playclips cuts with), with `-copyts` and the demuxer's own time base so no time is rounded to a
frame rate; times are then put on the player's timeline by subtracting the file's start (the
earliest audio or video stream start, read with ffprobe).
"""

from __future__ import annotations

import functools
import json
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from playclips.media.tools import ffmpeg_exe

EPS = Fraction(1, 1_000_000)


@dataclass(frozen=True)
class Frame:
    t: Fraction  # presentation time in seconds on the player's timeline
    md5: str


def _ffprobe() -> str:
    exe = ffmpeg_exe()
    return exe[: -len("ffmpeg")] + "ffprobe" if exe.endswith("ffmpeg") else "ffprobe"


@functools.cache
def streams(path: str) -> tuple[dict, ...]:
    """ffprobe's view of the file's streams (codec, type, start_pts, time_base, side data)."""
    out = subprocess.run(
        [_ffprobe(), "-v", "error", "-show_streams", "-of", "json", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return tuple(json.loads(out)["streams"])


@functools.cache
def origin(path: str) -> Fraction:
    """The player's t = 0: the earliest audio or video stream start, exact.

    Opus pre-skip samples are never presented (RFC 7845); the ffprobe of older FFmpeg releases
    still starts such a stream before them, so an Opus start counts from 0 at the earliest.
    """
    starts = []
    for s in streams(path):
        if s.get("codec_type") in ("audio", "video") and s.get("start_pts") not in (None, "N/A"):
            start = int(s["start_pts"]) * Fraction(s["time_base"])
            starts.append(max(start, Fraction(0)) if s.get("codec_name") == "opus" else start)
    return min(starts) if starts else Fraction(0)


@functools.cache
def hashes(path: str) -> tuple[tuple[Frame, ...], ...]:
    """The first video stream's decoded frames, then each audio stream's packets (copied), each
    in presentation order: one ffmpeg run per file.

    MPEG-TS carries AAC with ADTS headers, which an MP4 clip carries without: such packets are
    hashed after the same header removal (the aac_adtstoasc bitstream filter).
    """
    audio = [s for s in streams(path) if s.get("codec_type") == "audio"]
    ts = Path(path).suffix in (".ts", ".m2ts", ".mts")
    args = ["-map", "0:v:0", "-fps_mode", "passthrough", "-enc_time_base:v", "-1"]
    for i, stream in enumerate(audio):
        args += ["-map", f"0:a:{i}", f"-c:a:{i}", "copy"]
        if ts and stream.get("codec_name") == "aac":
            args += [f"-bsf:a:{i}", "aac_adtstoasc"]
    out = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-copyts", "-i", path, *args, "-f", "framemd5", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return _parse(out, origin(path))


def frames(path: str) -> tuple[Frame, ...]:
    """Every decoded frame of the first video stream, in presentation order."""
    return hashes(path)[0]


_CLIPS: dict[str, tuple[tuple[Frame, ...], ...]] = {}


def hash_clips(paths: list[str]) -> None:
    """Hash many clips in one ffmpeg run (what `clip_hashes` then returns).

    A clip's timeline is its own: no start is subtracted, so its first shown frame must be at 0
    and no packet may come before it.
    """
    if not paths:
        return
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [ffmpeg_exe(), "-v", "error", "-copyts"]
        for path in paths:
            cmd += ["-i", path]
        outs = []
        for i, _ in enumerate(paths):
            out = str(Path(tmp) / f"{i}.md5")
            outs.append(out)
            cmd += ["-map", f"{i}:v:0", "-map", f"{i}:a?", "-fps_mode", "passthrough"]
            cmd += ["-enc_time_base:v", "-1", "-c:a", "copy", "-f", "framemd5", out]
        subprocess.run(cmd, capture_output=True, text=True, check=True)
        for path, out in zip(paths, outs, strict=True):
            _CLIPS[path] = _parse(Path(out).read_text(), Fraction(0))


def clip_hashes(path: str) -> tuple[tuple[Frame, ...], ...]:
    """A clip's video frames, then its audio streams' packets, on the clip's own timeline."""
    if path not in _CLIPS:
        hash_clips([path])
    return _CLIPS[path]


def _parse(text: str, zero: Fraction) -> tuple[tuple[Frame, ...], ...]:
    tbs: dict[int, Fraction] = {}
    result: dict[int, list[Frame]] = {}
    for line in text.splitlines():
        if line.startswith("#tb"):
            index, _, tb = line[3:].partition(":")
            tbs[int(index)] = Fraction(tb.strip())
            result.setdefault(int(index), [])
        elif line and not line.startswith("#"):
            cols = [c.strip() for c in line.split(",")]
            index = int(cols[0])
            result[index].append(Frame(int(cols[2]) * tbs[index] - zero, cols[5]))
    return tuple(tuple(sorted(result[i], key=lambda f: f.t)) for i in sorted(result))


def between(fs: tuple[Frame, ...], start: float | Fraction, end: float | Fraction) -> list[str]:
    lo, hi = Fraction(start), Fraction(end)
    return [f.md5 for f in fs if lo - EPS <= f.t < hi - EPS]


def keyframe_times(path: str) -> list[float]:
    """Times of the video's keyframes on the player's timeline (hidden pre-roll left out)."""
    out = subprocess.run(
        [
            _ffprobe(),
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts,flags",
            "-of",
            "csv=p=0",
            path,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    video = next(s for s in streams(path) if s.get("codec_type") == "video")
    tb, zero = Fraction(video["time_base"]), origin(path)
    times = []
    for line in out.splitlines():
        pts, _, flags = line.partition(",")
        if "K" in flags and "D" not in flags and pts not in ("", "N/A"):
            times.append(float(int(pts) * tb - zero))
    return sorted(t for t in times if t >= 0)


def check_copy_clip(
    source: Path,
    clip: Path,
    record: dict,
    play_start: float,
    play_end: float,
    carried_audio: int | None = None,
) -> None:
    """Assert the clip and its manifest record against the source (times on the source file).

    `play_start`/`play_end` are the play's times on this angle's file timeline.
    """
    src = frames(str(source))
    got = clip_hashes(str(clip))[0]
    assert got, f"{clip} has no video frames"
    assert abs(got[0].t) < EPS, f"{clip} starts at {float(got[0].t)}, not 0"
    want = between(src, record["clip_start_s"], record["clip_end_s"])
    assert [f.md5 for f in got] == want, (
        f"{clip}: {len(got)} frames do not equal the source's {len(want)} frames over "
        f"[{record['clip_start_s']}, {record['clip_end_s']})"
    )
    assert record["frames"] == len(got)
    in_play = between(got, record["play_start_offset_s"], record["play_end_offset_s"])
    want_play = between(src, max(play_start, 0.0), play_end)
    assert in_play == want_play, (
        f"{clip}: the play offsets [{record['play_start_offset_s']}, "
        f"{record['play_end_offset_s']}) select {len(in_play)} frames, not the play's "
        f"{len(want_play)}"
    )
    assert in_play, f"{clip}: no frame of the play is in the clip"
    assert 0 <= record["play_start_offset_s"] <= record["play_end_offset_s"]
    assert record["play_end_offset_s"] <= record["clip_end_s"] - record["clip_start_s"] + 1e-6
    check_audio(source, clip, record, carried_audio)


def check_audio(source: Path, clip: Path, record: dict, carried: int | None = None) -> None:
    """Each audio stream's packets in the clip are the source's over the clip's span.

    A source stream with no packet in the span has no stream in the clip. `carried` is how many
    of the source's audio streams an MP4 clip can carry (default: all of them).
    """
    src = hashes(str(source))[1:]
    wanted = []
    for packets in src[: len(src) if carried is None else carried]:
        span = between(packets, record["clip_start_s"], record["clip_end_s"])
        if span:
            wanted.append(span)
    got = clip_hashes(str(clip))[1:]
    assert len(got) == len(wanted), f"{clip} has {len(got)} audio streams, not {len(wanted)}"
    for i, (have, want) in enumerate(zip(got, wanted, strict=True)):
        assert [f.md5 for f in have] == want, (
            f"{clip}: audio stream {i} has {len(have)} packets, not the source's {len(want)} "
            f"over [{record['clip_start_s']}, {record['clip_end_s']})"
        )


def duration(path: str) -> float:
    """Where the file's last stream ends on the player's timeline (ffprobe's format duration)."""
    out = subprocess.run(
        [_ffprobe(), "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip())
