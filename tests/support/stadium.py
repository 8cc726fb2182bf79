"""Generated games for `playclips sync`: one stadium heard by several cameras.

A stadium is a deterministic function of game time: a crowd bed (noise with slow swells), and
events (noise bursts like drums and claps, referee whistles, horn blasts). Each camera renders
it on its own clock, `file time = offset_s + game time * (1 + drift_ppm / 1e6)`, with its own
gain, its own filtering (a far camera sounds duller), a faint echo and its own independent
noise, and is muxed with a tiny video into an MP4 (AAC audio) by ffmpeg. Files are cached under
.cache/test-sources/ by recipe, like tests/support/sources.py.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from playclips.media.tools import ffmpeg_exe

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "test-sources" / "stadium"
BASE_RATE = 16_000  # the stadium's own sample grid; cameras sample it on their clocks
_CHUNK_S = 30.0
GENERATOR_VERSION = 2  # bump when the sound changes, so cached files are made again


@dataclass(frozen=True)
class Camera:
    """How one angle hears the stadium and records it."""

    angle: str
    offset_s: float = 0.0
    drift_ppm: float = 0.0
    gain: float = 1.0
    lowpass_hz: float = 3500.0
    noise: float = 0.05  # independent noise, RMS relative to the stadium's ~0.1
    sample_rate: int = 8000
    audio: str = "stadium"  # stadium | silent | none (no audio stream) | other (another stadium)


@dataclass(frozen=True)
class Game:
    """A game's stadium and its cameras; every file lasts `duration_s`."""

    game_id: str
    duration_s: float
    cameras: tuple[Camera, ...]
    seed: int = 1
    events_per_s: float = 0.6
    crowd: float = 0.06  # crowd bed RMS
    single_event_at: float | None = None  # only one loud event, no crowd, no other events
    cameras_seed: int = 7
    extra: dict[str, str] = field(default_factory=dict)

    def digest(self) -> str:
        recipe = {"game": asdict(self), "generator": GENERATOR_VERSION}
        return hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


class Stadium:
    """The sound at the field as a function of game time (seconds, any float array)."""

    def __init__(self, game: Game, seed: int | None = None) -> None:
        self.game = game
        self.seed = game.seed if seed is None else seed
        rng = np.random.default_rng([self.seed, 1])
        lo, hi = -120.0, game.duration_s + 120.0
        if game.single_event_at is not None:
            self.events = [(game.single_event_at, 0)]  # a bang: a cannon, a drum hit
        else:
            count = rng.poisson(game.events_per_s * (hi - lo))
            starts = np.sort(rng.uniform(lo, hi, count))
            kinds = rng.integers(0, 3, count)
            self.events = list(zip(starts.tolist(), kinds.tolist(), strict=True))
        self._starts = np.array([s for s, _ in self.events])
        self._swell = rng.uniform(0, 2 * np.pi, 3)
        self._waves: dict[int, np.ndarray] = {}

    def _event(self, i: int) -> np.ndarray:
        if i not in self._waves:
            _, kind = self.events[i]
            rng = np.random.default_rng([self.seed, 2, i])
            if kind == 0:  # a burst: drum hit, clap, band-limited by a random two-pole shape
                n = int(rng.uniform(0.05, 0.4) * BASE_RATE)
                t = np.arange(n) / BASE_RATE
                wave = rng.standard_normal(n) * np.exp(-t / rng.uniform(0.02, 0.15))
                wave = _lowpass(wave, rng.uniform(800, 3500))
                wave *= rng.uniform(0.3, 1.0) / (np.abs(wave).max() + 1e-9)
            elif kind == 1:  # a whistle: a tone with vibrato
                n = int(rng.uniform(0.3, 1.2) * BASE_RATE)
                t = np.arange(n) / BASE_RATE
                f0 = rng.uniform(2000, 3200)
                phase = 2 * np.pi * (f0 * t + 15 * np.sin(2 * np.pi * rng.uniform(4, 8) * t))
                wave = 0.5 * np.sin(phase) * np.minimum(1, np.minimum(t, t[::-1]) / 0.02)
            else:  # a horn: harmonics of a low note, noisy onset
                n = int(rng.uniform(0.5, 1.5) * BASE_RATE)
                t = np.arange(n) / BASE_RATE
                f0 = rng.uniform(150, 400)
                wave = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 8))
                wave = 0.3 * wave * np.minimum(1, np.minimum(t, t[::-1]) / 0.05)
                wave += 0.2 * rng.standard_normal(n) * np.exp(-t / 0.05)
            if self.game.single_event_at is not None:
                wave = wave * 2.0
            self._waves[i] = wave
        return self._waves[i]

    def _bed(self, lo: int, hi: int) -> np.ndarray:
        """The crowd bed on the base grid, seconds [lo, hi), one seeded block per second."""
        blocks = []
        for k in range(lo, hi):
            rng = np.random.default_rng([self.seed, 3, k + 10_000])
            blocks.append(_lowpass(rng.standard_normal(BASE_RATE), 3000))
        return np.concatenate(blocks)

    def __call__(self, t: np.ndarray) -> np.ndarray:
        """The sound at increasing game times `t`."""
        out = np.zeros_like(t)
        lo, hi = int(np.floor(t[0])) - 1, int(np.ceil(t[-1])) + 2
        if self.game.crowd > 0 and self.game.single_event_at is None:
            grid = np.arange(lo * BASE_RATE, hi * BASE_RATE) / BASE_RATE
            bed = np.interp(t, grid, self._bed(lo, hi))
            coarse = np.arange(lo, hi, 0.1)
            swell = (
                1
                + 0.5
                * sum(
                    np.sin(2 * np.pi * coarse / period + ph)
                    for period, ph in zip((37.0, 113.0, 401.0), self._swell, strict=True)
                )
                / 3
            )
            out += self.game.crowd * bed * np.interp(t, coarse, swell)
        first = np.searchsorted(self._starts, t[0] - 2.0)
        last = np.searchsorted(self._starts, t[-1])
        for i in range(first, last):
            wave = self._event(i)
            start = self.events[i][0]
            a, b = np.searchsorted(t, (start, start + (len(wave) - 1) / BASE_RATE))
            if b > a:
                grid = np.arange(len(wave)) / BASE_RATE
                out[a:b] += np.interp(t[a:b] - start, grid, wave)
        return out


def _lowpass(x: np.ndarray, cutoff_hz: float, rate: int = BASE_RATE) -> np.ndarray:
    """A zero-phase FFT low-pass with a soft edge."""
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    spectrum *= 1 / (1 + (freqs / cutoff_hz) ** 4)
    return np.fft.irfft(spectrum, len(x))


def render_camera(game: Game, camera: Camera, stadium: Stadium) -> Iterator[np.ndarray]:
    """The camera's mono samples (float32) as it recorded them, in chunks of 30 s."""
    rate = camera.sample_rate
    total = int(game.duration_s * rate)
    noise_rng = np.random.default_rng([game.cameras_seed, zlib.crc32(camera.angle.encode())])
    scale = 1 + camera.drift_ppm / 1e6
    step = int(_CHUNK_S * rate)
    for first in range(0, total, step):
        n = min(step, total - first)
        if camera.audio == "silent":
            yield np.zeros(n, np.float32)
            continue
        lead = round(0.031 * rate)  # a faint echo off the stands, 31 ms late
        file_t = (first - lead + np.arange(n + lead)) / rate
        direct = stadium((file_t - camera.offset_s) / scale)
        heard = direct[lead:] + 0.3 * direct[:-lead]
        heard = _lowpass(heard, camera.lowpass_hz, rate) * camera.gain
        heard += camera.noise * noise_rng.standard_normal(n)
        yield heard.astype(np.float32)


def make_game(game: Game, folder: Path | None = None) -> dict[str, Path]:
    """The game's angle files (made once, then reused from the cache): {angle: path}."""
    folder = folder or CACHE / f"{game.game_id}-{game.digest()}"
    stadium = Stadium(game)
    other = Stadium(game, seed=game.seed + 1000)
    paths = {}
    for camera in game.cameras:
        path = folder / f"{camera.angle}.mp4"
        paths[camera.angle] = path
        if path.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{path.name}")
        video = ["-f", "lavfi", "-i", f"color=c=gray:size=64x36:rate=2:d={game.duration_s}"]
        v_codec = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "20", "-pix_fmt", "yuv420p"]
        if camera.audio == "none":
            cmd = [*video, *v_codec, "-an"]
        else:
            audio_in = ["-f", "f32le", "-ar", str(camera.sample_rate), "-ac", "1", "-i", "pipe:0"]
            # The fast AAC coder: 3x quicker than the default two-loop search, same format.
            a_codec = ["-c:a", "aac", "-aac_coder", "fast", "-b:a", "48k"]
            cmd = [*video, *audio_in, *v_codec, *a_codec, "-shortest"]
        full = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *cmd, str(tmp)]
        with subprocess.Popen(full, stdin=subprocess.PIPE) as proc:
            assert proc.stdin is not None
            if camera.audio != "none":
                source = other if camera.audio == "other" else stadium
                for chunk in render_camera(game, camera, source):
                    proc.stdin.write(chunk.tobytes())
            proc.stdin.close()
        if proc.returncode != 0:
            raise RuntimeError(f"ffmpeg failed making {path}")
        tmp.replace(path)
    return paths
