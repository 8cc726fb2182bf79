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

from ..layout import clips_prefix, manifest_key, report_key
from ..media.cut import AngleReader, Cut, CutLimits, MediaError, PlayOutsideVideo
from ..media.encode import VIDEO_CODEC, EncodeOptions, encode_cut
from ..media.readplan import plan_reads
from ..model import ClipSpec, Game, InvalidId, PlayIssue, VideoInfo, check_id, is_angle
from ..outputs.manifest import MANIFEST_CONTENT_TYPE, clip_record, render_manifest
from ..outputs.report import REPORT_CONTENT_TYPE, AngleReport, GameReport, one_line
from ..outputs.sheet import Tiles, thumbnail, write_contact_sheet
from ..plan import fit_to_video, plan_game, spec_hash
from ..plays import PlaysError, PlaysSource
from ..storage import (
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
META_OPTIONS = "playclips-options"  # the clip options (Job.clip_options) it was made with


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
        report.status, report.error = "failed", one_line(str(exc))
        if isinstance(exc, InvalidId):  # never written; shown only, on one line
            report.game_id = one_line(report.game_id)
        return _finish(report, job, started, write=not isinstance(exc, InvalidId))
    videos = game_videos(game, job.videos, job.angles)
    specs, rejected = plan_game(game, videos.angles)
    report.plays, report.rejected = len(game.plays) + len(game.issues), rejected
    report.clips_planned = len(specs)
    if not game.plays or not specs:
        # nothing to clip: the manifest is left as it is (see _write_manifest)
        report.status = "failed"
        report.error = (
            f"game {game_id} has no usable plays"
            if not game.plays
            else f"no play of game {game_id} can be clipped: all {report.plays} were rejected "
            "(the warnings say why)"
        )
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
            angle_report.error = one_line(angle_report.error)
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
    elif report.status == "failed" and not (report.clips_failed or report.angles_failed):
        report.error = (
            f"no play of game {game_id} can be clipped on any angle (the warnings say why)"
        )
    if report.status != "interrupted":
        records.extend(_earlier_records(game, specs, records, videos, job))
        if _write_manifest(report, records, job):
            _write_sheet(report, records, job, work.tiles, videos.angles)
    return _finish(report, job, started)


def _write_manifest(report: GameReport, records: list[dict[str, Any]], job: Job) -> bool:
    """Replace the game's manifest with `records`; False when there are none or it failed.

    With no record at all (every play rejected, every angle failed with nothing made before)
    the manifest is left as it was: a run that lists nothing must not wipe what an earlier
    run listed. A manifest that cannot be written fails the game.
    """
    if not records:
        return False
    try:
        data = render_manifest(records)
        job.out.put(manifest_key(report.game_id), data, content_type=MANIFEST_CONTENT_TYPE)
    except (StorageError, ValueError) as exc:
        report.status = "failed"
        report.error = one_line(f"the manifest was not written: {exc}")
        return False
    report.manifest = job.out.uri(manifest_key(report.game_id))
    return True


def _earlier_records(
    game: Game,
    specs: list[ClipSpec],
    records: list[dict[str, Any]],
    videos: GameVideos,
    job: Job,
) -> list[dict[str, Any]]:
    """Records of clips this run did not make or skip but that still belong in the manifest.

    The manifest lists every clip of the game that exists and matches the current plays, made
    now or earlier: also the clips of angles not selected this run (--angles) and of angles
    that failed this time. A clip belongs when its spec hash, recomputed from the current play
    and the options the clip was made with, equals the one stored on it, and its source has
    not been replaced since (when the source can be found: a video that is gone now does not
    make its clips wrong).
    """
    try:
        existing = set(job.out.list(clips_prefix(game.game_id)))
    except StorageError:
        return []
    have = {(r["play_id"], r["angle"]) for r in records}
    on_disk = {k.split("/")[2] for k in existing if k.count("/") == 3}
    others = sorted(a for a in on_disk if a not in videos.angles and is_angle(a))
    candidates = specs + plan_game(game, others)[0] if others else specs
    sources: dict[str, ObjectInfo | None] = {}
    found: list[dict[str, Any]] = []
    for spec in candidates:
        if (spec.play.play_id, spec.angle) in have or spec.key not in existing:
            continue
        try:
            info = job.out.stat(spec.key)
        except StorageError:
            continue
        meta = info.metadata if info else {}
        options = _made_with(meta, job)
        if options is None or meta.get(META_SPEC) != spec_hash(spec, options):
            continue
        if spec.angle not in sources:
            sources[spec.angle] = _source_info(game, spec.angle, videos)
        source = sources[spec.angle]
        if source is not None and meta.get(META_GENERATION) != str(source.generation):
            continue  # the video was replaced: this clip shows the old one
        try:
            facts = json.loads(meta[META_FACTS])
        except (KeyError, ValueError):
            continue
        found.append(_record(spec, job.out, facts))
        have.add((spec.play.play_id, spec.angle))
    return found


def _made_with(meta: dict[str, str], job: Job) -> dict[str, Any] | None:
    """The clip options a stored clip was made with (None if they cannot be known)."""
    if META_OPTIONS in meta:
        try:
            options = json.loads(meta[META_OPTIONS])
        except ValueError:
            return None
        return options if isinstance(options, dict) else None
    try:  # a clip made before the options were stored: its facts give the mode
        mode = json.loads(meta.get(META_FACTS, "{}")).get("mode")
    except (ValueError, AttributeError):
        return None
    if mode == job.mode:
        return job.clip_options
    return {"mode": "copy", "format": 1} if mode == "copy" else None


def _source_info(game: Game, angle: str, videos: GameVideos) -> ObjectInfo | None:
    try:
        storage, key = videos.resolve(game, angle)
        return storage.stat(key)
    except (AngleFailed, StorageError):
        return None


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
        timing = {a.angle: _timing_line(a) for a in report.angles}
        report.contact_sheet = write_contact_sheet(
            job.out, report.game_id, angles, records, tiles, timing
        )
    except (StorageError, OSError, ValueError) as exc:
        report.contact_sheet_error = f"the contact sheet was not written: {exc}"


def _timing_line(angle: AngleReport) -> str:
    """One short line: how the angle's file maps onto the game clock, and its last sync."""
    line = f"{angle.offset_s:+.3f} s"
    if angle.drift_ppm:
        line += f", {angle.drift_ppm:+.1f} ppm"
    if angle.synced_at and angle.sync_confidence is not None:
        return line + f", synced ({angle.sync_confidence:.2f})"
    return line + ", never synced"


def _status(report: GameReport, job: Job) -> str:
    """interrupted; failed when no clip of the game was made or found made (whatever the
    reason: bad angles, or every play rejected); partial when some were; else ok."""
    if job.stop.is_set() or any(a.status == "interrupted" for a in report.angles):
        return "interrupted"
    if not report.clips_made + report.clips_skipped:
        return "failed"
    return "partial" if report.angles_failed or report.clips_failed else "ok"


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
    except (StorageError, ValueError) as exc:
        report.status = "failed"
        report.error = report.error or one_line(f"could not write the report: {exc}")


def _run_angle(
    game: Game, angle: str, specs: list[ClipSpec], videos: GameVideos, job: Job, work: _GameWork
) -> tuple[AngleReport, list[dict[str, Any]], dict[str, list[PlayIssue]]]:
    report = AngleReport(angle=angle)
    if angle in game.videos:
        video = game.videos[angle]
        report.offset_s, report.drift_ppm = video.offset_s, video.drift_ppm
        report.synced_at, report.sync_confidence = video.synced_at, video.sync_confidence
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
                META_OPTIONS: json.dumps(options, sort_keys=True),
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
