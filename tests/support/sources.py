"""Test videos generated with ffmpeg, cached under .cache/test-sources by recipe.

Each source covers a trap a real camera file can set for a stream-copy cutter: the encodes
(B-frames, open GOP, 29.97, long GOP, HEVC, MPEG-2, VP9, interlaced) and the containers real
recorders write (fragmented MP4 with and without an index, edit lists that hide pre-roll,
Matroska/WebM, MPEG-TS with a start far from zero and with a timestamp wrap, M2TS, a capture
that starts mid-GOP, streams that start at different times).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from playclips.media.tools import ffmpeg_exe

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "test-sources"


@dataclass(frozen=True)
class Source:
    """A recipe: ffmpeg input and output arguments, and the container extension.

    With `base`, the arguments read that source (its path stands where "{base}" is) and
    `duration_s` is the base's. `skip_bytes` drops that many leading bytes afterwards (a capture
    that starts mid-stream). `carried_audio` is how many audio streams an MP4 clip can carry.
    """

    name: str
    args: tuple[str, ...]
    ext: str = "mp4"
    duration_s: float = 20.0
    base: str = ""
    skip_bytes: int = 0
    carried_audio: int | None = None


def _video(rate: str = "30", size: str = "320x240") -> tuple[str, ...]:
    return ("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}")


def _tone(freq: int = 440) -> tuple[str, ...]:
    return ("-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate=48000")


_X264 = ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p")
_AAC = ("-c:a", "aac", "-b:a", "64k")
_ENC = (*_X264, "-bf", "3", "-g", "60", *_AAC)
_BASIC = (*_video(), *_tone(), *_ENC)
_X265 = (
    "-c:v",
    "libx265",
    "-preset",
    "ultrafast",
    "-pix_fmt",
    "yuv420p",
    "-x265-params",
    "keyint=60:min-keyint=60:bframes=3:log-level=error",
)
OPEN_GOP = (
    *_video(),
    *_tone(),
    *_X264,
    "-bf",
    "3",
    "-g",
    "45",
    "-x264-params",
    "open-gop=1:keyint=45:min-keyint=45:scenecut=0",
    *_AAC,
)

SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        # B-frames with a closed GOP every 2 s, audio, index (moov) at the end.
        Source("bframes", (*_video(), *_tone(), *_X264, "-bf", "3", "-g", "60", *_AAC)),
        # Open GOP: leading B-frames after each keyframe are shown before it.
        Source(
            "open_gop",
            (
                *_video(),
                *_tone(),
                *_X264,
                "-bf",
                "3",
                "-g",
                "45",
                "-x264-params",
                "open-gop=1:keyint=45:min-keyint=45:scenecut=0",
                *_AAC,
            ),
        ),
        # 29.97 fps: frame times are not round numbers.
        Source(
            "ntsc",
            (*_video("30000/1001"), *_tone(), *_X264, "-bf", "2", "-g", "48", *_AAC),
        ),
        # A 10 s GOP: the keyframe pre-roll can be most of a clip.
        Source(
            "long_gop",
            (
                *_video(),
                *_X264,
                "-bf",
                "3",
                "-g",
                "300",
                "-keyint_min",
                "300",
                "-sc_threshold",
                "0",
                "-an",
            ),
            duration_s=30.0,
        ),
        Source("no_audio", (*_video("25"), *_X264, "-bf", "2", "-g", "50", "-an")),
        Source(
            "two_audio",
            (
                *_video(),
                *_tone(440),
                *_tone(660),
                "-map",
                "0:v",
                "-map",
                "1:a",
                "-map",
                "2:a",
                *_X264,
                "-bf",
                "2",
                "-g",
                "60",
                *_AAC,
            ),
        ),
        # MOV with a timecode (data) track, which must be skipped cleanly.
        Source(
            "timecode_mov",
            (
                *_video(),
                *_tone(),
                *_X264,
                "-bf",
                "2",
                "-g",
                "60",
                *_AAC,
                "-timecode",
                "01:00:00:00",
            ),
            ext="mov",
        ),
        # Index at the front, as an encoder with +faststart writes it.
        Source(
            "faststart",
            (
                *_video(),
                *_tone(),
                *_X264,
                "-bf",
                "3",
                "-g",
                "60",
                *_AAC,
                "-movflags",
                "+faststart",
            ),
        ),
        Source(
            "hevc",
            (
                *_video(),
                *_tone(),
                *_X265,
                "-tag:v",
                "hvc1",
                *_AAC,
            ),
        ),
        # Variable frame rate: after frame 240 only every third frame is kept, timestamps intact.
        Source(
            "vfr",
            (
                *_video(),
                *_tone(),
                "-vf",
                "select='lt(n\\,240)+not(mod(n\\,3))'",
                "-fps_mode",
                "vfr",
                *_X264,
                "-bf",
                "2",
                "-g",
                "40",
                *_AAC,
            ),
        ),
        # Fragmented MP4 as crash-safe recorders write it: an empty moov, then moof/mdat pairs,
        # an mfra index at the end.
        Source("frag_mp4", (*_BASIC, "-movflags", "+frag_keyframe+empty_moov")),
        # Fragmented with a sidx per fragment (DASH style).
        Source("frag_sidx", (*_BASIC, "-movflags", "+dash")),
        # Fragmented with no index at all (no mfra: a recording that was never finalised).
        Source("frag_no_index", (*_BASIC, "-movflags", "+frag_keyframe+empty_moov+skip_trailer")),
        # Trimmed by stream copy: an edit list hides the pre-roll from the keyframe at 2 s to 3.3 s.
        Source(
            "trimmed_preroll",
            ("-ss", "3.3", "-i", "{base}", "-map", "0", "-c", "copy"),
            base="bframes",
            duration_s=16.7,
        ),
        # The video starts 0.5 s after the audio (an empty edit before the video).
        Source("video_late", ("-itsoffset", "0.5", *_video(), *_tone(), *_ENC)),
        # The audio starts 0.7 s after the video; and 5 s after it (early plays have no audio).
        Source("audio_late", (*_video(), "-itsoffset", "0.7", *_tone(), *_ENC)),
        Source("audio_late_5s", (*_video(), "-itsoffset", "5", *_tone(), *_ENC)),
        # Matroska as OBS writes it by default; keyframes come without a dts after a seek.
        Source("mkv", _BASIC, ext="mkv"),
        Source("mkv_open_gop", OPEN_GOP, ext="mkv"),
        # An MP4 whose audio starts late, remuxed into Matroska: its audio blocks carry no
        # durations (an MP4 sample without one is lost at the end of a track).
        Source(
            "mkv_audio_late",
            ("-i", "{base}", "-map", "0", "-c", "copy"),
            "mkv",
            base="audio_late_5s",
        ),
        # WebM: VP9 video and Opus audio.
        Source(
            "webm_vp9",
            (
                *_video(),
                *_tone(),
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-g",
                "60",
                "-b:v",
                "400k",
                "-c:a",
                "libopus",
            ),
            ext="webm",
        ),
        # Broadcast capture: MPEG-TS with a start time far from zero (~26 h).
        Source("ts_far", (*_BASIC, "-output_ts_offset", "95000"), ext="ts"),
        # MPEG-TS whose 33-bit timestamps wrap 8.7 s into the file.
        Source("ts_wrap", (*_BASIC, "-output_ts_offset", "95435"), ext="ts"),
        # Interlaced H.264 at 29.97 with AC-3 audio, in MPEG-TS.
        Source(
            "ts_interlaced",
            (
                *_video("30000/1001"),
                *_tone(),
                *_X264,
                "-flags",
                "+ildct+ilme",
                "-x264-params",
                "tff=1",
                "-bf",
                "2",
                "-g",
                "30",
                "-c:a",
                "ac3",
                "-b:a",
                "96k",
                "-output_ts_offset",
                "3600",
            ),
            ext="ts",
        ),
        # MPEG-2 video (interlaced, 25 fps) and MP2 audio, as broadcast recorders write.
        Source(
            "ts_mpeg2",
            (
                *_video("25", "352x288"),
                *_tone(),
                "-c:v",
                "mpeg2video",
                "-b:v",
                "1500k",
                "-g",
                "12",
                "-bf",
                "2",
                "-flags",
                "+ilme+ildct",
                "-top",
                "1",
                "-c:a",
                "mp2",
                "-b:a",
                "128k",
            ),
            ext="ts",
        ),
        Source("ts_hevc", (*_video(), *_tone(), *_X265, *_AAC), ext="ts"),
        # Blu-ray style M2TS (192-byte packets).
        Source("m2ts", (*_BASIC, "-f", "mpegts", "-mpegts_m2ts_mode", "1"), ext="m2ts"),
        # A capture that starts mid-stream: the first bytes of a TS cut away, mid-GOP.
        Source(
            "ts_midstream",
            ("-i", "{base}", "-map", "0", "-c", "copy"),
            "ts",
            base="ts_far",
            skip_bytes=188 * 1500,
        ),
        # A phone held upright: the frames carry a 90 degree display rotation.
        Source("rotated", (*_BASIC, "-metadata:s:v", "rotate=90")),
        # Professional cameras record PCM audio in MOV.
        Source(
            "mov_pcm",
            (*_video(), *_tone(), *_X264, "-bf", "2", "-g", "60", "-c:a", "pcm_s16le"),
            ext="mov",
        ),
        # IP cameras record G.711 A-law audio, which an MP4 clip cannot carry: it is left out.
        Source(
            "mov_alaw",
            (*_video(), *_tone(), *_X264, "-bf", "2", "-g", "60", "-c:a", "pcm_alaw"),
            ext="mov",
            carried_audio=0,
        ),
    ]
}


def make_source(name: str, duration_s: float | None = None) -> Path:
    """Path to the generated source `name` (made once, then reused from the cache)."""
    source = SOURCES[name]
    if source.base:
        base = str(make_source(source.base, duration_s))
        args = tuple(base if a == "{base}" else a for a in source.args)
    else:
        duration = duration_s or source.duration_s
        args = (*source.args, "-t", f"{duration:g}")
    recipe = " ".join((*args, f"skip={source.skip_bytes}"))
    digest = hashlib.sha1(recipe.encode()).hexdigest()[:10]
    path = CACHE / f"{name}-{digest}.{source.ext}"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args, str(tmp)]
        subprocess.run(cmd, check=True)
        if source.skip_bytes:
            data = tmp.read_bytes()[source.skip_bytes :]
            tmp.write_bytes(data)
        tmp.replace(path)
    return path


def concat_copies(segment: Path, copies: int, out: Path) -> None:
    """Write `copies` of `segment` back to back into `out` by stream copy (concat demuxer).

    How long and large sources are made cheaply; `out` appears whole or not at all.
    """
    listing = out.with_name(f".list-{os.getpid()}-{out.stem}.txt")
    listing.write_text(f"file '{segment.resolve()}'\n" * copies)
    tmp = out.with_name(f".tmp-{os.getpid()}-{out.name}")
    try:
        subprocess.run(
            [
                ffmpeg_exe(),
                "-v",
                "error",
                "-y",
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                "-c",
                "copy",
                str(tmp),
            ],
            check=True,
        )
        tmp.replace(out)
    finally:
        listing.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


def install_game(videos_root: Path, game_id: str, source: Path, angles: list[str]) -> None:
    """Link `source` in as every angle of a game: {root}/{game}/{ANGLE}.{ext}."""
    folder = videos_root / game_id
    folder.mkdir(parents=True, exist_ok=True)
    for angle in angles:
        target = folder / f"{angle}{source.suffix}"
        if not target.exists():
            target.symlink_to(source)
