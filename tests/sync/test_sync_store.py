"""What `--write` stores for one angle: a re-sync keeps the stored mapping unless it moved."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from playclips.model import Video
from playclips.sync import AngleSync
from playclips.sync.store import sync_fields

WHEN = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
STORED = Video("g", "NEAR_LEFT", "", 4.15, 40.0, "2026-11-29T10:00:00+00:00", -0.05)


def _measured(offset_s: float, drift_ppm: float) -> AngleSync:
    return AngleSync("NEAR_LEFT", offset_s, drift_ppm, 0.9, correction_s=-0.05)


@pytest.mark.parametrize(
    ("offset_s", "drift_ppm", "kept"),
    [
        (4.15002, 40.01, True),  # 0.02 ms + 0.01 ppm x 3 h = 0.13 ms: the same mapping
        (4.1520, 40.0, False),  # 2 ms at the start
        (4.15, 40.2, False),  # 0.2 ppm x 3 h = 2.2 ms at the end
    ],
)
def test_a_resync_keeps_the_stored_mapping_unless_a_play_moves_over_1_ms(
    offset_s: float, drift_ppm: float, kept: bool
) -> None:
    fields = sync_fields(_measured(offset_s, drift_ppm), "FAR_LEFT", WHEN, STORED, 10_800.0)
    expected = (4.15, 40.0) if kept else (offset_s, drift_ppm)
    assert (fields["offset_s"], fields["drift_ppm"]) == expected
    assert fields["sync_offset_s"] == pytest.approx(expected[0] + 0.05)
    assert fields["synced_at"] == "2026-11-30T12:00:00+00:00"
    assert fields["sync_confidence"] == 0.9 and fields["sync_reference"] == "FAR_LEFT"


def test_an_angle_never_synced_takes_the_measurement() -> None:
    never = Video("g", "NEAR_LEFT", "", 4.15, 40.0)
    fields = sync_fields(_measured(4.15002, 40.01), "FAR_LEFT", WHEN, never, 10_800.0)
    assert (fields["offset_s"], fields["drift_ppm"]) == (4.15002, 40.01)
