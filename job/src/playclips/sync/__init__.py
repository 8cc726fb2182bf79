"""Measure each angle's offset and clock drift against a reference angle, from their audio.

The four cameras of a game hear one stadium. A window of the reference angle's audio is found
in another angle's audio by cross-correlation (measure.locate); doing that at windows spread
across the game gives matches (reference time, angle time) that lie on a line,
`angle time = a + b x reference time`, whose slope is the clock drift (measure.fit_line).

How one angle is measured (all times in seconds on the files' timelines):

1. Search. The earliest reference window is looked for in the angle's audio within
   +/- `max_offset_s` (plus `max_drift_ppm` since the game's start) of where the angle's
   current offset puts it; up to three windows are tried, in case the first falls on a quiet
   moment. This is the one long read.
2. Track. The other windows, nearest first, are looked for in a short segment around where the
   matches so far predict them (the margin covers `max_drift_ppm` over the distance to the
   nearest match, less once two matches fix the drift). Each segment is stretched onto the
   reference clock by the drift so far before correlating, so a 100 ppm drift does not smear
   the 1-sample-wide peak over 8 samples.
3. Fit. Every segment is correlated again with the final drift, and the line is fitted through
   the matches with a clear peak, dropping those more than 10 ms off the line.

Confidence = the share of the windows tried whose match is clear and on the line, scaled down
when the matches scatter more than 2 ms around it. An angle is refused (nothing is stored)
when: it has no audio stream or its audio is silent; nothing was found in the search (no
overlap, or an offset beyond max_offset_s); fewer than three windows agree or they span less
than a third of the game (a single loud event: an offset, but no drift); the drift is beyond
max_drift_ppm; or the confidence is below `min_confidence`.

What audio cannot know: sound travels ~343 m/s, so a camera 30 m further from the sound than
the reference hears everything ~87 ms later, and the offset measured here includes that. The
per-angle `offset_correction_s` (set by hand, kept by sync) is added to the measured offset.
Drift is unaffected: the distance does not change during the game.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model import Game, Video
from ..storage import ReadStats, Storage, StorageError, open_storage
from .audio import RATE, AudioError, AudioTrack
from .measure import Match, fft_size, fit_line, locate

__all__ = [
    "AngleSync",
    "GameSync",
    "NoVideo",
    "SyncOptions",
    "open_video_root",
    "sync_game",
    "video_resolver",
]

_CLEAR = 3.0  # a match's peak must stand this far above every sidelobe
# Drifts tried while the drift is unknown: 40 ppm apart, a 10 s window is off by at most 0.2 ms
# (1.6 samples at 8 kHz) at the nearest, which keeps its peak sharp.
_DRIFT_STEP = 40e-6
_SILENT_RMS = 3e-4  # ~ -70 dBFS: digital silence, a muted or unplugged microphone
_MIN_AGREE = 3
# A match further than this from the line is left out of the fit: 10 ms is 3.4 m of sound
# path, more than two cameras' distances to the stadium's sounds vary in one game.
_TOLERANCE_S = 0.010
_BASE_MARGIN_S = 0.1


@dataclass(frozen=True)
class SyncOptions:
    """How sync measures (every field is a `playclips sync` option)."""

    windows: int = 10
    window_s: float = 10.0
    max_offset_s: float = 30.0
    max_drift_ppm: float = 200.0
    min_confidence: float = 0.6


@dataclass
class AngleSync:
    """What sync found for one angle; `refused` says why nothing may be stored."""

    angle: str
    offset_s: float | None = None  # measured from the audio + correction_s
    drift_ppm: float | None = None
    confidence: float = 0.0
    correction_s: float = 0.0  # the video row's offset_correction_s
    windows_agreeing: int = 0
    windows_tried: int = 0
    residual_ms: float | None = None
    refused: str = ""
    video: str = ""  # where the angle's video is (a path or gs:// URI)
    key: str = ""  # its key in the storage it was found in (below the video root when there)
    bytes_read: int = 0
    read_requests: int = 0
    video_bytes: int = 0
    duration_s: float = 0.0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.refused


@dataclass
class GameSync:
    """One game's result: every angle against `reference`."""

    game_id: str
    reference: str
    angles: dict[str, AngleSync] = field(default_factory=dict)
    seconds: float = 0.0
    duration_s: float = 0.0  # the reference angle's length

    @property
    def ok(self) -> bool:
        return all(a.ok for a in self.angles.values())

    def to_json(self) -> dict[str, Any]:
        """{"reference": ANGLE, "angles": {ANGLE: {"offset_s", "drift_ppm", "confidence"}}}."""
        return {
            "reference": self.reference,
            "angles": {
                a.angle: {
                    "offset_s": None if a.offset_s is None else round(a.offset_s, 6),
                    "drift_ppm": None if a.drift_ppm is None else round(a.drift_ppm, 3),
                    "confidence": round(a.confidence, 3),
                }
                for a in self.angles.values()
            },
        }


# The storage and key of an angle's video; raises NoVideo naming what is missing.
Resolver = Callable[[Game, str], tuple[Storage, str]]


class NoVideo(Exception):
    """An angle has no video file (the message says where it was looked for)."""


# Cloud Storage reads for sync: the audio of a camera file sits in small chunks (~0.5-1 s) between
# large video chunks that the demuxer seeks past, so each audio chunk read costs one request
# whatever the block size, and the block size only sets the bytes. Fetches are one block, with
# no read-ahead growth. Measured by `make bench-sync` (3-hour, 4-angle game, 6 KB audio chunks
# between 79 KB video frames; requests per angle, MB read per game):
#     16 KiB: ~190 requests, 17 MB      32 KiB: ~190, 28 MB      64 KiB: ~185, 49 MB
# 32 KiB: one request holds a whole chunk of 192 kbit/s audio (24 KB a second). The cutter's
# 2 MiB first fetch suits clips, which read everything in their range.
GCS_BLOCK = 32 << 10


def open_video_root(uri: str) -> Storage:
    """The video root at `uri` (a folder or gs://bucket[/prefix]), with reads sized for sync."""
    if uri.startswith("gs://"):
        from ..storage.gcs import GcsStorage

        return GcsStorage.from_uri(
            uri, block_size=GCS_BLOCK, first_fetch=GCS_BLOCK, read_ahead=GCS_BLOCK
        )
    return open_storage(uri)


def video_resolver(root: Storage) -> Resolver:
    """The pipeline's rules for finding an angle's video below the video root `root`: the
    video row's uri (absolute, or relative to the root), else the one {game}/{ANGLE}.*."""
    from ..clipping.videos import AngleFailed, GameVideos, game_videos

    found: dict[str, GameVideos] = {}

    def resolve(game: Game, angle: str) -> tuple[Storage, str]:
        if game.game_id not in found:
            found[game.game_id] = game_videos(game, root, None)
        try:
            return found[game.game_id].resolve(game, angle)
        except AngleFailed as exc:
            raise NoVideo(str(exc)) from None

    return resolve


def sync_game(
    game: Game,
    angles: Sequence[str],
    reference: str,
    resolve: Resolver,
    options: SyncOptions = SyncOptions(),
) -> GameSync:
    """Measure every angle of `angles` against `reference`. Never raises for bad media."""
    started = time.monotonic()
    result = GameSync(game.game_id, reference)
    ref_video = game.videos.get(reference) or Video(game.game_id, reference, "")
    ref = AngleSync(
        reference,
        offset_s=ref_video.offset_s,
        drift_ppm=ref_video.drift_ppm,
        confidence=1.0,
        correction_s=ref_video.offset_correction_s,
    )
    result.angles[reference] = ref
    others = [a for a in angles if a != reference]
    ref_started = time.monotonic()
    stats = ReadStats()
    try:
        windows = _reference_windows(game, reference, resolve, options, ref, stats)
    except _Refused as exc:
        ref.refused, ref.confidence = str(exc), 0.0
        ref.offset_s = ref.drift_ppm = None
        for angle in others:
            result.angles[angle] = AngleSync(
                angle, refused=f"the reference {reference} cannot be used: {exc}"
            )
        windows = None
    finally:
        ref.bytes_read, ref.read_requests = stats.bytes_read, stats.requests
        ref.seconds = round(time.monotonic() - ref_started, 3)
    if windows is not None:
        with ThreadPoolExecutor(max_workers=max(1, min(4, len(others)))) as pool:
            futures = {
                a: pool.submit(_sync_angle, game, a, ref_video, windows, resolve, options)
                for a in others
            }
            for angle, future in futures.items():
                result.angles[angle] = future.result()
    result.angles = {a: result.angles[a] for a in [reference, *others]}
    result.duration_s = ref.duration_s
    result.seconds = round(time.monotonic() - started, 3)
    return result


class _Refused(Exception):
    """An angle cannot be measured; the message says why, for a person."""


@dataclass(frozen=True)
class _Window:
    centre_s: float  # reference file time of the window's middle
    samples: np.ndarray


def _open(
    game: Game, angle: str, resolve: Resolver, stats: ReadStats, out: AngleSync
) -> AudioTrack:
    """Open the angle's audio; note where its video is in `out`."""
    try:
        storage, out.key = resolve(game, angle)
        out.video = storage.uri(out.key)
        info = storage.stat(out.key)
        if info is None:
            raise _Refused(f"no video: {out.video} does not exist")
        out.video_bytes = info.size
        return AudioTrack(storage.open_read(out.key, stats), out.video)
    except (AudioError, StorageError, NoVideo) as exc:
        raise _Refused(str(exc)) from None


def _reference_windows(
    game: Game,
    reference: str,
    resolve: Resolver,
    options: SyncOptions,
    ref: AngleSync,
    stats: ReadStats,
) -> list[_Window]:
    track = _open(game, reference, resolve, stats, ref)
    with track:
        duration = ref.duration_s = track.duration_s
        edge = options.window_s / 2 + min(options.max_offset_s, duration / 4)
        if duration - 2 * edge < options.window_s:
            edge = options.window_s / 2
        if duration < options.window_s * 2:
            raise _Refused(
                f"{track.name} lasts {duration:.1f} s, too short to sync with "
                f"{options.window_s:g} s windows"
            )
        count = max(2, options.windows)
        centres = np.linspace(edge, duration - edge, count)
        try:
            windows = [
                _Window(float(c), track.read(float(c) - options.window_s / 2, options.window_s))
                for c in centres
            ]
        except AudioError as exc:
            raise _Refused(str(exc)) from None
    heard = [w for w in windows if _rms(w.samples) > _SILENT_RMS]
    if not heard:
        raise _Refused(f"its audio is silent ({track.name}); pick another with --reference")
    return windows


def _sync_angle(
    game: Game,
    angle: str,
    ref_video: Video,
    windows: list[_Window],
    resolve: Resolver,
    options: SyncOptions,
) -> AngleSync:
    started = time.monotonic()
    video = game.videos.get(angle) or Video(game.game_id, angle, "")
    out = AngleSync(angle, correction_s=video.offset_correction_s)
    stats = ReadStats()
    try:
        track = _open(game, angle, resolve, stats, out)
        with track:
            _measure(track, video, ref_video, windows, options, out)
    except _Refused as exc:
        out.refused = str(exc)
    except AudioError as exc:
        out.refused = str(exc)
    finally:
        out.bytes_read, out.read_requests = stats.bytes_read, stats.requests
        out.seconds = round(time.monotonic() - started, 3)
    return out


@dataclass
class _Segment:
    window: _Window
    start_s: float  # angle file time of the segment's first sample
    samples: np.ndarray


def _measure(
    track: AudioTrack,
    video: Video,
    ref_video: Video,
    windows: list[_Window],
    options: SyncOptions,
    out: AngleSync,
) -> None:
    # Where the angle's current row puts a reference time: the starting guess.
    prior_slope = (1 + video.drift_ppm / 1e6) / (1 + ref_video.drift_ppm / 1e6)
    anchor, first = _anchor(track, video, ref_video, windows, options, prior_slope)
    points = {anchor.centre_s: first.found}
    segments, tried = _follow(track, windows, anchor, points, options, prior_slope)
    slope = _slope(points, prior_slope)
    xs, ys = [], []
    for segment in [first.segment, *segments]:
        found, clarity = _find(segment, slope)
        if clarity >= _CLEAR:
            xs.append(segment.window.centre_s)
            ys.append(found)
    fit = fit_line(np.array(xs), np.array(ys), _TOLERANCE_S, prior_slope)
    if fit is None:
        raise _Refused("no two windows agree on where this angle's audio lies")
    out.windows_agreeing, out.windows_tried = fit.inliers, max(tried, fit.inliers)
    out.residual_ms = round(fit.residual_s * 1000, 3)
    # angle time = a + b * ref time, ref time = o_r + game * (1 + d_r)
    measured = fit.intercept + fit.slope * ref_video.offset_s
    drift = (fit.slope * (1 + ref_video.drift_ppm / 1e6) - 1) * 1e6
    out.offset_s = measured + video.offset_correction_s
    out.drift_ppm = drift
    scatter = min(1.0, 0.002 / fit.residual_s) if fit.residual_s > 0 else 1.0
    out.confidence = fit.inliers / out.windows_tried * scatter
    out.refused = _refusal(fit, out, drift, windows, options)


@dataclass
class _Found:
    """Where a window's sound was found in this angle's audio, and the audio searched."""

    found: float
    segment: _Segment


def _anchor(
    track: AudioTrack,
    video: Video,
    ref_video: Video,
    windows: list[_Window],
    options: SyncOptions,
    prior_slope: float,
) -> tuple[_Window, _Found]:
    """The first window heard clearly on this angle near where its row says; else refused."""
    w = options.window_s
    max_drift = options.max_drift_ppm / 1e6

    def guess(t_ref: float) -> float:
        game_t = (t_ref - ref_video.offset_s) / (1 + ref_video.drift_ppm / 1e6)
        return video.file_time(game_t)

    heard = [x for x in windows if _rms(x.samples) > _SILENT_RMS]
    loudest = 0.0
    for window in heard[:3]:  # the earliest: the least drift since the offset was set
        reach = options.max_offset_s + max_drift * abs(window.centre_s - ref_video.offset_s)
        start = guess(window.centre_s) - w / 2 - reach
        samples = track.read(start, w + 2 * reach)
        loudest = max(loudest, _rms(samples))
        segment = _Segment(window, start, samples)
        found, clarity = _find_any(segment, _drift_grid(prior_slope, max_drift))
        if clarity >= _CLEAR:
            return window, _Found(found, segment)
    if loudest <= _SILENT_RMS:
        raise _Refused(f"its audio is silent ({track.name})")
    raise _Refused(
        f"no sound in common with the reference within +/-{options.max_offset_s:g} s of "
        f"its current offset ({video.offset_s:g} s): the files do not overlap, or the "
        "cameras started further apart (raise --max-offset)"
    )


def _follow(
    track: AudioTrack,
    windows: list[_Window],
    anchor: _Window,
    points: dict[float, float],
    options: SyncOptions,
    prior_slope: float,
) -> tuple[list[_Segment], int]:
    """Search the other windows, nearest the anchor first, each where the points so far
    predict; add each clear find to `points`. The segments searched, and how many were tried.
    """
    w = options.window_s
    max_drift = options.max_drift_ppm / 1e6
    segments: list[_Segment] = []
    rest = sorted(
        (x for x in windows if x is not anchor), key=lambda x: abs(x.centre_s - anchor.centre_s)
    )
    tried = 1 + len([x for x in rest if _rms(x.samples) > _SILENT_RMS])
    for window in rest:
        if _rms(window.samples) <= _SILENT_RMS:
            continue
        known = np.array(sorted(points))
        nearest = float(np.min(np.abs(known - window.centre_s)))
        predicted = _predict(points, prior_slope, window.centre_s)
        margin = _BASE_MARGIN_S + max_drift * nearest * (1.0 if len(points) < 2 else 0.25)
        start = predicted - w / 2 - margin
        if start + w + 2 * margin <= 0 or start >= track.duration_s:
            tried -= 1  # the window falls outside this angle's file
            continue
        samples = track.read(start, w + 2 * margin)
        segment = _Segment(window, start, samples)
        segments.append(segment)
        if len(points) < 2:
            found, clarity = _find_any(segment, _drift_grid(prior_slope, max_drift))
        else:
            found, clarity = _find(segment, _slope(points, prior_slope))
        if clarity >= _CLEAR and abs(found - predicted) <= margin:
            points[window.centre_s] = found
    return segments, tried


def _refusal(
    fit: Any, out: AngleSync, drift: float, windows: list[_Window], options: SyncOptions
) -> str:
    """Why a measured angle must not be stored ("" when it may)."""
    span = windows[-1].centre_s - windows[0].centre_s
    if fit.inliers < _MIN_AGREE or fit.span_s < span / 3:
        return (
            f"only {fit.inliers} of {out.windows_tried} windows heard a sound in common with "
            f"the reference, within {fit.span_s:.0f} s of each other (a single loud event, or "
            "mostly silence): the drift cannot be measured"
        )
    if abs(drift) > options.max_drift_ppm:
        return (
            f"the drift it measured, {drift:.1f} ppm, is beyond +/-{options.max_drift_ppm:g} "
            "ppm: check that both files are whole recordings of this game"
        )
    if out.confidence < options.min_confidence:
        return (
            f"confidence {out.confidence:.2f} is below {options.min_confidence:g}: "
            f"{fit.inliers} of {out.windows_tried} windows agree, scattered "
            f"{fit.residual_s * 1000:.1f} ms around the fit"
        )
    return out.refused


def _predict(points: dict[float, float], prior_slope: float, t_ref: float) -> float:
    """Where the matches so far put reference time `t_ref` in the angle (file time)."""
    xs = np.array(list(points))
    ys = np.array(list(points.values()))
    slope = _slope(points, prior_slope)
    return float(np.mean(ys - slope * xs)) + slope * t_ref


def _slope(points: dict[float, float], prior_slope: float) -> float:
    if len(points) < 2:
        return prior_slope
    xs = np.array(list(points))
    ys = np.array(list(points.values()))
    return float(np.polyfit(xs, ys, 1)[0])


def _find(segment: _Segment, slope: float) -> tuple[float, float]:
    """Where the window's middle falls in the angle (file time), and how clear the match is.

    The reference window is first stretched onto the angle's clock (`slope` angle seconds per
    reference second), so a drift does not smear the peak.
    """
    return _find_any(segment, [slope])


def _find_any(segment: _Segment, slopes: Sequence[float]) -> tuple[float, float]:
    """_find for each slope; the clearest match wins."""
    window = segment.window.samples
    longest = math.floor((len(window) - 1) * max(slopes)) + 1
    if len(segment.samples) < longest:
        return 0.0, 0.0
    spectrum = np.fft.rfft(segment.samples, fft_size(len(segment.samples), longest))
    best = (0.0, 0.0)
    for slope in slopes:
        n = math.floor((len(window) - 1) * slope) + 1
        stretched = np.interp(np.arange(n) / slope, np.arange(len(window)), window)
        stretched = np.pad(stretched, (0, longest - n))  # one FFT length for every slope
        match: Match = locate(segment.samples, stretched, spectrum)
        if match.clarity > best[1]:
            middle = match.lag_s + len(window) / RATE / 2 * slope
            best = (segment.start_s + middle, match.clarity)
    return best


def _drift_grid(prior_slope: float, max_drift: float) -> list[float]:
    """Slopes tried while the drift is unknown: an unknown drift would smear the peak."""
    steps = math.ceil(max_drift / _DRIFT_STEP)
    return [prior_slope * (1 + k * _DRIFT_STEP) for k in range(-steps, steps + 1)]


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
