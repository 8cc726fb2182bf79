"""`playclips plays push` against the real schema: a loopback server turns each upsert request
into the statement PostgREST builds for it (INSERT ... SELECT FROM json_populate_recordset ...
ON CONFLICT (on_conflict) DO UPDATE SET the sent columns, or DO NOTHING for
resolution=ignore-duplicates) and runs it on a real PostgreSQL with the project's migration,
so the rows push sends must satisfy every constraint and key of supabase/migrations."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from playclips.cli import main
from playclips.plays import open_plays_source

from ..support.postgres import PostgresCluster, PostgresUnavailable, start_postgres

REPO = Path(__file__).resolve().parents[2]
SECRET = "sb_secret_PLAYCLIPS-PUSH-PG-TEST-9d1c-DO-NOT-LEAK"
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    try:
        cluster: PostgresCluster = start_postgres()
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL here: {exc}")
    try:
        dsn = cluster.create_database("playclips_push")
        with psycopg.connect(dsn, autocommit=True) as conn:
            for migration in sorted((REPO / "supabase" / "migrations").glob("*.sql")):
                conn.execute(migration.read_text())
        yield dsn
    finally:
        cluster.stop()


def postgrest_upsert(dsn: str, request: Request) -> Response:
    """What PostgREST does with POST /rest/v1/TABLE?on_conflict=...&columns=... (an upsert)."""
    table = request.path.rsplit("/", 1)[1]
    query = urllib.parse.parse_qs(request.query_string.decode())
    columns = [c.strip('"') for c in query["columns"][0].split(",")]
    conflict = query["on_conflict"][0].split(",")
    ignore = "resolution=ignore-duplicates" in request.headers.get("Prefer", "")
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    if ignore:
        action = sql.SQL("do nothing")
    else:
        action = sql.SQL("do update set ") + sql.SQL(", ").join(
            sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in columns
        )
    statement = (
        sql.SQL(
            "insert into public.{table} ({names}) select {names} from "
            "json_populate_recordset(null::public.{table}, %s) on conflict ({keys}) "
        ).format(
            table=sql.Identifier(table),
            names=names,
            keys=sql.SQL(", ").join(map(sql.Identifier, conflict)),
        )
        + action
    )
    try:
        with psycopg.connect(dsn) as conn:
            conn.execute(statement, (json.dumps(request.get_json()),))
    except psycopg.Error as exc:
        body = {"code": exc.sqlstate, "message": str(exc).splitlines()[0]}
        return Response(json.dumps(body), 400, content_type="application/json")
    return Response("", 201)


@pytest.fixture
def supabase(database: str, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> str:
    for table in ("games", "game_videos", "plays"):
        httpserver.expect_request(f"/rest/v1/{table}", method="POST").respond_with_handler(
            lambda request: postgrest_upsert(database, request)
        )
    monkeypatch.setenv("SUPABASE_URL", httpserver.url_for("").rstrip("/"))
    monkeypatch.setenv("SUPABASE_SERVICE_KEY", SECRET)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return database


def rows(dsn: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query).fetchall()


def test_push_writes_rows_the_schema_accepts_and_a_second_push_updates_them(
    supabase: str, tmp_path: Path
) -> None:
    plays = {
        "plays": [
            {"game_id": "pg-1", "play_id": "a", "start_s": 1, "end_s": 4, "label": "run",
             "play_number": 1, "quarter": 1},
            {"game_id": "pg-1", "play_id": "b", "start_s": 6, "end_s": 9.5, "label": "pass"},
        ],
        "videos": [{"game_id": "pg-1", "angle": "FAR_LEFT", "uri": "pg-1/FL.mp4", "offset_s": 2}],
    }  # fmt: skip
    path = tmp_path / "plays.json"
    path.write_text(json.dumps(plays))
    with psycopg.connect(supabase) as conn:  # a game that already exists, with a name
        conn.execute("insert into public.games (id, name) values ('pg-1', 'Week 1')")
    result = CliRunner().invoke(main, ["plays", "push", str(path)])
    assert result.exit_code == 0, result.output
    assert rows(supabase, "select id, name from public.games where id = 'pg-1'") == [
        ("pg-1", "Week 1")  # ignore-duplicates: the game's own columns are untouched
    ]
    assert rows(supabase, "select angle, uri, offset_s from public.game_videos") == [
        ("FAR_LEFT", "pg-1/FL.mp4", 2.0)
    ]
    assert rows(
        supabase,
        "select id, play_number, start_s, end_s, label, attributes from public.plays order by id",
    ) == [("a", 1, 1.0, 4.0, "run", {"quarter": 1}), ("b", None, 6.0, 9.5, "pass", {})]

    # The corrected file: a new offset and label replace the old ones; nothing is duplicated.
    plays["videos"][0]["offset_s"] = 2.5
    plays["plays"][1]["label"] = "screen"
    path.write_text(json.dumps(plays))
    result = CliRunner().invoke(main, ["plays", "push", str(path)])
    assert result.exit_code == 0, result.output
    assert rows(supabase, "select offset_s from public.game_videos") == [(2.5,)]
    assert rows(supabase, "select id, label from public.plays order by id") == [
        ("a", "run"),
        ("b", "screen"),
    ]
    # What `run --plays supabase` would read back is what the file says.
    local = open_plays_source(str(path)).load_game("pg-1")
    assert [(p.play_id, p.start_s, p.end_s, p.label) for p in local.plays] == [
        (r[0], r[1], r[2], r[3])
        for r in rows(supabase, "select id, start_s, end_s, label from public.plays order by id")
    ]


def test_a_row_the_database_refuses_is_reported_with_the_table(
    supabase: str, tmp_path: Path
) -> None:
    """The file's checks cover the schema's constraints; a rule added in the database alone
    (here a check the test adds) still stops the push with one line naming the table."""
    plays = {
        "plays": [{"game_id": "pg-2", "play_id": "a", "start_s": 1, "end_s": 2, "label": "x"}],
        "videos": [{"game_id": "pg-2", "angle": "FAR_LEFT", "uri": "pg-2/FL.mp4"}],
    }
    path = tmp_path / "plays.json"
    path.write_text(json.dumps(plays))
    with psycopg.connect(supabase, autocommit=True) as conn:
        conn.execute("alter table public.plays add constraint no_x check (label <> 'x')")
    try:
        result = CliRunner().invoke(main, ["plays", "push", str(path)])
    finally:
        with psycopg.connect(supabase, autocommit=True) as conn:
            conn.execute("alter table public.plays drop constraint no_x")
    assert result.exit_code == 1
    assert "push stopped at plays (rows before it are written)" in result.output
    assert "no_x" in result.output
    assert rows(supabase, "select count(*) from public.plays where game_id = 'pg-2'") == [(0,)]
    assert rows(supabase, "select uri from public.game_videos where game_id = 'pg-2'") == [
        ("pg-2/FL.mp4",)
    ]
