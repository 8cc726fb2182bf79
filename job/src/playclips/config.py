"""Every setting in one place: its flag, its environment variable, its default, its meaning.

The CLI builds its options from SETTINGS, Terraform sets the same variables on the Cloud Run
job, and the workflow overrides the per-execution ones (games, run id, mode); tests check that
all three agree with this table.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field

from .model import InvalidId, check_angle, check_id


@dataclass(frozen=True)
class Setting:
    """One user-facing setting."""

    flag: str
    env: str
    help: str
    default: object = None


SETTINGS: dict[str, Setting] = {
    "plays": Setting(
        "--plays",
        "PLAYCLIPS_PLAYS",
        "Where plays come from: a CSV/JSON plays file, or 'supabase' (then SUPABASE_URL and "
        "SUPABASE_SERVICE_KEY are read).",
    ),
    "videos": Setting(
        "--videos",
        "PLAYCLIPS_VIDEOS",
        "Video root: a folder or gs://bucket[/prefix] holding {game_id}/{ANGLE}.mp4.",
    ),
    "out": Setting(
        "--out",
        "PLAYCLIPS_OUT",
        "Output root: a folder or gs://bucket[/prefix] for clips/, manifests/ and reports/.",
    ),
    "angles": Setting(
        "--angles",
        "PLAYCLIPS_ANGLES",
        "Comma-separated angles to clip, in this order (default: every angle the game has: "
        "its videos rows, else the {ANGLE}.mp4 files in its folder).",
        "",
    ),
    "workers": Setting(
        "--workers", "PLAYCLIPS_WORKERS", "Games clipped at once (processes) on this machine.", 1
    ),
    "angles_in_flight": Setting(
        "--angles-in-flight",
        "PLAYCLIPS_ANGLES_IN_FLIGHT",
        "Angles of one game clipped at once (each holds one open video).",
        4,
    ),
    "angle_processes": Setting(
        "--angle-processes",
        "PLAYCLIPS_ANGLE_PROCESSES",
        "Processes that cut a game's angles in copy mode, sharing the angles in flight (0: one "
        "per available CPU, at most --angles-in-flight; 1: angles in threads of this process). "
        "Used when games run one at a time (--workers 1).",
        0,
    ),
    "run_id": Setting(
        "--run-id",
        "PLAYCLIPS_RUN_ID",
        "Names the run's reports folder; default: the Cloud Run execution name, or a timestamp.",
    ),
    "mode": Setting(
        "--mode",
        "PLAYCLIPS_MODE",
        "copy: stream copy, source quality, clips start on a keyframe with exact label offsets; "
        "encode: re-encoded with libx264, starting exactly on the play's first frame.",
        "copy",
    ),
    "height": Setting(
        "--height",
        "PLAYCLIPS_HEIGHT",
        "Encode mode: output height in pixels, width keeps the aspect ratio (default: source).",
    ),
    "fps": Setting(
        "--fps", "PLAYCLIPS_FPS", "Encode mode: output frame rate (default: the source's)."
    ),
    "crf": Setting("--crf", "PLAYCLIPS_CRF", "Encode mode: libx264 CRF quality, 0-51.", 20),
    "preset": Setting("--preset", "PLAYCLIPS_PRESET", "Encode mode: libx264 preset.", "veryfast"),
    "max_preroll_s": Setting(
        "--max-preroll",
        "PLAYCLIPS_MAX_PREROLL_S",
        "Copy mode: how far before a play (seconds) its keyframe may be; a source whose "
        "keyframes are further apart needs --mode encode.",
        64.0,
    ),
    "max_clip_bytes": Setting(
        "--max-clip-bytes",
        "PLAYCLIPS_MAX_CLIP_BYTES",
        "The most bytes one clip may hold in memory; a play that needs more fails alone.",
        256 << 20,
    ),
    "max_index_entries": Setting(
        "--max-index-entries",
        "PLAYCLIPS_MAX_INDEX_ENTRIES",
        "The most samples an MP4/MOV angle's index may list (all tracks); larger ones are "
        "refused before their index is loaded.",
        4_000_000,
    ),
    "max_frame_pixels": Setting(
        "--max-frame-pixels",
        "PLAYCLIPS_MAX_FRAME_PIXELS",
        "The largest source frame (width x height) an angle may have; larger ones are refused.",
        8192 * 4352,
    ),
    "log_format": Setting(
        "--log-format",
        "PLAYCLIPS_LOG_FORMAT",
        "auto (progress bars on a terminal, JSON lines on Cloud Run, text otherwise), "
        "text or json.",
        "auto",
    ),
    "require_sync": Setting(
        "--require-sync",
        "PLAYCLIPS_REQUIRE_SYNC",
        "Warn about every game with an angle that `playclips sync --write` never measured "
        "(its offset is as entered, its drift 0).",
        False,
    ),
}

# Set by the workflow per execution; read by `playclips run` when no GAME_ID is given.
GAMES_ENV = "PLAYCLIPS_GAMES"
# What the workflow sets instead: where it wrote the games list (runs/{run_id}/games.json), since
# a Cloud Run env value holds at most 32 KiB and 10,000 ids of up to 128 characters do not fit.
# A gs:// URI or a local path; read by `run` and `finalize` when no GAME_ID is given.
GAMES_URI_ENV = "PLAYCLIPS_GAMES_URI"
# 10,000 ids of up to 128 characters as a JSON list are ~1.3 MB; anything far larger is not one.
GAMES_FILE_MAX_BYTES = 16 * 1024 * 1024
# Set by Cloud Run on every task (https://cloud.google.com/run/docs/container-contract#jobs-env-vars).
TASK_INDEX_ENV = "CLOUD_RUN_TASK_INDEX"
TASK_COUNT_ENV = "CLOUD_RUN_TASK_COUNT"
EXECUTION_ENV = "CLOUD_RUN_EXECUTION"
JOB_ENV = "CLOUD_RUN_JOB"

# The Gemini tuning prompt; dataset.PROMPT_FIELDS lists the placeholders it may use.
DEFAULT_PROMPT = (
    "Football game {game_id}, camera {angle}. Watch the play between {start} and {end} of this "
    "clip. Which kind of play is it (one of: {labels})? Answer with JSON: "
    '{{"label": "...", "description": "..."}}'
)

# Options of `playclips finalize` and `playclips trigger`. They are kept out of SETTINGS, whose
# every entry is an option of `playclips run` (tests/cli/test_cli.py holds it to that).
DATASET_SETTINGS: dict[str, Setting] = {
    "splits": Setting(
        "--splits",
        "PLAYCLIPS_SPLITS",
        "Train,validation,test shares of the games. The split is by game (a game's clips never "
        "straddle splits) and decided by a hash of the game id; a held-out split gets "
        "floor(games x share) games, so small runs train on everything.",
        "0.8,0.1,0.1",
    ),
    "prompt": Setting(
        "--prompt",
        "PLAYCLIPS_PROMPT",
        "Gemini tuning: text of the user turn beside the clip. Placeholders: {game_id}, "
        "{play_id}, {angle}, {start}, {end} (the play inside the clip, e.g. 1.25s), {labels} "
        "(every label in the dataset); write {{ and }} for literal braces.",
        DEFAULT_PROMPT,
    ),
}
# Options of `playclips finalize` (and `trigger --env local`) that the workflow does not set per
# execution: flags, or environment variables on the machine or job that runs finalize.
FINALIZE_SETTINGS: dict[str, Setting] = {
    "prompt_max_labels": Setting(
        "--prompt-max-labels",
        "PLAYCLIPS_PROMPT_MAX_LABELS",
        "Gemini tuning: most distinct labels the prompt's {labels} may list; past it finalize "
        "stops with an error (every example would repeat the whole list).",
        200,
    ),
    "vertex_validation": Setting(
        "--vertex-validation",
        "PLAYCLIPS_VERTEX_VALIDATION",
        "Vertex AI video datasets use no validation set: the split the validation games' clips "
        "take in the Vertex AI file, test or train (clip records and Gemini keep validation).",
        "test",
    ),
}
TRIGGER_SETTINGS: dict[str, Setting] = {
    "env": Setting(
        "--env",
        "PLAYCLIPS_ENV",
        "local: clip and finalize here (the demo game is made when asked for); dev or prod: "
        "start the workflow that terraform/envs/ENV deployed.",
        "local",
    ),
    "project": Setting(
        "--project", "PLAYCLIPS_PROJECT", "Cloud: project id (default: terraform output)."
    ),
    "region": Setting(
        "--region", "PLAYCLIPS_REGION", "Cloud: workflow region (default: terraform output)."
    ),
    "workflow": Setting(
        "--workflow", "PLAYCLIPS_WORKFLOW", "Cloud: workflow name (default: terraform output)."
    ),
    "training_bucket": Setting(
        "--training-bucket",
        "PLAYCLIPS_TRAINING_BUCKET",
        "Cloud: the training bucket the workflow writes to; the trigger puts the games list in "
        "its runs/RUN_ID/games.json (default: terraform output).",
    ),
}


@dataclass(frozen=True)
class Limit:
    """A bound on what one input may cost in memory or time; set in the environment only.

    A limit turns an input that would exhaust the task (a wrong file given as the plays file,
    a hostile one) into one clear error; its default is far above anything real.
    """

    env: str
    default: int
    help: str


LIMITS: dict[str, Limit] = {
    "plays_file_bytes": Limit(
        "PLAYCLIPS_MAX_PLAYS_FILE_BYTES",
        256 * 1024 * 1024,
        "Largest local plays file read (it is read whole): 10,000 games of 150 plays are "
        "about 300 MB of CSV.",
    ),
}


# Options of `playclips sync` (docs/sync.md).
SYNC_SETTINGS: dict[str, Setting] = {
    "reference": Setting(
        "--reference",
        "PLAYCLIPS_SYNC_REFERENCE",
        "The angle the others are measured against; it keeps its offset_s and drift_ppm "
        "(default: the first of --angles).",
    ),
    "windows": Setting(
        "--windows",
        "PLAYCLIPS_SYNC_WINDOWS",
        "Audio windows compared, spread evenly across the game (more: surer, more bytes read).",
        10,
    ),
    "window_s": Setting(
        "--window",
        "PLAYCLIPS_SYNC_WINDOW_S",
        "Seconds of audio per window.",
        10.0,
    ),
    "max_offset_s": Setting(
        "--max-offset",
        "PLAYCLIPS_SYNC_MAX_OFFSET_S",
        "Seconds either side of an angle's current offset searched for the reference's sound; "
        "every extra second reads 2 s more audio of each angle.",
        30.0,
    ),
    "max_drift_ppm": Setting(
        "--max-drift",
        "PLAYCLIPS_SYNC_MAX_DRIFT_PPM",
        "Largest clock drift believed, in parts per million (consumer cameras: within 50).",
        200.0,
    ),
    "min_confidence": Setting(
        "--min-confidence",
        "PLAYCLIPS_SYNC_MIN_CONFIDENCE",
        "An angle measured with less confidence (0-1) is refused: reported, never stored.",
        0.6,
    ),
}


def limit(name: str, environ: dict[str, str] | None = None) -> int:
    """The value of limit `name`: its environment variable, else its default.

    Raises ConfigError naming the variable when it is set to anything but a positive whole
    number.
    """
    env = os.environ if environ is None else environ
    entry = LIMITS[name]
    raw = env.get(entry.env, "").strip()
    if not raw:
        return entry.default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(
            f"{entry.env} must be a positive whole number (default {entry.default}); "
            f"it is {raw[:40]!r}"
        )
    return int(raw)


def check_limits(environ: dict[str, str] | None = None) -> dict[str, int]:
    """Every limit's value, so that a bad one is found before any game starts."""
    return {name: limit(name, environ) for name in LIMITS}


def find_setting(name: str) -> Setting:
    """The entry for `name` in one of the settings tables."""
    for table in (SETTINGS, DATASET_SETTINGS, FINALIZE_SETTINGS, TRIGGER_SETTINGS, SYNC_SETTINGS):
        if name in table:
            return table[name]
    raise KeyError(name)


class ConfigError(ValueError):
    """A setting has a value playclips cannot use; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one `playclips run`."""

    plays: str
    videos: str
    out: str
    angles: tuple[str, ...] = ()  # () = every angle the game has
    workers: int = 1
    angles_in_flight: int = 4
    angle_processes: int = 0  # 0: one per available CPU (run/angle_pool.py)
    run_id: str = ""
    mode: str = "copy"
    height: int | None = None
    fps: float | None = None
    crf: int = 20
    preset: str = "veryfast"
    log_format: str = "auto"
    max_preroll_s: float = 64.0
    max_clip_bytes: int = 256 << 20
    max_index_entries: int = 4_000_000
    max_frame_pixels: int = 8192 * 4352
    extra: dict[str, object] = field(default_factory=dict)


def parse_angles(text: str) -> tuple[str, ...]:
    """'FAR_LEFT,NEAR_LEFT' -> ('FAR_LEFT', 'NEAR_LEFT'); '' -> () (every angle the game has);
    raise ConfigError if invalid."""
    angles = tuple(a.strip() for a in text.split(",") if a.strip())
    if not angles:
        return ()  # every angle the game has
    try:
        for angle in angles:
            check_angle(angle)
    except InvalidId as exc:
        raise ConfigError(f"{SETTINGS['angles'].flag}: {exc}") from None
    if len(set(angles)) != len(angles):
        raise ConfigError(f"{SETTINGS['angles'].flag}: an angle is listed twice")
    return angles


def default_run_id(environ: dict[str, str] | None = None) -> str:
    """The Cloud Run execution name when there is one, else a UTC timestamp with a suffix."""
    env = os.environ if environ is None else environ
    if env.get(EXECUTION_ENV):
        return env[EXECUTION_ENV]
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(2)


def check_run_id(run_id: str) -> str:
    try:
        return check_id("run", run_id)
    except InvalidId as exc:
        raise ConfigError(f"{SETTINGS['run_id'].flag}: {exc}") from None


def check_plays(spec: str, environ: dict[str, str] | None = None) -> str:
    """The plays setting; `supabase` needs SUPABASE_URL and SUPABASE_SERVICE_KEY set."""
    env = os.environ if environ is None else environ
    if spec == "supabase":
        names = ("SUPABASE_URL", "SUPABASE_SERVICE_KEY")
        missing = [n for n in names if not env.get(n, "").strip()]
        if missing:
            raise ConfigError(
                f"--plays supabase needs {' and '.join(missing)} in the environment "
                "(SUPABASE_URL=https://<project-ref>.supabase.co; SUPABASE_SERVICE_KEY is the "
                "service-role key, on Cloud Run from Secret Manager)"
            )
    return spec


def task_shard(games: list[str], environ: dict[str, str] | None = None) -> list[str]:
    """This Cloud Run task's share of the games: games[index::count] (all of them locally)."""
    env = os.environ if environ is None else environ
    try:
        index = int(env.get(TASK_INDEX_ENV, "0"))
        count = int(env.get(TASK_COUNT_ENV, "1"))
    except ValueError:
        raise ConfigError(f"{TASK_INDEX_ENV}/{TASK_COUNT_ENV} must be integers") from None
    if count < 1 or not 0 <= index < count:
        raise ConfigError(f"task index {index} is outside 0..{count - 1}")
    return games[index::count]


def one_task(environ: dict[str, str] | None = None) -> bool:
    """Whether this process runs the whole run, not one Cloud Run task of several."""
    env = os.environ if environ is None else environ
    return env.get(TASK_COUNT_ENV, "1") == "1"
