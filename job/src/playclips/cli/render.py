"""What the CLI prints: the progress display it picks, summaries, the run's last lines."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from ..config import JOB_ENV, Settings, one_task
from ..layout import index_key
from ..outputs.report import GameReport
from ..run.progress import LineProgress, TerminalProgress, log_json, summary_table
from ..run.runner import Display


def display(log_format: str, run_id: str = "", games: int = 0) -> Display:
    """The progress display for `log_format` (auto: JSON on Cloud Run, bars on a terminal)."""
    if log_format == "auto":
        if os.environ.get(JOB_ENV):
            log_format = "json"
        elif sys.stderr.isatty():
            return TerminalProgress(games)
        else:
            log_format = "text"
    return LineProgress(json_lines=log_format == "json", run_id=run_id, games=games)


def json_lines(log_format: str) -> bool:
    """Whether the run logs JSON lines (as `display` decides)."""
    return log_format == "json" or (log_format == "auto" and bool(os.environ.get(JOB_ENV)))


def page_address(uri: str) -> str:
    """Where a person opens the run page: a browser URL for gs://, an absolute path locally."""
    if uri.startswith("gs://"):
        from urllib.parse import quote

        from ..outputs.index_page import BROWSER_HOST

        return BROWSER_HOST + quote(uri.removeprefix("gs://"))
    return str(Path(uri).resolve())


def announce(settings: Settings, as_json: bool) -> None:
    """The last lines of a run: its id and where its page is (or will be)."""
    # Built from the setting rather than through storage, so no client is opened to say it.
    uri = f"{settings.out.rstrip('/')}/{index_key(settings.run_id)}"
    where = page_address(uri) if one_task() else f"{uri} (written by finalize once every task ends)"
    if as_json:
        log_json("INFO", f"run {settings.run_id}: run page {where}", run_id=settings.run_id)
    else:
        click.echo(f"Run id: {settings.run_id}")
        click.echo(f"Run page: {where}")


def game_lines(reports: list[GameReport], as_json: bool, run_id: str = "") -> None:
    """The summary table, then one line per skipped play and per failure (JSON on Cloud Run)."""

    def say(severity: str, text: str, game_id: str) -> None:
        if as_json:
            log_json(severity, text, game=game_id, run_id=run_id)
        else:
            click.echo(f"{severity.lower()}: {text}", err=True)

    if not as_json:
        summary_table(reports)
    for report in reports:
        for line in report.warning_lines():
            say("WARNING", line, report.game_id)
        for line in report.failure_lines():
            say("ERROR", line, report.game_id)


def dataset_summary(summary: dict[str, Any]) -> None:
    """A written dataset's counts per split, its failed games, skips and files (stderr)."""
    games = summary["games"]
    echo = lambda text: click.echo(text, err=True)  # noqa: E731
    echo(
        f"Dataset of run {summary['run_id']}: {len(games['ok'])} game(s) ok, "
        f"{len(games['partial'])} partial, {len(games['failed'])} failed"
    )
    for split, n in summary["counts"].items():
        echo(
            f"  {split:<10} {n['games']} game(s), {n['clips']} clips "
            f"(Vertex AI {n['vertex']}, Gemini {n['gemini']})"
        )
    for kind in ("partial", "failed"):
        for game in games[kind]:
            echo(f"error: {game['game_id']}: {kind}: {game['reason']}")
    for item in summary["skipped"][:5]:
        echo(f"warning: {item['format']}: skipped {item['uri']}: {item['reason']}")
    if len(summary["skipped"]) > 5:
        echo(f"warning: {len(summary['skipped']) - 5} more skipped (see summary.json)")
    for warning in summary["warnings"]:
        echo(f"warning: {warning}")
    files = summary.get("files", {})
    if files:
        echo(f"Summary: {files['summary']}")
        echo(f"Vertex AI import file: {files['vertex']}")
        echo(f"Gemini tuning files: {files['gemini']['train']} (and validation, test)")
        if files.get("index"):
            echo(f"Run page: {page_address(files['index'])}")


def sync_result(result: Any) -> None:
    """A game's sync result as a table: each angle's offset, drift, confidence, how measured."""
    read = sum(a.bytes_read for a in result.angles.values())
    size = sum(a.video_bytes for a in result.angles.values())
    click.echo(
        f"{result.game_id}: against {result.reference} ({result.seconds:.1f} s, read "
        f"{read / 1e6:.1f} MB of {size / 1e6:.1f} MB)"
    )
    click.echo(f"  {'angle':<12} {'offset_s':>11} {'drift_ppm':>10} {'confidence':>10}  windows")
    for a in result.angles.values():
        if a.offset_s is None or a.drift_ppm is None:
            click.echo(f"  {a.angle:<12} {'-':>11} {'-':>10} {a.confidence:>10.2f}  refused")
            continue
        if a.angle == result.reference:
            how = "reference (kept)"
        else:
            how = f"{a.windows_agreeing}/{a.windows_tried} agree, {a.residual_ms:.2f} ms scatter"
            if a.correction_s:
                how += f", includes correction {a.correction_s:+g} s"
            if a.refused:
                how += ", refused"
        click.echo(
            f"  {a.angle:<12} {a.offset_s:>11.6f} {a.drift_ppm:>10.3f} {a.confidence:>10.2f}  {how}"
        )
    if not any(a.ok for a in result.angles.values() if a.angle != result.reference):
        return
    click.echo(
        "  Offsets include each camera's distance from the sound compared with the reference "
        "(~2.9 ms per metre); set offset_correction_s on a video row to correct it. Drift does "
        "not depend on distance."
    )
