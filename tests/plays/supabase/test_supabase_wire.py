"""The Supabase plays source against a loopback PostgREST stand-in: supabase-py's exact wire
contract (path, query string, headers, pagination, error JSON) and every error path."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from playclips.model import Play, PlayIssue, Video
from playclips.plays import PlaysError, UnknownGame, open_plays_source
from playclips.plays.supabase import SupabasePlays

from .conftest import GAMES_QUERY, PLAYS_QUERY, SECRET, VIDEOS_QUERY, PostgrestStub, demo_tables

# A hang (a paging loop, a server that never answers) fails fast instead of stalling CI.
pytestmark = pytest.mark.timeout(60)


def source(stub: PostgrestStub, **kwargs) -> SupabasePlays:
    kwargs.setdefault("backoff_s", 0)
    return SupabasePlays(stub.url, SECRET, **kwargs)


def test_load_game_sends_the_pinned_requests(postgrest: PostgrestStub) -> None:
    postgrest.tables = demo_tables("g1", plays=3)
    game = source(postgrest).load_game("g1")

    assert [(s.method, s.path, s.query) for s in postgrest.seen] == [
        ("GET", "/rest/v1/games", GAMES_QUERY.format(game="g1")),
        ("GET", "/rest/v1/game_videos", VIDEOS_QUERY.format(game="g1", offset=0)),
        ("GET", "/rest/v1/plays", PLAYS_QUERY.format(game="g1", offset=0)),
    ]
    for seen in postgrest.seen:
        assert seen.headers["apikey"] == SECRET
        assert seen.headers["authorization"] == f"Bearer {SECRET}"
        assert seen.headers["accept-profile"] == "public"
        assert "range" not in seen.headers  # paging is offset/limit, not a Range header
    assert "prefer" not in postgrest.seen[0].headers
    assert postgrest.seen[1].headers["prefer"] == "count=exact"
    assert postgrest.seen[2].headers["prefer"] == "count=exact"

    assert [p.play_id for p in game.plays] == ["p00001", "p00002", "p00003"]
    assert game.plays[0] == Play(
        game_id="g1",
        play_id="p00001",
        start_s=10.0,
        end_s=15.0,
        label="run",
        description="play 1",
        attributes={"quarter": 2, "play_number": 1},
    )
    assert game.videos == {
        "NEAR_LEFT": Video("g1", "NEAR_LEFT", "g1/NL.mp4", 0.5),
        "FAR_LEFT": Video("g1", "FAR_LEFT", "g1/FL.mp4", 0.0),
    }
    assert game.issues == ()


def test_open_plays_source_reads_the_environment(
    postgrest: PostgrestStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPABASE_URL", postgrest.url + "/")
    monkeypatch.setenv("SUPABASE_SERVICE_KEY", SECRET)
    postgrest.tables = demo_tables("g1", plays=1)
    plays = open_plays_source("supabase")
    assert isinstance(plays, SupabasePlays)
    assert plays.url == postgrest.url
    assert len(plays.load_game("g1").plays) == 1
    assert SECRET not in repr(plays) and SECRET not in str(plays)


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "SUPABASE_URL and SUPABASE_SERVICE_KEY"),
        ({"SUPABASE_URL": "https://x.supabase.co"}, "SUPABASE_SERVICE_KEY"),
        ({"SUPABASE_SERVICE_KEY": SECRET}, "SUPABASE_URL"),
        ({"SUPABASE_URL": " ", "SUPABASE_SERVICE_KEY": SECRET}, "SUPABASE_URL"),
    ],
)
def test_from_env_names_the_missing_variable(env: dict[str, str], missing: str) -> None:
    with pytest.raises(PlaysError, match=f"needs {missing} in the environment") as info:
        SupabasePlays.from_env(env)
    assert SECRET not in str(info.value)


def test_a_swapped_url_is_not_echoed() -> None:
    with pytest.raises(PlaysError, match="SUPABASE_URL must be an http") as info:
        SupabasePlays.from_env({"SUPABASE_URL": SECRET, "SUPABASE_SERVICE_KEY": SECRET})
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("sb_publishable_abc123", "publishable key"),
        # header.payload.signature with payload {"role":"anon"}: RLS would hide every row.
        ("eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2ln", "JWT for role 'anon'"),
    ],
)
def test_public_keys_are_refused_up_front(key: str, why: str) -> None:
    with pytest.raises(PlaysError, match=why) as info:
        SupabasePlays("https://x.supabase.co", key)
    assert key not in str(info.value)


def test_2500_plays_take_three_pages_in_order(postgrest: PostgrestStub) -> None:
    tables = demo_tables("big", plays=2500)
    tables["plays"].reverse()  # the server, not the client, must order them
    postgrest.tables = tables
    game = source(postgrest).load_game("big")

    pages = postgrest.requests_for("plays")
    assert [s.query for s in pages] == [
        PLAYS_QUERY.format(game="big", offset=offset) for offset in (0, 1000, 2000)
    ]
    assert len(game.plays) == 2500
    assert [p.play_id for p in game.plays] == [f"p{n:05d}" for n in range(1, 2501)]


def test_a_server_capping_pages_below_1000_is_read_to_the_end(postgrest: PostgrestStub) -> None:
    postgrest.tables = demo_tables("big", plays=2500)
    postgrest.max_rows = 400  # a project may lower Supabase's max rows
    game = source(postgrest).load_game("big")
    offsets = [int(s.params["offset"][0]) for s in postgrest.requests_for("plays")]
    assert offsets == [0, 400, 800, 1200, 1600, 2000, 2400]
    assert len(game.plays) == 2500


def test_without_a_count_a_short_page_ends_the_read(postgrest: PostgrestStub) -> None:
    postgrest.tables = demo_tables("big", plays=1500)
    postgrest.send_count = False
    game = source(postgrest).load_game("big")
    assert len(postgrest.requests_for("plays")) == 2
    assert len(game.plays) == 1500


def test_rows_changing_during_the_read_fail_clearly(postgrest: PostgrestStub) -> None:
    postgrest.tables = demo_tables("big", plays=1500)
    original = postgrest.handle

    def shrinking(request):
        if postgrest.requests_for("plays") and len(postgrest.tables["plays"]) == 1500:
            del postgrest.tables["plays"][:100]  # rows deleted between two pages
        return original(request)

    postgrest.server.clear()
    for table in ("games", "game_videos", "plays"):
        postgrest.server.expect_request(f"/rest/v1/{table}").respond_with_handler(shrinking)
    with pytest.raises(PlaysError, match="changed while game 'big' was read"):
        source(postgrest).load_game("big")


@pytest.mark.parametrize("send_count", [True, False])
def test_overlapping_pages_fail_instead_of_duplicating_plays(
    postgrest: PostgrestStub, send_count: bool
) -> None:
    postgrest.tables = demo_tables("big", plays=2500)
    postgrest.ignore_offset, postgrest.send_count = True, send_count
    with pytest.raises(PlaysError, match=r"returned id 'p00001' of game 'big' twice"):
        source(postgrest).load_game("big")
    assert len(postgrest.requests_for("plays")) == 2  # and no endless loop without a count


def test_unknown_game(postgrest: PostgrestStub) -> None:
    postgrest.tables = demo_tables("g1")
    with pytest.raises(UnknownGame) as info:
        source(postgrest).load_game("nope")
    message = str(info.value)
    assert "'nope' is not in the games table at " + postgrest.url in message
    assert "service-role key" in message
    assert [s.table for s in postgrest.seen] == ["games"]  # nothing else is read


def test_a_game_without_plays_is_an_empty_game(postgrest: PostgrestStub) -> None:
    tables = demo_tables("g1")
    tables["plays"] = []
    postgrest.tables = tables
    game = source(postgrest).load_game("g1")
    assert game.plays == () and len(game.videos) == 2
    assert len(postgrest.requests_for("plays")) == 1


BAD_KEY_BODIES = [
    # Supabase's API gateway, for a key it does not know.
    {
        "message": "Invalid API key",
        "hint": "Double check your Supabase `anon` or `service_role` API key.",
    },
    # PostgREST itself, for a JWT it cannot verify.
    {"code": "PGRST301", "details": None, "hint": None, "message": "JWSError JWSInvalidSignature"},
]


@pytest.mark.parametrize("body", BAD_KEY_BODIES)
def test_a_rejected_key(postgrest: PostgrestStub, body: dict) -> None:
    postgrest.tables = demo_tables("g1")
    postgrest.fail("games", 401, body)
    with pytest.raises(PlaysError) as info:
        source(postgrest).load_game("g1")
    assert str(info.value).startswith(
        f"SUPABASE_SERVICE_KEY was rejected by {postgrest.url} (401): check the secret's value"
    )
    assert len(postgrest.seen) == 1  # a 401 is not retried


@pytest.mark.parametrize(
    ("table", "body"),
    [
        (
            "plays",
            {
                "code": "PGRST205",
                "details": None,
                "hint": "Perhaps you meant the table 'public.games'",
                "message": "Could not find the table 'public.plays' in the schema cache",
            },
        ),
        (
            "game_videos",
            {
                "code": "42P01",
                "details": None,
                "hint": None,
                "message": 'relation "public.game_videos" does not exist',
            },
        ),
    ],
)
def test_a_missing_table(postgrest: PostgrestStub, table: str, body: dict) -> None:
    postgrest.tables = demo_tables("g1")
    postgrest.fail(table, 404, body)
    with pytest.raises(PlaysError) as info:
        source(postgrest).load_game("g1")
    message = str(info.value)
    assert message.startswith(f"table public.{table} does not exist at {postgrest.url}")
    assert body["code"] in message
    assert "supabase/migrations/*_playclips_schema.sql" in message
    assert len(postgrest.requests_for(table)) == 1


def test_a_missing_column_points_at_the_migration(postgrest: PostgrestStub) -> None:
    postgrest.tables = demo_tables("g1")
    body = {
        "code": "42703",
        "details": None,
        "hint": None,
        "message": "column plays.play_number does not exist",
    }
    postgrest.fail("plays", 400, body)
    with pytest.raises(PlaysError, match=r"lacks a column playclips reads.*play_number"):
        source(postgrest).load_game("g1")


def test_permission_denied_asks_for_the_service_key(postgrest: PostgrestStub) -> None:
    postgrest.tables = demo_tables("g1")
    body = {
        "code": "42501",
        "details": None,
        "hint": None,
        "message": "permission denied for table games",
    }
    postgrest.fail("games", 403, body)
    with pytest.raises(PlaysError, match=r"may not read public\.games.*service-role"):
        source(postgrest).load_game("g1")


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_errors_are_retried(postgrest: PostgrestStub, status: int) -> None:
    postgrest.tables = demo_tables("g1")
    postgrest.fail("plays", status, {"message": "busy"}, times=2, **{"Retry-After": "0"})
    game = source(postgrest, retries=2).load_game("g1")
    assert len(game.plays) == 3
    assert len(postgrest.requests_for("plays")) == 3
    assert "x-retry-count" not in postgrest.seen[-1].headers  # supabase-py's own retry is off


def test_persistent_5xx_fails_after_the_retries(postgrest: PostgrestStub) -> None:
    postgrest.tables = demo_tables("g1")
    postgrest.fail("games", 503, {"code": "PGRST001", "message": "Database client error"})
    started = time.monotonic()
    with pytest.raises(PlaysError) as info:
        source(postgrest, retries=2, backoff_s=0.05).load_game("g1")
    assert time.monotonic() - started >= 0.05 + 0.1  # backed off 0.05 s, then 0.1 s
    assert len(postgrest.seen) == 3
    assert str(info.value) == (
        f"Supabase at {postgrest.url} kept failing while reading games: HTTP 503 "
        "(PGRST001: Database client error) after 3 attempts; try again later"
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_names_the_url() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(PlaysError) as info:
        SupabasePlays(url, SECRET, backoff_s=0).load_game("g1")
    message = str(info.value)
    assert message.startswith(f"cannot reach Supabase at {url} to read games: could not connect")
    assert message.endswith("after 3 attempts; check SUPABASE_URL and the network")
    assert SECRET not in message


def test_a_server_that_never_answers_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # connections complete in the backlog; nothing ever answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        plays = SupabasePlays(url, SECRET, timeout_s=0.2, retries=1, backoff_s=0)
        started = time.monotonic()
        with pytest.raises(PlaysError, match=r"timed out \(ReadTimeout\), after 2 attempts"):
            plays.load_game("g1")
        assert time.monotonic() - started < 5
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("status", "table"), [(401, "games"), (400, "plays"), (500, "game_videos"), (404, "plays")]
)
def test_the_key_never_reaches_a_message(postgrest: PostgrestStub, status: int, table: str):
    """Even a server that echoes the key back cannot get it into an exception."""
    postgrest.tables = demo_tables("g1")
    echo = {"code": "XX000", "message": f"bad token {SECRET}", "details": SECRET, "hint": SECRET}
    postgrest.fail(table, status, echo)
    with pytest.raises(PlaysError) as info:
        source(postgrest, retries=0).load_game("g1")
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)
    assert "[SUPABASE_SERVICE_KEY]" in str(info.value)


def test_bad_rows_become_issues_or_clear_errors(postgrest: PostgrestStub) -> None:
    tables = demo_tables("g1", plays=3)
    tables["plays"][1]["attributes"] = ["not", "an", "object"]
    tables["plays"][2]["id"] = "../escape"
    postgrest.tables = tables
    game = source(postgrest).load_game("g1")
    assert [p.play_id for p in game.plays] == ["p00001"]
    assert [type(i) for i in game.issues] == [PlayIssue, PlayIssue]
    assert "attributes must be a JSON object" in game.issues[0].reason
    assert "invalid play id" in game.issues[1].reason

    tables["game_videos"][0]["angle"] = "near left"
    postgrest.seen.clear()
    with pytest.raises(PlaysError, match=r"game_videos at .*bad row for game 'g1'"):
        source(postgrest).load_game("g1")


def test_load_game_is_safe_from_threads(postgrest: PostgrestStub) -> None:
    """Angles and games may be loaded from worker threads: statuses are tracked per thread."""
    postgrest.tables = demo_tables("g1", plays=20)
    plays = source(postgrest)
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(len(plays.load_game("g1").plays)))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [20, 20, 20, 20]
