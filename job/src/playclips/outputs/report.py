"""What happened to one game in one run: written as reports/{run_id}/{game}.json.

Every one-line message built here (failure_lines, warning_lines) has its control characters
escaped (one_line): a game id, play id, path or server message holding a line break or an
escape sequence shows as `\\n` or `\\x1b`, so it can never start a log line of its own. The
JSON is strict (no NaN or Infinity).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ..layout import report_key
from ..model import PlayIssue
from ..storage import Storage, StorageError

REPORT_CONTENT_TYPE = "application/json"

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """`text` with every control character escaped (\\n, \\x1b, \\u2028), so it stays one line."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char in _NAMED:
            return _NAMED[char]
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    return _CONTROL.sub(escape, str(text))


@dataclass
class AngleReport:
    """One angle's outcome."""

    angle: str
    video: str = ""
    status: str = "ok"  # ok | failed | interrupted
    error: str = ""
    clips_made: int = 0
    clips_skipped: int = 0
    clips_failed: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    read_requests: int = 0
    retries: int = 0  # transient storage failures retried while reading this angle's video
    seconds: float = 0.0
    # How this angle's file maps onto the game's clock (the video row; `playclips sync`).
    offset_s: float = 0.0
    drift_ppm: float = 0.0
    synced_at: str | None = None
    sync_confidence: float | None = None


@dataclass
class GameReport:
    """One game's outcome; `status` is ok, partial, failed or interrupted."""

    run_id: str
    game_id: str
    status: str = "ok"
    error: str = ""
    plays: int = 0
    clips_planned: int = 0
    angles: list[AngleReport] = field(default_factory=list)
    rejected: list[PlayIssue] = field(default_factory=list)
    warnings: list[PlayIssue] = field(default_factory=list)
    failed: list[PlayIssue] = field(default_factory=list)
    manifest: str = ""
    contact_sheet: str = ""  # the sheet's URI once written (sheet.py)
    contact_sheet_error: str = ""  # why it was not; the clips and manifest are unaffected
    storage_retries: int = 0  # transient storage failures retried for this game (any call)
    seconds: float = 0.0

    @property
    def clips_made(self) -> int:
        return sum(a.clips_made for a in self.angles)

    @property
    def clips_skipped(self) -> int:
        return sum(a.clips_skipped for a in self.angles)

    @property
    def clips_failed(self) -> int:
        return sum(a.clips_failed for a in self.angles)

    @property
    def angles_failed(self) -> int:
        return sum(a.status == "failed" for a in self.angles)

    @property
    def bytes_read(self) -> int:
        return sum(a.bytes_read for a in self.angles)

    @property
    def bytes_written(self) -> int:
        return sum(a.bytes_written for a in self.angles)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def failure_lines(self) -> list[str]:
        """One line per failure, each naming the game and what to do about it."""
        # an invalid id can be any length; its error message quotes it shortened already
        game = self.game_id if len(self.game_id) <= 60 else self.game_id[:57] + "..."
        if self.error:
            return [one_line(f"{game}: {self.error}")]
        lines = [f"{game}: {a.angle}: {a.error}" for a in self.angles if a.error]
        lines += [f"{game}: {f.angle}: play {f.play_id}: {f.reason}" for f in self.failed]
        return [one_line(line) for line in lines]

    def warning_lines(self) -> list[str]:
        """One line per rejected play (per angle when only one angle rejected it)."""
        lines = []
        for issue in self.rejected:
            where = f"{issue.angle}: " if issue.angle else ""
            lines.append(
                one_line(f"{self.game_id}: {where}play {issue.play_id} skipped: {issue.reason}")
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["counts"] = {
            "plays": self.plays,
            "plays_rejected": len({r.play_id for r in self.rejected}),
            "clips_planned": self.clips_planned,
            "clips_made": self.clips_made,
            "clips_skipped_existing": self.clips_skipped,
            "clips_failed": self.clips_failed,
        }
        data["bytes_read"] = self.bytes_read
        data["bytes_written"] = self.bytes_written
        return data

    def to_json(self) -> bytes:
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False)
        return (text + "\n").encode()


def write_report(report: GameReport, out: Storage, run_id: str) -> None:
    """Put the game's report for run `run_id`; a failure to do so fails the game and says why."""
    try:
        out.put(
            report_key(run_id, report.game_id),
            report.to_json(),
            content_type=REPORT_CONTENT_TYPE,
        )
    except (StorageError, ValueError) as exc:
        report.status = "failed"
        report.error = report.error or one_line(f"could not write the report: {exc}")
