"""demo.py: the sample game's plays are valid and fit every angle; an angle file is a real
video that shows its angle; files already made are reused."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

from playclips import demo
from playclips.model import DEFAULT_ANGLES
from playclips.plays import LocalPlaysFile


def test_the_plays_file_is_valid_and_every_play_fits_every_angle(tmp_path: Path) -> None:
    path = tmp_path / "plays.json"
    path.write_text(json.dumps(demo._plays()))
    game = LocalPlaysFile(str(path)).load_game(demo.DEMO_GAME)
    assert game.issues == ()
    assert len(game.plays) >= 20 and len({p.play_id for p in game.plays}) == len(game.plays)
    assert list(game.videos) == list(DEFAULT_ANGLES)
    for play in game.plays:
        assert 0 < play.start_s < play.end_s and play.label
        for video in game.videos.values():
            assert video.offset_s == demo.OFFSETS[video.angle]
            assert video.file_time(play.end_s) < demo.DURATION_S


def test_an_angle_is_a_video_with_audio_at_the_stated_size_and_rate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "DURATION_S", 1)  # the real one is 150 s
    path = tmp_path / "NEAR_LEFT.mp4"
    demo._write_angle(path, "NEAR_LEFT", demo.OFFSETS["NEAR_LEFT"])
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", *demo.SIZE)
        assert (video.average_rate, audio.sample_rate) == (demo.FPS, 48000)
        frames = list(container.decode(video=0))
    assert len(frames) == demo.FPS
    # The angle's colour fills the background (top right, away from the text).
    r, g, b = frames[0].to_image().getpixel((demo.SIZE[0] - 10, 10))
    expected = demo.COLORS["NEAR_LEFT"]
    assert all(abs(c - e) < 12 for c, e in zip((r, g, b), expected, strict=True)), (r, g, b)


def test_angles_already_made_are_reused(tmp_path: Path) -> None:
    folder = tmp_path / "videos" / demo.DEMO_GAME
    folder.mkdir(parents=True)
    for angle in DEFAULT_ANGLES:
        (folder / f"{angle}.mp4").write_bytes(b"made before")
    said: list[str] = []
    plays, videos = demo.make_sample_game(tmp_path, said.append)
    assert said == []  # nothing to make
    assert (plays, videos) == (tmp_path / "plays.json", tmp_path / "videos")
    assert json.loads(plays.read_text()) == demo._plays()
    assert all((folder / f"{a}.mp4").read_bytes() == b"made before" for a in DEFAULT_ANGLES)
