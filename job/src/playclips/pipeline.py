"""One game, end to end: plays -> plan -> ranged read -> cut -> put -> manifest -> report.

Angles run concurrently (each has its own open container); within an angle, clips are cut in
order of start time while the previous clips upload, with a bounded number in flight so memory
stays flat however long the game. Every clip is put create-only; a clip that already exists
with metadata matching the source version and the clip spec is not made again, and the video
is not even opened when every clip of an angle exists. The manifest is written last, whole,
then the contact sheet (sheet.py).

Encode mode (media/encode.py) adds one step between cut and put: the cut clip goes to a pool
of ffmpeg encodes shared by the game's angles, as many at once as the job has CPUs for; each
angle's upload thread takes its clips' encodes in order, so uploads never wait on a busy CPU
slot and at most uploads_in_flight + encodes_in_flight cut clips per angle are held in memory.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from .manifest import MANIFEST_CONTENT_TYPE, clip_record, manifest_key, render_manifest
from .media.cut import AngleReader, Cut, CutLimits, MediaError, PlayOutsideVideo
from .media.encode import VIDEO_CODEC, EncodeOptions, encode_cut
from .media.readplan import plan_reads
from .model import ClipSpec, Game, InvalidId, PlayIssue, VideoInfo, check_id
from .plan import fit_to_video, plan_game, spec_hash
from .plays import PlaysError, PlaysSource
from .report import REPORT_CONTENT_TYPE, AngleReport, GameReport, report_key
from .sheet import Tiles, thumbnail, write_contact_sheet
from .storage import (
    ObjectInfo,
    PreconditionFailed,
    ReadStats,
    Storage,
    StorageError,
)
from .videos import AngleFailed, GameVideos, game_videos

CLIP_CONTENT_TYPE = "video/mp4"
META_SOURCE = "playclips-source"
META_GENERATION = "playclips-source-generation"
META_SPEC = "playclips-spec"
META_FACTS = "playclips-clip"


class Events(Protocol):
    """What the pipeline tells a progress display or log as it goes."""

    def angle_planned(self, game_id: str, angle: str, clips: int) -> None: ...

    def clip_done(self, game_id: str, angle: str, status: str, nbytes: int) -> None: ...

    def angle_done(self, game_id: str, report: AngleReport) -> None: ...


class NoEvents:
    """Events sink that ignores everything (library use, tests)."""

    def angle_planned(self, game_id: str, angle: str, clips: int) -> None:
        pass

    def clip_done(self, game_id: str, angle: str, status: str, nbytes: int) -> None:
        pass

    def angle_done(self, game_id: str, report: AngleReport) -> None:
        pass


@dataclass
class Job:
    """Everything a game needs besides its id."""

    plays: PlaysSource
    videos: Storage
    out: Storage
    run_id: str
    angles: Sequence[str] | None = None  # None: every angle the game has (videos.py)
    angles_in_flight: int = 4
    uploads_in_flight: int = 1  # 2 held 56 MiB more for no speed-up (docs/performance.md)
    read_buffer: int = 1 << 16
    events: Events = field(default_factory=NoEvents)
    stop: threading.Event = field(default_factory=threading.Event)
    mode: str = "copy"  # copy | encode
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    encodes_in_flight: int = 1  # clips of one game encoded at once (encode.encoder_slots)
    encode_threads: int = 1  # ffmpeg threads per encode
    limits: CutLimits = field(default_factory=CutLimits)

    @property
    def clip_options(self) -> dict[str, Any]:
        """Everything besides the play and source that decides a clip's bytes."""
        if self.mode == "encode":
            return {"mode": "encode", "format": 1, **asdict(self.encode)}
        return {"mode": "copy", "format": 1}


def run_game(game_id: str, job: Job) -> GameReport:
    """Clip one game; never raises for bad input: the report says what went wrong."""
    started = time.monotonic()
    report = GameReport(run_id=job.run_id, game_id=str(game_id))
    report.storage_retries = -_storage_retries(job)  # made the game's count in _finish
    try:
        check_id("game", game_id)
        game = job.plays.load_game(game_id)
    except (InvalidId, PlaysError, StorageError) as exc:
        report.status, report.error = "failed", str(exc)
        return _finish(report, job, started, write=not isinstance(exc, InvalidId))
    videos = game_videos(game, job.videos, job.angles)
    specs, rejected = plan_game(game, videos.angles)
    report.plays, report.rejected = len(game.plays) + len(game.issues), rejected
    report.clips_planned = len(specs)
    if not game.plays:
        report.status, report.error = "failed", f"game {game_id} has no usable plays"
        return _finish(report, job, started)
    by_angle = {a: [s for s in specs if s.angle == a] for a in videos.angles}
    records: list[dict[str, Any]] = []
    work = _GameWork(job)
    with work, ThreadPoolExecutor(max_workers=max(1, job.angles_in_flight)) as pool:
        futures = {
            angle: pool.submit(_run_angle, game, angle, by_angle[angle], videos, job, work)
            for angle in videos.angles
        }
        for _angle, future in futures.items():
            angle_report, angle_records, issues = future.result()
            report.angles.append(angle_report)
            records.extend(angle_records)
            report.rejected.extend(issues["rejected"])
            report.warnings.extend(issues["warnings"])
            report.failed.extend(issues["failed"])
            job.events.angle_done(game_id, angle_report)
    report.status = _status(report, job)
    if report.status == "interrupted":
        done = report.clips_made + report.clips_skipped
        report.error = (
            f"stopped (SIGTERM) with {done} of {report.clips_planned} clips done; "
            "run it again to finish: clips already made are kept and skipped"
        )
    if report.status != "interrupted":
        report.manifest = job.out.uri(manifest_key(game_id))
        job.out.put(
            manifest_key(game_id), render_manifest(records), content_type=MANIFEST_CONTENT_TYPE
        )
        _write_sheet(report, records, job, work.tiles, videos.angles)
    return _finish(report, job, started)


class _GameWork:
    """What a game's angles share: the encode pool (encode mode) and the sheet's tiles."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.tiles = Tiles()
        self.encodes = max(1, job.encodes_in_flight) if job.mode == "encode" else 0
        self._pool = ThreadPoolExecutor(max_workers=self.encodes) if self.encodes else None

    def __enter__(self) -> _GameWork:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool:
            self._pool.shutdown(wait=True)

    def make(self, cut: Cut, info: VideoInfo) -> Future[tuple[bytes, dict[str, Any]]]:
        """The clip's bytes and facts: the cut itself (copy) or its encode (a pool's future)."""
        if self._pool is None:
            done: Future[tuple[bytes, dict[str, Any]]] = Future()
            done.set_result((cut.data, _facts(cut, info)))
            return done
        return self._pool.submit(_encode, cut, info, self.job)


def _write_sheet(
    report: GameReport,
    records: list[dict[str, Any]],
    job: Job,
    tiles: Tiles,
    angles: Sequence[str],
) -> None:
    """Put the contact sheet; a failure is noted in the report but fails no clip."""
    try:
        report.contact_sheet = write_contact_sheet(job.out, report.game_id, angles, records, tiles)
    except (StorageError, OSError, ValueError) as exc:
        report.contact_sheet_error = f"the contact sheet was not written: {exc}"


def _status(report: GameReport, job: Job) -> str:
    if job.stop.is_set() or any(a.status == "interrupted" for a in report.angles):
        return "interrupted"
    failed = any(a.status == "failed" for a in report.angles) or report.clips_failed
    if not failed:
        return "ok"
    return "partial" if report.clips_made + report.clips_skipped else "failed"


def _finish(report: GameReport, job: Job, started: float, write: bool = True) -> GameReport:
    report.seconds = round(time.monotonic() - started, 3)
    report.storage_retries += _storage_retries(job)
    if write:
        write_report(report, job)
    return report


def _storage_retries(job: Job) -> int:
    """Retries counted so far by the job's storage roots (those that count them: GCS)."""
    roots = {id(s): s for s in (job.videos, job.out)}.values()
    return sum(s.retry_stats.retries for s in roots if hasattr(s, "retry_stats"))


def write_report(report: GameReport, job: Job) -> None:
    """Put the game's report; a failure to do so fails the game and says why."""
    try:
        job.out.put(
            report_key(job.run_id, report.game_id),
            report.to_json(),
            content_type=REPORT_CONTENT_TYPE,
        )
    except StorageError as exc:
        report.status = "failed"
        report.error = report.error or f"could not write the report: {exc}"


def _run_angle(
    game: Game, angle: str, specs: list[ClipSpec], videos: GameVideos, job: Job, work: _GameWork
) -> tuple[AngleReport, list[dict[str, Any]], dict[str, list[PlayIssue]]]:
    report = AngleReport(angle=angle)
    issues: dict[str, list[PlayIssue]] = {"rejected": [], "warnings": [], "failed": []}
    records: list[dict[str, Any]] = []
    started = time.monotonic()
    stats = ReadStats()
    job.events.angle_planned(game.game_id, angle, len(specs))
    try:
        if specs:
            _clip_angle(game, angle, specs, videos, job, report, records, issues, stats, work)
    except (AngleFailed, MediaError, StorageError) as exc:
        report.status, report.error = "failed", str(exc)
        report.clips_failed = len(specs) - report.clips_made - report.clips_skipped
    finally:
        report.bytes_read, report.read_requests = stats.bytes_read, stats.requests
        report.retries = stats.retries
        report.seconds = round(time.monotonic() - started, 3)
    if job.stop.is_set() and report.status == "ok":
        done = report.clips_made + report.clips_skipped + report.clips_failed
        if done < len(specs):
            report.status = "interrupted"
    return report, records, issues


def _clip_angle(
    game: Game,
    angle: str,
    specs: list[ClipSpec],
    videos: GameVideos,
    job: Job,
    report: AngleReport,
    records: list[dict[str, Any]],
    issues: dict[str, list[PlayIssue]],
    stats: ReadStats,
    work: _GameWork,
) -> None:
    storage, key = videos.resolve(game, angle)
    report.video = storage.uri(key)
    try:
        source = storage.stat(key)
    except StorageError as exc:
        raise AngleFailed(f"cannot read {report.video}: {exc}") from None
    if source is None:
        raise AngleFailed(f"no video for {angle}: {report.video} does not exist")
    options = job.clip_options
    pending: list[tuple[ClipSpec, str, ObjectInfo | None]] = []
    for spec in specs:
        digest = spec_hash(spec, options)
        existing = job.out.stat(spec.key)
        if existing and _matches(existing, source, digest):
            records.append(_record(spec, job.out, json.loads(existing.metadata[META_FACTS])))
            work.tiles.add(spec.key, digest, None)  # the sheet finds the tile it had
            report.clips_skipped += 1
            job.events.clip_done(game.game_id, angle, "skipped", 0)
        else:
            pending.append((spec, digest, existing))
    if not pending:
        return
    try:
        reader = AngleReader(
            storage.open_read(key, stats), report.video, job.read_buffer, job.limits
        )
    except (MediaError, StorageError) as exc:
        raise AngleFailed(str(exc)) from None
    with reader, ThreadPoolExecutor(max_workers=1) as uploads:
        info = reader.info()
        fitted, rejected = fit_to_video([s for s, _, _ in pending], info.duration_s)
        plan_reads(reader, fitted)  # fetch the clips' bytes ahead (indexed containers)
        issues["rejected"].extend(rejected)
        meta_of = {s.key: (d, e) for s, d, e in pending}
        in_flight: deque[tuple[ClipSpec, Future[_Made]]] = deque()
        for spec in fitted:
            if job.stop.is_set():
                break
            try:
                cut = reader.cut(spec)
            except PlayOutsideVideo as exc:
                issues["rejected"].append(PlayIssue(spec.play.play_id, str(exc), angle))
                job.events.clip_done(game.game_id, angle, "rejected", 0)
                continue
            except MediaError as exc:
                issues["failed"].append(PlayIssue(spec.play.play_id, str(exc), angle))
                report.clips_failed += 1
                job.events.clip_done(game.game_id, angle, "failed", 0)
                continue
            except StorageError:  # the video became unreadable: fail the angle, but first
                while in_flight:  # account for the clips already uploading (made or failed)
                    _settle(in_flight.popleft(), game, angle, job, report, records, issues)
                raise
            digest, existing = meta_of[spec.key]
            metadata = {
                META_SOURCE: report.video,
                META_GENERATION: str(source.generation),
                META_SPEC: digest,
            }
            issues["warnings"].extend(PlayIssue(spec.play.play_id, n, angle) for n in cut.notes)
            made = work.make(cut, info)
            future = uploads.submit(_store_clip, job.out, spec, made, metadata, existing, work)
            in_flight.append((spec, future))
            while len(in_flight) > job.uploads_in_flight + work.encodes:
                _settle(in_flight.popleft(), game, angle, job, report, records, issues)
        while in_flight:
            _settle(in_flight.popleft(), game, angle, job, report, records, issues)


def _settle(
    item: tuple[ClipSpec, Future[_Made]],
    game: Game,
    angle: str,
    job: Job,
    report: AngleReport,
    records: list[dict[str, Any]],
    issues: dict[str, list[PlayIssue]],
) -> None:
    spec, future = item
    try:
        info, record = future.result()
    except (StorageError, MediaError) as exc:
        reason = str(exc) if isinstance(exc, MediaError) else f"upload failed: {exc}"
        issues["failed"].append(PlayIssue(spec.play.play_id, reason, angle))
        report.clips_failed += 1
        job.events.clip_done(game.game_id, angle, "failed", 0)
        return
    records.append(record)
    report.clips_made += 1
    report.bytes_written += info.size
    job.events.clip_done(game.game_id, angle, "made", info.size)


# A stored clip's object and its manifest record.
_Made = tuple[ObjectInfo, dict[str, Any]]


def _store_clip(
    out: Storage,
    spec: ClipSpec,
    made: Future[tuple[bytes, dict[str, Any]]],
    metadata: dict[str, str],
    existing: ObjectInfo | None,
    work: _GameWork,
) -> _Made:
    """Wait for the clip's bytes, take its thumbnail while they are in memory, put it."""
    data, facts = made.result()
    try:
        tile = thumbnail(data, facts["play_start_offset_s"])
    except ValueError:
        tile = None  # a blank tile; the clip itself is fine
    work.tiles.add(spec.key, metadata[META_SPEC], tile)
    metadata = {**metadata, META_FACTS: json.dumps(facts, sort_keys=True)}
    info = _put_clip(out, spec, data, metadata, existing)
    return info, _record(spec, out, facts)


def _put_clip(
    out: Storage, spec: ClipSpec, data: bytes, metadata: dict[str, str], existing: ObjectInfo | None
) -> ObjectInfo:
    """Create the clip; replace only the exact stale version seen; accept a racing twin."""
    generation = existing.generation if existing else 0
    try:
        return out.put(
            spec.key,
            data,
            content_type=CLIP_CONTENT_TYPE,
            metadata=metadata,
            if_generation_match=generation,
        )
    except PreconditionFailed:
        current = out.stat(spec.key)
        if (
            current
            and current.metadata.get(META_SPEC) == metadata[META_SPEC]
            and (current.metadata.get(META_GENERATION) == metadata[META_GENERATION])
        ):
            return current  # another run made the same clip first
        raise


def _matches(existing: ObjectInfo, source: ObjectInfo, digest: str) -> bool:
    meta = existing.metadata
    return (
        meta.get(META_GENERATION) == str(source.generation)
        and meta.get(META_SPEC) == digest
        and META_FACTS in meta
    )


def _record(spec: ClipSpec, out: Storage, facts: dict[str, Any]) -> dict[str, Any]:
    return clip_record(spec.play, spec.angle, out.uri(spec.key), facts, facts.get("note", ""))


def _facts(cut: Cut, info: VideoInfo) -> dict[str, Any]:
    facts = {
        "clip_start_s": round(cut.clip_start_s, 6),
        "clip_end_s": round(cut.clip_end_s, 6),
        "play_start_offset_s": round(cut.play_start_offset_s, 6),
        "play_end_offset_s": round(cut.play_end_offset_s, 6),
        "duration_s": round(cut.clip_end_s - cut.clip_start_s, 6),
        "bytes": len(cut.data),
        "frames": cut.frames,
        "video_codec": info.video_codec,
        "width": info.width,
        "height": info.height,
        "fps": info.fps,
        "mode": "copy",
    }
    if cut.notes:
        facts["note"] = "; ".join(cut.notes)
    return facts


def _encode(cut: Cut, info: VideoInfo, job: Job) -> tuple[bytes, dict[str, Any]]:
    encoded = encode_cut(cut, job.encode, info.fps, job.encode_threads)
    duration = round(encoded.end_s - encoded.start_s, 6)
    facts = {
        "clip_start_s": round(encoded.start_s, 6),
        "clip_end_s": round(encoded.end_s, 6),
        "play_start_offset_s": 0.0,
        "play_end_offset_s": duration,
        "duration_s": duration,
        "bytes": len(encoded.data),
        "frames": encoded.frames,
        "video_codec": VIDEO_CODEC,
        "width": encoded.width,
        "height": encoded.height,
        "fps": encoded.fps,
        "mode": "encode",
    }
    if cut.notes:
        facts["note"] = "; ".join(cut.notes)
    return encoded.data, facts
