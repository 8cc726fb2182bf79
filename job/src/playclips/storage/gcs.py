"""A Cloud Storage prefix as a storage root (`gs://bucket[/prefix]`), on google-cloud-storage.

Reads: `open_read` pins the object's generation and returns a `RangeReader`, a seekable
read-only file over ranged GETs, so an object replaced while it is read fails loudly instead
of mixing two versions. It reads in BLOCK_SIZE blocks kept in a small LRU cache (the demuxer
re-reads around every seek); a miss right after the previous fetch doubles the next request
from FIRST_FETCH up to READ_AHEAD. Given the byte spans each clip will read (`plan`, from
media/readplan.py), it fetches exactly those ahead of the cutter: each byte once, at most
PLAN_PIECE per request, PLAN_IN_FLIGHT at a time, within PLAN_MEMORY per angle. Every request
and byte is counted into ReadStats. The ranged GETs go through the client's authorized session
(its credentials and retry policy) with no checksum work, over a pool of _POOL connections.
Why these sizes: docs/performance.md, "Tuning"; the plan: docs/design.md, "Planned reads".

Writes: `put` is one multipart upload from memory, custom metadata and precondition on the
same request, whatever the size (the client would switch to a resumable upload, whose
precondition fake-gcs-server ignores). A retried create-only upload that answers 412 although
its first attempt landed is returned when the object found is the one sent (CRC32C, content
type, metadata).

Errors: 412 -> PreconditionFailed, 404 -> NotFound, 401/403 -> StorageError naming the bucket
and the permission to grant, anything else -> StorageError. Transient errors (429, 408, 5xx,
resets, timeouts) are retried with backoff by the client's own retry machinery.
"""

from __future__ import annotations

import base64
import bisect
import copy
import io
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, BinaryIO

import google_crc32c
import requests.adapters
from google.api_core import exceptions as api_exceptions
from google.api_core.retry import Retry
from google.auth import exceptions as auth_exceptions
from google.cloud import storage
from google.cloud.storage.exceptions import InvalidResponse
from google.cloud.storage.retry import DEFAULT_RETRY

from .base import NotFound, ObjectInfo, PreconditionFailed, ReadStats, StorageError

BLOCK_SIZE = 1 << 20
FIRST_FETCH = 2 << 20  # measured: docs/performance.md, "Tuning"
READ_AHEAD = 2 << 20
CACHE_BLOCKS = 16
# Planned reads (`RangeReader.plan`): requests in flight per reader, the largest request, and
# the bytes a reader holds fetched ahead of the cutter (docs/design.md, "Planned reads").
PLAN_IN_FLIGHT = 4
PLAN_PIECE = 2 << 20
PLAN_MEMORY = 16 << 20

# Seconds to connect and between bytes received, as the client's own calls use.
_TIMEOUT = 60
# Connections kept per host by the client's session: every angle's planned reads and uploads
# at once (requests keeps 10, and opens and drops the rest each time).
_POOL = 64

# Used as the client's project when talking to an emulator and no project is configured.
EMULATOR_PROJECT = "playclips-local"

# https://cloud.google.com/storage/docs/buckets#naming
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")

# What each operation needs, for permission errors.
_PERMISSIONS = {
    "read": "storage.objects.get (e.g. roles/storage.objectViewer)",
    "stat": "storage.objects.get (e.g. roles/storage.objectViewer)",
    "list": "storage.objects.list (e.g. roles/storage.objectViewer)",
    "create": "storage.objects.create (e.g. roles/storage.objectCreator)",
    "replace": "storage.objects.create and .delete (e.g. roles/storage.objectUser)",
}


def check_bucket_name(name: str) -> str:
    """Return `name` if Cloud Storage accepts it as a bucket name, else raise StorageError."""
    problem = ""
    if not _BUCKET_RE.fullmatch(name):
        problem = (
            "use 3-63 lower-case letters, digits, '-', '_' or '.', starting and ending with a "
            "letter or digit"
        )
    elif "." not in name and len(name) > 63:
        problem = "a name without dots is at most 63 characters"
    elif any(len(part) > 63 or not part for part in name.split(".")):
        problem = "each dot-separated part is 1-63 characters"
    elif ".." in name or ".-" in name or "-." in name:
        problem = "no '..', '.-' or '-.'"
    elif _IPV4_RE.fullmatch(name):
        problem = "a bucket name cannot be an IP address"
    elif name.startswith("goog") or "google" in name or "g00gle" in name:
        problem = "a bucket name cannot start with 'goog' or contain 'google'"
    if problem:
        raise StorageError(f"invalid bucket name {name!r}: {problem}")
    return name


def parse_gs_uri(uri: str) -> tuple[str, str]:
    """'gs://bucket/some/prefix/' -> ('bucket', 'some/prefix'); raise StorageError if invalid."""
    if not uri.startswith("gs://"):
        raise StorageError(f"not a Cloud Storage URI: {uri!r} (expected gs://bucket[/prefix])")
    bucket, _, prefix = uri[len("gs://") :].partition("/")
    if not bucket:
        raise StorageError(f"{uri!r} names no bucket (expected gs://bucket[/prefix])")
    check_bucket_name(bucket)
    prefix = prefix.strip("/")
    if "//" in prefix or any(p in (".", "..") for p in prefix.split("/")):
        raise StorageError(f"{uri!r}: the prefix may not contain empty, '.' or '..' parts")
    return bucket, prefix


def default_retry() -> Retry:
    """The client's DEFAULT_RETRY (429/408/5xx/connection errors, exponential backoff)."""
    return DEFAULT_RETRY


class GcsStorage:
    """Objects below `gs://bucket/prefix`; keys are names relative to the prefix."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: storage.Client | None = None,
        retry: Retry | None = None,
        block_size: int = BLOCK_SIZE,
        first_fetch: int = FIRST_FETCH,
        read_ahead: int = READ_AHEAD,
        cache_blocks: int = CACHE_BLOCKS,
        plan_in_flight: int = PLAN_IN_FLIGHT,
        plan_piece: int = PLAN_PIECE,
        plan_memory: int = PLAN_MEMORY,
    ) -> None:
        self.bucket_name = check_bucket_name(bucket)
        self.prefix = prefix.strip("/")
        self.root = f"gs://{self.bucket_name}" + (f"/{self.prefix}" if self.prefix else "")
        self._client = client if client is not None else _make_client()
        self._bucket = self._client.bucket(self.bucket_name)
        # every retried failure of any call on this root is counted here (reports show it)
        self.retry_stats = ReadStats()
        self._retry = _counting(retry if retry is not None else default_retry(), self.retry_stats)
        self.block_size = block_size
        self.first_fetch = first_fetch
        self.read_ahead = read_ahead
        self.cache_blocks = cache_blocks
        self.plan = {"plan_in_flight": plan_in_flight, "plan_piece": plan_piece,
                     "plan_memory": plan_memory}  # fmt: skip

    @classmethod
    def from_uri(cls, uri: str, **kwargs: Any) -> GcsStorage:
        """A storage root for `gs://bucket[/prefix]`."""
        bucket, prefix = parse_gs_uri(uri)
        return cls(bucket, prefix, **kwargs)

    # --- names
    def _name(self, key: str) -> str:
        key = key.lstrip("/")
        if not key or "\n" in key or "\r" in key or any(p in (".", "..") for p in key.split("/")):
            raise StorageError(f"invalid object key {key!r} below {self.root}")
        name = f"{self.prefix}/{key}" if self.prefix else key
        if len(name.encode()) > 1024:
            raise StorageError(f"object name too long (over 1024 bytes): {name[:80]}...")
        return name

    def _key(self, name: str) -> str:
        return name[len(self.prefix) + 1 :] if self.prefix else name

    def uri(self, key: str) -> str:
        return f"gs://{self.bucket_name}/{self._name(key)}"

    # --- reads
    def stat(self, key: str) -> ObjectInfo | None:
        name = self._name(key)
        try:
            blob = self._bucket.get_blob(name, retry=self._retry)
        except Exception as exc:
            raise self._error(exc, "stat", name) from None
        return None if blob is None else self._info(key, blob)

    def open_read(self, key: str, stats: ReadStats | None = None) -> BinaryIO:
        """A seekable reader over the object's current generation (see RangeReader)."""
        info = self.stat(key)
        if info is None:
            raise NotFound(f"{self.uri(key)} does not exist")
        name = self._name(key)
        blob = self._bucket.blob(name, generation=info.generation)
        uri = self.uri(key)

        stats = stats or ReadStats()
        retry = _counting(self._retry, stats)  # also counted per reader (an angle's report)

        url = blob._get_download_url(self._client)  # the client's URL, generation pinned
        session = self._client._http  # the client's authorized session (connections pooled)
        get = retry(_ranged_get)

        def fetch(start: int, end: int) -> bytes:
            try:
                return get(session, url, start, end)
            except api_exceptions.NotFound:
                raise NotFound(
                    f"{uri} was replaced or deleted while being read (generation "
                    f"{info.generation} is gone); run again to use the new version"
                ) from None
            except Exception as exc:
                raise self._error(exc, "read", name) from None

        reader = RangeReader(
            fetch,
            info.size,
            stats,
            block_size=self.block_size,
            first_fetch=self.first_fetch,
            read_ahead=self.read_ahead,
            cache_blocks=self.cache_blocks,
            uri=uri,
            **self.plan,
        )
        return reader  # type: ignore[return-value]

    def list(self, prefix: str) -> Iterator[str]:
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        try:
            for blob in self._client.list_blobs(self._bucket, prefix=full, retry=self._retry):
                if not blob.name.endswith("/"):  # folder placeholders made by some tools
                    yield self._key(blob.name)
        except StorageError:
            raise
        except Exception as exc:
            raise self._error(exc, "list", full) from None

    # --- writes
    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        metadata: dict[str, str] | None = None,
        if_generation_match: int | None = None,
    ) -> ObjectInfo:
        name = self._name(key)
        blob = self._bucket.blob(name)
        blob.metadata = dict(metadata) if metadata else None
        blob.content_type = content_type
        action = "create" if if_generation_match == 0 else "replace"
        try:
            response = _multipart_upload(
                blob,
                self._client,
                data,
                content_type,
                if_generation_match,
                self._retry,
            )
            blob._set_properties(response.json())
        except api_exceptions.PreconditionFailed:
            landed = self._identical(key, data, content_type, metadata or {})
            if landed is not None:
                return landed  # a retried request whose first attempt had succeeded
            if if_generation_match == 0:
                raise PreconditionFailed(f"{self.uri(key)} already exists; not replaced") from None
            raise PreconditionFailed(
                f"{self.uri(key)} changed since generation {if_generation_match} was read; "
                "not replaced"
            ) from None
        except Exception as exc:
            raise self._error(exc, action, name) from None
        return self._info(key, blob)

    def _identical(
        self, key: str, data: bytes, content_type: str, metadata: dict[str, str]
    ) -> ObjectInfo | None:
        """The object at `key` if it holds exactly `data`, `content_type` and `metadata`."""
        try:
            blob = self._bucket.get_blob(self._name(key), retry=self._retry)
        except Exception:
            return None
        if blob is None or blob.size != len(data) or blob.content_type != content_type:
            return None
        if (blob.metadata or {}) != metadata or blob.crc32c != _crc32c(data):
            return None
        return self._info(key, blob)

    # --- helpers
    def _info(self, key: str, blob: storage.Blob) -> ObjectInfo:
        return ObjectInfo(
            key=key,
            size=int(blob.size or 0),
            generation=int(blob.generation or 0),
            metadata=dict(blob.metadata or {}),
        )

    def _error(self, exc: BaseException, action: str, name: str) -> StorageError:
        where = f"gs://{self.bucket_name}/{name}"
        return translate_error(exc, action, self.bucket_name, where)


def _multipart_upload(
    blob: storage.Blob,
    client: storage.Client,
    data: bytes,
    content_type: str,
    if_generation_match: int | None,
    retry: Retry,
) -> Any:
    """One multipart upload request (what `upload_from_string` does up to 8 MiB), any size.

    Uses the client's own multipart path so that headers, metadata, checksums and retries are
    the client's; its errors are re-raised as google.api_core exceptions like the public API's.
    """
    try:
        return blob._do_multipart_upload(  # single-shot: see the module docstring
            client,
            io.BytesIO(data),
            content_type,
            len(data),
            None,  # predefined_acl
            if_generation_match,
            None,  # if_generation_not_match
            None,  # if_metageneration_match
            None,  # if_metageneration_not_match
            checksum="crc32c",
            retry=retry,
        )
    except InvalidResponse as exc:
        response = exc.response
        detail = (response.text or str(exc))[:300]
        raise api_exceptions.from_http_status(
            response.status_code, f"{response.request.method} upload: {detail}", response=response
        ) from None


def _ranged_get(session: Any, url: str, start: int, end: int) -> bytes:
    """Bytes [start, end) of the object at `url`: one GET with a Range header.

    The body is read whole from the socket, as stored (no decompressing transcoding; a range
    has no whole-object checksum to check): a third of the CPU of `Blob.download_as_bytes`,
    which joins it from small chunks (`bench/gcs_request_cpu.py`). HTTP errors come back as
    google.api_core exceptions, so the client's retry policy and `translate_error` apply.
    """
    headers = {"Range": f"bytes={start}-{end - 1}", "Accept-Encoding": "gzip"}
    response = session.get(url, headers=headers, stream=True, timeout=_TIMEOUT)
    try:
        if response.status_code >= 400:
            detail = (response.text or response.reason or "")[:300]
            raise api_exceptions.from_http_status(
                response.status_code, f"GET {url}: {detail}", response=response
            )
        return response.raw.read(decode_content=False)
    finally:
        response.close()


def translate_error(exc: BaseException, action: str, bucket: str, where: str) -> StorageError:
    """A client exception as the storage contract's error, with a message that says what to do."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, api_exceptions.PreconditionFailed):
        return PreconditionFailed(f"{where}: precondition failed ({action})")
    if isinstance(exc, api_exceptions.NotFound):
        if action in ("create", "replace", "list"):
            return NotFound(f"bucket gs://{bucket} does not exist (or is not visible): {where}")
        return NotFound(f"{where} does not exist")
    if isinstance(exc, (api_exceptions.Unauthorized, auth_exceptions.GoogleAuthError)):
        return StorageError(
            f"cannot {action} {where}: no valid Google credentials ({_short(exc)}). Locally run "
            "`gcloud auth application-default login`; on Cloud Run the job's service account "
            "is used"
        )
    if isinstance(exc, api_exceptions.Forbidden):
        need = _PERMISSIONS.get(action, "access")
        return StorageError(
            f"permission denied: cannot {action} {where}. Grant the job's service account "
            f"{need} on bucket gs://{bucket} ({_short(exc)})"
        )
    if isinstance(exc, api_exceptions.RetryError) or _is_transient(exc):
        return StorageError(
            f"cannot {action} {where}: Cloud Storage kept failing after retries ({_short(exc)})"
        )
    return StorageError(f"cannot {action} {where}: {_short(exc)}")


def _counting(retry: Retry, stats: ReadStats) -> Retry:
    """`retry`, also counting each failure it retries into `stats` (after any earlier hook)."""
    counted = copy.copy(retry)
    earlier = getattr(retry, "_on_error", None)

    def on_error(exc: Exception) -> None:
        if earlier is not None:
            earlier(exc)
        stats.add_retry()

    counted._on_error = on_error  # type: ignore[attr-defined]
    return counted


def _is_transient(exc: BaseException) -> bool:
    from google.cloud.storage.retry import _should_retry  # the client's own predicate

    try:
        return bool(_should_retry(exc))
    except Exception:
        return False


def _short(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    text = str(text).splitlines()[0] if str(text).strip() else type(exc).__name__
    return text[:300]


def _crc32c(data: bytes) -> str:
    """CRC32C as Cloud Storage reports it: base64 of the big-endian 4 bytes."""
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def _make_client() -> storage.Client:
    """A client for the ambient credentials (or the emulator in STORAGE_EMULATOR_HOST)."""
    project = os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCLOUD_PROJECT")
    if not project and os.environ.get("STORAGE_EMULATOR_HOST"):
        project = EMULATOR_PROJECT
    try:
        # project=None: object reads and writes need no project, so none is inferred.
        client = storage.Client(project=project)
    except auth_exceptions.DefaultCredentialsError as exc:
        raise StorageError(
            "no Google credentials for Cloud Storage: run `gcloud auth application-default "
            f"login` locally, or run on Cloud Run with a service account ({_short(exc)})"
        ) from None
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=_POOL)
    client._http.mount("https://", adapter)
    client._http.mount("http://", adapter)
    return client


class RangeReader(io.RawIOBase):
    """A seekable, read-only file over `fetch(start, end) -> bytes` (end exclusive).

    Reads are served from block-aligned blocks of `block_size` bytes in an LRU cache of
    `cache_blocks` blocks. On a miss, the missing blocks a read needs are fetched in one
    request; when the miss continues where the previous fetch ended, the request grows
    (doubling) up to `read_ahead` bytes. Not thread-safe: one reader per consumer.
    """

    def __init__(
        self,
        fetch: Callable[[int, int], bytes],
        size: int,
        stats: ReadStats,
        *,
        block_size: int = BLOCK_SIZE,
        first_fetch: int = FIRST_FETCH,
        read_ahead: int = READ_AHEAD,
        cache_blocks: int = CACHE_BLOCKS,
        uri: str = "",
        plan_in_flight: int = PLAN_IN_FLIGHT,
        plan_piece: int = PLAN_PIECE,
        plan_memory: int = PLAN_MEMORY,
    ) -> None:
        if block_size <= 0:
            raise ValueError("block_size must be positive")
        self._fetch = fetch
        self._size = size
        self._stats = stats
        self._bs = block_size
        self._max_run = max(1, read_ahead // block_size)
        self._first_run = min(max(1, first_fetch // block_size), self._max_run)
        self._cache: OrderedDict[int, memoryview] = OrderedDict()
        self._cache_blocks = max(cache_blocks, self._max_run + 1)
        self._pos = 0
        self._next = -1  # the block after the last fetched run
        self._run = 1  # blocks in the next sequential fetch
        self._lock = threading.Lock()
        self._plan_settings = (plan_in_flight, plan_piece, plan_memory)
        self._planned: _Prefetch | None = None
        # Deliberately not `name`: PyAV hands a file's name to libavformat, which treats a
        # URL-like name as a network input and enlarges its reads (see the bench).
        self.uri = uri

    @property
    def size(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def plan(self, clips: Sequence[Sequence[tuple[int, int]]]) -> None:
        """Fetch these byte spans ahead of the reads: one list of [start, end) spans per clip,
        in the order the clips will be read (see docs/design.md, "Planned reads")."""
        if self._planned is not None:
            self._planned.close()
        self._cache.clear()  # the index read through it is parsed: hold no more of it
        in_flight, piece, memory = self._plan_settings
        pieces = _pieces(clips, self._size, piece)
        self._planned = _Prefetch(self._fetch, pieces, self._stats, in_flight, memory, self.uri)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if self.closed:
            raise ValueError("seek on a closed reader")
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise OSError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def readinto(self, buffer: Any) -> int:
        if self.closed:
            raise ValueError("read from a closed reader")
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._size - self._pos)
        if want <= 0:
            return 0
        with self._lock:
            done = 0
            while done < want:
                pos = self._pos + done
                planned = self._planned.get(pos) if self._planned is not None else None
                if planned is not None:
                    n = min(len(planned), want - done)
                    view[done : done + n] = planned[:n]
                    done += n
                    if done < want and self._planned.get(pos + n, wait=False) is None:
                        break  # a short read: the demuxer asks again only if it needs more
                    continue
                index, offset = divmod(pos, self._bs)
                block = self._block(index, last=(pos + want - done - 1) // self._bs)
                n = min(len(block) - offset, want - done)
                view[done : done + n] = block[offset : offset + n]
                done += n
        self._pos += done
        return done

    def _block(self, index: int, last: int) -> memoryview:
        block = self._cache.get(index)
        if block is not None:
            self._cache.move_to_end(index)
            return block
        sequential = index == self._next
        self._run = min(self._run * 2, self._max_run) if sequential else self._first_run
        count = min(max(self._run, last - index + 1), self._cache_blocks)
        end_block = index + 1
        limit = min(index + count, -(-self._size // self._bs))
        while end_block < limit and end_block not in self._cache:
            end_block += 1
        start, end = index * self._bs, min(end_block * self._bs, self._size)
        data = self._fetch(start, end)
        if len(data) != end - start:
            raise StorageError(
                f"{self.uri}: asked for bytes {start}-{end - 1}, got {len(data)} bytes"
            )
        self._stats.add(len(data))
        view = memoryview(data)
        for i in range(index, end_block):
            self._cache[i] = view[(i - index) * self._bs : (i - index + 1) * self._bs]
            self._cache.move_to_end(i)
        first = self._cache[index]
        while len(self._cache) > self._cache_blocks:
            self._cache.popitem(last=False)
        self._next = end_block
        return first

    def close(self) -> None:
        if self._planned is not None:
            self._planned.close()
            self._planned = None
        self._cache.clear()
        super().close()


class _Piece:
    """One planned request: bytes [start, end), first and last needed by the clips so numbered."""

    __slots__ = ("end", "first_use", "future", "last_use", "order", "read", "released", "start")

    def __init__(self, start: int, end: int, first_use: int) -> None:
        self.start, self.end = start, end
        self.first_use = self.last_use = first_use
        self.future: Future[bytes] | None = None
        self.released = False
        self.read = False  # the consumer has read from it
        self.order = 0  # its place in the request order


def _pieces(clips: Sequence[Sequence[tuple[int, int]]], size: int, piece: int) -> list[_Piece]:
    """Requests for the clips' spans, in cut order: each byte once, adjacent bytes in one
    request up to `piece` bytes, larger runs split into equal requests of at most `piece`."""
    covered: list[tuple[int, int]] = []  # sorted, disjoint: bytes already planned
    runs: list[list[int]] = []  # [start, end, first_use]
    for use, spans in enumerate(clips):
        for a, b in spans:
            a, b = max(0, a), min(b, size)
            for lo, hi in _subtract(covered, a, b):
                if runs and runs[-1][1] == lo and runs[-1][2] == use:
                    runs[-1][1] = hi  # adjacent to the previous request of this clip
                else:
                    runs.append([lo, hi, use])
            if a < b:
                covered = _union(covered, a, b)
    out: list[_Piece] = []
    for lo, hi, use in runs:
        count = -(-(hi - lo) // piece)
        step = -(-(hi - lo) // count)
        out.extend(_Piece(p, min(p + step, hi), use) for p in range(lo, hi, step))
    by_pos = sorted(out, key=lambda q: q.start)
    starts = [q.start for q in by_pos]
    for use, spans in enumerate(clips):  # a piece lives until the last clip that reads it
        for a, b in spans:
            i = max(bisect.bisect_right(starts, a) - 1, 0)
            while i < len(by_pos) and by_pos[i].start < b:
                if by_pos[i].end > a:
                    by_pos[i].last_use = max(by_pos[i].last_use, use)
                i += 1
    return out


def _subtract(covered: list[tuple[int, int]], a: int, b: int) -> list[tuple[int, int]]:
    parts, lo = [], a
    i = max(bisect.bisect_right(covered, (a, a)) - 1, 0)
    for s, e in covered[i:]:
        if s >= b:
            break
        if e <= lo:
            continue
        if s > lo:
            parts.append((lo, s))
        lo = max(lo, e)
    if lo < b:
        parts.append((lo, b))
    return parts


def _union(covered: list[tuple[int, int]], a: int, b: int) -> list[tuple[int, int]]:
    i = bisect.bisect_left(covered, (a, a))
    j = i
    if i > 0 and covered[i - 1][1] >= a:
        i -= 1
    while j < len(covered) and covered[j][0] <= b:
        j += 1
    merged = covered[i:j]
    lo = min([a, *(s for s, _ in merged)])
    hi = max([b, *(e for _, e in merged)])
    return [*covered[:i], (lo, hi), *covered[j:]]


class _Prefetch:
    """Planned pieces fetched by a few threads ahead of one consumer, with memory capped.

    Pieces are requested in cut order while the bytes held (requested and not yet released)
    stay within `memory`; the piece the consumer asks for is requested at once whatever the
    cap. A piece is released once the consumer reads a piece of a later clip than the last one
    that needs it, or, within a clip, once it has been read and the consumer has read two
    pieces further on. A read outside the pieces (or of a released piece) is left to the
    caller's ordinary read path.
    """

    def __init__(
        self,
        fetch: Callable[[int, int], bytes],
        pieces: list[_Piece],
        stats: ReadStats,
        in_flight: int,
        memory: int,
        uri: str,
    ) -> None:
        self._fetch, self._stats, self._memory, self._uri = fetch, stats, memory, uri
        self._order = pieces
        for i, piece in enumerate(pieces):
            piece.order = i
        self._by_pos = sorted(pieces, key=lambda q: q.start)
        self._starts = [q.start for q in self._by_pos]
        self._by_last = sorted(pieces, key=lambda q: q.last_use)
        self._released_to = 0  # pieces in _by_last before this index are released
        self._next = 0  # the next piece in _order to request
        self._held = 0
        self._clip = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="plan")
        with self._lock:
            self._pump()

    def get(self, pos: int, wait: bool = True) -> memoryview | None:
        """The planned bytes from `pos` to the end of its piece, or None if not planned.

        With `wait=False`, only whether `pos` is planned: a non-None answer is empty.
        """
        with self._lock:
            i = bisect.bisect_right(self._starts, pos) - 1
            if i < 0 or pos >= self._by_pos[i].end:
                return None
            piece = self._by_pos[i]
            if piece.released:
                return None
            if not wait:
                return memoryview(b"")
            piece.read = True
            if piece.first_use > self._clip:
                self._clip = piece.first_use
                self._release()
            self._release_read(piece.order - 2)
            if piece.future is None:  # wanted now: not held back by the cap
                self._submit(piece)
            self._pump()
            future = piece.future
            assert future is not None
        data = future.result()
        return memoryview(data)[pos - piece.start :]

    def close(self) -> None:
        with self._lock:
            for piece in self._order:
                if piece.future is not None:
                    piece.future.cancel()
                piece.future, piece.released = None, True
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _release(self) -> None:
        while self._released_to < len(self._by_last):
            piece = self._by_last[self._released_to]
            if piece.last_use >= self._clip:
                break
            if not piece.released:
                self._drop(piece)
            self._released_to += 1
        self._pump()

    def _release_read(self, before: int) -> None:
        """Release the pieces of the current clip read before request number `before`."""
        for piece in self._order[max(0, before - 8) : max(0, before)]:
            if piece.read and not piece.released and piece.last_use <= self._clip:
                self._drop(piece)

    def _drop(self, piece: _Piece) -> None:
        if piece.future is not None:
            piece.future.cancel()
            self._held -= piece.end - piece.start
        piece.future, piece.released = None, True

    def _submit(self, piece: _Piece) -> None:
        piece.future = self._pool.submit(self._load, piece.start, piece.end)
        self._held += piece.end - piece.start

    def _pump(self) -> None:
        while self._next < len(self._order):
            piece = self._order[self._next]
            if piece.future is None and not piece.released:
                if self._held and self._held + piece.end - piece.start > self._memory:
                    return
                self._submit(piece)
            self._next += 1

    def _load(self, start: int, end: int) -> bytes:
        data = self._fetch(start, end)
        if len(data) != end - start:
            raise StorageError(
                f"{self._uri}: asked for bytes {start}-{end - 1}, got {len(data)} bytes"
            )
        self._stats.add(len(data))
        return data
