"""A game's angles and where each angle's video is.

A game's angles are its videos: the rows its plays source gives (`videos` in a plays file,
`game_videos` in Supabase), in their order, with any names (SIDELINE, END_ZONE, WIDE...);
without rows, the video files present under `{video root}/{game_id}/`, named `{ANGLE}.{ext}`.
The four default names apply only when neither says anything. `--angles` filters (and orders)
what the game has. A missing angle's error lists what was found and how to choose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..model import DEFAULT_ANGLES, Game, is_angle
from ..storage import Storage, StorageError, open_storage

# Extensions of the containers playclips reads (see media/cut.py).
VIDEO_EXTENSIONS = frozenset({"mp4", "m4v", "mov", "mkv", "webm", "ts", "m2ts", "mts"})


class AngleFailed(Exception):
    """One angle cannot be clipped; the message says why and what to do."""


@dataclass(frozen=True)
class GameVideos:
    """What the video root holds for one game, and the angles to clip."""

    game_id: str
    root: Storage
    angles: tuple[str, ...]
    files: tuple[str, ...]  # keys under {game_id}/ (video files first found there)
    from_rows: bool

    def found(self) -> str:
        """A short account of what exists, for error messages."""
        where = self.root.uri(f"{self.game_id}/")
        names = [k.rpartition("/")[2] for k in self.files]
        if not names:
            return f"no video files under {where}"
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        return f"found {shown} under {where}"

    def resolve(self, game: Game, angle: str) -> tuple[Storage, str]:
        """The storage and key of one angle's video; AngleFailed says what exists instead."""
        video = game.videos.get(angle)
        if video and video.uri:
            uri = video.uri
            if uri.startswith("gs://") or uri.startswith("/"):
                parent, _, name = uri.rstrip("/").rpartition("/")
                return open_storage(parent or "/"), name
            return self.root, uri
        matches = [k for k in self.files if _angle_of(k) == angle]
        if len(matches) == 1:
            return self.root, matches[0]
        if matches:
            names = ", ".join(k.rpartition("/")[2] for k in matches)
            raise AngleFailed(f"{len(matches)} videos for {angle} ({names}); keep one")
        have = ", ".join(self.angles_found()) or "none"
        raise AngleFailed(
            f"no video for {angle}: expected {self.root.uri(f'{self.game_id}/{angle}.mp4')}; "
            f"{self.found()} (angles: {have}); name files {{ANGLE}}.mp4, list them in the "
            "plays source's videos rows, or choose angles with --angles"
        )

    def angles_found(self) -> list[str]:
        return _ordered({a for a in (_angle_of(k) for k in self.files) if a})


def game_videos(game: Game, root: Storage, wanted: Sequence[str] | None) -> GameVideos:
    """The game's angles (filtered by `wanted` when given) and the files found for it."""
    try:
        keys = [k for k in root.list(f"{game.game_id}/") if _is_video(k)]
    except StorageError:
        keys = []
    keys.sort()
    rows = tuple(game.videos)
    if rows:
        angles: tuple[str, ...] = rows
    else:
        angles = tuple(_ordered({a for a in (_angle_of(k) for k in keys) if a})) or (DEFAULT_ANGLES)
    if wanted:
        angles = tuple(wanted)
    return GameVideos(game.game_id, root, angles, tuple(keys), bool(rows))


def _is_video(key: str) -> bool:
    name = key.rpartition("/")[2]
    return "." in name and name.rpartition(".")[2].lower() in VIDEO_EXTENSIONS


def _angle_of(key: str) -> str | None:
    stem = key.rpartition("/")[2].partition(".")[0]
    return stem if is_angle(stem) else None


def _ordered(angles: set[str]) -> list[str]:
    """The four usual names in their usual order first, then the others alphabetically."""
    rank = {a: i for i, a in enumerate(DEFAULT_ANGLES)}
    return sorted(angles, key=lambda a: (rank.get(a, len(rank)), a))
