"""The read plan against the cutter's real reads: on every generated source, the planned spans
cover every byte the cutter reads for each clip (or there is no plan, for containers without
a full index), and a plan that is told to a reader changes no clip byte."""

from __future__ import annotations

import contextlib
import io
import random
from typing import Any

import pytest

from playclips.media.cut import AngleReader, MediaError
from playclips.media.readplan import clip_spans, plan_reads
from playclips.model import ClipSpec, Play

from ..support.sources import SOURCES, make_source

# Containers whose index lists every sample: these must get a plan.
INDEXED = ("mov", "mp4")


class RecordingFile(io.RawIOBase):
    """A file that records the [start, end) of every read made through it.

    Like the Cloud Storage reader, a read that starts inside one of `spans` stops at its end.
    """

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self.reads: list[tuple[int, int]] = []
        self.planned: list[list[tuple[int, int]]] | None = None
        self.spans: list[tuple[int, int]] = []

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        at = self._raw.tell()
        view = memoryview(buffer).cast("B")
        for a, b in self.spans:
            if a <= at < b:
                view = view[: b - at]
        n = self._raw.readinto(view) or 0
        if n:
            self.reads.append((at, at + n))
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def plan(self, clips: list[list[tuple[int, int]]]) -> None:
        self.planned = clips


def _specs(duration: float, count: int = 6) -> list[ClipSpec]:
    rnd = random.Random(15)
    # first, a play a little way in: the demuxer reads up to it from where opening left it
    specs = [ClipSpec(Play("g", "near_start", 0.8, 2.5), "FAR_LEFT", 0.8, 2.5)]
    for i in range(count):
        start = rnd.uniform(0.0, max(duration - 1.0, 0.1))
        end = min(duration, start + rnd.uniform(0.5, 4.0))
        specs.append(ClipSpec(Play("g", f"p{i}", start, end), "FAR_LEFT", start, end))
    # a play that starts before the file and one that overlaps the one before it
    specs.append(ClipSpec(Play("g", "early", -1.0, 1.0), "FAR_LEFT", -1.0, 1.0))
    s = specs[0]
    specs.append(ClipSpec(Play("g", "overlap", s.start_s + 0.3, s.end_s + 0.5), "FAR_LEFT",
                          s.start_s + 0.3, s.end_s + 0.5))  # fmt: skip
    return specs


def _outside(reads: list[tuple[int, int]], spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of `reads` that no span covers."""
    missed = []
    for a, b in reads:
        lo = a
        for s, e in sorted(spans):
            if e <= lo or s >= b:
                continue
            if s > lo:
                missed.append((lo, s))
            lo = max(lo, e)
        if lo < b:
            missed.append((lo, b))
    return missed


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_plan_covers_every_byte_the_cutter_reads(name: str) -> None:
    path = make_source(name)
    with open(path, "rb", buffering=0) as raw:
        f = RecordingFile(raw)
        reader = AngleReader(f, name)  # type: ignore[arg-type]
        with reader:
            specs = _specs(reader.info().duration_s)
            spans = clip_spans(reader, specs)
            indexed = bool(set(reader.container.format.name.split(",")) & set(INDEXED))
            if spans is None:
                # only a container whose index is not complete up front has no plan
                assert not indexed or name.startswith("frag"), name
                return
            assert len(spans) == len(specs)
            read = 0
            for spec, clip in zip(specs, spans, strict=True):
                f.reads.clear()
                f.spans = clip
                with contextlib.suppress(MediaError):  # a play past this short video's end
                    reader.cut(spec)
                missed = _outside(f.reads, clip)
                assert not missed, (name, spec.play.play_id, missed[:3], clip)
                read += sum(b - a for a, b in f.reads)
            assert read > 0


def test_plan_is_told_to_the_file_and_changes_no_clip() -> None:
    path = make_source("bframes")
    cuts = {}
    for told in (False, True):
        with open(path, "rb", buffering=0) as raw:
            f = RecordingFile(raw)
            with AngleReader(f, "bframes") as reader:  # type: ignore[arg-type]
                # the first clip's bytes are in the demuxer's buffer right after opening: the
                # plan must leave the file where the demuxer left it
                first = ClipSpec(Play("g", "first", 0.0, 4.0), "FAR_LEFT", 0.0, 4.0)
                specs = [first, *_specs(reader.info().duration_s)]
                if told:
                    spans = plan_reads(reader, specs)
                    assert spans is not None and f.planned == spans
                cuts[told] = [reader.cut(s).data for s in specs if s.start_s >= 0]
    assert cuts[True] == cuts[False]


def test_no_plan_without_a_full_index() -> None:
    path = make_source("mkv")
    with open(path, "rb", buffering=0) as raw:
        f = RecordingFile(raw)
        with AngleReader(f, "mkv") as reader:  # type: ignore[arg-type]
            assert plan_reads(reader, _specs(reader.info().duration_s)) is None
            assert f.planned is None
