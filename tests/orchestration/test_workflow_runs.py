"""The workflow, executed: workflows-emulator runs clip_pipeline.workflows.yaml with storage on
fake-gcs-server and Cloud Run v2 on a loopback stub (tests/orchestration/workflow_emulator.py
lists what is patched in the emulator and why). This covers the workflow's control flow,
validation, data shaping and error handling; the connectors' own behaviour is Google's."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
import requests
from workflows_emulator.utils import WorkflowError

from playclips.config import GAMES_URI_ENV
from playclips.run.inputs import games_from_uri
from playclips.run.trigger import Target, execution_argument, write_games

from ..support.fake_gcs import FakeGcs
from .workflow_emulator import CloudRunStub, Emulated, RunCall, patch_emulator, run_workflow, serve

PROJECT, REGION, JOB, BUCKET = "proj-1", "europe-west1", "playclips-clips", "training-1"
JOB_NAME = f"projects/{PROJECT}/locations/{REGION}/jobs/{JOB}"
EXECUTION_ID = "wf-exec-7"


@pytest.fixture
def cloud(
    fake_gcs: FakeGcs, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[CloudRunStub, Emulated]]:
    """Start the Cloud Run stub with scripted outcomes and patch the emulator to use the fakes."""
    for name, value in {
        "GOOGLE_CLOUD_PROJECT_ID": PROJECT,
        "GOOGLE_CLOUD_LOCATION": REGION,
        "GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID": EXECUTION_ID,
        "PLAYCLIPS_JOB_NAME": JOB,
        "PLAYCLIPS_TRAINING_BUCKET": BUCKET,
        **fake_gcs.env(),
    }.items():
        monkeypatch.setenv(name, value)
    servers: list[Any] = []

    def start(*outcomes: Any) -> tuple[CloudRunStub, Emulated]:
        context = serve(CloudRunStub(list(outcomes)))
        stub = context.__enter__()
        servers.append(context)
        return stub, patch_emulator(monkeypatch, fake_gcs.url, stub.url)

    yield start
    for context in servers:
        context.__exit__(None, None, None)


def put_object(fake_gcs: FakeGcs, key: str, data: bytes, content_type: str) -> None:
    response = requests.post(
        f"{fake_gcs.url}/upload/storage/v1/b/{BUCKET}/o",
        params={"uploadType": "media", "name": key},
        data=data,
        headers={"Content-Type": content_type},
        timeout=10,
    )
    response.raise_for_status()


def get_object(fake_gcs: FakeGcs, key: str) -> requests.Response:
    return requests.get(
        f"{fake_gcs.url}/storage/v1/b/{BUCKET}/o/{urllib.parse.quote(key, safe='')}",
        params={"alt": "media"},
        timeout=10,
    )


def summary(run_id: str) -> dict[str, Any]:
    return {"run_id": run_id, "ok": True, "games": {"requested": 3, "ok": ["g1", "g2", "g3"]}}


def finalize_writes_summary(
    fake_gcs: FakeGcs, content_type: str = "application/json"
) -> Callable[[RunCall], None]:
    """What the finalize task does last: write datasets/{run_id}/summary.json."""

    def effect(call: RunCall) -> None:
        run_id = call.container["args"][2]
        data = json.dumps(summary(run_id)).encode()
        put_object(fake_gcs, f"datasets/{run_id}/summary.json", data, content_type)

    return effect


def test_success_runs_one_task_per_game_then_finalize(cloud, fake_gcs: FakeGcs) -> None:
    stub, seen = cloud(("ok", None), ("ok", finalize_writes_summary(fake_gcs)))
    result = run_workflow(
        {
            "games": ["g1", "g2", "g3"],
            "run_id": "wk1",
            "mode": "encode",
            "height": 720,
            "fps": 29.97,
            "crf": 23,
            "preset": "fast",
            "angles": "WIDE,TIGHT",
            "splits": "0.9,0.1,0",
            "prompt": "Which play? {labels}",
        }
    )
    clips, finalize = stub.calls
    assert clips.job == finalize.job == JOB_NAME
    assert clips.overrides["taskCount"] == 3
    assert clips.container["name"] == "playclips" and "args" not in clips.container
    uri = f"gs://{BUCKET}/runs/wk1/games.json"
    assert clips.env == {
        GAMES_URI_ENV: uri,
        "PLAYCLIPS_RUN_ID": "wk1",
        "PLAYCLIPS_MODE": "encode",
        "PLAYCLIPS_HEIGHT": "720",
        "PLAYCLIPS_FPS": "29.97",
        "PLAYCLIPS_CRF": "23",
        "PLAYCLIPS_PRESET": "fast",
        "PLAYCLIPS_ANGLES": "WIDE,TIGHT",
    }
    assert finalize.overrides["taskCount"] == 1
    assert finalize.container["args"] == ["finalize", "--run-id", "wk1"]
    assert finalize.env == {
        GAMES_URI_ENV: uri,
        "PLAYCLIPS_SPLITS": "0.9,0.1,0",
        "PLAYCLIPS_PROMPT": "Which play? {labels}",
    }
    # The list the workflow wrote is what the job reads, through the job's own reader.
    assert games_from_uri(uri) == ["g1", "g2", "g3"]
    assert result == {
        **summary("wk1"),
        "clip_job": {"execution": f"{JOB_NAME}/executions/exec-1", "error": None},
    }
    assert stub.polls == 2  # both operations were awaited
    timeouts = {c: p.get("timeout") for c, p in seen.connector_params if "jobs.run" in c}
    assert timeouts["googleapis.run.v2.projects.locations.jobs.run"] == 18000  # the last: finalize


def test_defaults_copy_mode_and_the_execution_id_as_run_id(cloud, fake_gcs: FakeGcs) -> None:
    stub, _ = cloud(("ok", None), ("ok", finalize_writes_summary(fake_gcs)))
    result = run_workflow({"games": ["g1"]})
    clips, finalize = stub.calls
    assert clips.env["PLAYCLIPS_RUN_ID"] == EXECUTION_ID
    assert clips.env["PLAYCLIPS_MODE"] == "copy"
    assert finalize.env == {GAMES_URI_ENV: f"gs://{BUCKET}/runs/{EXECUTION_ID}/games.json"}
    assert result["run_id"] == EXECUTION_ID


def test_a_summary_stored_as_text_is_decoded(cloud, fake_gcs: FakeGcs) -> None:
    stub, _ = cloud(("ok", None), ("ok", finalize_writes_summary(fake_gcs, "text/plain")))
    result = run_workflow({"games": ["g1", "g2"], "run_id": "as-text"})
    assert result["ok"] is True and result["run_id"] == "as-text"
    assert result["clip_job"]["error"] is None
    assert len(stub.calls) == 2


def test_a_failed_clip_execution_still_finalizes(cloud, fake_gcs: FakeGcs) -> None:
    stub, _ = cloud(("fail", None), ("ok", finalize_writes_summary(fake_gcs)))
    result = run_workflow({"games": ["g1", "g2"], "run_id": "half"})
    assert len(stub.calls) == 2  # a finished, failed execution is not retried
    assert stub.calls[1].container["args"] == ["finalize", "--run-id", "half"]
    assert "1 task failed" in result["clip_job"]["error"]
    assert result["ok"] is True  # the summary finalize wrote, from the games that succeeded


def test_a_failed_finalize_fails_the_run_with_both_outcomes(cloud, fake_gcs: FakeGcs) -> None:
    stub, _ = cloud(("fail", None), ("fail", None))
    with pytest.raises(WorkflowError) as raised:
        run_workflow({"games": ["g1"], "run_id": "lost"})
    message = str(raised.value)
    assert message.startswith("run lost: finalize failed, so there is no dataset summary")
    assert "clip job Execution" in message and message.count("1 task failed") == 2
    assert raised.value.payload["run_id"] == "lost"
    assert len(stub.calls) == 2
    assert get_object(fake_gcs, "datasets/lost/summary.json").status_code == 404


def test_a_request_that_failed_in_transit_is_retried_with_backoff(cloud, fake_gcs: FakeGcs) -> None:
    stub, seen = cloud(("http500", None), ("ok", None), ("ok", finalize_writes_summary(fake_gcs)))
    result = run_workflow({"games": ["g1"], "run_id": "retried"})
    assert [c.container.get("args") for c in stub.calls] == [
        None,
        None,
        ["finalize", "--run-id", "retried"],
    ]
    assert seen.sleeps  # backed off before the retry
    assert result["clip_job"] == {"execution": f"{JOB_NAME}/executions/exec-2", "error": None}


def test_ten_thousand_long_ids_travel_as_the_triggers_games_file(
    cloud, fake_gcs: FakeGcs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trigger writes the list; the argument stays small; taskCount comes from the file."""
    from google.cloud import storage

    games = [f"g{i:05d}-" + "x" * (128 - 7) for i in range(10_000)]
    client = storage.Client(project="playclips-test")
    uri = write_games(Target(PROJECT, REGION, "wf", BUCKET), "big", games, client)
    argument = execution_argument(uri, "big", mode="copy")
    assert len(json.dumps(argument)) < 1000  # the Executions API takes at most 32 KB
    stub, _ = cloud(("ok", None), ("ok", finalize_writes_summary(fake_gcs)))
    result = run_workflow(argument)
    clips, finalize = stub.calls
    assert clips.overrides["taskCount"] == 10_000
    assert clips.env[GAMES_URI_ENV] == finalize.env[GAMES_URI_ENV] == uri
    assert clips.env["PLAYCLIPS_RUN_ID"] == "big"
    assert games_from_uri(uri) == games  # what every task reads
    assert result["run_id"] == "big"


def bad(name: str, argument: Any, message: str) -> Any:
    return pytest.param(argument, message, id=name)


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        bad("not-a-map", ["g1"], "input must be a JSON object"),
        bad("no-games", {"mode": "copy"}, 'input has no "games"'),
        bad("both", {"games": ["g1"], "games_uri": "gs://x/y"}, "not both"),
        bad("games-not-list", {"games": "g1"}, '"games" must be a list'),
        bad("games-empty", {"games": []}, '"games" is empty'),
        bad("too-many", {"games": [f"g{i}" for i in range(10_001)]}, "at most 10000"),
        bad("id-not-string", {"games": ["g1", 7]}, "games[1] is not a string"),
        bad("id-slash", {"games": ["g1", "a/b"]}, 'games[1] "a/b" is not a valid game id'),
        bad("id-dots", {"games": ["a..b"]}, 'games[0] "a..b" is not a valid game id'),
        bad("id-too-long", {"games": ["a" * 129]}, "is not a valid game id"),
        bad("id-twice", {"games": ["g1", "g2", "g1"]}, 'games[2] "g1" is listed twice'),
        bad("run-id-number", {"games": ["g1"], "run_id": 123}, '"run_id" must be a string'),
        bad("run-id-pattern", {"games": ["g1"], "run_id": "a b"}, '"run_id" must be 1-128'),
        bad("run-id-dots", {"games": ["g1"], "run_id": "a..b"}, '"run_id" must be 1-128'),
        bad("mode", {"games": ["g1"], "mode": "fast"}, '"mode" must be "copy" or "encode"'),
        bad("splits-list", {"games": ["g1"], "splits": [0.8, 0.1, 0.1]}, '"splits" must be'),
        bad("splits-number", {"games": ["g1"], "splits": 0.8}, '"splits" must be a string'),
        bad("prompt-map", {"games": ["g1"], "prompt": {"text": "x"}}, '"prompt" must be'),
        bad("height-string", {"games": ["g1"], "height": "720"}, '"height" must be'),
        bad("fps-string", {"games": ["g1"], "fps": "30"}, '"fps" must be a number'),
        bad("crf-double", {"games": ["g1"], "crf": 20.5}, '"crf" must be a whole number'),
        bad("height-double", {"games": ["g1"], "height": 720.5}, '"height" must be'),
        bad("fps-bool", {"games": ["g1"], "fps": True}, '"fps" must be a number'),
        bad("preset-number", {"games": ["g1"], "preset": 3}, '"preset" must be'),
        bad("angles-list", {"games": ["g1"], "angles": ["WIDE"]}, '"angles" must be a string'),
        bad("angles-lower", {"games": ["g1"], "angles": "wide,TIGHT"}, '"angles" must be upper'),
        bad("uri-not-string", {"games_uri": 5, "run_id": "r"}, '"games_uri" must be a gs://'),
        bad(
            "uri-no-run-id", {"games_uri": f"gs://{BUCKET}/runs/r/games.json"}, 'needs the "run_id"'
        ),
        bad(
            "uri-elsewhere",
            {"games_uri": "gs://other/runs/r/games.json", "run_id": "r"},
            f'"games_uri" must be gs://{BUCKET}/runs/r/games.json',
        ),
        bad(
            "uri-missing",
            {"games_uri": f"gs://{BUCKET}/runs/none/games.json", "run_id": "none"},
            "cannot be read",
        ),
    ],
)
def test_bad_input_fails_before_anything_runs(cloud, argument: Any, message: str) -> None:
    stub, _ = cloud()
    with pytest.raises(WorkflowError) as raised:
        run_workflow(argument)
    assert message in str(raised.value)
    assert stub.calls == []


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({}, "has no game_count metadata"),
        ({"game_count": "0"}, "has no game_count metadata"),
        ({"game_count": "ten"}, "has no game_count metadata"),
        ({"game_count": "10001"}, "lists 10001 games; one run takes at most 10000"),
    ],
)
def test_a_games_file_without_a_usable_count_is_refused(
    cloud, fake_gcs: FakeGcs, metadata: dict[str, str], message: str
) -> None:
    from google.cloud import storage

    blob = storage.Client(project="playclips-test").bucket(BUCKET).blob("runs/hand/games.json")
    blob.metadata = metadata or None
    blob.upload_from_string('["g1"]', content_type="application/json")
    stub, _ = cloud()
    with pytest.raises(WorkflowError) as raised:
        run_workflow({"games_uri": f"gs://{BUCKET}/runs/hand/games.json", "run_id": "hand"})
    assert message in str(raised.value)
    assert stub.calls == []
