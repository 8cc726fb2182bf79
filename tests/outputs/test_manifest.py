"""outputs/manifest.py: one strict JSON line per clip, in a stable order, so a rerun writes the
same bytes."""

from __future__ import annotations

import json
import math

import pytest

from playclips.model import Play
from playclips.outputs.manifest import CLIP_FACTS, clip_record, render_manifest

FACTS = {
    "clip_start_s": 9.5,
    "clip_end_s": 16.0,
    "play_start_offset_s": 0.5,
    "play_end_offset_s": 6.0,
    "duration_s": 6.5,
    "bytes": 123_456,
    "frames": 195,
    "video_codec": "h264",
    "width": 320,
    "height": 240,
    "fps": 30.0,
    "mode": "copy",
}


def _play(play_id: str, start_s: float, **kw: object) -> Play:
    return Play("g1", play_id, start_s, start_s + 5.5, **kw)  # type: ignore[arg-type]


def _record(play_id: str, start_s: float, angle: str, note: str = "") -> dict:
    uri = f"clips/g1/{angle}/{play_id}.mp4"
    return clip_record(_play(play_id, start_s), angle, uri, FACTS, note)


def test_a_record_holds_the_play_the_clip_and_every_fact() -> None:
    play = _play("p7", 10.0, label="pass", description="deep left", attributes={"q": 2})
    record = clip_record(play, "FAR_LEFT", "gs://b/clips/g1/FAR_LEFT/p7.mp4", FACTS)
    assert record == {
        "game_id": "g1",
        "play_id": "p7",
        "angle": "FAR_LEFT",
        "uri": "gs://b/clips/g1/FAR_LEFT/p7.mp4",
        **FACTS,
        "label": "pass",
        "description": "deep left",
        "play_start_s": 10.0,
        "play_end_s": 15.5,
        "attributes": {"q": 2},
    }
    assert "note" not in record
    assert clip_record(play, "FAR_LEFT", "u", FACTS, note="cut short")["note"] == "cut short"
    with pytest.raises(KeyError, match="frames"):  # a clip without its facts is no record
        clip_record(play, "FAR_LEFT", "u", {k: FACTS[k] for k in CLIP_FACTS if k != "frames"})


def test_lines_come_by_play_start_then_play_then_angle_whatever_the_input_order() -> None:
    records = [
        _record("p2", 20.0, "NEAR_LEFT"),
        _record("p2", 20.0, "FAR_LEFT"),
        _record("b", 5.0, "FAR_LEFT"),
        _record("a", 5.0, "FAR_LEFT", note="starts before the angle's first frame"),
    ]
    data = render_manifest(records)
    assert data == render_manifest(reversed(records))
    lines = data.decode().splitlines()
    assert data.endswith(b"\n") and len(lines) == 4
    parsed = [json.loads(line) for line in lines]
    assert [(r["play_id"], r["angle"]) for r in parsed] == [
        ("a", "FAR_LEFT"),
        ("b", "FAR_LEFT"),
        ("p2", "FAR_LEFT"),
        ("p2", "NEAR_LEFT"),
    ]
    assert parsed[0] == records[3]  # a line reads back as the record it was made from
    assert lines[0].index('"angle"') < lines[0].index('"uri"')  # keys sorted: byte-stable


def test_a_value_that_is_not_json_fails_rather_than_writing_an_unreadable_line() -> None:
    record = _record("p1", 1.0, "FAR_LEFT")
    record["fps"] = math.nan
    with pytest.raises(ValueError):
        render_manifest([record])
