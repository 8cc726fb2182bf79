"""Terraform, served the real google provider schema by the stand-in, for the tests here.

The schema is built by `make terraform-prereqs` (part of `make test`) into .cache/terraform.
Every Terraform command gets its own data directory under pytest's tmp_path, so nothing is
written into terraform/ (no .terraform, no lock file).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from tf_harness import BUILD_HINT, ROOT, SCHEMA, Terraform


@pytest.fixture(scope="session")
def terraform(tmp_path_factory) -> Terraform:
    """Terraform with a CLI config whose dev_overrides point hashicorp/google at the stand-in."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH (Terraform 1.11 is part of this machine's image)")
    if not SCHEMA.exists():
        pytest.fail(f"{SCHEMA.relative_to(ROOT)} is missing: {BUILD_HINT}")
    home = tmp_path_factory.mktemp("terraform")
    plugin_dir = home / "plugins"
    plugin_dir.mkdir()
    # Build the protobuf form of the schema once, here, instead of in the first plugin start.
    sys.path.insert(0, str(Path(__file__).parent))
    from stand_in_google_provider.server import load_response

    load_response(SCHEMA)
    plugin = plugin_dir / "terraform-provider-google"
    plugin.write_text(
        "#!/bin/sh\n"
        f"export STAND_IN_GOOGLE_SCHEMA='{SCHEMA}'\n"
        f"export PYTHONPATH='{Path(__file__).parent}'\n"
        f"exec '{sys.executable}' -m stand_in_google_provider.server \"$@\"\n"
    )
    plugin.chmod(0o755)
    cli_config = home / "terraformrc"
    cli_config.write_text(
        "provider_installation {\n"
        f'  dev_overrides {{\n    "hashicorp/google" = "{plugin_dir}"\n  }}\n'
        "  direct {}\n"
        "}\n"
    )
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "NO_COLOR": "1",
    }
    env.pop("TF_DATA_DIR", None)
    return Terraform(env=env, data_root=home / "data")
