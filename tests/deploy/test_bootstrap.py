"""scripts/bootstrap.py (`make bootstrap`) against a fake `gcloud` and `terraform` on PATH.

Neither tool can reach Google here, so both are stubs that record each call (argv, and stdin
when one is given) and answer the few questions bootstrap asks (does the bucket, the secret
version, the job exist). The tests pin the exact commands, their order, and where the key goes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "bootstrap.py"
KEY = "sb-secret-service-role-key-0123456789"

# One stub for both tools: a JSON line per call into $FAKE_LOG. Answers come from FAKE_* env.
STUB = """#!{python}
import json, os, sys
tool = os.path.basename(sys.argv[0])
args = sys.argv[1:]
record = {{"tool": tool, "args": args}}
if "--data-file=-" in args:
    record["stdin"] = sys.stdin.read()
record["env_has_key"] = any({key!r} in v for v in os.environ.values())
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
joined = " ".join(args)
if joined.startswith("auth application-default print-access-token"):
    sys.exit(1 if os.environ.get("FAKE_NO_ADC") else 0)
if joined.startswith("storage buckets describe"):
    sys.exit(0 if os.environ.get("FAKE_BUCKET_EXISTS") else 1)
if joined.startswith("secrets versions list"):
    print(os.environ.get("FAKE_SECRET_VERSION", ""))
if joined.startswith("run jobs describe"):
    sys.exit(0 if os.environ.get("FAKE_JOB_EXISTS") else 1)
if os.environ.get("FAKE_FAIL") and joined.startswith(os.environ["FAKE_FAIL"]):
    sys.exit(3)
"""


SETTINGS = """env          = "{env}"
project_id   = "my-playclips-{env}"
region       = "europe-west1"
state_bucket = "my-playclips-{env}-tfstate"
supabase_url = "https://qwertyuiopasdfgh.supabase.co"
github = {{
  repository    = "acme/playclips"
  repository_id = "700123456"
}}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A checkout with the script and filled-in settings for dev and prod."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPT, root / "scripts" / "bootstrap.py")
    for env in ("dev", "prod"):
        (root / "terraform" / "envs" / env).mkdir(parents=True)
        (root / "terraform" / "envs" / env / "settings.auto.tfvars").write_text(
            SETTINGS.format(env=env)
        )
    return root


@pytest.fixture
def fake_path(tmp_path: Path, repo: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("gcloud", "terraform"):
        path = bin_dir / tool
        path.write_text(STUB.format(python=sys.executable, key=KEY))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin",
        "FAKE_LOG": str(tmp_path / "calls.jsonl"),
        "HOME": str(tmp_path),
        "REPO": str(repo),
    }


def bootstrap(env: dict[str, str], *args: str, stdin: str = KEY + "\n"):
    result = subprocess.run(
        [sys.executable, str(Path(env["REPO"]) / "scripts" / "bootstrap.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    log = Path(env["FAKE_LOG"])
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


def commands(calls: list[dict]) -> list[str]:
    return [" ".join([c["tool"], *c["args"]]) for c in calls]


FIRST_RUN = [
    "gcloud auth application-default print-access-token",
    "gcloud services enable cloudresourcemanager.googleapis.com serviceusage.googleapis.com "
    "storage.googleapis.com secretmanager.googleapis.com iam.googleapis.com "
    "--project=my-playclips-dev",
    "gcloud storage buckets describe gs://my-playclips-dev-tfstate --project=my-playclips-dev "
    "--format=value(name)",
    "gcloud storage buckets create gs://my-playclips-dev-tfstate --project=my-playclips-dev "
    "--location=europe-west1 --uniform-bucket-level-access --public-access-prevention",
    "gcloud storage buckets update gs://my-playclips-dev-tfstate --versioning",
    "gcloud run jobs describe playclips --project=my-playclips-dev --region=europe-west1 "
    "--format=value(name)",
    "terraform -chdir=terraform/envs/dev init -input=false "
    "-backend-config=bucket=my-playclips-dev-tfstate",
    "terraform -chdir=terraform/envs/dev apply -input=false -auto-approve "
    "-target=module.playclips.module.secrets "
    "-var=job_image=us-docker.pkg.dev/cloudrun/container/job:latest",
    "gcloud secrets versions list supabase-service-key --project=my-playclips-dev "
    "--filter=state=ENABLED --limit=1 --format=value(name)",
    "gcloud secrets versions add supabase-service-key --project=my-playclips-dev --data-file=-",
    "terraform -chdir=terraform/envs/dev apply -input=false -auto-approve "
    "-var=job_image=us-docker.pkg.dev/cloudrun/container/job:latest",
]


def test_an_empty_project_gets_bucket_apis_secret_version_then_the_apply(fake_path):
    result, calls = bootstrap(
        fake_path, "dev", "my-playclips-dev", "--auto-approve", "--key-from-stdin"
    )
    assert result.returncode == 0, result.stderr
    assert commands(calls) == FIRST_RUN
    assert "git add terraform/envs/dev/.terraform.lock.hcl" in result.stdout


def test_the_key_travels_only_on_the_version_add_stdin(fake_path):
    result, calls = bootstrap(
        fake_path, "dev", "my-playclips-dev", "--auto-approve", "--key-from-stdin"
    )
    assert result.returncode == 0, result.stderr
    added = [c for c in calls if c["args"][:3] == ["secrets", "versions", "add"]]
    assert [c["stdin"] for c in added] == [KEY]
    assert not [c for c in calls if any(KEY in a for a in c["args"])], "key in a command line"
    assert not [c for c in calls if c["env_has_key"]], "key in a child's environment"
    assert KEY not in result.stdout + result.stderr


def test_a_rerun_keeps_the_bucket_the_version_and_the_running_image(fake_path):
    env = {**fake_path, "FAKE_BUCKET_EXISTS": "1", "FAKE_JOB_EXISTS": "1"}
    env["FAKE_SECRET_VERSION"] = "projects/1/secrets/supabase-service-key/versions/1"
    result, calls = bootstrap(env, "dev", "my-playclips-dev", "--auto-approve", stdin="")
    assert result.returncode == 0, result.stderr
    done = commands(calls)
    assert not [c for c in done if "buckets create" in c or "versions add" in c]
    assert done[-1] == "terraform -chdir=terraform/envs/dev apply -input=false -auto-approve"
    assert not [c for c in done if "job_image" in c], "an existing job keeps its image"
    assert "already has an enabled version" in result.stdout


def test_without_auto_approve_terraform_asks(fake_path):
    result, calls = bootstrap(fake_path, "dev", "my-playclips-dev", "--key-from-stdin")
    assert result.returncode == 0, result.stderr
    assert commands(calls)[-1] == (
        "terraform -chdir=terraform/envs/dev apply "
        "-var=job_image=us-docker.pkg.dev/cloudrun/container/job:latest"
    )


def test_no_application_default_credentials_stops_before_anything_changes(fake_path):
    result, calls = bootstrap({**fake_path, "FAKE_NO_ADC": "1"}, "dev", "my-playclips-dev")
    assert result.returncode == 2
    assert len(calls) == 1
    assert "gcloud auth application-default login" in result.stderr
    assert "set-quota-project my-playclips-dev" in result.stderr


def test_an_empty_key_adds_nothing_and_applies_nothing(fake_path):
    result, calls = bootstrap(
        fake_path, "dev", "my-playclips-dev", "--auto-approve", "--key-from-stdin", stdin="\n"
    )
    assert result.returncode == 2
    assert "no Supabase service key given" in result.stderr
    assert commands(calls)[-1].startswith("gcloud secrets versions list")


def test_a_failing_command_is_named_and_stops_the_run(fake_path):
    env = {**fake_path, "FAKE_FAIL": "storage buckets create"}
    result, calls = bootstrap(env, "dev", "my-playclips-dev", "--auto-approve", "--key-from-stdin")
    assert result.returncode == 1
    assert "gcloud storage buckets create gs://my-playclips-dev-tfstate" in result.stderr
    assert not [c for c in calls if c["tool"] == "terraform"]


def test_a_failing_final_apply_says_to_wait_for_propagation_and_rerun(fake_path):
    env = {
        **fake_path,
        "FAKE_FAIL": "-chdir=terraform/envs/dev apply -input=false -auto-approve -var",
    }
    result, calls = bootstrap(env, "dev", "my-playclips-dev", "--auto-approve", "--key-from-stdin")
    assert result.returncode == 1
    assert commands(calls) == FIRST_RUN
    assert "wait two minutes and run `make bootstrap` again" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["local", "p"], "ENV must be one of dev, prod"),
        (["dev", "someone-elses"], 'project_id = "my-playclips-dev", not "someone-elses"'),
    ],
)
def test_bad_usage_changes_nothing(fake_path, args, message):
    result, calls = bootstrap(fake_path, *args)
    assert result.returncode == 2 and message in result.stderr
    assert calls == []


def test_example_values_left_in_the_settings_are_refused(fake_path):
    settings = Path(fake_path["REPO"]) / "terraform" / "envs" / "dev" / "settings.auto.tfvars"
    settings.write_text(settings.read_text().replace('"700123456"', '"123456789"'))
    result, calls = bootstrap(fake_path, "dev", "my-playclips-dev")
    assert result.returncode == 2 and calls == []
    assert 'still has the example value "123456789"' in result.stderr


def test_dev_and_prod_must_be_separate_projects(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bootstrap_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for env in ("dev", "prod"):
        (tmp_path / env).mkdir()
        (tmp_path / env / "settings.auto.tfvars").write_text(
            f'env = "{env}"\nproject_id   = "shared-project"  # both\n'
            'region = "europe-west1"\nstate_bucket = "b"\ngithub = {\n  repository = "o/r"\n}\n'
        )
    monkeypatch.setattr(module, "ENVS", tmp_path)
    assert module.read_settings("dev") == {
        "env": "dev",
        "project_id": "shared-project",
        "region": "europe-west1",
        "state_bucket": "b",
    }
    with pytest.raises(module.BootstrapError, match="dev and prod both use project shared-project"):
        module.check_settings("dev", "shared-project")


def test_the_committed_settings_give_each_env_its_own_project_and_bucket():
    spec = importlib.util.spec_from_file_location("bootstrap_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dev, prod = module.read_settings("dev"), module.read_settings("prod")
    assert (dev["env"], prod["env"]) == ("dev", "prod")
    assert dev["project_id"] != prod["project_id"]
    assert dev["state_bucket"] != prod["state_bucket"]


def test_make_bootstrap_requires_a_project():
    result = subprocess.run(
        ["make", "--no-print-directory", "bootstrap", "ENV=dev"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "PROJECT=<Google Cloud project id> is required" in result.stderr
