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
    ConfigError,
    Settings,
    check_plays,
    check_root,
    check_run_id,
    default_run_id,
    find_setting,
    games_from_env,
    parse_angles,
    task_shard,
)
from .progress import LineProgress, TerminalProgress, log_json, summary_table
from .report import GameReport
from .runner import Display, run_games


def setting_option(name: str, **kwargs: Any) -> Any:
    """A Click option for one entry of the settings tables in config."""
    s = find_setting(name)
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
    """Clip GAME_IDS (or the games in the PLAYCLIPS_GAMES_URI file or PLAYCLIPS_GAMES, this
    task's share on Cloud Run).

    Writes clips/{game}/{angle}/{play}.mp4, manifests/{game}/clips.jsonl and
    reports/{run_id}/{game}.json below --out.
    """
    try:
        settings = _settings(options)
        games = list(game_ids) or task_shard(games_from_env())
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if not games:
        raise click.UsageError(
            "no games: give GAME_IDS, or set PLAYCLIPS_GAMES_URI or PLAYCLIPS_GAMES"
        )
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
    if options["height"] and options["height"] % 2:
        raise ConfigError(
            f"{find_setting('height').flag}: {options['height']} is odd; encoded clips are "
            "yuv420p, which needs an even height"
        )
    return Settings(
        plays=check_plays(options["plays"]),
        videos=check_root("videos", options["videos"]),
        out=check_root("out", options["out"]),
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
    """The summary table, then one line per skipped play and per failure (JSON on Cloud Run)."""

    def say(severity: str, text: str, game_id: str) -> None:
        if json_lines:
            log_json(severity, text, game=game_id)
        else:
            click.echo(f"{severity.lower()}: {text}", err=True)

    if not json_lines:
        summary_table(reports)
    for report in reports:
        for issue in report.rejected:
            where = f"{issue.angle}: " if issue.angle else ""
            say(
                "WARNING",
                f"{report.game_id}: {where}play {issue.play_id} skipped: {issue.reason}",
                report.game_id,
            )
        for line in report.failure_lines():
            say("ERROR", line, report.game_id)


# --- finalize and trigger: the dataset and the whole pipeline (docs/orchestration.md) ---------


@main.command()
@click.argument("game_ids", nargs=-1)
@setting_option("out", required=True)
@setting_option("run_id", required=True)
@setting_option("splits")
@setting_option("prompt")
def finalize(game_ids: tuple[str, ...], out: str, run_id: str, splits: str, prompt: str) -> None:
    """Write the run's dataset from its games' manifests and reports.

    GAME_IDS default to every game in the PLAYCLIPS_GAMES_URI file or PLAYCLIPS_GAMES
    (finalize runs as one task). Writes
    datasets/{run_id}/: clips/, vertex/ and gemini/ JSONL split by game, and summary.json.
    Exits 0 when the dataset is written, even if games failed (summary.json lists them),
    1 when it cannot be written, 2 on bad usage.
    """
    from .dataset import DatasetError, check_prompt, parse_splits

    try:
        run_id = check_run_id(run_id)
        shares, prompt = parse_splits(splits), check_prompt(prompt)
        games = list(game_ids) or games_from_env()
    except (ConfigError, DatasetError) as exc:
        raise click.UsageError(str(exc)) from None
    if not games:
        raise click.UsageError(
            "no games: give GAME_IDS, or set PLAYCLIPS_GAMES_URI or PLAYCLIPS_GAMES"
        )
    sys.exit(0 if _finalize(out, run_id, games, shares, prompt) is not None else 1)


def _finalize(
    out: str, run_id: str, games: list[str], shares: dict[str, float], prompt: str
) -> dict[str, Any] | None:
    from .dataset import finalize as write_dataset
    from .storage import StorageError, open_storage

    try:
        summary = write_dataset(open_storage(out), run_id, games, shares, prompt)
    except StorageError as exc:
        click.echo(f"error: run {run_id}: the dataset was not written: {exc}", err=True)
        return None
    _print_summary(summary)
    return summary


def _print_summary(summary: dict[str, Any]) -> None:
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


def _like_run(name: str) -> Any:
    """Option `name` as `playclips run` takes it (flag, env var, type), passed on unless unset."""
    param = next(p for p in run.params if p.name == name)
    return setting_option(name, type=param.type, default=None)


@main.command()
@click.argument("game_ids", nargs=-1, required=True)
@setting_option("env", type=click.Choice(["local", "dev", "prod"]))
@click.option(
    "--wait/--no-wait",
    default=False,
    help="Cloud: follow the execution until it ends, print the summary, and exit 1 if it "
    "failed or a game did (local runs always wait).",
)
@_like_run("mode")
@_like_run("height")
@_like_run("fps")
@_like_run("crf")
@_like_run("preset")
@_like_run("run_id")
@setting_option("splits", default=None)
@setting_option("prompt", default=None)
@setting_option("project")
@setting_option("region")
@setting_option("workflow")
@setting_option("training_bucket")
@setting_option("out", default="out", show_default=True)
@setting_option("plays")
@setting_option("videos")
@setting_option("log_format", type=click.Choice(["auto", "text", "json"]))
def trigger(game_ids: tuple[str, ...], env: str, wait: bool, **options: Any) -> None:
    """Clip GAME_IDS and build their dataset, here (--env local) or in the cloud.

    local: `playclips run` then `playclips finalize` on this machine, below --out. Asked
    for the demo game (demo-game-1) with no --plays/--videos, it makes it first.
    dev/prod: starts one execution of the environment's workflow (names from `terraform
    output`, or --project/--region/--workflow) and prints it and its console URL.
    """
    if env == "local":
        sys.exit(_trigger_local(list(game_ids), options))
    sys.exit(_trigger_cloud(list(game_ids), env, wait, options))


def _trigger_local(games: list[str], options: dict[str, Any]) -> int:
    from .dataset import DatasetError, check_prompt, parse_splits
    from .demo import DEMO_GAME, make_sample_game

    plays, videos, out = options["plays"], options["videos"], options["out"]
    if not (plays and videos):
        if set(games) != {DEMO_GAME}:
            raise click.UsageError(
                f"--plays and --videos (or PLAYCLIPS_PLAYS, PLAYCLIPS_VIDEOS) are needed for "
                f"games other than the demo game {DEMO_GAME}"
            )
        click.echo(f"Sample game in {out} (made once, then reused)", err=True)
        made = make_sample_game(Path(out), lambda m: click.echo(f"  {m}", err=True))
        plays, videos = str(made[0]), str(made[1])
    # Parsed by `run` itself, so its checks, defaults and environment variables apply.
    argv = ["--plays", plays, "--videos", videos, "--out", out]
    for name in ("mode", "height", "fps", "crf", "preset", "run_id", "log_format"):
        if options[name] is not None:
            argv += [find_setting(name).flag, str(options[name])]
    try:
        with run.make_context("run", argv) as ctx:
            settings = _settings(ctx.params)
        shares = parse_splits(options["splits"] or find_setting("splits").default)
        prompt = check_prompt(options["prompt"] or find_setting("prompt").default)
    except (ConfigError, DatasetError) as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Run {settings.run_id}: {len(games)} game(s) into {out}", err=True)
    code = _run(settings, games)
    summary = _finalize(out, settings.run_id, games, shares, prompt)
    return 1 if code or summary is None or not summary["ok"] else 0


def _trigger_cloud(games: list[str], env: str, wait: bool, options: dict[str, Any]) -> int:
    from .trigger import (
        TriggerError,
        check_games,
        console_url,
        execution_argument,
        executions_client,
        outcome,
        resolve_target,
        start,
        write_games,
    )
    from .trigger import wait as wait_for

    passed = ("mode", "height", "fps", "crf", "preset", "splits", "prompt")
    try:
        games = check_games(games)
        run_id = check_run_id(options["run_id"] or default_run_id())
        target = resolve_target(
            env, *(options[k] for k in ("project", "region", "workflow", "training_bucket"))
        )
        uri = write_games(target, run_id, games)
        click.echo(f"Games ({len(games)}): {uri}")
        argument = execution_argument(uri, run_id, **{k: options[k] for k in passed})
        client = executions_client()
        execution = start(client, target, argument)
        click.echo(f"Started {execution.name}")
        click.echo(f"Console: {console_url(execution.name)}")
        if not wait:
            return 0
        execution = wait_for(client, execution.name, lambda m: click.echo(f"  {m}", err=True))
    except (TriggerError, ConfigError) as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    summary, error = outcome(execution)
    if summary is None:
        click.echo(f"error: {error}", err=True)
        return 1
    _print_summary(summary)
    return 0 if summary.get("ok") else 1


@main.group()
def plays() -> None:
    """Plays in Supabase: load your own plays file (CSV or JSON) into the tables `run` reads."""


@plays.command("push")
@click.argument("plays_file")
@click.option(
    "--game",
    "games",
    multiple=True,
    help="Push only this game (repeatable); default: every game in the file.",
)
def plays_push(plays_file: str, games: tuple[str, ...]) -> None:
    """Upsert PLAYS_FILE (a path or gs:// URI) into Supabase: games, videos with offsets, plays.

    The file is checked as `playclips run --plays PLAYS_FILE` checks it, and a play that would
    be rejected stops the push before anything is written. Needs SUPABASE_URL and
    SUPABASE_SERVICE_KEY (the service-role key). An upsert adds and updates; it never deletes.
    """
    from .plays import PlaysError, open_plays_source
    from .plays.push import push_plays
    from .plays.supabase import SupabasePlays

    if plays_file == "supabase":
        raise click.UsageError("PLAYS_FILE is a CSV or JSON file (a path or gs:// URI)")
    try:
        source = open_plays_source(plays_file)
        with SupabasePlays.from_env() as target:
            result = push_plays(
                source, target, list(games), lambda m: click.echo(f"  {m}", err=True)
            )
    except PlaysError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Pushed {result.games} game(s), {result.videos} video row(s), {result.plays} play(s) "
        f"to {target.url}"
    )


if __name__ == "__main__":
    main()
