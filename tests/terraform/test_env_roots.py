"""The env roots are thin and hold only data; the provider lock and saved plans follow policy.

terraform/envs/<env> is a backend (backend.tf), the env's committed settings
(settings.auto.tfvars), and links to the one root in terraform/root: a call to
modules/playclips and pass-through outputs. So dev and prod run the same code by construction.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from tf_harness import ENVS, ROOT, TERRAFORM_DIR

SHARED_ROOT = TERRAFORM_DIR / "root"
COMPOSITION = TERRAFORM_DIR / "modules" / "playclips"
_BLOCK = re.compile(r'^(module|output|variable) "(\w+)" \{\n(.*?)^\}', re.MULTILINE | re.DOTALL)


def blocks(path: Path, kind: str) -> dict[str, str]:
    return {name: body for k, name, body in _BLOCK.findall(path.read_text()) if k == kind}


@pytest.mark.parametrize("env", ENVS)
def test_env_root_is_a_backend_settings_and_links_to_the_shared_root(env):
    root = TERRAFORM_DIR / "envs" / env
    tf_files = sorted(p.name for p in root.glob("*.tf"))
    assert tf_files == sorted(["backend.tf", *(p.name for p in SHARED_ROOT.glob("*.tf"))])
    for name in tf_files:
        path = root / name
        if name == "backend.tf":
            assert not path.is_symlink()
            assert re.search(
                rf'backend "gcs" \{{\s*prefix = "playclips/{env}"\s*\}}', path.read_text()
            ), f"envs/{env}/backend.tf: a gcs backend with prefix playclips/{env}"
        else:
            assert path.is_symlink(), f"envs/{env}/{name} must link to terraform/root/{name}"
            assert path.resolve() == (SHARED_ROOT / name).resolve()
    settings = (root / "settings.auto.tfvars").read_text()
    assert re.search(rf'^env\s*=\s*"{env}"', settings, re.MULTILINE)
    assert not re.search(r"^job_image\s*=", settings, re.MULTILINE), "no image is committed"


def test_shared_root_calls_the_composition_once_and_passes_everything_through():
    modules = blocks(SHARED_ROOT / "main.tf", "module")
    assert list(modules) == ["playclips"]
    assert 'source                       = "../../modules/playclips"' in modules["playclips"]
    assert set(blocks(SHARED_ROOT / "variables.tf", "variable")) == set(
        blocks(COMPOSITION / "variables.tf", "variable")
    )
    outputs = blocks(SHARED_ROOT / "outputs.tf", "output")
    assert set(outputs) == set(blocks(COMPOSITION / "outputs.tf", "output"))
    not_passed = [
        n for n, body in outputs.items() if f"value       = module.playclips.{n}\n" not in body
    ]
    assert not not_passed


def test_everything_the_composition_creates_waits_for_the_apis():
    modules = blocks(COMPOSITION / "main.tf", "module")
    assert "project_services" in modules
    late = [
        name
        for name, body in modules.items()
        if name != "project_services" and "module.project_services" not in body
    ]
    assert not late, f"modules created before their APIs are on: {late}"


GOOD_LOCK = """# This file is maintained automatically by "terraform init".
provider "registry.terraform.io/hashicorp/google" {
  version     = "8.7.0"
  constraints = ">= 8.7.0, < 9.0.0"
  hashes = [
    "h1:AAAA",
    "zh:0000000000000000000000000000000000000000000000000000000000000000",
  ]
}
"""


def lock_file_problems(text: str) -> list[str]:
    """What is wrong with an env root's lock file: it must come from the real registry."""
    match = re.search(
        r'provider "registry\.terraform\.io/hashicorp/google" \{(.*?)\n\}', text, re.DOTALL
    )
    if not match:
        return ["locks no registry.terraform.io/hashicorp/google"]
    body = match.group(1)
    problems = []
    version = re.search(r'version\s*=\s*"(\d+)\.(\d+)\.(\d+)"', body)
    if not version or not ((8, 7) <= (int(version[1]), int(version[2])) < (9, 0)):
        problems.append("google is not locked to a version >= 8.7, < 9.0")
    if "zh:" not in body:
        # init from the registry records zh: (zip) hashes for every platform; a provider
        # installed from a local directory, like the tests' stand-in, has h1: hashes only.
        problems.append("no zh: hashes: not written by `terraform init` against the registry")
    return problems


def test_lock_file_check_accepts_a_registry_lock_and_refuses_others():
    assert lock_file_problems(GOOD_LOCK) == []
    assert lock_file_problems(GOOD_LOCK.replace('"8.7.0"', '"9.1.0"')) == [
        "google is not locked to a version >= 8.7, < 9.0"
    ]
    assert lock_file_problems(GOOD_LOCK.replace("zh:", "h1:")) == [
        "no zh: hashes: not written by `terraform init` against the registry"
    ]
    assert lock_file_problems("") == ["locks no registry.terraform.io/hashicorp/google"]


def test_lock_files_only_in_env_roots_and_only_from_the_registry():
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "terraform"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    locks = [Path(p) for p in tracked if p.endswith(".terraform.lock.hcl")]
    misplaced = [str(p) for p in locks if p.parent.parent != Path("terraform/envs")]
    assert not misplaced, f"lock files outside an env root would be committed: {misplaced}"
    problems = [f"{p}: {m}" for p in locks for m in lock_file_problems((ROOT / p).read_text())]
    assert not problems


def test_git_ignores_lock_files_outside_env_roots_and_saved_plans():
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0

    assert ignored("terraform/modules/storage/.terraform.lock.hcl")
    assert ignored("tests/terraform/smoke/terraform/dev_env/.terraform.lock.hcl")
    assert not ignored("terraform/envs/dev/.terraform.lock.hcl")
    assert ignored("terraform/envs/dev/release.tfplan")
    assert not ignored("terraform/envs/dev/settings.auto.tfvars")


def make_dry_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """What `make -n ARGS` would run, from the repository root."""
    return subprocess.run(
        ["make", "--no-print-directory", "-n", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_make_plan_saves_its_plan_where_git_ignores_it():
    dry = make_dry_run("plan", "ENV=dev")
    assert dry.returncode == 0, dry.stderr
    out = re.search(r"terraform -chdir=(\S+) plan .*-out=(\S+)", dry.stdout)
    assert out, dry.stdout
    saved = f"{out[1]}/{out[2]}"
    assert subprocess.run(["git", "check-ignore", "-q", saved], cwd=ROOT).returncode == 0
    assert "-var=job_image" not in dry.stdout, "an admin plan keeps the running image"
    rollback = make_dry_run("plan", "ENV=dev", "IMAGE=r/p@sha256:1")
    assert "-var=job_image=r/p@sha256:1" in rollback.stdout
    # An IMAGE or STATE_BUCKET left in the shell's environment does not count.
    stray = make_dry_run(
        "plan",
        "ENV=dev",
        env={**os.environ, "IMAGE": "r/p@sha256:2", "STATE_BUCKET": "someone-elses"},
    )
    assert "job_image" not in stray.stdout
    assert "-backend-config=bucket=my-playclips-dev-tfstate" in stray.stdout
