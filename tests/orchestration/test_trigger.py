"""`make trigger` / `playclips trigger`: the local pipeline end to end, and the cloud request.

google-cloud-workflows 1.23 ships only gRPC transports for the Executions API, so the cloud
path is pinned against a loopback gRPC server: the CreateExecution message it receives is the
REST call POST /v1/projects/P/locations/L/workflows/W/executions with body
{"argument": "<json string>"} (the method's HTTP rule maps `execution` to the body).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from click.testing import CliRunner
from google.cloud.workflows import executions_v1
from google.cloud.workflows.executions_v1.services.executions.transports import (
    ExecutionsGrpcTransport,
)

from playclips.cli import main
from playclips.run import trigger
from playclips.run.inputs import games_from_uri
from playclips.run.trigger import (
    Target,
    TriggerError,
    check_games,
    console_url,
    execution_argument,
    resolve_target,
    write_games,
)

from ..support.fake_gcs import FakeGcs

REPO = Path(__file__).resolve().parents[2]
SERVICE = "google.cloud.workflows.executions.v1.Executions"
PARENT = "projects/proj-1/locations/europe-west1/workflows/playclips"
EXECUTION = f"{PARENT}/executions/0c5e-run"
BUCKET = "training-t"


class FakeExecutions:
    """The Workflow Executions service on loopback: records requests, plays a scripted run."""

    def __init__(self, final: executions_v1.Execution) -> None:
        self.requests: list[tuple[str, Any, dict[str, str]]] = []
        self.final = final
        self.gets = 0

    def create(self, request: Any, context: grpc.ServicerContext) -> executions_v1.Execution:
        self.requests.append(("CreateExecution", request, dict(context.invocation_metadata())))
        return executions_v1.Execution(
            name=EXECUTION,
            state=executions_v1.Execution.State.ACTIVE,
            argument=request.execution.argument,
        )

    def get(self, request: Any, context: grpc.ServicerContext) -> executions_v1.Execution:
        self.requests.append(("GetExecution", request, dict(context.invocation_metadata())))
        self.gets += 1
        if self.gets < 3:
            step = "run_clips" if self.gets == 1 else "finalize"
            return executions_v1.Execution(
                name=EXECUTION,
                state=executions_v1.Execution.State.ACTIVE,
                status=executions_v1.Execution.Status(
                    current_steps=[executions_v1.Execution.Status.Step(routine="main", step=step)]
                ),
            )
        return self.final


@pytest.fixture
def executions_server(request: pytest.FixtureRequest):
    final = getattr(request, "param", None) or succeeded(summary_result())
    fake = FakeExecutions(final)
    handler = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "CreateExecution": grpc.unary_unary_rpc_method_handler(
                fake.create,
                request_deserializer=executions_v1.CreateExecutionRequest.deserialize,
                response_serializer=executions_v1.Execution.serialize,
            ),
            "GetExecution": grpc.unary_unary_rpc_method_handler(
                fake.get,
                request_deserializer=executions_v1.GetExecutionRequest.deserialize,
                response_serializer=executions_v1.Execution.serialize,
            ),
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    client = executions_v1.ExecutionsClient(transport=ExecutionsGrpcTransport(channel=channel))
    yield fake, client
    channel.close()
    server.stop(None)


def summary_result(ok: bool = True) -> dict[str, Any]:
    failed = [] if ok else [{"game_id": "g2", "reason": "no video for FAR_LEFT"}]
    return {
        "run_id": "0c5e-run",
        "ok": ok,
        "games": {
            "requested": 2,
            "ok": ["g1"] + (["g2"] if ok else []),
            "partial": [],
            "failed": failed,
        },
        "counts": {
            s: {"games": 0, "clips": 0, "vertex": 0, "gemini": 0}
            for s in ("train", "validation", "test")
        },
        "skipped": [],
        "warnings": [],
        "files": {
            "summary": "gs://b/datasets/0c5e-run/summary.json",
            "vertex": "gs://b/datasets/0c5e-run/vertex/video_classification.jsonl",
            "gemini": {"train": "gs://b/datasets/0c5e-run/gemini/train.jsonl"},
        },
        "clip_job": {
            "execution": "projects/proj-1/locations/europe-west1/jobs/clips/executions/x",
            "error": None,
        },
    }


def succeeded(result: dict[str, Any]) -> executions_v1.Execution:
    return executions_v1.Execution(
        name=EXECUTION, state=executions_v1.Execution.State.SUCCEEDED, result=json.dumps(result)
    )


def cloud_args(*extra: str) -> list[str]:
    return [
        "trigger",
        "g1",
        "g2",
        "--env",
        "dev",
        "--project",
        "proj-1",
        "--region",
        "europe-west1",
        "--workflow",
        "playclips",
        "--training-bucket",
        BUCKET,
        *extra,
    ]


@pytest.fixture
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trigger, "POLL_S", 0.01)


def test_cloud_trigger_sends_one_create_execution_with_the_input_as_json(
    executions_server, monkeypatch: pytest.MonkeyPatch, gcs_env: FakeGcs
) -> None:
    fake, client = executions_server
    monkeypatch.setattr(trigger, "executions_client", lambda: client)
    args = cloud_args(
        "--mode", "encode", "--height", "720", "--fps", "29.97", "--crf", "23", "--run-id", "r-1"
    )
    result = CliRunner().invoke(main, args, env={"PLAYCLIPS_SPLITS": "0.9,0.1,0"})
    assert result.exit_code == 0, result.output
    ((method, request, metadata),) = fake.requests
    assert method == "CreateExecution"
    assert request.parent == PARENT
    # The games went to the training bucket first, where the workflow and every task read them.
    uri = f"gs://{BUCKET}/runs/r-1/games.json"
    assert games_from_uri(uri) == ["g1", "g2"]
    assert f"Games (2): {uri}" in result.output
    # The REST body is {"argument": "<this string>"}: the workflow's input, JSON-encoded.
    assert json.loads(request.execution.argument) == {
        "games_uri": uri,
        "run_id": "r-1",
        "mode": "encode",
        "height": 720,
        "fps": 29.97,
        "crf": 23,
        "splits": "0.9,0.1,0",
    }
    assert request.execution.call_log_level == 0  # the workflow's own setting applies
    assert "parent=projects" in metadata["x-goog-request-params"]
    assert f"Started {EXECUTION}" in result.output
    assert (
        "https://console.cloud.google.com/workflows/workflow/europe-west1/playclips/execution/"
        "0c5e-run?project=proj-1"
    ) in result.output


def test_cloud_trigger_waits_and_prints_the_summary(
    executions_server, monkeypatch: pytest.MonkeyPatch, fast_polls: None, gcs_env: FakeGcs
) -> None:
    fake, client = executions_server
    monkeypatch.setattr(trigger, "executions_client", lambda: client)
    result = CliRunner().invoke(main, cloud_args("--wait"))
    assert result.exit_code == 0, result.output
    assert [m for m, _, _ in fake.requests] == ["CreateExecution"] + ["GetExecution"] * 3
    assert all(r.name == EXECUTION for m, r, _ in fake.requests if m == "GetExecution")
    assert "ACTIVE at run_clips" in result.output and "ACTIVE at finalize" in result.output
    assert "Dataset of run 0c5e-run: 2 game(s) ok" in result.output
    assert "gs://b/datasets/0c5e-run/summary.json" in result.output


@pytest.mark.parametrize(
    "executions_server",
    [
        succeeded(summary_result(ok=False)),
        executions_v1.Execution(
            name=EXECUTION,
            state=executions_v1.Execution.State.FAILED,
            error=executions_v1.Execution.Error(
                payload='"games[1] \\"a/b\\" is not a valid game id"'
            ),
        ),
    ],
    indirect=True,
    ids=["a-game-failed", "execution-failed"],
)
def test_cloud_trigger_exits_1_when_the_run_or_a_game_failed(
    executions_server, monkeypatch: pytest.MonkeyPatch, fast_polls: None, gcs_env: FakeGcs
) -> None:
    _, client = executions_server
    monkeypatch.setattr(trigger, "executions_client", lambda: client)
    result = CliRunner().invoke(main, cloud_args("--wait"))
    assert result.exit_code == 1
    assert "g2: failed: no video for FAR_LEFT" in result.output or "ended FAILED" in result.output


def test_cloud_target_comes_from_terraform_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "terraform" / "envs" / "prod").mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    outputs = {
        "project_id": {"value": "proj-9", "type": "string", "sensitive": False},
        "region": {"value": "us-central1", "type": "string", "sensitive": False},
        "workflow_name": {"value": "playclips-prod", "type": "string", "sensitive": False},
        "training_bucket": {"value": "train-9", "type": "string", "sensitive": False},
    }
    fake = bin_dir / "terraform"
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\ncat <<'EOF'\n{json.dumps(outputs)}\nEOF\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    target = resolve_target("prod")
    assert target.parent == "projects/proj-9/locations/us-central1/workflows/playclips-prod"
    assert target.bucket == "train-9"
    assert calls.read_text().split() == [f"-chdir={Path('terraform/envs/prod')}", "output", "-json"]
    # Flags win; terraform is not asked when all four are given.
    assert resolve_target("prod", "p", "r", "w", "b").parent == "projects/p/locations/r/workflows/w"
    assert len(calls.read_text().splitlines()) == 1
    with pytest.raises(TriggerError, match="does not exist"):
        resolve_target("dev")


def test_bad_input_fails_before_any_request() -> None:
    with pytest.raises(TriggerError, match="invalid game id"):
        check_games(["ok-1", "../etc"])
    with pytest.raises(TriggerError, match="twice"):
        check_games(["g1", "g1"])
    with pytest.raises(TriggerError, match="at most 10000"):
        check_games([f"g{i}" for i in range(10_001)])
    assert execution_argument("gs://b/runs/r/games.json", "r", mode=None, crf=20) == {
        "games_uri": "gs://b/runs/r/games.json",
        "run_id": "r",
        "crf": 20,
    }
    with pytest.raises(TriggerError):
        console_url("projects/p/workflows/w")


def test_ten_thousand_ids_of_128_characters_go_to_the_bucket_not_the_argument(
    gcs_env: FakeGcs,
) -> None:
    """The Executions API caps an argument at 32 KB; the list is ~1.3 MB."""
    from google.cloud import storage

    games = [f"g{i:05d}-" + "x" * (128 - 7) for i in range(10_000)]
    assert len(json.dumps(games)) > 40 * 32 * 1024
    client = storage.Client(project="playclips-test")
    uri = write_games(Target("p", "r", "w", BUCKET), "big-run", games, client)
    assert uri == f"gs://{BUCKET}/runs/big-run/games.json"
    assert games_from_uri(uri) == games
    blob = client.bucket(BUCKET).get_blob("runs/big-run/games.json")
    assert blob.metadata == {"game_count": "10000"}
    assert len(json.dumps(execution_argument(uri, "big-run", mode="copy"))) < 200
    # A rerun with the same run id replaces the list.
    write_games(Target("p", "r", "w", BUCKET), "big-run", ["g1"], client)
    assert games_from_uri(uri) == ["g1"]


def test_a_bucket_the_trigger_cannot_write_is_one_clear_error(
    executions_server, monkeypatch: pytest.MonkeyPatch, gcs_env: FakeGcs
) -> None:
    fake, client = executions_server
    monkeypatch.setattr(trigger, "executions_client", lambda: client)
    args = [a if a != BUCKET else "no-such-bucket" for a in cloud_args("--run-id", "r-2")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "could not write the games list to gs://no-such-bucket/runs/r-2/games.json" in (
        result.output
    )
    assert fake.requests == []  # no execution was started


def _library_options(**given: Any) -> dict[str, Any]:
    where = {"project": "proj-1", "region": "europe-west1", "workflow": "playclips"}
    unset = dict.fromkeys((*trigger.WORKFLOW_OPTIONS, "run_id"))
    return {**unset, **where, "training_bucket": BUCKET, **given}


def test_the_library_call_says_where_the_run_is_and_returns_its_summary(
    executions_server, monkeypatch: pytest.MonkeyPatch, fast_polls: None, gcs_env: FakeGcs
) -> None:
    """What `playclips trigger --env dev` does, without the command: its lines, its summary."""
    fake, client = executions_server
    monkeypatch.setattr(trigger, "executions_client", lambda: client)
    said: list[str] = []
    states: list[str] = []
    options = _library_options(run_id="lib-1", mode="copy")
    summary = trigger.trigger_cloud(["g1", "g2"], "dev", options, True, said.append, states.append)
    assert summary == summary_result()
    assert said == [
        f"Games (2): gs://{BUCKET}/runs/lib-1/games.json",
        f"Started {EXECUTION}",
        "Console: https://console.cloud.google.com/workflows/workflow/europe-west1/playclips/"
        "execution/0c5e-run?project=proj-1",
        "Run id: lib-1",
    ]
    assert [s.split("  ", 1)[1] for s in states] == [
        "ACTIVE at run_clips",
        "ACTIVE at finalize",
        "SUCCEEDED",
    ]
    assert json.loads(fake.requests[0][1].execution.argument)["mode"] == "copy"
    # Not following: the run page's place is said instead, and nothing is polled.
    said.clear()
    assert trigger.trigger_cloud(["g1"], "dev", options, False, said.append, states.append) is None
    assert said[-1].startswith("Run page: reports/lib-1/index.html in the training bucket")
    assert [m for m, _, _ in fake.requests].count("GetExecution") == 3


def test_a_bad_setting_is_a_trigger_error_before_anything_is_written(
    executions_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, client = executions_server
    monkeypatch.setattr(trigger, "executions_client", lambda: client)
    for given, why in [({"run_id": "a/b"}, "--run-id: "), ({"angles": "far"}, "--angles: ")]:
        with pytest.raises(TriggerError, match=f"^{why}"):
            trigger.trigger_cloud(["g1"], "dev", _library_options(**given), False, print, print)
    assert fake.requests == []


def test_local_trigger_needs_plays_and_videos_for_other_games(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["trigger", "g1", "--out", str(tmp_path)],
        env={"PLAYCLIPS_PLAYS": "", "PLAYCLIPS_VIDEOS": ""},
    )
    assert result.exit_code == 2 and "--plays and --videos" in result.output


def test_make_trigger_runs_the_demo_game_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # The checkout's code, whichever checkout the virtualenv was installed from.
    env = {**os.environ, "PYTHONPATH": str(REPO / "job" / "src")}
    env.pop("PLAYCLIPS_RUN_ID", None)
    started = time.monotonic()
    proc = subprocess.run(
        ["make", "--no-print-directory", "trigger", "GAMES=demo-game-1", f"OUT={out}", "ENV=local"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    (summary_path,) = out.glob("datasets/*/summary.json")
    summary = json.loads(summary_path.read_text())
    assert summary["ok"] and summary["games"]["ok"] == ["demo-game-1"]
    manifest = (out / "manifests" / "demo-game-1" / "clips.jsonl").read_text().splitlines()
    assert summary["counts"]["train"]["clips"] == len(manifest) > 100  # one game: all train
    dataset = summary_path.parent
    vertex = (dataset / "vertex" / "video_classification.jsonl").read_text().splitlines()
    gemini = (dataset / "gemini" / "train.jsonl").read_text().splitlines()
    assert len(vertex) == len(gemini) == len(manifest)
    assert "local paths" in proc.stderr  # the Vertex/Gemini files need gs:// clips
    assert (out / "reports" / summary["run_id"] / "demo-game-1.json").exists()
    print(f"make trigger (demo game, fresh OUT) took {elapsed:.1f} s", file=sys.stderr)


def test_make_trigger_wants_games() -> None:
    proc = subprocess.run(
        ["make", "--no-print-directory", "trigger", "GAMES="],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "GAMES=" in proc.stderr


def test_ten_thousand_ids_from_a_games_file_start_one_small_execution(
    executions_server, monkeypatch: pytest.MonkeyPatch, gcs_env: FakeGcs, tmp_path: Path
) -> None:
    """The whole path a long list takes: file -> trigger -> bucket object -> small argument.

    As one shell argument (`make trigger GAMES="..."` runs one `sh -c` line) 10,000 ids of 128
    characters exceed Linux's 128 KiB limit on a single argument, hence --games-file.
    """
    games = [f"g{i:05d}-" + "y" * (128 - 7) for i in range(10_000)]
    assert len(" ".join(games)) > 32 * 4096  # MAX_ARG_STRLEN
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(games) + "\n")
    fake, client = executions_server
    monkeypatch.setattr(trigger, "executions_client", lambda: client)
    args = cloud_args("--games-file", str(ids), "--run-id", "ten-k")
    args.remove("g1")
    args.remove("g2")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    ((_, request, _),) = fake.requests
    assert len(request.execution.argument) < 200  # the Executions API allows 32 KB
    assert json.loads(request.execution.argument)["games_uri"] == (
        f"gs://{BUCKET}/runs/ten-k/games.json"
    )
    assert games_from_uri(f"gs://{BUCKET}/runs/ten-k/games.json") == games


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"games": ["g1"]}', "expected a JSON list"),
        ("[1, 2]", "expected a JSON list"),
        ("[oops", "is not a JSON list"),
        ("", "give GAME_IDS or --games-file"),
    ],
    ids=["object", "numbers", "bad-json", "empty"],
)
def test_a_bad_games_file_is_a_usage_error(tmp_path: Path, text: str, message: str) -> None:
    ids = tmp_path / "ids.json"
    ids.write_text(text)
    result = CliRunner().invoke(main, ["trigger", "--games-file", str(ids), "--env", "dev"])
    assert result.exit_code == 2 and message in result.output


def test_a_games_file_of_lines_or_json_adds_to_the_arguments(tmp_path: Path) -> None:
    assert trigger.parse_games_file(" g1\n\ng2 \n", "f") == ["g1", "g2"]
    assert trigger.parse_games_file('["g3", "g4"]', "f") == ["g3", "g4"]
