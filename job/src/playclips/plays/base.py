"""The plays-source contract: one call that returns everything known about a game.

Every value that reaches a Play is checked here, whatever the source: times are finite numbers
of seconds, `attributes` is a JSON object whose numbers are finite, whose integers fit in 64
bits and which nests at most MAX_DEPTH levels, and label and description are text. A row
that breaks one of these becomes a PlayIssue (that play is skipped and the report says why),
never a crash and never a value that would make a manifest invalid JSON.
"""

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
# How deep a play's attributes may nest; real metadata needs two or three levels, and a bound
# keeps every later JSON encode well inside Python's recursion limit.
MAX_DEPTH = 32
# Integers beyond 64 bits are not portable JSON (most readers turn them into floats or fail).
MAX_INT = 2**63 - 1
# The longest label or description, whatever the source (a CSV field is held to it by the csv
# module already): a label is a few words, and every clip's manifest line repeats it.
MAX_TEXT_CHARS = 128 * 1024


class BadNumber:
    """A number the JSON reader refused to turn into a value: NaN, Infinity, 1e400, 10**400.

    The reader keeps it as this marker instead of failing the whole file, so only the play
    that holds it is skipped, with a reason that quotes it.
    """

    def __init__(self, text: str, integer: bool = False) -> None:
        self.text = text if len(text) <= 24 else f"{text[:12]}...({len(text)} characters)"
        self.integer = integer  # finite, but beyond a 64-bit integer

    def __repr__(self) -> str:
        return self.text


def json_number_hooks() -> dict[str, Any]:
    """json.loads keyword arguments that turn non-finite or oversized numbers into BadNumber."""

    def parse_float(text: str) -> float | BadNumber:
        value = float(text)
        return value if math.isfinite(value) else BadNumber(text)

    def parse_int(text: str) -> int | BadNumber:
        # checked on the text's length first: int() of thousands of digits is slow or refused
        if len(text.lstrip("-")) > 19:
            return BadNumber(text, integer=True)
        value = int(text)
        return value if abs(value) <= MAX_INT else BadNumber(text, integer=True)

    return {
        "parse_float": parse_float,
        "parse_int": parse_int,
        "parse_constant": BadNumber,
        "object_pairs_hook": JsonObject.from_pairs,
    }


class JsonObject(dict):  # type: ignore[type-arg]
    """A JSON object as read, remembering keys it held more than once (the last one wins in a
    plain dict, silently; a play whose object repeats a key is skipped instead)."""

    repeated: tuple[str, ...] = ()

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> JsonObject:
        obj = cls(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            obj.repeated = tuple(sorted({k for k, _ in pairs if k in seen or seen.add(k)}))
        return obj


def repeated_keys(value: Any, where: str, depth: int = 0) -> str | None:
    """A message naming a key that `value` (or an object inside it) holds twice, or None."""
    if depth > MAX_DEPTH:
        return None  # check_value reports the nesting
    if isinstance(value, dict):
        twice = getattr(value, "repeated", ())
        if twice:
            names = ", ".join(repr(k[:40]) for k in twice[:3])
            return f"{where} has the key(s) {names} more than once; keep one"
        for key, item in value.items():
            problem = repeated_keys(item, f"{where}.{str(key)[:40]}", depth + 1)
            if problem:
                return problem
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problem = repeated_keys(item, f"{where}[{i}]", depth + 1)
            if problem:
                return problem
    return None


def _seconds(row: dict[str, Any], name: str) -> float:
    value = row.get(name)
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    if isinstance(value, (bool, BadNumber)):
        raise ValueError(f"{name} {shown} is not a finite number of seconds")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} {shown} is not a number of seconds") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} {shown} is not a finite number of seconds")
    return number


def check_value(value: Any, where: str, depth: int = 0) -> str | None:
    """Why `value` cannot go into a manifest as JSON (None if it can)."""
    if depth > MAX_DEPTH:
        return f"{where.partition('.')[0]} nest deeper than {MAX_DEPTH} levels"
    if isinstance(value, BadNumber) and value.integer:
        return f"{where} is {value!r}, an integer beyond 64 bits; store it as a string"
    if isinstance(value, BadNumber):
        return f"{where} is {value!r}, not a finite JSON number; use a number or null"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{where} is {value!r}, not a finite JSON number; use a number or null"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        return f"{where} is a {len(str(abs(value)))}-digit integer; store it as a string"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{where} has a key that is not text"
            problem = check_value(item, f"{where}.{key[:40]}", depth + 1)
            if problem:
                return problem
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problem = check_value(item, f"{where}[{i}]", depth + 1)
            if problem:
                return problem
    elif value is not None and not isinstance(value, (str, int, float, bool)):
        return f"{where} is a {type(value).__name__}, not a JSON value"
    return None


def _kind(value: Any) -> str:
    return "dict" if isinstance(value, dict) else type(value).__name__


def _text(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, (dict, list, BadNumber)):
        raise ValueError(f"{name} must be text, not {_kind(value)}")
    text = str(value)
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(
            f"{name} is {len(text)} characters, over the {MAX_TEXT_CHARS}-character limit"
        )
    return text


def play_from_row(row: dict[str, Any], where: str = "") -> Play | PlayIssue:
    """Turn one source row into a Play, or a PlayIssue saying what is wrong with it.

    Fields other than the known ones are kept as the play's attributes (which must be a JSON
    object when given). `where` (e.g. "line 12") is put in front of the reason.
    """
    raw_id = row.get("play_id")
    shown_id = str(raw_id) if raw_id not in (None, "") else "(no play_id)"
    prefix = f"{where}: " if where else ""
    try:
        twice = repeated_keys(row, "the play's object")
        if twice:
            raise ValueError(twice)
        play_id = check_id("play", str(raw_id) if type(raw_id) is int else raw_id)
        start_s = _seconds(row, "start_s")
        end_s = _seconds(row, "end_s")
        label, description = _text(row, "label"), _text(row, "description")
        given = row.get("attributes")
        if given is not None and not isinstance(given, dict):
            raise ValueError(f"attributes must be a JSON object, got {_kind(given)}")
        attributes = dict(given or {})
        attributes.update({k: v for k, v in row.items() if k not in KNOWN_PLAY_FIELDS})
        problem = check_value(attributes, "attributes")
        if problem:
            raise ValueError(problem)
    except (InvalidId, ValueError) as exc:
        return PlayIssue(play_id=shown_id[:80], reason=f"{prefix}{exc}")
    return Play(
        game_id=str(row["game_id"]),
        play_id=play_id,
        start_s=start_s,
        end_s=end_s,
        label=label,
        description=description,
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
    confidence = row.get("sync_confidence")
    confidence = None if confidence in (None, "") else _number(row, "sync_confidence")
    uri = row.get("uri") or ""
    if not isinstance(uri, str):
        raise ValueError("uri must be text")
    if not uri.isprintable():
        raise ValueError("uri contains a control character or line break")
    return Video(
        game_id,
        angle,
        uri,
        offset,
        drift,
        str(synced) if synced not in (None, "") else None,
        correction,
        confidence,
    )


def _number(row: dict[str, Any], name: str) -> float:
    """A finite number field; absent, null or empty means 0."""
    value = row.get(name)
    unit = " of seconds" if name.endswith("_s") else ""
    if value is None or value == "":
        return 0.0
    if isinstance(value, (bool, BadNumber, dict, list)):
        raise ValueError(f"{name} {value!r} is not a finite number{unit}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} {number!r} is not a finite number{unit}")
    return number
