"""`trigger` ends by saying which run it started and where that run's page is (or will be)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from playclips.cli import main
from playclips.run import trigger

from . import test_trigger
from .test_trigger import cloud_args, succeeded, summary_result

# The cloud trigger's fixtures: a loopback gRPC Workflow Executions server, fast polling.
executions_server = test_trigger.executions_server
fast_polls = test_trigger.fast_polls
# The trigger writes the games list to the training bucket (fake-gcs-server) before it starts.
BUCKET = test_trigger.BUCKET

PAGE = "gs://b/reports/0c5e-run/index.html"


def test_cloud_trigger_prints_the_run_id_and_where_the_page_will_be(
    executions_server, monkeypatch: pytest.MonkeyPatch, gcs_env
) -> None:
    _, client = executions_server
    monkeypatch.setattr(trigger, "executions_client", lambda: client)
    result = CliRunner().invoke(main, cloud_args())
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # The trigger names the run (its games file is runs/RUN_ID/games.json): a UTC timestamp
    # with a random suffix unless --run-id is given.
    run_id = re.fullmatch(r"Run id: (\d{8}T\d{6}Z-[0-9a-f]{4})", lines[-2])
    assert run_id, lines[-2]
    assert lines[-1].startswith(
        f"Run page: reports/{run_id.group(1)}/index.html in the training bucket"
    )
    named = CliRunner().invoke(main, cloud_args("--run-id", "week-12"))
    assert "Run id: week-12" in named.output.splitlines()


@pytest.mark.parametrize(
    "executions_server",
    [succeeded(summary_result() | {"files": {**summary_result()["files"], "index": PAGE}})],
    indirect=True,
)
def test_cloud_trigger_wait_prints_the_pages_browser_address(
    executions_server, monkeypatch: pytest.MonkeyPatch, fast_polls: None, gcs_env
) -> None:
    _, client = executions_server
    monkeypatch.setattr(trigger, "executions_client", lambda: client)
    result = CliRunner().invoke(main, cloud_args("--wait", "--run-id", "0c5e-run"))
    assert result.exit_code == 0, result.output
    assert "Run id: 0c5e-run" in result.output
    assert (
        "Run page: https://storage.cloud.google.com/b/reports/0c5e-run/index.html"
        in result.output.splitlines()
    )


def test_local_only_dataset_options_are_refused_for_the_cloud() -> None:
    result = CliRunner().invoke(main, cloud_args("--vertex-validation", "train"))
    assert result.exit_code == 2 and "--env local only" in result.output


def test_trigger_checks_angles_before_anything_is_written() -> None:
    from click.testing import CliRunner

    from playclips.cli import main

    result = CliRunner().invoke(main, ["trigger", "g1", "--env", "dev", "--angles", "far left"])

    assert result.exit_code == 1
    assert "--angles: invalid angle 'far left'" in result.output
    assert "Games (" not in result.output  # no games file was written


def test_the_workflow_input_carries_the_angles() -> None:
    from playclips.run.trigger import execution_argument

    argument = execution_argument("gs://b/runs/r/games.json", "r", angles="WIDE,TIGHT", mode=None)

    assert argument == {
        "games_uri": "gs://b/runs/r/games.json",
        "run_id": "r",
        "angles": "WIDE,TIGHT",
    }


def test_a_terraform_error_is_shown_whole_and_never_cut_mid_word() -> None:
    from playclips.run.trigger import terraform_error

    stderr = (
        "\x1b[31m╷\x1b[0m\n│ \x1b[1mError: \x1b[0mBackend initialization required, please run "
        '"terraform init"\n│\n│ Reason: Initial configuration of the requested backend "gcs"\n'
        + "│ "
        + "word " * 200
        + "\n╵\n"
    )

    line = terraform_error(stderr)

    assert line.startswith('Error: Backend initialization required, please run "terraform init"')
    assert "\n" not in line and "│" not in line and "\x1b" not in line
    assert line.endswith("word …") and len(line) <= 602
    assert terraform_error("│ Error: short\n") == "Error: short"
