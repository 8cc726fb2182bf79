"""The storage contract the rest of playclips relies on, and what it can raise.

A storage root is a folder (`/data/out`) or a Cloud Storage prefix (`gs://bucket/prefix`).
Keys are '/'-separated names below that root. The contract is deliberately narrow:

- `open_read(key)`   a seekable, read-only binary file over the object; reads are ranged,
                     never a whole-object download, and every byte fetched is counted. Its
                     `plan(clips)` takes the byte spans about to be read (one list of
                     [start, end) spans per clip, in read order) so a remote store can fetch
                     them ahead; a local file ignores it.
- `stat(key)`        size, generation and custom metadata, or None if absent.
- `put(key, data, ...)` a whole object from memory. `if_generation_match=0` makes it
                     create-only (docs/design.md); a generation number replaces exactly that
                     version; None replaces whatever is there (manifests, reports).
- `list(prefix)`     keys below a prefix.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol


class StorageError(Exception):
    """A storage operation failed for a reason the user must act on (message says how)."""


class NotFound(StorageError):
    """The object does not exist."""


class PreconditionFailed(StorageError):
    """A create-only or generation-matched put lost to another writer."""


@dataclass(frozen=True)
class ObjectInfo:
    """An object's size, version (generation) and custom metadata."""

    key: str
    size: int
    generation: int
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class ReadStats:
    """Bytes and requests fetched from storage by readers; shared by all readers of a run."""

    bytes_read: int = 0
    requests: int = 0
    retries: int = 0  # transient failures (429, 5xx, resets) the storage layer retried
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, nbytes: int, requests: int = 1) -> None:
        with self._lock:
            self.bytes_read += nbytes
            self.requests += requests

    def add_retry(self) -> None:
        with self._lock:
            self.retries += 1


class Storage(Protocol):
    """A storage root (see the module docstring for the contract)."""

    root: str

    def uri(self, key: str) -> str: ...

    def open_read(self, key: str, stats: ReadStats | None = None) -> BinaryIO: ...

    def stat(self, key: str) -> ObjectInfo | None: ...

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        metadata: dict[str, str] | None = None,
        if_generation_match: int | None = None,
    ) -> ObjectInfo: ...

    def list(self, prefix: str) -> Iterator[str]: ...


class CountingReader(io.RawIOBase):
    """Wraps a seekable binary file and counts the bytes read through it into ReadStats."""

    def __init__(self, raw: BinaryIO, stats: ReadStats) -> None:
        self._raw = raw
        self._stats = stats

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self._stats.add(n)
        return n or 0

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def plan(self, clips: Sequence[Sequence[tuple[int, int]]]) -> None:
        """Byte spans about to be read: a local file reads as fast without being told."""

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._raw.close()
        super().close()
