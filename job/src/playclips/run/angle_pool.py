"""A game's angles cut in worker processes, so a task with several CPUs uses all of them.

Cutting is Python work per packet and holds the interpreter lock: angles in threads of one
process share one core, however many the task has (a 4-angle game took the same wall time on
one core and on two). In copy mode the runner therefore hands a game's angles to N worker
processes (`--angle-processes`; 0 = one per available CPU, at most `--angles-in-flight`), each
cutting its share of the angles in flight at once, in threads: while one angle waits on a
request another cuts, so a 2-CPU task still keeps four angles in flight.

- Each worker is started once per run (spawn: no thread or lock of the parent is inherited),
  opens its own storage clients from the run's settings, and cuts each angle with
  clipping.game.run_angle_alone: ranged reads, cut, thumbnail, create-only put, exactly as in
  a thread of the parent.
- Progress events travel back through a queue; the angles' results (reports, manifest
  records, issues, thumbnails, storage retries) through futures. The parent still plans the
  game and writes its manifest, contact sheet and report.
- On SIGTERM the parent sets the run's stop event, which the workers share: no new clip is
  started and the clips in flight finish, as with threads.
- A worker that dies (killed for memory, a crash inside a decoder) takes the pool down, and
  every angle in flight there with it. Each such angle is run again in a new process of its
  own: the angles that were only in the way finish (the clips they had made are kept and
  skipped), and an angle that kills its worker again fails with a one-line reason. The next
  game starts a new pool.
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..clipping.angle import AngleIssues, AngleOutcome
from ..clipping.game import run_angle_alone, storage_retries
from ..clipping.job import Events, Job
from ..clipping.videos import GameVideos
from ..model import ClipSpec, Game
from ..outputs.report import AngleReport
from ..outputs.sheet import Tiles
from ..plays import PlaysError

# Builds a worker's Job from the run's settings: (settings, events, stop, plays) -> Job.
JobFactory = Callable[..., Job]


class AngleProcesses:
    """A pool of worker processes that cut angles (clipping.job.AnglePool)."""

    def __init__(
        self,
        make_job: JobFactory,
        settings: Any,
        events: Events,
        stop: Any,
        processes: int,
        angles_per_process: int = 1,
    ) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        self._make_job, self._settings, self._stop = make_job, settings, stop
        self._processes = max(1, processes)
        self._per_process = max(1, angles_per_process)
        self._events = events
        self._queue = self._ctx.SimpleQueue()
        self._ends: dict[int, threading.Event] = {}
        self._tokens = itertools.count()
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._forwarder = threading.Thread(target=self._forward, name="angle-events", daemon=True)
        self._forwarder.start()
        self.storage_retries = 0

    def submit_all(
        self,
        game: Game,
        angles: list[tuple[str, list[ClipSpec]]],
        videos: GameVideos,
        tiles: Tiles,
    ) -> list[Future[AngleOutcome]]:
        """Run the game's angles, `angles_per_process` at a time in each worker (in its
        threads: a worker waiting on a request lets another angle cut); one future each."""
        shell = dataclasses.replace(videos, root=None)  # the worker uses its own video root
        results: list[Future[AngleOutcome]] = [Future() for _ in angles]
        for i in range(0, len(angles), self._per_process):
            group = [(game, a, specs, shell) for a, specs in angles[i : i + self._per_process]]
            self._start_group(results[i : i + self._per_process], group, tiles)
        return results

    def _start_group(
        self,
        results: list[Future[AngleOutcome]],
        group: list[tuple[Any, ...]],
        tiles: Tiles,
        alone: bool = False,
    ) -> None:
        """Cut `group` in the shared pool, or (`alone`: a second try after a worker died) in
        a one-process pool of its own."""
        token = next(self._tokens)
        self._ends[token] = threading.Event()
        pool = self._new_pool(1) if alone else self._shared_pool()
        try:
            cut = pool.submit(_cut_angles, group, token)
        except BrokenProcessPool:
            cut = Future()
            cut.set_exception(BrokenProcessPool("the pool had stopped"))
        if alone:
            cut.add_done_callback(lambda f: pool.shutdown(wait=False))
        cut.add_done_callback(lambda f: self._settle(f, results, group, tiles, token, alone))

    def _settle(
        self,
        cut: Future[Any],
        results: list[Future[AngleOutcome]],
        group: list[tuple[Any, ...]],
        tiles: Tiles,
        token: int,
        alone: bool,
    ) -> None:
        if not isinstance(cut.exception(), BrokenProcessPool):
            self._settle_all(cut, results, tiles, token)
            return
        del self._ends[token]
        if not alone:
            with self._lock:  # the next game starts a new pool
                self._pool = None
        for result, work in zip(results, group, strict=True):
            if alone or self._stop.is_set():  # it killed its own process again, or stopping
                result.set_result(_died(work[1], len(work[2]), self._stop.is_set()))
            else:  # each angle again, alone, in a process of its own
                self._start_group([result], [work], tiles, alone=True)

    def _settle_all(
        self, cut: Future[Any], results: list[Future[AngleOutcome]], tiles: Tiles, token: int
    ) -> None:
        ended = self._ends[token]
        try:
            done = cut.result()
        except BaseException as exc:  # as from a thread: the game's own handler reports it
            del self._ends[token]
            for result in results:
                result.set_exception(exc)
            return
        ended.wait(timeout=30)  # the angles' progress events are shown first
        del self._ends[token]
        outcomes, retries = done
        with self._lock:
            self.storage_retries += retries
        for result, (outcome, angle_tiles) in zip(results, outcomes, strict=True):
            tiles.merge(angle_tiles)
            result.set_result(outcome)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self._queue.put(None)
        self._forwarder.join(timeout=10)

    def __enter__(self) -> AngleProcesses:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _shared_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = self._new_pool(self._processes)
            return self._pool

    def _new_pool(self, processes: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=processes,
            mp_context=self._ctx,
            initializer=_worker_init,
            initargs=(self._make_job, self._settings, self._queue, self._stop),
        )

    def _forward(self) -> None:
        while (item := self._queue.get()) is not None:
            name, args = item
            if name != "_end":
                getattr(self._events, name)(*args)
                continue
            ended = self._ends.get(args)
            if ended is not None:
                ended.set()


def _died(angle: str, clips: int, stopping: bool) -> AngleOutcome:
    if stopping:  # the run is stopping (SIGTERM): the workers may have had it too
        report = AngleReport(angle=angle, status="interrupted")
        report.error = "stopped before its clips were done; run the game again to finish"
    else:
        report = AngleReport(angle=angle, status="failed", clips_failed=clips)
        report.error = (
            "the process cutting this angle stopped unexpectedly (out of memory, or a crash "
            "while reading its video); run the game again: clips already made are kept"
        )
    return AngleOutcome(report, [], AngleIssues())


# --- in the worker process ---------------------------------------------------------------
_job: Job | None = None
_queue: Any = None


class _QueueEvents:
    """clipping.job.Events, sent to the parent's display through the queue."""

    def angle_planned(self, game_id: str, angle: str, clips: int) -> None:
        _queue.put(("angle_planned", (game_id, angle, clips)))

    def clip_done(self, game_id: str, angle: str, status: str, nbytes: int) -> None:
        _queue.put(("clip_done", (game_id, angle, status, nbytes)))

    def angle_done(self, game_id: str, report: AngleReport) -> None:
        pass  # the parent reports it, with the game's other angles


class _NoPlays:
    """A worker never loads plays: the parent sends each angle its planned clips."""

    def load_game(self, game_id: str) -> Game:
        raise PlaysError("an angle worker does not load plays")


def _worker_init(make_job: JobFactory, settings: Any, queue: Any, stop: Any) -> None:
    global _job, _queue
    # Ctrl-C reaches the whole process group: the parent sets `stop` instead. SIGTERM keeps
    # its default: only the parent gets it from Cloud Run (tini forwards to its child), and
    # the pool uses it to end the workers left when one of them dies.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _queue = queue
    _job = make_job(settings, _QueueEvents(), stop, _NoPlays())
    parent = os.getppid()
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    """End this worker once its parent is gone (killed outright): an orphan would go on
    cutting and putting clips for a run that has ended."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _cut_angles(
    group: list[tuple[Game, str, list[ClipSpec], GameVideos]], token: int
) -> tuple[list[tuple[AngleOutcome, Tiles]], int]:
    """Cut a group of a game's angles at once, in threads of this worker; with the storage
    retries they took."""
    job = _job
    assert job is not None
    before = storage_retries(job)
    try:
        with ThreadPoolExecutor(max_workers=len(group)) as threads:
            futures = [
                threads.submit(
                    run_angle_alone,
                    game,
                    angle,
                    specs,
                    dataclasses.replace(shell, root=job.videos),
                    job,
                )
                for game, angle, specs, shell in group
            ]
            return [f.result() for f in futures], storage_retries(job) - before
    finally:
        _queue.put(("_end", token))
