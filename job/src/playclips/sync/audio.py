"""Windows of one angle's audio, read by ranges and decoded to mono at a low rate.

The container is opened with PyAV over the storage layer's seekable reader, as the cutter
does, and every stream but the first audio one is marked discarded (AVDISCARD_ALL), so the
MP4 demuxer seeks past their samples instead of reading them: only the audio packets of each
window (plus the index) are fetched, give or take libavformat's 8 KiB reads. Times are on the
cutter's timeline: seconds from the video stream's first timestamp (the container's start when
there is no video), so an offset measured here is the offset the cutter applies.

Each window is decoded at the stream's own rate, mixed to mono and resampled to RATE by
FFT (zero phase: no filter delay, and streams with different sample rates land on one grid).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import BinaryIO

import av
import av.error
import numpy as np

RATE = 8000  # samples per second of every window handed to the correlator
_PAD_S = 0.25  # decoded on each side and dropped: AAC priming after a seek, FFT wrap-around
# libavformat's read size: a window's audio is ~60-250 KB, so a 64 KiB read past its end (the
# default) would cost as much again; 8 KiB reads keep the waste small.
_BUFFER = 8192


class AudioError(Exception):
    """An angle's audio cannot be read; the message says which angle and why."""


class AudioTrack:
    """One angle's first audio stream, open for reading windows."""

    def __init__(self, fileobj: BinaryIO, name: str) -> None:
        self.name = name
        try:
            self._container = av.open(fileobj, mode="r", buffer_size=_BUFFER)
        except av.error.FFmpegError as exc:
            raise AudioError(f"{name} is not a readable video ({_reason(exc)})") from None
        try:
            streams = self._container.streams
            if not streams.audio:
                raise AudioError(f"{name} has no audio stream")
            self._audio = streams.audio[0]
            for other in streams:
                if other is not self._audio:
                    # The demuxer then seeks past their samples instead of reading them.
                    other.discard = av.stream.Discard.all
            if self._audio.time_base is None:
                raise AudioError(f"{name}: its audio stream has no timestamps")
            self._tb = Fraction(self._audio.time_base)
            video = next(iter(streams.video), None)
            if video is not None and video.time_base is not None:
                self._origin = Fraction(video.start_time or 0) * Fraction(video.time_base)
            else:
                self._origin = Fraction(self._container.start_time or 0, av.time_base)
            duration = self._container.duration
            if not duration:
                raise AudioError(f"{name}: its duration is unknown; remux it into MP4 first")
            self.duration_s = duration / av.time_base
        except AudioError:
            self._container.close()
            raise

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> AudioTrack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, start_s: float, length_s: float) -> np.ndarray:
        """Mono float32 samples at RATE for [start_s, start_s + length_s); zeros where the
        file has no audio (before its start, after its end, in gaps)."""
        n_out = round(length_s * RATE)
        lo, hi = start_s - _PAD_S, start_s + length_s + _PAD_S
        if hi <= 0 or lo >= self.duration_s:
            return np.zeros(n_out, np.float32)
        rate = self._audio.codec_context.sample_rate or RATE
        # A native length that is a whole number of output samples keeps both grids aligned.
        step = rate // math.gcd(rate, RATE)
        n_in = math.ceil((hi - lo) * rate / step) * step
        native = np.zeros(n_in, np.float64)
        target = int((Fraction(max(lo, 0.0)) + self._origin) / self._tb)
        try:
            self._container.seek(target, stream=self._audio, backward=True)
            for packet in self._container.demux(self._audio):
                if packet.pts is None:
                    continue
                if (packet.pts * self._tb - self._origin) > hi:
                    break
                for frame in packet.decode():
                    if frame.pts is None:
                        continue
                    t = float(frame.pts * self._tb - self._origin)
                    samples = frame.to_ndarray()
                    mono = _mono(samples, frame.format.is_planar, len(frame.layout.channels))
                    first = round((t - lo) * rate)
                    a, b = max(first, 0), min(first + len(mono), n_in)
                    if b > a:
                        native[a:b] = mono[a - first : b - first]
        except av.error.FFmpegError as exc:
            raise AudioError(f"{self.name}: reading its audio failed ({_reason(exc)})") from None
        resampled = _resample(native, rate, n_in * RATE // rate)
        skip = round(_PAD_S * RATE)
        return resampled[skip : skip + n_out].astype(np.float32)


def _mono(samples: np.ndarray, planar: bool, channels: int) -> np.ndarray:
    """One channel from a decoded frame: planar (channels, n) or packed (1, n * channels)."""
    if samples.dtype.kind in "iu":
        scale = float(np.iinfo(samples.dtype).max)
        samples = samples.astype(np.float64) / scale
    if planar:
        return samples.mean(axis=0)
    return samples.reshape(-1, channels).mean(axis=1)


def _resample(x: np.ndarray, rate: int, n_out: int) -> np.ndarray:
    """x (at `rate`) to RATE by truncating its spectrum: zero phase, sample grids aligned."""
    if rate == RATE:
        return x
    spectrum = np.fft.rfft(x)
    keep = n_out // 2 + 1
    if keep > len(spectrum):
        spectrum = np.concatenate([spectrum, np.zeros(keep - len(spectrum), spectrum.dtype)])
    return np.fft.irfft(spectrum[:keep], n_out) * (n_out / len(x))


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).strip().rstrip(".")
