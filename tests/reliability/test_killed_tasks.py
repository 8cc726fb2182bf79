"""SIGTERM and SIGKILL at seeded random points of a multi-game run, then a rerun.

While a run is being killed, a poller checks that nothing half-written is ever visible under a
final name: every .mp4 under clips/ is a whole MP4 (its boxes tile the file and include the
index), every manifest is byte-identical to a clean run's, every report parses. After the rerun,
only the missing clips were made, and clips and manifests equal a clean run's byte for byte.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from ..support.sources import install_game, make_source
from .conftest import clean_env, cli, plays_rows, report_core, tree_bytes, write_plays
from .mp4check import whole_mp4_problem

GAMES = ("ka", "kb", "kc")
ANGLES = ("FAR_LEFT", "NEAR_LEFT")
PLAYS = 20


class Poller(threading.Thread):
    """Looks at `out` every few ms while a run is killed; collects what should never be seen."""

    def __init__(self, out: Path, manifests: dict[str, bytes]) -> None:
        super().__init__(daemon=True)
        self.out, self.manifests = out, manifests
        self.problems: list[str] = []
        self.looks = 0
        self.clips_seen: set[str] = set()
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.look()
            time.sleep(0.005)

    def look(self) -> None:
        self.looks += 1
        for path in self.out.glob("clips/*/*/*.mp4"):
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            problem = whole_mp4_problem(data)
            if problem:
                self.problems.append(f"{path}: {problem}")
            self.clips_seen.add(str(path))
        for path in self.out.glob("manifests/*/clips.jsonl"):
            key = path.relative_to(self.out).as_posix()
            if path.read_bytes() != self.manifests[key]:
                self.problems.append(f"{key} differs from the clean run's")
        for path in self.out.glob("reports/*/*.json"):
            try:
                json.loads(path.read_bytes())
            except ValueError:
                self.problems.append(f"{path} is not whole JSON")

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
        self.look()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Three games of two angles, and a clean run's outputs (made once, at the same path)."""
    root = tmp_path_factory.mktemp("kills")
    source = make_source("bframes")
    rows = []
    for game in GAMES:
        install_game(root / "videos", game, source, list(ANGLES))
        rows += plays_rows(game, PLAYS)
    write_plays(root / "plays.json", rows)
    env = clean_env(
        PLAYCLIPS_PLAYS=str(root / "plays.json"),
        PLAYCLIPS_VIDEOS=str(root / "videos"),
        PLAYCLIPS_OUT=str(root / "out"),
        PLAYCLIPS_ANGLES=",".join(ANGLES),
        PLAYCLIPS_LOG_FORMAT="json",
        PLAYCLIPS_WORKERS="2",
    )
    started = time.monotonic()
    done = subprocess.run(cli("run", *GAMES, "--run-id", "clean"), env=env, capture_output=True)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    clean = root / "clean"
    (root / "out").rename(clean)
    return {"root": root, "env": env, "clean": clean, "seconds": seconds}


def _kill_and_rerun(setup: dict, seed: int, kills: int) -> None:
    root, env, clean = setup["root"], setup["env"], setup["clean"]
    out = root / "out"
    shutil.rmtree(out, ignore_errors=True)
    rng = random.Random(seed)
    manifests = tree_bytes(clean, "manifests")
    poller = Poller(out, manifests)
    poller.start()
    interrupted: list[tuple[str, int]] = []
    try:
        for attempt in range(kills):
            how = rng.choice([signal.SIGTERM, signal.SIGKILL])
            delay = rng.uniform(0.1, 0.9) * setup["seconds"]
            run_id = f"kill{attempt}"
            proc = subprocess.Popen(
                cli("run", *GAMES, "--run-id", run_id),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # SIGKILL takes the whole group, as a stopped container
            )
            time.sleep(delay)
            if how == signal.SIGKILL:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.send_signal(signal.SIGTERM)  # Cloud Run: SIGTERM, then SIGKILL after 10 s
            try:
                _, stderr = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                _, stderr = proc.communicate()
            interrupted.append((how.name, proc.returncode))
            if how == signal.SIGTERM and proc.returncode in (0, 1):
                # a clean stop: every game has a whole report, none claims more than was done
                for game in GAMES:
                    report = json.loads((out / "reports" / run_id / f"{game}.json").read_text())
                    assert report["status"] in ("ok", "interrupted"), report
                    if report["status"] == "interrupted":
                        assert "run it again to finish" in report["error"]
                assert proc.returncode == (
                    0
                    if all(
                        json.loads((out / "reports" / run_id / f"{g}.json").read_text())["status"]
                        == "ok"
                        for g in GAMES
                    )
                    else 1
                ), stderr.decode()[-2000:]
    finally:
        poller.stop()
    assert not poller.problems, poller.problems[:5]

    before = {p.relative_to(out).as_posix() for p in out.glob("clips/*/*/*.mp4")}
    final = subprocess.run(cli("run", *GAMES, "--run-id", "final"), env=env, capture_output=True)
    assert final.returncode == 0, (interrupted, final.stderr.decode()[-3000:])

    # only the missing clips were made
    total = len(GAMES) * len(ANGLES) * PLAYS
    made = skipped = 0
    for game in GAMES:
        report = json.loads((out / "reports" / "final" / f"{game}.json").read_text())
        made += report["counts"]["clips_made"]
        skipped += report["counts"]["clips_skipped_existing"]
        want = report_core(json.loads((clean / "reports" / "clean" / f"{game}.json").read_text()))
        assert report_core(report) == want
    assert (skipped, made) == (len(before), total - len(before)), interrupted
    # and everything equals the clean run's, byte for byte
    assert tree_bytes(out, "manifests") == manifests
    assert tree_bytes(out, "clips") == tree_bytes(clean, "clips")
    assert not [
        p
        for p in out.rglob("*")
        if p.name.startswith(".playclips-tmp-") and not any(h == "SIGKILL" for h, _ in interrupted)
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_killed_then_rerun_equals_a_clean_run(setup: dict, seed: int) -> None:
    _kill_and_rerun(setup, seed, kills=1 if seed == 1 else 2)


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(100, 120))
def test_killed_then_rerun_soak(setup: dict, seed: int) -> None:
    _kill_and_rerun(setup, seed, kills=1 + seed % 3)
