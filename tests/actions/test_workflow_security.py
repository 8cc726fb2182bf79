"""No keys, least-privilege tokens, and every action pinned to a verified commit."""

from __future__ import annotations

import pytest

from . import workflow_checks as wc

RELEASE = "release.yml"

BAD = """
on: push
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-24.04
    permissions:
      id-token: write
    steps:
      - uses: actions/checkout@v4
      - uses: google-github-actions/auth@7c6bc770dae815cd3e89ee6cdf493a5fab2cc093 # v2.1.0
        with:
          credentials_json: ${{ secrets.GCP_SA_KEY }}
          project: oops
      - uses: actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae # v5.0.5
        with:
          path: .venv
"""


@pytest.fixture(scope="module")
def workflows():
    found = wc.repo_workflows()
    assert found, ".github/workflows is empty"
    return found


@pytest.fixture(scope="module")
def bad():
    return BAD, wc.load(BAD)


def test_no_workflow_uses_a_key(workflows):
    problems = [f"{n}: {p}" for n, (t, wf) in workflows.items() for p in wc.key_problems(t, wf)]
    assert problems == []


def test_key_problems_flags_credentials_json_and_key_secrets(bad):
    assert wc.key_problems(*bad) == [
        "job build: a step authenticates with credentials_json (a key)",
        "reads secrets.GCP_SA_KEY, which looks like a key",
    ]


def test_permissions_are_least_privilege(workflows):
    problems = [
        p for n, (_, wf) in workflows.items() for p in wc.permission_problems(n, wf, RELEASE)
    ]
    assert problems == []


def test_release_job_asks_for_exactly_read_and_id_token(workflows):
    release = workflows[RELEASE][1]
    assert release["permissions"] == {}
    for job_id, job in release["jobs"].items():
        assert job["permissions"] == {"contents": "read", "id-token": "write"}, job_id
        assert any(wc.action_of(s) == wc.AUTH_ACTION for s in job["steps"]), job_id


def test_auth_is_workload_identity_through_the_deployer(workflows):
    release = workflows[RELEASE][1]
    auth = [s for _, s in wc.steps(release) if wc.action_of(s) == wc.AUTH_ACTION]
    assert [s["with"] for s in auth] == [
        {
            "workload_identity_provider": "${{ vars.WIF_PROVIDER }}",
            "service_account": "${{ vars.DEPLOYER_SERVICE_ACCOUNT }}",
            "token_format": "access_token",
        }
    ]
    steps = release["jobs"]["deploy"]["steps"]
    # auth writes its credentials file into the workspace, so checkout must come first.
    assert wc.action_of(steps[0]) == "actions/checkout"
    assert steps[0]["with"]["persist-credentials"] is False


def test_permission_problems_flags_write_all_and_stray_id_token(bad):
    _, wf = bad
    assert wc.permission_problems("other.yml", wf, RELEASE) == [
        "other.yml workflow: permissions: write-all",
        "other.yml job build: id-token: write outside release.yml",
    ]
    no_auth = wc.load(
        "on: push\npermissions: {}\njobs:\n  a:\n    permissions: {id-token: write}\n"
        "    steps: [{run: 'true'}]\n"
    )
    assert wc.permission_problems(RELEASE, no_auth, RELEASE) == [
        f"{RELEASE} job a: id-token: write but no {wc.AUTH_ACTION} step"
    ]
    no_top = wc.load("on: push\njobs:\n  a:\n    steps: [{run: 'true'}]\n")
    assert wc.permission_problems("x.yml", no_top, RELEASE) == [
        "x.yml: no top-level permissions (GitHub's default token is broad)"
    ]


def test_every_action_is_pinned_to_its_verified_commit(workflows):
    pins = wc.pinned_actions()
    problems = [
        f"{n}: {p}" for n, (text, _) in workflows.items() for p in wc.pin_problems(text, pins)
    ]
    assert problems == []


def test_pinned_actions_record_full_shas_and_semver_tags():
    for action, pin in wc.pinned_actions().items():
        assert len(pin["sha"]) == 40 and int(pin["sha"], 16) >= 0, action
        assert pin["tag"].startswith("v") and pin["tag"].count(".") == 2, action


def test_pin_problems_flags_tags_unknown_actions_and_wrong_comments(bad):
    text, _ = bad
    text += "      - uses: someone/else@" + "a" * 40 + " # v1.0.0\n      - uses: ./local\n"
    assert wc.pin_problems(text, wc.pinned_actions()) == [
        "actions/checkout@v4: not pinned to a full commit SHA",
        "google-github-actions/auth@7c6bc770dae815cd3e89ee6cdf493a5fab2cc093 # v2.1.0: expected "
        "google-github-actions/auth@7c6bc770dae815cd3e89ee6cdf493a5fab2cc093 # v3.0.0",
        f"someone/else@{'a' * 40}: someone/else is not in pinned_actions.json",
    ]


def test_every_with_input_exists_on_the_pinned_action(workflows):
    pins = wc.pinned_actions()
    problems = [
        f"{n}: {p}" for n, (_, wf) in workflows.items() for p in wc.input_problems(wf, pins)
    ]
    assert problems == []


def test_input_problems_flags_unknown_and_missing_inputs(bad):
    _, wf = bad
    assert wc.input_problems(wf, wc.pinned_actions()) == [
        "job build: google-github-actions/auth has no input 'project'",
        "job build: actions/cache needs input 'key'",
    ]
