"""Apply the composition for real (pytest-terraform), check the outputs the release and trigger
read."""

import os

from pytest_terraform import terraform

# pytest-terraform applies tests/terraform/smoke/terraform/dev_env (a wrapper around
# terraform/modules/playclips) and destroys it after the session.
os.environ.setdefault("TF_VAR_project_id", os.environ.get("PLAYCLIPS_SMOKE_PROJECT", ""))


@terraform("dev_env", scope="session", replay=False)
def test_dev_env_outputs(dev_env):
    outputs = dev_env.outputs
    project = os.environ["PLAYCLIPS_SMOKE_PROJECT"]
    assert outputs["project_id"]["value"] == project
    assert outputs["job_name"]["value"] == "playclips"
    assert outputs["workflow_id"]["value"].startswith(f"projects/{project}/locations/")
    assert outputs["wif_provider"]["value"].startswith("projects/")
