"""Many games: in this process, or in a pool of processes, with a clean stop on SIGTERM.

On Cloud Run each task takes its shard of the games (config.task_shard) and usually runs one
game at a time; locally `--workers N` clips N games at once. Either way the per-game function
is clipping.game.run_game. On SIGTERM (Cloud Run stops a task with SIGTERM, then SIGKILL 10 s later)
no new clip is started, clips in flight finish uploading, reports are written, and the run
exits non-zero so Cloud Run retries the task; the retry skips every clip already made.

Failures stay per game: whatever goes wrong with one game (bad plays, bad video, storage,
even an unexpected exception) becomes that game's report and one line, and the next game
runs. A plays source that cannot be used at all (an unreadable or malformed plays file, a
Supabase key that cannot be sent) is found before any game starts: every game gets a failed
report saying why, and run_games raises PlaysUnusable, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import signal
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Protocol

from ..clipping.game import Events, Job, run_game
from ..config import Settings
from ..layout import report_key
from ..media.cut import CutLimits
from ..media.encode import EncodeOptions, available_cpus, encoder_slots
from ..model import InvalidId, check_id
from ..outputs.index_page import write_run_index
from ..outputs.report import REPORT_CONTENT_TYPE, GameReport, one_line, write_report
from ..plays import PlaysError, PlaysSource, open_plays_source
from ..storage import StorageError, open_storage
from .angle_pool import AngleProcesses


class PlaysUnusable(Exception):
    """The plays source cannot be used at all; every game's report says so (exit code 2)."""

    def __init__(self, message: str, reports: list[GameReport]) -> None:
        super().__init__(message)
        self.reports = reports


class Display(Events, Protocol):
    """A progress display: pipeline events plus the end of each game."""

    def game_done(self, report: GameReport) -> None: ...

    def close(self) -> None: ...


def build_job(
    settings: Settings, events: Events, stop: Any, plays: PlaysSource | None = None
) -> Job:
    """Open the plays source (unless given, already open) and storage roots named by the
    settings."""
    encodes, threads = encoder_slots(available_cpus(), settings.workers)
    return Job(
        plays=plays if plays is not None else open_plays_source(settings.plays),
        videos=open_storage(settings.videos),
        out=open_storage(settings.out),
        run_id=settings.run_id,
        angles=settings.angles or None,
        angles_in_flight=settings.angles_in_flight,
        events=events,
        stop=stop,
        mode=settings.mode,
        encode=EncodeOptions(
            height=settings.height, fps=settings.fps, crf=settings.crf, preset=settings.preset
        ),
        encodes_in_flight=encodes,
        encode_threads=threads,
        limits=CutLimits(
            max_preroll_s=settings.max_preroll_s,
            max_clip_bytes=settings.max_clip_bytes,
            max_frame_pixels=settings.max_frame_pixels,
            max_index_entries=settings.max_index_entries,
        ),
    )


def run_games(
    settings: Settings, games: list[str], display: Display, write_index: bool = False
) -> list[GameReport]:
    """Clip every game; return one report per game in the order given.

    With `write_index` (the caller's choice: this process ran the whole run, not one Cloud
    Run task of several) it also writes the run's index page (outputs/index_page.py), also
    when the plays source cannot be used.
    """
    # shared with spawned workers (games or angles), so a spawn-context Event
    stop = multiprocessing.get_context("spawn").Event()
    plays = _open_plays_source(settings, games, write_index)
    previous = _on_sigterm(stop.set)
    try:
        if settings.workers <= 1 or len(games) <= 1:
            reports = _run_here(settings, games, display, stop, plays)
        else:
            _close(plays)  # each worker process opens its own
            reports = _run_pool(settings, games, display, stop)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if write_index:
        _write_index(settings)
    return reports


def _open_plays_source(settings: Settings, games: list[str], write_index: bool) -> PlaysSource:
    """Open the plays source before any game starts; raise PlaysUnusable if it cannot be.

    Each (valid) game still gets its report, so the run's reports say what happened.
    """
    try:
        return open_plays_source(settings.plays)
    except PlaysError as exc:
        message = one_line(str(exc))
    reports = [_failed(settings, g, message) for g in games]
    try:
        out = open_storage(settings.out)
    except StorageError:
        out = None
    for report in reports:
        try:
            check_id("game", report.game_id)
        except InvalidId:
            report.game_id = one_line(report.game_id)
            continue
        if out is not None:
            with contextlib.suppress(StorageError, OSError):
                out.put(
                    report_key(settings.run_id, report.game_id),
                    report.to_json(),
                    content_type=REPORT_CONTENT_TYPE,
                )
    if write_index:
        _write_index(settings)
    raise PlaysUnusable(message, reports)


def _run_game(game_id: str, job: Job) -> GameReport:
    """run_game, with any unexpected exception turned into the game's failed report."""
    try:
        return run_game(game_id, job)
    except Exception as exc:  # a bug, or an error nobody foresaw: this game only
        report = GameReport(run_id=job.run_id, game_id=one_line(str(game_id)), status="failed")
        report.error = one_line(
            f"unexpected error ({type(exc).__name__}: {str(exc)[:300]}); the other games were "
            "not affected; please report this with the game's plays and videos"
        )
        with contextlib.suppress(Exception):
            check_id("game", game_id)
            write_report(report, job.out, job.run_id)
        return report


def _write_index(settings: Settings) -> None:
    # A convenience: the reports and manifests it links to are written already.
    with contextlib.suppress(StorageError):
        write_run_index(open_storage(settings.out), settings.run_id)


def _on_sigterm(callback: Callable[[], None]) -> Any:
    def handler(signum: int, frame: Any) -> None:
        callback()

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (library use): no handler
        return signal.getsignal(signal.SIGTERM)


def _failed(settings: Settings, game_id: str, error: str) -> GameReport:
    return GameReport(
        run_id=settings.run_id, game_id=game_id, status="failed", error=one_line(error)
    )


def _close(plays: PlaysSource) -> None:
    close = getattr(plays, "close", None)
    if close:
        close()


def _run_here(
    settings: Settings, games: list[str], display: Display, stop: Any, plays: PlaysSource
) -> list[GameReport]:
    try:
        job = build_job(settings, display, stop, plays)
    except (PlaysError, StorageError) as exc:
        reports = [_failed(settings, g, str(exc)) for g in games]
        for r in reports:
            display.game_done(r)
        return reports
    processes = angle_processes(settings)
    if processes > 1:  # each worker keeps its share of the angles in flight open at once
        share = -(-settings.angles_in_flight // processes)
        job.angle_pool = AngleProcesses(build_job, settings, display, stop, processes, share)
    try:
        return _run_each(settings, games, display, stop, job)
    finally:
        if isinstance(job.angle_pool, AngleProcesses):
            job.angle_pool.close()


def angle_processes(settings: Settings) -> int:
    """How many processes cut one game's angles (1: threads of this process)."""
    if settings.mode != "copy":
        return 1  # encode mode's ffmpeg processes use the CPUs already
    wanted = settings.angle_processes or available_cpus()
    return max(1, min(wanted, settings.angles_in_flight))


def _run_each(
    settings: Settings, games: list[str], display: Display, stop: Any, job: Job
) -> list[GameReport]:
    reports = []
    for game_id in games:
        if stop.is_set():
            report = _failed(
                settings,
                game_id,
                "not started: the run was stopped (SIGTERM); run it again to finish",
            )
            report.status = "interrupted"
            write_report(report, job.out, job.run_id)
        else:
            report = _run_game(game_id, job)
        display.game_done(report)
        reports.append(report)
    return reports


# --- process pool: each worker builds its own Job once and forwards events to the parent.
_worker_job: Job | None = None
_worker_error: str = ""


class _QueueEvents:
    def __init__(self, q: Any) -> None:
        self._q = q

    def angle_planned(self, game_id: str, angle: str, clips: int) -> None:
        self._q.put(("angle_planned", (game_id, angle, clips)))

    def clip_done(self, game_id: str, angle: str, status: str, nbytes: int) -> None:
        self._q.put(("clip_done", (game_id, angle, status, nbytes)))

    def angle_done(self, game_id: str, report: Any) -> None:
        self._q.put(("angle_done", (game_id, report)))


def _worker_init(settings: Settings, q: Any, stop: Any) -> None:
    global _worker_job, _worker_error
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the parent sets `stop` instead
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _worker_job = build_job(settings, _QueueEvents(q), stop)
    except (PlaysError, StorageError) as exc:
        _worker_error = str(exc)


def _worker_run(game_id: str) -> GameReport:
    if _worker_job is None:
        return GameReport(
            run_id="", game_id=one_line(game_id), status="failed", error=one_line(_worker_error)
        )
    return _run_game(game_id, _worker_job)


def _run_pool(
    settings: Settings, games: list[str], display: Display, stop: Any
) -> list[GameReport]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        q = manager.Queue()
        with ProcessPoolExecutor(
            max_workers=settings.workers,
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(settings, q, stop),
        ) as pool:
            futures = {pool.submit(_worker_run, g): g for g in games}
            pending = set(futures)
            results: dict[str, GameReport] = {}
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(q, display)
                for future in done:
                    report = future.result()
                    report.run_id = settings.run_id
                    results[futures[future]] = report
                    display.game_done(report)
            _drain(q, display)
    return [results[g] for g in games]


def _drain(q: Any, display: Display) -> None:
    while True:
        try:
            name, args = q.get_nowait()
        except queue.Empty:
            return
        getattr(display, name)(*args)
