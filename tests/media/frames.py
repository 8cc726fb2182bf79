"""Decoding helpers for the encode-mode oracle: frames as RGB images, PSNR, timestamps."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import av
from PIL import Image, ImageChops, ImageStat


@functools.cache
def source_frames(path: str) -> tuple[tuple[float, Image.Image], ...]:
    """Every frame of the source's first video stream: (presentation time, RGB image)."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = [
            (float(f.pts * f.time_base), f.to_image())
            for f in container.decode(stream)
            if f.pts is not None
        ]
    return tuple(sorted(frames, key=lambda f: f[0]))


def first_frame(path: Path | str) -> Image.Image:
    with av.open(str(path)) as container:
        return next(container.decode(container.streams.video[0])).to_image()


def first_times(path: Path | str) -> tuple[float, float | None]:
    """(first video frame time, first audio frame time or None), decoded."""
    with av.open(str(path)) as container:
        v = next(container.decode(container.streams.video[0]))
        video_t = float(v.pts * v.time_base)
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return video_t, None
        a = next(container.decode(container.streams.audio[0]))
        return video_t, float(a.pts * a.time_base)


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio of two same-size RGB images, in dB (inf when equal)."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    mse = sum(v * v for v in ImageStat.Stat(diff).rms) / 3
    return math.inf if mse == 0 else 10 * math.log10(255 * 255 / mse)


def nearest_index(frames: tuple[tuple[float, Image.Image], ...], t: float) -> int:
    """Index of the first frame shown at or after `t` (a microsecond's slack)."""
    return next(i for i, (ft, _) in enumerate(frames) if ft >= t - 1e-6)
