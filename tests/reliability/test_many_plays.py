"""A game with very many plays: planning is pure and linear, and a 2,000-play run finishes."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from playclips.cli import main
from playclips.model import Game, Play
from playclips.plan import plan_game

from ..support.sources import install_game, make_source
from .conftest import write_plays

ANGLES = ("FAR_LEFT", "NEAR_LEFT", "FAR_RIGHT", "NEAR_RIGHT")


def _game(count: int) -> Game:
    plays = tuple(
        Play("g1", f"p{i:06d}", (i % 10_000) * 1.0, (i % 10_000) * 1.0 + 5.0, "run")
        for i in range(count)
    )
    return Game("g1", (*plays, Play("g1", "p000007", 1.0, 2.0), Play("g1", "bad", 5.0, 4.0)), {})


def test_planning_100k_plays_is_linear_in_time_and_memory() -> None:
    game = _game(100_000)
    started = time.perf_counter()
    specs, rejected = plan_game(game, ANGLES)
    seconds = time.perf_counter() - started
    assert len(specs) == 4 * (100_000 - 1)
    assert {r.play_id for r in rejected} == {"p000007", "bad"} and len(rejected) == 2
    assert seconds < 30, f"planning 100k plays took {seconds:.1f} s"
    # memory: what planning allocates besides its input, measured at 10k (tracemalloc is slow)
    small = _game(10_000)
    tracemalloc.start()
    plan_game(small, ANGLES)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 2**20, f"planning 10k plays x 4 angles peaked at {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize(
    "count", [300, pytest.param(2000, marks=pytest.mark.soak)], ids=["300", "2000"]
)
def test_a_game_with_many_plays_runs_through_the_cli(tmp_path: Path, count: int) -> None:
    install_game(tmp_path / "videos", "g1", make_source("bframes"), ["FAR_LEFT"])
    rows = [
        {
            "game_id": "g1",
            "play_id": f"p{i:04d}",
            "start_s": round(0.5 + (i % 1900) * 0.01, 3),
            "end_s": round(0.6 + (i % 1900) * 0.01, 3),
            "label": "run",
        }
        for i in range(count)
    ]
    write_plays(tmp_path / "plays.json", rows)
    started = time.perf_counter()
    result = CliRunner().invoke(
        main,
        [
            "run",
            "g1",
            "--plays",
            str(tmp_path / "plays.json"),
            "--videos",
            str(tmp_path / "videos"),
            "--out",
            str(tmp_path / "out"),
            "--angles",
            "FAR_LEFT",
            "--run-id",
            "big",
            "--log-format",
            "json",
        ],
    )
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output[-2000:]
    manifest = (tmp_path / "out" / "manifests" / "g1" / "clips.jsonl").read_text().splitlines()
    assert len(manifest) == count
    assert len({json.loads(line)["play_id"] for line in manifest}) == count
    assert seconds < count * 0.1, f"{count} clips took {seconds:.0f} s"
