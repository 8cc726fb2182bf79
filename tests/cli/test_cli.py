"""The CLI: documented commands, exit codes, the Cloud Run task contract, clean stops."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from playclips.cli import main
from playclips.config import SETTINGS, ConfigError, task_shard
from playclips.run.inputs import games_from_env

from ..clipping.test_memory import _long_source
from ..conftest import read_manifest, read_report, write_plays
from ..support.sources import install_game, make_source


def _walk(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _walk(command, f"{prefix}{name} ")


def test_every_command_and_option_is_documented() -> None:
    commands = list(_walk(main))
    assert {"run", "demo"} <= {name for name, _ in commands}
    for name, command in commands:
        assert command.help and len(command.help) > 20, f"{name} has no help"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts} has no help"
        result = CliRunner().invoke(main, [*name.split(), "--help"])
        assert result.exit_code == 0


def test_every_setting_is_an_option_with_its_env_var() -> None:
    run = main.commands["run"]
    options = {p.name: p for p in run.params if isinstance(p, click.Option)}
    for name, setting in SETTINGS.items():
        assert options[name].envvar == setting.env
        assert setting.flag in options[name].opts


@pytest.mark.parametrize(("games", "tasks"), [(1, 1), (7, 3), (10, 10), (3, 5), (100, 7)])
def test_every_game_goes_to_exactly_one_task(games: int, tasks: int) -> None:
    ids = [f"g{i}" for i in range(games)]
    shards = [
        task_shard(ids, {"CLOUD_RUN_TASK_INDEX": str(i), "CLOUD_RUN_TASK_COUNT": str(tasks)})
        for i in range(tasks)
    ]
    flat = [g for shard in shards for g in shard]
    assert sorted(flat) == sorted(ids) and len(flat) == len(set(flat))


def test_games_env_must_be_a_json_list() -> None:
    assert games_from_env({"PLAYCLIPS_GAMES": '["a", "b"]'}) == ["a", "b"]
    with pytest.raises(ConfigError, match="JSON list"):
        games_from_env({"PLAYCLIPS_GAMES": "a,b"})


def _env_run(workdir: Path, extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PLAYCLIPS_PLAYS": str(workdir / "plays.json"),
        "PLAYCLIPS_VIDEOS": str(workdir / "videos"),
        "PLAYCLIPS_OUT": str(workdir / "out"),
        "PLAYCLIPS_ANGLES": "FAR_LEFT",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "playclips.cli", "run"], env=env, capture_output=True, text=True
    )


def test_cloud_run_task_takes_its_shard_from_the_environment(workdir: Path) -> None:
    source = make_source("bframes")
    games = ["g0", "g1", "g2", "g3", "g4"]
    rows = []
    for g in games:
        install_game(workdir / "videos", g, source, ["FAR_LEFT"])
        rows.append({"game_id": g, "play_id": "p1", "start_s": 1.0, "end_s": 2.0, "label": "x"})
    write_plays(workdir / "plays.json", rows)
    base = {
        "PLAYCLIPS_GAMES": json.dumps(games),
        "CLOUD_RUN_TASK_COUNT": "2",
        "CLOUD_RUN_EXECUTION": "exec-1",
        "CLOUD_RUN_JOB": "playclips",
    }
    task1 = _env_run(workdir, {**base, "CLOUD_RUN_TASK_INDEX": "1"})
    assert task1.returncode == 0, task1.stderr
    assert sorted(p.name for p in (workdir / "out" / "reports" / "exec-1").iterdir()) == [
        "g1.json",
        "g3.json",
    ]
    # On Cloud Run every line is one JSON object (Cloud Logging's structured format).
    lines = [json.loads(line) for line in task1.stderr.splitlines() if line.strip()]
    assert lines and all({"severity", "message"} <= set(line) for line in lines)
    task0 = _env_run(workdir, {**base, "CLOUD_RUN_TASK_INDEX": "0"})
    assert task0.returncode == 0, task0.stderr
    assert len(list((workdir / "out" / "reports" / "exec-1").iterdir())) == 5


def test_exit_codes(workdir: Path) -> None:
    install_game(workdir / "videos", "g1", make_source("bframes"), ["FAR_LEFT"])
    write_plays(
        workdir / "plays.json",
        [{"game_id": "g1", "play_id": "p1", "start_s": 1, "end_s": 2, "label": "x"}],
    )
    args = [
        "run",
        "--plays",
        str(workdir / "plays.json"),
        "--videos",
        str(workdir / "videos"),
        "--out",
        str(workdir / "out"),
        "--angles",
        "FAR_LEFT",
        "--log-format",
        "text",
    ]
    runner = CliRunner()
    assert runner.invoke(main, [*args[:1], "g1", *args[1:]]).exit_code == 0
    assert runner.invoke(main, [*args[:1], "nope", *args[1:]]).exit_code == 1
    assert runner.invoke(main, args).exit_code == 2  # no games at all
    assert runner.invoke(main, [*args, "--angles", "far left"]).exit_code == 2


def test_sigterm_stops_cleanly_and_a_rerun_finishes_the_rest(workdir: Path) -> None:
    long = _long_source()
    rows = []
    for g in ("ga", "gb"):
        install_game(workdir / "videos", g, long, ["FAR_LEFT"])
        rows += [
            {
                "game_id": g,
                "play_id": f"p{i:02d}",
                "start_s": 5.0 * i,
                "end_s": 5.0 * i + 4.0,
                "label": "x",
            }
            for i in range(60)
        ]
    write_plays(workdir / "plays.json", rows)
    env = {
        **os.environ,
        "PLAYCLIPS_PLAYS": str(workdir / "plays.json"),
        "PLAYCLIPS_VIDEOS": str(workdir / "videos"),
        "PLAYCLIPS_OUT": str(workdir / "out"),
        "PLAYCLIPS_ANGLES": "FAR_LEFT",
        "PLAYCLIPS_LOG_FORMAT": "json",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "playclips.cli", "run", "ga", "gb", "--run-id", "first"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    clips = workdir / "out" / "clips" / "ga" / "FAR_LEFT"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(clips.glob("*.mp4"))) < 3:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=10)

    assert proc.returncode == 1, stderr
    # How far it got depends on the machine's load; what must hold does not.
    firsts = {g: read_report(workdir / "out", "first", g) for g in ("ga", "gb")}
    made_first = {g: r["counts"]["clips_made"] for g, r in firsts.items()}
    assert 3 <= sum(made_first.values()) < 120
    for g, r in firsts.items():
        assert r["status"] in ("ok", "interrupted")
        if r["status"] == "interrupted":
            assert not (workdir / "out" / "manifests" / g).exists()  # no half manifest
            assert "run it again to finish" in r["error"]
    assert "interrupted" in {r["status"] for r in firsts.values()}
    assert not [p for p in (workdir / "out").rglob(".playclips-tmp-*")]

    again = subprocess.run(
        [sys.executable, "-m", "playclips.cli", "run", "ga", "gb", "--run-id", "second"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0, again.stderr
    for g in ("ga", "gb"):
        second = read_report(workdir / "out", "second", g)
        assert second["counts"]["clips_skipped_existing"] == made_first[g]
        assert second["counts"]["clips_made"] == 60 - made_first[g]
        assert len(read_manifest(workdir / "out", g)) == 60
