"""media/tools.py: which ffmpeg runs. PLAYCLIPS_FFMPEG, then PATH, then the imageio-ffmpeg
wheel's binary; with none of them, one line saying how to get one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from playclips.media.tools import ffmpeg_exe


@pytest.fixture(autouse=True)
def fresh_lookup(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The answer is cached per process: look again here, and again for the tests after."""
    monkeypatch.delenv("PLAYCLIPS_FFMPEG", raising=False)
    ffmpeg_exe.cache_clear()
    yield
    ffmpeg_exe.cache_clear()


def test_the_environment_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYCLIPS_FFMPEG", "/opt/ffmpeg-7/bin/ffmpeg")
    assert ffmpeg_exe() == "/opt/ffmpeg-7/bin/ffmpeg"


def test_then_the_one_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = tmp_path / "ffmpeg"
    found.write_text("#!/bin/sh\n")
    found.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert ffmpeg_exe() == str(found)


def test_then_the_wheels_binary_which_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg there
    exe = ffmpeg_exe()
    assert "imageio_ffmpeg" in exe
    proc = subprocess.run([exe, "-version"], capture_output=True, text=True, check=True)
    assert proc.stdout.startswith("ffmpeg version")


def test_none_at_all_says_how_to_get_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # the wheel is not installed
    with pytest.raises(RuntimeError) as raised:
        ffmpeg_exe()
    message = str(raised.value)
    assert "\n" not in message
    assert "apt-get install ffmpeg" in message and "PLAYCLIPS_FFMPEG" in message
