"""Encode mode: a frame-accurate clip at training resolution.

The copy-mode clip (media.cut, already in memory, index at the front) is piped into one ffmpeg
process whose command ffmpeg-python builds:

- video: `trim` by presentation timestamp to the play's first frame and to the first frame at or
  after its end (both found exactly by demuxing the in-memory clip's packets, not by rounding
  seconds), `setpts` so the clip starts at 0, `fps` (the requested rate, else the source's
  nominal rate: a VFR source becomes constant-rate), `scale=-2:H` (keeps the aspect ratio, even
  width), libx264 with `-crf`/`-preset`, yuv420p;
- audio: every audio stream of the source, `atrim` to the same span and shifted by the same
  amount as the video, padded with silence at the start when the source's first audio packet
  starts after the play (`aresample=async=1:first_pts=0`), so audio and video stay in sync;
  AAC;
- `-movflags +faststart`, `-xerror` (a damaged clip fails instead of encoding garbage).

Where the output goes: ffmpeg's `+faststart` moves the index to the front by reopening and
rewriting its output, which needs a seekable file; a pipe is not one. Two ways keep the bytes
off the disk: (a) fragmented MP4 (`frag_keyframe+empty_moov`) on stdout, remuxed in-process
with PyAV into a normal MP4 (the `moov_size` trick of media.cut), or (b) an anonymous memory
file (`os.memfd_create`) that ffmpeg writes through `/proc/self/fd/N`: seekable, no name on
any file system, gone when closed, so ffmpeg's own `+faststart` works. Measured on the demo
game (24 clips, 480x270 -> 240p, one ffmpeg at a time, 2 cores): both cost the same ffmpeg CPU
(5.4 s vs 5.6 s); (a) adds 0.09 s of Python CPU per clip for the remux and, with the index
space reserved before the packet count is known, clips 3x the size unless sized twice.
(b) it is: plain MP4 output, no second mux, no extra CPU. memfd_create is Linux-only, as is
the job's image.

Parallelism: clips are encoded concurrently by the pipeline, up to the CPUs available; each
ffmpeg gets `-threads` = CPUs // concurrent encodes (decoder, filters and x264 alike), so the
machine is busy but not oversubscribed.
"""

from __future__ import annotations

import io
import math
import os
import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import ffmpeg

from .cut import Cut, MediaError
from .tools import ffmpeg_exe

# A frame shown within a microsecond before a play's start or end counts as at it (as media.cut).
_EPS = Fraction(1, 1_000_000)
VIDEO_CODEC = "h264"
# ffmpeg's closing lines that repeat an earlier, more specific error.
_GENERIC = (
    "Conversion failed",
    "Error initializing output stream",
    "Error while opening encoder",
    "Exiting normally",
)
_CONTEXT = re.compile(r"^\[([\w,]+) @ 0x[0-9a-f]+\]\s*")


@dataclass(frozen=True)
class EncodeOptions:
    """What decides an encoded clip's bytes besides the play and the source."""

    height: int | None = None
    fps: float | None = None
    crf: int = 20
    preset: str = "veryfast"


class EncodeFailed(MediaError):
    """ffmpeg could not encode one clip; the message is ffmpeg's own reason."""


@dataclass(frozen=True)
class Encoded:
    """One encoded clip: its bytes, where it sits on the source timeline, what it is."""

    data: bytes
    start_s: float  # the play's start and end on the source timeline
    end_s: float
    frames: int
    width: int
    height: int
    fps: float
    audio_streams: int


@dataclass(frozen=True)
class _Layout:
    """What the command needs to know about the copy-mode clip."""

    start_pts: int  # first video frame of the play, in the video stream's time base
    end_pts: int  # first video frame after the play (or just past the clip's last frame)
    start_s: Fraction  # start_pts in seconds: the audio is cut and shifted there too
    span_s: Fraction  # from that first frame to the play's end
    rate: Fraction  # the source's frame rate
    audio_streams: int


def available_cpus() -> int:
    """CPUs this process may use: the cgroup CPU quota (Cloud Run), else the affinity mask."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus or 1, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus or 1)


def encoder_slots(cpus: int, games_at_once: int = 1) -> tuple[int, int]:
    """(clips of a game encoded at once, ffmpeg threads per encode) on `cpus` CPUs.

    Each of `games_at_once` game processes gets an equal share of the CPUs and runs one encode
    per CPU of its share, and each encode gets the CPUs left over (so 1, unless there are more
    games than CPUs): on clips of a few seconds one single-threaded ffmpeg per CPU beats fewer
    multi-threaded ones (see docs/encode.md for the measurement).
    """
    games = max(1, games_at_once)
    parallel = max(1, cpus // games)
    return parallel, max(1, cpus // (games * parallel))


def encode_cut(cut: Cut, options: EncodeOptions, source_fps: float, threads: int = 1) -> Encoded:
    """Encode the play in `cut` (a copy-mode clip) frame-accurately; raise EncodeFailed.

    `source_fps` is the angle's frame rate (VideoInfo.fps), the output's unless options.fps
    is set: one rate for every clip of an angle, even of a VFR source.
    """
    layout = _layout(cut, Fraction(source_fps).limit_denominator(1001))
    where = f"{cut.spec.angle} play {cut.spec.play.play_id}"
    fd = os.memfd_create(f"playclips-{cut.spec.play.play_id}", os.MFD_CLOEXEC)
    try:
        cmd = encode_command(layout, options, threads, f"/proc/self/fd/{fd}")
        timeout = 120 + 30 * (cut.clip_end_s - cut.clip_start_s)
        try:
            done = subprocess.run(
                cmd,
                input=cut.data,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(fd,),
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise EncodeFailed(f"{where}: ffmpeg took over {timeout:.0f} s; stopped") from None
        if done.returncode != 0:
            reason = last_error_line(done.stderr.decode(errors="replace"))
            raise EncodeFailed(f"{where}: ffmpeg failed: {reason or f'exit {done.returncode}'}")
        size = os.lseek(fd, 0, os.SEEK_END)
        data = os.pread(fd, size, 0)
    finally:
        os.close(fd)
    return _describe(data, cut, layout, where)


def encode_command(layout: _Layout, options: EncodeOptions, threads: int, output: str) -> list[str]:
    """The ffmpeg argv that reads a copy-mode clip on stdin and writes the encoded MP4."""
    rate = Fraction(options.fps).limit_denominator(1001) if options.fps else layout.rate
    frames = max(1, math.ceil(layout.span_s * rate - _EPS))
    source = ffmpeg.input("pipe:0", format="mp4", threads=threads)
    video = source["v:0"].trim(start_pts=layout.start_pts, end_pts=layout.end_pts)
    video = (
        video.setpts("PTS-STARTPTS")
        .filter("fps", fps=f"{rate.numerator}/{rate.denominator}")
        # fps stops one frame after the last input frame, short of the play's end when a VFR
        # source has a gap there: repeat the last frame, then keep ceil(span x rate) frames.
        .filter("tpad", stop_mode="clone", stop_duration=f"{float(layout.span_s):.6f}")
        .trim(end_frame=frames)
    )
    if options.height:
        video = video.filter("scale", -2, options.height)
    shift, span = f"{float(layout.start_s):.9f}", f"{float(layout.span_s):.9f}"
    audio = [
        source[f"a:{i}"]
        .filter("atrim", start=shift, duration=span)
        .filter("asetpts", f"PTS-{shift}/TB")
        .filter("aresample", **{"async": 1, "first_pts": 0})
        for i in range(layout.audio_streams)
    ]
    codecs = {"c:v": "libx264", "preset": options.preset, "crf": options.crf}
    if layout.audio_streams:
        codecs["c:a"] = "aac"
    out = ffmpeg.output(
        video,
        *audio,
        output,
        format="mp4",
        pix_fmt="yuv420p",
        threads=threads,
        movflags="+faststart",
        map_metadata=-1,
        **codecs,
    )
    args = ["-hide_banner", "-nostats", "-loglevel", "error", "-xerror"]
    args += ["-filter_complex_threads", str(threads)]
    return out.global_args(*args).overwrite_output().compile(cmd=ffmpeg_exe())


def last_error_line(stderr: str) -> str:
    """ffmpeg's last specific error line, '[libx264 @ 0x..] msg' shown as 'libx264: msg'."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    specific = [line for line in lines if not line.startswith(_GENERIC)]
    line = (specific or lines or [""])[-1]
    return _CONTEXT.sub(lambda m: f"{m.group(1)}: ", line).rstrip(".")


def _layout(cut: Cut, rate: Fraction) -> _Layout:
    """Find the play's first and next-after-last frames by demuxing the clip (no decoding)."""
    try:
        with av.open(io.BytesIO(cut.data), mode="r") as clip:
            video = clip.streams.video[0]
            tb = Fraction(video.time_base)
            pts = sorted(p.pts for p in clip.demux(video) if p.pts is not None)
            audio = len(clip.streams.audio)
    except (av.error.FFmpegError, IndexError) as exc:
        raise EncodeFailed(
            f"{cut.spec.angle} play {cut.spec.play.play_id}: the cut clip is unreadable ({exc})"
        ) from None
    if not pts:
        raise EncodeFailed(f"{cut.spec.angle} play {cut.spec.play.play_id}: the cut has no video")
    origin = pts[0] * tb  # the clip's first frame: play offsets count from it
    start = origin + Fraction(cut.play_start_offset_s) - _EPS
    end = origin + Fraction(cut.play_end_offset_s) - _EPS
    first = next((p for p in pts if p * tb >= start), None)
    if first is None:
        raise EncodeFailed(
            f"{cut.spec.angle} play {cut.spec.play.play_id}: no frame at or after the play's start"
        )
    after = next((p for p in pts if p * tb >= end), pts[-1] + 1)
    return _Layout(
        start_pts=first,
        end_pts=max(after, first + 1),
        start_s=first * tb,
        span_s=max(end + _EPS - first * tb, tb),
        rate=rate,
        audio_streams=audio,
    )


def _describe(data: bytes, cut: Cut, layout: _Layout, where: str) -> Encoded:
    """Read the encoded clip's facts from its index; fail an empty one."""
    try:
        with av.open(io.BytesIO(data), mode="r") as clip:
            video = clip.streams.video[0]
            frames = video.frames
            width, height = video.codec_context.width, video.codec_context.height
            rate = video.average_rate or video.guessed_rate or 0
            audio = len(clip.streams.audio)
    except (av.error.FFmpegError, IndexError):
        raise EncodeFailed(f"{where}: ffmpeg wrote no video (is the clip damaged?)") from None
    if not frames:
        raise EncodeFailed(f"{where}: ffmpeg encoded no frame (is the clip damaged?)")
    return Encoded(
        data=data,
        start_s=cut.clip_start_s + cut.play_start_offset_s,
        end_s=cut.clip_start_s + cut.play_end_offset_s,
        frames=frames,
        width=width,
        height=height,
        fps=round(float(rate), 6),
        audio_streams=audio,
    )
