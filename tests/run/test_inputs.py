"""The games list as a file: the workflow writes runs/{run_id}/games.json and passes its URI in
PLAYCLIPS_GAMES_URI, because a Cloud Run env value holds at most 32,768 bytes (Cloud Run Admin
API v2, EnvVar.value) and 10,000 ids of up to 128 characters do not fit."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

from playclips import storage
from playclips.cli import main
from playclips.config import GAMES_ENV, GAMES_URI_ENV, ConfigError, task_shard
from playclips.run.inputs import games_from_env, games_from_uri

ENV_VALUE_LIMIT = 32_768


def big_games() -> list[str]:
    """10,000 distinct ids of 128 characters: the largest list the workflow accepts."""
    return [f"g{i:05d}-" + "x" * (128 - 7) for i in range(10_000)]


def test_the_largest_list_would_not_fit_in_an_env_value() -> None:
    games = big_games()
    assert all(len(g) == 128 for g in games) and len(set(games)) == 10_000
    assert len(json.dumps(games).encode()) > 30 * ENV_VALUE_LIMIT


def test_ten_thousand_games_from_the_file_shard_across_ten_thousand_tasks(tmp_path: Path) -> None:
    games = big_games()
    path = tmp_path / "runs" / "r1" / "games.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(games))
    read = games_from_env({GAMES_URI_ENV: str(path)})
    assert read == games
    shards = [
        task_shard(read, {"CLOUD_RUN_TASK_INDEX": str(i), "CLOUD_RUN_TASK_COUNT": "10000"})
        for i in range(10_000)
    ]
    assert all(len(s) == 1 for s in shards)
    assert [s[0] for s in shards] == games


def test_run_takes_its_share_of_a_ten_thousand_game_file(tmp_path: Path) -> None:
    """`playclips run` with no GAME_IDs, as a Cloud Run task: the last task gets the last game.

    The plays file has no plays, so the game fails fast with a report and no video is opened.
    """
    games = big_games()
    games_file = tmp_path / "games.json"
    games_file.write_text(json.dumps(games))
    plays = tmp_path / "plays.json"
    plays.write_text(json.dumps({"plays": [], "videos": []}))
    (tmp_path / "videos").mkdir()
    out = tmp_path / "out"
    env = {
        GAMES_URI_ENV: str(games_file),
        GAMES_ENV: "",
        "CLOUD_RUN_TASK_INDEX": "9999",
        "CLOUD_RUN_TASK_COUNT": "10000",
        "CLOUD_RUN_EXECUTION": "exec-big",
        "CLOUD_RUN_JOB": "",
    }
    args = ["run", "--plays", str(plays), "--videos", str(tmp_path / "videos")]
    args += ["--out", str(out), "--angles", "FAR_LEFT", "--log-format", "text"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 1, result.output  # the game has no plays
    reports = sorted(p.name for p in (out / "reports" / "exec-big").iterdir())
    assert reports == [f"{games[-1]}.json"]
    report = json.loads((out / "reports" / "exec-big" / reports[0]).read_text())
    assert report["status"] == "failed" and "no plays" in report["error"]


def test_finalize_reads_every_game_from_the_file(tmp_path: Path) -> None:
    # Where the workflow writes it, before any task runs: that makes run r1 a known run.
    games_file = tmp_path / "out" / "runs" / "r1" / "games.json"
    games_file.parent.mkdir(parents=True)
    games_file.write_text(json.dumps(["g1", "g2"]))
    result = CliRunner().invoke(
        main,
        ["finalize", "--out", str(tmp_path / "out"), "--run-id", "r1"],
        env={GAMES_URI_ENV: str(games_file), GAMES_ENV: ""},
    )
    # Neither game has a report: both are listed as failed, and the dataset is still written.
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "datasets" / "r1" / "summary.json").read_text())
    assert sorted(g["game_id"] for g in summary["games"]["failed"]) == ["g1", "g2"]


class FakeStorage:
    """Records the root it was opened on and serves one object."""

    opened: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, root: str, objects: dict[str, bytes]) -> None:
        self.root, self.objects = root, objects

    def open_read(self, key: str, stats: object = None) -> io.BytesIO:
        FakeStorage.opened.append((self.root, key))
        if key not in self.objects:
            raise storage.NotFound(f"{self.root}/{key} does not exist")
        return io.BytesIO(self.objects[key])


def test_a_gs_uri_is_read_as_root_plus_key(monkeypatch: pytest.MonkeyPatch) -> None:
    objects = {"games.json": b'["g1", "g2"]'}
    monkeypatch.setattr(storage, "open_storage", lambda root: FakeStorage(root, objects))
    FakeStorage.opened.clear()
    assert games_from_uri("gs://b-training/runs/r1/games.json") == ["g1", "g2"]
    assert FakeStorage.opened == [("gs://b-training/runs/r1", "games.json")]
    missing = r"PLAYCLIPS_GAMES_URI=gs://b-training/x\.json: .*not exist"
    with pytest.raises(ConfigError, match=missing):
        games_from_uri("gs://b-training/x.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "must be a JSON list"),
        ("g1,g2", "must be a JSON list"),
        ('{"games": ["g1"]}', "JSON list of game id strings"),
        ("[1, 2]", "JSON list of game id strings"),
    ],
)
def test_a_file_that_is_not_a_list_of_strings_is_refused(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "games.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        games_from_uri(str(path))
    assert str(path) in str(info.value)


def test_a_json_string_holding_the_list_is_unwrapped(tmp_path: Path) -> None:
    path = tmp_path / "games.json"
    path.write_text(json.dumps(json.dumps(["g1"])))
    assert games_from_uri(str(path)) == ["g1"]


def test_missing_file_and_both_variables_are_clear_usage_errors(tmp_path: Path) -> None:
    missing = tmp_path / "runs" / "r9" / "games.json"
    with pytest.raises(ConfigError, match="games file does not exist"):
        games_from_env({GAMES_URI_ENV: str(missing)})
    with pytest.raises(ConfigError, match="not both"):
        games_from_env({GAMES_URI_ENV: str(missing), GAMES_ENV: '["g1"]'})
    result = CliRunner().invoke(
        main,
        ["finalize", "--out", str(tmp_path / "out"), "--run-id", "r1"],
        env={GAMES_URI_ENV: str(missing), GAMES_ENV: ""},
    )
    assert result.exit_code == 2 and "games file does not exist" in result.output
