"""How a run tells people what is happening: progress bars on a terminal, JSON lines on Cloud
Run (Cloud Logging's structured format: `severity`, `message`, plus fields), plain text lines
elsewhere; and the summary at the end.

Every JSON line carries the run's `run_id`, so one run's lines can be picked out of a log. The
ETA is the clips still to do at the rate clips have been finished so far in this run. Games
are planned one after another, so the clips of games not planned yet are estimated at the
average of the games planned so far (estimated_total). It is shown on a terminal (the whole
run's bar) and as `eta_s` in the periodic progress lines, and left out until a first clip is
done.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any, TextIO

from ..outputs.report import AngleReport, GameReport

PROGRESS_EVERY_S = 5.0


def log_json(severity: str, message: str, stream: TextIO | None = None, **fields: Any) -> None:
    """Write one structured log line (https://cloud.google.com/logging/docs/structured-logging)."""
    line = {"severity": severity, "message": message, **fields}
    print(json.dumps(line, default=str), file=stream or sys.stderr, flush=True)


def estimated_total(planned: int, games_planned: int, games: int) -> int:
    """Clips in the run: those planned, plus the games not planned yet at the average so far."""
    if games_planned <= 0 or games <= games_planned:
        return planned
    return planned + round((games - games_planned) * planned / games_planned)


def eta_seconds(done: int, total: int, elapsed_s: float) -> float | None:
    """Seconds left at the rate so far, or None before the first clip (no rate yet)."""
    if done <= 0 or elapsed_s <= 0:
        return None
    return max(total - done, 0) * elapsed_s / done


def format_eta(seconds: float | None) -> str:
    """'1m05s', '2h03m', or '?' when unknown."""
    if seconds is None:
        return "?"
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s"


class LineProgress:
    """Progress as log lines every few seconds: JSON (Cloud Run) or text."""

    def __init__(
        self, json_lines: bool, stream: TextIO | None = None, run_id: str = "", games: int = 0
    ) -> None:
        self.json_lines = json_lines
        self.run_id = run_id
        self.games = games  # games in the run, for the ETA (0: unknown)
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()
        self._totals: dict[tuple[str, str], int] = {}
        self._done: dict[tuple[str, str], int] = {}
        self._bytes = 0
        self._started = time.monotonic()
        self._last = 0.0

    def _emit(self, severity: str, message: str, **fields: Any) -> None:
        if self.json_lines:
            log_json(severity, message, self.stream, run_id=self.run_id, **fields)
        else:
            extra = " ".join(f"{k}={v}" for k, v in fields.items() if k != "component")
            stamp = time.strftime("%H:%M:%S")
            print(
                f"{stamp} {severity:<5} {message}" + (f" ({extra})" if extra else ""),
                file=self.stream,
                flush=True,
            )

    def angle_planned(self, game_id: str, angle: str, clips: int) -> None:
        with self._lock:
            self._totals[(game_id, angle)] = clips
            self._done.setdefault((game_id, angle), 0)

    def clip_done(self, game_id: str, angle: str, status: str, nbytes: int) -> None:
        with self._lock:
            self._done[(game_id, angle)] = self._done.get((game_id, angle), 0) + 1
            self._bytes += nbytes
            now = time.monotonic()
            if now - self._last < PROGRESS_EVERY_S:
                return
            self._last = now
            done = sum(self._done.values())
            planned_games = len({game for game, _ in self._totals})
            total = estimated_total(sum(self._totals.values()), planned_games, self.games)
            rate = self._bytes / max(now - self._started, 1e-6) / 1e6
            eta = eta_seconds(done, total, now - self._started)
        self._emit(
            "INFO",
            f"{done}/{total} clips, {rate:.1f} MB/s written, ETA {format_eta(eta)}",
            clips_done=done,
            clips_total=total,
            mb_per_s=round(rate, 2),
            eta_s=None if eta is None else round(eta, 1),
        )

    def angle_done(self, game_id: str, report: AngleReport) -> None:
        severity = "ERROR" if report.status == "failed" else "INFO"
        message = f"{game_id} {report.angle}: {report.status}"
        if report.error:
            message += f": {report.error}"
        self._emit(
            severity,
            message,
            game=game_id,
            angle=report.angle,
            clips_made=report.clips_made,
            clips_skipped=report.clips_skipped,
            clips_failed=report.clips_failed,
            bytes_read=report.bytes_read,
        )

    def game_done(self, report: GameReport) -> None:
        severity = "INFO" if report.ok else "ERROR"
        self._emit(
            severity,
            f"{report.game_id}: {report.status}" + (f": {report.error}" if report.error else ""),
            game=report.game_id,
            status=report.status,
            clips_made=report.clips_made,
            clips_skipped=report.clips_skipped,
            clips_failed=report.clips_failed,
            plays_rejected=len(report.rejected),
            seconds=report.seconds,
        )

    def close(self) -> None:
        pass


class TerminalProgress:
    """One progress bar per game and angle (rich), for people at a terminal."""

    def __init__(self, games: int = 0) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            "[bold]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            "ETA",
            TimeRemainingColumn(),
            transient=False,
        )
        self._tasks: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        # The whole run's bar: its ETA is the one that answers "how long until it's done".
        self._all = self._progress.add_task("all clips", total=0)
        self._all_total = 0
        self._games = games
        self._planned_games: set[str] = set()
        self._progress.start()

    def angle_planned(self, game_id: str, angle: str, clips: int) -> None:
        with self._lock:
            self._tasks[(game_id, angle)] = self._progress.add_task(
                f"{game_id} {angle}", total=clips
            )
            self._all_total += clips
            self._planned_games.add(game_id)
            total = estimated_total(self._all_total, len(self._planned_games), self._games)
            self._progress.update(self._all, total=total)

    def clip_done(self, game_id: str, angle: str, status: str, nbytes: int) -> None:
        with self._lock:
            task = self._tasks.get((game_id, angle))
        if task is not None:
            self._progress.advance(task)
        self._progress.advance(self._all)

    def angle_done(self, game_id: str, report: AngleReport) -> None:
        with self._lock:
            task = self._tasks.get((game_id, report.angle))
        if task is not None and report.status != "ok":
            self._progress.update(
                task, description=f"{game_id} {report.angle} [red]{report.status}"
            )

    def game_done(self, report: GameReport) -> None:
        pass

    def close(self) -> None:
        self._progress.stop()


def summary_table(reports: list[GameReport], stream: TextIO | None = None) -> None:
    """Print one row per game: status, clips made/skipped/failed, rejected plays, MB, seconds."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="playclips run summary")
    for column in (
        "game",
        "status",
        "made",
        "skipped",
        "failed",
        "rejected",
        "MB read",
        "MB written",
        "seconds",
    ):
        table.add_column(column, justify="left" if column in ("game", "status") else "right")
    for r in reports:
        table.add_row(
            r.game_id,
            r.status,
            str(r.clips_made),
            str(r.clips_skipped),
            str(r.clips_failed),
            str(len({x.play_id for x in r.rejected})),
            f"{r.bytes_read / 1e6:.1f}",
            f"{r.bytes_written / 1e6:.1f}",
            f"{r.seconds:.1f}",
        )
    Console(file=stream or sys.stderr, width=120).print(table)
