#!/usr/bin/env python3
"""Print the `gh variable set` commands that copy one Terraform env's outputs into the GitHub
environment of the same name (the variables .github/workflows/release.yml reads).

    terraform -chdir=terraform/envs/dev output -json \\
      | python3 scripts/github_env_vars.py dev --state-bucket my-tf-state-bucket

Each output `name` becomes variable `NAME`; TF_STATE_BUCKET is no output (the backend bucket must
exist before `terraform init`), so pass it with --state-bucket (the env's state_bucket setting).
The release reads WIF_PROVIDER, DEPLOYER_SERVICE_ACCOUNT, ARTIFACT_REGISTRY_REPOSITORY_URL and
TF_STATE_BUCKET; its plan takes every other setting from the env's committed
settings.auto.tfvars. Rerun this after an apply that changes an output. Review the commands,
then pipe them to `sh`. Sensitive or non-string outputs are
refused: environment variables are not secret. Standard library only, so it runs with any python3.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any


def gh_commands(env: str, outputs: dict[str, Any], state_bucket: str | None) -> list[str]:
    """One `gh variable set NAME --env ENV --body VALUE` per output, sorted by name.

    Raises ValueError naming every output that cannot become a plain variable.
    """
    values: dict[str, str] = {}
    refused = []
    for name, output in sorted(outputs.items()):
        value = output.get("value")
        if output.get("sensitive"):
            refused.append(f"{name} (sensitive: keep it out of GitHub variables)")
        elif not isinstance(value, str):
            refused.append(f"{name} (a {type(value).__name__}, not a string)")
        else:
            values[name.upper()] = value
    if refused:
        raise ValueError("outputs that cannot become variables: " + ", ".join(refused))
    if state_bucket:
        values["TF_STATE_BUCKET"] = state_bucket
    return [
        f"gh variable set {name} --env {shlex.quote(env)} --body {shlex.quote(value)}"
        for name, value in sorted(values.items())
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env", help="GitHub environment name: dev or prod")
    parser.add_argument("--state-bucket", help="the GCS bucket of this env's Terraform state")
    args = parser.parse_args(argv)
    try:
        outputs = json.load(sys.stdin)
        commands = gh_commands(args.env, outputs, args.state_bucket)
    except (json.JSONDecodeError, AttributeError) as err:
        print(f"expected `terraform output -json` on stdin: {err}", file=sys.stderr)
        return 1
    except ValueError as err:
        print(err, file=sys.stderr)
        return 1
    if not commands:
        print("no outputs: run `terraform apply` in that env first", file=sys.stderr)
        return 1
    print("\n".join(commands))
    return 0


if __name__ == "__main__":
    sys.exit(main())
