"""Plays (and optional per-angle video rows) from a local CSV or JSON file.

CSV: a header row with at least `game_id, play_id, start_s, end_s` (usually `label` too);
`description` is optional, an `attributes` column holds a JSON object, and any other column
is kept in the play's attributes. An attribute column whose every non-empty value is a
decimal number becomes numbers (integers when every value is one), as JSON's are; its empty
cells become null. A value with a leading zero (`007`) keeps the column text, since a number
would lose the zero. The file is read with the csv module as the file (`newline=''`), so a
line break inside a quoted field stays part of the field, and U+2028 is an ordinary character.

JSON: either a list of play rows with the same fields, or an object
`{"plays": [...], "videos": [{"game_id", "angle", "uri", "offset_s"}, ...]}` where a video row
sets an angle's file (relative to the video root, or absolute) and its time offset; optional
`drift_ppm` and the fields `playclips sync` writes are read by plays.base.video_from_row.
Angles without a video row are looked up as `{game_id}/{ANGLE}.*` below the video root.

What makes the whole file unusable (PlaysError, naming the line where there is one): not
UTF-8, larger than PLAYCLIPS_MAX_PLAYS_FILE_BYTES (config.LIMITS), a field over
MAX_FIELD_CHARS, a quoted field never closed, a header that lacks a required column, names one
twice or leaves a used column unnamed, JSON that does not parse or nests past the parser's
limit, an unknown top-level key, a play row that is not an object or lacks a required field.
What only skips one play (a PlayIssue naming the line or the row): a CSV row with more or
fewer fields than the header, a bad id or time, attributes that are not an object, NaN,
Infinity or numbers too large for JSON readers.

A row repeated exactly (every field equal, e.g. a file appended to itself) is the same play
listed twice and is read once; two different rows with one play id are both skipped
(plan.py), since nothing says which one is right.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from ..config import LIMITS, ConfigError, limit
from ..model import Game, InvalidId, Play, PlayIssue, Video
from .base import (
    KNOWN_PLAY_FIELDS,
    MAX_TEXT_CHARS,
    REQUIRED_PLAY_FIELDS,
    PlaysError,
    UnknownGame,
    json_number_hooks,
    play_from_row,
    repeated_keys,
    video_from_row,
)

# The csv module's own default limit, and the longest label or description (base.py).
MAX_FIELD_CHARS = MAX_TEXT_CHARS
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_DECIMAL = re.compile(r"[+-]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"[+-]?(0|[1-9][0-9]{0,17})")


class _Row:
    """One play row as read, with where it came from (for messages) and a problem, if any."""

    __slots__ = ("data", "problem", "where")

    def __init__(self, data: dict[str, Any], where: str, problem: str = "") -> None:
        self.data, self.where, self.problem = data, where, problem


class LocalPlaysFile:
    """A plays file read once; `load_game` slices it by game."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._plays, self._videos = _read(Path(path))

    def game_ids(self) -> list[str]:
        """Every game id that has plays in the file, in first-seen order."""
        return list(dict.fromkeys(str(r.data.get("game_id")) for r in self._plays))

    def load_game(self, game_id: str) -> Game:
        rows = [r for r in self._plays if str(r.data.get("game_id")) == game_id]
        if not rows:
            known = ", ".join(self.game_ids()[:10]) or "none"
            raise UnknownGame(
                f"no plays for game {game_id!r} in {self.path} (games in the file: {known})"
            )
        plays: list[Play] = []
        issues: list[PlayIssue] = []
        seen: set[str] = set()
        for row in rows:
            if row.problem:
                shown = str(row.data.get("play_id") or "(no play_id)")[:80]
                issues.append(PlayIssue(shown, f"{row.where}: {row.problem}"))
                continue
            fingerprint = json.dumps(row.data, sort_keys=True, default=repr)
            if fingerprint in seen:
                continue  # an exact repeat of an earlier row: the same play
            seen.add(fingerprint)
            item = play_from_row(row.data, row.where)
            (plays if isinstance(item, Play) else issues).append(item)  # type: ignore[arg-type]
        videos: dict[str, Video] = {}
        for row in self._videos:
            if str(row.get("game_id")) != game_id:
                continue
            video = self._video(row)
            videos[video.angle] = video
        return Game(game_id, tuple(plays), videos, tuple(issues))

    def _video(self, row: dict[str, Any]) -> Video:
        shown = repr(dict(row))
        shown = shown if len(shown) <= 200 else shown[:197] + "..."
        try:
            twice = repeated_keys(row, "it")
            if twice:
                raise ValueError(twice)
            return video_from_row(str(row.get("game_id")), row)
        except (InvalidId, TypeError, ValueError, OverflowError) as exc:
            raise PlaysError(f"{self.path}: bad video row {shown}: {exc}") from None


def _read(path: Path) -> tuple[list[_Row], list[dict[str, Any]]]:
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PlaysError(
            f"plays file {path} is not UTF-8 (line {line}, byte 0x{data[exc.start]:02x}): "
            "save it as UTF-8"
        ) from None
    if path.suffix.lower() == ".json":
        return _parse_json(path, text)
    return _parse_csv(path, text), []


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; only a regular file is opened (a FIFO would block, a device never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise PlaysError(f"plays file {path} does not exist") from None
    except OSError as exc:
        raise PlaysError(f"cannot open plays file {path}: {exc.strerror}") from None
    st = os.fstat(fd)
    try:
        max_bytes = limit("plays_file_bytes")
    except ConfigError as exc:
        os.close(fd)
        raise PlaysError(str(exc)) from None
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise PlaysError(f"plays file {path} is {kind}; give a CSV or JSON file")
    with os.fdopen(fd, "rb") as f:
        if st.st_size > max_bytes:
            raise PlaysError(
                f"plays file {path} is {st.st_size} bytes, over the {max_bytes}-byte limit "
                f"for a plays file ({LIMITS['plays_file_bytes'].env}); is it the right file?"
            )
        try:
            data = f.read(max_bytes + 1)
        except OSError as exc:
            raise PlaysError(f"cannot read plays file {path}: {exc.strerror}") from None
    if len(data) > max_bytes:  # it grew while being read
        raise PlaysError(f"plays file {path} is over the {max_bytes}-byte limit")
    return data


def _parse_csv(path: Path, text: str) -> list[_Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    line = 0
    try:
        for fields in reader:
            first, line = line + 1, reader.line_num
            if fields:  # a blank line
                records.append((first, fields))
    except csv.Error as exc:
        start = line + 1
        raise PlaysError(f"plays file {path}: {_csv_problem(str(exc), start)}") from None
    if not records:
        raise PlaysError(f"plays file {path} is empty; it needs a header row")
    header_line, header = records[0]
    names = [h.strip() for h in header]
    _check_header(path, names)
    rows: list[_Row] = []
    for number, fields in records[1:]:
        where = f"line {number}"
        values = [v.strip() for v in fields]
        data = {n: v for n, v in zip(names, values, strict=False) if n}
        if len(values) != len(names):
            problem = f"{len(values)} fields, but the header (line {header_line}) has {len(names)}"
            rows.append(_Row(data, where, problem))
            continue
        if any(v for n, v in zip(names, values, strict=True) if not n):
            raise PlaysError(
                f"plays file {path} {where}: a value in a column the header leaves unnamed; "
                "name the column"
            )
        rows.append(_Row(data, where, _attributes_cell(data)))
    _type_columns([r for r in rows if not r.problem], [n for n in names if n])
    return rows


def _csv_problem(message: str, line: int) -> str:
    if "unexpected end of data" in message:
        return f"the quoted field that starts on line {line} is never closed (a missing '\"')"
    if "field larger than field limit" in message:
        return f"line {line} has a field over {MAX_FIELD_CHARS} characters"
    return f"line {line}: {message}"


def _check_header(path: Path, names: list[str]) -> None:
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        raise PlaysError(
            f"plays file {path} line 1: the header names column(s) {', '.join(twice)} more "
            "than once; keep one of each"
        )
    missing = [c for c in REQUIRED_PLAY_FIELDS if c not in names]
    if missing:
        raise PlaysError(
            f"plays file {path} lacks column(s) {', '.join(missing)}; "
            f"the header must include {', '.join(REQUIRED_PLAY_FIELDS)} (and usually label)"
        )


def _attributes_cell(data: dict[str, Any]) -> str:
    """Parse an `attributes` cell (a JSON object) in place; the problem, if any."""
    cell = data.get("attributes")
    if not cell:
        data.pop("attributes", None)
        return ""
    try:
        value = json.loads(cell, **json_number_hooks())
    except (ValueError, RecursionError):
        return "attributes is not a JSON object"
    if not isinstance(value, dict):
        return f"attributes must be a JSON object, got {type(value).__name__}"
    data["attributes"] = value
    return ""


def _type_columns(rows: list[_Row], names: list[str]) -> None:
    """Attribute columns whose every non-empty value is a number become numbers (see above)."""
    for name in names:
        if name in KNOWN_PLAY_FIELDS:
            continue
        values = [r.data[name] for r in rows if r.data.get(name)]
        if not values or not all(_DECIMAL.fullmatch(v) for v in values):
            continue
        integers = all(_INTEGER.fullmatch(v) for v in values)
        numbers = [int(v) if integers else float(v) for v in values]
        if not all(n == n and abs(n) != float("inf") for n in numbers):
            continue  # 1e999 is no finite number: the column stays text
        for row in rows:
            value = row.data.get(name)
            row.data[name] = (int(value) if integers else float(value)) if value else None


def _parse_json(path: Path, text: str) -> tuple[list[_Row], list[dict[str, Any]]]:
    try:
        data = json.loads(text, **json_number_hooks())
    except RecursionError:
        raise PlaysError(f"plays file {path} nests too deeply to be a plays file") from None
    except ValueError as exc:
        raise PlaysError(f"plays file {path} is not valid JSON: {exc}") from None
    if isinstance(data, dict):
        if getattr(data, "repeated", ()):
            raise PlaysError(
                f'plays file {path}: the top-level object names "plays" or "videos" more '
                "than once; keep one of each"
            )
        unknown = sorted(set(data) - {"plays", "videos"})
        if unknown:
            shown = ", ".join(repr(k[:40]) for k in unknown[:5])
            raise PlaysError(
                f'plays file {path}: unknown key(s) {shown}; the object holds "plays" and '
                'optionally "videos"'
            )
        plays, videos = data.get("plays"), data.get("videos", [])
    else:
        plays, videos = data, []
    if not isinstance(plays, list):
        raise PlaysError(
            f'plays file {path}: expected a list of play objects or {{"plays": [...]}}'
        )
    rows: list[_Row] = []
    for i, row in enumerate(plays):
        if not isinstance(row, dict):
            raise PlaysError(
                f"plays file {path}: plays[{i}] is a {type(row).__name__}, not a play object; "
                'expected a list of play objects or {"plays": [...]}'
            )
        missing = [f for f in REQUIRED_PLAY_FIELDS if f not in row]
        if missing:
            shown = str(row.get("play_id", "?"))[:40]
            raise PlaysError(
                f"plays file {path}: plays[{i}] (play {shown}) lacks {', '.join(missing)}; "
                f"every play needs {', '.join(REQUIRED_PLAY_FIELDS)}"
            )
        rows.append(_Row(row, f"plays[{i}]"))
    if not isinstance(videos, list) or not all(isinstance(r, dict) for r in videos):
        raise PlaysError(f'plays file {path}: "videos" must be a list of objects')
    return rows, videos
