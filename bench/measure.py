"""Run one engine process and measure it: wall, CPU, peak RSS of its process tree, scratch disk.

- wall: from start to exit of the engine process (Python start-up included, ~0.3 s).
- CPU: user + system seconds of the engine process and every descendant it waited for (the
  ffmpeg processes), from the kernel's rusage for the reaped child (`os.wait4`).
- peak RSS: the largest sum of resident memory over the process tree, sampled every
  `interval` seconds with psutil (short-lived children can fall between samples; the largest
  single process's peak, from rusage, is kept as well). A page that several processes share
  (the Python, PyAV and FFmpeg libraries each worker maps) counts once per process here.
- peak PSS: the same sum with each shared page split between the processes that map it
  (/proc/PID/smaps_rollup): what the tree really holds, and what a memory limit charges for
  its private pages. For one process it equals RSS less its share of what others map too.
- peak scratch: the largest total size of the files below the engine's scratch folder (also
  its TMPDIR), sampled likewise.
The storage server (fake-gcs-server) and the counting proxy are not the engine: not counted.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil


@dataclass
class Measured:
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_bytes: int = 0
    peak_pss_bytes: int = 0
    max_process_rss_bytes: int = 0
    peak_scratch_bytes: int = 0
    samples: int = 0
    returncode: int = 0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    stderr_tail: str = ""
    extra: dict[str, float] = field(default_factory=dict)


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 once it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def tree_pss(pid: int) -> int:
    """Proportional set size of a process and all its descendants (0 once it is gone)."""
    try:
        root = psutil.Process(pid)
        pids = [pid, *(c.pid for c in root.children(recursive=True))]
    except psutil.Error:
        return 0
    total = 0
    for each in pids:
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{each}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
    return total


def folder_bytes(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def run_measured(
    cmd: list[str],
    *,
    env: dict[str, str],
    scratch: Path,
    cwd: Path,
    interval: float = 0.05,
    timeout: float = 3600.0,
) -> Measured:
    scratch.mkdir(parents=True, exist_ok=True)
    env = {**env, "TMPDIR": str(scratch)}
    m = Measured(load_before=os.getloadavg())
    stderr_path = scratch.parent / f"{scratch.name}.stderr"
    started = time.monotonic()
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr
        )
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            m.peak_rss_bytes = max(m.peak_rss_bytes, tree_rss(proc.pid))
            m.peak_pss_bytes = max(m.peak_pss_bytes, tree_pss(proc.pid))
            m.peak_scratch_bytes = max(m.peak_scratch_bytes, folder_bytes(scratch))
            m.samples += 1
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.01)
    m.wall_s = time.monotonic() - started
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    m.returncode = proc.returncode
    m.cpu_s = usage.ru_utime + usage.ru_stime
    m.max_process_rss_bytes = usage.ru_maxrss * 1024
    m.load_after = os.getloadavg()
    m.stderr_tail = stderr_path.read_text(errors="replace")[-3000:]
    return m
