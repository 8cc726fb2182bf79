"""Angles cut in worker processes: the same clips as threads, and a dead worker costs one angle."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from playclips.clipping.game import Job, NoEvents, run_game
from playclips.config import Settings
from playclips.plays import LocalPlaysFile
from playclips.run.angle_pool import AngleProcesses
from playclips.run.runner import run_games
from playclips.storage import LocalStorage

from ..conftest import read_manifest, write_plays
from ..support.sources import install_game, make_source

ANGLES = ("FAR_LEFT", "NEAR_LEFT", "FAR_RIGHT")


class _Quiet(NoEvents):
    def __init__(self) -> None:
        self.clips: list[tuple[str, str]] = []

    def clip_done(self, game_id: str, angle: str, status: str, nbytes: int) -> None:
        self.clips.append((angle, status))

    def game_done(self, report: Any) -> None:
        pass

    def close(self) -> None:
        pass


def _game(root: Path, game_id: str = "g1", angles: tuple[str, ...] = ANGLES) -> Path:
    install_game(root / "videos", game_id, make_source("bframes"), list(angles))
    rows = [
        {"game_id": game_id, "play_id": f"p{i}", "start_s": 1.3 * i, "end_s": 1.3 * i + 1.1}
        for i in range(6)
    ]
    return write_plays(root / f"plays-{game_id}.json", rows)


def _outputs(out: Path) -> dict[str, bytes]:
    """Every clip and sheet, and the manifest with the output root taken out of its URIs."""
    files = {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.suffix in (".mp4", ".png")
    }
    manifest = (out / "manifests" / "g1" / "clips.jsonl").read_bytes()
    files["manifest"] = manifest.replace(str(out).encode(), b"OUT")
    return files


def test_processes_make_the_same_clips_manifest_and_sheet_as_threads(tmp_path: Path) -> None:
    plays = _game(tmp_path)
    made = {}
    for processes in (1, 3):
        out = tmp_path / f"out-{processes}"
        settings = Settings(
            plays=str(plays),
            videos=str(tmp_path / "videos"),
            out=str(out),
            run_id="r1",
            angle_processes=processes,
        )
        events = _Quiet()
        [report] = run_games(settings, ["g1"], events)
        assert report.status == "ok", report.failure_lines()
        assert report.clips_made == 18
        assert sorted(events.clips) == sorted((a, "made") for a in ANGLES for _ in range(6))
        made[processes] = _outputs(out)
    assert made[3] == made[1]
    assert sum(k.endswith(".mp4") for k in made[3]) == 18


# --- a worker that dies ------------------------------------------------------------------


class _Trapped(LocalStorage):
    """A folder whose video for one angle is a trap, as `settings.extra` says:
    {"crash": ANGLE} kills the process that opens it (a decoder crash, an OOM kill);
    {"pid_file": PATH} notes that process's pid in PATH, then hangs there."""

    def __init__(self, root: str, trap: dict[str, object]) -> None:
        super().__init__(root)
        self.trap = trap

    def open_read(self, key: str, *args: Any, **kwargs: Any) -> Any:
        if "pid_file" in self.trap:
            Path(str(self.trap["pid_file"])).write_text(str(os.getpid()))
            time.sleep(120)
        elif key.rpartition("/")[2].startswith(str(self.trap["crash"])):
            os._exit(9)
        return super().open_read(key, *args, **kwargs)


def _trapped_job(settings: Settings, events: Any, stop: Any, plays: Any) -> Job:
    """The job a worker builds (module level, so a spawned worker can import it)."""
    return Job(
        plays=plays,
        videos=_Trapped(settings.videos, settings.extra),
        out=LocalStorage(settings.out),
        run_id=settings.run_id,
        events=events,
        stop=stop,
    )


@pytest.mark.parametrize("per_process", [1, 2])
def test_a_worker_that_dies_fails_its_angle_and_the_others_finish(
    tmp_path: Path, per_process: int
) -> None:
    plays = _game(tmp_path)
    settings = Settings(
        plays=str(plays),
        videos=str(tmp_path / "videos"),
        out=str(tmp_path / "out"),
        run_id="r1",
        extra={"crash": "NEAR_LEFT"},
    )
    stop = multiprocessing.get_context("spawn").Event()
    job = _trapped_job(settings, NoEvents(), stop, LocalPlaysFile(str(plays)))
    with AngleProcesses(_trapped_job, settings, NoEvents(), stop, 3, per_process) as pool:
        job.angle_pool = pool
        report = run_game("g1", job)
        by_angle = {a.angle: a for a in report.angles}
        assert report.status == "partial"
        assert by_angle["NEAR_LEFT"].status == "failed"
        assert "stopped unexpectedly" in by_angle["NEAR_LEFT"].error
        for angle in ("FAR_LEFT", "FAR_RIGHT"):  # retried alone if the crash took them down
            done = by_angle[angle].clips_made + by_angle[angle].clips_skipped
            assert (by_angle[angle].status, done) == ("ok", 6), angle
        assert {r["angle"] for r in read_manifest(tmp_path / "out", "g1")} == {
            "FAR_LEFT",
            "FAR_RIGHT",
        }
        # the next game runs on a new pool
        write_plays(plays, [{"game_id": "g2", "play_id": "a", "start_s": 1.0, "end_s": 2.0}])
        install_game(tmp_path / "videos", "g2", make_source("bframes"), ["FAR_LEFT"])
        job.plays = LocalPlaysFile(str(plays))
        second = run_game("g2", job)
        assert (second.status, second.clips_made) == ("ok", 1)


# --- a parent killed outright ------------------------------------------------------------


_PARENT = """
import multiprocessing, sys
from playclips.clipping.game import NoEvents, run_game
from playclips.config import Settings
from playclips.plays import LocalPlaysFile
from playclips.run.angle_pool import AngleProcesses
from tests.run.test_angle_pool import _trapped_job

if __name__ == "__main__":
    plays, videos, out, pid_file = sys.argv[1:]
    settings = Settings(plays=plays, videos=videos, out=out, run_id="r1",
                        extra={"pid_file": pid_file})
    stop = multiprocessing.get_context("spawn").Event()
    job = _trapped_job(settings, NoEvents(), stop, LocalPlaysFile(plays))
    job.angle_pool = AngleProcesses(_trapped_job, settings, NoEvents(), stop, 2)
    run_game("g1", job)
"""


def test_workers_end_when_their_parent_is_killed(tmp_path: Path) -> None:
    plays = _game(tmp_path, angles=("FAR_LEFT",))
    pid_file = tmp_path / "worker.pid"
    script = tmp_path / "parent.py"
    script.write_text(_PARENT)
    root = Path(__file__).resolve().parents[2]
    args = [str(plays), str(tmp_path / "videos"), str(tmp_path / "out"), str(pid_file)]
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    parent = subprocess.Popen([sys.executable, str(script), *args], cwd=root, env=env)
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() or not pid_file.read_text():
            assert parent.poll() is None, "the parent ended before its worker opened the video"
            assert time.monotonic() < deadline, "no worker opened the video"
            time.sleep(0.1)
        worker = int(pid_file.read_text())
        assert worker != parent.pid
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10
        while _alive(worker):
            assert time.monotonic() < deadline, "the worker outlived its parent"
            time.sleep(0.2)
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return status != "Z"  # a zombie has ended; only its parent (init here) may reap it
