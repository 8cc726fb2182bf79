"""Offsets and drifts measured on a generated 10-minute, 4-angle game against the truth."""

from __future__ import annotations

import pytest

from playclips.model import Game, Video
from playclips.storage import LocalStorage
from playclips.sync import sync_game, video_resolver

from .games import TEN_MINUTES, game_videos

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory):
    root = game_videos(TEN_MINUTES, tmp_path_factory.mktemp("videos"))
    ref = TEN_MINUTES.cameras[0]
    # The reference's row holds its (true) offset; the others have no row yet.
    game = Game(
        TEN_MINUTES.game_id, (), {ref.angle: Video(TEN_MINUTES.game_id, ref.angle, "", 1.5)}
    )
    angles = [c.angle for c in TEN_MINUTES.cameras]
    return sync_game(game, angles, ref.angle, video_resolver(LocalStorage(str(root))))


@pytest.mark.parametrize("camera", TEN_MINUTES.cameras[1:], ids=lambda c: c.angle)
def test_offset_within_5_ms_and_drift_within_2_ppm(measured, camera) -> None:
    result = measured.angles[camera.angle]
    assert result.ok, result.refused
    assert abs(result.offset_s - camera.offset_s) <= 0.005
    assert abs(result.drift_ppm - camera.drift_ppm) <= 2.0
    assert result.confidence >= 0.9
    assert result.windows_agreeing >= 8


@pytest.mark.parametrize("camera", TEN_MINUTES.cameras[1:], ids=lambda c: c.angle)
def test_a_play_in_the_last_minute_lands_within_half_a_frame(measured, camera) -> None:
    result = measured.angles[camera.angle]
    predicted = Video("g", camera.angle, "", result.offset_s, result.drift_ppm)
    truth = Video("g", camera.angle, "", camera.offset_s, camera.drift_ppm)
    for t in (TEN_MINUTES.duration_s - 60, TEN_MINUTES.duration_s - 31):
        assert abs(predicted.file_time(t) - truth.file_time(t)) <= 0.5 / 60


def test_the_reference_keeps_its_row_and_the_json_has_the_documented_shape(measured) -> None:
    data = measured.to_json()
    assert list(data) == ["reference", "angles"] and data["reference"] == "FAR_LEFT"
    assert data["angles"]["FAR_LEFT"] == {"offset_s": 1.5, "drift_ppm": 0.0, "confidence": 1.0}
    for values in data["angles"].values():
        assert set(values) == {"offset_s", "drift_ppm", "confidence"}


def test_only_a_small_share_of_each_video_is_read(measured) -> None:
    for result in measured.angles.values():
        # A 10-minute file of little but audio: the 70 s search and nine 10 s windows are
        # ~27% of its audio (31% read, with the index and the demuxer's reads around seeks).
        assert 0 < result.bytes_read < 0.4 * result.video_bytes, result
