"""Transient and permanent errors, injected by a loopback proxy in front of fake-gcs-server.

The proxy forwards each request unless a rule says otherwise: answer with a status (503, 429,
403, ...), or forward it and then drop the connection without answering (the request took
effect; the client never heard). The client under test talks to the proxy; the retry policy is
the client's own, with short waits.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from playclips.storage import PreconditionFailed, ReadStats, StorageError
from playclips.storage.gcs import GcsStorage

from ..support.fake_gcs import FakeGcs
from .conftest import FAST_RETRY

# A rule sees (method, path) and returns None (forward), ("status", code), or ("drop",).
Rule = Callable[[str, str], tuple | None]


@dataclass
class Proxy:
    url: str
    rules: list[Rule] = field(default_factory=list)
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, outcome)


@pytest.fixture
def proxy(fake_gcs: FakeGcs) -> Iterator[Proxy]:
    upstream = urlsplit(fake_gcs.url)
    state = Proxy(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            action = None
            for rule in state.rules:
                action = rule(self.command, self.path)
                if action:
                    break
            if action and action[0] == "status":
                code = action[1]
                state.seen.append((self.command, self.path, str(code)))
                payload = json.dumps(
                    {"error": {"code": code, "message": f"injected {code}", "errors": []}}
                ).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=10)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            conn.close()
            if action and action[0] == "drop":
                state.seen.append((self.command, self.path, "dropped"))
                self.close_connection = True
                return
            state.seen.append((self.command, self.path, str(response.status)))
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a dropped or aborted connection is the point of some rules

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def through(proxy: Proxy, bucket: str, **kwargs: object) -> GcsStorage:
    client = storage.Client(
        project="playclips-test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": proxy.url},
    )
    return GcsStorage(bucket, client=client, retry=kwargs.pop("retry", FAST_RETRY), **kwargs)


def first(n: int, action: tuple, method: str = "", path_part: str = "") -> Rule:
    """A rule that applies `action` to the first n matching requests."""
    left = [n]

    def rule(m: str, path: str) -> tuple | None:
        if (not method or m == method) and path_part in path and left[0] > 0:
            left[0] -= 1
            return action
        return None

    return rule


def test_transient_errors_on_reads_are_retried(
    proxy: Proxy, new_bucket: Callable[[str], str]
) -> None:
    bucket = new_bucket("f")
    data = bytes(range(256)) * 4096
    direct = GcsStorage(bucket, retry=FAST_RETRY)
    direct.put("v.mp4", data, content_type="video/mp4")
    gcs = through(proxy, bucket, block_size=64 << 10, first_fetch=64 << 10, read_ahead=64 << 10)
    proxy.rules = [
        first(2, ("status", 503), "GET", "/o/v.mp4?"),  # stat
        first(1, ("status", 429), "GET", "alt=media"),
        first(1, ("drop",), "GET", "alt=media"),
        first(1, ("status", 500), "GET", "alt=media"),
    ]
    stats = ReadStats()
    with gcs.open_read("v.mp4", stats) as f:
        f.seek(100_000)
        assert f.read(200_000) == data[100_000:300_000]
    outcomes = [o for _, _, o in proxy.seen]
    assert outcomes.count("503") == 2 and "429" in outcomes and "dropped" in outcomes
    assert stats.bytes_read < 400_000  # retries are not counted as extra bytes


def test_a_create_whose_answer_was_lost_is_retried_and_recognised(
    proxy: Proxy, new_bucket: Callable[[str], str]
) -> None:
    bucket = new_bucket("f")
    gcs = through(proxy, bucket)
    # The upload reaches the server and creates the object; the client never hears back, so
    # its retry policy sends it again (safe: if_generation_match=0) and gets 412.
    proxy.rules = [first(1, ("drop",), "POST", "uploadType=multipart")]
    meta = {"playclips-spec": "abc"}
    info = gcs.put("clip.mp4", b"clip bytes", content_type="video/mp4", metadata=meta,
                   if_generation_match=0)  # fmt: skip
    assert [o for m, _, o in proxy.seen if m == "POST"] == ["dropped", "412"]
    assert info == gcs.stat("clip.mp4")
    assert info.metadata == meta

    # The same lost answer when someone else's object is there: a real conflict.
    proxy.seen.clear()
    proxy.rules = [first(1, ("drop",), "POST", "uploadType=multipart")]
    with pytest.raises(PreconditionFailed, match="already exists"):
        gcs.put("clip.mp4", b"other bytes", content_type="video/mp4", metadata=meta,
                if_generation_match=0)  # fmt: skip
    assert gcs.stat("clip.mp4") == info


def test_uploads_retry_server_errors(proxy: Proxy, new_bucket: Callable[[str], str]) -> None:
    gcs = through(proxy, new_bucket("f"))
    proxy.rules = [first(2, ("status", 503), "POST"), first(1, ("status", 429), "POST")]
    for if_generation_match in (0, None):  # create-only, and replace-whatever (manifests)
        proxy.rules = [first(2, ("status", 503), "POST")]
        gcs.put("m.jsonl", b"{}\n", content_type="application/x-ndjson",
                if_generation_match=if_generation_match)  # fmt: skip
    assert [o for m, _, o in proxy.seen if m == "POST"] == ["503", "503", "200"] * 2


def test_permanent_errors_say_what_to_do(proxy: Proxy, new_bucket: Callable[[str], str]) -> None:
    bucket = new_bucket("f")
    GcsStorage(bucket, retry=FAST_RETRY).put("v.mp4", b"x" * 1000, content_type="video/mp4")
    gcs = through(proxy, bucket)
    proxy.rules = [lambda m, p: ("status", 403)]
    with pytest.raises(StorageError, match=rf"storage.objects.create .* gs://{bucket}") as e:
        gcs.put("c.mp4", b"x", content_type="video/mp4", if_generation_match=0)
    assert "permission denied" in str(e.value)
    with pytest.raises(StorageError, match=r"storage.objects.get .*objectViewer"):
        gcs.open_read("v.mp4")
    with pytest.raises(StorageError, match=r"storage.objects.list"):
        list(gcs.list(""))
    proxy.rules = [lambda m, p: ("status", 401)]
    with pytest.raises(StorageError, match="no valid Google credentials"):
        gcs.stat("v.mp4")
    proxy.rules = [lambda m, p: ("status", 400)]
    with pytest.raises(StorageError, match="cannot stat") as e:
        gcs.stat("v.mp4")
    assert type(e.value) is StorageError

    # A server that keeps failing: retried until the policy's deadline, then a clear error.
    impatient = through(proxy, bucket, retry=FAST_RETRY.with_timeout(0.5))
    proxy.rules = [lambda m, p: ("status", 503)]
    with pytest.raises(StorageError, match="kept failing after retries"):
        impatient.stat("v.mp4")
    assert sum(1 for _, _, o in proxy.seen if o == "503") >= 3
