"""The contact sheet: paged, marks clips that miss part of their play, bounded time and memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from playclips.media.tools import ffmpeg_exe
from playclips.outputs.sheet import (
    PLAYS_PER_PAGE,
    TILE,
    WARN,
    Tiles,
    fit_text,
    layout_key,
    sheet_key,
    sheet_size,
    write_contact_sheet,
)
from playclips.storage import LocalStorage

ANGLES = ("NEAR_LEFT", "FAR_LEFT")


def records(plays: int, label: str = "run") -> list[dict]:
    out = []
    for i in range(plays):
        for angle in ANGLES:
            out.append(
                {
                    "game_id": "g1",
                    "play_id": f"p{i:03d}",
                    "angle": angle,
                    "label": label,
                    "play_start_s": 10.0 * i,
                    "play_end_s": 10.0 * i + 5,
                    "play_start_offset_s": 0.5,
                    "play_end_offset_s": 5.5,
                    "duration_s": 5.5,
                }
            )
    return out


def colour(i: int) -> tuple[int, int, int]:
    return (i * 37 % 256, i * 91 % 256, 200 if i % 2 else 60)


def tiles_for(recs: list[dict]) -> Tiles:
    tiles = Tiles()
    for i, r in enumerate(recs):
        key = f"clips/g1/{r['angle']}/{r['play_id']}.mp4"
        tiles.add(key, f"spec-{i}", Image.new("RGB", TILE, colour(i)))
    return tiles


def load(out: Path) -> tuple[dict, list[Image.Image]]:
    layout = json.loads((out / layout_key("g1")).read_text())
    return layout, [Image.open(out / key).convert("RGB") for key in layout["pages"]]


def test_sheet_is_paged_with_each_tile_on_its_page(tmp_path: Path) -> None:
    recs = records(60)
    uri = write_contact_sheet(LocalStorage(str(tmp_path)), "g1", ANGLES, recs, tiles_for(recs))
    assert uri.endswith(sheet_key("g1"))
    layout, pages = load(tmp_path)
    assert layout["pages"] == [sheet_key("g1", n) for n in (1, 2, 3)]
    assert [p.size for p in pages] == [
        sheet_size(PLAYS_PER_PAGE, 2),
        sheet_size(PLAYS_PER_PAGE, 2),
        sheet_size(10, 2),
    ]
    assert pages[0].height < 4000  # 150 plays made one 21,658-px image before paging
    for i, tile in enumerate(layout["tiles"]):
        r = recs[i]
        assert (tile["play_id"], tile["angle"]) == (r["play_id"], r["angle"])
        assert tile["page"] == int(r["play_id"][1:]) // PLAYS_PER_PAGE + 1
        x, y, _, _ = tile["box"]
        assert pages[tile["page"] - 1].getpixel((x + 20, y + 20)) == colour(i)


def test_a_rerun_takes_kept_tiles_from_the_right_page(tmp_path: Path) -> None:
    recs = records(30)
    out = LocalStorage(str(tmp_path))
    write_contact_sheet(out, "g1", ANGLES, recs, tiles_for(recs))
    _, before = load(tmp_path)
    kept = Tiles()  # a rerun made nothing: it knows each clip's version, not its image
    for i, r in enumerate(recs):
        kept.add(f"clips/g1/{r['angle']}/{r['play_id']}.mp4", f"spec-{i}", None)
    write_contact_sheet(out, "g1", ANGLES, recs, kept)
    layout, after = load(tmp_path)
    assert all(t["shown"] for t in layout["tiles"])
    assert len(after) == 2
    assert [a.tobytes() == b.tobytes() for a, b in zip(before, after, strict=True)] == [True, True]


def test_a_clip_that_misses_part_of_its_play_is_marked(tmp_path: Path) -> None:
    recs = records(3)
    recs[2]["note"] = "the play ends at 40.0 s, after the video's last frame at 37.2 s"
    recs[5]["play_end_offset_s"] = 7.0  # ends after the clip's 5.5 s
    write_contact_sheet(LocalStorage(str(tmp_path)), "g1", ANGLES, recs, tiles_for(recs))
    layout, (page,) = load(tmp_path)
    marked = [t["covers_play"] for t in layout["tiles"]]
    assert marked == [True, True, False, True, True, False]
    for tile in layout["tiles"]:
        x, y, _, _ = tile["box"]
        edge = page.getpixel((x + 1, y + 1))
        assert (edge == WARN) is (not tile["covers_play"]), tile


def test_a_5000_character_label_is_fitted_in_milliseconds(tmp_path: Path) -> None:
    from PIL import ImageDraw, ImageFont

    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    font = ImageFont.load_default(size=12)
    label = "very long label " * 320
    started = time.perf_counter()
    fitted = fit_text(draw, label, font, TILE[0])
    assert time.perf_counter() - started < 1  # about 10 measurements; was 28 s
    assert fitted.endswith("…") and draw.textlength(fitted, font=font) <= TILE[0]
    assert draw.textlength(label[: len(fitted)] + "…", font=font) > TILE[0]  # the longest fit
    # A whole sheet of such labels, in a fresh interpreter: time and peak RSS.
    proc = subprocess.run(
        [sys.executable, "-c", _LONG_LABELS, str(tmp_path)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(proc.stdout)
    print(f"sheet of 20 tiles with 5,000-character labels: {result}")
    assert result["seconds"] < 5  # 28 s for one label before, trimming a character at a time
    assert result["rss_kib"] // 1024 < 200


_LONG_LABELS = """
import json, resource, sys, time
def peak_kib():
    # VmHWM: this process's own peak (ru_maxrss also counts the parent's, kept over fork+exec)
    with open('/proc/self/status') as f:
        return int(next(x for x in f if x.startswith('VmHWM')).split()[1])
from tests.outputs.test_sheet import ANGLES, records, tiles_for
from playclips.outputs.sheet import write_contact_sheet
from playclips.storage import LocalStorage
recs = records(10, label="very long label " * 320)
started = time.perf_counter()
write_contact_sheet(LocalStorage(sys.argv[1]), "g1", ANGLES, recs, tiles_for(recs))
print(json.dumps({"seconds": round(time.perf_counter() - started, 3),
                  "rss_kib": peak_kib()}))
"""


# One thumbnail in a fresh interpreter; prints the outcome and the peak RSS (KiB).
_THUMB = """
import json, resource, sys
def peak_kib():
    # VmHWM: this process's own peak (ru_maxrss also counts the parent's, kept over fork+exec)
    with open('/proc/self/status') as f:
        return int(next(x for x in f if x.startswith('VmHWM')).split()[1])
from playclips.outputs.sheet import thumbnail
try:
    tile = thumbnail(open(sys.argv[1], "rb").read(), 0.0)
    outcome = "%dx%d" % tile.size
except ValueError as exc:
    outcome = "error: %s" % exc
print(json.dumps({"outcome": outcome,
                  "rss_kib": peak_kib()}))
"""


def _frame_clip(tmp_path: Path, size: str) -> Path:
    path = tmp_path / f"frame-{size}.mp4"
    subprocess.run(
        [
            ffmpeg_exe(),
            *("-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=1"),
            *("-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
            str(path),
        ],
        check=True,
        timeout=120,
    )
    return path


def _thumbnail_in_subprocess(clip: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _THUMB, str(clip)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "MALLOC_ARENA_MAX": "2"},
    )
    return json.loads(proc.stdout)


@pytest.mark.parametrize(
    ("size", "outcome", "max_mib"),
    [
        ("8192x8192", "error: frames of 8192x8192 are over", 200),
        ("3840x2160", "192x108", 300),
    ],
)
def test_thumbnail_memory_is_bounded_by_frame_size_limit(
    tmp_path: Path, size: str, outcome: str, max_mib: int
) -> None:
    result = _thumbnail_in_subprocess(_frame_clip(tmp_path, size))
    rss_mib = result["rss_kib"] // 1024
    print(f"thumbnail of a {size} frame: {result['outcome']}; peak RSS {rss_mib} MiB")
    assert result["outcome"].startswith(outcome), result
    assert rss_mib < max_mib, result
