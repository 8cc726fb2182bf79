"""Checks that tie the GitHub Actions workflows to the rest of the repository.

Each function takes parsed workflows or file text and returns a list of problems (empty when all is
well), so the tests can run them on the real workflows and on small bad ones alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
PINNED_ACTIONS = Path(__file__).with_name("pinned_actions.json")

# The one variable the workflows read that is no Terraform output: the state bucket must exist
# before `terraform init` can read any output (docs/releasing.md).
NOT_AN_OUTPUT = frozenset({"TF_STATE_BUCKET"})
AUTH_ACTION = "google-github-actions/auth"

_VARS = re.compile(r"\bvars\.([A-Za-z_][A-Za-z0-9_]*)")
_OUTPUT = re.compile(r'^\s*output\s+"([^"]+)"', re.MULTILINE)
_VARIABLE = re.compile(r'^\s*variable\s+"([^"]+)"', re.MULTILINE)
_VAR_ARG = re.compile(r"""-var[= ]+["']?([A-Za-z_][A-Za-z0-9_]*)=""")
_MAKE_CALL = re.compile(
    r"(?:^|[;&|(]\s*|\s)make\s+((?:-[CfIo]\s*\S+\s+|--?[\w-]+(?:=\S+)?\s+)*)([A-Za-z0-9_.-]+)"
)
_BASH_CALL = re.compile(r"(?:^|[;&|]\s*)(?:bash|sh)\s+([\w./-]+)", re.MULTILINE)
_MAKE_RULE = re.compile(r"^([A-Za-z0-9_.-]+(?:\s+[A-Za-z0-9_.-]+)*)\s*::?(?!=)", re.MULTILINE)
_SHA_PIN = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)(?P<sub>/[\w./-]+)?@(?P<ref>[0-9a-f]{40})$")
_USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*(?:#\s*(\S+))?\s*$", re.MULTILINE)
# The values of `cond && 'a' || 'b'`, not the literals the condition compares against.
_CHOSEN = re.compile(r"(?:&&|\|\|)\s*'([A-Za-z0-9_-]+)'")
_EXPR = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
_KEYISH_SECRET = re.compile(r"secrets\.\w*(?:KEY|CREDENTIAL|JSON)\w*", re.IGNORECASE)


def load(text: str) -> dict[str, Any]:
    """Parse workflow YAML; PyYAML reads the bare key `on` as True, so put it back."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("a workflow must be a YAML mapping")
    if True in data:
        data["on"] = data.pop(True)
    return data


def repo_workflows() -> dict[str, tuple[str, dict[str, Any]]]:
    """Every workflow file in .github/workflows: file name -> (text, parsed)."""
    found = {}
    for path in sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")]):
        text = path.read_text()
        found[path.name] = (text, load(text))
    return found


def steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every step of every job as (job id, step)."""
    for job_id, job in (workflow.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            yield job_id, step


def action_of(step: dict[str, Any]) -> str | None:
    """`owner/repo` of a step's `uses:`, without sub-path and ref; None for a `run:` step."""
    uses = step.get("uses")
    return None if uses is None else uses.split("@", 1)[0]


def run_scripts(workflow: dict[str, Any]) -> list[str]:
    """The `run:` scripts of every step."""
    return [step["run"] for _, step in steps(workflow) if "run" in step]


# --- Terraform -------------------------------------------------------------------------------


def terraform_names(env_dir: Path, pattern: re.Pattern[str]) -> set[str]:
    """Names of `output "x"` or `variable "x"` blocks across an env root's .tf files."""
    return {m for tf in sorted(env_dir.glob("*.tf")) for m in pattern.findall(tf.read_text())}


def terraform_outputs(env_dir: Path) -> set[str]:
    return terraform_names(env_dir, _OUTPUT)


def terraform_variables(env_dir: Path) -> set[str]:
    return terraform_names(env_dir, _VARIABLE)


def required_variables(env_dir: Path) -> set[str]:
    """Variables declared without a `default`: an apply fails unless something sets them."""
    required = set()
    for tf in sorted(env_dir.glob("*.tf")):
        text = tf.read_text()
        for m in _VARIABLE.finditer(text):
            depth, i = 0, text.index("{", m.end())
            for j in range(i, len(text)):
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                if depth == 0:
                    break
            body = text[i + 1 : j]
            top_level = body
            while (inner := re.sub(r"\{[^{}]*\}", "", top_level)) != top_level:
                top_level = inner  # drop nested blocks and objects, innermost first
            if not re.search(r"^\s*default\s*=", top_level, re.MULTILINE):
                required.add(m.group(1))
    return required


def auto_tfvars_names(env_dir: Path) -> set[str]:
    """Names assigned at the top level of the env's *.auto.tfvars (Terraform loads them itself)."""
    names = set()
    for path in sorted(env_dir.glob("*.auto.tfvars")):
        names |= set(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=", path.read_text(), re.MULTILINE))
    return names


def vars_read(text: str) -> set[str]:
    """Names of every `vars.NAME` a workflow reads."""
    return set(_VARS.findall(text))


def vars_without_output(names: set[str], outputs: set[str]) -> list[str]:
    """Variables that are neither TF_STATE_BUCKET nor an upper-cased output of the env."""
    return sorted(n for n in names - NOT_AN_OUTPUT if n.lower() not in outputs or not n.isupper())


def deploy_environments(workflow: dict[str, Any]) -> set[str]:
    """GitHub environment names the workflow's jobs deploy to, literal or inside an expression."""
    names = set()
    for job in (workflow.get("jobs") or {}).values():
        env = job.get("environment")
        name = env.get("name") if isinstance(env, dict) else env
        if name is None:
            continue
        names |= set(_CHOSEN.findall(name)) if "${{" in name else {name}
    return names


def terraform_var_args(script: str) -> set[str]:
    """Names passed with `-var "name=..."` in a script."""
    return set(_VAR_ARG.findall(script))


# --- Make and scripts ------------------------------------------------------------------------


def make_targets(makefiles: list[Path]) -> set[str]:
    """Explicit targets defined in the Makefile and mk/*.mk (not pattern or special ones)."""
    targets = set()
    for path in makefiles:
        for group in _MAKE_RULE.findall(path.read_text()):
            targets.update(t for t in group.split() if not t.startswith("."))
    return targets


def repo_makefiles() -> list[Path]:
    return [REPO / "Makefile", *sorted((REPO / "mk").glob("*.mk"))]


def missing_make_targets(scripts: list[str], targets: set[str]) -> list[str]:
    """`make TARGET` calls in run scripts whose target no Makefile defines."""
    called = {m[1] for script in scripts for m in _MAKE_CALL.findall(script)}
    return sorted(called - targets)


def missing_scripts(scripts: list[str], root: Path) -> list[str]:
    """Files run as `bash PATH` / `sh PATH` that do not exist under root."""
    called = {p for script in scripts for p in _BASH_CALL.findall(script)}
    return sorted(p for p in called if not (root / p).is_file())


# --- Docker ----------------------------------------------------------------------------------


def docker_builds(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    """The `with:` of every docker/build-push-action step."""
    return [
        step.get("with") or {}
        for _, step in steps(workflow)
        if action_of(step) == "docker/build-push-action"
    ]


def docker_build_problems(build: dict[str, Any], root: Path) -> list[str]:
    """The context must be a directory holding the Dockerfile and everything it COPYs."""
    context = build.get("context")
    if not context:
        return ["no `context:`: the action would build from the Git context, not job/"]
    ctx = root / context
    dockerfile = root / build.get("file", f"{context}/Dockerfile")
    if not ctx.is_dir():
        return [f"context {context} is not a directory"]
    if not dockerfile.is_file():
        return [f"Dockerfile {dockerfile.relative_to(root)} does not exist"]
    problems = []
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if not words or words[0].upper() != "COPY" or any(w.startswith("--from") for w in words):
            continue
        for src in [w for w in words[1:-1] if not w.startswith("--")]:
            if not (ctx / src).exists():
                problems.append(f"{dockerfile.name} copies {src}, which is not in {context}/")
    return problems


# --- Security --------------------------------------------------------------------------------


def key_problems(text: str, workflow: dict[str, Any]) -> list[str]:
    """Long-lived keys in any form: credentials_json, or a secret that looks like a key."""
    problems = []
    for job_id, step in steps(workflow):
        if "credentials_json" in (step.get("with") or {}):
            problems.append(f"job {job_id}: a step authenticates with credentials_json (a key)")
    problems += [f"reads {m}, which looks like a key" for m in _KEYISH_SECRET.findall(text)]
    return problems


def permission_problems(name: str, workflow: dict[str, Any], release: str) -> list[str]:
    """No write-all anywhere; id-token: write only in the release workflow's auth jobs."""
    problems = []
    blocks = [("workflow", workflow.get("permissions"))]
    blocks += [(f"job {j}", job.get("permissions")) for j, job in workflow["jobs"].items()]
    if workflow.get("permissions") is None:
        problems.append(f"{name}: no top-level permissions (GitHub's default token is broad)")
    for where, perms in blocks:
        if perms in ("write-all", "read-all") or (isinstance(perms, str) and perms):
            problems.append(f"{name} {where}: permissions: {perms}")
    for job_id, job in workflow["jobs"].items():
        # A job's own permissions replace the workflow's; they are not merged.
        perms = job["permissions"] if "permissions" in job else workflow.get("permissions")
        if not isinstance(perms, dict) or perms.get("id-token") != "write":
            continue
        authenticates = any(action_of(s) == AUTH_ACTION for s in job.get("steps") or [])
        if name != release:
            problems.append(f"{name} job {job_id}: id-token: write outside {release}")
        elif not authenticates:
            problems.append(f"{name} job {job_id}: id-token: write but no {AUTH_ACTION} step")
    return problems


# --- Pins ------------------------------------------------------------------------------------


def pinned_actions() -> dict[str, dict[str, Any]]:
    """Actions verified by hand: owner/repo -> tag, commit, inputs (docs/releasing.md)."""
    return json.loads(PINNED_ACTIONS.read_text())


def pin_problems(text: str, pins: dict[str, dict[str, Any]]) -> list[str]:
    """Every `uses:` is a verified full commit SHA with its `# vX.Y.Z` tag as a comment."""
    problems = []
    for ref, comment in _USES_LINE.findall(text):
        if ref.startswith("./"):
            continue
        m = _SHA_PIN.match(ref)
        if not m:
            problems.append(f"{ref}: not pinned to a full commit SHA")
            continue
        pin = pins.get(m["action"])
        if pin is None:
            problems.append(f"{ref}: {m['action']} is not in pinned_actions.json")
        elif m["ref"] != pin["sha"] or comment != pin["tag"]:
            problems.append(
                f"{ref} # {comment or '(no tag comment)'}: expected "
                f"{m['action']}@{pin['sha']} # {pin['tag']}"
            )
    return problems


def input_problems(workflow: dict[str, Any], pins: dict[str, dict[str, Any]]) -> list[str]:
    """`with:` keys each pinned action declares, and its required inputs given.

    actionlint knows the inputs of popular actions only by tag (`@v4`), so it cannot check a step
    pinned to a SHA; the inputs recorded from each pinned commit's action.yml stand in.
    """
    problems = []
    for job_id, step in steps(workflow):
        pin = pins.get(action_of(step) or "")
        if pin is None:
            continue
        given = set(step.get("with") or {})
        for unknown in sorted(given - set(pin["inputs"])):
            problems.append(f"job {job_id}: {action_of(step)} has no input {unknown!r}")
        for absent in sorted(set(pin["required"]) - given):
            problems.append(f"job {job_id}: {action_of(step)} needs input {absent!r}")
    return problems


# --- Shell -----------------------------------------------------------------------------------


def as_shell(script: str) -> str:
    """A run script as bash would see it, each `${{ }}` replaced by a same-length plain word.

    This is what actionlint does before it hands a script to shellcheck.
    """
    return _EXPR.sub(lambda m: "_" * len(m.group()), script)
