"""The `playclips` command: a thin shell over the library.

Every option's flag, environment variable and help come from config.SETTINGS.
Exit codes: 0 every game ok; 1 a game failed, was partial or interrupted; 2 bad usage.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import (
    JOB_ENV,
    SETTINGS,
    ConfigError,
    Settings,
    check_run_id,
    default_run_id,
    games_from_env,
    parse_angles,
    task_shard,
)
from .progress import LineProgress, TerminalProgress, summary_table
from .report import GameReport
from .runner import Display, run_games


def setting_option(name: str, **kwargs: Any) -> Any:
    """A Click option for one entry of config.SETTINGS."""
    s = SETTINGS[name]
    if s.default is not None and "default" not in kwargs:
        kwargs["default"] = s.default
        kwargs["show_default"] = True
    return click.option(s.flag, name, envvar=s.env, help=f"{s.help} [env: {s.env}]", **kwargs)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="playclips")
def main() -> None:
    """Per-play training clips and JSONL manifests from full-game, multi-angle video."""


@main.command()
@click.argument("game_ids", nargs=-1)
@setting_option("plays", required=True)
@setting_option("videos", required=True)
@setting_option("out", required=True)
@setting_option("angles")
@setting_option("workers", type=click.IntRange(1, 64))
@setting_option("angles_in_flight", type=click.IntRange(1, 16))
@setting_option("run_id")
@setting_option("mode", type=click.Choice(["copy", "encode"]))
@setting_option("height", type=click.IntRange(16, 4320))
@setting_option("fps", type=click.FloatRange(1, 240))
@setting_option("crf", type=click.IntRange(0, 51))
@setting_option(
    "preset",
    type=click.Choice(
        ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower"]
    ),
)
@setting_option("log_format", type=click.Choice(["auto", "text", "json"]))
def run(game_ids: tuple[str, ...], **options: Any) -> None:
    """Clip GAME_IDS (or the games in PLAYCLIPS_GAMES, this task's share on Cloud Run).

    Writes clips/{game}/{angle}/{play}.mp4, manifests/{game}/clips.jsonl and
    reports/{run_id}/{game}.json below --out.
    """
    try:
        settings = _settings(options)
        games = list(game_ids) or task_shard(games_from_env())
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if not games:
        raise click.UsageError("no games: give GAME_IDS or set PLAYCLIPS_GAMES")
    sys.exit(_run(settings, games))


@main.command()
@click.option(
    "--out",
    default="demo-out",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the sample game's videos and plays, and for the clips made from them.",
)
@setting_option("log_format", type=click.Choice(["auto", "text", "json"]))
def demo(out: str, log_format: str) -> None:
    """Make a sample 4-angle game with ~30 plays and clip it, all on this machine."""
    from .demo import make_sample_game

    root = Path(out)
    click.echo(f"Sample game in {root} (made once, then reused)", err=True)
    plays, videos = make_sample_game(root, lambda m: click.echo(f"  {m}", err=True))
    settings = Settings(
        plays=str(plays),
        videos=str(videos),
        out=str(root),
        run_id=default_run_id(),
        log_format=log_format,
    )
    from .demo import DEMO_GAME

    code = _run(settings, [DEMO_GAME])
    click.echo(f"Clips in {root / 'clips'}, manifest in {root / 'manifests'}", err=True)
    sys.exit(code)


def _settings(options: dict[str, Any]) -> Settings:
    return Settings(
        plays=options["plays"],
        videos=options["videos"],
        out=options["out"],
        angles=parse_angles(options["angles"]),
        workers=options["workers"],
        angles_in_flight=options["angles_in_flight"],
        run_id=check_run_id(options["run_id"] or default_run_id()),
        mode=options["mode"],
        height=options["height"],
        fps=options["fps"],
        crf=options["crf"],
        preset=options["preset"],
        log_format=options["log_format"],
    )


def _display(log_format: str) -> Display:
    if log_format == "auto":
        if os.environ.get(JOB_ENV):
            log_format = "json"
        elif sys.stderr.isatty():
            return TerminalProgress()  # type: ignore[return-value]
        else:
            log_format = "text"
    return LineProgress(json_lines=log_format == "json")  # type: ignore[return-value]


def _run(settings: Settings, games: list[str]) -> int:
    display = _display(settings.log_format)
    try:
        reports = run_games(settings, games, display)
    finally:
        display.close()
    _finish(reports, json_lines=isinstance(display, LineProgress) and display.json_lines)
    return 0 if all(r.ok for r in reports) else 1


def _finish(reports: list[GameReport], json_lines: bool) -> None:
    if not json_lines:
        summary_table(reports)
    for report in reports:
        for issue in report.rejected:
            where = f"{issue.angle}: " if issue.angle else ""
            click.echo(
                f"warning: {report.game_id}: {where}play {issue.play_id} skipped: {issue.reason}",
                err=True,
            )
        for line in report.failure_lines():
            click.echo(f"error: {line}", err=True)


if __name__ == "__main__":
    main()
