"""checkov finds nothing wrong in terraform/, and every skip says why."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from tf_harness import BUILD_HINT, CHECKOV, ROOT, TERRAFORM_DIR

SKIP_COMMENT = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(.*)$", re.MULTILINE)


def test_checkov_reports_no_failed_checks():
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV.relative_to(ROOT)} is missing: {BUILD_HINT}")
    command = [str(CHECKOV), "-d", str(TERRAFORM_DIR), "--framework", "terraform"]
    # --skip-download: no Prisma Cloud calls (there is no network here, and none is needed).
    command += ["--skip-download", "--quiet", "--compact", "--output", "json"]
    result = subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env={"BC_SKIP_MAPPING": "TRUE", "PATH": "/usr/bin:/bin", "HOME": str(ROOT / ".cache")},
    )
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for c in report["results"]["failed_checks"]
    ]
    assert summary["failed"] == 0, "\n".join(failed)
    assert summary["passed"] > 0, "checkov scanned nothing"


def test_every_checkov_skip_gives_a_reason():
    skips = [
        (path.relative_to(ROOT), match.group(1), match.group(2))
        for path in TERRAFORM_DIR.rglob("*.tf")
        for match in SKIP_COMMENT.finditer(path.read_text())
    ]
    assert skips, "expected the documented skips in the storage and github_ci modules"
    unexplained = [f"{p}: {check}" for p, check, rest in skips if len(rest.lstrip(": ")) < 15]
    assert not unexplained, f"skips without a reason: {unexplained}"
