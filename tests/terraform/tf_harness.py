"""Paths and the terraform runner shared by the Terraform tests (a unique module name, so it
cannot clash with other test folders' helpers)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = ROOT / "terraform"
SCHEMA = ROOT / ".cache" / "terraform" / "google-8.7.0.schema.json"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
MODULES = sorted(p.name for p in (TERRAFORM_DIR / "modules").iterdir() if p.is_dir())
ENVS = sorted(p.name for p in (TERRAFORM_DIR / "envs").iterdir() if p.is_dir())
BUILD_HINT = "run `make terraform-prereqs` (make test does) to build it"


@dataclass
class Terraform:
    """Runs the terraform CLI with the stand-in google provider registered."""

    env: dict[str, str]
    data_root: Path

    def run(self, *args: str, cwd: Path, data_dir: str | None = None, check: bool = True):
        env = dict(self.env)
        if data_dir:
            env["TF_DATA_DIR"] = str(self.data_root / data_dir)
        result = subprocess.run(
            ["terraform", *args],
            check=False,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"terraform {' '.join(args)} in {cwd} exited {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result
