#!/usr/bin/env python3
"""Take an empty Google Cloud project to a deployed playclips environment: `make bootstrap`.

    make bootstrap ENV=dev PROJECT=my-playclips-dev
    python3 scripts/bootstrap.py dev my-playclips-dev [--auto-approve] [--key-from-stdin]

It reads the environment's committed settings (terraform/envs/ENV/settings.auto.tfvars: project,
region, state bucket) and then, printing each command before it runs it:

1. checks Application Default Credentials, which Terraform uses;
2. enables the APIs Terraform needs before it can enable the rest itself;
3. creates the state bucket (versioned, uniform access, no public access) unless it exists;
4. `terraform init` (which writes .terraform.lock.hcl: commit it);
5. applies the Supabase key's secret alone (`-target`), so that
6. the secret's first version can be added out of band, read from a hidden prompt (or stdin
   with --key-from-stdin) and handed to `gcloud secrets versions add --data-file=-` on its
   stdin: never in an argument, the environment, shell history or Terraform state. Skipped
   when the secret already has an enabled version;
7. applies everything. Cloud Run refuses a job whose secret has no version, hence this order.
   While the job does not exist yet, Google's sample job image stands in for it
   (-var job_image=...); afterwards the running image is kept (the deploy contract).

Safe to rerun: every step checks first. Standard library only, so it runs with any python3.
Exit 0 done; 1 a command failed (its own message above); 2 bad usage or settings.
"""

from __future__ import annotations

import argparse
import getpass
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENVS = REPO / "terraform" / "envs"
# Names the composition gives (terraform/modules/playclips): the secret and the job.
SECRET = "supabase-service-key"
JOB = "playclips"
SECRET_TARGET = "module.playclips.module.secrets"
# Stands in until the first release: Google's sample job, which starts and exits.
PLACEHOLDER_IMAGE = "us-docker.pkg.dev/cloudrun/container/job:latest"
# What Terraform itself needs before it can enable the others (modules/project_services).
BOOTSTRAP_APIS = [
    "cloudresourcemanager.googleapis.com",
    "serviceusage.googleapis.com",
    "storage.googleapis.com",
    "secretmanager.googleapis.com",
    "iam.googleapis.com",
]
# The committed settings' example values: left in, they would point federation at someone
# else's repository and the job at no Supabase project.
EXAMPLE_VALUES = ('"my-org/playclips"', '"123456789"', "abcdefghijklmnop.supabase.co")
_SETTING = re.compile(r'^([a-z_]+)\s*=\s*"([^"]*)"\s*(?:#.*)?$', re.MULTILINE)


class BootstrapError(Exception):
    """A problem the user can fix; the message says how."""

    exit_code = 2


class ApplyFailed(BootstrapError):
    """The final apply failed; on a new project, often only for a minute or two."""

    exit_code = 1


def read_settings(env: str) -> dict[str, str]:
    """The top-level string settings of terraform/envs/ENV/settings.auto.tfvars."""
    path = ENVS / env / "settings.auto.tfvars"
    if not path.is_file():
        envs = sorted(p.name for p in ENVS.iterdir() if (p / "settings.auto.tfvars").is_file())
        raise BootstrapError(
            f"ENV must be one of {', '.join(envs)} (terraform/envs/ENV), not {env!r}"
        )
    return dict(_SETTING.findall(path.read_text()))


def check_settings(env: str, project: str) -> dict[str, str]:
    """The env's settings, once they name PROJECT and no other env shares it."""
    settings = read_settings(env)
    where = f"terraform/envs/{env}/settings.auto.tfvars"
    text = (ENVS / env / "settings.auto.tfvars").read_text()
    left = [value for value in EXAMPLE_VALUES if value in text]
    if left:
        raise BootstrapError(
            f"{where} still has the example value {', '.join(left)}: set your own GitHub "
            "repository and id (gh api repos/OWNER/NAME --jq .id) and Supabase URL, and commit"
        )
    missing = [k for k in ("project_id", "region", "state_bucket") if not settings.get(k)]
    if missing:
        raise BootstrapError(f"{where} sets no {', '.join(missing)}: fill it in and commit it")
    if settings["project_id"] != project:
        raise BootstrapError(
            f'{where} has project_id = "{settings["project_id"]}", not "{project}": set your '
            "project, region, state_bucket, supabase_url and github there, commit, and run again"
        )
    others = [p.name for p in ENVS.iterdir() if (p / "settings.auto.tfvars").is_file()]
    for other in sorted(o for o in others if o != env):
        if read_settings(other).get("project_id") == project:
            raise BootstrapError(
                f"{env} and {other} both use project {project}: give each environment its own "
                "project (bucket, job and account names would collide)"
            )
    return settings


class Runner:
    """Runs commands, printing each first; the key only ever travels on a child's stdin."""

    def run(
        self, args: list[str], *, stdin: str | None = None, check: bool = True, quiet: bool = False
    ):
        print("+ " + shlex.join(args), flush=True)
        result = subprocess.run(
            args,
            input=stdin,
            text=True,
            cwd=REPO,
            stdout=subprocess.PIPE if quiet else None,
            stderr=subprocess.PIPE if quiet else None,
            check=False,
        )
        if check and result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, args)
        return result


def read_key(from_stdin: bool) -> str:
    """The Supabase service key, from a hidden prompt or stdin; never echoed."""
    if from_stdin:
        key = sys.stdin.readline().strip()
    else:
        key = getpass.getpass(
            "Supabase service key (Project Settings > API > service_role; hidden): "
        ).strip()
    if not key:
        raise BootstrapError("no Supabase service key given: nothing was added, run again")
    return key


def bootstrap(
    env: str, project: str, *, auto_approve: bool, key_from_stdin: bool, runner: Runner
) -> None:
    settings = check_settings(env, project)
    region, bucket = settings["region"], settings["state_bucket"]
    for tool in ("gcloud", "terraform"):
        if shutil.which(tool) is None:
            raise BootstrapError(
                f"{tool} is not on PATH: install it (docs/deploy.md, 'What you need')"
            )
    chdir = f"-chdir=terraform/envs/{env}"

    if runner.run(
        ["gcloud", "auth", "application-default", "print-access-token"], check=False, quiet=True
    ).returncode:
        raise BootstrapError(
            "Terraform uses Application Default Credentials and finds none: run "
            f"`gcloud auth application-default login` and `gcloud auth application-default "
            f"set-quota-project {project}`, then run again"
        )
    runner.run(["gcloud", "services", "enable", *BOOTSTRAP_APIS, f"--project={project}"])

    describe = [
        "gcloud",
        "storage",
        "buckets",
        "describe",
        f"gs://{bucket}",
        f"--project={project}",
    ]
    if runner.run([*describe, "--format=value(name)"], check=False, quiet=True).returncode:
        runner.run(
            [
                "gcloud",
                "storage",
                "buckets",
                "create",
                f"gs://{bucket}",
                f"--project={project}",
                f"--location={region}",
                "--uniform-bucket-level-access",
                "--public-access-prevention",
            ]
        )
        runner.run(["gcloud", "storage", "buckets", "update", f"gs://{bucket}", "--versioning"])

    # Google's sample image stands in while no job exists; afterwards the running one is kept.
    job = runner.run(
        [
            "gcloud",
            "run",
            "jobs",
            "describe",
            JOB,
            f"--project={project}",
            f"--region={region}",
            "--format=value(name)",
        ],
        check=False,
        quiet=True,
    )
    image = [] if job.returncode == 0 else [f"-var=job_image={PLACEHOLDER_IMAGE}"]

    runner.run(["terraform", chdir, "init", "-input=false", f"-backend-config=bucket={bucket}"])
    runner.run(
        [
            "terraform",
            chdir,
            "apply",
            "-input=false",
            "-auto-approve",
            f"-target={SECRET_TARGET}",
            *image,
        ]
    )

    versions = runner.run(
        [
            "gcloud",
            "secrets",
            "versions",
            "list",
            SECRET,
            f"--project={project}",
            "--filter=state=ENABLED",
            "--limit=1",
            "--format=value(name)",
        ],
        quiet=True,
    )
    if versions.stdout.strip():
        print(f"{SECRET} already has an enabled version: kept")
    else:
        key = read_key(key_from_stdin)
        runner.run(
            [
                "gcloud",
                "secrets",
                "versions",
                "add",
                SECRET,
                f"--project={project}",
                "--data-file=-",
            ],
            stdin=key,
        )

    approve = ["-input=false", "-auto-approve"] if auto_approve else []
    try:
        runner.run(["terraform", chdir, "apply", *approve, *image])
    except subprocess.CalledProcessError as err:
        # Seen on fresh projects: a new IAM grant (the job's access to its secret) or a newly
        # enabled API is not visible to Cloud Run for a minute or two.
        raise ApplyFailed(
            f"`{shlex.join(err.cmd)}` exited {err.returncode}. On a new project, grants and APIs "
            "take a minute or two to reach every service: if the error names a permission, a "
            "secret or a disabled API, wait two minutes and run `make bootstrap` again"
        ) from err

    print(
        f"\n{env} is up in {project}. Next (docs/deploy.md):\n"
        f"  git add terraform/envs/{env}/.terraform.lock.hcl && git commit  # releases use it\n"
        f"  terraform -chdir=terraform/envs/{env} output -json \\\n"
        f"    | python3 scripts/github_env_vars.py {env} --state-bucket {bucket}\n"
        f"  make trigger GAMES=... ENV={env}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env", help="the environment: a folder under terraform/envs (dev, prod)")
    parser.add_argument("project", help="its Google Cloud project id (as in its settings)")
    parser.add_argument("--auto-approve", action="store_true", help="apply without asking")
    parser.add_argument(
        "--key-from-stdin", action="store_true", help="read the Supabase key from stdin"
    )
    args = parser.parse_args(argv)
    try:
        bootstrap(
            args.env,
            args.project,
            auto_approve=args.auto_approve,
            key_from_stdin=args.key_from_stdin,
            runner=Runner(),
        )
    except BootstrapError as err:
        print(f"bootstrap: {err}", file=sys.stderr)
        return err.exit_code
    except subprocess.CalledProcessError as err:
        print(
            f"bootstrap: `{shlex.join(err.cmd)}` exited {err.returncode}; fix what it says "
            "and run again (every step checks first)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
