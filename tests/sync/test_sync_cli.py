"""`playclips sync` end to end on a plays file, and `run --require-sync`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from playclips.cli import main

from .games import TROUBLE, game_videos

pytestmark = pytest.mark.timeout(300)
ANGLES = "FAR_LEFT,NEAR_LEFT,FAR_RIGHT"


@pytest.fixture
def new_game(tmp_path: Path) -> tuple[Path, Path]:
    """A new game: plays pushed, one hand-made video row with a correction, nothing synced."""
    videos = game_videos(TROUBLE, tmp_path / "videos")
    plays = tmp_path / "plays.json"
    plays.write_text(
        json.dumps(
            {
                "plays": [{"game_id": "trouble", "play_id": "p1", "start_s": 150, "end_s": 158}],
                "videos": [
                    {
                        "game_id": "trouble",
                        "angle": "NEAR_LEFT",
                        "uri": "trouble/NEAR_LEFT.mp4",
                        "offset_correction_s": -0.05,
                        "camera": "kept as it is",
                    }
                ],
            }
        )
    )
    return plays, videos


def _sync(plays: Path, videos: Path, *extra: str):
    args = ["sync", "trouble", "--plays", str(plays), "--videos", str(videos), "--angles", ANGLES]
    return CliRunner().invoke(main, [*args, *extra])


def test_write_stores_what_was_measured_and_keeps_the_correction(new_game) -> None:
    plays, videos = new_game
    first = _sync(plays, videos, "--write", "--json")
    assert first.exit_code == 1  # FAR_RIGHT is silent
    assert "FAR_RIGHT: not synced: its audio is silent" in first.stderr
    out = json.loads(first.stdout)
    assert list(out) == ["reference", "angles"] and out["reference"] == "FAR_LEFT"
    assert list(out["angles"]) == ANGLES.split(",")
    assert out["angles"]["FAR_RIGHT"]["offset_s"] is None
    near = out["angles"]["NEAR_LEFT"]
    assert abs(near["offset_s"] - (4.2 - 0.05)) <= 0.005
    assert abs(near["drift_ppm"] + 40.0) <= 2.0
    rows = {r["angle"]: r for r in json.loads(plays.read_text())["videos"]}
    assert set(rows) == {"FAR_LEFT", "NEAR_LEFT"}  # the refused angle is not stored
    assert rows["NEAR_LEFT"]["offset_correction_s"] == -0.05
    assert rows["NEAR_LEFT"]["camera"] == "kept as it is"
    assert rows["NEAR_LEFT"]["offset_s"] == pytest.approx(rows["NEAR_LEFT"]["sync_offset_s"] - 0.05)
    assert rows["NEAR_LEFT"]["sync_reference"] == "FAR_LEFT"
    assert rows["NEAR_LEFT"]["synced_at"].endswith("+00:00")
    assert rows["FAR_LEFT"]["offset_s"] == 0 and rows["FAR_LEFT"]["uri"] == "trouble/FAR_LEFT.mp4"
    # Syncing again measures from the audio again: the correction is not added twice.
    second = _sync(plays, videos, "--write", "--angles", "FAR_LEFT,NEAR_LEFT")
    assert second.exit_code == 0, second.output
    again = {r["angle"]: r for r in json.loads(plays.read_text())["videos"]}["NEAR_LEFT"]
    # ...and a result within 1 ms of the stored one keeps it, so no clip is remade for nothing.
    assert (again["offset_s"], again["drift_ppm"]) == (
        rows["NEAR_LEFT"]["offset_s"],
        rows["NEAR_LEFT"]["drift_ppm"],
    )
    assert again["synced_at"] >= rows["NEAR_LEFT"]["synced_at"]
    assert again["offset_correction_s"] == -0.05
    assert "NEAR_LEFT" in second.stdout and "per metre" in second.stdout


def test_write_refuses_a_csv_plays_file_before_measuring(tmp_path: Path) -> None:
    plays = tmp_path / "plays.csv"
    plays.write_text("game_id,play_id,start_s,end_s\ng,p,1,2\n")
    result = CliRunner().invoke(
        main, ["sync", "g", "--plays", str(plays), "--videos", str(tmp_path), "--write"]
    )
    assert result.exit_code == 2
    assert "CSV plays file, which has no video rows" in result.output


def test_run_require_sync_warns_about_angles_never_synced(new_game, tmp_path: Path) -> None:
    plays, videos = new_game
    args = ["run", "trouble", "--plays", str(plays), "--videos", str(videos)]
    args += ["--out", str(tmp_path / "out"), "--angles", "FAR_LEFT,NEAR_LEFT", "--log-format"]
    result = CliRunner().invoke(main, [*args, "text", "--require-sync"])
    assert result.exit_code == 0, result.output
    assert "warning: trouble: FAR_LEFT, NEAR_LEFT never synced" in result.stderr
    quiet = CliRunner().invoke(main, [*args, "text"])
    assert "never synced" not in quiet.stderr


def test_a_bad_reference_is_a_usage_error(tmp_path: Path) -> None:
    plays = tmp_path / "plays.json"
    plays.write_text('{"plays": []}')
    args = ["sync", "g", "--plays", str(plays), "--videos", str(tmp_path), "--reference", "x y"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "--reference: invalid angle 'x y'" in result.output


def test_without_numpy_sync_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The job image has no numpy (sync is a person's command, run where they are).
    for name in [m for m in sys.modules if m.startswith("playclips.sync")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "numpy", None)
    plays = tmp_path / "plays.json"
    plays.write_text('{"plays": []}')
    result = CliRunner().invoke(
        main, ["sync", "g", "--plays", str(plays), "--videos", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "playclips sync needs numpy: pip install 'playclips[sync]'" in result.output
