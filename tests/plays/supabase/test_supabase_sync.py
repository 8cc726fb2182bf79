"""`playclips sync --write` into game_videos: supabase-py's PATCH/POST wire contract, answered
by a real PostgreSQL with every migration applied (types, checks, timestamptz)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import psycopg
import pytest
from psycopg import errors
from werkzeug import Request, Response

from playclips.model import Game
from playclips.plays.supabase import SupabasePlays
from playclips.sync import AngleSync, GameSync
from playclips.sync.store import write_supabase
from tests.support.postgres import PostgresCluster

from .conftest import SECRET, PostgrestStub, migration_files
from .test_supabase_schema import psql

pytestmark = pytest.mark.timeout(60)
WHEN = datetime(2026, 11, 30, 12, 0, 5, tzinfo=UTC)


@pytest.fixture
def db(postgres: PostgresCluster) -> str:
    dsn = postgres.create_database(f"playclips_sync_{datetime.now().strftime('%H%M%S%f')}")
    for migration in migration_files():
        psql(postgres, dsn, migration)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("insert into public.games (id) values ('g1')")
        conn.execute(
            "insert into public.game_videos (game_id, angle, uri, offset_s, offset_correction_s) "
            "values ('g1', 'NEAR_LEFT', 'g1/NL.mp4', 9, -0.05)"
        )
    return dsn


def _answer_from(dsn: str, seen: list[tuple[str, str, str, dict]]):
    """PostgREST's PATCH (update ... where eq filters) and POST (insert), run on PostgreSQL."""

    def handle(request: Request) -> Response:
        query = request.query_string.decode()
        body = json.loads(request.get_data() or b"{}")
        seen.append((request.method, query, request.headers.get("Prefer", ""), body))
        names = list(body)  # the test's own fields: safe to put in SQL
        with psycopg.connect(dsn, autocommit=True) as conn:
            if request.method == "PATCH":
                where = {k: v[0].removeprefix("eq.") for k, v in parse_qs(query).items()}
                sql = (
                    f"update public.game_videos set {', '.join(f'{n} = %({n})s' for n in names)}"
                    " where game_id = %(w_game)s and angle = %(w_angle)s"
                    " returning row_to_json(game_videos)::text"
                )
                params = {**body, "w_game": where["game_id"], "w_angle": where["angle"]}
            else:
                sql = (
                    f"insert into public.game_videos ({', '.join(names)}) values "
                    f"({', '.join(f'%({n})s' for n in names)}) "
                    "returning row_to_json(game_videos)::text"
                )
                params = body
            rows = [r[0] for r in conn.execute(sql, params).fetchall()]
        status = 201 if request.method == "POST" else 200
        return Response(f"[{','.join(rows)}]", status=status, content_type="application/json")

    return handle


def test_sync_updates_rows_inserts_missing_ones_and_keeps_the_correction(
    db: str, postgrest: PostgrestStub
) -> None:
    seen: list[tuple[str, str, str, dict]] = []
    postgrest.server.clear()
    postgrest.server.expect_request("/rest/v1/game_videos").respond_with_handler(
        _answer_from(db, seen)
    )
    result = GameSync("g1", "FAR_LEFT")
    result.angles = {
        "FAR_LEFT": AngleSync("FAR_LEFT", 0.0, 0.0, 1.0, key="g1/FAR_LEFT.mp4"),
        "NEAR_LEFT": AngleSync(
            "NEAR_LEFT", 4.15, -40.01234, 0.9512, correction_s=-0.05, key="g1/NL.mp4"
        ),
        "FAR_RIGHT": AngleSync("FAR_RIGHT", refused="its audio is silent"),
    }
    with SupabasePlays(postgrest.url, SECRET, backoff_s=0) as source:
        written = write_supabase(source, Game("g1", (), {}), result, WHEN)
    assert written == ["FAR_LEFT", "NEAR_LEFT"]
    fields = {
        "offset_s": 0.0,
        "drift_ppm": 0.0,
        "sync_offset_s": 0.0,
        "sync_confidence": 1.0,
        "sync_reference": "FAR_LEFT",
        "synced_at": "2026-11-30T12:00:05+00:00",
    }
    assert [(m, q) for m, q, _, _ in seen] == [
        ("PATCH", "game_id=eq.g1&angle=eq.FAR_LEFT"),  # no row: nothing updated...
        ("POST", ""),  # ...so it is inserted, with the video's key as its uri
        ("PATCH", "game_id=eq.g1&angle=eq.NEAR_LEFT"),
    ]
    assert seen[0][3] == fields
    assert seen[1][3] == {"game_id": "g1", "angle": "FAR_LEFT", "uri": "g1/FAR_LEFT.mp4", **fields}
    assert seen[2][3]["drift_ppm"] == -40.0123 and seen[2][3]["sync_confidence"] == 0.951
    assert all("return=representation" in prefer for _, _, prefer, _ in seen)
    with psycopg.connect(db) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        rows = cur.execute(
            "select angle, uri, offset_s, drift_ppm, offset_correction_s, sync_offset_s, "
            "synced_at from public.game_videos order by angle"
        ).fetchall()
    assert rows == [
        {"angle": "FAR_LEFT", "uri": "g1/FAR_LEFT.mp4", "offset_s": 0.0, "drift_ppm": 0.0,
         "offset_correction_s": 0.0, "sync_offset_s": 0.0, "synced_at": WHEN},
        {"angle": "NEAR_LEFT", "uri": "g1/NL.mp4", "offset_s": 4.15, "drift_ppm": -40.0123,
         "offset_correction_s": -0.05, "sync_offset_s": 4.2, "synced_at": WHEN},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("column", "value"),
    [("drift_ppm", 20000.0), ("sync_confidence", 1.5), ("sync_reference", "far left")],
)
def test_the_migration_refuses_impossible_sync_values(db: str, column: str, value) -> None:
    with psycopg.connect(db) as conn, pytest.raises(errors.CheckViolation):
        conn.execute(f"update public.game_videos set {column} = %s", (value,))
