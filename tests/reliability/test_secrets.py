"""A known SUPABASE_SERVICE_KEY, under faults and errors: it appears in no log line, report,
object or message. Plays come from a loopback stand-in for Supabase's REST API that echoes the
key back in its error bodies and headers; the output goes to Cloud Storage through the fault
proxy; the run is a real `playclips run` process."""

from __future__ import annotations

import itertools
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ..support.sources import install_game, make_source
from .conftest import clean_env, gcs_root, gcs_tree, run_cli
from .faultproxy import FaultProxy

SECRET = "sb_secret_RELIABILITY-5e1f7d0c9b8a-MUST-NOT-LEAK"
_n = itertools.count()
PLAYS = [
    {
        "id": f"p{i}",
        "game_id": "g1",
        "play_number": i,
        "start_s": 1.0 + 3 * i,
        "end_s": 2.5 + 3 * i,
        "label": "run",
        "description": "",
        "attributes": {},
    }
    for i in range(4)
]


class Stub:
    """Answers like PostgREST for games/game_videos/plays; `mode` decides how it misbehaves."""

    def __init__(self, mode: str) -> None:
        self.mode, self.hits = mode, 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                stub.hits += 1
                table = urlsplit(self.path).path.rsplit("/", 1)[-1]
                fail = stub.mode == "echo500" or (stub.mode == "flaky" and stub.hits % 2 == 1)
                if fail:  # echo the key everywhere a careless client might copy it from
                    body = json.dumps(
                        {
                            "message": f"boom {SECRET}",
                            "code": "XX000",
                            "hint": SECRET,
                            "details": self.headers.get("apikey"),
                        }
                    )
                    return self._send(500, body.encode(), {"X-Echo": SECRET})
                query = parse_qs(urlsplit(self.path).query)
                rows = {"games": [{"id": "g1"}], "game_videos": [], "plays": PLAYS}[table]
                start = int(query.get("offset", ["0"])[0])
                page = rows[start:]
                headers = {"Content-Range": f"{start}-{start + len(page) - 1}/{len(rows)}"}
                return self._send(200, json.dumps(page).encode(), headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def closed_port() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{s.getsockname()[1]}"  # bound, never listening: refused


def _run(tmp_path: Path, supabase_url: str, storage: str, fake_gcs) -> tuple:
    install_game(tmp_path / "videos", "g1", make_source("bframes"), ["FAR_LEFT"])
    bucket = f"rel-secret-{next(_n)}"
    fake_gcs.create_bucket(bucket)
    env = clean_env(
        SUPABASE_URL=supabase_url,
        SUPABASE_SERVICE_KEY=SECRET,
        STORAGE_EMULATOR_HOST=storage,
        GOOGLE_CLOUD_PROJECT="playclips-test",
    )
    args = [
        "run",
        "g1",
        "--plays",
        "supabase",
        "--videos",
        str(tmp_path / "videos"),
        "--out",
        f"gs://{bucket}/o",
        "--angles",
        "FAR_LEFT",
        "--run-id",
        "s",
        "--log-format",
        "json",
    ]
    result = run_cli(args, env, timeout=180)
    objects = gcs_tree(gcs_root(fake_gcs.url, f"gs://{bucket}/o"), "")
    return result, objects


def _assert_no_secret(result, objects: dict[str, bytes]) -> None:
    assert SECRET not in result.stdout and SECRET not in result.stderr
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    for key, data in objects.items():
        assert SECRET.encode() not in data, f"the key leaked into {key}"


def _report(objects: dict[str, bytes]) -> dict:
    return json.loads(objects["reports/s/g1.json"])


def test_an_unreachable_supabase(tmp_path: Path, fake_gcs, closed_port: str) -> None:
    result, objects = _run(tmp_path, closed_port, fake_gcs.url, fake_gcs)
    assert result.returncode == 1
    _assert_no_secret(result, objects)
    assert "cannot reach Supabase at" in _report(objects)["error"]


def test_a_supabase_that_echoes_the_key_in_500s(tmp_path: Path, fake_gcs) -> None:
    stub = Stub("echo500")
    try:
        result, objects = _run(tmp_path, stub.url, fake_gcs.url, fake_gcs)
    finally:
        stub.close()
    assert result.returncode == 1
    assert stub.hits >= 2  # retried
    _assert_no_secret(result, objects)
    assert "kept failing" in _report(objects)["error"]


def test_a_flaky_supabase_and_storage_faults_still_finish_without_the_key(
    tmp_path: Path, fake_gcs
) -> None:
    stub = Stub("flaky")
    force = {"/download/": "reset", "uploadType=multipart": "lost-503"}
    try:
        with FaultProxy(fake_gcs.url, seed=5, rate=0.05, force=force, force_times=1) as proxy:
            result, objects = _run(tmp_path, stub.url, proxy.url, fake_gcs)
    finally:
        stub.close()
    _assert_no_secret(result, objects)
    assert result.returncode == 0, result.stderr[-3000:]
    report = _report(objects)
    assert report["status"] == "ok" and report["storage_retries"] >= 2
    assert len(objects["manifests/g1/clips.jsonl"].splitlines()) == len(PLAYS)
