"""Debian's chromium, headless, driven over the DevTools protocol (a websocket, `websockets`).

Used by the run-page test and by `make run-page-png` (docs/run-page.png). Chromium runs with
no network use of its own (no sync, component updates, QUIC or background fetches) and a
throwaway profile; `chromium()` returns None when it is not installed, for a skip.

    python -m tests.support.browser screenshot PAGE.html OUT.png
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-port=0",
)


def chromium() -> str | None:
    """The chromium binary on PATH, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    """One page of a headless chromium, and the DevTools calls the tests need."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, timeout: float = 15, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result; raise RuntimeError on an error."""
        ident = next(self._ids)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_event(self, method: str, timeout: float = 15) -> dict[str, Any]:
        """The next event named `method` (events already received count)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(i)
            self.events.append(
                json.loads(self._ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            )

    def evaluate(self, expression: str, timeout: float = 15) -> Any:
        """The value of a JavaScript expression (promises awaited); raise on an exception."""
        result = self.call(
            "Runtime.evaluate",
            timeout=timeout,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(
        self, url: str, width: int = 1400, height: int = 1000, until: str = "Page.loadEventFired"
    ) -> None:
        """Load `url` in a `width` x `height` viewport and wait for event `until`.

        The load event waits for the videos that load their metadata (media elements delay
        it); Page.domContentEventFired does not.
        """
        self.call("Page.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Page.navigate", url=url)
        self.wait_event(until, timeout=30)

    def screenshot(self) -> bytes:
        """PNG of the viewport."""
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])


@contextlib.contextmanager
def headless_page(binary: str | None = None) -> Iterator[Page]:
    """A fresh headless chromium with one blank page; closed (and its profile removed) after."""
    binary = binary or chromium()
    if binary is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="playclips-chromium-")
    # Its own process group: chromium's renderer and utility processes end with it.
    proc = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        port = _devtools_port(Path(profile), proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            targets = json.load(r)
        url = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
        with connect(url, max_size=64 * 2**20, open_timeout=10) as ws:
            yield Page(ws)
    finally:
        _stop(proc)
        shutil.rmtree(profile, ignore_errors=True)


def _stop(proc: subprocess.Popen) -> None:
    """End the chromium this module started: SIGTERM, so that it reaps its own helper
    processes, then SIGKILL to its process group if it has not exited within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _devtools_port(profile: Path, proc: subprocess.Popen) -> int:
    """The port chromium chose: the first line of DevToolsActivePort in its profile."""
    deadline = time.monotonic() + 30
    marker = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with {proc.returncode} before DevTools was up")
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            return int(marker.read_text().splitlines()[0])
        time.sleep(0.05)
    raise RuntimeError("chromium did not open its DevTools port within 30 s")


# A run page's videos near the top: wait until each has its first frame at the play.
WAIT_FOR_VISIBLE_VIDEOS = """
(async () => {
  const inView = [...document.querySelectorAll('video')].filter(v => {
    const r = v.getBoundingClientRect();
    return r.bottom > 0 && r.top < innerHeight;
  });
  const ready = v => v.readyState >= 2 && Math.abs(v.currentTime - Number(v.dataset.start)) < 0.1;
  const t0 = performance.now();
  while (!inView.every(ready) && performance.now() - t0 < 20000) {
    await new Promise(r => setTimeout(r, 50));
  }
  return inView.filter(ready).length + '/' + inView.length;
})()
"""


def screenshot_page(page_file: Path, png: Path, width: int = 1400, height: int = 1000) -> str:
    """Write a screenshot of a run page once its visible videos show their play; say how many."""
    with headless_page() as page:
        page.open(page_file.resolve().as_uri(), width, height)
        shown = page.evaluate(WAIT_FOR_VISIBLE_VIDEOS, timeout=30)
        png.write_bytes(page.screenshot())
    return str(shown)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "screenshot":
        sys.exit("usage: python -m tests.support.browser screenshot PAGE.html OUT.png")
    shown = screenshot_page(Path(sys.argv[2]), Path(sys.argv[3]))
    print(f"{sys.argv[3]}: {shown} videos on screen showed their play")
