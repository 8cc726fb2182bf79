"""One angle of one game: skip the clips already made, cut the others, hand them to upload.

Within an angle, clips are cut in order of start time while the previous clips upload, with a
bounded number in flight so memory stays flat however long the game; the video is not even
opened when every clip of the angle exists. In encode mode each cut goes to the game's pool of
ffmpeg encodes (GameWork) first; the angle's upload thread takes its clips' encodes in order,
so at most uploads_in_flight + encodes_in_flight cut clips per angle are held in memory.
"""

from __future__ import annotations

import json
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..media.cut import AngleReader, Cut, MediaError, PlayOutsideVideo
from ..media.encode import VIDEO_CODEC, encode_cut
from ..media.readplan import plan_reads
from ..model import ClipSpec, Game, PlayIssue, VideoInfo
from ..outputs.report import AngleReport
from ..outputs.sheet import Tiles, thumbnail
from ..plan import fit_to_video, spec_hash
from ..storage import ObjectInfo, ReadStats, Storage, StorageError
from .job import Job
from .store import META_FACTS, META_SPEC, clip_metadata, matches, put_clip, record
from .videos import AngleFailed, GameVideos

# A clip's bytes and facts, once cut (copy) or encoded.
_Clip = tuple[bytes, dict[str, Any]]
# A stored clip's object and its manifest record.
_Made = tuple[ObjectInfo, dict[str, Any]]
# A clip still to make: its spec, its spec hash, and the stale object it replaces (if any).
_Pending = tuple[ClipSpec, str, ObjectInfo | None]


@dataclass
class AngleIssues:
    """The plays an angle could not clip, by kind, for the game's report."""

    rejected: list[PlayIssue] = field(default_factory=list)
    warnings: list[PlayIssue] = field(default_factory=list)
    failed: list[PlayIssue] = field(default_factory=list)


@dataclass
class AngleOutcome:
    """An angle's run as the game needs it back: what AngleRun holds, without its work."""

    report: AngleReport
    records: list[dict[str, Any]]
    issues: AngleIssues


class GameWork:
    """What a game's angles share: the encode pool (encode mode) and the sheet's tiles."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.tiles = Tiles()
        self.encodes = max(1, job.encodes_in_flight) if job.mode == "encode" else 0
        self._pool = ThreadPoolExecutor(max_workers=self.encodes) if self.encodes else None

    def __enter__(self) -> GameWork:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool:
            self._pool.shutdown(wait=True)

    def make(self, cut: Cut, info: VideoInfo) -> Future[_Clip]:
        """The clip's bytes and facts: the cut itself (copy) or its encode (a pool's future)."""
        if self._pool is None:
            done: Future[_Clip] = Future()
            done.set_result((cut.data, _facts(cut, info)))
            return done
        return self._pool.submit(_encode, cut, info, self.job)


class AngleRun:
    """One angle's run: its report, its manifest records and the plays it could not clip."""

    def __init__(
        self, game: Game, angle: str, specs: list[ClipSpec], videos: GameVideos, work: GameWork
    ) -> None:
        self.game, self.angle, self.specs = game, angle, specs
        self.videos, self.work, self.job = videos, work, work.job
        self.report = AngleReport(angle=angle)
        self.records: list[dict[str, Any]] = []
        self.issues = AngleIssues()
        self.stats = ReadStats()
        if angle in game.videos:
            video = game.videos[angle]
            self.report.offset_s, self.report.drift_ppm = video.offset_s, video.drift_ppm
            self.report.synced_at = video.synced_at
            self.report.sync_confidence = video.sync_confidence

    def run(self) -> AngleRun:
        """Clip the angle; an angle that cannot be read fails alone (its report says why)."""
        report, job = self.report, self.job
        started = time.monotonic()
        job.events.angle_planned(self.game.game_id, self.angle, len(self.specs))
        try:
            if self.specs:
                self._clip()
        except (AngleFailed, MediaError, StorageError) as exc:
            report.status, report.error = "failed", str(exc)
            report.clips_failed = len(self.specs) - report.clips_made - report.clips_skipped
        finally:
            report.bytes_read, report.read_requests = self.stats.bytes_read, self.stats.requests
            report.retries = self.stats.retries
            report.seconds = round(time.monotonic() - started, 3)
        if job.stop.is_set() and report.status == "ok":
            done = report.clips_made + report.clips_skipped + report.clips_failed
            if done < len(self.specs):
                report.status = "interrupted"
        return self

    def _clip(self) -> None:
        storage, key = self.videos.resolve(self.game, self.angle)
        self.report.video = storage.uri(key)
        try:
            source = storage.stat(key)
        except StorageError as exc:
            raise AngleFailed(f"cannot read {self.report.video}: {exc}") from None
        if source is None:
            raise AngleFailed(f"no video for {self.angle}: {self.report.video} does not exist")
        pending = self._skip_made(source)
        if not pending:
            return
        try:
            reader = AngleReader(
                storage.open_read(key, self.stats),
                self.report.video,
                self.job.read_buffer,
                self.job.limits,
            )
        except (MediaError, StorageError) as exc:
            raise AngleFailed(str(exc)) from None
        with reader:
            self._cut_all(reader, pending, source)

    def _skip_made(self, source: ObjectInfo) -> list[_Pending]:
        """Count the clips already made from this source version; return the others."""
        options = self.job.clip_options
        pending: list[_Pending] = []
        for spec in self.specs:
            digest = spec_hash(spec, options)
            existing = self.job.out.stat(spec.key)
            if existing and matches(existing, source, digest):
                facts = json.loads(existing.metadata[META_FACTS])
                self.records.append(record(spec, self.job.out, facts))
                self.work.tiles.add(spec.key, digest, None)  # the sheet finds the tile it had
                self.report.clips_skipped += 1
                self._clip_done("skipped")
            else:
                pending.append((spec, digest, existing))
        return pending

    def _cut_all(self, reader: AngleReader, pending: list[_Pending], source: ObjectInfo) -> None:
        """Cut every pending clip in order, with a bounded number uploading behind."""
        job, work = self.job, self.work
        options = job.clip_options
        with ThreadPoolExecutor(max_workers=1) as uploads:
            info = reader.info()
            fitted, rejected = fit_to_video([s for s, _, _ in pending], info.duration_s)
            plan_reads(reader, fitted)  # fetch the clips' bytes ahead (indexed containers)
            self.issues.rejected.extend(rejected)
            meta_of = {s.key: (d, e) for s, d, e in pending}
            in_flight: deque[tuple[ClipSpec, Future[_Made]]] = deque()
            for spec in fitted:
                if job.stop.is_set():
                    break
                cut = self._cut(reader, spec, in_flight)
                if cut is None:
                    continue
                digest, existing = meta_of[spec.key]
                metadata = clip_metadata(self.report.video, source, digest, options)
                self.issues.warnings.extend(
                    PlayIssue(spec.play.play_id, n, self.angle) for n in cut.notes
                )
                made = work.make(cut, info)
                future = uploads.submit(_store_clip, job.out, spec, made, metadata, existing, work)
                in_flight.append((spec, future))
                while len(in_flight) > job.uploads_in_flight + work.encodes:
                    self._settle(in_flight.popleft())
            while in_flight:
                self._settle(in_flight.popleft())

    def _cut(
        self, reader: AngleReader, spec: ClipSpec, in_flight: deque[tuple[ClipSpec, Future[_Made]]]
    ) -> Cut | None:
        """The play's cut, or None when it is rejected or fails (noted as such)."""
        try:
            return reader.cut(spec)
        except PlayOutsideVideo as exc:
            self.issues.rejected.append(PlayIssue(spec.play.play_id, str(exc), self.angle))
            self._clip_done("rejected")
        except MediaError as exc:
            self.issues.failed.append(PlayIssue(spec.play.play_id, str(exc), self.angle))
            self.report.clips_failed += 1
            self._clip_done("failed")
        except StorageError:  # the video became unreadable: fail the angle, but first
            while in_flight:  # account for the clips already uploading (made or failed)
                self._settle(in_flight.popleft())
            raise
        return None

    def _settle(self, item: tuple[ClipSpec, Future[_Made]]) -> None:
        """Account for one clip's upload: made, or failed with the reason."""
        spec, future = item
        try:
            info, clip_record = future.result()
        except (StorageError, MediaError) as exc:
            reason = str(exc) if isinstance(exc, MediaError) else f"upload failed: {exc}"
            self.issues.failed.append(PlayIssue(spec.play.play_id, reason, self.angle))
            self.report.clips_failed += 1
            self._clip_done("failed")
            return
        self.records.append(clip_record)
        self.report.clips_made += 1
        self.report.bytes_written += info.size
        self._clip_done("made", info.size)

    def _clip_done(self, status: str, nbytes: int = 0) -> None:
        self.job.events.clip_done(self.game.game_id, self.angle, status, nbytes)


def _store_clip(
    out: Storage,
    spec: ClipSpec,
    made: Future[_Clip],
    metadata: dict[str, str],
    existing: ObjectInfo | None,
    work: GameWork,
) -> _Made:
    """Wait for the clip's bytes, take its thumbnail while they are in memory, put it."""
    data, facts = made.result()
    try:
        tile = thumbnail(data, facts["play_start_offset_s"])
    except ValueError:
        tile = None  # a blank tile; the clip itself is fine
    work.tiles.add(spec.key, metadata[META_SPEC], tile)
    metadata = {**metadata, META_FACTS: json.dumps(facts, sort_keys=True)}
    info = put_clip(out, spec, data, metadata, existing)
    return info, record(spec, out, facts)


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


def _encode(cut: Cut, info: VideoInfo, job: Job) -> _Clip:
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
