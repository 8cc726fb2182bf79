"""Cut many clips from one open container by stream copy (DESIGN decisions 2 and 3).

The container is opened once per angle over a seekable file object from the storage layer, so
the index is parsed once and only the bytes of each clip (plus its keyframe pre-roll) are read.
For each clip:

1. Seek to the keyframe K at or before the play's start *by presentation time*. libavformat
   seeks by decode time; with B-frames a keyframe is shown after frames decoded before it, so
   when K's pts lands after the start we seek again from just before K's dts.
2. Take video packets in decode order from K. Leading pictures of an open GOP (pts < K's pts)
   reference the previous GOP and are dropped. The packets taken must be a prefix in decode
   order whose frames form one contiguous run in presentation order that covers the play's end:
   keep every packet up to the last one shown before `hi`, then raise `hi` past the latest
   frame taken, until a packet's dts passes `hi` (no later packet can be shown before it).
3. Take every audio (and extra video) packet shown in [clip start, clip end).
4. Mux into an in-memory MP4 with its index at the front. The mp4 muxer's `+faststart` reopens
   the output by file name, which an in-memory file does not have, so the index space is
   reserved up front with `moov_size` (sized from the packet count, doubled on the rare miss).

Timestamps are shifted so the clip starts at 0. The clip's real start and end on the source
timeline and the play's offsets inside the clip are returned for the manifest: labels stay exact
although the clip starts on a keyframe.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import BinaryIO

import av
import av.error

from ..model import ClipSpec, VideoInfo

# Half a microsecond: float seconds from a plays table are compared to exact frame times.
_EPS = Fraction(1, 2_000_000)
_MAX_RESEEKS = 8


class MediaError(Exception):
    """A video or clip could not be read or written; the message says which and why."""


@dataclass(frozen=True)
class Cut:
    """One clip's bytes and where it sits on the source timeline (seconds)."""

    spec: ClipSpec
    data: bytes
    clip_start_s: float
    clip_end_s: float
    play_start_offset_s: float
    play_end_offset_s: float
    frames: int


def _frac(seconds: float) -> Fraction:
    return Fraction(seconds).limit_denominator(10_000_000)


class AngleReader:
    """One angle's container, open for the lifetime of its cuts."""

    def __init__(self, fileobj: BinaryIO, name: str, buffer_size: int = 1 << 16) -> None:
        self.name = name
        try:
            self._container = av.open(fileobj, mode="r", buffer_size=buffer_size)
        except av.error.FFmpegError as exc:
            raise MediaError(f"{name} is not a readable video ({_reason(exc)})") from None
        videos = [
            s
            for s in self._container.streams.video
            if not s.disposition & av.stream.Disposition.attached_pic
        ]
        if not videos:
            raise MediaError(f"{name} has no video stream")
        self._video = videos[0]
        self._copied = [
            s
            for s in self._container.streams
            if s.type == "audio" or (s.type == "video" and s in videos)
        ]
        self._skipped = tuple(
            f"{s.type}:{s.codec_context.name if s.codec_context else s.index}"
            for s in self._container.streams
            if s not in self._copied
        )
        tb = self._video.time_base
        if tb is None or self._video.codec_context.width == 0:
            raise MediaError(f"{name}: its video stream has no usable timing or size")
        self._tb = Fraction(tb)
        self._origin = self._video.start_time or 0
        try:
            _check_mp4_copy(name, self._copied)
        except MediaError:
            self._container.close()
            raise

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> AngleReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def info(self) -> VideoInfo:
        """The angle's duration, codec, size and frame rate."""
        v = self._video
        durations = [float(v.duration * self._tb)] if v.duration else []
        if self._container.duration:
            durations.append(self._container.duration / av.time_base)
        if durations:
            duration = max(durations)
        else:
            raise MediaError(
                f"{self.name}: its duration is unknown (a {self._container.format.name} stream "
                "without timestamps, or an incomplete file); remux it into MP4 first"
            )
        # MP4/MOV index every sample, so no frames means an empty track; Matroska and most
        # other containers give no per-stream count at all (frames == 0).
        counted = "mp4" in self._container.format.name.split(",")
        if duration <= 0 or (counted and not v.frames):
            raise MediaError(f"{self.name}: its video stream is empty")
        rate = v.average_rate or v.guessed_rate or 0
        return VideoInfo(
            duration_s=duration,
            video_codec=v.codec_context.name,
            width=v.codec_context.width,
            height=v.codec_context.height,
            fps=round(float(rate), 6),
            audio_streams=len(self._container.streams.audio),
            skipped_streams=self._skipped,
        )

    def cut(self, spec: ClipSpec) -> Cut:
        """Cut `spec` (times on this angle's timeline) by stream copy; raise MediaError."""
        try:
            return self._cut(spec)
        except av.error.FFmpegError as exc:
            raise MediaError(
                f"{self.name}: reading play {spec.play.play_id} failed ({_reason(exc)})"
            ) from None

    def _cut(self, spec: ClipSpec) -> Cut:
        tb = self._tb
        start_ts = self._origin + (_frac(spec.start_s) + _EPS) / tb  # latest allowed K pts
        end_ts = self._origin + (_frac(spec.end_s) - _EPS) / tb  # frames shown before it
        key, packets = self._seek_keyframe(start_ts)
        video, others = self._take(key, packets, end_ts)
        last = max(video, key=lambda q: q.pts)
        clip_start = key.pts * tb
        clip_end = (last.pts + (last.duration or _frame_duration(self._video))) * tb
        others = [p for p in others if clip_start <= p.pts * p.time_base < clip_end]
        data = _mux(self._copied, video + others, clip_start)
        origin_s = self._origin * tb
        play_start = _frac(spec.start_s) + origin_s
        return Cut(
            spec=spec,
            data=data,
            clip_start_s=float(clip_start - origin_s),
            clip_end_s=float(clip_end - origin_s),
            play_start_offset_s=float(max(play_start - clip_start, Fraction(0))),
            play_end_offset_s=float(min(_frac(spec.end_s) + origin_s, clip_end) - clip_start),
            frames=len(video),
        )

    def _seek_keyframe(self, start_ts: Fraction) -> tuple[av.Packet, Iterator[av.Packet]]:
        """Seek to the latest keyframe shown at or before start_ts.

        Returns that keyframe and the demuxer positioned just after it (all copied streams).
        """
        v = self._video
        target = int(start_ts)
        for _ in range(_MAX_RESEEKS):
            self._container.seek(max(target, 0), stream=v, backward=True, any_frame=False)
            packets = self._container.demux(*self._copied)
            key = next(
                (
                    p
                    for p in packets
                    if p.stream is v and p.pts is not None and p.dts is not None and p.is_keyframe
                ),
                None,
            )
            if key is None:
                at = float((start_ts - self._origin) * self._tb)
                raise MediaError(
                    f"{self.name}: no video data at or after the keyframe before {at:g} s "
                    "although the index lists it: the file looks truncated; upload it again"
                )
            if key.pts <= start_ts or target <= 0:
                return key, packets
            target = min(target, key.dts) - 1  # shown after the start: try the keyframe before
        at = float((start_ts - self._origin) * self._tb)
        raise MediaError(f"{self.name}: no keyframe at or before {at:g} s")

    def _take(
        self, key: av.Packet, packets: Iterator[av.Packet], end_ts: Fraction
    ) -> tuple[list[_Packet], list[_Packet]]:
        """Video packets from `key` through the play's end (see the module docstring, step 2),
        and the other streams' packets read on the way (filtered by the caller)."""
        v, tb = self._video, self._tb
        hi = max(end_ts, Fraction(key.pts + 1))  # every frame shown before hi is taken
        taken: list[_Packet] = [_Packet.of(key)]
        last = taken[0]  # the taken frame shown last
        tentative: list[_Packet] = []
        others: list[_Packet] = []
        latest = {s.index: Fraction(-1) for s in self._copied if s is not v}
        end_t: Fraction | None = None  # the clip's end (seconds) once the video is complete
        for p in packets:
            if p.pts is None:
                continue  # flush packets at the end of the file
            if p.stream is not v:
                others.append(_Packet.of(p))
                latest[p.stream.index] = max(latest[p.stream.index], p.pts * p.time_base)
            elif end_t is None:
                if p.dts is not None and p.dts >= hi:  # no later packet is shown before hi
                    end_t = (last.pts + (last.duration or _frame_duration(v))) * tb
                elif p.pts >= key.pts:  # else: a leading picture of an open GOP; drop it
                    tentative.append(_Packet.of(p))
                    if p.pts < hi:
                        last = max(last, *tentative, key=lambda q: q.pts)
                        taken.extend(tentative)
                        tentative.clear()
                        hi = max(hi, Fraction(last.pts + 1))
            if end_t is not None and all(t >= end_t for t in latest.values()):
                break
        return taken, others


def _check_mp4_copy(name: str, streams: list[av.stream.Stream]) -> None:
    """Raise MediaError if a stream's codec cannot be stream-copied into an MP4 clip."""
    out = av.open(io.BytesIO(), mode="w", format="mp4")
    try:
        for s in streams:
            try:
                out.add_stream_from_template(s)
            except (ValueError, av.error.FFmpegError):
                codec = s.codec_context.name if s.codec_context else "unknown"
                raise MediaError(
                    f"{name}: its {s.type} codec {codec} cannot be stream-copied into an MP4 "
                    "clip; convert the video to H.264 or HEVC (audio to AAC) first"
                ) from None
    finally:
        out.close()


def _frame_duration(v: av.video.stream.VideoStream) -> int:
    rate = v.average_rate or v.guessed_rate
    if not rate:
        return 1
    return max(1, round(1 / (Fraction(rate) * Fraction(v.time_base))))


@dataclass(frozen=True)
class _Packet:
    """A demuxed packet's bytes and timing, kept so the clip can be muxed again if needed."""

    stream: int
    data: bytes
    pts: int
    dts: int | None
    duration: int
    keyframe: bool
    time_base: Fraction

    @classmethod
    def of(cls, p: av.Packet) -> _Packet:
        return cls(
            p.stream.index,
            bytes(p),
            p.pts,
            p.dts,
            p.duration or 0,
            p.is_keyframe,
            Fraction(p.time_base),
        )


def _mux(streams: list[av.stream.Stream], packets: list[_Packet], clip_start: Fraction) -> bytes:
    """Write packets into an MP4 in memory, index first; timestamps shifted to clip_start=0."""
    reserve = 8192 + 32 * len(packets)
    for _ in range(4):
        try:
            return _mux_once(streams, packets, clip_start, reserve)
        except av.error.ArgumentError:
            reserve *= 2  # the index did not fit in the space reserved for it
    raise MediaError("could not write the clip's index at the front of the MP4")


def _mux_once(
    streams: list[av.stream.Stream], packets: list[_Packet], clip_start: Fraction, reserve: int
) -> bytes:
    buf = io.BytesIO()
    out = av.open(buf, mode="w", format="mp4", options={"moov_size": str(reserve)})
    try:
        present = {p.stream for p in packets}
        mapping = {s.index: out.add_stream_from_template(s) for s in streams if s.index in present}
        shift = {s.index: round(clip_start / Fraction(s.time_base)) for s in streams}
        for p in sorted(packets, key=lambda q: (q.pts if q.dts is None else q.dts) * q.time_base):
            packet = av.Packet(p.data)
            packet.stream = mapping[p.stream]
            packet.time_base = p.time_base
            packet.pts = p.pts - shift[p.stream]
            packet.dts = None if p.dts is None else p.dts - shift[p.stream]
            packet.duration = p.duration
            packet.is_keyframe = p.keyframe
            out.mux(packet)
    finally:
        out.close()
    return buf.getvalue()


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).strip().rstrip(".")
