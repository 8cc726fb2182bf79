"""Loopback servers for the bench: fake-gcs-server on disk, and a byte-counting HTTP proxy.

fake-gcs-server runs with its filesystem backend so GB-size objects are never held in memory:
it streams ranged reads from the file. A fixture is put in place without copying it: the file
is hard-linked into the backend's folder and its object metadata (the JSON the backend keeps in
the `user.metadata` extended attribute) is written next to it, with the fixture's real MD5 and
CRC32C so that whole-object downloads pass the client's checksum check.

The proxy sits between `ffmpeg -i http://...` and fake-gcs-server and counts the response bytes
it relays: ffmpeg has no counter of its own for what it fetched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.fake_gcs import FakeGcs, start_fake_gcs

from .fixtures import Fixture


@dataclass
class DiskGcs(FakeGcs):
    """fake-gcs-server with `-backend filesystem` below `root`, plus what the bench needs."""

    root: Path = Path()

    def place(self, bucket: str, name: str, fixture: Fixture) -> None:
        """Make `fixture` the object gs://bucket/name by hard link (no copy, no upload)."""
        target = self.root / bucket / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()
        try:
            os.link(fixture.file, target)
        except OSError:  # another filesystem: a copy (slow for the 3 h fixture, but correct)
            shutil.copyfile(fixture.file, target)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        meta = {
            "StorageClass": "STANDARD",
            "ContentType": "video/mp4",
            "ContentEncoding": "",
            "ContentDisposition": "",
            "ContentLanguage": "",
            "CacheControl": "",
            "Crc32c": fixture.crc32c,
            "Md5Hash": fixture.md5,
            "Etag": fixture.md5,
            "ACL": [],
            "Metadata": {},
            "Created": now,
            "Deleted": "0001-01-01T00:00:00Z",
            "Updated": now,
            "CustomTime": "0001-01-01T00:00:00Z",
            "Generation": time.time_ns() // 1000,
            "RetentionMode": "",
            "RetentionRetainUntil": "",
        }
        os.setxattr(target, "user.metadata", json.dumps(meta).encode())

    def media_url(self, bucket: str, name: str, base: str | None = None) -> str:
        quoted = urllib.parse.quote(name, safe="")
        return f"{base or self.url}/storage/v1/b/{bucket}/o/{quoted}?alt=media"

    def clear(self, bucket: str, prefix: str) -> None:
        """Delete every object below `prefix` (by removing the backend's files)."""
        shutil.rmtree(self.root / bucket / prefix, ignore_errors=True)

    def cpu_seconds(self) -> float:
        import psutil

        with contextlib.suppress(psutil.Error):
            t = psutil.Process(self.process.pid).cpu_times()
            return t.user + t.system
        return 0.0


def start_disk_gcs(root: Path, timeout: float = 15.0) -> DiskGcs:
    """Start fake-gcs-server (filesystem backend in `root`, emptied first) on loopback."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    server = start_fake_gcs(timeout, filesystem_root=root)
    return DiskGcs(**{f.name: getattr(server, f.name) for f in fields(server)})


class _Link:
    """One direction of an emulated network link: bytes/s shared by every connection."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._free_at = 0.0  # when the link has sent everything reserved so far
        self._lock = threading.Lock()

    def send(self, n: int) -> None:
        """Reserve the link for n bytes; sleep until they would have been sent."""
        if self.rate <= 0:
            return
        with self._lock:
            now = time.monotonic()
            self._free_at = max(self._free_at, now) + n / self.rate
            wait = self._free_at - now
        if wait > 0.001:
            time.sleep(wait)


class CountingProxy:
    """A loopback TCP relay to `upstream_port` that counts the bytes sent back to clients.

    Optionally it emulates a network: `rate` bytes/s each way, shared by all connections (one
    task's link), and `latency` seconds before the first byte of each response (a request
    is bytes from the client after the server last spoke on that connection).
    """

    BUFFER = 256 << 10

    def __init__(self, upstream_port: int, rate: float = 0.0, latency: float = 0.0) -> None:
        self._upstream = ("127.0.0.1", upstream_port)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.rate, self.latency = rate, latency
        self._down, self._up = _Link(rate), _Link(rate)
        self._lock = threading.Lock()
        self.bytes_down = 0
        self.connections = 0
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.bytes_down = 0
            self.connections = 0

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            # Small buffers: the proxy relays about as fast as the client reads, so a client
            # that closes a connection early is not charged for megabytes that loopback's
            # large default buffers would have pulled (a data-centre link's window is ~1 MB).
            upstream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.BUFFER)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.BUFFER)
            upstream.connect(self._upstream)
        except OSError:
            client.close()
            return
        state = {"asked_at": 0.0, "answered": True}
        up = threading.Thread(target=self._pump, args=(client, upstream, False, state), daemon=True)
        up.start()
        self._pump(upstream, client, True, state)
        up.join()
        client.close()
        upstream.close()

    def _pump(
        self, src: socket.socket, dst: socket.socket, down: bool, state: dict[str, Any]
    ) -> None:
        buf = bytearray(64 << 10)
        view = memoryview(buf)
        link = self._down if down else self._up
        try:
            while True:
                n = src.recv_into(buf)
                if not n:
                    break
                if not down and state["answered"]:
                    state["asked_at"], state["answered"] = time.monotonic(), False
                if down and not state["answered"]:
                    state["answered"] = True
                    wait = state["asked_at"] + self.latency - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                link.send(n)
                dst.sendall(view[:n])
                if down:
                    with self._lock:
                        self.bytes_down += n
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop = True
        self._sock.close()
