"""The Workflows definition: valid, wired, and passing the job exactly what the job reads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
import yaml

from playclips.cli import main
from playclips.config import DATASET_SETTINGS, GAMES_ENV, GAMES_URI_ENV, SETTINGS
from playclips.model import ID_PATTERN

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "workflows" / "clip_pipeline.workflows.yaml"
# SchemaStore's JSON Schema for Workflows (https://json.schemastore.org/workflows.json,
# Apache-2.0), kept beside this test so it runs offline.
SCHEMA = Path(__file__).with_name("workflows.schema.json")
RUN_CONNECTOR = "googleapis.run.v2.projects.locations.jobs.run"
STDLIB_CALLS = ("http.", "sys.", "events.", "googleapis.")


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def steps_of(steps: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (name, body) in a step list, nested ones (try, for, switch, except) included."""
    for item in steps:
        ((name, body),) = item.items()
        yield name, body
        yield from nested(body)


def nested(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    if "steps" in body:
        yield from steps_of(body["steps"])
    if "try" in body:
        tried = body["try"]
        yield from steps_of(tried["steps"]) if "steps" in tried else nested(tried)
    if "except" in body:
        yield from steps_of(body["except"]["steps"])
    if "for" in body:
        yield from steps_of(body["for"]["steps"])
    for condition in body.get("switch", []):
        yield from nested(condition)


def calls(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The bodies holding a `call` in a step (directly or as its try)."""
    if "call" in body:
        yield body
    if "try" in body and "call" in body["try"]:
        yield body["try"]


def job_runs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Step name -> the args of each call to the Cloud Run jobs.run connector."""
    return {
        name: call["args"]
        for name, body in steps_of(workflow["main"]["steps"])
        for call in calls(body)
        if call["call"] == RUN_CONNECTOR
    }


def test_validates_against_the_workflows_schema(workflow: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(workflow)
    ]
    assert not errors, "\n".join(errors)


def test_every_next_and_call_target_exists(workflow: dict[str, Any]) -> None:
    subworkflows = set(workflow)
    for routine, definition in workflow.items():
        names = [name for name, _ in steps_of(definition["steps"])]
        assert len(names) == len(set(names)), f"{routine}: a step name is used twice"
        for name, body in steps_of(definition["steps"]):
            targets = [body.get("next")] + [c.get("next") for c in body.get("switch", [])]
            for target in filter(None, targets):
                assert target in {*names, "end", "continue", "break"}, f"{name}: next {target}"
            for call in calls(body):
                if not call["call"].startswith(STDLIB_CALLS):
                    assert call["call"] in subworkflows, f"{name}: calls {call['call']}"
            retry = body.get("retry")
            if isinstance(retry, dict) and "predicate" in retry:
                predicate = retry["predicate"].removeprefix("${").removesuffix("}")
                assert predicate in subworkflows, f"{name}: retry predicate {predicate}"


def test_runs_one_clip_execution_with_a_task_per_game(workflow: dict[str, Any]) -> None:
    runs = job_runs(workflow)
    assert set(runs) == {"run_clips", "finalize"}
    overrides = runs["run_clips"]["body"]["overrides"]
    # game_count is the checked list's length, or the trigger's file's game_count metadata.
    validate = dict(next(iter(s.items())) for s in workflow["main"]["steps"])["validate"]
    assert validate["call"] == "check_input"
    assert overrides["taskCount"] == "${game_count}"
    assert _assigned(workflow, "count_listed_games") == {"game_count": "${len(input.games)}"}
    assert _assigned(workflow, "count_file_games") == {
        "game_count": "${int(games_meta.metadata.game_count)}"
    }
    (container,) = overrides["containerOverrides"]
    assert container["name"] == "playclips"  # the container name the clip_job module sets
    assert "args" not in container  # the job's default args, ["run"]
    assert runs["finalize"]["body"]["overrides"]["taskCount"] == 1


def env_names(workflow: dict[str, Any], variable: str) -> set[str]:
    """Every env name the workflow puts into `variable` (initial list and later concats)."""
    text = WORKFLOW.read_text()
    assigned = next(
        a[variable]
        for _, body in steps_of(workflow["main"]["steps"])
        for a in body.get("assign", [])
        if variable in a and isinstance(a[variable], list)
    )
    names = {item["name"] for item in assigned}
    for match in re.finditer(rf"- {variable}: '\$\{{list\.concat\({variable}, (.*)\)\}}'", text):
        names |= set(re.findall(r'"name": "([A-Z_]+)"', match.group(1)))
        if "encode_env[option]" in match.group(1):
            init = dict(next(iter(s.items())) for s in workflow["main"]["steps"])["init"]
            names |= set(
                next(a for a in init["assign"] if "encode_env" in a)["encode_env"].values()
            )
    return names


def command_env_vars(command: str) -> set[str]:
    cmd = main.commands[command]
    return {p.envvar for p in cmd.params if isinstance(p, click.Option) and p.envvar}


def test_clip_env_is_exactly_what_run_reads(workflow: dict[str, Any]) -> None:
    names = env_names(workflow, "clip_env")
    expected = {GAMES_URI_ENV} | {
        SETTINGS[s].env for s in ("run_id", "angles", "mode", "height", "fps", "crf", "preset")
    }
    assert names == expected
    # The games travel as a file (a Cloud Run env value holds at most 32 KiB), never inline.
    assert GAMES_ENV not in names
    assert names - {GAMES_URI_ENV} <= command_env_vars("run")


def test_finalize_env_and_args_are_what_finalize_reads(workflow: dict[str, Any]) -> None:
    names = env_names(workflow, "finalize_env")
    assert names == {GAMES_URI_ENV} | {s.env for s in DATASET_SETTINGS.values()}
    assert names - {GAMES_URI_ENV} <= command_env_vars("finalize")
    (container,) = job_runs(workflow)["finalize"]["body"]["overrides"]["containerOverrides"]
    assert container["name"] == "playclips"
    command, flag, value = container["args"]  # args replace the job's default ["run"]
    assert command in main.commands
    finalize = main.commands[command]
    option = next(p for p in finalize.params if isinstance(p, click.Option) and flag in p.opts)
    assert option.name == "run_id" and option.envvar == SETTINGS["run_id"].env
    assert value == "${run_id}"
    # finalize takes every game: GAME_IDS default to the PLAYCLIPS_GAMES_URI file, unsharded.
    assert any(isinstance(p, click.Argument) and p.name == "game_ids" for p in finalize.params)


def test_encode_options_map_input_keys_to_the_settings_of_the_same_name(
    workflow: dict[str, Any],
) -> None:
    init = dict(next(iter(s.items())) for s in workflow["main"]["steps"])["init"]
    encode_env = next(a for a in init["assign"] if "encode_env" in a)["encode_env"]
    names = ("angles", "height", "fps", "crf", "preset")
    assert encode_env == {k: SETTINGS[k].env for k in names}


def test_a_failed_clip_execution_still_reaches_finalize(workflow: dict[str, Any]) -> None:
    main_steps = [next(iter(s)) for s in workflow["main"]["steps"]]
    body = dict(next(iter(s.items())) for s in workflow["main"]["steps"])
    run_clips = body["run_clips"]
    handler = run_clips["except"]["steps"]
    for name, step in steps_of(handler):
        assert not {"raise", "return", "next"} & set(step), f"except step {name} leaves the flow"
    assert "next" not in run_clips
    # Nothing between the clip run and finalize can stop the flow.
    between = main_steps[main_steps.index("run_clips") + 1 : main_steps.index("finalize")]
    assert between == []


def test_retries_back_off_and_only_transient_errors_retry_the_clip_run(
    workflow: dict[str, Any],
) -> None:
    body = dict(next(iter(s.items())) for s in workflow["main"]["steps"])
    for name in ("run_clips", "finalize"):
        retry = body[name]["retry"]
        assert retry["predicate"] == "${retry_transient}"
        backoff = retry["backoff"]
        assert all(isinstance(v, int) for v in backoff.values()), "the schema wants literals"
        assert backoff["multiplier"] >= 2 and backoff["max_delay"] > backoff["initial_delay"]
    assert body["run_clips"]["retry"]["max_retries"] <= body["finalize"]["retry"]["max_retries"]
    predicate = yaml.safe_dump(workflow["retry_transient"])
    assert "OperationError" not in predicate and "TimeoutError" not in predicate


def job_defaults() -> tuple[int, int]:
    """(task timeout in seconds, max retries): the clip_job module's defaults."""
    text = (REPO / "terraform" / "modules" / "clip_job" / "variables.tf").read_text()
    timeout = re.search(r'task_timeout\s*=\s*optional\(string,\s*"(\d+)s"\)', text)
    retries = re.search(r"max_retries\s*=\s*optional\(number,\s*(\d+)\)", text)
    assert timeout and retries, "clip_job's execution defaults moved: update this test"
    return int(timeout.group(1)), int(retries.group(1))


def test_connector_timeouts_cover_their_worst_case(workflow: dict[str, Any]) -> None:
    runs = job_runs(workflow)
    task_timeout, max_retries = job_defaults()
    timeout = runs["run_clips"]["connector_params"]["timeout"]
    # 10,000 tasks, 100 at a time, one task timeout each, plus the retries at the tail.
    assert timeout >= 10_000 // 100 * task_timeout + max_retries * task_timeout
    assert timeout <= 31_536_000  # the connector's maximum, one year
    # finalize is one task: every attempt Cloud Run makes may run to the task timeout.
    assert runs["finalize"]["connector_params"]["timeout"] >= (1 + max_retries) * task_timeout


def test_input_checks_use_the_jobs_id_rule(workflow: dict[str, Any]) -> None:
    text = yaml.safe_dump(workflow["check_input"], width=1000)
    regexes = set(re.findall(r'text\.match_regex\([^,]+, "([^"]+)"\)', text))
    angles = "^[A-Z][A-Z0-9_]*(,[A-Z][A-Z0-9_]*)*$"  # the angle names' rule, without the length
    assert regexes == {f"^{ID_PATTERN.replace(chr(92), '')}$", angles}
    regexes.discard(angles)
    assert text.count("text.find_all(") >= 2  # and no '..', as model.check_id says
    for rule, regex in [("id", next(iter(regexes)))]:
        for good in ("g1", "2024-09-08_KC.at.BAL", "a" * 128):
            assert re.fullmatch(regex, good), (rule, good)
        for bad in ("", "-g", "a/b", "a b", "a" * 129):
            assert not re.fullmatch(regex, bad), (rule, bad)
    assert "10000" in text


def test_run_id_defaults_to_the_execution_id_and_reads_terraforms_env(
    workflow: dict[str, Any],
) -> None:
    text = WORKFLOW.read_text()
    assert 'sys.get_env("GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID")' in text
    # The user_env_vars terraform/modules/pipeline sets; nothing else is read.
    read = set(re.findall(r'sys\.get_env\("([A-Z_]+)"\)', text))
    assert read == {
        "GOOGLE_CLOUD_PROJECT_ID",
        "GOOGLE_CLOUD_LOCATION",
        "GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID",
        "PLAYCLIPS_JOB_NAME",
        "PLAYCLIPS_TRAINING_BUCKET",
    }
    pipeline = REPO / "terraform" / "modules" / "pipeline" / "main.tf"
    if pipeline.exists():
        for name in ("PLAYCLIPS_JOB_NAME", "PLAYCLIPS_TRAINING_BUCKET"):
            assert name in pipeline.read_text()


def test_summary_is_read_from_where_finalize_writes_it(workflow: dict[str, Any]) -> None:
    from playclips.layout import dataset_key

    text = WORKFLOW.read_text()
    assert dataset_key("RUN", "summary.json") == "datasets/RUN/summary.json"
    assert '"datasets/" + run_id + "/summary.json"' in text


def _main_steps(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(next(iter(s.items())) for s in workflow["main"]["steps"])


def _assigned(workflow: dict[str, Any], step: str) -> dict[str, Any]:
    return {k: v for a in _main_steps(workflow)[step]["assign"] for k, v in a.items()}


def test_games_file_is_written_where_both_executions_read_it(workflow: dict[str, Any]) -> None:
    body = _main_steps(workflow)
    order = [next(iter(s)) for s in workflow["main"]["steps"]]
    # Written after the input is validated and the run named, before either execution starts.
    assert order.index("name_run") < order.index("write_games") < order.index("run_clips")
    write = body["write_games"]["try"]
    assert write["call"] == "googleapis.storage.v1.objects.insert"
    args = write["args"]
    assert args["bucket"] == "${bucket}"  # the training bucket (PLAYCLIPS_TRAINING_BUCKET)
    assert args["uploadType"] == "media"
    assert args["name"] == "${text.url_encode(games_object)}"
    assert args["body"] == "${json.encode_to_string(input.games)}"  # the checked list, as JSON
    assert body["write_games"]["retry"] == "${http.default_retry}"
    named = _assigned(workflow, "name_run")
    assert named["games_object"] == '${"runs/" + run_id + "/games.json"}'
    assert named["games_uri"] == '${"gs://" + bucket + "/" + games_object}'
    for variable in ("clip_env", "finalize_env"):
        (games,) = [e for e in named[variable] if e["name"] == GAMES_URI_ENV]
        assert games["value"] == "${games_uri}"


def test_the_workflow_touches_only_the_prefixes_its_iam_allows(workflow: dict[str, Any]) -> None:
    """It writes and reads below runs/ and reads below datasets/: what terraform/modules/pipeline
    grants (objectUser on runs/, objectViewer on datasets/)."""
    storage_calls = sorted(
        (call["call"].rsplit(".", 1)[1], call["args"].get("name") or call["args"]["object"])
        for _, body in steps_of(workflow["main"]["steps"])
        for call in calls(body)
        if call["call"].startswith("googleapis.storage.v1.objects.")
    )
    assert storage_calls == [
        ("get", '${text.url_encode("datasets/" + run_id + "/summary.json")}'),
        ("get", "${text.url_encode(games_object)}"),
        ("insert", "${text.url_encode(games_object)}"),
    ]
    named = _assigned(workflow, "name_run")
    assert named["games_object"].startswith('${"runs/" + run_id')
    pipeline_iam = REPO / "terraform" / "modules" / "pipeline" / "iam.tf"
    if pipeline_iam.exists():
        text = pipeline_iam.read_text()
        for prefix in ("runs/", "datasets/"):
            assert f'/objects/{prefix}\\")' in text, prefix
