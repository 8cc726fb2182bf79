"""A sample game for `playclips demo`: four angles whose every frame shows its angle, the game
clock and the frame number, a plays file with ~30 plays, and per-angle offsets.

Made in-process with Pillow and PyAV's bundled libx264, so the demo needs nothing installed
beyond the Python packages. Angles are made in parallel processes, text is stamped from cached
glyphs and the tone from cached frames: the first `playclips demo` (and `make trigger` on the
demo game) waits for this, so it is kept short.
"""

from __future__ import annotations

import array
import json
import math
import multiprocessing
import os
import random
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

from .model import DEFAULT_ANGLES

DEMO_GAME = "demo-game-1"
DURATION_S = 150
FPS = 30
SIZE = (480, 270)
# angle time = game time + offset: each camera started recording a little before the game clock.
OFFSETS = {"FAR_LEFT": 0.0, "NEAR_LEFT": 0.5, "FAR_RIGHT": 1.0, "NEAR_RIGHT": 2.0}
COLORS = {
    "FAR_LEFT": (24, 70, 140),
    "NEAR_LEFT": (30, 110, 60),
    "FAR_RIGHT": (130, 50, 40),
    "NEAR_RIGHT": (100, 60, 120),
}


def make_sample_game(
    root: Path, progress: Callable[[str], None] = lambda _: None
) -> tuple[Path, Path]:
    """Write videos/{game}/{ANGLE}.mp4 and plays.json below `root`; reuse files already there.

    Returns (plays file, video root).
    """
    videos = root / "videos"
    missing = [a for a in DEFAULT_ANGLES if not (videos / DEMO_GAME / f"{a}.mp4").exists()]
    for angle in missing:
        progress(f"making {videos / DEMO_GAME / f'{angle}.mp4'}")
    workers = min(len(missing), os.cpu_count() or 1)
    if workers > 1:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            list(pool.map(_make_angle, [videos] * len(missing), missing))
    else:
        for angle in missing:
            _make_angle(videos, angle)
    plays = root / "plays.json"
    plays.write_text(json.dumps(_plays(), indent=1) + "\n")
    return plays, videos


def _plays() -> dict[str, list[dict[str, object]]]:
    rng = random.Random(7)
    labels = ["run", "pass", "punt", "kickoff", "field_goal", "sack"]
    rows: list[dict[str, object]] = []
    t = 2.0
    for n in range(1, 31):
        length = round(rng.uniform(2.5, 6.0), 2)
        rows.append(
            {
                "game_id": DEMO_GAME,
                "play_id": f"p{n:03d}",
                "start_s": round(t, 2),
                "end_s": round(t + length, 2),
                "label": rng.choice(labels),
                "description": f"demo play {n}",
                "quarter": 1 + (n - 1) * 4 // 30,
            }
        )
        t += length + rng.uniform(0.5, 1.5)
        if t + 6.0 > DURATION_S - max(OFFSETS.values()):
            break
    videos = [
        {"game_id": DEMO_GAME, "angle": a, "uri": f"{DEMO_GAME}/{a}.mp4", "offset_s": o}
        for a, o in OFFSETS.items()
    ]
    return {"plays": rows, "videos": videos}


def _make_angle(videos: Path, angle: str) -> None:
    path = videos / DEMO_GAME / f"{angle}.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.mp4")
    _write_angle(tmp, angle, OFFSETS[angle])
    tmp.replace(path)


class _Stamp:
    """Draws text by pasting cached glyph masks: FreeType rendering of every frame's text was
    most of the time it took to make an angle."""

    def __init__(self, font: ImageFont.FreeTypeFont, fill: tuple[int, int, int]) -> None:
        self._font, self._fill = font, fill
        self._height = font.getbbox("Ag0")[3] + 2
        self._glyphs: dict[str, tuple[Image.Image | None, float]] = {}

    def draw(self, image: Image.Image, xy: tuple[int, int], text: str) -> None:
        x, y = float(xy[0]), xy[1]
        for ch in text:
            if ch not in self._glyphs:
                self._glyphs[ch] = self._render(ch)
            mask, advance = self._glyphs[ch]
            if mask is not None:
                left = round(x)
                image.paste(self._fill, (left, y, left + mask.width, y + mask.height), mask)
            x += advance

    def _render(self, ch: str) -> tuple[Image.Image | None, float]:
        advance = self._font.getlength(ch)
        if not ch.strip():
            return None, advance
        mask = Image.new("L", (math.ceil(advance) + 4, self._height))
        ImageDraw.Draw(mask).text((0, 0), ch, font=self._font, fill=255)
        return mask, advance


def _write_angle(path: Path, angle: str, offset_s: float) -> None:
    font = ImageFont.load_default(size=30)
    clock = _Stamp(font, (255, 255, 0))
    counter = _Stamp(ImageFont.load_default(size=18), (220, 220, 220))
    with av.open(str(path), mode="w") as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast", "g": "60"})
        video.width, video.height, video.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        background = Image.new("RGB", SIZE, COLORS[angle])
        ImageDraw.Draw(background).text((16, 12), angle, font=font, fill=(255, 255, 255))
        samples = 1024
        next_audio = 0
        for i in range(DURATION_S * FPS):
            image = background.copy()
            game_t = i / FPS - offset_s
            clock.draw(image, (16, 120), f"game {game_t:8.3f} s")
            counter.draw(image, (16, 230), f"file frame {i}")
            frame = av.VideoFrame.from_image(image)
            frame.pts = i
            frame.time_base = Fraction(1, FPS)
            out.mux(video.encode(frame))
            while next_audio * samples < (i + 1) * 48000 // FPS:
                out.mux(audio.encode(_tone(next_audio, samples)))
                next_audio += 1
        out.mux(video.encode(None))
        out.mux(audio.encode(None))


_TONE_PERIOD = 48000 // math.gcd(440, 48000)  # samples after which the 440 Hz wave repeats
_tone_cache: dict[tuple[int, int], bytes] = {}


def _tone(index: int, samples: int) -> av.AudioFrame:
    """A quiet 440 Hz tone, so clips carry an audio track like real footage."""
    phase = index * samples % _TONE_PERIOD
    wave = _tone_cache.get((phase, samples))
    if wave is None:
        wave = _tone_cache[(phase, samples)] = array.array(
            "f",
            (0.2 * math.sin(2 * math.pi * 440 * (phase + n) / 48000) for n in range(samples)),
        ).tobytes()
    frame = av.AudioFrame(format="flt", layout="mono", samples=samples)
    frame.planes[0].update(wave)
    frame.sample_rate = 48000
    frame.pts = index * samples
    return frame
