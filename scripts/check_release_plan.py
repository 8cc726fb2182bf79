#!/usr/bin/env python3
"""Refuse a release plan that changes anything but the clip job's image.

    terraform -chdir=terraform/envs/dev show -json release.tfplan > plan.json
    python3 scripts/check_release_plan.py plan.json

The deploy contract (docs/design.md, "Deploy contract"): a release plans the env root with its
committed settings plus `-var job_image=...`, and may change the job's image and nothing else.
Anything more in the plan (a committed setting an administrator has not applied yet, drift made
by hand, a module change) is an administrator's `make plan`/`make apply`, so the release stops
before applying, naming each change. A plan that changes nothing (the image already runs) passes.

Reads Terraform's JSON plan format (`terraform show -json`): `resource_changes[]` with
`address`, `change.actions`, `change.before`, `change.after`, `change.after_unknown`. Values the
provider will compute (marked in `after_unknown`) are not changes the release asks for and are
not compared. Standard library only, so it runs with any python3. Exit 0: the plan may be
applied; 1: it may not (one line per reason on stderr); 2: unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

JOB_ADDRESS = "module.playclips.module.clip_job.google_cloud_run_v2_job.this"
IMAGE_PATH = "template[0].template[0].containers[0].image"
UNCHANGED = (["no-op"], ["read"])


def changed_paths(before: Any, after: Any, unknown: Any, path: str = "") -> list[str]:
    """Paths (as template[0].image) whose known planned value differs from the prior one."""
    if unknown is True:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        unknown = unknown if isinstance(unknown, dict) else {}
        found = []
        for key in sorted(set(before) | set(after)):
            sub = f"{path}.{key}" if path else key
            found += changed_paths(before.get(key), after.get(key), unknown.get(key), sub)
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        unknown = unknown if isinstance(unknown, list) else []
        found = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            flag = unknown[index] if index < len(unknown) else None
            found += changed_paths(old, new, flag, f"{path}[{index}]")
        return found
    return [] if before == after else [path or "(whole resource)"]


def plan_problems(plan: dict[str, Any], job_address: str = JOB_ADDRESS) -> list[str]:
    """Every change in `plan` a release may not make, one sentence each; empty when it may."""
    problems = []
    for resource in plan.get("resource_changes", []):
        address = resource["address"]
        change = resource["change"]
        actions = change["actions"]
        if actions in UNCHANGED:
            continue
        if address != job_address or actions != ["update"]:
            problems.append(f"{address}: {'/'.join(actions)}")
            continue
        extra = [
            path
            for path in changed_paths(
                change.get("before"), change.get("after"), change.get("after_unknown")
            )
            if path != IMAGE_PATH
        ]
        if extra:
            problems.append(f"{address}: update of {', '.join(extra)} besides the image")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", help="`terraform show -json PLANFILE` output; - for stdin")
    parser.add_argument("--job", default=JOB_ADDRESS, help="address of the clip job")
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if args.plan == "-" else open(args.plan).read()  # noqa: SIM115
        plan = json.loads(text)
        problems = plan_problems(plan, args.job)
    except (OSError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
        print(
            f"expected `terraform show -json PLANFILE` output in {args.plan}: {err}",
            file=sys.stderr,
        )
        return 2
    for problem in problems:
        print(f"release plan would change {problem}", file=sys.stderr)
    if problems:
        print(
            "a release changes only the job's image: apply the rest first as an administrator "
            "(make plan ENV=... && make apply ENV=...), then rerun the release",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
