"""Start the clip pipeline in the cloud: one Workflows execution of clip_pipeline.workflows.yaml.

Where the workflow is comes from `terraform -chdir=terraform/envs/<env> output -json`
(project_id, region, workflow_name, training_bucket) unless flags or environment variables
name it.

The games list travels as an object, never as the argument: the Executions API caps an
execution's argument at 32 KB and a running workflow's variables at 512 KB, while 10,000 ids of
128 characters are ~1.3 MB of JSON. So the trigger checks the ids, writes the list to
gs://TRAINING_BUCKET/runs/{run_id}/games.json (a JSON list, custom metadata game_count = its
length, which the workflow reads as the task count without loading the list), and passes
{"games_uri": ..., "run_id": ..., options} to the workflow; every task of the job reads the
same object (PLAYCLIPS_GAMES_URI). Writing it needs storage.objects.create (and .delete, to
replace it on a rerun with the same run id) below runs/ of the training bucket.

The execution's argument is that input as a JSON *string*
(POST https://workflowexecutions.googleapis.com/v1/projects/P/locations/L/workflows/W/executions
with body {"argument": "<json>"}; google-cloud-workflows sends the same request over gRPC).
With --wait, the execution is polled until it ends and its result (the dataset summary) is
returned.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import ConfigError, check_run_id, default_run_id, parse_angles
from ..layout import games_key
from ..model import InvalidId, check_id

MAX_GAMES = 10_000  # Cloud Run's task limit per execution: one task per game
ENVS = ("dev", "prod")
GAME_COUNT_KEY = "game_count"  # the object's custom metadata: the list's length
CONSOLE = "https://console.cloud.google.com/workflows/workflow/{region}/{workflow}/execution/{id}?project={project}"
DONE_STATES = ("SUCCEEDED", "FAILED", "CANCELLED", "UNAVAILABLE")
POLL_S = 5.0  # first poll interval of --wait; it grows to MAX_POLL_S while nothing changes
MAX_POLL_S = 60.0
# The run options the workflow takes in its input (None: the job's default).
WORKFLOW_OPTIONS = ("angles", "mode", "height", "fps", "crf", "preset", "splits", "prompt")


class TriggerError(Exception):
    """The pipeline cannot be started or followed; the message says what to do."""


@dataclass(frozen=True)
class Target:
    """The deployed workflow an execution is started in."""

    project: str
    region: str
    workflow: str
    bucket: str  # the training bucket: the job's output root, where runs/ lives

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.region}/workflows/{self.workflow}"


NO_CREDENTIALS = (
    "no Google credentials found: run `gcloud auth application-default login` (or set "
    "GOOGLE_APPLICATION_CREDENTIALS to a credentials file), then trigger again"
)


def terraform_outputs(env: str, root: Path = Path()) -> dict[str, Any]:
    """`terraform output -json` of terraform/envs/<env>, as {name: value}."""
    folder = root / "terraform" / "envs" / env
    if not folder.is_dir():
        raise TriggerError(
            f"{folder} does not exist: run from the repository root, or pass "
            "--project, --region and --workflow"
        )
    terraform = shutil.which("terraform")
    if terraform is None:
        raise TriggerError("terraform is not installed: pass --project, --region and --workflow")
    proc = subprocess.run(
        [terraform, f"-chdir={folder}", "output", "-json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise TriggerError(
            f"terraform output failed in {folder} (has `make plan`/`make apply ENV={env}` run "
            f"here?): {terraform_error(proc.stderr)}"
        )
    try:
        return {name: out["value"] for name, out in json.loads(proc.stdout or "{}").items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise TriggerError(f"terraform output -json in {folder} is not JSON") from None


def terraform_error(stderr: str, limit: int = 600) -> str:
    """Terraform's error on one line, whole: its `Error:` paragraph (the box drawing and
    colour codes dropped), shortened only at a word boundary, never mid-word."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", stderr)
    lines = [line.strip(" │╷╵\t") for line in text.splitlines()]
    start = next((i for i, line in enumerate(lines) if line.startswith("Error:")), 0)
    message = " ".join(line for line in lines[start:] if line)
    if len(message) <= limit:
        return message
    cut = message[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def resolve_target(
    env: str,
    project: str | None = None,
    region: str | None = None,
    workflow: str | None = None,
    bucket: str | None = None,
    outputs: Callable[[str], dict[str, Any]] = terraform_outputs,
) -> Target:
    """The workflow to run and its training bucket: flags first, then Terraform outputs."""
    if env not in ENVS:
        raise TriggerError(f"unknown environment {env!r}: use local, {' or '.join(ENVS)}")
    if not (project and region and workflow and bucket):
        out = outputs(env)
        project = project or out.get("project_id")
        region = region or out.get("region")
        workflow = workflow or out.get("workflow_name")
        bucket = bucket or out.get("training_bucket")
    given = (("project", project), ("region", region), ("workflow", workflow))
    missing = [n for n, v in given if not v] + ([] if bucket else ["training-bucket"])
    if missing:
        raise TriggerError(
            f"no {', '.join(missing)} for {env}: terraform output has none; pass "
            + " ".join(f"--{m}" for m in missing)
        )
    return Target(str(project), str(region), str(workflow), str(bucket))


def parse_games_file(text: str, name: str) -> list[str]:
    """Game ids from a file: a JSON list of strings, or one id per line (blank lines skipped)."""
    if text.lstrip().startswith(("[", "{")):
        try:
            games = json.loads(text)
        except ValueError as exc:
            raise TriggerError(f"{name} is not a JSON list of game ids: {exc}") from None
        if not isinstance(games, list) or not all(isinstance(g, str) for g in games):
            raise TriggerError(f"{name}: expected a JSON list of game id strings")
        return games
    return [line.strip() for line in text.splitlines() if line.strip()]


def check_games(games: list[str]) -> list[str]:
    """The games, checked as the workflow and the job check them (ids, duplicates, count)."""
    if not games:
        raise TriggerError("give at least one GAME_ID")
    if len(games) > MAX_GAMES:
        raise TriggerError(
            f"{len(games)} games: one execution takes at most {MAX_GAMES}; trigger in batches"
        )
    try:
        for game in games:
            check_id("game", game)
    except InvalidId as exc:
        raise TriggerError(str(exc)) from None
    if len(set(games)) != len(games):
        raise TriggerError("a game is listed twice")
    return list(games)


def games_uri(bucket: str, run_id: str) -> str:
    """gs://BUCKET/runs/{run_id}/games.json: the one place the workflow accepts a games list."""
    return f"gs://{bucket}/" + games_key(run_id)


def write_games(target: Target, run_id: str, games: list[str], client: Any = None) -> str:
    """Write the checked games list where the workflow reads it; return its gs:// URI.

    A rerun with the same run id replaces the object (same run, same list, same place).
    """
    from google.api_core import exceptions
    from google.api_core.retry import Retry
    from google.auth.exceptions import DefaultCredentialsError
    from google.cloud import storage

    uri = games_uri(target.bucket, run_id)
    try:
        client = client or storage.Client(project=target.project)
        blob = client.bucket(target.bucket).blob(games_key(run_id))
        blob.metadata = {GAME_COUNT_KEY: str(len(games))}
        # Retried even without a precondition: rewriting the same bytes is idempotent.
        blob.upload_from_string(
            json.dumps(check_games(games)), content_type="application/json", retry=Retry()
        )
    except DefaultCredentialsError:
        raise TriggerError(NO_CREDENTIALS) from None
    except exceptions.GoogleAPICallError as exc:
        raise TriggerError(
            f"could not write the games list to {uri}: {exc}; you need to create objects "
            f"below runs/ in gs://{target.bucket} (e.g. roles/storage.objectUser)"
        ) from None
    return uri


def execution_argument(uri: str, run_id: str, **options: Any) -> dict[str, Any]:
    """The workflow input: where the games are, the run id, each option given (None: default)."""
    given = {k: v for k, v in options.items() if v is not None}
    return {"games_uri": uri, "run_id": run_id, **given}


def executions_client() -> Any:
    """A Workflow Executions client with Application Default Credentials; raise TriggerError."""
    from google.auth import exceptions as auth_exceptions
    from google.cloud.workflows import executions_v1  # lazily: the job never needs it

    try:
        return executions_v1.ExecutionsClient()
    except auth_exceptions.DefaultCredentialsError:
        raise TriggerError(NO_CREDENTIALS) from None
    except auth_exceptions.GoogleAuthError as exc:
        raise TriggerError(
            f"Google credentials could not be loaded ({type(exc).__name__}): run "
            "`gcloud auth application-default login`, then trigger again"
        ) from None


def start(client: Any, target: Target, argument: dict[str, Any]) -> Any:
    """Create the execution; return it (its `name` identifies it)."""
    from google.api_core import exceptions
    from google.cloud.workflows import executions_v1

    try:
        return client.create_execution(
            parent=target.parent,
            execution=executions_v1.Execution(argument=json.dumps(argument)),
        )
    except exceptions.GoogleAPICallError as exc:
        raise TriggerError(f"could not start {target.parent}: {exc}") from None


def console_url(execution_name: str) -> str:
    """The Cloud console page of an execution (projects/P/locations/L/workflows/W/executions/ID)."""
    parts = execution_name.split("/")
    if len(parts) != 8 or parts[0::2] != ["projects", "locations", "workflows", "executions"]:
        raise TriggerError(f"not an execution name: {execution_name!r}")
    project, region, workflow, execution_id = parts[1::2]
    return CONSOLE.format(region=region, workflow=workflow, id=execution_id, project=project)


def state_name(execution: Any) -> str:
    """The execution's state as a name: ACTIVE, SUCCEEDED, FAILED, ..."""
    return getattr(execution.state, "name", str(execution.state))


def wait(
    client: Any,
    name: str,
    progress: Callable[[str], None],
) -> Any:
    """Poll the execution until it ends, reporting its state and current step as they change."""
    from google.api_core import exceptions

    started = time.monotonic()
    last = ""
    delay = POLL_S
    while True:
        try:
            execution = client.get_execution(name=name)
        except exceptions.GoogleAPICallError as exc:
            raise TriggerError(f"could not read {name}: {exc}") from None
        state = state_name(execution)
        steps = [s.step for s in execution.status.current_steps] if execution.status else []
        now = f"{state}{' at ' + ', '.join(steps) if steps else ''}"
        if now != last:
            elapsed = int(time.monotonic() - started)
            progress(f"{elapsed // 60}m{elapsed % 60:02d}s  {now}")
            last, delay = now, POLL_S
        if state in DONE_STATES:
            return execution
        time.sleep(delay)
        delay = min(delay * 1.5, MAX_POLL_S)


def outcome(execution: Any) -> tuple[dict[str, Any] | None, str]:
    """(the workflow's result, if it returned one; an error message, or '')."""
    state = state_name(execution)
    if state != "SUCCEEDED":
        payload = execution.error.payload if execution.error else ""
        return None, f"the execution ended {state}: {payload or 'no error payload'}"
    try:
        result = json.loads(execution.result or "null")
    except ValueError:
        return None, f"the workflow returned something that is not JSON: {execution.result[:200]}"
    if not isinstance(result, dict):
        return None, f"the workflow returned {result!r}, not a summary"
    return result, ""


def trigger_cloud(
    games: list[str],
    env: str,
    options: dict[str, Any],
    follow: bool,
    say: Callable[[str], None],
    progress: Callable[[str], None],
) -> dict[str, Any] | None:
    """Start the workflow of `env` on `games`; with `follow`, wait and return its summary.

    `options` holds WORKFLOW_OPTIONS, run_id, and the target's project, region, workflow and
    training_bucket (None: from Terraform). What a user needs to find the execution goes to
    `say`, each change of state while following to `progress`. Returns None when not
    following. Raises TriggerError, also for an execution that did not end with a summary.
    """
    try:
        games = check_games(games)
        if options["angles"]:
            parse_angles(options["angles"])  # the workflow checks too; say it before any write
        run_id = check_run_id(options["run_id"] or default_run_id())
    except ConfigError as exc:
        raise TriggerError(str(exc)) from None
    target = resolve_target(
        env, *(options[k] for k in ("project", "region", "workflow", "training_bucket"))
    )
    uri = write_games(target, run_id, games)
    say(f"Games ({len(games)}): {uri}")
    argument = execution_argument(uri, run_id, **{k: options[k] for k in WORKFLOW_OPTIONS})
    client = executions_client()
    execution = start(client, target, argument)
    say(f"Started {execution.name}")
    say(f"Console: {console_url(execution.name)}")
    # The trigger chose the run id: the games file is named after it.
    say(f"Run id: {run_id}")
    if not follow:
        say(
            f"Run page: reports/{run_id}/index.html in the training bucket, written when "
            "the run ends (--wait prints its address)"
        )
        return None
    summary, error = outcome(wait(client, execution.name, progress))
    if summary is None:
        raise TriggerError(error)
    return summary
