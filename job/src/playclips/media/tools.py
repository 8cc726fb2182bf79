"""Where the ffmpeg binary comes from: PLAYCLIPS_FFMPEG, then PATH, then the imageio-ffmpeg
wheel (so a fresh laptop needs no system package)."""

from __future__ import annotations

import functools
import os
import shutil


@functools.cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary to run; raise RuntimeError saying how to get one."""
    explicit = os.environ.get("PLAYCLIPS_FFMPEG")
    if explicit:
        return explicit
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        raise RuntimeError(
            "no ffmpeg found: install it (apt-get install ffmpeg) or set PLAYCLIPS_FFMPEG"
        ) from exc
