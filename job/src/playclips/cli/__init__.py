"""The `playclips` command: a thin shell over the library.

Every option's flag, environment variable and help come from config.SETTINGS.
Exit codes: 0 every game ok; 1 a game failed, was partial or interrupted; 2 bad usage (also
an unusable plays file: every game's report then says why).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..config import (
    ConfigError,
    Settings,
    check_plays,
    check_run_id,
    default_run_id,
    find_setting,
    one_task,
    parse_angles,
    task_shard,
)
from ..outputs.report import one_line
from ..run.inputs import check_root, games_from_env
from ..run.progress import LineProgress, log_json
from ..run.runner import PlaysUnusable, run_games
from . import render
from .options import LOG_FORMATS, PRESETS, dataset_options, run_settings, setting_option

# google.api_core warns on every import under Python 3.11 that its future releases will drop
# 3.11 (in 2027). It asks nothing of a user running playclips, so that one warning is silenced
# for the command; every other warning still shows.
warnings.filterwarnings(
    "ignore",
    message=r"You are using a Python version .* which Google will stop supporting",
    category=FutureWarning,
    module=r"google\.api_core\._python_version_support",
)


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
@setting_option("angle_processes", type=click.IntRange(0, 16))
@setting_option("run_id")
@setting_option("mode", type=click.Choice(["copy", "encode"]))
@setting_option("height", type=click.IntRange(16, 4320))
@setting_option("fps", type=click.FloatRange(1, 240))
@setting_option("crf", type=click.IntRange(0, 51))
@setting_option("preset", type=PRESETS)
@setting_option("max_preroll_s", type=click.FloatRange(0.5, 3600))
@setting_option("max_clip_bytes", type=click.IntRange(1 << 20))
@setting_option("max_frame_pixels", type=click.IntRange(64 * 64))
@setting_option("max_index_entries", type=click.IntRange(1000))
@setting_option("log_format", type=LOG_FORMATS)
@setting_option("require_sync", is_flag=True)
def run(game_ids: tuple[str, ...], **options: Any) -> None:
    """Clip GAME_IDS (or the games in the PLAYCLIPS_GAMES_URI file or PLAYCLIPS_GAMES, this
    task's share on Cloud Run).

    Writes clips/{game}/{angle}/{play}.mp4, manifests/{game}/clips.jsonl and
    reports/{run_id}/{game}.json below --out.
    """
    try:
        settings = run_settings(options)
        games = list(game_ids) or task_shard(games_from_env())
    except ConfigError as exc:  # it may quote a path or value: keep it on one line
        raise click.UsageError(one_line(str(exc))) from None
    if not games:
        raise click.UsageError(
            "no games: give GAME_IDS, or set PLAYCLIPS_GAMES_URI or PLAYCLIPS_GAMES"
        )
    if options["require_sync"]:
        _warn_unsynced(settings, games)
    sys.exit(_run(settings, games))


@main.command()
@click.option(
    "--out",
    default="demo-out",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the sample game's videos and plays, and for the clips made from them.",
)
@setting_option("log_format", type=LOG_FORMATS)
def demo(out: str, log_format: str) -> None:
    """Make a sample 4-angle game with ~30 plays and clip it, all on this machine."""
    from ..demo import DEMO_GAME, make_sample_game

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
    code = _run(settings, [DEMO_GAME], announce=False)
    click.echo(f"Clips in {root / 'clips'}, manifest in {root / 'manifests'}", err=True)
    render.announce(settings, render.json_lines(settings.log_format))
    sys.exit(code)


def _run(settings: Settings, games: list[str], announce: bool = True) -> int:
    display = render.display(settings.log_format, settings.run_id, len(games))
    json_lines = isinstance(display, LineProgress) and display.json_lines
    try:
        reports = run_games(settings, games, display, write_index=one_task())
    except PlaysUnusable as exc:  # no game started; each game's report says why
        display.close()
        if json_lines:
            log_json("ERROR", str(exc))
        else:
            click.echo(f"error: {exc}", err=True)
        if announce:
            render.announce(settings, json_lines)
        return 2
    except BaseException:
        display.close()
        raise
    display.close()
    render.game_lines(reports, as_json=json_lines, run_id=settings.run_id)
    if announce:
        render.announce(settings, json_lines)
    return 0 if all(r.ok for r in reports) else 1


# --- finalize and trigger: the dataset and the whole pipeline (docs/orchestration.md) ---------


@main.command()
@click.argument("game_ids", nargs=-1)
@setting_option("out", required=True)
@setting_option(
    "run_id",
    required=True,
    help="The run whose reports and manifests make the dataset (reports/RUN_ID/ below --out).",
)
@setting_option("splits")
@setting_option("prompt")
@setting_option("prompt_max_labels", type=click.IntRange(0, 100_000))
@setting_option("vertex_validation", type=click.Choice(["test", "train"]))
def finalize(game_ids: tuple[str, ...], out: str, run_id: str, **options: Any) -> None:
    """Write the run's dataset from its games' manifests and reports.

    GAME_IDS default to every game in the PLAYCLIPS_GAMES_URI file or PLAYCLIPS_GAMES
    (finalize runs as one task). Writes
    datasets/{run_id}/: clips/, vertex/ and gemini/ JSONL split by game, and summary.json.
    Exits 0 when the dataset is written, even if games failed (summary.json lists them),
    1 when it cannot be written, 2 on bad usage (an unknown run id among them).
    """
    try:
        run_id = check_run_id(run_id)
        dataset = dataset_options(options)
        games = list(game_ids) or games_from_env()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if not games:
        raise click.UsageError(
            "no games: give GAME_IDS, or set PLAYCLIPS_GAMES_URI or PLAYCLIPS_GAMES"
        )
    sys.exit(0 if _finalize(out, run_id, games, dataset) is not None else 1)


def _finalize(
    out: str, run_id: str, games: list[str], dataset: dict[str, Any]
) -> dict[str, Any] | None:
    """Write the dataset and print its summary; None when it was not written.

    An unknown run id or a prompt that cannot be built is a usage error (exit 2).
    """
    from ..outputs.dataset import DatasetError
    from ..run.local import finalize_run
    from ..storage import StorageError

    try:
        summary = finalize_run(out, run_id, games, dataset)
    except DatasetError as exc:
        raise click.UsageError(str(exc)) from None
    except StorageError as exc:
        click.echo(f"error: run {run_id}: the dataset was not written: {exc}", err=True)
        return None
    render.dataset_summary(summary)
    return summary


def _like_run(name: str) -> Any:
    """Option `name` as `playclips run` takes it (flag, env var, type), passed on unless unset."""
    param = next(p for p in run.params if p.name == name)
    return setting_option(name, type=param.type, default=None)


@main.command()
@click.argument("game_ids", nargs=-1)
@click.option(
    "--games-file",
    type=click.File("r", encoding="utf-8"),
    help="More game ids: a JSON list, or one id per line ('-' reads stdin). For long lists: "
    "10,000 ids of 128 characters do not fit on one command line.",
)
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
@setting_option("angles", default=None)
@setting_option("splits", default=None)
@setting_option("prompt", default=None)
@setting_option("prompt_max_labels", type=click.IntRange(0, 100_000), default=None)
@setting_option("vertex_validation", type=click.Choice(["test", "train"]), default=None)
@setting_option("project")
@setting_option("region")
@setting_option("workflow")
@setting_option("training_bucket")
@setting_option("out", default="out", show_default=True)
@setting_option("plays")
@setting_option("videos")
@setting_option("log_format", type=LOG_FORMATS)
def trigger(
    game_ids: tuple[str, ...], games_file: Any, env: str, wait: bool, **options: Any
) -> None:
    """Clip GAME_IDS (and the --games-file ids) and build their dataset, here or in the cloud.

    local: `playclips run` then `playclips finalize` on this machine, below --out. Asked
    for the demo game (demo-game-1) with no --plays/--videos, it makes it first.
    dev/prod: starts one execution of the environment's workflow (names from `terraform
    output`, or --project/--region/--workflow) and prints it and its console URL.
    """
    from ..run.trigger import TriggerError, parse_games_file

    games = list(game_ids)
    if games_file is not None:
        try:
            games += parse_games_file(games_file.read(), games_file.name)
        except TriggerError as exc:
            raise click.UsageError(str(exc)) from None
    if not games:
        raise click.UsageError("give GAME_IDS or --games-file")
    if env == "local":
        sys.exit(_trigger_local(games, options))
    sys.exit(_trigger_cloud(games, env, wait, options))


def _trigger_local(games: list[str], options: dict[str, Any]) -> int:
    from ..run.local import LocalTriggerError, local_exit_code, local_sources

    out = options["out"]
    try:
        plays, videos = local_sources(
            games, options["plays"], options["videos"], out, lambda m: click.echo(m, err=True)
        )
    except LocalTriggerError as exc:
        raise click.UsageError(str(exc)) from None
    # Parsed by `run` itself, so its checks, defaults and environment variables apply.
    argv = ["--plays", plays, "--videos", videos, "--out", out]
    for name in ("angles", "mode", "height", "fps", "crf", "preset", "run_id", "log_format"):
        if options[name] is not None:
            argv += [find_setting(name).flag, str(options[name])]
    try:
        with run.make_context("run", argv) as ctx:
            settings = run_settings(ctx.params)
        dataset = dataset_options(options)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Run {settings.run_id}: {len(games)} game(s) into {out}", err=True)
    code = _run(settings, games, announce=False)
    summary = _finalize(out, settings.run_id, games, dataset)
    render.announce(settings, render.json_lines(settings.log_format))
    return local_exit_code(code, summary)


def _trigger_cloud(games: list[str], env: str, wait: bool, options: dict[str, Any]) -> int:
    from ..run.trigger import TriggerError, trigger_cloud

    source = click.get_current_context().get_parameter_source
    for name in ("prompt_max_labels", "vertex_validation"):
        if source(name) == click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError(
                f"{find_setting(name).flag} applies to --env local only; the cloud workflow's "
                f"finalize takes {find_setting(name).env} from the job's environment"
            )
    try:
        summary = trigger_cloud(
            games, env, options, wait, click.echo, lambda m: click.echo(f"  {m}", err=True)
        )
    except TriggerError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    if summary is None:
        return 0
    render.dataset_summary(summary)
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
    from ..plays import PlaysError, open_plays_source
    from ..plays.push import push_plays
    from ..plays.supabase import SupabasePlays

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


# --- sync: each angle's offset and drift from its audio (docs/sync.md) -------------------------


@main.command()
@click.argument("game_ids", nargs=-1, required=True)
@setting_option("plays", required=True)
@setting_option("videos", required=True)
@setting_option("angles")
@setting_option("reference")
@setting_option("windows", type=click.IntRange(3, 100))
@setting_option("window_s", type=click.FloatRange(2, 60))
@setting_option("max_offset_s", type=click.FloatRange(0.5, 3600))
@setting_option("max_drift_ppm", type=click.FloatRange(1, 1000))
@setting_option("min_confidence", type=click.FloatRange(0, 1))
@click.option(
    "--write/--no-write",
    default=False,
    help="Store offset_s, drift_ppm, confidence and when in the plays file's video rows or "
    "in game_videos (angles below --min-confidence are refused, the others stored).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print one line per game: {"reference": ANGLE, "angles": {ANGLE: {"offset_s", '
    '"drift_ppm", "confidence"}}} (a refused angle\'s unknown values are null).',
)
def sync(game_ids: tuple[str, ...], write: bool, as_json: bool, **options: Any) -> None:
    """Measure each angle's offset_s and drift_ppm against a reference angle from their audio.

    Reads a few windows of audio spread across each game by range reads (never a whole
    video). Offsets carry each camera's distance from the sound (~2.9 ms per metre); a video
    row's offset_correction_s is added to them and kept. Exits 0 when every angle was
    measured (and stored, with --write), 1 when an angle was refused or a game failed.
    """
    from ..plays import PlaysError, open_plays_source
    from ..storage import StorageError

    try:
        from ..sync import SyncOptions, open_video_root, video_resolver
        from ..sync.store import write_local  # noqa: F401  (numpy too: checked here, once)
    except ModuleNotFoundError as exc:  # numpy: the `sync` extra, not in the job image
        raise click.ClickException(
            f"playclips sync needs {exc.name}: pip install 'playclips[sync]'"
        ) from None

    plays, videos, angles = _sync_inputs(options, write)
    measure = SyncOptions(
        windows=options["windows"],
        window_s=options["window_s"],
        max_offset_s=options["max_offset_s"],
        max_drift_ppm=options["max_drift_ppm"],
        min_confidence=options["min_confidence"],
    )
    try:
        source = open_plays_source(plays)
        root = open_video_root(videos)
        resolve = video_resolver(root)
    except (PlaysError, StorageError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    code = 0
    for game_id in game_ids:
        where = (source, plays, root, resolve)
        code = max(code, _sync_one(game_id, where, angles, options, measure, write, as_json))
    sys.exit(code)


def _sync_inputs(options: dict[str, Any], write: bool) -> tuple[str, str, tuple[str, ...]]:
    """sync's plays, video root and angles, checked; a bad one is a usage error."""
    from ..model import InvalidId, check_angle

    try:
        plays = check_plays(options["plays"])
        videos = check_root("videos", options["videos"])
        angles = parse_angles(options["angles"])
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if write and plays != "supabase" and not plays.lower().endswith(".json"):
        raise click.UsageError(
            f"--write: {plays} is a CSV plays file, which has no video rows to store offsets "
            'in; convert it to JSON: {"plays": [...], "videos": [...]}'
        )
    if options["reference"]:
        try:
            check_angle(options["reference"])
        except InvalidId as exc:
            raise click.UsageError(f"--reference: {exc}") from None
    return plays, videos, angles


def _sync_one(
    game_id: str,
    where: tuple[Any, str, Any, Any],
    angles: tuple[str, ...],
    options: dict[str, Any],
    measure: Any,
    write: bool,
    as_json: bool,
) -> int:
    """Sync one game, print (and with `write` store) its result; 0 when every angle was."""
    from ..clipping.videos import game_videos
    from ..plays import PlaysError
    from ..sync import sync_game

    source, plays, root, resolve = where
    try:
        game = source.load_game(game_id)
    except PlaysError as exc:
        click.echo(f"error: {game_id}: {exc}", err=True)
        return 1
    game_angles = angles or game_videos(game, root, None).angles  # () = the game's own
    reference = options["reference"] or game_angles[0]
    if reference not in game_angles:
        game_angles = (reference, *game_angles)
    result = sync_game(game, game_angles, reference, resolve, measure)
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        render.sync_result(result)
    for angle in result.angles.values():
        if angle.refused:
            click.echo(f"error: {game_id}: {angle.angle}: not synced: {angle.refused}", err=True)
    if write:
        return max(0 if result.ok else 1, _sync_store(game_id, source, plays, game, result))
    return 0 if result.ok else 1


def _sync_store(game_id: str, source: Any, plays: str, game: Any, result: Any) -> int:
    """Store a game's sync result where its plays came from; 1 when nothing was stored."""
    from ..plays import PlaysError
    from ..sync.store import write_local, write_supabase

    try:
        if hasattr(source, "save_video_fields"):
            stored = write_supabase(source, game, result)
        else:
            stored = write_local(plays, game, result)
    except PlaysError as exc:
        click.echo(f"error: {game_id}: nothing stored: {exc}", err=True)
        return 1
    click.echo(f"{game_id}: stored {', '.join(stored) or 'nothing'}", err=True)
    return 0


def _warn_unsynced(settings: Settings, games: list[str]) -> None:
    """`run --require-sync`: one warning per game with angles sync never measured."""
    from ..plays import PlaysError, open_plays_source

    try:
        source = open_plays_source(settings.plays)
    except PlaysError:
        return  # the run itself reports it
    for game_id in games:
        try:
            videos = source.load_game(game_id).videos
        except PlaysError:
            continue
        missing = [a for a in settings.angles if a not in videos or not videos[a].synced_at]
        if missing:
            click.echo(
                f"warning: {game_id}: {', '.join(missing)} never synced (offset as entered, no "
                f"drift): run `playclips sync {game_id} --plays ... --videos ... --write`",
                err=True,
            )
