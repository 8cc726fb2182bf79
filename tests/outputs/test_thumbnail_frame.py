"""The thumbnail's frame: decoding with the B-frames before the play skipped gives the very
frame a full decode gives, on the encodes that reorder frames."""

from __future__ import annotations

import io

import av
import pytest

from playclips.media.cut import AngleReader
from playclips.model import ClipSpec, Play
from playclips.outputs.sheet import _small_image, play_frame

from ..support.sources import make_source


def _full_decode(data: bytes, offset_s: float) -> bytes:
    with av.open(io.BytesIO(data)) as clip:
        first = None
        for frame in clip.decode(clip.streams.video[0]):
            t = float(frame.pts * frame.time_base)
            first = t if first is None else min(first, t)
            if t - first >= offset_s - 1e-6:
                return _small_image(frame).tobytes()
    raise AssertionError("no frame at the offset")


@pytest.mark.parametrize("name", ["bframes", "open_gop", "hevc"])
def test_the_play_frame_is_the_fully_decoded_frame(name: str) -> None:
    with AngleReader(open(make_source(name), "rb"), name) as reader:
        for i, start in enumerate((3.4, 7.95, 11.5)):
            cut = reader.cut(ClipSpec(Play("g", f"p{i}", start, start + 2), "A", start, start + 2))
            assert cut.play_start_offset_s > 0.2  # frames before the play were skipped
            expected = _full_decode(cut.data, cut.play_start_offset_s)
            assert play_frame(cut.data, cut.play_start_offset_s).tobytes() == expected
