"""model.py: the ids that become object names are checked once, here; an angle's file time
follows its offset and drift; a clip spec knows its object name."""

from __future__ import annotations

import pytest

from playclips.model import (
    ClipSpec,
    InvalidId,
    Play,
    Video,
    check_angle,
    check_id,
    is_angle,
)


@pytest.mark.parametrize("value", ["g1", "2024-09-01.home_vs_away", "A", "x" * 128])
def test_safe_ids_pass_unchanged(value: str) -> None:
    assert check_id("game", value) == value


@pytest.mark.parametrize(
    "value",
    [
        *("", "x" * 129, "-g1", ".hidden", "a/b", "a..b", "a b", "é", "g1\nx", 7, None),
        "g1\n",  # re's `$` matches before a final newline: the check must not use it
    ],
)
def test_ids_that_would_break_an_object_name_are_refused(value: object) -> None:
    with pytest.raises(InvalidId) as raised:
        check_id("play", value)
    message = str(raised.value)
    assert message.startswith("invalid play id ") and repr(value)[:50] in message
    assert "1-128 letters, digits" in message and "\n" not in message


def test_a_long_bad_id_is_quoted_shortened() -> None:
    with pytest.raises(InvalidId) as raised:
        check_id("game", "/" * 500)
    assert len(str(raised.value)) < 200 and "...'" in str(raised.value)


def test_angles_are_upper_case_names() -> None:
    for good in ("FAR_LEFT", "SIDELINE", "CAM2", "A" * 64):
        assert is_angle(good) and check_angle(good) == good
    for bad in ("far_left", "2CAM", "FAR-LEFT", "", "A" * 65, None):
        assert not is_angle(bad)
        with pytest.raises(InvalidId, match="invalid angle"):
            check_angle(bad)


def test_an_angle_with_a_final_newline_is_refused() -> None:
    assert not is_angle("FAR_LEFT\n")


def test_file_time_is_offset_plus_game_time_stretched_by_drift() -> None:
    assert Video("g1", "FAR_LEFT", "g1/FAR_LEFT.mp4").file_time(12.5) == 12.5
    shifted = Video("g1", "FAR_LEFT", "u", offset_s=-1.25)
    assert shifted.file_time(10.0) == 8.75
    fast = Video("g1", "FAR_LEFT", "u", offset_s=2.0, drift_ppm=100.0)  # 100 ppm fast
    assert fast.file_time(3600.0) == pytest.approx(2.0 + 3600.0 * 1.0001, abs=1e-9)


def test_a_clip_spec_names_its_object_after_game_angle_and_play() -> None:
    spec = ClipSpec(Play("g1", "p007", 1.0, 6.0), "NEAR_RIGHT", 3.0, 8.0)
    assert spec.key == "clips/g1/NEAR_RIGHT/p007.mp4"
