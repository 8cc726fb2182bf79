"""storage/base.py: the counting reader every local read goes through, the shared counters, and
the errors the rest of playclips catches."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from playclips.storage.base import (
    CountingReader,
    NotFound,
    PreconditionFailed,
    ReadStats,
    StorageError,
)


def test_the_reader_counts_each_byte_read_and_seeks_freely(tmp_path: Path) -> None:
    path = tmp_path / "angle.mp4"
    path.write_bytes(bytes(range(256)) * 64)  # 16 KiB
    stats = ReadStats()
    raw = CountingReader(path.open("rb", buffering=0), stats)
    with io.BufferedReader(raw, buffer_size=1024) as f:
        assert f.read(4) == bytes(range(4))
        f.seek(10_000)
        assert f.tell() == 10_000 and f.read(2) == bytes([10_000 % 256, 10_001 % 256])
        f.seek(-3, io.SEEK_END)
        assert len(f.read()) == 3
        raw.plan([[(0, 100)], [(200, 300)]])  # a local file is not told ahead
        assert f.read() == b""
    assert raw.closed
    # What the file gave, not what was asked for: a 1 KiB buffer at 0 and at 10,000, 3 at the end.
    assert stats.bytes_read == 1024 + 1024 + 3
    assert stats.requests == 3


def test_counters_shared_by_threads_lose_nothing() -> None:
    stats = ReadStats()

    def reads() -> None:
        for _ in range(2_000):
            stats.add(3)
            stats.add_retry()

    threads = [threading.Thread(target=reads) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (stats.bytes_read, stats.requests, stats.retries) == (48_000, 16_000, 16_000)
    stats.add(10, requests=4)  # one ranged read may take several requests
    assert (stats.bytes_read, stats.requests) == (48_010, 16_004)


def test_a_missing_object_and_a_lost_race_are_storage_errors() -> None:
    # Callers catch StorageError for "tell the user"; the two kinds they act on are subclasses.
    assert issubclass(NotFound, StorageError) and issubclass(PreconditionFailed, StorageError)
    assert not issubclass(NotFound, PreconditionFailed)
