"""Angles whose audio cannot be used are refused, each with its reason; the others sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from playclips.model import Game
from playclips.storage import LocalStorage
from playclips.sync import sync_game, video_resolver

from .games import ONE_EVENT, TROUBLE, game_videos

pytestmark = pytest.mark.timeout(300)


def _sync(game, tmp: Path, reference: str, angles: list[str] | None = None):
    root = game_videos(game, tmp)
    angles = angles or [c.angle for c in game.cameras]
    empty = Game(game.game_id, (), {})
    return sync_game(empty, angles, reference, video_resolver(LocalStorage(str(root))))


@pytest.fixture(scope="module")
def trouble(tmp_path_factory: pytest.TempPathFactory):
    return _sync(TROUBLE, tmp_path_factory.mktemp("videos"), "FAR_LEFT", [
        *(c.angle for c in TROUBLE.cameras), "MISSING"
    ])  # fmt: skip


def test_the_good_angle_still_syncs(trouble) -> None:
    good = trouble.angles["NEAR_LEFT"]
    assert good.ok, good.refused
    assert abs(good.offset_s - 4.2) <= 0.005 and abs(good.drift_ppm + 40.0) <= 2.0


@pytest.mark.parametrize(
    ("angle", "reason"),
    [
        ("FAR_RIGHT", "its audio is silent"),
        ("NEAR_RIGHT", "has no audio stream"),
        ("SIDELINE", "no sound in common with the reference within +/-30 s"),
        ("MISSING", "no video for MISSING: expected"),
    ],
)
def test_each_useless_angle_is_refused_with_its_reason(trouble, angle: str, reason: str) -> None:
    result = trouble.angles[angle]
    assert not result.ok and reason in result.refused, result.refused
    assert "\n" not in result.refused
    assert result.confidence < 0.6
    assert not trouble.ok


def test_a_single_loud_event_gives_no_drift(tmp_path: Path) -> None:
    result = _sync(ONE_EVENT, tmp_path, "FAR_LEFT").angles["NEAR_LEFT"]
    assert not result.ok
    assert "only 1 of" in result.refused and "the drift cannot be measured" in result.refused


def test_a_reference_without_audio_refuses_every_angle(tmp_path: Path) -> None:
    result = _sync(TROUBLE, tmp_path, "NEAR_RIGHT", ["NEAR_RIGHT", "FAR_LEFT", "NEAR_LEFT"])
    assert [a.ok for a in result.angles.values()] == [False, False, False]
    assert "has no audio stream" in result.angles["NEAR_RIGHT"].refused
    assert result.angles["FAR_LEFT"].refused.startswith("the reference NEAR_RIGHT cannot be used: ")
