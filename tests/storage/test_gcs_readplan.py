"""Planned reads on Cloud Storage (fake-gcs-server, real client): the planned spans are fetched
exactly once, a few requests at a time, within the memory cap; clips cut with a plan are the
clips cut from the local file; and a plan fetches less than read-ahead does."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from playclips.media.cut import AngleReader
from playclips.media.readplan import plan_reads
from playclips.model import ClipSpec, Play
from playclips.storage import ReadStats
from playclips.storage.gcs import GcsStorage

from ..support.sources import make_source
from .conftest import FAST_RETRY

KiB = 1 << 10
# A minute of a generated source, plays of 1-5 s with one overlapping the play before it.
PLAYS = [(2.2, 5.1), (11.0, 13.5), (12.4, 15.0), (30.3, 31.5), (44.0, 49.0), (57.5, 59.9)]
SMALL_READS = {"block_size": 16 * KiB, "first_fetch": 64 * KiB, "read_ahead": 64 * KiB}


def _union_size(spans: list[tuple[int, int]]) -> int:
    total, end = 0, -1
    for a, b in sorted(spans):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def test_planned_spans_are_fetched_once_in_few_requests_within_the_cap(gcs: GcsStorage) -> None:
    data = random.Random(3).randbytes(3_000_000)
    gcs.put("v.mp4", data, content_type="video/mp4")
    piece, memory = 64 * KiB, 256 * KiB
    storage = GcsStorage(gcs.bucket_name, gcs.prefix, retry=FAST_RETRY, plan_in_flight=3,
                         plan_piece=piece, plan_memory=memory, **SMALL_READS)  # fmt: skip
    clips = [
        [(100_000, 300_000)],
        [(250_000, 420_000)],  # overlaps the clip before: its shared bytes are fetched once
        [(420_000, 500_000), (10, 30)],  # adjacent to the one before; a few bytes elsewhere
        [(1_000_000, 1_700_000)],
        [(2_900_000, 3_100_000)],  # past the end: clipped to the object
    ]
    stats = ReadStats()
    active, peak = 0, 0
    lock = threading.Lock()
    with storage.open_read("v.mp4", stats) as f:
        fetch = f._fetch

        def slow_fetch(start: int, end: int) -> bytes:
            nonlocal active, peak
            with lock:
                active += 1
                peak = max(peak, active)
            time.sleep(0.02)
            try:
                return fetch(start, end)
            finally:
                with lock:
                    active -= 1

        f._fetch = slow_fetch
        f.plan(clips)
        held = []
        for spans in clips:
            for a, b in spans:
                f.seek(a)
                assert f.read(b - a) == data[a:b], (a, b)
                held.append(f._planned._held)
    wanted = _union_size([(a, min(b, len(data))) for c in clips for a, b in c])
    assert stats.bytes_read == wanted
    # 1,510,010 bytes in pieces of at most 64 KiB, the adjacent clip's bytes merged
    assert stats.requests <= wanted // piece + len(clips) + 2
    assert 2 <= peak <= 3  # requests ran in parallel, never more than asked
    assert max(held) <= memory


def test_a_read_the_plan_missed_is_fetched_as_usual(gcs: GcsStorage) -> None:
    data = random.Random(4).randbytes(500_000)
    gcs.put("v.mp4", data, content_type="video/mp4")
    storage = GcsStorage(gcs.bucket_name, gcs.prefix, retry=FAST_RETRY, **SMALL_READS)
    with storage.open_read("v.mp4") as f:
        f.plan([[(100_000, 200_000)]])
        f.seek(99_000)
        assert f.read(2_000) == data[99_000:101_000]  # starts before the plan
        f.seek(300_000)
        assert f.read(1_000) == data[300_000:301_000]  # outside it
        f.plan([[(400_000, 450_000)]])  # a new plan replaces the old one
        f.seek(400_000)
        assert f.read() == data[400_000:]


@pytest.fixture(scope="module")
def minute() -> Path:
    return make_source("bframes", 60.0)


def _specs() -> list[ClipSpec]:
    return [ClipSpec(Play("g", f"p{i}", s, e), "FAR_LEFT", s, e) for i, (s, e) in enumerate(PLAYS)]


def test_clips_cut_with_a_plan_are_the_local_clips_and_cost_fewer_bytes(
    gcs: GcsStorage, minute: Path
) -> None:
    gcs.put("g/FAR_LEFT.mp4", minute.read_bytes(), content_type="video/mp4")
    with AngleReader(open(minute, "rb"), "local") as reader:
        local = [reader.cut(s).data for s in _specs()]
    fetched = {}
    for planned in (True, False):
        storage = GcsStorage(gcs.bucket_name, gcs.prefix, retry=FAST_RETRY, **SMALL_READS)
        stats = ReadStats()
        with AngleReader(storage.open_read("g/FAR_LEFT.mp4", stats), "gcs") as reader:
            opened = stats.bytes_read  # the index, read when the container is opened
            if planned:
                spans = plan_reads(reader, _specs())
                assert spans is not None
            clips = [reader.cut(s).data for s in _specs()]
        assert clips == local
        fetched[planned] = stats.bytes_read - opened
        if planned:
            planned_bytes = _union_size([sp for c in spans for sp in c])
            assert fetched[True] == planned_bytes  # nothing beyond the plan was fetched
    clip_bytes = sum(len(c) for c in local)
    print(f"fetched / clip bytes: planned {fetched[True] / clip_bytes:.2f}, "
          f"read-ahead {fetched[False] / clip_bytes:.2f}")  # fmt: skip
    assert fetched[True] < fetched[False]
    # a source of ~45 kB/s: each clip's ~100 kB carry the demuxer's 64 KiB read buffer
    assert fetched[True] <= 1.1 * clip_bytes + len(PLAYS) * 80 * KiB
