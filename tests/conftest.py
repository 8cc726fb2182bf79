"""Shared fixtures: generated sources, a local job, helpers to read outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playclips.clipping.game import Job
from playclips.plays import LocalPlaysFile
from playclips.storage import LocalStorage


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "videos").mkdir()
    (tmp_path / "out").mkdir()
    return tmp_path


def write_plays(path: Path, plays: list[dict], videos: list[dict] | None = None) -> Path:
    """Write a JSON plays file (with optional per-angle video rows)."""
    path.write_text(json.dumps({"plays": plays, "videos": videos or []}))
    return path


def local_job(root: Path, plays_file: Path, angles: tuple[str, ...], run_id: str = "r1") -> Job:
    return Job(
        plays=LocalPlaysFile(str(plays_file)),
        videos=LocalStorage(str(root / "videos")),
        out=LocalStorage(str(root / "out")),
        run_id=run_id,
        angles=angles,
    )


def read_manifest(out: Path, game_id: str) -> list[dict]:
    text = (out / "manifests" / game_id / "clips.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def read_report(out: Path, run_id: str, game_id: str) -> dict:
    return json.loads((out / "reports" / run_id / f"{game_id}.json").read_text())
