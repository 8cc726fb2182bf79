"""`playclips sync` reading angles from Cloud Storage (fake-gcs-server, the real client):
the same measurement as from a folder, by ranged reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from playclips.model import Game
from playclips.storage import LocalStorage
from playclips.storage.gcs import GcsStorage
from playclips.sync import open_video_root, sync_game, video_resolver
from tests.sync.games import TROUBLE, game_videos

pytestmark = pytest.mark.timeout(300)
ANGLES = ["FAR_LEFT", "NEAR_LEFT"]


def test_sync_over_gcs_measures_what_it_measures_from_a_folder(
    gcs: GcsStorage, tmp_path: Path
) -> None:
    folder = game_videos(TROUBLE, tmp_path)
    for angle in ANGLES:
        key = f"{TROUBLE.game_id}/{angle}.mp4"
        gcs.put(key, (folder / key).read_bytes(), content_type="video/mp4")
    game = Game(TROUBLE.game_id, (), {})
    over_gcs = sync_game(game, ANGLES, "FAR_LEFT", video_resolver(open_video_root(gcs.root)))
    local = sync_game(game, ANGLES, "FAR_LEFT", video_resolver(LocalStorage(str(folder))))
    measured = over_gcs.angles["NEAR_LEFT"]
    assert measured.ok, measured.refused
    assert measured.video == f"{gcs.root}/{TROUBLE.game_id}/NEAR_LEFT.mp4"
    assert measured.offset_s == pytest.approx(local.angles["NEAR_LEFT"].offset_s, abs=1e-9)
    assert measured.drift_ppm == pytest.approx(local.angles["NEAR_LEFT"].drift_ppm, abs=1e-6)
    assert abs(measured.offset_s - 4.2) <= 0.005
    assert measured.bytes_read > 0
