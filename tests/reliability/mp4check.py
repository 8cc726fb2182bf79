"""Cheap structural checks of MP4 files and MP4 box surgery for the bad-input corpus."""

from __future__ import annotations

import struct
from collections.abc import Iterator


def boxes(
    data: bytes, start: int = 0, end: int | None = None
) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, offset, header size, box size) of each box in data[start:end]."""
    end = len(data) if end is None else end
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", data[i : i + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[i + 8 : i + 16])[0]
            header = 16
        elif size == 0:
            size = end - i
        if size < header:
            raise ValueError(f"bad box size {size} at {i}")
        yield kind, i, header, size
        i += size


def whole_mp4_problem(data: bytes) -> str:
    """'' if the top-level boxes tile the file exactly and include ftyp, moov and mdat."""
    try:
        seen = []
        end = 0
        for kind, offset, _, size in boxes(data):
            seen.append(kind)
            end = offset + size
    except ValueError as exc:
        return str(exc)
    if end != len(data):
        return f"boxes end at {end}, file has {len(data)} bytes"
    missing = {b"ftyp", b"moov", b"mdat"} - set(seen)
    return f"missing {sorted(missing)}" if missing else ""


def _find(data: bytes, path: list[bytes], start: int, end: int) -> list[tuple[int, int, int]]:
    found = []
    for kind, offset, header, size in boxes(data, start, end):
        if kind == path[0]:
            if len(path) == 1:
                found.append((offset, header, size))
            else:
                found.extend(_find(data, path[1:], offset + header, offset + size))
    return found


def without_box(data: bytes, kind: bytes) -> bytes:
    """The file with every top-level `kind` box removed (e.g. b'moov')."""
    return b"".join(data[o : o + s] for k, o, _, s in boxes(data) if k != kind)


def with_empty_video_track(data: bytes) -> bytes:
    """The file with its video track's sample tables emptied (a track with zero samples)."""
    buf = bytearray(data)
    for trak, header, size in _find(data, [b"moov", b"trak"], 0, len(data)):
        (o, h, _), *_ = _find(data, [b"mdia", b"hdlr"], trak + header, trak + size)
        if data[o + h + 8 : o + h + 12] != b"vide":
            continue
        for name in (b"stts", b"stss", b"ctts", b"stsc", b"stco", b"co64", b"stsz"):
            stbl = [b"mdia", b"minf", b"stbl", name]
            for j, jh, _ in _find(data, stbl, trak + header, trak + size):
                buf[j + jh + 4 : j + jh + 8] = bytes(4)  # entry count (stsz: sample size)
                if name == b"stsz":
                    buf[j + jh + 8 : j + jh + 12] = bytes(4)  # sample count
    return bytes(buf)
