"""The domain: games, videos, plays, clip specs and what became of them.

Everything here is plain data. Identifiers that end up in object names (game, play, angle) are
checked here, once, so that a bad id is rejected before any path or object name is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .layout import clip_key

DEFAULT_ANGLES: tuple[str, ...] = ("FAR_LEFT", "NEAR_LEFT", "FAR_RIGHT", "NEAR_RIGHT")

# Ids become object names (clips/{game}/{angle}/{play}.mp4): letters, digits, '_', '-', '.',
# starting with a letter or digit, at most 128 characters. This excludes '/', '..', spaces
# and anything a shell or URL would need to quote.
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}"
_ID_RE = re.compile(ID_PATTERN)  # used with fullmatch: `$` would let a final "\n" through
ANGLE_PATTERN = r"[A-Z][A-Z0-9_]{0,63}"
_ANGLE_RE = re.compile(ANGLE_PATTERN)


class InvalidId(ValueError):
    """An id that cannot be used in an object name."""


def check_id(kind: str, value: object) -> str:
    """Return `value` if it is a safe id, else raise InvalidId naming the kind and the rule."""
    text = value if isinstance(value, str) else ""
    if not _ID_RE.fullmatch(text) or ".." in text:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "...'"
        raise InvalidId(
            f"invalid {kind} id {shown}: use 1-128 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit, with no '..' or '/'"
        )
    return text


def is_angle(value: object) -> bool:
    """Whether `value` is a valid angle name (upper case, e.g. FAR_LEFT)."""
    return isinstance(value, str) and bool(_ANGLE_RE.fullmatch(value))


def check_angle(value: object) -> str:
    """Return `value` if it is a valid angle name (upper case, e.g. FAR_LEFT), else raise."""
    if not is_angle(value):
        raise InvalidId(f"invalid angle {value!r}: use upper-case letters, digits and '_'")
    return str(value)


@dataclass(frozen=True)
class Play:
    """One play on the game's reference timeline, in seconds."""

    game_id: str
    play_id: str
    start_s: float
    end_s: float
    label: str = ""
    description: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Video:
    """One angle of a game: where its file is and how its timeline maps onto the game's.

    `uri` is absolute (gs://..., /path) or relative to the video root. Time in the file is
    `offset_s + game time * (1 + drift_ppm / 1e6)`: `drift_ppm` is how much faster this
    camera's clock runs than the game's reference clock (0 = same clock). `synced_at` is when
    `playclips sync` last measured them (None: never); `offset_correction_s` is a hand-set
    correction that sync adds to the offset it measures from the audio (and never changes).
    """

    game_id: str
    angle: str
    uri: str
    offset_s: float = 0.0
    drift_ppm: float = 0.0
    synced_at: str | None = None
    offset_correction_s: float = 0.0
    sync_confidence: float | None = None  # how sure the last sync was (0-1); None: never synced

    def file_time(self, game_s: float) -> float:
        """Where game time `game_s` falls in this angle's file, in seconds."""
        return self.offset_s + game_s * (1.0 + self.drift_ppm / 1e6)


@dataclass(frozen=True)
class PlayIssue:
    """A play (or a row that should have been one) that was skipped, and why."""

    play_id: str
    reason: str
    angle: str | None = None


@dataclass(frozen=True)
class Game:
    """Everything a plays source knows about one game."""

    game_id: str
    plays: tuple[Play, ...]
    videos: dict[str, Video]
    issues: tuple[PlayIssue, ...] = ()


@dataclass(frozen=True)
class ClipSpec:
    """One clip to make: a play on one angle, with times on that angle's file timeline."""

    play: Play
    angle: str
    start_s: float
    end_s: float

    @property
    def key(self) -> str:
        """The clip's object name below the output root."""
        return clip_key(self.play.game_id, self.angle, self.play.play_id)


@dataclass(frozen=True)
class VideoInfo:
    """What a probe of one angle's container found."""

    duration_s: float
    video_codec: str
    width: int
    height: int
    fps: float
    audio_streams: int
    skipped_streams: tuple[str, ...] = ()
