"""A run's training dataset: its games split by game, written in three formats.

`playclips finalize` reads each game's manifest (manifests/{game}/clips.jsonl) and this run's
report (reports/{run_id}/{game}.json) and writes, below datasets/{run_id}/:

    clips/{train,validation,test}.jsonl     the full clip records (manifest lines)
    vertex/video_classification.jsonl       Vertex AI video classification import, every split,
                                            each line labelled with its ml_use
    gemini/{train,validation,test}.jsonl    Gemini supervised tuning examples
    summary.json                            games ok / partial / failed (with reasons), counts
                                            per split, what was skipped and why, file URIs

summary.json is written last: when it exists, the rest of the dataset does. Everything is
rewritten whole on every finalize, so finalize is safe to run again.

The split is by game, so a game's clips never straddle splits (clips of one game, let alone the
four angles of one play, are near-duplicates: spread over splits they would leak). Games are
ranked by the SHA-256 of their id; the first floor(n x test share) go to test, the next
floor(n x validation share) to validation and the rest to train. The split so depends only on
the set of games, never their order, and a run with fewer games than a held-out split needs
for one game (under 10 at 0.1) trains on all of them.

Vertex AI video datasets use only the training and test sets ("The validation set is not used
for video data sets", https://cloud.google.com/vertex-ai/docs/general/ml-use), so the Vertex AI
file labels no clip `validation`: the validation games' clips go to `test` (the default) or to
`training`, as the user chooses. The clip records and the Gemini files keep all three splits.

The `{labels}` placeholder of the Gemini prompt repeats every distinct label in every example,
so the number of labels it may list is capped (PROMPT_MAX_LABELS by default): past the cap
finalize refuses with a clear error instead of writing a file that grows as labels x clips.
"""

from __future__ import annotations

import hashlib
import json
import math
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..layout import dataset_key, manifest_key, report_key
from ..storage import NotFound, Storage, StorageError
from .index_page import write_run_index
from .manifest import MANIFEST_CONTENT_TYPE

SPLITS = ("train", "validation", "test")
# Vertex AI's ml_use values for our split names. Video datasets take only training and test.
ML_USE = {"train": "training", "test": "test"}
ML_USE_KEY = "aiplatform.googleapis.com/ml_use"
# Where the validation games' clips may go in the Vertex AI file (--vertex-validation).
VERTEX_VALIDATION_CHOICES = ("test", "train")
DEFAULT_VERTEX_VALIDATION = "test"
# Distinct labels the prompt's {labels} may list (--prompt-max-labels).
PROMPT_MAX_LABELS = 200
# Fields a manifest line must have for the dataset, and what each must be.
_RECORD_FIELDS: dict[str, type | tuple[type, ...]] = {
    "game_id": str,
    "play_id": str,
    "angle": str,
    "uri": str,
    "play_start_offset_s": (int, float),
    "play_end_offset_s": (int, float),
}

# Limits, from the pages cited where each format is built.
VERTEX_MAX_BYTES = 50 * 10**9  # 50 GB per video
VERTEX_MAX_SECONDS = 3 * 3600  # up to 3 hours per video
GEMINI_MAX_BYTES = 100 * 10**6  # 100 MB per video file
# 5 minutes per example at MEDIA_RESOLUTION_MEDIUM/HIGH (20 at LOW). The files set no
# mediaResolution, so the stricter limit applies.
GEMINI_MAX_SECONDS = 5 * 60
VIDEO_MIME_TYPE = "video/mp4"

PROMPT_FIELDS = ("game_id", "play_id", "angle", "start", "end", "labels")

JSON_CONTENT_TYPE = "application/json"


class DatasetError(ValueError):
    """A dataset setting or input playclips cannot use; the message says what to change."""


# --- the split -------------------------------------------------------------------------------


def parse_splits(text: str) -> dict[str, float]:
    """'0.8,0.1,0.1' -> {'train': 0.8, 'validation': 0.1, 'test': 0.1}; raise DatasetError."""
    parts = [p.strip() for p in text.split(",")]
    try:
        shares = [float(p) for p in parts]
    except ValueError:
        shares = []
    if len(shares) != 3 or any(not math.isfinite(s) or s < 0 for s in shares):
        raise DatasetError(
            f"splits {text!r}: give three shares train,validation,test, e.g. 0.8,0.1,0.1"
        )
    if abs(sum(shares) - 1) > 1e-6 or shares[0] <= 0:
        raise DatasetError(f"splits {text!r}: the shares must add up to 1 and train must be > 0")
    return dict(zip(SPLITS, shares, strict=True))


def split_games(games: Iterable[str], shares: dict[str, float]) -> dict[str, str]:
    """Each game's split (see the module docstring); the same for any order of `games`."""
    ranked = sorted(set(games), key=lambda g: (hashlib.sha256(g.encode()).hexdigest(), g))
    n = len(ranked)
    # A tiny epsilon so that 10 x 0.1 (0.9999...) still holds out one game.
    n_test = math.floor(n * shares["test"] + 1e-9)
    n_validation = math.floor(n * shares["validation"] + 1e-9)
    split: dict[str, str] = {}
    for i, game in enumerate(ranked):
        if i < n_test:
            split[game] = "test"
        elif i < n_test + n_validation:
            split[game] = "validation"
        else:
            split[game] = "train"
    return split


# --- formats ---------------------------------------------------------------------------------


def duration(seconds: float) -> str:
    """Seconds as the protobuf Duration JSON both formats use: 1.25 -> '1.25s', 4 -> '4s'.

    Microsecond precision, the finest Vertex AI's startTime/endTime accept.
    """
    text = f"{round(seconds, 6):.6f}".rstrip("0").rstrip(".")
    return f"{'0' if text in ('', '-0') else text}s"


def check_prompt(template: str) -> str:
    """Return `template` if it only uses PROMPT_FIELDS placeholders, else raise DatasetError."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise DatasetError(f"prompt: {exc}; write {{{{ and }}}} for literal braces") from None
    unknown = sorted(n for n in names if n not in PROMPT_FIELDS)
    if unknown:
        raise DatasetError(
            f"prompt: unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; "
            f"use {', '.join('{' + f + '}' for f in PROMPT_FIELDS)}, and {{{{ and }}}} for "
            "literal braces"
        )
    # A format spec or conversion ({start:d}, {angle!z}) fails only when formatting: try it
    # once with strings like the real ones, so it fails here and not after reading every game.
    try:
        template.format(**{f: "x" for f in PROMPT_FIELDS})
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise DatasetError(
            f"prompt: {exc}; placeholders take no format spec or conversion (write {{start}}, "
            "not {start:d})"
        ) from None
    return template


def uses_labels(template: str) -> bool:
    """Whether the prompt lists the dataset's labels ({labels})."""
    return any(name == "labels" for _, name, _, _ in string.Formatter().parse(template))


def vertex_line(record: dict[str, Any], split: str) -> dict[str, Any]:
    """One Vertex AI video classification import line for a clip.

    Field names from "Prepare video training data for classification", JSON Lines schema
    (https://cloud.google.com/vertex-ai/docs/video-data/classification/prepare-data):
    videoGcsUri; timeSegmentAnnotations[{displayName, startTime, endTime}] with times as
    seconds plus "s", up to microsecond precision, from the start of the video; and
    dataItemResourceLabels, whose "aiplatform.googleapis.com/ml_use" key takes
    training | validation | test; video datasets use only training and test, so `split` is
    train or test here (build_dataset maps validation games). The segment is the play inside
    the clip.
    """
    return {
        "videoGcsUri": record["uri"],
        "timeSegmentAnnotations": [
            {
                "displayName": record["label"],
                "startTime": duration(record["play_start_offset_s"]),
                "endTime": duration(record["play_end_offset_s"]),
            }
        ],
        "dataItemResourceLabels": {ML_USE_KEY: ML_USE[split]},
    }


def gemini_line(record: dict[str, Any], prompt: str, labels: Sequence[str]) -> dict[str, Any]:
    """One Gemini supervised tuning example for a clip.

    Format from "Video tuning", dataset format for video segments
    (https://cloud.google.com/vertex-ai/generative-ai/docs/models/tune_gemini/video_tune):
    contents: a user turn whose parts are {fileData: {fileUri, mimeType}, videoMetadata:
    {startOffset, endOffset}} and {text}, then a model turn with the answer text. The offsets
    are the play inside the clip; the answer is the play's label and description as JSON, the
    shape the default prompt asks for.
    """
    start = duration(record["play_start_offset_s"])
    end = duration(record["play_end_offset_s"])
    text = prompt.format(
        game_id=record["game_id"],
        play_id=record["play_id"],
        angle=record["angle"],
        start=start,
        end=end,
        labels=", ".join(labels),
    )
    answer = json.dumps(
        {"label": record["label"], "description": record.get("description") or ""},
        ensure_ascii=False,
    )
    return {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {
                        "fileData": {"fileUri": record["uri"], "mimeType": VIDEO_MIME_TYPE},
                        "videoMetadata": {"startOffset": start, "endOffset": end},
                    },
                    {"text": text},
                ],
            },
            {"role": "model", "parts": [{"text": answer}]},
        ]
    }


def vertex_skip_reason(record: dict[str, Any]) -> str:
    """Why a clip cannot go into the Vertex AI file, or ''."""
    if not record.get("label"):
        return "the play has no label"
    if record.get("bytes", 0) > VERTEX_MAX_BYTES:
        return f"{record['bytes']} bytes is over Vertex AI's 50 GB per video"
    if record.get("duration_s", 0) > VERTEX_MAX_SECONDS:
        return f"{record['duration_s']} s is over Vertex AI's 3 hours per video"
    return ""


def gemini_skip_reason(record: dict[str, Any]) -> str:
    """Why a clip cannot be a Gemini tuning example, or ''."""
    if not record.get("label"):
        return "the play has no label"
    if record.get("bytes", 0) > GEMINI_MAX_BYTES:
        return (
            f"{record['bytes']} bytes is over Gemini tuning's 100 MB per video file: "
            "use encode mode with a lower --height"
        )
    length = record["play_end_offset_s"] - record["play_start_offset_s"]
    if length > GEMINI_MAX_SECONDS:
        return f"the play lasts {length:.1f} s, over Gemini tuning's 5 minutes per example"
    return ""


def jsonl(lines: Iterable[dict[str, Any]]) -> bytes:
    """JSON Lines bytes, keys sorted so reruns write identical files."""
    return "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines).encode()


# --- building a run's dataset ----------------------------------------------------------------


@dataclass
class GameInput:
    """What finalize found for one game."""

    game_id: str
    status: str  # ok | partial | failed | interrupted | missing
    reason: str = ""
    records: list[dict[str, Any]] = field(default_factory=list)
    manifest: str = ""


def build_dataset(
    games: list[GameInput],
    run_id: str,
    shares: dict[str, float],
    prompt: str,
    vertex_validation: str = DEFAULT_VERTEX_VALIDATION,
    max_labels: int = PROMPT_MAX_LABELS,
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The dataset's files (name below datasets/{run_id}/ -> bytes) and its summary (no URIs).

    Only games whose report says ok or partial contribute clips: a failed game's manifest, if
    any, may be from an earlier run. `vertex_validation` (test or train) is where the
    validation games go in the Vertex AI file. Raises DatasetError when the prompt lists the
    labels and there are more than `max_labels` of them.
    """
    check_prompt(prompt)
    if vertex_validation not in VERTEX_VALIDATION_CHOICES:
        raise DatasetError(
            f"vertex validation {vertex_validation!r}: use "
            + " or ".join(VERTEX_VALIDATION_CHOICES)
        )
    usable = [g for g in games if g.status in ("ok", "partial")]
    split_of = split_games([g.game_id for g in usable], shares)
    labels = sorted({r["label"] for g in usable for r in g.records if r.get("label")})
    if uses_labels(prompt) and len(labels) > max_labels:
        raise DatasetError(
            f"{len(labels)} distinct labels: the prompt's {{labels}} would repeat them in every "
            f"Gemini example, and at most {max_labels} are allowed; remove {{labels}} from "
            "--prompt or raise --prompt-max-labels"
        )
    lines = _Lines(prompt, labels, vertex_validation)
    for game in sorted(usable, key=lambda g: g.game_id):
        for record in game.records:
            lines.add(record, split_of[game.game_id])
    files = {f"clips/{s}.jsonl": jsonl(lines.clips[s]) for s in SPLITS}
    files["vertex/video_classification.jsonl"] = jsonl(lines.vertex)
    files.update({f"gemini/{s}.jsonl": jsonl(lines.gemini[s]) for s in SPLITS})
    summary = {
        "run_id": run_id,
        "ok": all(g.status == "ok" for g in games),
        "games": {
            "requested": len(games),
            "ok": sorted(g.game_id for g in games if g.status == "ok"),
            "partial": _reasons(g for g in games if g.status == "partial"),
            "failed": _reasons(g for g in games if g.status not in ("ok", "partial")),
        },
        "splits": {
            "shares": shares,
            "games": {s: sorted(g for g, sp in split_of.items() if sp == s) for s in SPLITS},
        },
        "counts": lines.counts(split_of),
        # Vertex AI video datasets have no validation set: where those games went.
        "vertex": {"validation_games_as": ML_USE[vertex_validation]},
        "labels": labels,
        "skipped": lines.skipped,
        "warnings": _warnings(usable, labels),
    }
    return files, summary


class _Lines:
    """The dataset's lines in each format and split, and the records a format had to skip."""

    def __init__(self, prompt: str, labels: list[str], vertex_validation: str) -> None:
        self.prompt, self.labels = prompt, labels
        self.vertex_split = {"train": "train", "validation": vertex_validation, "test": "test"}
        self.clips: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
        self.vertex: list[dict[str, Any]] = []
        self.vertex_counts = dict.fromkeys(SPLITS, 0)
        self.gemini: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
        self.skipped: list[dict[str, str]] = []

    def add(self, record: dict[str, Any], split: str) -> None:
        """One clip record of a game in `split`, in every format that can take it."""
        self.clips[split].append(record)
        for fmt, reason in (
            ("vertex", vertex_skip_reason(record)),
            ("gemini", gemini_skip_reason(record)),
        ):
            if reason:
                self.skipped.append({"uri": record["uri"], "format": fmt, "reason": reason})
            elif fmt == "vertex":
                self.vertex.append(vertex_line(record, self.vertex_split[split]))
                self.vertex_counts[split] += 1
            else:
                self.gemini[split].append(gemini_line(record, self.prompt, self.labels))

    def counts(self, split_of: dict[str, str]) -> dict[str, dict[str, int]]:
        """Games, clips and lines per split, for the summary."""
        return {
            s: {
                "games": sum(1 for sp in split_of.values() if sp == s),
                "clips": len(self.clips[s]),
                "vertex": self.vertex_counts[s],
                "gemini": len(self.gemini[s]),
            }
            for s in SPLITS
        }


def _reasons(games: Iterable[GameInput]) -> list[dict[str, str]]:
    return [
        {"game_id": g.game_id, "reason": g.reason} for g in sorted(games, key=lambda g: g.game_id)
    ]


def _warnings(usable: list[GameInput], labels: list[str]) -> list[str]:
    warnings = []
    local = sum(1 for g in usable for r in g.records if not r["uri"].startswith("gs://"))
    if local:
        warnings.append(
            f"{local} clip URIs are local paths: Vertex AI and Gemini tuning read gs:// URIs "
            "only, so the vertex/ and gemini/ files are for inspection until the clips are "
            "made with a gs:// --out"
        )
    if usable and len(labels) < 2:
        warnings.append(
            f"{len(labels)} distinct label(s): Vertex AI video classification needs at least 2"
        )
    return warnings


def read_game(out: Storage, run_id: str, game_id: str) -> GameInput:
    """A game's report for this run and, when the report says it made clips, its manifest."""
    key = report_key(run_id, game_id)
    try:
        report = json.loads(_read(out, key))
    except NotFound:
        return GameInput(
            game_id,
            "missing",
            f"no report for run {run_id}: its task never finished "
            "(see the clip job execution's logs), or the game was not in this run",
        )
    except ValueError as exc:
        return GameInput(game_id, "failed", f"unreadable report {out.uri(key)}: {exc}")
    if not isinstance(report, dict):
        return GameInput(game_id, "failed", f"unreadable report {out.uri(key)}: not an object")
    status = report.get("status", "failed")
    reason = _report_reason(report)
    if status not in ("ok", "partial"):
        return GameInput(game_id, status, reason or status)
    key = manifest_key(game_id)
    try:
        text = _read(out, key).decode()
    except NotFound:
        return GameInput(
            game_id, "failed", f"the report says {status} but {out.uri(key)} is missing"
        )
    except ValueError as exc:
        return GameInput(game_id, "failed", f"unreadable manifest {out.uri(key)}: {exc}")
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(check_record(json.loads(line)))
        except ValueError as exc:
            return GameInput(
                game_id,
                "failed",
                f"unreadable manifest {out.uri(key)} line {number}: {exc}; run the game again "
                "to rewrite it",
            )
    return GameInput(game_id, status, reason, records, out.uri(key))


def check_record(record: Any) -> dict[str, Any]:
    """A manifest line with the fields the dataset uses, of the right types; raise ValueError."""
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    for name, kind in _RECORD_FIELDS.items():
        value = record.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"{name} is missing or not a {getattr(kind, '__name__', 'number')}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name} is not a finite number")
    if record["play_end_offset_s"] < record["play_start_offset_s"]:
        raise ValueError("play_end_offset_s is before play_start_offset_s")
    label = record.get("label")
    if label is not None and not isinstance(label, str):
        raise ValueError("label is not a string")
    return record


def _report_reason(report: dict[str, Any]) -> str:
    if report.get("error"):
        return str(report["error"])
    lines = [f"{a['angle']}: {a['error']}" for a in report.get("angles", []) if a.get("error")]
    lines += [
        f"{f.get('angle')}: play {f.get('play_id')}: {f.get('reason')}"
        for f in report.get("failed", [])
    ]
    return "; ".join(lines)


def _read(out: Storage, key: str) -> bytes:
    with out.open_read(key) as f:
        return f.read()


# Where a run leaves a trace below the output root: its games' reports, and (cloud runs) the
# games list the workflow writes before the clip job starts.
RUN_FOLDERS = ("reports", "runs")


def run_ids(out: Storage) -> list[str]:
    """The run ids that left a trace below the output root, newest name first."""
    found = {
        key.split("/")[1]
        for folder in RUN_FOLDERS
        for key in out.list(f"{folder}/")
        if key.count("/") >= 2
    }
    return sorted(found, reverse=True)


def check_run_exists(out: Storage, run_id: str) -> None:
    """Raise DatasetError, naming the runs that exist, when run `run_id` left no trace.

    A run is known by a report (reports/{run_id}/) or, for a cloud run whose every task died
    before writing one, by the games list the workflow wrote (runs/{run_id}/games.json): that
    run still gets a dataset summary listing each game as failed.
    """
    if any(any(True for _ in out.list(f"{f}/{run_id}/")) for f in RUN_FOLDERS):
        return
    known = run_ids(out)
    listed = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
    raise DatasetError(
        f"run {run_id!r} has no reports in {out.uri('reports/')}: "
        + (f"runs there: {listed}" if known else "no run has written a report there yet")
    )


def finalize(
    out: Storage,
    run_id: str,
    game_ids: list[str],
    shares: dict[str, float],
    prompt: str,
    vertex_validation: str = DEFAULT_VERTEX_VALIDATION,
    max_labels: int = PROMPT_MAX_LABELS,
) -> dict[str, Any]:
    """Read the games, write datasets/{run_id}/ (summary.json last) and return the summary.

    Raises DatasetError when the run left no report or the prompt cannot be built (nothing is
    written then), StorageError when the dataset cannot be written.
    """
    check_run_exists(out, run_id)
    games = [read_game(out, run_id, g) for g in dict.fromkeys(game_ids)]
    files, summary = build_dataset(games, run_id, shares, prompt, vertex_validation, max_labels)
    for name, data in files.items():
        out.put(dataset_key(run_id, name), data, content_type=MANIFEST_CONTENT_TYPE)
    summary["manifests"] = {g.game_id: g.manifest for g in games if g.manifest}
    summary["files"] = {
        "clips": {s: out.uri(dataset_key(run_id, f"clips/{s}.jsonl")) for s in SPLITS},
        "vertex": out.uri(dataset_key(run_id, "vertex/video_classification.jsonl")),
        "gemini": {s: out.uri(dataset_key(run_id, f"gemini/{s}.jsonl")) for s in SPLITS},
        "summary": out.uri(dataset_key(run_id, "summary.json")),
        # Cloud Run tasks cannot see each other's games, so the run's page is written here,
        # once every task is done.
        "index": write_run_index(out, run_id, dataset_written=True),
    }
    data = (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode()
    out.put(dataset_key(run_id, "summary.json"), data, content_type=JSON_CONTENT_TYPE)
    return summary


__all__ = [
    "DatasetError",
    "GameInput",
    "StorageError",
    "build_dataset",
    "check_prompt",
    "check_record",
    "check_run_exists",
    "duration",
    "finalize",
    "gemini_line",
    "parse_splits",
    "read_game",
    "split_games",
    "vertex_line",
]
