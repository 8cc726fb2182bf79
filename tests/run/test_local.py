"""run/local.py: what `trigger --env local` clips, and how its run and dataset end."""

from __future__ import annotations

from pathlib import Path

import pytest

from playclips.demo import DEMO_GAME
from playclips.outputs.dataset import DatasetError
from playclips.run.local import LocalTriggerError, finalize_run, local_exit_code, local_sources


def test_given_plays_and_videos_are_used_as_they_are(tmp_path: Path) -> None:
    said: list[str] = []
    got = local_sources(["g1"], "p.csv", "videos/", str(tmp_path), said.append)
    assert got == ("p.csv", "videos/") and said == []
    assert not any(tmp_path.iterdir())  # nothing made


@pytest.mark.parametrize("games", [["g1"], [DEMO_GAME, "g1"]])
def test_other_games_need_plays_and_videos(tmp_path: Path, games: list[str]) -> None:
    with pytest.raises(LocalTriggerError, match=f"other than the demo game {DEMO_GAME}"):
        local_sources(games, None, "videos/", str(tmp_path), print)


def test_finalize_of_a_run_that_left_no_report_is_a_dataset_error(tmp_path: Path) -> None:
    dataset = {"shares": {"train": 1.0}, "prompt": "x", "vertex_validation": "test"}
    with pytest.raises(DatasetError, match="run 'r1' has no reports"):
        finalize_run(str(tmp_path), "r1", ["g1"], {**dataset, "max_labels": 10})
    assert not (tmp_path / "datasets").exists()


@pytest.mark.parametrize(
    ("run_code", "summary", "code"),
    [(0, {"ok": True}, 0), (1, {"ok": True}, 1), (0, {"ok": False}, 1), (0, None, 1)],
)
def test_exit_code_is_0_only_when_every_game_and_the_dataset_are_ok(
    run_code: int, summary: dict | None, code: int
) -> None:
    assert local_exit_code(run_code, summary) == code
