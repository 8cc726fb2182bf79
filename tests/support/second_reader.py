"""A second, independent reader of clips: OpenCV (its own bundled FFmpeg build and its own
frame loop), which must count the manifest's frames and see the source's size and rotation."""

from __future__ import annotations

import functools
from pathlib import Path

import cv2


@functools.cache
def _shape(path: str) -> tuple[int, int]:
    """(height, width) of the first frame OpenCV shows, display rotation applied."""
    cap = cv2.VideoCapture(path)
    try:
        ok, frame = cap.read()
        assert ok, f"OpenCV cannot read a frame of {path}"
        return frame.shape[0], frame.shape[1]
    finally:
        cap.release()


def count_frames(path: str) -> int:
    """Frames OpenCV decodes from the file, one by one."""
    cap = cv2.VideoCapture(path)
    try:
        assert cap.isOpened(), f"OpenCV cannot open {path}"
        n = 0
        while cap.grab():
            n += 1
        return n
    finally:
        cap.release()


def check_with_second_reader(source: Path, clip: Path, record: dict) -> None:
    """OpenCV opens the clip, counts the manifest's frames, and sees the source's shape."""
    assert count_frames(str(clip)) == record["frames"], (
        f"OpenCV counts {count_frames(str(clip))} frames in {clip}, "
        f"the manifest says {record['frames']}"
    )
    assert _shape(str(clip)) == _shape(str(source)), (
        f"{clip} shows {_shape(str(clip))} frames, the source {_shape(str(source))}"
    )
