"""Encode-mode clips start on the play's first frame, at the requested size and rate, in sync."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image

from playclips.clipping.game import Job, run_game
from playclips.media.encode import EncodeOptions

from ..conftest import local_job, read_manifest, write_plays
from ..support.sources import SOURCES, make_source
from .frames import first_frame, first_times, nearest_index, psnr, source_frames

ANGLE = "NEAR_RIGHT"
OFFSET = 1.25  # the angle's file time = play time + OFFSET
AAC_FRAME_S = 1024 / 48000
# fps per source: the source's own rate (None) or a conversion.
CASES = {"bframes": None, "open_gop": None, "ntsc": 15.0, "long_gop": 24.0, "vfr": 15.0}


def encode_job(root: Path, plays: Path, height: int, fps: float | None, **kw: object) -> Job:
    job = local_job(root, plays, (ANGLE,))
    job.mode = "encode"
    job.encode = EncodeOptions(height=height, fps=fps, **kw)  # type: ignore[arg-type]
    job.encodes_in_flight = 2
    return job


def plays_for(game: str, d: float) -> list[dict]:
    rows = [
        ("at_zero", 0.0, 1.5),
        ("mid", 7.3, 9.1),  # spans the VFR source's switch to 10 fps at 8 s
        ("sub_gop", 11.05, 11.25),
        ("across_end", d - OFFSET - 1.5, d + 3.0),
    ]
    return [
        {"game_id": game, "play_id": p, "start_s": s, "end_s": e, "label": "run"}
        for p, s, e in rows
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_encoded_clip_starts_on_the_play_frame(name: str, workdir: Path) -> None:
    source = make_source(name)
    fps, height = CASES[name], 120
    game = f"g_{name}"
    (workdir / "videos" / game).mkdir()
    (workdir / "videos" / game / f"{ANGLE}{source.suffix}").symlink_to(source)
    videos = [{"game_id": game, "angle": ANGLE, "uri": f"{game}/{ANGLE}{source.suffix}"}]
    videos[0]["offset_s"] = OFFSET
    plays = plays_for(game, SOURCES[name].duration_s)
    plays_file = write_plays(workdir / "plays.json", plays, videos)

    report = run_game(game, encode_job(workdir, plays_file, height, fps))

    assert report.status == "ok", report.to_dict()
    records = read_manifest(workdir / "out", game)
    assert {r["play_id"] for r in records} == {p["play_id"] for p in plays}
    src = source_frames(str(source))
    with av.open(str(source)) as probe:
        source_rate = float(probe.streams.video[0].average_rate)
    for r in records:
        clip = Path(r["uri"])
        start = r["play_start_s"] + OFFSET
        assert r["mode"] == "encode"
        assert r["clip_start_s"] == pytest.approx(start, abs=1e-6)
        assert (r["play_start_offset_s"], r["play_end_offset_s"]) == (0.0, r["duration_s"])
        with av.open(str(clip)) as c:
            v = c.streams.video[0]
            frames, rate = v.frames, float(v.average_rate)
            size = (v.codec_context.width, v.codec_context.height)
        want_rate = fps or source_rate
        assert rate == pytest.approx(want_rate, rel=1e-3), f"{clip}: {rate} fps"
        assert size[1] == height and size[0] % 2 == 0 and size[0] == 160, size
        assert (r["frames"], r["width"], r["height"]) == (frames, *size)
        assert abs(frames - r["duration_s"] * want_rate) <= 1, (r["play_id"], frames)
        # The first frame is the source frame at the play's start, closest of its neighbours.
        got = first_frame(clip)
        i = nearest_index(src, start)
        scores = {
            j: psnr(got, src[j][1].resize(size, Image.Resampling.BICUBIC))
            for j in range(max(0, i - 2), min(len(src), i + 3))
        }
        best = max(scores, key=lambda j: scores[j])
        assert best == i, f"{name} {r['play_id']}: frame {best} not {i} ({scores})"
        assert scores[i] > 20, scores  # 160x120 of a busy test pattern at crf 20
        video_t, audio_t = first_times(clip)
        assert abs(video_t) < 1e-6
        if audio_t is not None:
            assert abs(audio_t - video_t) <= AAC_FRAME_S, (video_t, audio_t)
