"""terraform fmt, validate and test for every module and environment, offline."""

from __future__ import annotations

import re
import shutil

import pytest
from tf_harness import ENVS, MODULES, SCHEMA, TERRAFORM_DIR

from tests.support.terraform_outputs import ENV_OUTPUTS


def test_terraform_files_are_formatted(terraform):
    result = terraform.run("fmt", "-check", "-recursive", "-diff", cwd=TERRAFORM_DIR, check=False)
    assert result.returncode == 0, f"run `make terraform-fmt`:\n{result.stdout}"


# Every module and every env root: each is validated and runs its own tests/*.tftest.hcl.
ROOTS = [f"modules/{module}" for module in MODULES] + [f"envs/{env}" for env in ENVS]


@pytest.mark.parametrize("root", ROOTS)
def test_validates(terraform, root):
    directory = TERRAFORM_DIR / root
    data_dir = f"validate-{root.replace('/', '-')}"
    # `terraform get` installs the local modules (the composition and the env roots call them)
    # without asking any registry for providers, which `init` would; the stand-in needs none.
    terraform.run("get", "-no-color", cwd=directory, data_dir=data_dir)
    result = terraform.run("validate", "-no-color", cwd=directory, data_dir=data_dir)
    assert "The configuration is valid" in result.stdout


@pytest.mark.parametrize("root", ROOTS)
def test_plan_tests_pass(terraform, root):
    directory = TERRAFORM_DIR / root
    assert list((directory / "tests").glob("*.tftest.hcl")), f"{root} has no tests/*.tftest.hcl"
    data_dir = f"test-{root.replace('/', '-')}"
    terraform.run("get", "-no-color", cwd=directory, data_dir=data_dir)
    result = terraform.run("test", "-no-color", cwd=directory, data_dir=data_dir)
    summary = re.search(r"Success! (\d+) passed, 0 failed", result.stdout)
    assert summary and int(summary.group(1)) > 0, result.stdout


@pytest.fixture
def job_module_copy(tmp_path):
    copy = tmp_path / "clip_job"
    shutil.copytree(
        TERRAFORM_DIR / "modules" / "clip_job", copy, ignore=shutil.ignore_patterns("tests")
    )
    return copy


def _validate(terraform, directory):
    return terraform.run("validate", "-no-color", cwd=directory, check=False)


def test_schema_rejects_an_unknown_attribute(terraform, job_module_copy):
    job = job_module_copy / "job.tf"
    job.write_text(
        job.read_text().replace(
            "  labels              = var.labels\n", "  labels = var.labels\n  cpu_boost = true\n", 1
        )
    )
    result = _validate(terraform, job_module_copy)
    assert result.returncode != 0
    assert 'An argument named "cpu_boost" is not expected here' in result.stderr


def test_schema_rejects_a_block_in_the_wrong_place(terraform, job_module_copy):
    job = job_module_copy / "job.tf"
    # empty_dir belongs inside volumes, not directly in the task template.
    text = job.read_text().replace(
        '      execution_environment = "EXECUTION_ENVIRONMENT_GEN2"\n',
        '      execution_environment = "EXECUTION_ENVIRONMENT_GEN2"\n'
        '      empty_dir {\n        medium = "DISK"\n      }\n',
        1,
    )
    job.write_text(text)
    result = _validate(terraform, job_module_copy)
    assert result.returncode != 0
    assert 'Blocks of type "empty_dir" are not expected here' in result.stderr


def test_schema_requires_required_arguments(terraform, job_module_copy):
    job = job_module_copy / "job.tf"
    job.write_text(job.read_text().replace("        image = var.container.image\n", "", 1))
    result = _validate(terraform, job_module_copy)
    assert result.returncode != 0
    assert 'The argument "image" is required' in result.stderr


def test_unchanged_copy_still_validates(terraform, job_module_copy):
    """The negative tests above fail for their edit alone."""
    assert _validate(terraform, job_module_copy).returncode == 0


def test_stand_in_serves_the_extracted_schema(terraform):
    import json

    result = terraform.run(
        "providers", "schema", "-json", cwd=TERRAFORM_DIR / "modules" / "clip_job"
    )
    served = json.loads(result.stdout)["provider_schemas"]["registry.terraform.io/hashicorp/google"]
    extracted = json.loads(SCHEMA.read_text())
    schemas = extracted["provider_schemas"]["registry.terraform.io/hashicorp/google"]
    assert extracted["provider_version"] == "8.7.0"
    assert set(served["resource_schemas"]) == set(schemas["resource_schemas"])
    job = served["resource_schemas"]["google_cloud_run_v2_job"]["block"]
    volumes = job["block_types"]["template"]["block"]["block_types"]["template"]["block"][
        "block_types"
    ]["volumes"]
    assert volumes["block"]["block_types"]["empty_dir"]["block"]["attributes"].keys() == {
        "medium",
        "size_limit",
    }
    secret_version = served["resource_schemas"]["google_secret_manager_secret_version"]["block"]
    assert secret_version["attributes"]["secret_data_wo"].get("write_only") is True


@pytest.mark.parametrize("module", MODULES)
def test_module_readme_documents_every_input_and_output(module):
    directory = TERRAFORM_DIR / "modules" / module
    readme = (directory / "README.md").read_text()
    names = re.findall(r'^variable "(\w+)"', (directory / "variables.tf").read_text(), re.MULTILINE)
    names += re.findall(r'^output "(\w+)"', (directory / "outputs.tf").read_text(), re.MULTILINE)
    missing = [name for name in names if f"| `{name}` |" not in readme]
    assert not missing, f"{module}/README.md has no table row for {missing}"
    assert "## Least-privilege matrix" in readme


@pytest.mark.parametrize("module", MODULES)
def test_module_readme_matrix_lists_every_granted_role(module):
    """Every role the module's code grants appears in its README matrix."""
    directory = TERRAFORM_DIR / "modules" / module
    code = "\n".join(p.read_text() for p in directory.glob("*.tf"))
    matrix = (directory / "README.md").read_text().split("## Least-privilege matrix")[1]
    granted = set(re.findall(r'"(roles/[\w.]+)"', code))
    missing = sorted(role for role in granted if f"`{role}`" not in matrix)
    assert not missing, f"{module} grants {missing} but its README matrix does not list them"


@pytest.mark.parametrize("env", ENVS)
def test_env_outputs_are_the_ones_trigger_and_release_read(env):
    outputs = re.findall(
        r'^output "(\w+)"', (TERRAFORM_DIR / "envs" / env / "outputs.tf").read_text(), re.MULTILINE
    )
    assert set(outputs) == ENV_OUTPUTS
