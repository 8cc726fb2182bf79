"""The byte spans an angle's clips will read, known from the container's index before any media
byte is read, so the storage layer can fetch exactly those bytes, ahead of the cutter.

An MP4/MOV index lists every sample of every stream: its file position, size and decode time
(`stream.index_entries`). For each clip, in the order the clips are cut, the plan repeats the
cutter's seek (see `media/cut.py`): a seek to the play's start lands on the last keyframe whose
decode time is at or before it; if that keyframe is shown after the start (B-frames), the cutter
seeks again earlier by its margin (the one that last worked, else 1 s, doubling), and the plan
follows the same margins. The clip's span runs from the first sample read after that seek (the
keyframe, or an audio sample the demuxer takes first) to the first video sample decoded after
the play's end plus the decode delay (frames shown after the end but decoded before it extend
the clip) and the first audio sample past that (the samples that tell the cutter it is done),
and one sample more in each stream.

The index gives decode times only. A keyframe is shown at its decode time plus the video's
decode delay (the first packet's pts - dts), plus up to a few frames for the keyframe of an
open GOP; where the keyframe a seek lands on might be shown after the start, the plan assumes
the cutter seeks again (planning one GOP more than it may read). Should the plan still miss a
byte, the cutter reads it through the storage layer's ordinary read-ahead: a plan costs at most
some bytes, never a wrong clip.

Matroska cues list keyframes only and MPEG-TS has no index, and a fragmented MP4 lists its
samples only as its fragments are read: for those (and any index that does not reach the end
of every copied stream) there is no plan, and reads fall back to read-ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from ..model import ClipSpec
from .cut import AngleReader

Span = tuple[int, int]  # [start, end) byte offsets in the source object

# Bytes added past each span's end. libavformat asks for whole buffers (64 KiB) past the last
# sample it needs, but a reader that stops a read short at a span's end (`RangeReader`) gets
# asked again only if the demuxer needs more: the extra sample per stream is margin enough.
DEFAULT_MARGIN = 0
_BUFFER = 1 << 16  # the demuxer's read buffer (`AngleReader`'s default)
# A seek forward by less than a buffer and libavformat's short-seek threshold (32 KiB) reads
# the bytes between instead.
_SHORT_SEEK = _BUFFER + (32 << 10)


def clip_spans(
    reader: AngleReader, specs: Sequence[ClipSpec], margin: int = DEFAULT_MARGIN
) -> list[list[Span]] | None:
    """Each clip's byte spans, in the order of `specs` (cut in that order); None without an index.

    Times in `specs` are on the angle's timeline. A clip's first span holds its samples; the
    others are the few bytes a seek reads in streams that are not copied (a timecode track).
    `margin` bytes are added past each span's end. Spans are clipped to the object's size.
    """
    index = _Index.of(reader)
    if index is None:
        return None
    spans: list[list[Span]] = []
    learned = Fraction(reader.seek_margin)  # the seek margin the cutter will start from
    read_to = index.read_to  # where the demuxer's last read ended
    for spec in specs:
        start, end = reader.play_bounds(spec)
        seek_at, learned = index.seek_target(start, learned, reader.limits.max_preroll_s)
        lo = index.first_read(seek_at)
        hi = index.last_read(lo, end)
        if 0 <= lo - read_to <= _SHORT_SEEK:
            lo = read_to  # libavformat reads through a short gap instead of seeking
        main = (lo, min(max(hi, lo) + margin, index.size))
        spans.append([main, *index.side_reads(seek_at, margin)])
        read_to = main[1]
    return spans


def plan_reads(reader: AngleReader, specs: Sequence[ClipSpec]) -> list[list[Span]] | None:
    """Tell the angle's file object which bytes `specs` will read (if it takes a plan).

    Call after the reader is open and before the clips are cut, with the specs in cut order.
    Returns the spans planned, or None where the container has no usable index or the file
    object takes no plan (then it reads ahead as usual).
    """
    fileobj = _fileobj(reader)
    plan = getattr(fileobj, "plan", None)
    if plan is None:
        return None
    spans = clip_spans(reader, specs)
    if spans is not None:
        plan(spans)
    return spans


def _fileobj(reader: AngleReader) -> Any:
    # PyAV keeps the Python file object it reads as `container.file.file`.
    holder = getattr(reader.container, "file", None)
    return getattr(holder, "file", None)


class _Index:
    """The copied streams' index entries, with the times the cutter's reads turn on."""

    def __init__(self, reader: AngleReader, size: int, read_to: int) -> None:
        self.reader = reader
        self.size = size
        self.read_to = read_to
        v = reader.video
        self.video = v.index_entries
        self.vtb = Fraction(v.time_base)
        first_pts, first_dts = reader.first_packets[v.index]
        self.delay = first_pts - first_dts if first_dts is not None else 0
        self.frame = Fraction(1, 1) / Fraction(reader.video.average_rate or 30)
        # A keyframe of an open GOP (or HEVC's CRA) is shown after the B-frames that lead it,
        # later than the first keyframe: up to 3 frames later on the encodes tested; 4 allowed.
        reorders = bool(reader.video.codec_context.has_b_frames) or self.delay > 0
        self.slack = 4 * self.frame if reorders else Fraction(0)
        self.others = [(s.index_entries, Fraction(s.time_base)) for s in reader.copied[1:]]
        # streams not copied (a timecode track) are still read after a seek when indexed
        self.ignored = [
            (s.index_entries, Fraction(s.time_base))
            for s in reader.container.streams
            if s not in reader.copied and s.index_entries is not None and len(s.index_entries)
        ]

    @classmethod
    def of(cls, reader: AngleReader) -> _Index | None:
        c = reader.container
        if "mov" not in c.format.name.split(","):
            return None
        fileobj = _fileobj(reader)
        if fileobj is None:
            return None
        try:
            at = fileobj.tell()
            size = getattr(fileobj, "size", None)
            if size is None:
                size = fileobj.seek(0, 2)
                fileobj.seek(at)  # the demuxer relies on the file's position: put it back
        except (OSError, ValueError):
            return None
        if not size:
            return None
        index = cls(reader, int(size), int(at))
        return index if index._complete() else None

    def _complete(self) -> bool:
        """Whether every copied stream's index reaches that stream's end (not a fragment's)."""
        for s in self.reader.copied:
            entries = s.index_entries
            if entries is None or len(entries) == 0:
                return False
            if s.duration and s.start_time is not None:
                last = entries[len(entries) - 1].timestamp
                if (s.start_time + s.duration - last) * Fraction(s.time_base) > 2:
                    return False
        return True

    # -- the seek --------------------------------------------------------------------------------

    def _keyframe_before(self, at: Fraction) -> int:
        """Index of the keyframe a backward seek to `at` (seconds) lands on (decode time)."""
        target = int(at / self.vtb) if at > 0 else -int(-at / self.vtb) - 1
        i = self.video.search_timestamp(target, backward=True)
        return i if i >= 0 else 0

    def _surely_shown_by(self, i: int, start: Fraction) -> bool:
        """Whether keyframe `i` is shown at or before `start` whatever its decode delay."""
        return (self.video[i].timestamp + self.delay) * self.vtb + self.slack <= start

    def seek_target(
        self, start: Fraction, learned: Fraction, max_preroll: float
    ) -> tuple[Fraction, Fraction]:
        """Where the cutter's successful seek goes for a play starting at `start`, and the
        margin it will have learned (see `AngleReader._find`)."""
        if self._surely_shown_by(self._keyframe_before(start), start):
            return start, learned
        # maybe too late: plan for the cutter's second seek (a larger margin plans more bytes,
        # so where the cutter did not need to seek again the plan still covers its reads)
        m = learned or Fraction(1)
        while m <= max_preroll:
            if self._surely_shown_by(self._keyframe_before(start - m), start):
                return start - m, m
            m *= 2
        return start - Fraction(max_preroll), learned

    # -- the bytes -------------------------------------------------------------------------------

    def first_read(self, at: Fraction) -> int:
        """The lowest file position read after a seek to `at` (seconds)."""
        k = self._keyframe_before(at)
        key = self.video[k]
        pos = key.pos
        kt = key.timestamp * self.vtb
        for entries, tb in self.others:
            j = entries.search_timestamp(int(kt / tb), backward=True, any_frame=True)
            if j >= 0:  # and the sample before it: a seek may land one sample early
                pos = min(pos, entries[max(j - 1, 0)].pos)
        return pos

    def side_reads(self, at: Fraction, margin: int) -> list[Span]:
        """The spans of streams not copied that a seek to `at` (seconds) still reads."""
        k = self._keyframe_before(at)
        kt = self.video[k].timestamp * self.vtb
        spans = []
        for entries, tb in self.ignored:
            j = entries.search_timestamp(int(kt / tb), backward=True, any_frame=True)
            e = entries[max(j, 0)]
            # libavformat may seek back to a buffer before so small a sample: allow one buffer
            spans.append((max(0, e.pos - _BUFFER), min(e.pos + e.size + margin, self.size)))
        return spans

    def last_read(self, lo: int, end: Fraction) -> int:
        """One past the highest file position read for a clip ending at `end` (seconds)."""
        entries = self.video
        n = len(entries)
        # The cutter takes every frame decoded before the latest frame it has taken is shown,
        # so a frame shown after the end but decoded before it moves the end on by up to the
        # decode delay; then the first video sample decoded after that stops the video.
        end = end + self.delay * self.vtb + self.slack
        j = entries.search_timestamp(int(end / self.vtb) + 1, backward=False, any_frame=True)
        if j < 0:
            return self.size  # the clip runs to the video's end: the cutter reads to the file's
        j = min(j + 1, n - 1)  # and one sample more
        hi = entries[j].pos + entries[j].size
        # audio is read until a sample shows the clip's last frame has ended
        audio_end = end + self.frame
        for others, tb in self.others:
            k = others.search_timestamp(int(audio_end / tb) + 1, backward=False, any_frame=True)
            if k < 0:
                return self.size
            k = min(k + 1, len(others) - 1)
            hi = max(hi, others[k].pos + others[k].size)
        # streams not copied are demuxed too: their samples up to there are read on the way
        for others, tb in self.ignored:
            k = others.search_timestamp(int(audio_end / tb) + 1, backward=False, any_frame=True)
            if 0 <= k < len(others) and lo <= others[k].pos <= hi:
                hi = max(hi, others[k].pos + others[k].size)
        return hi
