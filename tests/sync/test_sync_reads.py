"""Sync reads the audio of a window and skips the video around it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from playclips.media.tools import ffmpeg_exe
from playclips.storage import LocalStorage, ReadStats
from playclips.sync.audio import RATE, AudioTrack

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def heavy_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 s: a 440 Hz tone (AAC, 48 kbit/s) beside 1 fps video of noise (~80 KB a frame)."""
    path = tmp_path_factory.mktemp("heavy") / "angle.mp4"
    noise = "nullsrc=s=320x180:r=1:d=60,geq=lum='random(1)*255':cb=128:cr=128"
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", noise,
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=60",
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-g", "10",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "48k", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


def test_a_window_reads_its_audio_not_the_video_beside_it(heavy_video: Path) -> None:
    stats = ReadStats()
    root = LocalStorage(str(heavy_video.parent))
    with AudioTrack(root.open_read(heavy_video.name, stats), "angle") as track:
        opened = stats.bytes_read
        samples = track.read(25.0, 10.0)
    window = stats.bytes_read - opened
    # 10.5 s of 48 kbit/s audio is ~63 KB; the video in that span is ~800 KB.
    assert window < 200_000, window
    assert len(samples) == 10 * RATE
    # The tone survives decoding, mixing and resampling to 8 kHz: its peak is at 440 Hz.
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.fft.rfftfreq(len(samples), 1 / RATE)[np.argmax(spectrum)] == pytest.approx(440, abs=1)
    assert heavy_video.stat().st_size > 4_000_000
