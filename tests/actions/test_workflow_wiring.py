"""The workflows call things that exist: Terraform outputs and variables, Make targets, scripts,
the Dockerfile. Each check also runs on a small bad input, so each can fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..support.terraform_outputs import ENV_OUTPUTS
from . import workflow_checks as wc

RELEASE = "release.yml"
CI = "ci.yml"


@pytest.fixture(scope="module")
def workflows():
    found = wc.repo_workflows()
    assert {CI, RELEASE} <= set(found), f".github/workflows has only {sorted(found)}"
    return found


@pytest.fixture(scope="module")
def release(workflows):
    return workflows[RELEASE][1]


def env_dir(env: str) -> Path:
    return wc.REPO / "terraform" / "envs" / env


# --- Terraform: variables, outputs, backend --------------------------------------------------


def test_release_deploys_to_dev_and_prod(release):
    assert wc.deploy_environments(release) == {"dev", "prod"}


def test_deploy_environments_reads_literal_and_chosen_names():
    wf = wc.load(
        "on: push\njobs:\n  a: {environment: staging}\n  b: {environment: {name: qa}}\n"
        "  c: {environment: \"${{ github.ref_type == 'tag' && 'prod' || 'dev' }}\"}\n  d: {}\n"
    )
    assert wc.deploy_environments(wf) == {"staging", "qa", "prod", "dev"}


def test_every_var_the_workflows_read_is_an_upper_cased_env_output(workflows, release):
    read = set().union(*(wc.vars_read(text) for text, _ in workflows.values()))
    assert read, "the workflows read no vars.*: the per-environment settings went missing"
    problems = []
    for env in sorted(wc.deploy_environments(release)):
        outputs_tf = env_dir(env) / "outputs.tf"
        if not outputs_tf.is_file():
            problems.append(f"{outputs_tf.relative_to(wc.REPO)} does not exist; release.yml reads")
            continue
        missing = wc.vars_without_output(read, wc.terraform_outputs(env_dir(env)))
        problems += [
            f"terraform/envs/{env} has no output {n.lower()!r} for vars.{n}" for n in missing
        ]
    assert not problems, "\n".join(problems)


def test_the_vars_are_among_the_outputs_the_envs_promise(workflows):
    read = set().union(*(wc.vars_read(text) for text, _ in workflows.values()))
    assert wc.vars_without_output(read, ENV_OUTPUTS) == []


def test_vars_without_output_flags_a_missing_or_lower_case_name():
    outputs = {"wif_provider", "region"}
    names = {"WIF_PROVIDER", "TF_STATE_BUCKET", "DEPLOYER_SERVICE_ACCOUNT", "region"}
    assert wc.vars_without_output(names, outputs) == ["DEPLOYER_SERVICE_ACCOUNT", "region"]


def test_terraform_outputs_reads_output_blocks(tmp_path):
    (tmp_path / "outputs.tf").write_text(
        'output "job_name" {\n  value = 1\n}\n  output "region" { value = 2 }\n'
        '# output "commented_out" {}\nvariable "job_image" {}\n'
    )
    assert wc.terraform_outputs(tmp_path) == {"job_name", "region"}
    assert wc.terraform_variables(tmp_path) == {"job_image"}


def test_the_image_variable_applied_is_declared_by_each_env(release):
    applied = set().union(*(wc.terraform_var_args(s) for s in wc.run_scripts(release)))
    assert applied == {"job_image"}, f"release applies -var {sorted(applied)}"
    problems = []
    for env in sorted(wc.deploy_environments(release)):
        declared = wc.terraform_variables(env_dir(env))
        problems += [
            f"terraform/envs/{env}/variables.tf declares no variable {name!r}"
            for name in sorted(applied - declared)
        ]
    assert not problems, "\n".join(problems)


def test_release_plan_gets_every_required_variable_from_committed_settings(release):
    """The release plans with the env's committed settings and the image: nothing else."""
    job = release["jobs"]["deploy"]
    plan = next(s for s in job["steps"] if s.get("name") == "terraform plan")
    env = {**job.get("env", {}), **plan.get("env", {})}
    assert not [k for k in env if k.startswith("TF_VAR_")], "settings come from committed files"
    from_workflow = wc.terraform_var_args(plan["run"])
    problems = []
    for name in sorted(wc.deploy_environments(release)):
        unset = (
            wc.required_variables(env_dir(name))
            - from_workflow
            - wc.auto_tfvars_names(env_dir(name))
        )
        problems += [
            f"terraform/envs/{name}: nothing sets variable {v!r} in a release "
            f"(commit it in terraform/envs/{name}/settings.auto.tfvars)"
            for v in sorted(unset)
        ]
    assert not problems, "\n".join(problems)


def test_required_variables_and_auto_tfvars(tmp_path):
    (tmp_path / "variables.tf").write_text(
        'variable "a" {\n  type = object({ x = optional(object({ y = string })) })\n'
        "  validation {\n    condition = true\n  }\n}\n"
        'variable "b" {\n  type    = string\n  default = "b"\n}\n'
        'variable "c" {\n  type = object({\n    default = string\n  })\n}\n'
    )
    assert wc.required_variables(tmp_path) == {"a", "c"}
    (tmp_path / "env.auto.tfvars").write_text('a = {}\n# c = 1\n  nested = "x"\n')
    (tmp_path / "terraform.tfvars").write_text('c = "local only"\n')
    assert wc.auto_tfvars_names(tmp_path) == {"a"}


def test_terraform_var_args_reads_each_quoting():
    script = "terraform apply -var \"job_image=$X\" -var other=1 -var='third=2' -var-file=a.tfvars"
    assert wc.terraform_var_args(script) == {"job_image", "other", "third"}


def test_each_env_has_a_gcs_backend_for_the_bucket_init_passes(release):
    init = [s for s in wc.run_scripts(release) if " init " in f" {s} "]
    assert init and all('-backend-config="bucket=' in s for s in init)
    problems = []
    for env in sorted(wc.deploy_environments(release)):
        text = "".join(tf.read_text() for tf in env_dir(env).glob("*.tf"))
        if 'backend "gcs"' not in text:
            problems.append(f'terraform/envs/{env} declares no backend "gcs" block')
    assert not problems, "\n".join(problems)


def test_release_deploys_the_digest_it_built(release):
    job = release["jobs"]["deploy"]
    step_ids = [s.get("id") for s in job["steps"]]
    build = job["steps"][step_ids.index("build")]
    assert wc.action_of(build) == "docker/build-push-action"
    assert build["with"]["push"] is True
    assert job["env"]["IMAGE_NAME"] == "${{ vars.ARTIFACT_REGISTRY_REPOSITORY_URL }}/playclips"
    tf_steps = [s for s in job["steps"] if s.get("run", "").startswith("terraform -chdir")]
    plans = [s for s in tf_steps if " plan " in s["run"]]
    assert len(plans) == 1
    assert '-var "job_image=$JOB_IMAGE"' in plans[0]["run"]
    assert plans[0]["env"]["JOB_IMAGE"] == "${{ env.IMAGE_NAME }}@${{ steps.build.outputs.digest }}"
    names = [s.get("name") for s in job["steps"]]
    assert names.index("terraform init") < names.index("terraform plan")
    assert step_ids.index("build") < names.index("terraform plan")
    init = job["steps"][names.index("terraform init")]
    assert "-lockfile=readonly" in init["run"], "the release uses the committed provider lock"
    assert "GITHUB_STEP_SUMMARY" in job["steps"][-1]["run"]


def test_release_triggers_and_one_deploy_per_env_at_a_time(release):
    assert release["on"] == {"push": {"branches": ["main"], "tags": ["v*"]}}
    job = release["jobs"]["deploy"]
    expr = "${{ github.ref_type == 'tag' && 'prod' || 'dev' }}"
    assert job["environment"]["name"] == expr
    assert job["concurrency"] == {"group": f"deploy-{expr}", "cancel-in-progress": False}
    assert job["env"]["TF_ENV"] == expr


# --- Make targets and scripts -----------------------------------------------------------------


def test_make_targets_the_workflows_call_exist(workflows):
    scripts = [s for _, wf in workflows.values() for s in wc.run_scripts(wf)]
    assert wc.missing_make_targets(scripts, wc.make_targets(wc.repo_makefiles())) == []


def test_make_targets_include_test_and_this_files_tools():
    targets = wc.make_targets(wc.repo_makefiles())
    assert {"test", "venv", "actions-lint-tools", "lint-actions"} <= targets
    assert "TEST_PREREQS" not in targets  # `X := y` is an assignment, not a rule


def test_missing_make_targets_flags_an_unknown_target():
    scripts = ["make test", "cd x && make -C . deploy-everything", "echo make-believe"]
    assert wc.missing_make_targets(scripts, {"test"}) == ["deploy-everything"]


def test_ci_runs_the_same_entry_point_as_ci_here(workflows):
    ci = workflows[CI][1]
    scripts = wc.run_scripts(ci)
    assert scripts[-1] == "bash .ci/run"
    assert wc.missing_scripts(scripts, wc.REPO) == [], ".ci/run does not exist"


def test_missing_scripts_flags_a_script_that_is_not_there(tmp_path):
    (tmp_path / "run").write_text("true\n")
    assert wc.missing_scripts(["bash run", "sh nope.sh && echo"], tmp_path) == ["nope.sh"]


def test_ci_caches_on_the_lock_and_sets_up_terraform_1_11(workflows):
    ci = workflows[CI][1]
    assert set(ci["on"]) == {"pull_request", "push"}
    assert ci["permissions"] == {"contents": "read"}
    by_action = {}
    for _, step in wc.steps(ci):
        by_action.setdefault(wc.action_of(step), []).append(step.get("with") or {})
    venv_cache = [w for w in by_action["actions/cache"] if ".venv" in w["path"]]
    assert venv_cache and "job/requirements.lock" in venv_cache[0]["key"]
    assert by_action["hashicorp/setup-terraform"][0]["terraform_version"] == "1.11.x"


def test_ci_installs_each_committed_provider_lock_read_only(workflows):
    ci = workflows[CI][1]
    scripts = wc.run_scripts(ci)
    check = next(s for s in scripts if ".terraform.lock.hcl" in s)
    assert "init -backend=false -input=false -lockfile=readonly" in check
    assert scripts.index(check) < scripts.index("bash .ci/run")


# --- Docker ----------------------------------------------------------------------------------


def test_the_dockerfile_built_exists_with_everything_it_copies(release):
    builds = wc.docker_builds(release)
    assert len(builds) == 1
    assert builds[0]["context"] == "job" and builds[0]["file"] == "job/Dockerfile"
    assert wc.docker_build_problems(builds[0], wc.REPO) == []


def test_docker_build_problems_flags_missing_files(tmp_path):
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "Dockerfile").write_text(
        "FROM x AS b\nCOPY --from=b /a /a\nCOPY requirements.lock /tmp/\nCOPY --chown=1 src /s\n"
    )
    assert wc.docker_build_problems({}, tmp_path)[0].startswith("no `context:`")
    assert wc.docker_build_problems({"context": "nope"}, tmp_path) == [
        "context nope is not a directory"
    ]
    assert wc.docker_build_problems({"context": "job", "file": "job/Other"}, tmp_path) == [
        "Dockerfile job/Other does not exist"
    ]
    assert wc.docker_build_problems({"context": "job"}, tmp_path) == [
        "Dockerfile copies requirements.lock, which is not in job/",
        "Dockerfile copies src, which is not in job/",
    ]


def test_the_image_runs_playclips_as_a_non_root_user():
    text = (wc.REPO / "job" / "Dockerfile").read_text()
    # tini as PID 1 (tests/image runs the image and sends it SIGTERM).
    assert 'ENTRYPOINT ["/usr/bin/tini", "--", "playclips"]' in text and 'CMD ["run"]' in text
    final_stage = text.rsplit("\nFROM ", 1)[1]
    assert "\nUSER 10001:10001" in final_stage
    assert "--no-install-recommends tini" in final_stage
    # The ffmpeg CLI comes from the imageio-ffmpeg wheel in the venv, not from Debian.
    assert "ffmpeg" not in final_stage.split("apt-get install", 1)[1].split("\n", 1)[0]
    assert "imageio_ffmpeg.get_ffmpeg_exe()" in text
    assert "PYTHONUNBUFFERED=1" in final_stage


def test_release_checks_every_variable_it_reads_before_building(release):
    job = release["jobs"]["deploy"]
    names = [s.get("name") for s in job["steps"]]
    check = job["steps"][names.index("Check environment variables")]
    ids = [s.get("id") for s in job["steps"]]
    assert names.index("Check environment variables") < ids.index("auth") < ids.index("build")
    text = (wc.WORKFLOWS / RELEASE).read_text()
    assert set(check["env"]) == wc.vars_read(text)
    assert all(v == f"${{{{ vars.{k} }}}}" for k, v in check["env"].items())
    assert all(name in check["run"] for name in check["env"])


def test_no_variable_name_github_forbids(workflows):
    """GitHub refuses configuration variables whose names start with GITHUB_."""
    read = set().union(*(wc.vars_read(text) for text, _ in workflows.values()))
    assert not [n for n in read if n.startswith("GITHUB_")]
