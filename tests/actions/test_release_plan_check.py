"""scripts/check_release_plan.py: a release applies a plan only when it changes the job's image.

The plans are Terraform's JSON plan format (`terraform show -json`, format 1.2), cut down to the
fields the check reads; the real provider cannot run here to produce one.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys

import pytest

from . import workflow_checks as wc

SCRIPT = wc.REPO / "scripts" / "check_release_plan.py"
_spec = importlib.util.spec_from_file_location("check_release_plan", SCRIPT)
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)

OLD = "europe-west1-docker.pkg.dev/p/playclips/playclips@sha256:" + "1" * 64
NEW = "europe-west1-docker.pkg.dev/p/playclips/playclips@sha256:" + "2" * 64


def job(image: str, memory: str = "4Gi") -> dict:
    return {
        "name": "playclips",
        "etag": "abc",
        "template": [
            {
                "parallelism": 0,
                "template": [
                    {
                        "containers": [
                            {"image": image, "resources": [{"limits": {"memory": memory}}]}
                        ],
                        "max_retries": 3,
                    }
                ],
            }
        ],
    }


def change(address: str, actions: list[str], before, after, after_unknown=None) -> dict:
    return {
        "address": address,
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": after_unknown or {},
        },
    }


def plan(*changes: dict) -> dict:
    bucket = {"name": "p-playclips-videos"}
    return {
        "format_version": "1.2",
        "resource_changes": [
            change(
                'module.playclips.module.storage.google_storage_bucket.this["video"]',
                ["no-op"],
                bucket,
                bucket,
            ),
            change("module.playclips.data.google_cloud_run_v2_job.running[0]", ["read"], None, {}),
            *changes,
        ],
    }


def test_an_image_only_update_may_be_applied():
    assert (
        check.plan_problems(plan(change(check.JOB_ADDRESS, ["update"], job(OLD), job(NEW)))) == []
    )


def test_a_plan_without_changes_may_be_applied():
    assert check.plan_problems(plan(change(check.JOB_ADDRESS, ["no-op"], job(NEW), job(NEW)))) == []


def test_values_the_provider_computes_are_not_changes():
    after = copy.deepcopy(job(NEW))
    after["etag"] = None
    unknown = {"etag": True}
    assert (
        check.plan_problems(plan(change(check.JOB_ADDRESS, ["update"], job(OLD), after, unknown)))
        == []
    )


def test_a_setting_changed_with_the_image_is_refused():
    problems = check.plan_problems(
        plan(change(check.JOB_ADDRESS, ["update"], job(OLD), job(NEW, memory="8Gi")))
    )
    assert problems == [
        f"{check.JOB_ADDRESS}: update of "
        "template[0].template[0].containers[0].resources[0].limits.memory besides the image"
    ]


@pytest.mark.parametrize(
    ("address", "actions"),
    [
        (check.JOB_ADDRESS, ["delete", "create"]),
        (check.JOB_ADDRESS, ["create"]),
        ("module.playclips.module.pipeline.google_workflows_workflow.this", ["update"]),
        ("module.playclips.module.github_ci.google_project_iam_member.deployer_read", ["delete"]),
    ],
)
def test_anything_else_is_refused_by_address_and_action(address, actions):
    problems = check.plan_problems(plan(change(address, actions, {"a": 1}, {"a": 2})))
    assert problems == [f"{address}: {'/'.join(actions)}"]


def test_the_job_address_is_the_one_the_env_roots_plan():
    main = (wc.REPO / "terraform" / "modules" / "playclips" / "main.tf").read_text()
    job_tf = (wc.REPO / "terraform" / "modules" / "clip_job" / "job.tf").read_text()
    root = (wc.REPO / "terraform" / "root" / "main.tf").read_text()
    assert 'module "playclips"' in root and 'module "clip_job"' in main
    assert 'resource "google_cloud_run_v2_job" "this"' in job_tf
    assert "        image = var.container.image\n" in job_tf
    assert check.JOB_ADDRESS == "module.playclips.module.clip_job.google_cloud_run_v2_job.this"


def run(stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "-"], input=stdin, capture_output=True, text=True, timeout=30
    )


def test_cli_exit_codes_and_messages():
    ok = run(json.dumps(plan(change(check.JOB_ADDRESS, ["update"], job(OLD), job(NEW)))))
    assert (ok.returncode, ok.stderr) == (0, "")
    refused = run(json.dumps(plan(change(check.JOB_ADDRESS, ["delete", "create"], {}, {}))))
    assert refused.returncode == 1
    lines = refused.stderr.splitlines()
    assert lines[0] == f"release plan would change {check.JOB_ADDRESS}: delete/create"
    assert "make plan ENV=" in lines[-1]
    garbage = run("not json")
    assert garbage.returncode == 2 and "terraform show -json" in garbage.stderr


def test_release_checks_the_plan_between_plan_and_apply():
    release = wc.load((wc.WORKFLOWS / "release.yml").read_text())
    steps = release["jobs"]["deploy"]["steps"]
    names = [s.get("name") for s in steps]
    plan_step = steps[names.index("terraform plan")]
    check_step = steps[names.index("Check the plan changes only the image")]
    apply_step = steps[names.index("terraform apply")]
    assert names.index("terraform plan") < names.index("Check the plan changes only the image")
    assert names.index("Check the plan changes only the image") < names.index("terraform apply")
    assert "-out=release.tfplan" in plan_step["run"]
    assert "show -json release.tfplan" in check_step["run"]
    assert "python3 scripts/check_release_plan.py" in check_step["run"]
    # The apply applies the checked plan file, nothing it computes afresh.
    assert (
        apply_step["run"].rstrip().endswith(" release.tfplan") and "-var" not in apply_step["run"]
    )
