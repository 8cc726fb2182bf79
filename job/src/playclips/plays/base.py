"""The plays-source contract: one call that returns everything known about a game."""

from __future__ import annotations

import math
from typing import Any, Protocol

from ..model import Game, InvalidId, Play, PlayIssue, Video, check_angle, check_id


class PlaysError(Exception):
    """The plays source as a whole cannot be used (bad file, bad key, unreachable)."""


class UnknownGame(PlaysError):
    """The source has no plays for the game."""


class PlaysSource(Protocol):
    """Where plays and per-angle video locations come from."""

    def load_game(self, game_id: str) -> Game: ...


REQUIRED_PLAY_FIELDS = ("game_id", "play_id", "start_s", "end_s")
KNOWN_PLAY_FIELDS = (*REQUIRED_PLAY_FIELDS, "label", "description", "attributes")


def _seconds(row: dict[str, Any], name: str) -> float:
    value = row.get(name)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a number of seconds") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} {value!r} is not a finite number of seconds")
    return number


def play_from_row(row: dict[str, Any]) -> Play | PlayIssue:
    """Turn one source row into a Play, or a PlayIssue saying what is wrong with it.

    Fields other than the known ones are kept as the play's attributes.
    """
    raw_id = row.get("play_id")
    shown_id = str(raw_id) if raw_id not in (None, "") else "(no play_id)"
    try:
        play_id = check_id("play", str(raw_id) if isinstance(raw_id, int) else raw_id)
        start_s = _seconds(row, "start_s")
        end_s = _seconds(row, "end_s")
    except (InvalidId, ValueError) as exc:
        return PlayIssue(play_id=shown_id[:80], reason=str(exc))
    attributes = dict(row.get("attributes") or {})
    attributes.update({k: v for k, v in row.items() if k not in KNOWN_PLAY_FIELDS})
    return Play(
        game_id=str(row["game_id"]),
        play_id=play_id,
        start_s=start_s,
        end_s=end_s,
        label="" if row.get("label") is None else str(row["label"]),
        description="" if row.get("description") is None else str(row["description"]),
        attributes=attributes,
    )


def video_from_row(game_id: str, row: dict[str, Any]) -> Video:
    """Turn one video row (plays file `videos` entry or `game_videos` row) into a Video.

    `offset_s`, `drift_ppm` and `offset_correction_s` default to 0 when absent or null.
    Raises InvalidId or ValueError naming the bad field.
    """
    angle = check_angle(row.get("angle"))
    offset, drift, correction = (
        _number(row, name) for name in ("offset_s", "drift_ppm", "offset_correction_s")
    )
    synced = row.get("synced_at")
    return Video(
        game_id,
        angle,
        str(row.get("uri") or ""),
        offset,
        drift,
        str(synced) if synced not in (None, "") else None,
        correction,
    )


def _number(row: dict[str, Any], name: str) -> float:
    """A finite number field; absent, null or empty means 0."""
    value = row.get(name)
    if value in (None, ""):
        return 0.0
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} {value!r} is not a finite number")
    return number
