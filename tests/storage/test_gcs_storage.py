"""GcsStorage against fake-gcs-server with the real client: the storage contract."""

from __future__ import annotations

import io
import os
import random
from collections.abc import Callable

import pytest

from playclips.storage import (
    NotFound,
    PreconditionFailed,
    ReadStats,
    StorageError,
    open_storage,
)
from playclips.storage.gcs import GcsStorage, RangeReader, parse_gs_uri

from .conftest import FAST_RETRY

KiB = 1 << 10


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("gs://", "names no bucket"),
        ("gs:///x", "names no bucket"),
        ("gs://Videos", "invalid bucket name 'Videos'"),
        ("gs://ab", "invalid bucket name"),
        ("gs://my_bucket-", "invalid bucket name"),
        ("gs://goog-videos", "cannot start with 'goog'"),
        ("gs://192.168.1.1", "IP address"),
        ("gs://" + "a" * 64, "at most 63"),
        ("gs://a..b", "invalid bucket name"),
        ("gs://videos/a/../b", "'..'"),
    ],
)
def test_bad_uris_are_rejected_with_the_rule(uri: str, message: str) -> None:
    with pytest.raises(StorageError, match=message.replace(".", r"\.").replace("(", r"\(")):
        GcsStorage.from_uri(uri)


def test_uri_and_prefix_parsing(fake_gcs: object) -> None:
    assert parse_gs_uri("gs://videos") == ("videos", "")
    assert parse_gs_uri("gs://videos/a/b/") == ("videos", "a/b")
    storage = open_storage("gs://training-data/run/1/")
    assert isinstance(storage, GcsStorage)
    assert storage.root == "gs://training-data/run/1"
    assert storage.uri("clips/g/A/p.mp4") == "gs://training-data/run/1/clips/g/A/p.mp4"
    assert open_storage("gs://videos").uri("g1/FAR_LEFT.mp4") == "gs://videos/g1/FAR_LEFT.mp4"


def test_an_emulator_needs_no_project_or_credentials(
    fake_gcs: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    storage = GcsStorage.from_uri("gs://any-bucket")
    assert storage._client.project == "playclips-local"
    assert storage.stat("nothing") is None


def test_create_only_replace_by_generation_and_metadata(gcs: GcsStorage) -> None:
    meta = {"playclips-spec": "abc", "playclips-source-generation": "42"}
    first = gcs.put("clips/a.mp4", b"one", content_type="video/mp4", metadata=meta,
                    if_generation_match=0)  # fmt: skip
    assert (first.key, first.size, first.metadata) == ("clips/a.mp4", 3, meta)
    assert first.generation > 0
    assert gcs.stat("clips/a.mp4") == first

    with pytest.raises(PreconditionFailed, match="already exists"):
        gcs.put("clips/a.mp4", b"two", content_type="video/mp4", if_generation_match=0)
    assert gcs.stat("clips/a.mp4") == first  # untouched

    second = gcs.put("clips/a.mp4", b"two!", content_type="video/mp4", metadata={"k": "v"},
                     if_generation_match=first.generation)  # fmt: skip
    assert second.generation != first.generation
    assert gcs.stat("clips/a.mp4") == second
    assert second.metadata == {"k": "v"}

    with pytest.raises(PreconditionFailed, match="changed since generation"):
        gcs.put("clips/a.mp4", b"stale", content_type="video/mp4",
                if_generation_match=first.generation)  # fmt: skip
    with pytest.raises(PreconditionFailed):  # replace-exactly of an object that is not there
        gcs.put("clips/none.mp4", b"x", content_type="video/mp4", if_generation_match=123)

    third = gcs.put("clips/a.mp4", b"three", content_type="application/octet-stream")
    assert third.metadata == {}  # replace-whatever carries only the metadata given
    with gcs.open_read("clips/a.mp4") as f:
        assert f.read() == b"three"


def test_large_objects_still_upload_in_one_request_with_the_precondition(
    gcs: GcsStorage,
) -> None:
    # Above 8 MiB the client would switch to a resumable upload, whose precondition the
    # emulator ignores: a second create-only put failing proves a single-shot upload.
    data = os.urandom(9 << 20)
    info = gcs.put("big.bin", data, content_type="video/mp4", metadata={"m": "1"},
                   if_generation_match=0)  # fmt: skip
    assert info.size == len(data)
    with pytest.raises(PreconditionFailed):
        gcs.put("big.bin", data[::-1], content_type="video/mp4", if_generation_match=0)
    with gcs.open_read("big.bin") as f:
        f.seek(len(data) - 100)
        assert f.read() == data[-100:]


def test_a_retried_create_that_landed_is_not_a_failure(gcs: GcsStorage) -> None:
    # Simulates what the retry policy does when the first attempt's response was lost:
    # the second attempt gets 412, and the object there is byte-for-byte what was sent.
    meta = {"playclips-spec": "s1"}
    first = gcs.put("c.mp4", b"clip", content_type="video/mp4", metadata=meta,
                    if_generation_match=0)  # fmt: skip
    again = gcs.put("c.mp4", b"clip", content_type="video/mp4", metadata=meta,
                    if_generation_match=0)  # fmt: skip
    assert again == first
    for data, other in ((b"clip", {"playclips-spec": "s2"}), (b"clap", meta)):
        with pytest.raises(PreconditionFailed):
            gcs.put("c.mp4", data, content_type="video/mp4", metadata=other,
                    if_generation_match=0)  # fmt: skip


def test_stat_list_and_not_found(gcs: GcsStorage, new_bucket: Callable[[str], str]) -> None:
    assert gcs.stat("nothing.mp4") is None
    with pytest.raises(NotFound, match="does not exist"):
        gcs.open_read("nothing.mp4")
    for key in ["g1/FAR_LEFT.mp4", "g1/NEAR_LEFT.mp4", "g10/FAR_LEFT.mp4", "g2/x.mp4"]:
        gcs.put(key, key.encode(), content_type="video/mp4")
    outside = GcsStorage(gcs.bucket_name, "other", retry=FAST_RETRY)
    outside.put("g1/FAR_LEFT.mp4", b"elsewhere", content_type="video/mp4")
    assert sorted(gcs.list("g1/")) == ["g1/FAR_LEFT.mp4", "g1/NEAR_LEFT.mp4"]
    assert sorted(gcs.list("g1")) == ["g1/FAR_LEFT.mp4", "g1/NEAR_LEFT.mp4", "g10/FAR_LEFT.mp4"]
    assert len(list(gcs.list(""))) == 4
    assert list(gcs.list("g3/")) == []

    missing = GcsStorage("no-such-bucket-anywhere", retry=FAST_RETRY)
    assert missing.stat("x") is None
    with pytest.raises(NotFound, match="bucket gs://no-such-bucket-anywhere does not exist"):
        missing.put("x", b"x", content_type="video/mp4", if_generation_match=0)
    with pytest.raises(NotFound, match="bucket gs://no-such-bucket-anywhere"):
        list(missing.list("g1/"))


def test_ranged_reads_return_the_right_bytes_and_count_them(gcs: GcsStorage) -> None:
    data = random.Random(5).randbytes(3_000_000)
    gcs.put("video.mp4", data, content_type="video/mp4")
    storage = GcsStorage(gcs.bucket_name, gcs.prefix, retry=FAST_RETRY, block_size=64 * KiB,
                         first_fetch=128 * KiB, read_ahead=256 * KiB, cache_blocks=8)  # fmt: skip
    stats = ReadStats()
    rng = random.Random(11)
    with storage.open_read("video.mp4", stats) as f:
        assert f.seekable() and f.readable()
        assert f.seek(0, io.SEEK_END) == len(data)
        assert f.read(10) == b""
        for _ in range(300):
            offset = rng.randrange(len(data) + 10)
            length = rng.choice([1, 100, 4096, 65536, 300_000])
            f.seek(offset)
            chunk = f.read(length)
            assert chunk == data[offset : offset + length], (offset, length)
            assert f.tell() == min(offset + length, max(offset, len(data)))
        fetched, requests = stats.bytes_read, stats.requests
        # One small read costs at most one first fetch, block-aligned.
        f.seek(1_500_000)
        assert f.read(10) == data[1_500_000:1_500_010]
        assert stats.bytes_read - fetched <= 128 * KiB
        assert stats.requests - requests <= 1
        # Reading it again comes from the cache.
        f.seek(1_500_005)
        before = stats.bytes_read
        assert f.read(5) == data[1_500_005:1_500_010]
        assert stats.bytes_read == before
    # A sequential read of the whole object fetches it exactly once, in growing requests.
    stats = ReadStats()
    with storage.open_read("video.mp4", stats) as f:
        assert f.read() == data
    assert stats.bytes_read == len(data)
    assert stats.requests <= len(data) // (256 * KiB) + 3


def test_the_reader_pins_the_generation_it_opened(gcs: GcsStorage) -> None:
    old = os.urandom(600 * KiB)
    gcs.put("v.mp4", old, content_type="video/mp4")
    storage = GcsStorage(gcs.bucket_name, gcs.prefix, retry=FAST_RETRY, block_size=64 * KiB,
                         first_fetch=64 * KiB, read_ahead=64 * KiB)  # fmt: skip
    with storage.open_read("v.mp4") as f:
        assert f.read(1000) == old[:1000]
        gcs.put("v.mp4", os.urandom(600 * KiB), content_type="video/mp4")
        assert f.read(1000) == old[1000:2000]  # cached block of the old version
        f.seek(500 * KiB)
        with pytest.raises(NotFound, match="replaced or deleted while being read"):
            f.read(10)


def test_range_reader_edge_cases() -> None:
    data = bytes(range(256)) * 40
    calls: list[tuple[int, int]] = []

    def fetch(start: int, end: int) -> bytes:
        calls.append((start, end))
        return data[start:end]

    stats = ReadStats()
    f = RangeReader(fetch, len(data), stats, block_size=1000, first_fetch=1000, read_ahead=4000)
    assert f.read(0) == b""
    assert calls == []
    assert f.read(2500) == data[:2500]  # one request covering the blocks the read needs
    assert calls == [(0, 3000)]
    assert f.read() == data[2500:]
    assert f.seek(-10, io.SEEK_END) == len(data) - 10
    assert f.read(100) == data[-10:]
    assert f.seek(5, io.SEEK_CUR) == len(data) + 5
    assert f.read(1) == b""
    with pytest.raises(OSError):
        f.seek(-1)
    assert stats.bytes_read == len(data)
    assert stats.requests == len(calls)
    f.close()
    with pytest.raises(ValueError):
        f.read(1)

    short = RangeReader(lambda s, e: b"x", 100, ReadStats(), block_size=10)
    with pytest.raises(StorageError, match="got 1 bytes"):
        short.read(5)
    empty = RangeReader(fetch, 0, ReadStats())
    assert empty.read() == b""
