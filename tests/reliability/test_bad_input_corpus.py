"""The bad-input corpus (bad_inputs.yaml): every case gets one clear line, the right exit code,
and leaves the other game and the other angle exactly as a clean run makes them."""

from __future__ import annotations

import functools
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from playclips.cli import main

from ..support.oracle import frames
from ..support.sources import make_source
from .badmedia import bad_video
from .conftest import tree_bytes, write_plays

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "bad_inputs.yaml").read_text(encoding="utf-8")
)
ANGLES = "FAR_LEFT,NEAR_LEFT"
RUN_ID = "c"
LONG = "x" * 1024
# (play_id, start_s, end_s) of both games
PLAYS = (("p1", 2.0, 4.0), ("p2", 6.0, 9.5), ("p3", 12.0, 13.0), ("p4", 16.0, 18.0))
# Settings from the environment that would change what a case runs.
NEUTRAL_ENV: dict[str, str | None] = {
    k: None
    for k in os.environ
    if k.startswith(("PLAYCLIPS_", "CLOUD_RUN_", "SUPABASE_", "STORAGE_EMULATOR_HOST"))
}


def _long(value: Any) -> Any:
    return LONG if value == "LONG1K" else value


def _rows(game: str) -> list[dict[str, Any]]:
    return [
        {"game_id": game, "play_id": p, "start_s": s, "end_s": e, "label": "run"}
        for p, s, e in PLAYS
    ]


def _setup(root: Path, case: dict[str, Any]) -> None:
    source = make_source("bframes")
    for game in ("g1", "good"):
        folder = root / "videos" / game
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "FAR_LEFT.mp4").symlink_to(source)
        if game == "good":
            (folder / "NEAR_LEFT.mp4").symlink_to(source)
    video = case.get("video", {})
    content = video.get("content", "good")
    near = root / "videos" / "g1" / f"NEAR_LEFT.{video.get('ext', 'mp4')}"
    if content == "good":
        near.symlink_to(source)
    elif content == "twice":
        near.symlink_to(source)
        near.with_suffix(".mov").symlink_to(source)
    elif content != "missing":
        data = bad_video(content)
        near.write_bytes(data if isinstance(data, bytes) else data.read_bytes())
    plays = _rows("g1") + _rows("good")
    extra = [{k: _long(v) for k, v in row.items()} for row in case.get("extra_plays", [])]
    if "plays_csv" in case:
        (root / "plays.json").write_text(case["plays_csv"])  # the name does not decide: .csv
        (root / "plays.json").rename(root / "plays.csv")
    else:
        write_plays(root / "plays.json", plays + extra, case.get("video_rows"))


def _invoke(root: Path, case: dict[str, Any]) -> Any:
    plays = root / ("plays.csv" if "plays_csv" in case else "plays.json")
    games = [_long(g) for g in case.get("games", ["g1", "good"])]
    args = ["--plays", str(plays), "--videos", str(root / "videos"), "--out", str(root / "out")]
    extra = list(case.get("args", []))
    for flag in ("--plays", "--videos", "--out"):
        if flag in extra:  # the case's value replaces the default
            i = args.index(flag)
            del args[i : i + 2]
    env = {**NEUTRAL_ENV, **case.get("env", {})}
    argv = ["run", *games, *args, "--angles", ANGLES, "--run-id", RUN_ID, "--log-format", "text"]
    return CliRunner().invoke(main, [*argv, *extra], env=env, catch_exceptions=True)


@functools.cache
def _clean(tmp: str) -> Path:
    """A clean run of both games (made once per session)."""
    root = Path(tmp)
    _setup(root, {})
    result = _invoke(root, {})
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _clean(str(tmp_path_factory.mktemp("clean")))


def _manifest(root: Path, game: str) -> list[dict[str, Any]]:
    path = root / "out" / "manifests" / game / "clips.jsonl"
    text = path.read_text().replace(str(root / "out"), "OUT")
    return [json.loads(line) for line in text.splitlines()]


def _report(root: Path, game: str) -> dict[str, Any] | None:
    path = root / "out" / "reports" / RUN_ID / f"{game}.json"
    return json.loads(path.read_text()) if path.exists() else None


def test_the_corpus_is_big_and_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 25 and len(set(ids)) == len(ids)
    kinds = {i.split("-")[0] for i in ids}
    assert kinds == {"video", "plays", "id", "config"}
    for case in CASES:
        assert {"exit", "message", "g1"} <= set(case["expect"]), case["id"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(case: dict[str, Any], tmp_path: Path, clean: Path) -> None:
    expect = case["expect"]
    _setup(tmp_path, case)
    result = _invoke(tmp_path, case)
    output = result.output
    out = tmp_path / "out"

    # no crash, the right exit code
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), f"{case['id']}: crashed: {result.exception!r}\n{output}"
    assert "Traceback" not in output
    assert result.exit_code == expect["exit"], output

    # one clear line (or the stated number: one per angle, per game)
    said = [
        line for line in output.splitlines() if line.startswith(("error:", "warning:", "Error:"))
    ]
    for line in said:
        assert len(line) <= 400, f"{case['id']}: an over-long line: {line[:120]}..."
    if expect["message"] is None:
        assert not [line for line in said if line.startswith(("error:", "Error:"))], output
    else:
        # the summary lines at the end (the log lines above them say it as it happens)
        carrying = [line for line in said if expect["message"] in line]
        assert len(carrying) == expect.get("lines", 1), output
        prefix = expect.get("prefix", "error:")
        assert all(line.startswith(prefix) for line in carrying), output

    # the game's report
    g1 = _report(tmp_path, "g1")
    if expect["g1"] is None:
        assert g1 is None
    else:
        assert g1 is not None and g1["status"] == expect["g1"], g1
    if expect["exit"] == 2:  # refused before any game started: nothing written
        assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]

    # the other game is untouched by g1's problem
    if expect.get("good_ok", True):
        good = _report(tmp_path, "good")
        assert good is not None and good["status"] == "ok", good
        assert _manifest(tmp_path, "good") == _manifest(clean, "good")
        assert tree_bytes(out, "clips/good") == tree_bytes(clean / "out", "clips/good")

    # so is g1's other angle
    if expect.get("far_left", "video" in case):
        assert [r for r in _manifest(tmp_path, "g1") if r["angle"] == "FAR_LEFT"] == [
            r for r in _manifest(clean, "g1") if r["angle"] == "FAR_LEFT"
        ]
        assert tree_bytes(out, "clips/g1/FAR_LEFT") == tree_bytes(
            clean / "out", "clips/g1/FAR_LEFT"
        )

    # and whatever NEAR_LEFT clips were made from an unusual file are right, frame for frame
    unusual = case.get("video", {}).get("content", "good") not in ("good", "twice", "missing")
    if unusual and (out / "manifests" / "g1" / "clips.jsonl").exists():
        source = next((tmp_path / "videos" / "g1").glob("NEAR_LEFT.*"))
        for record in _manifest(tmp_path, "g1"):
            if record["angle"] == "NEAR_LEFT":
                _check_by_frame_index(source, Path(record["uri"].replace("OUT", str(out))), record)


def _check_by_frame_index(source: Path, clip: Path, record: dict[str, Any]) -> None:
    """The clip is the source's frames [clip_start, clip_end) counted from its first frame.

    Like oracle.check_copy_clip, but by frame index at the constant rate: the ffmpeg CLI puts
    the first frame of a Matroska file with B-frames one frame after 0, playclips at 0.
    """
    fps = record["fps"]
    src = [f.md5 for f in frames(str(source))]
    got = [f.md5 for f in frames(str(clip))]
    first = round(record["clip_start_s"] * fps)
    assert got == src[first : first + len(got)], f"{clip} is not source frames {first}..."
    assert len(got) == record["frames"] == round(record["clip_end_s"] * fps) - first
    play = [
        round(record["play_start_offset_s"] * fps),
        round(record["play_end_offset_s"] * fps),
    ]
    want = [round(record["play_start_s"] * fps), round(min(record["play_end_s"], 20.0) * fps)]
    assert [first + play[0], first + play[1]] == want, record


def test_no_case_leaves_temporary_files(tmp_path: Path) -> None:
    case = next(c for c in CASES if c["id"] == "video-truncated-after-index")
    _setup(tmp_path, case)
    _invoke(tmp_path, case)
    assert not [p for p in (tmp_path / "out").rglob(".playclips-tmp-*")]
    shutil.rmtree(tmp_path / "out")
