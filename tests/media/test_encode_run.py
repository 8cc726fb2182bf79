"""Encode runs end to end: failures stay per clip, the contact sheet and index page are right."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageStat

from playclips.cli import main
from playclips.clipping import angle
from playclips.clipping.game import run_game
from playclips.clipping.job import Job
from playclips.media.encode import EncodeOptions, last_error_line
from playclips.outputs.sheet import TILE, fit_to_tile, sheet_size

from ..conftest import local_job, read_manifest, read_report, write_plays
from ..support.sources import install_game, make_source
from .frames import first_frame, nearest_index, psnr, source_frames

ANGLES = ("FAR_LEFT", "NEAR_LEFT")


def _game(workdir: Path, n: int = 3) -> Path:
    install_game(workdir / "videos", "g1", make_source("bframes"), list(ANGLES))
    rows = [
        {"game_id": "g1", "play_id": f"p{i}", "start_s": 1.1 + 3 * i, "end_s": 2.3 + 3 * i}
        | {"label": "run" if i % 2 else "pass"}
        for i in range(n)
    ]
    return write_plays(workdir / "plays.json", rows)


def _encode(job: Job, **options: object) -> Job:
    job.mode = "encode"
    job.encode = EncodeOptions(height=120, **options)  # type: ignore[arg-type]
    job.encodes_in_flight = 2
    return job


def _tiles(out: Path) -> tuple[Image.Image, dict]:
    folder = out / "manifests" / "g1"
    layout = json.loads((folder / "contact_sheet.json").read_text())
    return Image.open(folder / "contact_sheet.png").convert("RGB"), layout


def _tile(sheet: Image.Image, box: list[int]) -> Image.Image:
    x, y, w, h = box
    return sheet.crop((x, y, x + w, y + h))


def test_corrupt_clip_bytes_fail_that_clip_with_ffmpegs_reason(workdir, monkeypatch) -> None:
    plays = _game(workdir)
    real = angle.encode_cut

    def damaged(cut, *args, **kwargs):
        if cut.spec.play.play_id == "p1" and cut.spec.angle == "FAR_LEFT":
            cut = dataclasses.replace(cut, data=cut.data[: len(cut.data) * 2 // 3])
        return real(cut, *args, **kwargs)

    monkeypatch.setattr(angle, "encode_cut", damaged)
    report = run_game("g1", _encode(local_job(workdir, plays, ANGLES)))

    assert report.status == "partial"
    assert [(f.play_id, f.angle) for f in report.failed] == [("p1", "FAR_LEFT")]
    reason = report.failed[0].reason
    assert "ffmpeg failed: " in reason and "\n" not in reason, reason
    assert "Conversion failed" not in reason
    made = {(r["play_id"], r["angle"]) for r in read_manifest(workdir / "out", "g1")}
    assert made == {(f"p{i}", a) for i in range(3) for a in ANGLES} - {("p1", "FAR_LEFT")}
    assert not (workdir / "out" / "clips" / "g1" / "FAR_LEFT" / "p1.mp4").exists()
    _, layout = _tiles(workdir / "out")
    assert len(layout["tiles"]) == 5


def test_a_bad_encoder_option_fails_each_clip_with_the_encoders_reason(workdir) -> None:
    plays = _game(workdir, n=1)
    report = run_game("g1", _encode(local_job(workdir, plays, ANGLES), preset="bogus"))
    assert report.status == "failed"
    assert len(report.failed) == 2
    for failure in report.failed:
        assert "ffmpeg failed: libx264: Error setting preset/tune bogus" in failure.reason
    assert read_report(workdir / "out", "r1", "g1")["counts"]["clips_failed"] == 2


def test_last_error_line_skips_ffmpegs_generic_closing_lines() -> None:
    stderr = (
        "x264 [error]: invalid preset 'bogus'\n"
        "[libx264 @ 0x5639094] Error setting preset/tune bogus/(null).\n"
        "Error initializing output stream 0:0 -- Error while opening encoder\n"
        "Conversion failed!\n"
    )
    assert last_error_line(stderr) == "libx264: Error setting preset/tune bogus/(null)"


@pytest.mark.parametrize("mode", ["copy", "encode"])
def test_contact_sheet_has_one_matching_tile_per_clip(workdir: Path, mode: str) -> None:
    plays = _game(workdir)
    job = local_job(workdir, plays, ANGLES)
    if mode == "encode":
        _encode(job)
    report = run_game("g1", job)
    assert report.status == "ok"
    assert report.contact_sheet.endswith("manifests/g1/contact_sheet.png")
    records = read_manifest(workdir / "out", "g1")
    sheet, layout = _tiles(workdir / "out")

    assert sheet.size == sheet_size(rows=3, columns=len(ANGLES))
    assert sorted((t["play_id"], t["angle"]) for t in layout["tiles"]) == sorted(
        (r["play_id"], r["angle"]) for r in records
    )
    boxes = [tuple(t["box"]) for t in layout["tiles"]]
    assert len(set(boxes)) == len(boxes) and all(b[2:] == TILE for b in boxes)
    src = source_frames(str(make_source("bframes")))
    for tile_info, r in zip(
        sorted(layout["tiles"], key=lambda t: (t["play_id"], t["angle"])),
        sorted(records, key=lambda r: (r["play_id"], r["angle"])),
        strict=True,
    ):
        tile = _tile(sheet, tile_info["box"])
        assert max(ImageStat.Stat(tile).stddev) > 10, f"{tile_info} is blank"
        # The tile is the clip's first play frame (the source frame at the play's start).
        want = fit_to_tile(src[nearest_index(src, r["play_start_s"])][1])
        assert psnr(tile, want) > 20, tile_info
        if mode == "encode":
            assert psnr(tile, fit_to_tile(first_frame(r["uri"]))) > 35

    # A rerun makes nothing, reads no clip for its tiles, and writes the same sheet.
    again = run_game(
        "g1",
        local_job(workdir, plays, ANGLES, run_id="r2")
        if mode == "copy"
        else _encode(local_job(workdir, plays, ANGLES, run_id="r2")),
    )
    assert again.clips_skipped == 6 and again.clips_made == 0
    rerun_sheet, _ = _tiles(workdir / "out")
    assert psnr(rerun_sheet, sheet) == float("inf")


def test_tiles_of_kept_clips_come_from_the_clips_when_the_old_sheet_is_gone(workdir) -> None:
    plays = _game(workdir, n=2)
    run_game("g1", local_job(workdir, plays, ANGLES))
    before, layout = _tiles(workdir / "out")
    (workdir / "out" / "manifests" / "g1" / "contact_sheet.json").unlink()
    (workdir / "out" / "manifests" / "g1" / "contact_sheet.png").unlink()
    run_game("g1", local_job(workdir, plays, ANGLES, run_id="r2"))
    after, _ = _tiles(workdir / "out")
    for t in layout["tiles"]:
        assert psnr(_tile(after, t["box"]), _tile(before, t["box"])) > 40


def _run_args(workdir: Path, plays: Path, run_id: str) -> list[str]:
    return [
        *("run", "g1", "--plays", str(plays), "--videos", str(workdir / "videos")),
        *("--out", str(workdir / "out"), "--angles", "FAR_LEFT", "--run-id", run_id),
        *("--log-format", "text"),
    ]


def test_cli_encode_run_writes_clips_sheet_and_an_index_page(workdir: Path) -> None:
    plays = _game(workdir, n=2)
    out = workdir / "out"
    result = CliRunner().invoke(
        main,
        [*_run_args(workdir, plays, "e1"), "--mode", "encode", "--height", "96", "--fps", "10"],
        env={"PLAYCLIPS_PRESET": "ultrafast", "PLAYCLIPS_CRF": "30"},
    )
    assert result.exit_code == 0, result.output
    records = read_manifest(out, "g1")
    assert {(r["mode"], r["height"], r["fps"]) for r in records} == {("encode", 96, 10.0)}
    page = (out / "reports" / "e1" / "index.html").read_text()
    for key in ("clips/g1/FAR_LEFT/p0.mp4", "manifests/g1/clips.jsonl", "reports/e1/g1.json"):
        assert f'href="../../{key}"' in page
        assert (out / key).is_file()
    assert 'src="../../manifests/g1/contact_sheet.png"' in page
    # Encode options are part of the clip spec: a copy run does not reuse encoded clips.
    copy = CliRunner().invoke(
        main,
        _run_args(workdir, plays, "c1"),
    )
    assert copy.exit_code == 0, copy.output
    assert read_report(out, "c1", "g1")["counts"]["clips_made"] == 2
    assert {r["mode"] for r in read_manifest(out, "g1")} == {"copy"}


def test_an_odd_height_is_a_usage_error(workdir: Path) -> None:
    plays = _game(workdir, n=1)
    result = CliRunner().invoke(main, [*_run_args(workdir, plays, "x"), "--height", "241"])
    assert result.exit_code == 2 and "--height: 241 is odd" in result.output
