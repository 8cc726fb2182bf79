"""The SQL migration and seed on a real PostgreSQL 15 started by the tests, and the SQL
equivalents of exactly the queries the Supabase source sends through PostgREST."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import psycopg
import pytest
from psycopg import errors
from werkzeug import Response

from playclips.demo import DEMO_GAME, _plays
from playclips.plays import LocalPlaysFile
from playclips.plays.supabase import SupabasePlays
from tests.support.postgres import PostgresCluster

from .conftest import (
    GAMES_QUERY,
    PLAYS_QUERY,
    REPO,
    SECRET,
    SEED,
    VIDEOS_QUERY,
    PostgrestStub,
    Seen,
    migration_files,
)

# A hang (a paging loop, a server that never answers) fails fast instead of stalling CI.
pytestmark = pytest.mark.timeout(60)

# What PostgREST runs for the source's three requests (same filter, order, limit/offset).
GAMES_SQL = "select id from public.games where id = %(game)s"
VIDEOS_SQL = (
    "select game_id, angle, uri, offset_s, drift_ppm, offset_correction_s, synced_at, "
    "sync_confidence "
    "from public.game_videos "
    "where game_id = %(game)s "
    "order by angle asc limit %(limit)s offset %(offset)s"
)
PLAYS_SQL = (
    "select id, game_id, play_number, start_s, end_s, label, description, attributes "
    "from public.plays where game_id = %(game)s "
    "order by start_s asc, id asc limit %(limit)s offset %(offset)s"
)
COUNT_SQL = "select count(*) from public.{table} where game_id = %(game)s"
TABLES = ("games", "game_videos", "plays")
SUPABASE_ROLES = """
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'anon') then
        create role anon nologin noinherit;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'authenticated') then
        create role authenticated nologin noinherit;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'service_role') then
        create role service_role nologin noinherit bypassrls;
    end if;
end
$$;
-- What Supabase does for new tables in public: every API role gets privileges by default.
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
grant usage on schema public to anon, authenticated, service_role;
"""


def psql(cluster: PostgresCluster, dsn: str, path: Path) -> None:
    """Apply a SQL file the way docs/supabase.md says: psql, stop on error, one transaction."""
    exe = cluster.bindir / "psql"
    exe_path = str(exe) if exe.is_file() else shutil.which("psql")
    assert exe_path, "psql not found"
    result = subprocess.run(
        [exe_path, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", dsn,
         "-f", str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, f"psql -f {path.name} failed:\n{result.stderr}"


@pytest.fixture(scope="module")
def dbs(postgres: PostgresCluster) -> Iterator[dict[str, str]]:
    """`plain`: the migration on bare PostgreSQL (no Supabase roles); `supa`: with Supabase's
    roles and default grants present, then the migration and the seed."""
    plain = postgres.create_database("playclips_plain")
    for migration in migration_files():
        psql(postgres, plain, migration)
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        conn.execute(SUPABASE_ROLES)
    supa = postgres.create_database("playclips_supa")
    with psycopg.connect(supa, autocommit=True) as conn:
        conn.execute(SUPABASE_ROLES)  # default privileges are per database
    for migration in migration_files():
        psql(postgres, supa, migration)
    psql(postgres, supa, SEED)
    yield {"plain": plain, "supa": supa}


def fetch(dsn: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def as_postgrest_json(dsn: str, sql: str, **params: Any) -> str:
    """The response body PostgREST builds for a query: json_agg over the rows, [] when none."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            f"select coalesce(json_agg(t), '[]'::json)::text from ({sql}) t", params
        ).fetchone()
    assert row is not None
    return row[0]


# --- the migration


@pytest.mark.parametrize("db", ["plain", "supa"])
def test_migration_creates_the_tables_with_rls_on(dbs: dict[str, str], db: str) -> None:
    rows = fetch(
        dbs[db],
        "select relname, relrowsecurity from pg_class "
        "where relnamespace = 'public'::regnamespace and relkind = 'r' order by relname",
    )
    assert rows == [
        {"relname": "game_videos", "relrowsecurity": True},
        {"relname": "games", "relrowsecurity": True},
        {"relname": "plays", "relrowsecurity": True},
    ]
    # No policies: only roles that bypass RLS (service_role, the owner) read anything.
    assert fetch(dbs[db], "select * from pg_policies where schemaname = 'public'") == []


def test_the_migration_can_be_applied_twice(postgres: PostgresCluster, dbs) -> None:
    for migration in migration_files():
        psql(postgres, dbs["supa"], migration)
    assert fetch(dbs["supa"], "select count(*) as n from public.plays")[0]["n"] == 28


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_public_roles_are_refused(dbs: dict[str, str], role: str) -> None:
    with psycopg.connect(dbs["supa"]) as conn:
        conn.execute(f"set role {role}")
        for table in TABLES:
            with pytest.raises(errors.InsufficientPrivilege), conn.transaction():
                conn.execute(f"select * from public.{table}")


def test_service_role_reads_through_rls(dbs: dict[str, str]) -> None:
    with psycopg.connect(dbs["supa"]) as conn:
        conn.execute("set role service_role")
        counts = [conn.execute(f"select count(*) from public.{t}").fetchone()[0] for t in TABLES]
    assert counts == [1, 4, 28]


def test_rls_hides_rows_from_a_granted_role_without_policies(dbs: dict[str, str]) -> None:
    """RLS, not just the revoked grants, keeps rows in: a role given SELECT still sees none."""
    with psycopg.connect(dbs["supa"], autocommit=True) as conn:
        conn.execute("drop role if exists rls_probe; create role rls_probe nologin")
        conn.execute("grant usage on schema public to rls_probe")
        conn.execute("grant select on public.plays to rls_probe")
        conn.execute("set role rls_probe")
        assert conn.execute("select count(*) from public.plays").fetchone()[0] == 0
        conn.execute("reset role")
        conn.execute("revoke all on public.plays from rls_probe")
        conn.execute("revoke usage on schema public from rls_probe; drop role rls_probe")


BAD_ROWS = [
    ("end before start", "insert into public.plays (game_id, id, start_s, end_s) "
     "values ('demo-game-1', 'x1', 10, 9)", errors.CheckViolation),
    ("end equals start", "insert into public.plays (game_id, id, start_s, end_s) "
     "values ('demo-game-1', 'x1', 10, 10)", errors.CheckViolation),
    ("negative start", "insert into public.plays (game_id, id, start_s, end_s) "
     "values ('demo-game-1', 'x1', -1, 3)", errors.CheckViolation),
    ("NaN end", "insert into public.plays (game_id, id, start_s, end_s) "
     "values ('demo-game-1', 'x1', 1, 'NaN')", errors.CheckViolation),
    ("play id with a slash", "insert into public.plays (game_id, id, start_s, end_s) "
     "values ('demo-game-1', 'a/b', 1, 2)", errors.CheckViolation),
    ("play id with ..", "insert into public.plays (game_id, id, start_s, end_s) "
     "values ('demo-game-1', 'a..b', 1, 2)", errors.CheckViolation),
    ("attributes not an object", "insert into public.plays (game_id, id, start_s, end_s, "
     "attributes) values ('demo-game-1', 'x1', 1, 2, '[1]')", errors.CheckViolation),
    ("play of an unknown game", "insert into public.plays (game_id, id, start_s, end_s) "
     "values ('no-such-game', 'x1', 1, 2)", errors.ForeignKeyViolation),
    ("duplicate play id in a game", "insert into public.plays (game_id, id, start_s, end_s) "
     "values ('demo-game-1', 'p001', 1, 2)", errors.UniqueViolation),
    ("lower-case angle", "insert into public.game_videos (game_id, angle, uri) "
     "values ('demo-game-1', 'far_left', 'x.mp4')", errors.CheckViolation),
    ("angle with a space", "insert into public.game_videos (game_id, angle, uri) "
     "values ('demo-game-1', 'FAR LEFT', 'x.mp4')", errors.CheckViolation),
    ("empty uri", "insert into public.game_videos (game_id, angle, uri) "
     "values ('demo-game-1', 'HIGH', '')", errors.CheckViolation),
    ("infinite offset", "insert into public.game_videos (game_id, angle, uri, offset_s) "
     "values ('demo-game-1', 'HIGH', 'x.mp4', 'infinity')", errors.CheckViolation),
    ("second row for an angle", "insert into public.game_videos (game_id, angle, uri) "
     "values ('demo-game-1', 'FAR_LEFT', 'x.mp4')", errors.UniqueViolation),
    ("game id with a space", "insert into public.games (id) values ('a game')",
     errors.CheckViolation),
]  # fmt: skip


@pytest.mark.parametrize(("why", "sql", "error"), BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_constraints_reject_bad_rows(dbs: dict[str, str], why: str, sql: str, error) -> None:
    with psycopg.connect(dbs["supa"]) as conn:
        with pytest.raises(error):
            conn.execute(sql)
        conn.rollback()


def test_good_rows_are_accepted_with_defaults(dbs: dict[str, str]) -> None:
    with psycopg.connect(dbs["supa"]) as conn:
        conn.execute("insert into public.games (id) values ('g.2-x_y')")
        conn.execute(
            "insert into public.game_videos (game_id, angle, uri) values ('g.2-x_y', 'HIGH_2', "
            "'gs://b/g/HIGH_2.mp4')"
        )
        conn.execute(
            "insert into public.plays (game_id, id, start_s, end_s) values ('g.2-x_y', 'a', 0, 1)"
        )
        video = conn.execute("select offset_s from public.game_videos where game_id = 'g.2-x_y'")
        play = conn.execute(
            "select label, description, attributes, play_number from public.plays "
            "where game_id = 'g.2-x_y'"
        ).fetchone()
        assert video.fetchone() == (0.0,)
        assert play == ("", "", {}, None)
        conn.rollback()


def test_deleting_a_game_deletes_its_rows(dbs: dict[str, str]) -> None:
    with psycopg.connect(dbs["supa"]) as conn:
        conn.execute("delete from public.games where id = %s", (DEMO_GAME,))
        left = [
            conn.execute(f"select count(*) from public.{t}").fetchone()[0]
            for t in ("game_videos", "plays")
        ]
        conn.rollback()
    assert left == [0, 0]


# --- the source's queries, in SQL


def test_the_seed_is_the_demo_game(dbs: dict[str, str]) -> None:
    """SQL equivalents of the source's requests return exactly playclips.demo's rows."""
    demo = _plays()
    assert fetch(dbs["supa"], GAMES_SQL, game=DEMO_GAME) == [{"id": DEMO_GAME}]
    videos = fetch(dbs["supa"], VIDEOS_SQL, game=DEMO_GAME, limit=1000, offset=0)
    unsynced = {
        "drift_ppm": 0.0,
        "offset_correction_s": 0.0,
        "synced_at": None,
        "sync_confidence": None,
    }
    assert videos == [{**v, **unsynced} for v in sorted(demo["videos"], key=lambda v: v["angle"])]
    plays = fetch(dbs["supa"], PLAYS_SQL, game=DEMO_GAME, limit=1000, offset=0)
    expected = [
        {
            "id": row["play_id"],
            "game_id": row["game_id"],
            "play_number": number,
            "start_s": row["start_s"],
            "end_s": row["end_s"],
            "label": row["label"],
            "description": row["description"],
            "attributes": {"quarter": row["quarter"]},
        }
        for number, row in enumerate(demo["plays"], start=1)
    ]
    assert plays == expected


def test_seed_file_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_seed.py"), "--check"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_paging_sql_reads_every_play_once_in_a_stable_order(dbs: dict[str, str]) -> None:
    """2500 plays with many equal start times: limit/offset pages ordered by (start_s, id)
    concatenate to the whole game, each play once."""
    with psycopg.connect(dbs["supa"]) as conn:
        conn.execute("insert into public.games (id) values ('paged')")
        with conn.cursor() as cur:
            cur.executemany(
                "insert into public.plays (game_id, id, play_number, start_s, end_s) "
                "values ('paged', %s, %s, %s, %s)",
                [(f"q{(n * 7919) % 2500:04d}", n + 1, float(n // 10), n // 10 + 5.0)
                 for n in range(2500)],
            )  # fmt: skip
        conn.commit()
    try:
        pages = [
            fetch(dbs["supa"], PLAYS_SQL, game="paged", limit=1000, offset=offset)
            for offset in (0, 1000, 2000)
        ]
        assert [len(p) for p in pages] == [1000, 1000, 500]
        ids = [r["id"] for page in pages for r in page]
        assert len(set(ids)) == 2500
        keys = [(r["start_s"], r["id"]) for page in pages for r in page]
        assert keys == sorted(keys)
        count = fetch(dbs["supa"], COUNT_SQL.format(table="plays"), game="paged")[0]["count"]
        assert count == 2500
    finally:
        with psycopg.connect(dbs["supa"]) as conn:
            conn.execute("delete from public.games where id = 'paged'")


def test_the_plays_query_can_use_the_index(dbs: dict[str, str]) -> None:
    with psycopg.connect(dbs["supa"]) as conn:
        conn.execute("set enable_seqscan = off")
        conn.execute("set enable_bitmapscan = off")
        plan = conn.execute(
            "explain (format json) " + PLAYS_SQL,
            {"game": DEMO_GAME, "limit": 1000, "offset": 0},
        ).fetchone()[0]
    text = json.dumps(plan)
    assert "plays_game_start_idx" in text
    assert '"Node Type": "Sort"' not in text  # the index gives the order


def _serve_from_postgres(dsn: str):
    """A responder that answers the source's pinned requests with the rows PostgreSQL returns
    for the SQL equivalents, rendered the way PostgREST renders them."""

    def respond(seen: Seen) -> Response:
        params = parse_qs(seen.query)
        game = params.get("game_id", params.get("id", [""]))[0].removeprefix("eq.")
        offset = int(params.get("offset", ["0"])[0])
        limit = int(params.get("limit", ["1000"])[0])
        pinned = {
            "games": (GAMES_QUERY.format(game=game), GAMES_SQL),
            "game_videos": (VIDEOS_QUERY.format(game=game, offset=offset), VIDEOS_SQL),
            "plays": (PLAYS_QUERY.format(game=game, offset=offset), PLAYS_SQL),
        }
        query, sql = pinned[seen.table]
        assert seen.query == query
        body = as_postgrest_json(dsn, sql, game=game, limit=limit, offset=offset)
        headers = {}
        if "count=exact" in seen.headers.get("prefer", ""):
            total = fetch(dsn, COUNT_SQL.format(table=seen.table), game=game)[0]["count"]
            headers["Content-Range"] = f"{offset}-{offset + len(json.loads(body)) - 1}/{total}"
        return Response(body, status=200, headers=headers, content_type="application/json")

    return respond


def test_the_source_reads_the_seeded_demo_game_like_the_local_plays_file(
    dbs: dict[str, str], postgrest: PostgrestStub, tmp_path: Path
) -> None:
    postgrest.responder = _serve_from_postgres(dbs["supa"])
    from_supabase = SupabasePlays(postgrest.url, SECRET).load_game(DEMO_GAME)

    plays_file = tmp_path / "plays.json"
    plays_file.write_text(json.dumps(_plays()))
    from_file = LocalPlaysFile(str(plays_file)).load_game(DEMO_GAME)

    assert [s.table for s in postgrest.seen] == ["games", "game_videos", "plays"]
    assert from_supabase.videos == from_file.videos
    assert from_supabase.issues == from_file.issues == ()
    numbers = [p.attributes["play_number"] for p in from_supabase.plays]
    assert numbers == list(range(1, len(from_file.plays) + 1))
    without_number = [
        replace(p, attributes={k: v for k, v in p.attributes.items() if k != "play_number"})
        for p in from_supabase.plays
    ]
    assert without_number == list(from_file.plays)
