"""The dataset finalize writes: documented formats, exact offsets, a leak-free split by game."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from playclips.cli import main
from playclips.config import DEFAULT_PROMPT
from playclips.layout import manifest_key, report_key
from playclips.model import Play
from playclips.outputs.dataset import (
    GEMINI_MAX_BYTES,
    SPLITS,
    DatasetError,
    GameInput,
    build_dataset,
    check_prompt,
    duration,
    finalize,
    parse_splits,
    split_games,
)
from playclips.outputs.manifest import clip_record, render_manifest
from playclips.storage import LocalStorage

SHARES = {"train": 0.8, "validation": 0.1, "test": 0.1}
# Durations as both formats write them: seconds, up to microsecond precision, then "s".
DURATION = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,6})?s$"}

# From "Prepare video training data for classification", JSON Lines
# (https://cloud.google.com/vertex-ai/docs/video-data/classification/prepare-data): videoGcsUri
# required; timeSegmentAnnotations[{displayName, startTime, endTime}]; dataItemResourceLabels
# with aiplatform.googleapis.com/ml_use = training | validation | test.
VERTEX_SCHEMA = {
    "type": "object",
    "required": ["videoGcsUri", "timeSegmentAnnotations", "dataItemResourceLabels"],
    "additionalProperties": False,
    "properties": {
        "videoGcsUri": {"type": "string", "pattern": r"^gs://[^/]+/.+\.mp4$"},
        "timeSegmentAnnotations": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["displayName", "startTime", "endTime"],
                "additionalProperties": False,
                "properties": {
                    "displayName": {"type": "string", "minLength": 1},
                    "startTime": DURATION,
                    "endTime": DURATION,
                },
            },
        },
        "dataItemResourceLabels": {
            "type": "object",
            "required": ["aiplatform.googleapis.com/ml_use"],
            "additionalProperties": {"type": "string"},
            "properties": {"aiplatform.googleapis.com/ml_use": {"enum": ["training", "test"]}},
        },
    },
}

# From "Video tuning", dataset format with video segments
# (https://cloud.google.com/vertex-ai/generative-ai/docs/models/tune_gemini/video_tune):
# contents[{role: user, parts: [{fileData: {fileUri, mimeType}, videoMetadata: {startOffset,
# endOffset}}, {text}]}, {role: model, parts: [{text}]}].
TEXT_PART = {
    "type": "object",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {"text": {"type": "string", "minLength": 1}},
}
GEMINI_SCHEMA = {
    "type": "object",
    "required": ["contents"],
    "additionalProperties": False,
    "properties": {
        "contents": {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "prefixItems": [
                {
                    "type": "object",
                    "required": ["role", "parts"],
                    "additionalProperties": False,
                    "properties": {
                        "role": {"const": "user"},
                        "parts": {
                            "type": "array",
                            "minItems": 2,
                            "maxItems": 2,
                            "prefixItems": [
                                {
                                    "type": "object",
                                    "required": ["fileData", "videoMetadata"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "fileData": {
                                            "type": "object",
                                            "required": ["fileUri", "mimeType"],
                                            "additionalProperties": False,
                                            "properties": {
                                                "fileUri": {"type": "string", "pattern": "^gs://"},
                                                "mimeType": {"const": "video/mp4"},
                                            },
                                        },
                                        "videoMetadata": {
                                            "type": "object",
                                            "required": ["startOffset", "endOffset"],
                                            "additionalProperties": False,
                                            "properties": {
                                                "startOffset": DURATION,
                                                "endOffset": DURATION,
                                            },
                                        },
                                    },
                                },
                                TEXT_PART,
                            ],
                        },
                    },
                },
                {
                    "type": "object",
                    "required": ["role", "parts"],
                    "additionalProperties": False,
                    "properties": {
                        "role": {"const": "model"},
                        "parts": {"type": "array", "minItems": 1, "items": TEXT_PART},
                    },
                },
            ],
        }
    },
}

# The manifest's clip record (manifest.clip_record): the fields training code relies on.
CLIP_SCHEMA = {
    "type": "object",
    "required": [
        "game_id",
        "play_id",
        "angle",
        "uri",
        "label",
        "play_start_offset_s",
        "play_end_offset_s",
        "clip_start_s",
        "clip_end_s",
        "bytes",
    ],
    "properties": {
        "play_start_offset_s": {"type": "number", "minimum": 0},
        "play_end_offset_s": {"type": "number", "exclusiveMinimum": 0},
    },
}


def record(game: str, n: int, angle: str = "FAR_LEFT", **facts: Any) -> dict[str, Any]:
    """A clip record as the pipeline writes it, with a keyframe lead-in before the play."""
    start = 10.0 * n
    lead = round(0.37 * (n % 3), 6)
    play = Play(game, f"p{n:03d}", start, start + 4.25, label=["run", "pass"][n % 2])
    base = {
        "clip_start_s": start - lead,
        "clip_end_s": start + 4.25,
        "play_start_offset_s": lead,
        "play_end_offset_s": round(lead + 4.25, 6),
        "duration_s": round(lead + 4.25, 6),
        "bytes": 2_000_000,
        "frames": 128,
        "video_codec": "h264",
        "width": 1280,
        "height": 720,
        "fps": 29.97,
        "mode": "copy",
    }
    uri = f"gs://training/clips/{game}/{angle}/{play.play_id}.mp4"
    return clip_record(play, angle, uri, {**base, **facts})


def games_with_clips(count: int, clips: int = 3) -> list[GameInput]:
    return [
        GameInput(f"g{i:03d}", "ok", records=[record(f"g{i:03d}", n) for n in range(1, clips + 1)])
        for i in range(count)
    ]


def lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines()]


def seconds(text: str) -> float:
    assert text.endswith("s")
    return float(text[:-1])


def test_files_validate_against_the_documented_formats() -> None:
    files, summary = build_dataset(games_with_clips(20), "r1", SHARES, DEFAULT_PROMPT)
    validator = jsonschema.Draft202012Validator
    for split in SPLITS:
        for line in lines(files[f"clips/{split}.jsonl"]):
            validator(CLIP_SCHEMA).validate(line)
        for line in lines(files[f"gemini/{split}.jsonl"]):
            validator(GEMINI_SCHEMA).validate(line)
    vertex = lines(files["vertex/video_classification.jsonl"])
    for line in vertex:
        validator(VERTEX_SCHEMA).validate(line)
    assert len(vertex) == 60 and sum(c["clips"] for c in summary["counts"].values()) == 60
    assert not summary["skipped"] and not summary["warnings"]


def test_every_offset_is_the_clip_records_play_offset() -> None:
    files, _ = build_dataset(games_with_clips(12, clips=6), "r1", SHARES, DEFAULT_PROMPT)
    by_uri = {r["uri"]: r for split in SPLITS for r in lines(files[f"clips/{split}.jsonl"])}
    vertex = lines(files["vertex/video_classification.jsonl"])
    assert {v["videoGcsUri"] for v in vertex} == set(by_uri)
    for line in vertex:
        clip = by_uri[line["videoGcsUri"]]
        (segment,) = line["timeSegmentAnnotations"]
        assert seconds(segment["startTime"]) == clip["play_start_offset_s"]
        assert seconds(segment["endTime"]) == clip["play_end_offset_s"]
        assert segment["displayName"] == clip["label"]
    gemini = [g for split in SPLITS for g in lines(files[f"gemini/{split}.jsonl"])]
    assert len(gemini) == len(by_uri)
    for example in gemini:
        video, text = example["contents"][0]["parts"]
        clip = by_uri[video["fileData"]["fileUri"]]
        assert seconds(video["videoMetadata"]["startOffset"]) == clip["play_start_offset_s"]
        assert seconds(video["videoMetadata"]["endOffset"]) == clip["play_end_offset_s"]
        assert video["videoMetadata"]["startOffset"] in text["text"]  # the prompt says where
        answer = json.loads(example["contents"][1]["parts"][0]["text"])
        assert answer == {"label": clip["label"], "description": clip["description"]}


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.25, "1.25s"), (0, "0s"), (4.0, "4s"), (3.6333333, "3.633333s"), (1e-7, "0s")],
)
def test_durations_are_seconds_with_microsecond_precision(value: float, text: str) -> None:
    assert duration(value) == text


def test_split_is_by_game_deterministic_and_leak_free() -> None:
    games = [f"2024-week{w:02d}-game{g}" for w in range(1, 18) for g in range(1, 4)]
    split = split_games(games, SHARES)
    shuffled = games[:]
    random.Random(3).shuffle(shuffled)
    assert split_games(shuffled, SHARES) == split
    assert split_games(reversed(games), SHARES) == split
    counts = {s: sum(1 for v in split.values() if v == s) for s in SPLITS}
    assert counts == {"train": 41, "validation": 5, "test": 5}  # floor(51 x 0.1) = 5

    inputs = [GameInput(g, "ok", records=[record(g, n) for n in (1, 2)]) for g in games]
    files, summary = build_dataset(inputs, "r1", SHARES, DEFAULT_PROMPT)
    seen: dict[str, str] = {}
    for name in SPLITS:
        for line in lines(files[f"clips/{name}.jsonl"]):
            assert seen.setdefault(line["game_id"], name) == name, "a game straddles splits"
            assert split[line["game_id"]] == name
    assert set(seen) == set(games)
    assert summary["splits"]["games"] == {
        s: sorted(g for g in games if split[g] == s) for s in SPLITS
    }
    # The Vertex file's ml_use agrees with the split of each clip's game; video datasets have
    # no validation set, so validation games are labelled test by default.
    ml_use = {"train": "training", "validation": "test", "test": "test"}
    for line in lines(files["vertex/video_classification.jsonl"]):
        game = line["videoGcsUri"].split("/")[4]
        assert (
            line["dataItemResourceLabels"]["aiplatform.googleapis.com/ml_use"]
            == ml_use[split[game]]
        )


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, (1, 0, 0)), (9, (9, 0, 0)), (10, (8, 1, 1)), (20, (16, 2, 2)), (0, (0, 0, 0))],
)
def test_small_sets_train_on_everything(count: int, expected: tuple[int, int, int]) -> None:
    split = split_games([f"g{i}" for i in range(count)], SHARES)
    assert tuple(sum(1 for v in split.values() if v == s) for s in SPLITS) == expected


def test_splits_setting_is_checked() -> None:
    assert parse_splits("0.7, 0.2, 0.1") == {"train": 0.7, "validation": 0.2, "test": 0.1}
    assert parse_splits("1,0,0")["train"] == 1
    for bad in ("0.8,0.1", "0.8,0.1,0.2", "a,b,c", "0,0.5,0.5", "1.2,-0.1,-0.1", "nan,0,0"):
        with pytest.raises(DatasetError):
            parse_splits(bad)


def test_clips_over_the_documented_limits_are_skipped_with_a_reason() -> None:
    big = record("g1", 1, bytes=GEMINI_MAX_BYTES + 1)
    long_play = record("g1", 2, play_end_offset_s=301.0, duration_s=302.0)
    unlabeled = {**record("g1", 3), "label": ""}
    fine = record("g1", 4)
    game = GameInput("g1", "ok", records=[big, long_play, unlabeled, fine])
    files, summary = build_dataset([game], "r1", SHARES, DEFAULT_PROMPT)
    gemini_uris = [
        g["contents"][0]["parts"][0]["fileData"]["fileUri"]
        for g in lines(files["gemini/train.jsonl"])
    ]
    vertex_uris = [v["videoGcsUri"] for v in lines(files["vertex/video_classification.jsonl"])]
    assert gemini_uris == [fine["uri"]]
    assert vertex_uris == [big["uri"], long_play["uri"], fine["uri"]]
    reasons = {(s["uri"], s["format"]): s["reason"] for s in summary["skipped"]}
    assert "100 MB" in reasons[(big["uri"], "gemini")]
    assert "5 minutes" in reasons[(long_play["uri"], "gemini")]
    assert "no label" in reasons[(unlabeled["uri"], "vertex")]
    assert len(lines(files["clips/train.jsonl"])) == 4  # the full records keep every clip


def test_prompt_placeholders_are_checked() -> None:
    assert check_prompt("{game_id} {angle} {start}-{end} {{json}}")
    with pytest.raises(DatasetError, match=r"\{team\}"):
        check_prompt("which {team}?")
    with pytest.raises(DatasetError, match="braces"):
        check_prompt('answer {"label": x}')
    files, _ = build_dataset(games_with_clips(1, 1), "r1", SHARES, "{game_id}/{play_id}: {labels}")
    (example,) = lines(files["gemini/train.jsonl"])
    assert example["contents"][0]["parts"][1]["text"] == "g000/p001: pass"


def write_game(out: LocalStorage, run_id: str, game: str, status: str, clips: int = 2) -> None:
    records = [record(game, n) for n in range(1, clips + 1)]
    if status != "failed":
        out.put(manifest_key(game), render_manifest(records), content_type="application/x-ndjson")
    report = {
        "run_id": run_id,
        "game_id": game,
        "status": status,
        "error": "",
        "angles": [],
        "failed": [],
    }
    if status == "failed":
        report["error"] = f"no video for FAR_LEFT: expected gs://videos/{game}/FAR_LEFT.mp4"
    if status == "partial":
        report["failed"] = [{"play_id": "p002", "angle": "NEAR_LEFT", "reason": "upload failed"}]
    out.put(report_key(run_id, game), json.dumps(report).encode(), content_type="application/json")


def test_finalize_reads_reports_and_writes_the_dataset(tmp_path: Path) -> None:
    out = LocalStorage(str(tmp_path))
    for game, status in (("g-ok", "ok"), ("g-partial", "partial"), ("g-failed", "failed")):
        write_game(out, "r7", game, status)
    # A manifest from an earlier run must not leak into this run's dataset.
    out.put(manifest_key("g-failed"), render_manifest([record("g-failed", 1)]), content_type="x")
    summary = finalize(
        out, "r7", ["g-ok", "g-partial", "g-failed", "g-missing"], SHARES, DEFAULT_PROMPT
    )
    assert summary["games"]["ok"] == ["g-ok"]
    assert [g["game_id"] for g in summary["games"]["partial"]] == ["g-partial"]
    assert "p002" in summary["games"]["partial"][0]["reason"]
    failed = {g["game_id"]: g["reason"] for g in summary["games"]["failed"]}
    assert "no video for FAR_LEFT" in failed["g-failed"]
    assert "no report for run r7" in failed["g-missing"]
    assert summary["ok"] is False
    assert summary["counts"]["train"]["clips"] == 4  # ok + partial, 2 clips each
    written = json.loads((tmp_path / "datasets" / "r7" / "summary.json").read_text())
    assert written == summary
    for uri in [*summary["files"]["clips"].values(), summary["files"]["vertex"]]:
        assert Path(uri).exists()
    assert "g-failed" not in (tmp_path / "datasets/r7/clips/train.jsonl").read_text()


def test_finalize_command_takes_the_games_from_the_workflows_env(tmp_path: Path) -> None:
    out = LocalStorage(str(tmp_path))
    write_game(out, "r8", "g1", "ok")
    env = {
        "PLAYCLIPS_OUT": str(tmp_path),
        "PLAYCLIPS_GAMES": '["g1", "g2"]',
        "PLAYCLIPS_SPLITS": "1,0,0",
    }
    result = CliRunner().invoke(main, ["finalize", "--run-id", "r8"], env=env)
    assert result.exit_code == 0, result.output  # written, though g2 failed: summary says so
    summary = json.loads((tmp_path / "datasets/r8/summary.json").read_text())
    assert summary["games"]["ok"] == ["g1"] and summary["splits"]["shares"]["train"] == 1
    assert "g2: failed" in result.output
    bad = CliRunner().invoke(main, ["finalize", "--run-id", "r8", "--splits", "1,1"], env=env)
    assert bad.exit_code == 2 and "three shares" in bad.output
