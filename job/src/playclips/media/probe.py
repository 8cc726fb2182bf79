"""Look at an MP4/MOV file's index before libavformat does, so memory is set by a limit.

libavformat builds an entry for every sample an MP4's index lists as it opens the file, before
any check of ours can run: an index that claims 80 million samples costs gigabytes. This walks
the box headers (a few small ranged reads, no media bytes) and counts the samples each track's
sample-size table (`stsz`/`stz2`) declares. Other containers are left to libavformat: Matroska
cues and MPEG-TS have no per-sample index to blow up.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

# Boxes whose children lead from the top level to the sample tables.
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}
_TOP_LEVEL = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"moof"}
# A walk that meets more boxes than this (in all) is not looking at a real index; it stops, so a
# file of millions of tiny boxes costs no more than this many header reads.
_MAX_BOXES = 10_000


def mp4_sample_count(fileobj: BinaryIO) -> int | None:
    """The samples the file's index lists over all tracks, or None if it is not an MP4/MOV.

    Leaves the file positioned at 0.
    """
    try:
        fileobj.seek(0, 2)
        size = fileobj.tell()
        fileobj.seek(0)
        first = fileobj.read(8)
        if len(first) < 8 or first[4:8] not in _TOP_LEVEL:
            return None
        return _walk(fileobj, 0, size, 0, [_MAX_BOXES])
    finally:
        fileobj.seek(0)


def _walk(f: BinaryIO, start: int, end: int, depth: int, budget: list[int]) -> int:
    total, pos = 0, start
    while pos + 8 <= end and budget[0] > 0:
        budget[0] -= 1
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header[:8])
        body = pos + 8
        if size == 1 and len(header) >= 16:
            size = struct.unpack(">Q", header[8:16])[0]
            body = pos + 16
        elif size == 0:
            size = end - pos
        if size < 8:
            break
        if kind in _CONTAINERS and depth < 6:
            total += _walk(f, body, min(pos + size, end), depth + 1, budget)
        elif kind in (b"stsz", b"stz2"):
            f.seek(body)
            fields = f.read(12)  # version+flags, sample size (or field size), sample count
            if len(fields) == 12:
                total += struct.unpack(">I", fields[8:12])[0]
        pos += size
    return total
