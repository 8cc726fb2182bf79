"""scripts/github_env_vars.py: `terraform output -json` to the variables release.yml reads."""

from __future__ import annotations

import json
import subprocess
import sys

from . import workflow_checks as wc

SCRIPT = wc.REPO / "scripts" / "github_env_vars.py"


def outputs(**values):
    return {k: {"sensitive": False, "type": "string", "value": v} for k, v in values.items()}


def run(env: str, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), env, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_prints_one_gh_command_per_output_plus_the_state_bucket():
    tf = outputs(
        wif_provider="projects/1/locations/global/workloadIdentityPools/gh/providers/repo",
        artifact_registry_repository_url="europe-west1-docker.pkg.dev/p/playclips",
        job_name="playclips it's",
    )
    result = run("dev", json.dumps(tf), "--state-bucket", "p-tfstate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "gh variable set ARTIFACT_REGISTRY_REPOSITORY_URL --env dev "
        "--body europe-west1-docker.pkg.dev/p/playclips",
        "gh variable set JOB_NAME --env dev --body 'playclips it'\"'\"'s'",
        "gh variable set TF_STATE_BUCKET --env dev --body p-tfstate",
        "gh variable set WIF_PROVIDER --env dev "
        "--body projects/1/locations/global/workloadIdentityPools/gh/providers/repo",
    ]


def test_covers_every_variable_the_workflows_read():
    read = set().union(*(wc.vars_read(text) for text, _ in wc.repo_workflows().values()))
    tf = outputs(**{name.lower(): "x" for name in read - wc.NOT_AN_OUTPUT})
    commands = run("prod", json.dumps(tf), "--state-bucket", "b").stdout.splitlines()
    assert {c.split()[3] for c in commands} == read


def test_refuses_sensitive_and_non_string_outputs():
    tf = outputs(region="europe-west1")
    tf["token"] = {"sensitive": True, "type": "string", "value": "s3cret"}
    tf["zones"] = {"sensitive": False, "type": ["list", "string"], "value": ["a"]}
    result = run("dev", json.dumps(tf))
    assert result.returncode == 1 and result.stdout == ""
    assert "token (sensitive" in result.stderr and "zones (a list" in result.stderr
    assert "s3cret" not in result.stderr


def test_rejects_input_that_is_not_terraform_output_json():
    assert run("dev", "Error: no state").returncode == 1
    assert "terraform apply" in run("dev", "{}").stderr


def test_a_json_output_becomes_one_shell_quoted_variable():
    github = '{"environments":["prod"],"refs":[],"repository":"org/playclips"}'
    result = run(
        "prod", json.dumps(outputs(wif_github=github, supabase_url="https://x.supabase.co"))
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "gh variable set SUPABASE_URL --env prod --body https://x.supabase.co",
        f"gh variable set WIF_GITHUB --env prod --body '{github}'",
    ]
