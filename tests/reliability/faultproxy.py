"""A fault-injecting HTTP proxy on loopback, in front of fake-gcs-server.

Each request is forwarded unless the proxy decides to fault it. The decision is a hash of the
seed, the request's identity (method, path and query, Range header, and for uploads the object
name in the body) and how many times that identity was seen, so a seed gives the same faults
whatever the thread interleaving. At most `max_in_a_row` consecutive faults hit one identity,
so every request eventually gets through (bounded). Kinds:

  429, 500, 503  answered at once with that status; nothing reaches the server
  lost-503       forwarded (it takes effect: an upload lands), then answered 503
  reset          forwarded, then the answer is cut after half its body with a TCP reset
  slow           forwarded, the body sent in pieces with pauses (no retry expected)
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import re
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

KINDS = ("429", "500", "503", "lost-503", "reset", "slow")
RETRIED = {"429", "500", "503", "lost-503", "reset"}
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}
_NAME = re.compile(rb'"name":\s*"([^"]+)"')


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        seed: int,
        rate: float = 0.1,
        kinds: tuple[str, ...] = KINDS,
        max_in_a_row: int = 2,
        slow_s: float = 0.2,
        force: dict[str, str] | None = None,
        force_times: int = 2,
    ) -> None:
        parts = urlsplit(upstream)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.seed, self.rate, self.kinds = seed, rate, kinds
        self.max_in_a_row, self.slow_s = max_in_a_row, slow_s
        # besides the random faults: the first `force_times` requests whose identity contains
        # a key get that kind (so every seed covers e.g. a reset mid-body on a media read)
        self.force = {k: [v, force_times] for k, v in (force or {}).items()}
        self.requests = 0
        self.faults: Counter[str] = Counter()
        self.faulted: list[tuple[str, str, str]] = []  # (kind, method, identity)
        self._seen: Counter[str] = Counter()
        self._in_a_row: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def retried_faults(self) -> int:
        return sum(n for kind, n in self.faults.items() if kind in RETRIED)

    def decide(self, method: str, path: str, range_: str, body: bytes) -> str:
        name = _NAME.search(body[:4096])
        identity = f"{method} {path} {range_} {name.group(1).decode() if name else ''}"
        with self._lock:
            self.requests += 1
            n = self._seen[identity]
            self._seen[identity] += 1
            digest = hashlib.sha256(f"{self.seed}|{identity}|{n}".encode()).digest()
            for key, todo in self.force.items():
                if key in identity and todo[1] > 0 and not self._in_a_row[identity]:
                    todo[1] -= 1
                    self._in_a_row[identity] += 1
                    self.faults[todo[0]] += 1
                    self.faulted.append((todo[0], method, identity))
                    return str(todo[0])
            draw = int.from_bytes(digest[:4], "big") / 2**32
            if draw >= self.rate or self._in_a_row[identity] >= self.max_in_a_row:
                self._in_a_row[identity] = 0
                return ""
            kind = self.kinds[digest[4] % len(self.kinds)]
            if kind in RETRIED:
                self._in_a_row[identity] += 1
            self.faults[kind] += 1
            self.faulted.append((kind, method, identity))
            return kind

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def finish(self) -> None:
                with contextlib.suppress(OSError):
                    super().finish()

            def _status(self, code: int) -> None:
                body = b'{"error": {"code": %d, "message": "injected by the test proxy"}}' % code
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def handle(self) -> None:
                with contextlib.suppress(OSError):  # a client that gave up on a slow answer
                    super().handle()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                kind = proxy.decide(self.command, self.path, self.headers.get("Range", ""), body)
                if kind in ("429", "500", "503"):
                    return self._status(int(kind))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                upstream = http.client.HTTPConnection(proxy.host, proxy.port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body or None, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                finally:
                    upstream.close()
                if kind == "lost-503":
                    return self._status(503)
                self.send_response(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in _HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if kind == "reset" and data:
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    linger = struct.pack("ii", 1, 0)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    self.close_connection = True
                    self.connection.close()
                    return None
                if kind == "slow" and data:
                    step = max(1, len(data) // 4)
                    for i in range(0, len(data), step):
                        self.wfile.write(data[i : i + step])
                        self.wfile.flush()
                        time.sleep(proxy.slow_s / 4)
                    return None
                self.wfile.write(data)
                return None

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler
