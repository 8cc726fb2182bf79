"""`playclips run` with PLAYCLIPS_PLAYS=supabase and a known SUPABASE_SERVICE_KEY: whatever goes
wrong, the key appears nowhere in stdout, stderr (JSON log lines) or any file under --out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SECRET, PostgrestStub, demo_tables, no_proxy_env

# A hang (a paging loop, a server that never answers) fails fast instead of stalling CI.
pytestmark = pytest.mark.timeout(60)

GAME = "g1"
RUN_ID = "secret-check"


def run_job(stub: PostgrestStub, tmp_path: Path) -> tuple[subprocess.CompletedProcess, Path]:
    videos, out = tmp_path / "videos", tmp_path / "out"
    videos.mkdir()
    env = {
        k: v
        for k, v in no_proxy_env().items()
        if not k.startswith(("PLAYCLIPS_", "CLOUD_RUN_", "SUPABASE_"))
    }
    env.update(
        PLAYCLIPS_PLAYS="supabase",
        SUPABASE_URL=stub.url,
        SUPABASE_SERVICE_KEY=SECRET,
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from playclips.cli import main; sys.exit(main())",
            "run",
            GAME,
            "--videos",
            str(videos),
            "--out",
            str(out),
            "--run-id",
            RUN_ID,
            "--log-format",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, out


def assert_no_secret(result: subprocess.CompletedProcess, out: Path) -> list[Path]:
    assert SECRET not in result.stdout
    assert SECRET not in result.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), f"the key leaked into {path}"
    return files


def report(out: Path) -> dict:
    return json.loads((out / "reports" / RUN_ID / f"{GAME}.json").read_text())


def json_lines(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_rejected_key_is_reported_without_the_key(postgrest: PostgrestStub, tmp_path: Path):
    postgrest.tables = demo_tables(GAME)
    # A server that echoes the key back: the job must still never print or store it.
    postgrest.fail("games", 401, {"message": f"Invalid API key: {SECRET}", "hint": SECRET})
    result, out = run_job(postgrest, tmp_path)

    assert result.returncode == 1, result.stderr
    assert postgrest.seen[0].headers["authorization"] == f"Bearer {SECRET}"  # the key was used
    files = assert_no_secret(result, out)
    assert out / "reports" / RUN_ID / f"{GAME}.json" in files
    assert not (out / "clips").exists()
    error = report(out)["error"]
    assert error.startswith(
        f"SUPABASE_SERVICE_KEY was rejected by {postgrest.url} (401): check the secret's value"
    )
    logged = [line["message"] for line in json_lines(result.stderr)]
    assert any("was rejected by" in m for m in logged), result.stderr


def test_missing_videos_are_reported_without_the_key(postgrest: PostgrestStub, tmp_path: Path):
    postgrest.tables = demo_tables(GAME, plays=3)  # video rows point at files that do not exist
    result, out = run_job(postgrest, tmp_path)

    assert result.returncode == 1, result.stderr
    assert [s.table for s in postgrest.seen] == ["games", "game_videos", "plays"]
    files = assert_no_secret(result, out)
    # nothing could be listed: no manifest is written (an earlier one would be kept)
    assert out / "manifests" / GAME / "clips.jsonl" not in files
    data = report(out)
    assert data["status"] == "failed"
    assert data["counts"]["plays"] == 3
    errors = {a["angle"]: a["error"] for a in data["angles"]}
    assert "does not exist" in errors["FAR_LEFT"] and "g1/FL.mp4" in errors["FAR_LEFT"]
    assert all(json_lines(result.stderr)), result.stderr


@pytest.mark.parametrize("table", ["games", "plays"])
def test_missing_table_is_reported_without_the_key(
    postgrest: PostgrestStub, tmp_path: Path, table: str
):
    postgrest.tables = {k: v for k, v in demo_tables(GAME).items() if k != table}
    result, out = run_job(postgrest, tmp_path)

    assert result.returncode == 1, result.stderr
    assert_no_secret(result, out)
    assert report(out)["error"].startswith(f"table public.{table} does not exist at ")
