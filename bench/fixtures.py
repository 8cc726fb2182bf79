"""Bench fixtures: camera-like angles and a game's plays, generated once and cached.

An angle has a realistic *frame count* and *bitrate*: a short 1280x720, 60 fps H.264 segment
(moving test pattern plus temporal noise, constant bitrate with filler so x264 cannot go below
it, a closed 2 s GOP with B-frames, AAC audio) concatenated with the concat demuxer and `-c
copy` into one MP4 whose index (moov) is at the end, as camera files have it:

    fixture  length  frames    size      index (moov)
    30min    30 min  108,000   ~1.7 GB   ~2.6 MB
    3h       3 h     648,000   ~10.1 GB  ~19.7 MB
    tiny     12 s    720       ~1.5 MB   (tests of the harness only)

Files live in `.cache/bench/fixtures/` (ignored by git; PLAYCLIPS_BENCH_CACHE moves it) with a
JSON sidecar holding the size, MD5 and CRC32C (for the storage emulator) and the index size.

The plays: one 3 h game of 150 plays of 5-15 s, one in each 72 s slot at a seeded random
offset (real games have a play every ~70 s). The 30-minute game is that game's first 30
minutes (its plays that end by then, ~25), so the same clips can be cut from either fixture.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import struct
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.support.sources import concat_copies

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("PLAYCLIPS_BENCH_CACHE") or ROOT / ".cache" / "bench")
FIXTURES = CACHE / "fixtures"

GAME_S = 3 * 3600
GAME_PLAYS = 150
PLAY_MIN_S, PLAY_MAX_S = 5.0, 15.0
SEED = 7


@dataclass(frozen=True)
class Recipe:
    """How one fixture is made: a segment's encoding and how many copies are concatenated."""

    name: str
    size: str
    fps: int
    segment_s: int
    copies: int
    video_bitrate: str
    gop: int
    noise: int
    plays: int  # plays in the game cut from it
    play_min_s: float = PLAY_MIN_S
    play_max_s: float = PLAY_MAX_S

    @property
    def duration_s(self) -> int:
        return self.segment_s * self.copies

    @property
    def frames(self) -> int:
        return self.fps * self.duration_s


RECIPES = {
    r.name: r
    for r in [
        # 30 min: the plays of the 3 h game that fall in its first 30 minutes.
        Recipe("30min", "1280x720", 60, 20, 90, "7.3M", 120, 12, plays=GAME_PLAYS),
        Recipe("3h", "1280x720", 60, 20, 540, "7.3M", 120, 12, plays=GAME_PLAYS),
        # The 30-minute game at 3 Mb/s: the fetch ratio's second target (bench --fixture).
        Recipe("30min-3M", "1280x720", 60, 20, 90, "3M", 120, 12, plays=GAME_PLAYS),
        # For the harness's own test: seconds to make and to cut.
        Recipe("tiny", "320x180", 60, 4, 3, "1M", 60, 4, plays=4, play_min_s=1.0, play_max_s=2.5),
    ]
}


@dataclass(frozen=True)
class Fixture:
    """A generated angle and what the benchmark needs to know about it."""

    name: str
    path: str
    size: int
    md5: str  # base64, as Cloud Storage reports it
    crc32c: str  # base64 big-endian, as Cloud Storage reports it
    duration_s: float
    frames: int
    moov_bytes: int
    bitrate_bps: float

    @property
    def file(self) -> Path:
        return Path(self.path)


def _ffmpeg() -> str:
    from playclips.media.tools import ffmpeg_exe

    return ffmpeg_exe()


def _segment(recipe: Recipe) -> Path:
    w, h = recipe.size.split("x")
    key = json.dumps(
        [recipe.size, recipe.fps, recipe.segment_s, recipe.video_bitrate, recipe.gop, recipe.noise]
    )
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    path = FIXTURES / f"segment-{w}x{h}-{recipe.fps}fps-{recipe.segment_s}s-{digest}.mp4"
    if path.exists():
        return path
    rate = recipe.video_bitrate
    cmd = [
        _ffmpeg(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={recipe.size}:rate={recipe.fps},noise=alls={recipe.noise}:allf=t",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        str(recipe.segment_s),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-bf",
        "2",
        "-g",
        str(recipe.gop),
        "-keyint_min",
        str(recipe.gop),
        "-sc_threshold",
        "0",
        "-b:v",
        rate,
        "-minrate",
        rate,
        "-maxrate",
        rate,
        "-bufsize",
        "3M",
        "-x264-params",
        "nal-hrd=cbr:force-cfr=1",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-ac",
        "2",
    ]
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    subprocess.run([*cmd, str(tmp)], check=True)
    tmp.replace(path)
    return path


def moov_size(path: Path) -> int:
    """The size of the file's top-level `moov` box (its index), 0 if none."""
    size = path.stat().st_size
    pos = 0
    with open(path, "rb") as f:
        while pos + 8 <= size:
            f.seek(pos)
            head = f.read(16)
            n, kind = struct.unpack(">I4s", head[:8])
            if n == 1:
                n = struct.unpack(">Q", head[8:16])[0]
            elif n == 0:
                n = size - pos
            if kind == b"moov":
                return n
            if n < 8:
                break
            pos += n
    return 0


def _checksums(path: Path) -> tuple[str, str]:
    import google_crc32c

    md5 = hashlib.md5()
    crc = google_crc32c.Checksum()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            md5.update(chunk)
            crc.update(chunk)
    return base64.b64encode(md5.digest()).decode(), base64.b64encode(crc.digest()).decode()


def make_fixture(name: str, log=print) -> Fixture:
    """The fixture `name` (see RECIPES), made once and then read from the cache."""
    recipe = RECIPES[name]
    FIXTURES.mkdir(parents=True, exist_ok=True)
    path = FIXTURES / f"angle-{name}.mp4"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        data = json.loads(meta.read_text())
        if data.get("recipe") == asdict(recipe) and data["fixture"]["size"] == path.stat().st_size:
            return Fixture(**data["fixture"])
    segment = _segment(recipe)
    log(f"making fixture {name}: {recipe.copies} x {segment.name} ...")
    concat_copies(segment, recipe.copies, path)
    md5, crc = _checksums(path)
    size = path.stat().st_size
    fixture = Fixture(
        name=name,
        path=str(path),
        size=size,
        md5=md5,
        crc32c=crc,
        duration_s=float(recipe.duration_s),
        frames=recipe.frames,
        moov_bytes=moov_size(path),
        bitrate_bps=size * 8 / recipe.duration_s,
    )
    meta.write_text(json.dumps({"recipe": asdict(recipe), "fixture": asdict(fixture)}, indent=2))
    log(
        f"fixture {name}: {size / 1e9:.2f} GB, {fixture.frames} frames, "
        f"index {fixture.moov_bytes / 1e6:.1f} MB"
    )
    return fixture


def game_plays(name: str) -> list[dict]:
    """The plays cut from fixture `name`: rows for a playclips plays file (game `bench`)."""
    recipe = RECIPES[name]
    rng = random.Random(SEED)
    if name == "tiny":
        game_s, count = recipe.duration_s, recipe.plays
    else:
        game_s, count = GAME_S, GAME_PLAYS
    slot = game_s / count
    rows = []
    for i in range(count):
        length = round(rng.uniform(recipe.play_min_s, recipe.play_max_s), 3)
        start = round(i * slot + rng.uniform(0.5, max(0.5, slot - length - 0.5)), 3)
        rows.append(
            {
                "game_id": "bench",
                "play_id": f"p{i:03d}",
                "start_s": start,
                "end_s": round(start + length, 3),
                "label": "play",
            }
        )
    return [r for r in rows if r["end_s"] <= recipe.duration_s - 0.5]


def main() -> None:
    for name in sys.argv[1:] or ["30min"]:
        fixture = make_fixture(name)
        print(json.dumps(asdict(fixture), indent=2))
        print(f"{len(game_plays(name))} plays")


if __name__ == "__main__":
    main()
