"""One game, end to end: plays -> plan -> ranged read -> cut -> put -> manifest -> report.

Angles run concurrently (each has its own open container, angle.py); every clip is put
create-only, and one that already exists with metadata matching the source version and the
clip spec is not made again (store.py). The manifest is written last, whole, then the contact
sheet (outputs/sheet.py).

Encode mode (media/encode.py) adds one step between cut and put: the cut clip goes to a pool
of ffmpeg encodes shared by the game's angles, as many at once as the job has CPUs for, so
uploads never wait on a busy CPU slot.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..layout import clips_prefix, manifest_key
from ..model import ClipSpec, Game, InvalidId, check_id, is_angle
from ..outputs.manifest import MANIFEST_CONTENT_TYPE, render_manifest
from ..outputs.report import AngleReport, GameReport, one_line, write_report
from ..outputs.sheet import Tiles, write_contact_sheet
from ..plan import plan_game, spec_hash
from ..plays import PlaysError
from ..storage import ObjectInfo, StorageError
from .angle import AngleOutcome, AngleRun, GameWork
from .job import AngleResult, Events, Job, NoEvents
from .store import META_FACTS, META_GENERATION, META_SPEC, made_with, record
from .videos import AngleFailed, GameVideos, game_videos

__all__ = ["Events", "Job", "NoEvents", "run_angle_alone", "run_game", "storage_retries"]


def run_game(game_id: str, job: Job) -> GameReport:
    """Clip one game; never raises for bad input: the report says what went wrong."""
    started = time.monotonic()
    report = GameReport(run_id=job.run_id, game_id=str(game_id))
    report.storage_retries = -storage_retries(job)  # made the game's count in _finish
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
    records: list[dict[str, Any]] = []
    with GameWork(job) as work:
        for angle in _run_angles(game, specs, videos, work):
            angle.report.error = one_line(angle.report.error)
            report.angles.append(angle.report)
            records.extend(angle.records)
            report.rejected.extend(angle.issues.rejected)
            report.warnings.extend(angle.issues.warnings)
            report.failed.extend(angle.issues.failed)
            job.events.angle_done(game_id, angle.report)
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


def _run_angles(
    game: Game, specs: list[ClipSpec], videos: GameVideos, work: GameWork
) -> Iterator[AngleResult]:
    """Run the game's angles at once, in threads here or in the job's angle pool (copy
    mode); yield their results in the angles' order as each is ready."""
    job = work.job
    by_angle = {a: [s for s in specs if s.angle == a] for a in videos.angles}
    with ThreadPoolExecutor(max_workers=max(1, job.angles_in_flight)) as pool:
        if job.angle_pool is not None and job.mode == "copy":
            angles = [(a, by_angle[a]) for a in videos.angles]
            futures = job.angle_pool.submit_all(game, angles, videos, work.tiles)
        else:
            futures = [
                pool.submit(AngleRun(game, angle, by_angle[angle], videos, work).run)
                for angle in videos.angles
            ]
        for future in futures:
            yield future.result()


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
        options = made_with(meta, job.mode, job.clip_options)
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
        found.append(record(spec, job.out, facts))
        have.add((spec.play.play_id, spec.angle))
    return found


def _source_info(game: Game, angle: str, videos: GameVideos) -> ObjectInfo | None:
    try:
        storage, key = videos.resolve(game, angle)
        return storage.stat(key)
    except (AngleFailed, StorageError):
        return None


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
    report.storage_retries += storage_retries(job)
    if write:
        write_report(report, job.out, job.run_id)
    return report


def storage_retries(job: Job) -> int:
    """Retries counted so far by the job's storage roots (those that count them: GCS), and by
    the angle pool's processes."""
    roots = {id(s): s for s in (job.videos, job.out)}.values()
    pooled = job.angle_pool.storage_retries if job.angle_pool is not None else 0
    return pooled + sum(s.retry_stats.retries for s in roots if hasattr(s, "retry_stats"))


def run_angle_alone(
    game: Game, angle: str, specs: list[ClipSpec], videos: GameVideos, job: Job
) -> tuple[AngleOutcome, Tiles]:
    """One angle of a game, run on its own (in an angle pool's process): its outcome and its
    clips' thumbnails."""
    with GameWork(job) as work:
        run = AngleRun(game, angle, specs, videos, work).run()
    return AngleOutcome(run.report, run.records, run.issues), work.tiles
