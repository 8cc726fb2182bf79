"""Reliability suite: the `soak` marker, and helpers shared by its modules.

Soak variants run many more seeds, faults and kills; they are deselected unless `-m soak` (or any
-m expression naming soak) is given: `.venv/bin/python -m pytest tests/reliability -m soak`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "soak: long reliability variants (many seeds); run with -m soak"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "soak" in (config.getoption("markexpr", "") or ""):
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("soak") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without playclips/Cloud Run/Supabase/GCS settings, plus `extra`."""
    prefixes = ("PLAYCLIPS_", "CLOUD_RUN_", "SUPABASE_", "STORAGE_EMULATOR_HOST", "GOOGLE_")
    proxies = ("http_proxy", "https_proxy", "all_proxy")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(prefixes) and k.lower() not in proxies
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def cli(*args: str) -> list[str]:
    """argv for `python -m playclips.cli ...` in this interpreter."""
    return [sys.executable, "-m", "playclips.cli", *args]


def run_cli(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), env=env, capture_output=True, text=True, timeout=timeout)


def plays_rows(game: str, count: int, length: float = 0.6, step: float = 0.9) -> list[dict]:
    """`count` plays of `length` s every `step` s from 0.5 s (wrapping within 19 s)."""
    rows = []
    for i in range(count):
        start = 0.5 + (i * step) % 18.0
        rows.append(
            {
                "game_id": game,
                "play_id": f"p{i:03d}",
                "start_s": round(start, 3),
                "end_s": round(start + length, 3),
                "label": "run" if i % 2 else "pass",
            }
        )
    return rows


def write_plays(path: Path, plays: list[dict], videos: list[dict] | None = None) -> Path:
    path.write_text(json.dumps({"plays": plays, "videos": videos or []}))
    return path


def tree_bytes(root: Path, sub: str) -> dict[str, bytes]:
    """Every visible file below root/sub (no temporary or metadata files), by relative path."""
    base = root / sub
    if not base.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(base.rglob("*"))
        if p.is_file() and not p.name.startswith(".playclips-tmp-")
    }


def report_core(report: dict) -> dict:
    """What a game's report must agree on between a clean run and an interrupted+rerun one."""
    counts = report["counts"]
    return {
        "game_id": report["game_id"],
        "status": report["status"],
        "error": report["error"],
        "plays": report["plays"],
        "clips_planned": counts["clips_planned"],
        "clips_done": counts["clips_made"] + counts["clips_skipped_existing"],
        "clips_failed": counts["clips_failed"],
        "rejected": report["rejected"],
        "warnings": report["warnings"],
        "failed": report["failed"],
        "manifest": report["manifest"],
        "angles": sorted((a["angle"], a["status"], a["error"]) for a in report["angles"]),
    }


# --- Cloud Storage: one fake-gcs-server for the folder, clients pointed at it or at a proxy
@pytest.fixture(scope="package")
def fake_gcs():
    from ..support.fake_gcs import start_fake_gcs

    server = start_fake_gcs()
    try:
        yield server
    finally:
        server.stop()


def fast_retry():
    """The client's own retry policy (same predicate) with short waits, for tests."""
    from google.cloud.storage.retry import DEFAULT_RETRY

    return DEFAULT_RETRY.with_delay(initial=0.02, maximum=0.2, multiplier=2).with_timeout(60)


def gcs_root(endpoint: str, uri: str, retry=None):
    """A GcsStorage for `uri` whose client talks to `endpoint` (the server, or a proxy)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from playclips.storage.gcs import GcsStorage

    client = storage.Client(
        project="playclips-test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": endpoint},
    )
    return GcsStorage.from_uri(uri, client=client, retry=retry or fast_retry())


def gcs_tree(root, prefix: str) -> dict[str, bytes]:
    """Every object below `prefix` of a storage root, with its bytes."""
    result = {}
    for key in sorted(root.list(prefix)):
        with root.open_read(key) as f:
            result[key] = f.read()
    return result
