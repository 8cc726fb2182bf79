"""A game's angles are its videos, whatever their names; unsupported sources are refused in one
line, and the rest of the game is whole."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from playclips.clipping.game import Job, run_game
from playclips.media.cut import CutLimits, MediaError, _Packet, _verify
from playclips.model import ClipSpec, Play
from playclips.plays import LocalPlaysFile
from playclips.storage import LocalStorage

from ..conftest import read_manifest, read_report, write_plays
from ..support.oracle import check_copy_clip
from ..support.sources import make_source


def _job(workdir: Path, plays: Path, angles: tuple[str, ...] | None = None, **kw: object) -> Job:
    return Job(
        plays=LocalPlaysFile(str(plays)),
        videos=LocalStorage(str(workdir / "videos")),
        out=LocalStorage(str(workdir / "out")),
        run_id="r1",
        angles=angles,
        **kw,  # type: ignore[arg-type]
    )


def _files(workdir: Path, game: str, names: dict[str, Path | bytes]) -> None:
    folder = workdir / "videos" / game
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in names.items():
        if isinstance(content, Path):
            (folder / name).symlink_to(content)
        else:
            (folder / name).write_bytes(content)


def _plays(game: str, *rows: tuple[str, float, float]) -> list[dict]:
    return [{"game_id": game, "play_id": p, "start_s": s, "end_s": e} for p, s, e in rows]


def test_angles_are_the_files_in_the_game_folder(workdir: Path) -> None:
    mkv, ts = make_source("mkv"), make_source("ts_far")
    _files(workdir, "g1", {"WIDE.mkv": mkv, "TIGHT.ts": ts, "notes.txt": b"hello"})
    plays = write_plays(workdir / "plays.json", _plays("g1", ("p1", 2.0, 4.0)))

    report = run_game("g1", _job(workdir, plays))

    assert report.status == "ok", report.to_dict()
    assert [a.angle for a in report.angles] == ["TIGHT", "WIDE"]
    records = read_manifest(workdir / "out", "g1")
    assert {r["angle"] for r in records} == {"TIGHT", "WIDE"}
    for r in records:
        check_copy_clip(mkv if r["angle"] == "WIDE" else ts, Path(r["uri"]), r, 2.0, 4.0)


def test_angles_are_the_video_rows_in_their_order(workdir: Path) -> None:
    source = make_source("bframes")
    _files(workdir, "g1", {"a.mp4": source, "b.mp4": source, "FAR_LEFT.mp4": source})
    videos = [
        {"game_id": "g1", "angle": "SIDELINE", "uri": "g1/b.mp4", "offset_s": 0.5},
        {"game_id": "g1", "angle": "END_ZONE", "uri": "g1/a.mp4"},
    ]
    plays = write_plays(workdir / "plays.json", _plays("g1", ("p1", 2.0, 4.0)), videos)

    report = run_game("g1", _job(workdir, plays))

    assert report.status == "ok", report.to_dict()
    assert [a.angle for a in report.angles] == ["SIDELINE", "END_ZONE"]
    by_angle = {r["angle"]: r for r in read_manifest(workdir / "out", "g1")}
    assert set(by_angle) == {"SIDELINE", "END_ZONE"}
    check_copy_clip(source, Path(by_angle["SIDELINE"]["uri"]), by_angle["SIDELINE"], 2.5, 4.5)


def test_angles_filters_and_a_missing_angle_says_what_exists(workdir: Path) -> None:
    source = make_source("bframes")
    _files(workdir, "g1", {"WIDE.mp4": source, "TIGHT.mp4": source})
    plays = write_plays(workdir / "plays.json", _plays("g1", ("p1", 2.0, 4.0)))

    report = run_game("g1", _job(workdir, plays, ("TIGHT", "FAR_LEFT")))

    assert report.status == "partial"
    assert [a.angle for a in report.angles] == ["TIGHT", "FAR_LEFT"]
    error = next(a.error for a in report.angles if a.angle == "FAR_LEFT")
    assert "no video for FAR_LEFT" in error
    assert "TIGHT.mp4, WIDE.mp4" in error and "angles: TIGHT, WIDE" in error
    assert "--angles" in error and "\n" not in error
    assert {r["angle"] for r in read_manifest(workdir / "out", "g1")} == {"TIGHT"}


def test_no_videos_at_all_expects_the_four_usual_names(workdir: Path) -> None:
    (workdir / "videos" / "g1").mkdir()
    plays = write_plays(workdir / "plays.json", _plays("g1", ("p1", 2.0, 4.0)))

    report = run_game("g1", _job(workdir, plays))

    assert [a.angle for a in report.angles] == ["FAR_LEFT", "NEAR_LEFT", "FAR_RIGHT", "NEAR_RIGHT"]
    assert all("no video files under" in a.error for a in report.angles)
    assert report.status == "failed"


def _concat_script(target: Path) -> bytes:
    return f"ffconcat version 1.0\nfile '{target}'\n".encode()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("concat", "concat"),
        (
            "sdp",
            b"v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\n"
            b"m=video 5004 RTP/AVP 96\na=rtpmap:96 H264/90000\n",
        ),
        ("hls", b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n/etc/passwd\n#EXT-X-ENDLIST\n"),
        ("avi", "avi"),
    ],
)
def test_unsupported_sources_are_refused_in_one_line(
    workdir: Path, tmp_path: Path, name: str, content: object
) -> None:
    source = make_source("bframes")
    if content == "concat":
        data = _concat_script(source)
    elif content == "avi":
        import subprocess

        from playclips.media.tools import ffmpeg_exe

        avi = tmp_path / "x.avi"
        subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-i", str(source), "-t", "2", "-c", "copy", str(avi)],
            check=True,
        )
        data = avi.read_bytes()
    else:
        assert isinstance(content, bytes)
        data = content
    _files(workdir, "g1", {"FAR_LEFT.mp4": source, "NEAR_LEFT.mp4": data})
    plays = write_plays(workdir / "plays.json", _plays("g1", ("p1", 2.0, 4.0)))

    report = run_game("g1", _job(workdir, plays))

    assert report.status == "partial"
    near = next(a for a in report.angles if a.angle == "NEAR_LEFT")
    assert "MP4/MOV, Matroska/WebM or MPEG-TS" in near.error, near.error
    assert "\n" not in near.error
    assert near.clips_made == 0
    records = read_manifest(workdir / "out", "g1")
    assert {(r["play_id"], r["angle"]) for r in records} == {("p1", "FAR_LEFT")}
    assert not (workdir / "out" / "clips" / "g1" / "NEAR_LEFT").exists()


def test_keyframes_further_apart_than_the_preroll_limit_fail_each_play(workdir: Path) -> None:
    source = make_source("long_gop")  # a keyframe every 10 s
    _files(workdir, "g1", {"FAR_LEFT.mp4": source})
    plays = write_plays(
        workdir / "plays.json", _plays("g1", ("late", 18.0, 19.0), ("early", 0.5, 1.0))
    )

    report = run_game("g1", _job(workdir, plays, limits=CutLimits(max_preroll_s=2.0)))

    failed = {f.play_id: f.reason for f in report.failed}
    assert set(failed) == {"late"}
    assert "found no keyframe" in failed["late"] and "--mode encode" in failed["late"]
    assert {r["play_id"] for r in read_manifest(workdir / "out", "g1")} == {"early"}
    assert read_report(workdir / "out", "r1", "g1")["status"] == "partial"


def test_a_clip_larger_than_the_byte_limit_fails_alone(workdir: Path) -> None:
    source = make_source("bframes")
    _files(workdir, "g1", {"FAR_LEFT.mp4": source})
    plays = write_plays(workdir / "plays.json", _plays("g1", ("long", 0.0, 19.0), ("short", 4, 5)))

    report = run_game("g1", _job(workdir, plays, limits=CutLimits(max_clip_bytes=400_000)))

    assert {f.play_id for f in report.failed} == {"long"}
    assert "PLAYCLIPS_MAX_CLIP_BYTES" in report.failed[0].reason
    assert not (workdir / "out" / "clips" / "g1" / "FAR_LEFT" / "long.mp4").exists()
    assert {r["play_id"] for r in read_manifest(workdir / "out", "g1")} == {"short"}


def test_frames_larger_than_the_pixel_limit_refuse_the_angle(workdir: Path) -> None:
    _files(workdir, "g1", {"FAR_LEFT.mp4": make_source("bframes")})
    plays = write_plays(workdir / "plays.json", _plays("g1", ("p1", 2.0, 4.0)))

    report = run_game("g1", _job(workdir, plays, limits=CutLimits(max_frame_pixels=320 * 200)))

    assert report.status == "failed"
    assert "320x240" in report.angles[0].error
    assert "PLAYCLIPS_MAX_FRAME_PIXELS" in report.angles[0].error


def _packet(pts: int, key: bool = False) -> _Packet:
    return _Packet(0, b"x", pts, pts, 1, key, Fraction(1, 30))


def test_a_clip_whose_packets_do_not_make_the_plan_is_not_stored() -> None:
    spec = ClipSpec(Play("g1", "p1", 0.0, 1.0), "FAR_LEFT", 0.0, 1.0)
    tb = Fraction(1, 30)
    key = _packet(0, key=True)
    twice = [key, _packet(1), _packet(1)]
    with pytest.raises(MediaError, match="share a timestamp"):
        _verify("v", spec, key, twice, twice, Fraction(0), Fraction(1), tb)
    before = [key, _packet(-1)]
    with pytest.raises(MediaError, match="shown before its keyframe"):
        _verify("v", spec, key, before, before, Fraction(0), Fraction(1), tb)
    not_key = _packet(0)
    with pytest.raises(MediaError, match="does not start on a keyframe"):
        _verify("v", spec, not_key, [not_key], [not_key], Fraction(0), Fraction(1), tb)


def _claim_samples(data: bytes, count: int) -> bytes:
    """The MP4 with its video stsz turned into a constant-size table claiming `count` samples."""
    at = data.index(b"stsz")
    patched = bytearray(data)
    patched[at + 8 : at + 12] = (1000).to_bytes(4, "big")  # every sample 1000 bytes
    patched[at + 12 : at + 16] = count.to_bytes(4, "big")
    return bytes(patched)


def test_an_index_claiming_80_million_samples_is_refused_before_it_is_loaded(
    workdir: Path,
) -> None:
    import json
    import subprocess
    import sys

    source = make_source("faststart")
    _files(workdir, "g1", {"FAR_LEFT.mp4": _claim_samples(source.read_bytes(), 80_000_000)})
    _files(workdir, "g1", {"NEAR_LEFT.mp4": source})
    write_plays(workdir / "plays.json", _plays("g1", ("p1", 2.0, 4.0)))
    script = (
        "import json, sys\n"
        "def peak_kib():\n"
        "    with open('/proc/self/status') as f:\n"
        "        return int(next(x for x in f if x.startswith('VmHWM')).split()[1])\n"
        "from playclips.clipping.game import Job, run_game\n"
        "from playclips.plays import LocalPlaysFile\n"
        "from playclips.storage import LocalStorage\n"
        "w = sys.argv[1]\n"
        "job = Job(LocalPlaysFile(w + '/plays.json'), LocalStorage(w + '/videos'),\n"
        "          LocalStorage(w + '/out'), 'r1')\n"
        "r = run_game('g1', job)\n"
        "print(json.dumps({'status': r.status, 'errors': [a.error for a in r.angles],\n"
        "  'rss_mib': peak_kib() / 1024}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(workdir)], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])

    assert result["status"] == "partial"
    far = result["errors"][0]
    assert "its index lists 80000939 samples" in far and "PLAYCLIPS_MAX_INDEX_ENTRIES" in far
    print(f"peak RSS with an index claiming 80 M samples: {result['rss_mib']:.0f} MiB")
    assert result["rss_mib"] < 300, result  # libavformat would take ~2.9 GB to load that index
    assert {r["angle"] for r in read_manifest(workdir / "out", "g1")} == {"NEAR_LEFT"}
