"""run/runner.py: many games in order, failures kept per game, the run page on request,
and a clean stop on SIGTERM. Real plays files and output folders; no video is needed."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from playclips.clipping.job import NoEvents
from playclips.config import Settings
from playclips.layout import index_key, report_key
from playclips.outputs.report import GameReport
from playclips.run.runner import PlaysUnusable, run_games


class Recorder(NoEvents):
    """A Display that keeps the reports it is given (and can act when a game ends)."""

    def __init__(self, on_game_done: object = None) -> None:
        self.games: list[GameReport] = []
        self.closed = False
        self.on_game_done = on_game_done

    def game_done(self, report: GameReport) -> None:
        self.games.append(report)
        if callable(self.on_game_done):
            self.on_game_done()

    def close(self) -> None:
        self.closed = True


def _settings(tmp_path: Path, plays: Path) -> Settings:
    (tmp_path / "videos").mkdir(exist_ok=True)
    return Settings(
        plays=str(plays), videos=str(tmp_path / "videos"), out=str(tmp_path / "out"), run_id="r1"
    )


def _plays_file(tmp_path: Path) -> Path:
    path = tmp_path / "plays.csv"
    path.write_text("game_id,play_id,start_s,end_s\nknown,p1,1,2\n", encoding="utf-8")
    return path


def _report(tmp_path: Path, game: str) -> dict:
    return json.loads((tmp_path / "out" / report_key("r1", game)).read_text())


def test_each_game_gets_its_report_in_the_order_given_and_one_failure_stays_its_own(
    tmp_path: Path,
) -> None:
    display = Recorder()
    games = ["nope", "known", "bad/id"]
    reports = run_games(_settings(tmp_path, _plays_file(tmp_path)), games, display)
    assert [r.game_id for r in reports] == ["nope", "known", "bad/id"]
    assert [r.game_id for r in display.games] == games
    assert all(r.status == "failed" for r in reports)  # no video for `known` either
    assert "nope" in reports[0].error
    assert _report(tmp_path, "nope")["status"] == "failed"
    assert _report(tmp_path, "known")["status"] == "failed"
    assert not (tmp_path / "out" / "reports" / "r1" / "bad").exists()  # never a path from an id
    assert not (tmp_path / "out" / index_key("r1")).exists()  # the caller did not ask for it


def test_the_run_page_is_written_when_the_caller_asks(tmp_path: Path) -> None:
    run_games(_settings(tmp_path, _plays_file(tmp_path)), ["nope"], Recorder(), write_index=True)
    page = (tmp_path / "out" / index_key("r1")).read_text()
    assert 'id="nope"' in page


@pytest.mark.parametrize("write_index", [False, True])
def test_an_unusable_plays_file_fails_every_game_before_any_starts(
    tmp_path: Path, write_index: bool
) -> None:
    display = Recorder()
    settings = _settings(tmp_path, tmp_path / "missing.csv")
    with pytest.raises(PlaysUnusable) as caught:
        run_games(settings, ["g1", "g2"], display, write_index=write_index)
    assert "missing.csv" in str(caught.value)
    assert [r.game_id for r in caught.value.reports] == ["g1", "g2"]
    assert display.games == []  # no game started
    assert _report(tmp_path, "g2")["error"] == caught.value.reports[1].error
    assert (tmp_path / "out" / index_key("r1")).exists() == write_index


def test_sigterm_lets_the_current_game_finish_and_starts_no_other(tmp_path: Path) -> None:
    previous = signal.getsignal(signal.SIGTERM)
    display = Recorder(on_game_done=lambda: os.kill(os.getpid(), signal.SIGTERM))
    reports = run_games(_settings(tmp_path, _plays_file(tmp_path)), ["a", "b", "c"], display)
    assert [r.status for r in reports] == ["failed", "interrupted", "interrupted"]
    assert reports[1].error == "not started: the run was stopped (SIGTERM); run it again to finish"
    assert _report(tmp_path, "c")["status"] == "interrupted"
    assert signal.getsignal(signal.SIGTERM) == previous  # the handler is put back
