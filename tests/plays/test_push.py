"""`playclips plays push FILE`: your own plays into Supabase, from a file or a bucket.
Supabase is a loopback HTTP server (no PostgREST can run here) that pins supabase-py's upsert
wire contract: path, on_conflict and columns, Prefer, headers and the JSON rows."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from playclips.cli import main

from ..support.fake_gcs import FakeGcs
from ..support.gcs_fixtures import put

SECRET = "sb_secret_PLAYCLIPS-PUSH-TEST-5b0e-DO-NOT-LEAK"
BUCKET = "plays-bucket"
pytestmark = pytest.mark.timeout(60)


class Supabase:
    """Records every request; answers 201 (or a scripted error) like PostgREST's upsert."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.seen: list[tuple[str, str, dict[str, list[str]], dict[str, str], Any]] = []
        self.error: tuple[int, dict[str, Any]] | None = None
        server.expect_request("/rest/v1/games").respond_with_handler(self.handle)
        server.expect_request("/rest/v1/game_videos").respond_with_handler(self.handle)
        server.expect_request("/rest/v1/plays").respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        query = urllib.parse.parse_qs(request.query_string.decode())
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.seen.append((request.method, request.path, query, headers, request.get_json()))
        if self.error:
            status, body = self.error
            return Response(json.dumps(body), status, content_type="application/json")
        return Response("", 201)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")


@pytest.fixture
def supabase(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Supabase:
    stub = Supabase(httpserver)
    monkeypatch.setenv("SUPABASE_URL", stub.url)
    monkeypatch.setenv("SUPABASE_SERVICE_KEY", SECRET)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return stub


PLAYS_JSON = {
    "plays": [
        {
            "game_id": "g1",
            "play_id": "p1",
            "start_s": 10,
            "end_s": 15.5,
            "label": "run",
            "play_number": "1",
            "quarter": 2,
        },
        {
            "game_id": "g1",
            "play_id": "p2",
            "start_s": 20,
            "end_s": 28,
            "label": "pass",
            "description": "deep left",
            "play_number": "x",
        },
        {"game_id": "g2", "play_id": "p1", "start_s": 5, "end_s": 9, "label": "punt"},
    ],
    "videos": [
        {"game_id": "g1", "angle": "FAR_LEFT", "uri": "gs://videos/g1/FL.mp4", "offset_s": 1.5},
        {"game_id": "g2", "angle": "NEAR_RIGHT", "uri": "g2/NR.mp4"},
    ],
}


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_push_upserts_games_then_videos_then_plays(supabase: Supabase, tmp_path: Path) -> None:
    plays = write(tmp_path / "plays.json", PLAYS_JSON)
    result = CliRunner().invoke(main, ["plays", "push", str(plays)])
    assert result.exit_code == 0, result.output
    assert "Pushed 2 game(s), 2 video row(s), 3 play(s)" in result.output
    assert [(m, p) for m, p, *_ in supabase.seen] == [
        ("POST", "/rest/v1/games"),
        ("POST", "/rest/v1/game_videos"),
        ("POST", "/rest/v1/plays"),
    ]
    (
        (_, _, q_games, h_games, games),
        (_, _, q_videos, h_videos, videos),
        (_, _, q_plays, h_plays, rows),
    ) = supabase.seen
    assert q_games == {"on_conflict": ["id"], "columns": ['"id"']}
    assert h_games["prefer"] == "return=minimal,resolution=ignore-duplicates"
    assert games == [{"id": "g1"}, {"id": "g2"}]
    assert q_videos["on_conflict"] == ["game_id,angle"]
    assert h_videos["prefer"] == "return=minimal,resolution=merge-duplicates"
    assert videos == [
        {"game_id": "g1", "angle": "FAR_LEFT", "uri": "gs://videos/g1/FL.mp4", "offset_s": 1.5},
        {"game_id": "g2", "angle": "NEAR_RIGHT", "uri": "g2/NR.mp4", "offset_s": 0.0},
    ]
    assert q_plays["on_conflict"] == ["game_id,id"]
    assert h_plays["prefer"] == "return=minimal,resolution=merge-duplicates"
    assert rows[0] == {
        "id": "p1",
        "game_id": "g1",
        "play_number": 1,
        "start_s": 10.0,
        "end_s": 15.5,
        "label": "run",
        "description": "",
        "attributes": {"quarter": 2},
    }
    # A play_number that is not a whole number stays an attribute rather than being lost.
    assert rows[1]["play_number"] is None and rows[1]["attributes"] == {"play_number": "x"}
    assert [(r["game_id"], r["id"]) for r in rows] == [("g1", "p1"), ("g1", "p2"), ("g2", "p1")]
    for *_, headers, _ in supabase.seen:
        assert headers["apikey"] == SECRET and headers["authorization"] == f"Bearer {SECRET}"
        assert headers["content-profile"] == "public"


def test_push_of_one_game_from_a_csv(supabase: Supabase, tmp_path: Path) -> None:
    csv = tmp_path / "plays.csv"
    csv.write_text("game_id,play_id,start_s,end_s,label,down\ng1,a,1,2,run,3\ng2,b,3,4,pass,1\n")
    result = CliRunner().invoke(main, ["plays", "push", str(csv), "--game", "g2"])
    assert result.exit_code == 0, result.output
    plays = supabase.seen[-1][-1]
    # A numeric CSV column arrives as numbers, as the plays file parser reads it.
    assert [(p["game_id"], p["id"], p["attributes"]) for p in plays] == [("g2", "b", {"down": 1})]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"end_s": 1}, "game g2 play p1: ends at 1.0 s, not after its start"),
        ({"start_s": -2}, "game g2 play p1: starts before 0 s"),
        ({"start_s": "soon"}, "start_s 'soon' is not a number"),
        ({"game_id": "g1"}, "game g1 play p1: listed twice"),
        ({"game_id": "a/b"}, "invalid game id"),
        ({"video_uri": ""}, "game g2 angle NEAR_RIGHT: a video row needs a uri"),
    ],
    ids=["ends-first", "negative", "not-a-number", "twice", "bad-game-id", "video-no-uri"],
)
def test_a_bad_play_stops_the_push_before_anything_is_written(
    supabase: Supabase, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    bad = json.loads(json.dumps(PLAYS_JSON))
    if "video_uri" in change:
        bad["videos"][1]["uri"] = change.pop("video_uri")
    bad["plays"][2].update(change)
    result = CliRunner().invoke(main, ["plays", "push", str(write(tmp_path / "p.json", bad))])
    assert result.exit_code == 1
    assert "would be rejected, nothing was pushed" in result.output
    assert message in result.output
    assert supabase.seen == []


def test_a_refused_upsert_is_one_clear_line_without_the_key(
    supabase: Supabase, tmp_path: Path
) -> None:
    supabase.error = (401, {"code": "PGRST301", "message": f"bad JWT {SECRET}"})
    result = CliRunner().invoke(
        main, ["plays", "push", str(write(tmp_path / "p.json", PLAYS_JSON))]
    )
    assert result.exit_code == 1
    assert "push stopped at games" in result.output and "SUPABASE_SERVICE_KEY" in result.output
    assert SECRET not in result.output
    assert len(supabase.seen) == 1


def test_many_plays_go_in_batches(supabase: Supabase, tmp_path: Path) -> None:
    many = [
        {"game_id": "g1", "play_id": f"p{i:04d}", "start_s": i, "end_s": i + 0.5}
        for i in range(1_200)
    ]
    result = CliRunner().invoke(main, ["plays", "push", str(write(tmp_path / "p.json", many))])
    assert result.exit_code == 0, result.output
    sizes = [len(body) for _, path, _, _, body in supabase.seen if path == "/rest/v1/plays"]
    assert sizes == [500, 500, 200]


def test_push_needs_the_supabase_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPABASE_URL", raising=False)
    monkeypatch.delenv("SUPABASE_SERVICE_KEY", raising=False)
    result = CliRunner().invoke(
        main, ["plays", "push", str(write(tmp_path / "p.json", PLAYS_JSON))]
    )
    assert result.exit_code == 1 and "SUPABASE_URL and SUPABASE_SERVICE_KEY" in result.output


def test_push_reads_a_plays_file_from_a_bucket(supabase: Supabase, gcs_env: FakeGcs) -> None:
    uri = put(gcs_env, BUCKET, "plays/push.json", json.dumps(PLAYS_JSON).encode())
    result = CliRunner().invoke(main, ["plays", "push", uri])
    assert result.exit_code == 0, result.output
    assert len(supabase.seen[-1][-1]) == 3
