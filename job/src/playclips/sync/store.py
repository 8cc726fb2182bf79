"""Store what sync measured where the plays come from: a JSON plays file or game_videos.

Per angle that was measured (and for the reference, which keeps its offset and drift): offset_s,
drift_ppm, sync_offset_s (from the audio alone), sync_confidence, sync_reference and synced_at
(UTC, ISO 8601). offset_correction_s, the hand-set correction, is never written: offset_s is
sync_offset_s + offset_correction_s. Refused angles are not written at all. A re-sync that
agrees with the stored values within SAME_WITHIN_S keeps them, so the clips made stay valid.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..model import Game, Video
from ..plays import PlaysError
from . import AngleSync, GameSync

# A new measurement that moves no play of the game by more than this leaves the stored offset
# and drift as they are: a re-sync differs in the microseconds, and any change to an angle's
# mapping remakes all of its clips (the clip spec's hash covers the play's times).
SAME_WITHIN_S = 0.001


def sync_fields(
    result: AngleSync,
    reference: str,
    when: datetime,
    stored: Video | None = None,
    duration_s: float = 0.0,
) -> dict[str, Any]:
    """The video-row fields sync writes for one angle (`stored`: its row as read;
    `duration_s`: the game's length, over which a new drift would move plays)."""
    assert result.offset_s is not None and result.drift_ppm is not None
    offset, drift = result.offset_s, result.drift_ppm
    if stored is not None and stored.synced_at:
        moved = abs(offset - stored.offset_s)
        moved += abs(drift - stored.drift_ppm) / 1e6 * duration_s
        if moved <= SAME_WITHIN_S:
            offset, drift = stored.offset_s, stored.drift_ppm
    return {
        "offset_s": round(offset, 6),
        "drift_ppm": round(drift, 4),
        "sync_offset_s": round(offset - result.correction_s, 6),
        "sync_confidence": round(result.confidence, 3),
        "sync_reference": reference,
        "synced_at": when.astimezone(UTC).isoformat(timespec="seconds"),
    }


def write_local(path: str, game: Game, result: GameSync, when: datetime | None = None) -> list[str]:
    """Update (or add) the game's rows in the JSON plays file's `videos`; return the angles
    written. The file is replaced atomically; everything else in it is kept as it was."""
    file = Path(path)
    if file.suffix.lower() != ".json":
        raise PlaysError(
            f"sync --write: {path} is a CSV plays file, which has no video rows to store "
            'offsets in; convert it to JSON: {"plays": [...], "videos": [...]}'
        )
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise PlaysError(f"sync --write: cannot read {path}: {exc}") from None
    if isinstance(data, list):
        data = {"plays": data, "videos": []}
    videos = data.setdefault("videos", [])
    when = when or datetime.now(UTC)
    written = []
    for angle, measured in result.angles.items():
        if not measured.ok:
            continue
        fields = sync_fields(
            measured, result.reference, when, game.videos.get(angle), result.duration_s
        )
        row = next(
            (
                r
                for r in videos
                if isinstance(r, dict)
                and str(r.get("game_id")) == game.game_id
                and r.get("angle") == angle
            ),
            None,
        )
        if row is None:
            row = {"game_id": game.game_id, "angle": angle, "uri": measured.key}
            videos.append(row)
        row.update(fields)
        written.append(angle)
    _replace(file, (json.dumps(data, indent=2) + "\n").encode())
    return written


def _replace(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_supabase(
    source: Any, game: Game, result: GameSync, when: datetime | None = None
) -> list[str]:
    """Update (or insert) the game's game_videos rows through the Supabase plays source's
    client; return the angles written. Raises PlaysError naming the table and what failed."""
    when = when or datetime.now(UTC)
    written = []
    for angle, measured in result.angles.items():
        if not measured.ok:
            continue
        source.save_video_fields(
            game.game_id,
            angle,
            sync_fields(
                measured, result.reference, when, game.videos.get(angle), result.duration_s
            ),
            measured.key,
        )
        written.append(angle)
    return written
