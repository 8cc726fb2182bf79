"""media/probe.py: an MP4's sample count read from its box headers, before libavformat loads
the index; other containers are left alone."""

from __future__ import annotations

import io
import struct
import time

import av
import pytest

from playclips.media.probe import mp4_sample_count

from ..support.sources import make_source


def _box(kind: bytes, body: bytes, large: bool = False) -> bytes:
    if large:  # size 1: the real size follows the type as 64 bits
        return struct.pack(">I4sQ", 1, kind, 16 + len(body)) + body
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _stsz(count: int) -> bytes:
    return _box(b"stsz", struct.pack(">III", 0, 1000, count))


@pytest.mark.parametrize("name", ["bframes", "faststart"])
def test_the_count_is_every_sample_the_demuxer_returns(name: str) -> None:
    """Index at the end (bframes) or at the front (faststart): video and audio samples."""
    path = make_source(name)
    with av.open(str(path)) as container:
        packets = sum(1 for packet in container.demux() if packet.size)
    with path.open("rb") as f:
        f.seek(1234)
        assert mp4_sample_count(f) == packets
        assert f.tell() == 0  # left where libavformat starts reading


def test_other_containers_are_not_walked() -> None:
    with make_source("mkv").open("rb") as f:
        assert mp4_sample_count(f) is None
    assert mp4_sample_count(io.BytesIO(b"\x47" * 188 * 4)) is None  # MPEG-TS packets
    assert mp4_sample_count(io.BytesIO(b"")) is None


def test_tracks_add_up_through_64_bit_box_sizes() -> None:
    def track(count: int) -> bytes:
        stbl = _box(b"stbl", _stsz(count))
        return _box(b"trak", _box(b"mdia", _box(b"minf", stbl)), large=True)

    head = _box(b"ftyp", b"isom\0\0\0\0")
    data = head + _box(b"moov", track(7) + track(5)) + _box(b"mdat", b"\0" * 64)
    assert mp4_sample_count(io.BytesIO(data)) == 12
    # An index cut short inside its second track counts the first and reads nothing past the end.
    cut = len(head) + 8 + len(track(7)) + len(track(5)) - 8
    assert mp4_sample_count(io.BytesIO(data[:cut])) == 7


def test_an_index_walk_stops_after_a_bounded_number_of_boxes() -> None:
    tiny = b"".join(struct.pack(">I4s", 8, b"trak") for _ in range(2_000_000))
    data = b"".join(
        [
            struct.pack(">I4s", 16, b"ftyp") + b"isom\0\0\0\0",
            struct.pack(">I4s", 8 + len(tiny), b"moov") + tiny,
        ]
    )
    reads = 0

    class Counting(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            nonlocal reads
            reads += 1
            return super().read(n)

    started = time.perf_counter()
    assert mp4_sample_count(Counting(data)) == 0
    assert reads < 12_000, reads  # two million boxes, a bounded walk
    print(f"index walk over 2 M tiny boxes: {reads} reads, {time.perf_counter() - started:.3f} s")
