"""Cut many clips from one open container by stream copy.

The container is opened once per angle over a seekable file object from the storage layer, so
the index is parsed once and only the bytes of each clip (plus its keyframe pre-roll) are read.
Only the containers cameras, recorders and capture cards write are opened (MP4/MOV, plain or
fragmented; Matroska/WebM; MPEG-TS/M2TS), and no protocol: a text file that names other
files or network addresses (a concat script, an SDP or HLS playlist) is refused.

**The timeline.** An angle's time is the time a player shows: t = 0 is the container's start
after edit lists, whichever stream starts first (what `ffmpeg -ss`, browsers and players use).
libavformat unwraps MPEG-TS's 33-bit timestamps against the first one, so a wrap inside the
file and a start far from zero map onto the same line. Frames an edit list hides (the pre-roll
of a file trimmed by stream copy) are never shown: they are carried only when a shown frame
needs them, and hidden again in the clip by its own edit list.

**The seek** does not trust the demuxer to land anywhere in particular. For each clip:

1. Seek to (start - margin), then read forward. Every keyframe *shown* at or before the start
   becomes the candidate K (a later one replaces an earlier one). With B-frames a keyframe is
   shown after frames decoded before it, so presentation time, not decode time, decides.
   If the first keyframe met is shown after the start, or a packet shows that none can
   follow, the read began too late: seek again with a larger margin (0, then the margin that
   last worked, doubling up to `max_preroll_s`). Indexed containers land right at the first try;
   MPEG-TS lands anywhere and needs a margin of about one GOP.
2. Other streams (audio) must be covered from K on: the first audio packet read after the seek
   must start at or before the clip's start, else the read began too late for the audio too.
3. From K, take video packets in decode order. Leading pictures of an open GOP (shown before K)
   reference the previous GOP and are dropped. The packets taken are a prefix in decode order
   whose frames form one contiguous run in presentation order covering the play's end: keep
   every packet up to the last one shown before `hi`, then raise `hi` past the latest frame
   taken, until a packet's dts passes `hi` (no later packet can be shown before it).
4. Take every audio packet shown in [clip start, clip end).
5. Check the result against the plan before it is muxed (see `_verify`), mux it into an
   in-memory MP4 with its index at the front, and read the MP4 back to check its frame count.
   The mp4 muxer's `+faststart` reopens the output by file name, which an in-memory file does
   not have, so the index space is reserved up front with `moov_size` (sized from the packet
   count, doubled only when the muxer says the index did not fit; any other muxer error is
   reported as it is).

Timestamps are shifted so the clip's first shown frame is at 0. Decode timestamps are rebuilt
from the presentation order when the source lacks them (Matroska after a seek). The clip's real
start and end on the angle's timeline and the play's offsets inside the clip are returned for
the manifest: labels stay exact although the clip starts on a keyframe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import BinaryIO

import av
import av.error
import av.logging

from ..model import ClipSpec, VideoInfo
from .probe import mp4_sample_count

# Half a microsecond: float seconds from a plays table are compared to exact frame times.
_EPS = Fraction(1, 2_000_000)

# libavformat demuxers allowed to open a source (its short names; "mov" is MP4/MOV/M4V/3GP,
# "matroska" is Matroska and WebM, "mpegts" is MPEG-TS and M2TS).
SUPPORTED_DEMUXERS = "mov,matroska,mpegts"
SUPPORTED_TEXT = "MP4/MOV, Matroska/WebM or MPEG-TS"


class MediaError(Exception):
    """A video or clip could not be read or written; the message says which and why."""


class PlayOutsideVideo(MediaError):
    """The play has no frame in this angle's video (it lies after its last frame)."""


@dataclass(frozen=True)
class CutLimits:
    """Bounds that keep a cut's time and memory set by configuration, not by the input."""

    max_preroll_s: float = 64.0  # how far before a play the keyframe search may reach
    max_clip_bytes: int = 256 << 20  # bytes held for one clip (packets read for it)
    max_frame_pixels: int = 8192 * 4352  # width x height of a source frame
    max_index_entries: int = 4_000_000  # samples an MP4's index may list (all tracks)


@dataclass(frozen=True)
class Cut:
    """One clip's bytes and where it sits on the angle's timeline (seconds)."""

    spec: ClipSpec
    data: bytes
    clip_start_s: float
    clip_end_s: float
    play_start_offset_s: float
    play_end_offset_s: float
    frames: int
    notes: tuple[str, ...] = ()


def _frac(seconds: float) -> Fraction:
    return Fraction(seconds).limit_denominator(10_000_000)


class AngleReader:
    """One angle's container, open for the lifetime of its cuts."""

    def __init__(
        self,
        fileobj: BinaryIO,
        name: str,
        buffer_size: int = 1 << 16,
        limits: CutLimits | None = None,
    ) -> None:
        self.name = name
        self.limits = limits or CutLimits()
        samples = mp4_sample_count(fileobj)
        if samples is not None and samples > self.limits.max_index_entries:
            raise MediaError(
                f"{name}: its index lists {samples} samples, more than the "
                f"{self.limits.max_index_entries} allowed (PLAYCLIPS_MAX_INDEX_ENTRIES); "
                "a real 3-hour 60 fps angle has about 1.2 million"
            )
        self._container = _open(fileobj, name, buffer_size)
        try:
            self._setup()
        except BaseException:
            self._container.close()
            raise

    def _setup(self) -> None:
        c, name = self._container, self.name
        videos = [
            s for s in c.streams.video if not s.disposition & av.stream.Disposition.attached_pic
        ]
        if not videos:
            raise MediaError(f"{name} has no video stream")
        v = self._video = videos[0]
        if v.time_base is None or v.codec_context.width == 0:
            raise MediaError(f"{name}: its video stream has no usable timing or size")
        pixels = v.codec_context.width * v.codec_context.height
        if pixels > self.limits.max_frame_pixels:
            raise MediaError(
                f"{name}: its frames are {v.codec_context.width}x{v.codec_context.height}, "
                f"more than the {self.limits.max_frame_pixels} pixels allowed "
                "(PLAYCLIPS_MAX_FRAME_PIXELS)"
            )
        self._tb = Fraction(v.time_base)
        _check_mp4_video(name, v)
        audio = [s for s in c.streams.audio if _mp4_header_ok([s])]  # else skipped
        self._copied = [v, *audio]
        # Each copied stream's time base: the read loop compares packets in their own integer
        # ticks (thresholds converted once per clip), not as Fractions per packet.
        self._tbs = {s.index: Fraction(s.time_base) for s in self._copied}
        self._skipped = tuple(
            f"{s.type}:{s.codec_context.name if s.codec_context else s.index}"
            for s in c.streams
            if s not in self._copied
        )
        # The player's t = 0: the earliest stream start (exact, in seconds).
        starts = [
            s.start_time * Fraction(s.time_base)
            for s in c.streams
            if s.type in ("video", "audio") and s.start_time is not None and s.time_base
        ]
        if starts:
            self._origin = min(starts)
        elif c.start_time is not None:
            self._origin = Fraction(c.start_time, av.time_base)
        else:
            self._origin = Fraction(0)
        # Frames shown before the video's own start are hidden by an edit list.
        self._shown_from = v.start_time * self._tb if v.start_time is not None else None
        # Where an MP4 index says the video ends (ticks): reading must reach it, or the file was
        # cut short after its index was written.
        self._indexed_end = (
            v.start_time + v.duration
            if v.frames and v.duration and v.start_time is not None and "mov" in c.format.name
            else None
        )
        self._first = self._first_packets()
        self._margin = Fraction(0)  # the seek margin that last worked

    def _first_packets(self) -> dict[int, tuple[int, int | None]]:
        """(pts, dts) of each copied stream's first packet: how "the file's start" is known."""
        first: dict[int, tuple[int, int | None]] = {}
        wanted = {s.index for s in self._copied}
        with contextlib.suppress(av.error.FFmpegError):
            self._seek_start()  # after opening, the demuxer is at the start anyway
        for count, p in enumerate(self._container.demux(*self._copied)):
            if p.pts is not None and p.stream.index not in first:
                first[p.stream.index] = (p.pts, p.dts)
            if set(first) == wanted or count > 5000:
                break
        if self._video.index not in first:
            raise MediaError(f"{self.name}: its video stream is empty")
        return first

    # What a read plan (readplan.py) needs to know of the open container: it repeats the seeks.
    @property
    def container(self) -> av.container.InputContainer:
        return self._container

    @property
    def video(self) -> av.video.stream.VideoStream:
        """The video stream the clips are cut from."""
        return self._video

    @property
    def copied(self) -> list[av.stream.Stream]:
        """The streams a clip carries: the video first, then the audio MP4 can carry."""
        return self._copied

    @property
    def first_packets(self) -> dict[int, tuple[int, int | None]]:
        """(pts, dts) of each copied stream's first packet, by stream index."""
        return self._first

    @property
    def seek_margin(self) -> Fraction:
        """The seek margin (s) the next cut tries after a seek straight to the play."""
        return self._margin

    def play_bounds(self, spec: ClipSpec) -> tuple[Fraction, Fraction]:
        """The play's start and end (s) on the container's own clock: the latest a keyframe may
        be shown, and the time before which frames belong to the play."""
        return (
            self._origin + _frac(spec.start_s) + _EPS,
            self._origin + _frac(spec.end_s) - _EPS,
        )

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> AngleReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def info(self) -> VideoInfo:
        """The angle's duration, codec, size and frame rate."""
        v, c = self._video, self._container
        ends = []
        if v.duration and v.start_time is not None:
            ends.append((v.start_time + v.duration) * self._tb)
        if c.duration and c.start_time is not None:
            ends.append(Fraction(c.start_time + c.duration, av.time_base))
        if not ends:
            raise MediaError(
                f"{self.name}: its duration is unknown (a {c.format.name} stream without "
                "timestamps, or an incomplete file); remux it into MP4 first"
            )
        duration = float(max(ends) - self._origin)
        if duration <= 0:
            raise MediaError(f"{self.name}: its video stream is empty")
        rate = v.average_rate or v.guessed_rate or 0
        return VideoInfo(
            duration_s=duration,
            video_codec=v.codec_context.name,
            width=v.codec_context.width,
            height=v.codec_context.height,
            fps=round(float(rate), 6),
            audio_streams=len(self._copied) - 1,
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
        start, end = self.play_bounds(spec)
        window = self._find(start, end, spec)
        return self._assemble(window, spec)

    # -- finding the packets ------------------------------------------------------------------

    def _find(self, start: Fraction, end: Fraction, spec: ClipSpec) -> _Window:
        """Read the clip's packets, seeking earlier until the read covers its start."""
        margins = [Fraction(0)]
        m = self._margin or Fraction(1)
        while m <= self.limits.max_preroll_s:
            if m not in margins:
                margins.append(m)
            m *= 2
        at = float(start - self._origin)
        for margin in margins:
            window = self._read(start, end, start - margin)
            if window is not None:
                if margin:
                    self._margin = margin
                if start - window.video[0].pts * self._tb <= self.limits.max_preroll_s:
                    return window
                break
        raise MediaError(
            f"{self.name}: found no keyframe (with its audio) within "
            f"{self.limits.max_preroll_s:g} s before {at:.3f} s (play {spec.play.play_id}): "
            "the keyframes are too far apart or the audio has a gap; use --mode encode, or "
            "re-encode the source with a shorter GOP"
        )

    def _seek_start(self) -> None:
        """Seek to the file's first packets (a seek to its first timestamp can land after
        them: MPEG-TS seeks by bisection and lands near, not at, the target)."""
        v = self._video
        first = v.start_time if v.start_time is not None else 0
        before = first - int(3600 / self._tb)
        try:
            self._container.seek(before, stream=v, backward=True, any_frame=False)
        except av.error.FFmpegError:
            self._container.seek(first, stream=v, backward=True, any_frame=True)

    def _seek(self, at: Fraction) -> None:
        target = int(at / self._tb) if at > 0 else -int(-at / self._tb) - 1
        try:
            self._container.seek(target, stream=self._video, backward=True, any_frame=False)
        except av.error.FFmpegError:
            self._seek_start()  # nothing before the target: read from the file's start

    def _read(self, start: Fraction, end: Fraction, seek_to: Fraction) -> _Window | None:
        """One try: the clip's packets read after seeking to `seek_to`, or None if too late."""
        self._seek(seek_to)
        w = _Window(self, start, end)
        for p in self._container.demux(*self._copied):
            verdict = w.add(p)
            if verdict is _LATE:
                return None
            if verdict is _DONE:
                break
        else:
            w.eof = True
            self._check_not_truncated(w, start)
        return w if w.finish() else None

    def _check_not_truncated(self, w: _Window, start: Fraction) -> None:
        shortfall = 2 * _frame_duration(self._video)
        if self._indexed_end is not None and w.read_to < self._indexed_end - shortfall:
            at = float(max(w.read_to * self._tb, start) - self._origin)
            raise MediaError(
                f"{self.name}: no video data after {at:.3f} s although the index lists it: "
                "the file looks truncated; upload it again"
            )

    # -- checking and writing the clip --------------------------------------------------------

    def _assemble(self, w: _Window, spec: ClipSpec) -> Cut:
        tb = self._tb
        key = w.video[0]
        shown_k = -(2**62) if self._shown_from is None else math.ceil(self._shown_from / tb)
        shown = [q for q in w.video if q.pts >= shown_k]
        if not shown:
            raise PlayOutsideVideo(f"{self.name}: play {spec.play.play_id} has no frame to show")
        clip_start = min(q.pts for q in shown) * tb
        last = max(w.video, key=lambda q: q.pts)
        clip_end = (last.pts + (last.duration or _frame_duration(self._video))) * tb
        play_start, play_end = w.start - _EPS, w.end + _EPS
        if play_end <= clip_start:
            raise PlayOutsideVideo(
                f"play ends at {float(play_end - self._origin):.3f} s on {spec.angle}, before "
                f"its first video frame ({float(clip_start - self._origin):.3f} s)"
            )
        if play_start >= clip_end:
            raise PlayOutsideVideo(
                f"play starts at {float(play_start - self._origin):.3f} s on {spec.angle}, "
                f"after its last video frame ends ({float(clip_end - self._origin):.3f} s)"
            )
        notes = []
        if play_start < clip_start:
            what = "first frame" if w.at_start else "first keyframe it could find"
            notes.append(
                f"play starts at {float(play_start - self._origin):.3f} s, before the "
                f"{what} of {spec.angle} ({float(clip_start - self._origin):.3f} s): "
                "clipped from there"
            )
        if play_end > clip_end:
            notes.append(
                f"play ends at {float(play_end - self._origin):.3f} s, past the last frame of "
                f"{spec.angle} ({float(clip_end - self._origin):.3f} s): clipped what exists"
            )
        bounds = {
            i: (math.ceil(clip_start / tb), math.ceil(clip_end / tb)) for i, tb in self._tbs.items()
        }
        others = [p for p in w.others if bounds[p.stream][0] <= p.pts < bounds[p.stream][1]]
        _verify(self.name, spec, key, w.video, shown, clip_start, clip_end, tb)
        data = _mux(self._copied, w.video, others, clip_start)
        _check_clip(self.name, spec, data, len(shown), len(others))
        offset_start = max(play_start - clip_start, Fraction(0))
        offset_end = min(play_end, clip_end) - clip_start
        return Cut(
            spec=spec,
            data=data,
            clip_start_s=float(clip_start - self._origin),
            clip_end_s=float(clip_end - self._origin),
            play_start_offset_s=float(offset_start),
            play_end_offset_s=float(offset_end),
            frames=len(shown),
            notes=tuple(notes),
        )


# Muxers interleave streams within a second or so; once the video read is this far past the
# clip's end, an audio stream that has not reached the end has ended.
_INTERLEAVE_SLACK_S = 5
_LATE = object()  # this read began after the clip's start: seek earlier
_DONE = object()  # every packet the clip needs has been read


@dataclass(eq=False)
class _Window:
    """The packets one read gathers for one clip (see the module docstring, steps 1-4)."""

    reader: AngleReader
    start: Fraction  # seconds: the latest a keyframe may be shown
    end: Fraction  # seconds: frames shown before it are taken
    video: list[_Packet] = field(default_factory=list)  # from K, in decode order
    others: list[_Packet] = field(default_factory=list)
    at_start: bool = False  # the read began at the file's first video packet
    eof: bool = False
    read_to: int = -(2**62)  # ticks: where the latest video frame read ends
    _first_seen: dict[int, Fraction] = field(default_factory=dict)
    _started: bool = False
    _tentative: list[_Packet] = field(default_factory=list)
    _hi: int = 0  # video ticks: every frame shown before it is taken
    _last: _Packet | None = None  # the taken frame shown last
    _end_t: Fraction | None = None  # seconds: the clip's end once its video is complete
    _latest: dict[int, int] = field(default_factory=dict)  # ticks of each other stream
    _bytes: int = 0
    _video_after: int = -(2**62)  # video ticks: the latest frame read past the end
    # The thresholds above in each stream's own ticks (set in __post_init__, _restart, _take).
    _start_k: int = 0  # a video packet at or before it is shown by `start`
    _key_k: dict[int, int] = field(default_factory=dict)  # other streams: from K's time
    _end_k: dict[int, int] = field(default_factory=dict)  # other streams: the clip's end
    _slack_k: int = 0  # video ticks: past it, an audio stream short of the end has ended

    def __post_init__(self) -> None:
        self._start_k = math.floor(self.start / self.reader._tb)

    def add(self, p: av.Packet) -> object:
        r = self.reader
        if p.pts is None:
            if p.size == 0:
                return None  # a flush packet at the end of the file
            raise MediaError(f"{r.name}: a packet has no timestamp; remux the video into MP4 first")
        index = p.stream.index
        if index not in self._first_seen:
            self._first_seen[index] = p.pts * Fraction(p.time_base)
            if index == r._video.index:
                self.at_start = r._first.get(index) == (p.pts, p.dts)
        if p.stream is not r._video:
            return self._add_other(p)
        pts = p.pts
        self.read_to = max(self.read_to, pts + (p.duration or 0))
        if self._end_t is not None:
            self._video_after = max(self._video_after, pts)
            return self._check_done()
        if p.is_keyframe and pts <= self._start_k:
            self._restart(p)  # a keyframe shown at or before the start: the best K so far
            return None
        if not self.video:
            if self.at_start and p.is_keyframe:
                self._restart(p)  # the play starts before the file's first keyframe
                return None
            decoded_after = p.dts is not None and p.dts > self._start_k
            if p.is_keyframe or decoded_after:
                return _LATE if not self.at_start else None
            return None  # a frame of the GOP before K: not needed
        self._take(p)
        return self._check_done()

    def _restart(self, key: av.Packet) -> None:
        r = self.reader
        self.video = [_Packet.of(key, r._tb)]
        self._last = self.video[0]
        self._tentative = []
        self._hi = max(math.ceil(self.end / r._tb), key.pts + 1)
        kt = key.pts * r._tb
        self._key_k = {i: math.ceil(kt / tb) for i, tb in r._tbs.items()}
        self.others = [q for q in self.others if q.pts >= self._key_k[q.stream]]
        self._bytes = key.size + sum(len(q.data) for q in self.others)

    def _take(self, p: av.Packet) -> None:
        r, key = self.reader, self.video[0]
        if p.dts is not None and p.dts >= self._hi:  # no later packet is shown before hi
            last = self._last
            assert last is not None
            end_t = (last.pts + (last.duration or _frame_duration(r._video))) * r._tb
            self._end_t = end_t
            self._end_k = {s.index: math.ceil(end_t / r._tbs[s.index]) for s in r._copied[1:]}
            self._slack_k = math.floor((end_t + _INTERLEAVE_SLACK_S) / r._tb)
            return
        if p.pts < key.pts:
            return  # a leading picture of an open GOP: it needs the previous GOP
        self._tentative.append(_Packet.of(p, r._tb))
        self._grow(p.size)
        if p.pts < self._hi:
            self._last = max(self._last, *self._tentative, key=lambda q: q.pts)  # type: ignore[arg-type]
            self.video.extend(self._tentative)
            self._tentative.clear()
            self._hi = max(self._hi, self._last.pts + 1)

    def _add_other(self, p: av.Packet) -> object:
        index, pts = p.stream.index, p.pts
        if not self.video or pts >= self._key_k[index]:
            self.others.append(_Packet.of(p, self.reader._tbs[index]))
            self._grow(p.size)
        self._latest[index] = max(self._latest.get(index, pts), pts)
        return self._check_done()

    def _grow(self, n: int) -> None:
        self._bytes += n
        limit = self.reader.limits.max_clip_bytes
        if self._bytes > limit:
            raise MediaError(
                f"{self.reader.name}: a clip needs more than {limit} bytes "
                "(PLAYCLIPS_MAX_CLIP_BYTES); shorten the play or raise the limit"
            )

    def _check_done(self) -> object:
        if self._end_t is None:
            return None
        if self._video_after > self._slack_k:
            return _DONE  # an audio stream that has not reached the end has ended
        if all(self._latest.get(i, -(2**62)) >= k for i, k in self._end_k.items()):
            return _DONE
        return None

    def finish(self) -> bool:
        """Whether this read covers the clip: a K was found and every stream from its start."""
        r = self.reader
        if not self.video:
            return False
        clip_start = self.video[0].pts * r._tb
        if r._shown_from is not None:
            clip_start = max(clip_start, r._shown_from)
        for s in r._copied[1:]:
            seen = self._first_seen.get(s.index)
            first = r._first.get(s.index)
            at_file_start = first is not None and seen == first[0] * Fraction(s.time_base)
            if seen is not None and seen > clip_start and not (at_file_start or self.at_start):
                return False  # this stream's packets before the first one read are needed
        return True


def _verify(
    name: str,
    spec: ClipSpec,
    key: _Packet,
    video: list[_Packet],
    shown: list[_Packet],
    clip_start: Fraction,
    clip_end: Fraction,
    tb: Fraction,
) -> None:
    """Raise MediaError unless the packets make the clip the plan asked for.

    The clip starts on a keyframe, its frames are one run without a hole, and its span covers
    what the play asks of it (the caller notes where the video itself ends first).
    """
    problem = ""
    pts = sorted(q.pts for q in video)
    if not key.keyframe:
        problem = "it does not start on a keyframe"
    elif len(set(pts)) != len(pts):
        problem = "two of its frames share a timestamp"
    elif pts[0] != key.pts:
        problem = "a frame is shown before its keyframe"
    elif not (clip_start < clip_end) or not shown:
        problem = "it holds no frame"
    if problem:
        raise MediaError(
            f"{name}: the clip for play {spec.play.play_id} was not stored: {problem}; "
            "the video's timestamps look broken: remux it into MP4 first"
        )


def _check_clip(name: str, spec: ClipSpec, data: bytes, frames: int, others: int) -> None:
    """Read the clip back: its shown frames and other packets must be the ones written."""
    with av.open(io.BytesIO(data), mode="r", format="mp4") as clip:
        v = clip.streams.video[0]
        counted = shown = packets = 0
        first_key = None
        for p in clip.demux():
            if p.pts is None:
                continue
            if p.stream is v:
                counted += 1
                if first_key is None:
                    first_key = p.is_keyframe
                if not p.is_discard:
                    shown += 1
            else:
                packets += 1
    if first_key is not True or shown != frames or packets != others or counted < frames:
        raise MediaError(
            f"{name}: the clip for play {spec.play.play_id} was not stored: read back it "
            f"shows {shown} frames and {packets} other packets, not {frames} and {others}"
        )


def _open(fileobj: BinaryIO, name: str, buffer_size: int) -> av.container.InputContainer:
    options = {"format_whitelist": SUPPORTED_DEMUXERS, "protocol_whitelist": "none"}
    try:
        return av.open(fileobj, mode="r", buffer_size=buffer_size, options=options)
    except av.error.ArgumentError:
        raise MediaError(
            f"{name} is not a supported video container (playclips reads {SUPPORTED_TEXT}); "
            "remux it into MP4 first"
        ) from None
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"{name} is not a readable video ({_reason(exc)}); playclips reads {SUPPORTED_TEXT}"
        ) from None


def _mp4_header_ok(streams: list[av.stream.Stream]) -> bool:
    """Whether an MP4 can carry these streams by stream copy (its header can be written)."""
    out = av.open(io.BytesIO(), mode="w", format="mp4")
    try:
        for s in streams:
            out.add_stream_from_template(s)
        out.start_encoding()
        return True
    except (ValueError, av.error.FFmpegError):
        return False
    finally:
        with contextlib.suppress(ValueError, av.error.FFmpegError):
            out.close()


def _check_mp4_video(name: str, v: av.stream.Stream) -> None:
    """Raise MediaError if the video codec cannot be stream-copied into an MP4 clip."""
    if not _mp4_header_ok([v]):
        codec = v.codec_context.name if v.codec_context else "unknown"
        raise MediaError(
            f"{name}: its video codec {codec} cannot be stream-copied into an MP4 clip; "
            "use --mode encode, or convert the video to H.264 or HEVC first"
        )


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
    def of(cls, p: av.Packet, time_base: Fraction) -> _Packet:
        """A copy of `p`; `time_base` is its stream's (the reader's, made once)."""
        return cls(
            p.stream.index, bytes(p), p.pts, p.dts, p.duration or 0, p.is_keyframe, time_base
        )


def _decode_times(video: list[_Packet]) -> list[int]:
    """Decode timestamps for video packets in decode order: the source's when they are usable,
    else rebuilt from the presentation order (strictly increasing, never after the pts)."""
    dts = [q.dts for q in video]
    if all(d is not None and d <= q.pts for d, q in zip(dts, video, strict=True)):
        known = [d for d in dts if d is not None]
        if all(a < b for a, b in itertools.pairwise(known)):
            return known
    ordered = sorted(q.pts for q in video)
    shift = max(0, *(s - q.pts for s, q in zip(ordered, video, strict=True)))
    return [s - shift for s in ordered]


def _with_durations(packets: list[_Packet]) -> list[_Packet]:
    """The packets, each with a duration: Matroska often stores none for audio, and an MP4
    sample without one is dropped at the end of a track. A missing duration is the gap to the
    stream's next packet (the last packet takes the gap before it)."""
    if all(p.duration for p in packets):
        return packets
    by_stream: dict[int, list[_Packet]] = {}
    for p in sorted(packets, key=lambda q: q.pts):
        by_stream.setdefault(p.stream, []).append(p)
    out: list[_Packet] = []
    for run in by_stream.values():
        gaps = [b.pts - a.pts for a, b in itertools.pairwise(run)]
        for i, p in enumerate(run):
            if p.duration:
                out.append(p)
                continue
            gap = gaps[i] if i < len(gaps) else (gaps[-1] if gaps else 1)
            out.append(dataclasses.replace(p, duration=max(1, gap)))
    return out


def _mux(
    streams: list[av.stream.Stream],
    video: list[_Packet],
    others: list[_Packet],
    clip_start: Fraction,
) -> bytes:
    """Write packets into an MP4 in memory, index first; timestamps shifted to clip_start=0."""
    reserve = 8192 + 40 * (len(video) + len(others))
    for _ in range(6):
        with av.logging.Capture() as logs:
            try:
                return _mux_once(streams, video, others, clip_start, reserve)
            except av.error.FFmpegError as exc:
                said = " ".join(str(m[2]).strip() for m in logs if m and len(m) > 2)
                if "reserved space" not in said and "moov" not in said:
                    raise MediaError(
                        f"the clip could not be written: {said or _reason(exc)}"
                    ) from None
        reserve *= 2  # the index did not fit in the space reserved for it
    raise MediaError("could not write the clip's index at the front of the MP4")


def _mux_once(
    streams: list[av.stream.Stream],
    video: list[_Packet],
    others: list[_Packet],
    clip_start: Fraction,
    reserve: int,
) -> bytes:
    buf = io.BytesIO()
    out = av.open(buf, mode="w", format="mp4", options={"moov_size": str(reserve)})
    try:
        present = {video[0].stream} | {p.stream for p in others}
        mapping = {s.index: out.add_stream_from_template(s) for s in streams if s.index in present}
        shift = {s.index: round(clip_start / Fraction(s.time_base)) for s in streams}
        timed = [(p, d) for p, d in zip(video, _decode_times(video), strict=True)]
        timed += [(p, p.pts if p.dts is None else p.dts) for p in _with_durations(others)]
        scale = _tick_scale({s.index: Fraction(s.time_base) for s in streams})
        for p, dts in sorted(timed, key=lambda item: item[1] * scale[item[0].stream]):
            packet = av.Packet(p.data)
            packet.stream = mapping[p.stream]
            packet.time_base = p.time_base
            packet.pts = p.pts - shift[p.stream]
            packet.dts = dts - shift[p.stream]
            packet.duration = p.duration
            packet.is_keyframe = p.keyframe
            out.mux(packet)
    finally:
        out.close()
    return buf.getvalue()


def _tick_scale(time_bases: dict[int, Fraction]) -> dict[int, int]:
    """For each stream, the integer that turns its ticks into ticks of one common base
    (1 / the denominators' lcm): muxing order compared exactly, without a Fraction a packet."""
    common = math.lcm(*(tb.denominator for tb in time_bases.values()))
    return {i: tb.numerator * (common // tb.denominator) for i, tb in time_bases.items()}


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).strip().rstrip(".")
