"""Fixtures for the Supabase plays source: a loopback PostgREST stand-in and a real PostgreSQL.

`postgrest` is a pytest-httpserver on 127.0.0.1 that answers like PostgREST for the three
tables the source reads: it honours `offset`/`limit` (capped at `max_rows`, 1000 like Supabase),
answers `Content-Range` with the total when `Prefer: count=exact` is sent, and can be told to
fail a table with any status and PostgREST error JSON. Every request is kept, so tests pin the
exact wire contract.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.postgres import PostgresCluster, start_postgres

REPO = Path(__file__).resolve().parents[3]
MIGRATIONS = REPO / "supabase" / "migrations"
SEED = REPO / "supabase" / "seed.sql"
# A recognisable secret: if it shows up in any message, log or report, a test fails.
SECRET = "sb_secret_PLAYCLIPS-TEST-7c1e0b9f4d2a-DO-NOT-LEAK"
# The wire contract, pinned byte for byte (supabase-py 2.x / postgrest-py: `.range(a, b)` is
# sent as offset=a&limit=b-a+1; `count=exact` as the Prefer header).
GAMES_QUERY = "select=id&id=eq.{game}"
VIDEOS_QUERY = (
    "select=game_id%2Cangle%2Curi%2Coffset_s%2Cdrift_ppm%2Coffset_correction_s%2Csynced_at"
    "%2Csync_confidence"
    "&game_id=eq.{game}&order=angle.asc&offset={offset}&limit=1000"
)
PLAYS_QUERY = (
    "select=id%2Cgame_id%2Cplay_number%2Cstart_s%2Cend_s%2Clabel%2Cdescription%2Cattributes"
    "&game_id=eq.{game}&order=start_s.asc%2Cid.asc&offset={offset}&limit=1000"
)
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@dataclass
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    query: str  # the raw (percent-encoded) query string
    headers: dict[str, str]

    @property
    def table(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)


@dataclass
class PostgrestStub:
    """A loopback stand-in for Supabase's REST endpoint (see the module docstring)."""

    server: HTTPServer
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: dict[str, list[tuple[int, Any, dict[str, str]]]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    max_rows: int = 1000
    send_count: bool = True
    ignore_offset: bool = False  # a broken server (or proxy) that drops the offset parameter
    # When set, answers every table request instead of the rows above (used to serve rows that
    # a real PostgreSQL rendered for the same query).
    responder: Callable[[Seen], Response] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def fail(self, table: str, status: int, body: Any, times: int = 1_000_000, **headers: str):
        """Answer the next `times` requests for `table` with `status` and JSON `body`."""
        self.failures.setdefault(table, []).extend([(status, body, headers)] * times)

    def requests_for(self, table: str) -> list[Seen]:
        return [s for s in self.seen if s.table == table]

    def handle(self, request: Request) -> Response:
        seen = Seen(
            request.method,
            request.path,
            request.query_string.decode(),
            {k.lower(): v for k, v in request.headers.items()},
        )
        self.seen.append(seen)
        if self.failures.get(seen.table):
            status, body, headers = self.failures[seen.table].pop(0)
            return Response(
                json.dumps(body), status=status, headers=headers, content_type="application/json"
            )
        if self.responder is not None:
            return self.responder(seen)
        if seen.table not in self.tables:
            return _missing_table(seen.table)
        rows = self._filtered(seen)
        offset = 0 if self.ignore_offset else int(seen.params.get("offset", ["0"])[0])
        limit = min(int(seen.params.get("limit", [str(self.max_rows)])[0]), self.max_rows)
        page = rows[offset : offset + limit]
        counted = "count=exact" in seen.headers.get("prefer", "")
        total = str(len(rows)) if counted and self.send_count else "*"
        span = f"{offset}-{offset + len(page) - 1}" if page else "*"
        return Response(
            json.dumps(page),
            status=200,
            content_type="application/json",
            headers={"Content-Range": f"{span}/{total}"},
        )

    def _filtered(self, seen: Seen) -> list[dict[str, Any]]:
        rows = self.tables[seen.table]
        for column, values in seen.params.items():
            if column in {"select", "order", "offset", "limit"}:
                continue
            op, _, value = values[0].partition(".")
            assert op == "eq", f"the stub only knows eq filters, got {column}={values[0]}"
            rows = [r for r in rows if str(r.get(column)) == value]
        for term in reversed(seen.params.get("order", [""])[0].split(",")):
            if term:
                column, _, direction = term.partition(".")
                rows = sorted(rows, key=lambda r: r.get(column), reverse=direction == "desc")
        columns = seen.params["select"][0].split(",")
        return [{c: r.get(c) for c in columns} for r in rows]


def _missing_table(table: str) -> Response:
    body = {
        "code": "PGRST205",
        "details": None,
        "hint": None,
        "message": f"Could not find the table 'public.{table}' in the schema cache",
    }
    return Response(json.dumps(body), status=404, content_type="application/json")


@pytest.fixture(scope="session")
def _postgrest_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def postgrest(_postgrest_server: HTTPServer, monkeypatch: pytest.MonkeyPatch):
    """A fresh PostgREST stand-in (the server is shared, its state is per test)."""
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    _postgrest_server.clear()
    stub = PostgrestStub(_postgrest_server)
    _postgrest_server.expect_request("/rest/v1/games").respond_with_handler(stub.handle)
    for table in ("game_videos", "plays"):
        _postgrest_server.expect_request(f"/rest/v1/{table}").respond_with_handler(stub.handle)
    yield stub
    _postgrest_server.clear()


def demo_tables(game_id: str = "g1", plays: int = 3) -> dict[str, list[dict[str, Any]]]:
    """Rows for one game as PostgREST would return them (only the columns the source asks)."""
    return {
        "games": [{"id": game_id}],
        "game_videos": [
            {"game_id": game_id, "angle": "NEAR_LEFT", "uri": f"{game_id}/NL.mp4", "offset_s": 0.5},
            {"game_id": game_id, "angle": "FAR_LEFT", "uri": f"{game_id}/FL.mp4", "offset_s": 0},
        ],
        "plays": [
            {
                "id": f"p{n:05d}",
                "game_id": game_id,
                "play_number": n,
                "start_s": 10.0 * n,
                "end_s": 10.0 * n + 5,
                "label": "run",
                "description": f"play {n}",
                "attributes": {"quarter": 1 + n % 4},
            }
            for n in range(1, plays + 1)
        ],
    }


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL cluster for the whole session (stopped at the end)."""
    cluster = start_postgres()
    try:
        yield cluster
    finally:
        cluster.stop()


def migration_files() -> list[Path]:
    files = sorted(MIGRATIONS.glob("*.sql"))
    assert files, f"no migrations in {MIGRATIONS}"
    return files


def no_proxy_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in _PROXY_VARS:
        env.pop(name, None)
    return env
