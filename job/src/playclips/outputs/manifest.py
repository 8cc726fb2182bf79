"""The per-game clips manifest: one JSON object per line, one line per clip.

Lines are built from the play (as the plays source has it now) and the clip's facts (as
recorded on the clip object when it was made), sorted by play start, play id and angle, and
carry nothing run-specific, so a rerun writes a byte-identical manifest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..model import Play

MANIFEST_CONTENT_TYPE = "application/x-ndjson"

# Facts about a clip that only making it can tell; stored on the clip object as metadata.
CLIP_FACTS = (
    "clip_start_s",
    "clip_end_s",
    "play_start_offset_s",
    "play_end_offset_s",
    "duration_s",
    "bytes",
    "frames",
    "video_codec",
    "width",
    "height",
    "fps",
    "mode",
)


def clip_record(
    play: Play, angle: str, uri: str, facts: dict[str, Any], note: str = ""
) -> dict[str, Any]:
    """One manifest line: the play's fields, the clip's location and its facts."""
    record: dict[str, Any] = {
        "game_id": play.game_id,
        "play_id": play.play_id,
        "angle": angle,
        "uri": uri,
        **{k: facts[k] for k in CLIP_FACTS},
        "label": play.label,
        "description": play.description,
        "play_start_s": play.start_s,
        "play_end_s": play.end_s,
        "attributes": play.attributes,
    }
    if note:
        record["note"] = note
    return record


def render_manifest(records: Iterable[dict[str, Any]]) -> bytes:
    """The JSONL bytes for a game's records, in a stable order."""
    ordered = sorted(records, key=lambda r: (r["play_start_s"], r["play_id"], r["angle"]))
    # strict JSON: a NaN would make the line unreadable to most JSON readers (ValueError)
    return "".join(json.dumps(r, sort_keys=True, allow_nan=False) + "\n" for r in ordered).encode()
