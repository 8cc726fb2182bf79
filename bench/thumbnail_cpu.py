"""CPU of the contact sheet's thumbnail per clip, against the CPU of cutting that clip.

    python -m bench.thumbnail_cpu [--fixture 30min] [--clips 12]

Cuts N clips of 5-15 s from the bench fixture (made by `make bench`) with the cutter, then
times, per clip, in this process (`time.process_time`, every thread):
- `full decode`: every frame from the clip's keyframe to the play's first frame, the decoder's
  default threading (how the thumbnail was made before);
- `play_frame`: what `sheet.thumbnail` does now (the same frame, B-frames before it skipped);
- `keyframe only`: the clip's first frame alone (a different frame: up to a GOP before the
  play), for comparison.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "job" / "src"), str(ROOT)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", default="30min")
    parser.add_argument("--clips", type=int, default=12)
    args = parser.parse_args(argv)

    import av

    from bench.fixtures import make_fixture
    from playclips.media.cut import AngleReader
    from playclips.model import ClipSpec, Play
    from playclips.outputs.sheet import _small_image, play_frame

    fixture = make_fixture(args.fixture)
    rng = random.Random(3)
    clips = []
    cut_cpu = 0.0
    with AngleReader(open(fixture.file, "rb"), fixture.name) as reader:
        for i in range(args.clips):
            start = rng.uniform(10, fixture.duration_s - 30)
            end = start + rng.uniform(5, 15)
            t = time.process_time()
            cut = reader.cut(ClipSpec(Play("b", f"p{i}", start, end), "A", start, end))
            cut_cpu += time.process_time() - t
            clips.append((cut.data, cut.play_start_offset_s))

    def full_decode(data: bytes, offset: float) -> object:
        with av.open(io.BytesIO(data)) as clip:
            first = None
            for frame in clip.decode(clip.streams.video[0]):
                t = float(frame.pts * frame.time_base)
                first = t if first is None else min(first, t)
                if t - first >= offset - 1e-6:
                    return _small_image(frame)
        return None

    def keyframe_only(data: bytes, offset: float) -> object:
        with av.open(io.BytesIO(data)) as clip:
            stream = clip.streams.video[0]
            stream.codec_context.skip_frame = "NONKEY"
            for frame in clip.decode(stream):
                return _small_image(frame)
        return None

    n = len(clips)
    print(f"{n} clips of {fixture.name}; cut {cut_cpu / n * 1e3:.1f} ms CPU per clip; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    for name, call in (
        ("full decode", full_decode),
        ("play_frame", play_frame),
        ("keyframe only", keyframe_only),
    ):
        t = time.process_time()
        for data, offset in clips:
            call(data, offset)
        ms = (time.process_time() - t) / n * 1e3
        print(f"  {name:<14} {ms:6.1f} ms CPU per clip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
