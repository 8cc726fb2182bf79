"""Plays (and optional per-angle video rows) from a local CSV or JSON file.

CSV: a header row with at least `game_id, play_id, start_s, end_s` (usually `label` too);
`description` is optional and any other column is kept in the play's attributes.

JSON: either a list of play rows with the same fields, or an object
`{"plays": [...], "videos": [{"game_id", "angle", "uri", "offset_s"}, ...]}` where a video row
sets an angle's file (relative to the video root, or absolute) and its time offset; optional
`drift_ppm` and the fields `playclips sync` writes are read by plays.base.video_from_row.
Angles without a video row are looked up as `{game_id}/{ANGLE}.*` below the video root.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ..model import Game, InvalidId, Play, PlayIssue, Video
from .base import REQUIRED_PLAY_FIELDS, PlaysError, UnknownGame, play_from_row, video_from_row


class LocalPlaysFile:
    """A plays file read once; `load_game` slices it by game."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._plays, self._videos = _read(Path(path))

    def game_ids(self) -> list[str]:
        """Every game id that has plays in the file, in first-seen order."""
        return list(dict.fromkeys(str(r.get("game_id")) for r in self._plays))

    def load_game(self, game_id: str) -> Game:
        rows = [r for r in self._plays if str(r.get("game_id")) == game_id]
        if not rows:
            known = ", ".join(self.game_ids()[:10]) or "none"
            raise UnknownGame(
                f"no plays for game {game_id!r} in {self.path} (games in the file: {known})"
            )
        plays: list[Play] = []
        issues: list[PlayIssue] = []
        for row in rows:
            item = play_from_row(row)
            (plays if isinstance(item, Play) else issues).append(item)  # type: ignore[arg-type]
        videos: dict[str, Video] = {}
        for row in self._videos:
            if str(row.get("game_id")) != game_id:
                continue
            try:
                video = video_from_row(game_id, row)
            except (InvalidId, TypeError, ValueError) as exc:
                raise PlaysError(f"{self.path}: bad video row {row!r}: {exc}") from None
            videos[video.angle] = video
        return Game(game_id, tuple(plays), videos, tuple(issues))


def _read(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not path.is_file():
        raise PlaysError(f"plays file {path} does not exist")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        plays, videos = _parse_json(path, text)
    else:
        plays, videos = _parse_csv(path, text), []
    return plays, videos


def _parse_csv(path: Path, text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(text.splitlines())
    _require_columns(path, reader.fieldnames or [])
    rows = []
    for row in reader:
        rows.append({k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items()})
    return rows


def _parse_json(path: Path, text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PlaysError(f"plays file {path} is not valid JSON: {exc}") from None
    if isinstance(data, dict):
        plays, videos = data.get("plays"), data.get("videos", [])
    else:
        plays, videos = data, []
    if not isinstance(plays, list) or not all(isinstance(r, dict) for r in plays):
        raise PlaysError(
            f'plays file {path}: expected a list of play objects or {{"plays": [...]}}'
        )
    if not isinstance(videos, list) or not all(isinstance(r, dict) for r in videos):
        raise PlaysError(f'plays file {path}: "videos" must be a list of objects')
    fields: set[str] = set().union(*(r.keys() for r in plays)) if plays else set()
    missing = [f for f in REQUIRED_PLAY_FIELDS if plays and not all(f in r for r in plays)]
    if missing or (plays and not fields):
        raise PlaysError(
            f"plays file {path}: every play needs {', '.join(REQUIRED_PLAY_FIELDS)}; "
            f"missing in some rows: {', '.join(missing)}"
        )
    return plays, videos


def _require_columns(path: Path, columns: list[str]) -> None:
    present = {c.strip() for c in columns}
    missing = [c for c in REQUIRED_PLAY_FIELDS if c not in present]
    if missing:
        raise PlaysError(
            f"plays file {path} lacks column(s) {', '.join(missing)}; "
            f"the header must include {', '.join(REQUIRED_PLAY_FIELDS)} (and usually label)"
        )
