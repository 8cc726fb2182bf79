"""The job image, built from job/Dockerfile with podman and run the way Cloud Run runs it.

Built on the real python:3.11-slim-bookworm where it has been pulled, else on a local stand-in
for it (stand_in_base.sh: Debian 12 from Debian's mirror, cached by a label). Checks that the
image runs the demo game as its non-root user with a read-only root filesystem and no
capabilities, stops within Cloud Run's 10 s grace period after a SIGTERM sent at any moment
(start-up included, and mid-encode with ffmpeg children running), and is at most 250 MB
gzip-compressed, layer by layer, as a registry stores it. Skipped, with the reason, where
podman or root (for debootstrap) is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
IMAGE = "localhost/playclips-job:image-test"
# The demo game, made once on the host and mounted read-only: the container only clips it.
DEMO = REPO / ".cache" / "image-test" / "demo"
BASE = "docker.io/library/python:3.11-slim-bookworm"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
BUDGET_BYTES = 250_000_000  # compressed, as a registry stores the layers
GRACE_S = 10.0  # Cloud Run sends SIGKILL this long after SIGTERM
UID = "10001"
# The image's user needs nothing but these: no capabilities, no writable root filesystem.
LOCKED_DOWN = ["--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges"]

pytestmark = pytest.mark.timeout(900)


def podman(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["podman", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CONTAINERS_CONF": str(HERE / "containers.conf")},
    )
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:3])} failed:\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (.ci/run installs it: apt-get install podman runc)")
    have_base = podman("image", "exists", BASE, check=False).returncode == 0
    if not have_base and (os.geteuid() != 0 or shutil.which("debootstrap") is None):
        pytest.skip(f"no {BASE} and no root with debootstrap to make a stand-in for it")
    started = time.monotonic()
    base = subprocess.run(
        ["bash", str(HERE / "stand_in_base.sh")],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "CONTAINERS_CONF": str(HERE / "containers.conf")},
    )
    assert base.returncode == 0, base.stderr[-3000:]
    base_s = time.monotonic() - started
    started = time.monotonic()
    build = [
        "build",
        "--pull=never",
        # pip reaches PyPI from inside the build; the host's CA bundle is mounted for machines
        # whose outbound HTTPS passes a TLS-inspecting proxy (the mount leaves no layer behind).
        "--network=host",
        "--layers",
        "--label",
        "playclips.image-test=1",
        "--tag",
        IMAGE,
        "--file",
        str(REPO / "job" / "Dockerfile"),
    ]
    if Path(CA_BUNDLE).exists():
        build += ["--volume", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"]
    podman(*build, str(REPO / "job"), timeout=900)
    # The image this tag held before a code change is now untagged: drop it (only ours, by
    # label), so that reruns on a CI machine do not pile up images.
    podman("image", "prune", "--force", "--filter", "label=playclips.image-test=1", check=False)
    print(
        f"\nimage: base {base.stdout.strip()} in {base_s:.0f} s; "
        f"build {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    yield IMAGE


@pytest.fixture(scope="module")
def demo_run() -> list[str]:
    """`podman run` options and args that clip the demo game from a read-only mount into /tmp."""
    from playclips.demo import DEMO_GAME, make_sample_game

    plays, _ = make_sample_game(DEMO)
    return [
        "--volume",
        f"{DEMO}:/demo:ro",
        *LOCKED_DOWN,
        IMAGE,
        "run",
        DEMO_GAME,
        "--plays",
        f"/demo/{plays.name}",
        "--videos",
        "/demo/videos",
        "--out",
        "/tmp/out",  # a tmpfs under --read-only
    ]


def test_runs_the_demo_game_as_non_root_read_only_without_capabilities(
    image: str, demo_run: list[str]
) -> None:
    config = json.loads(podman("image", "inspect", image).stdout)[0]["Config"]
    assert config["User"] == f"{UID}:{UID}"
    assert config["Entrypoint"][:2] == ["/usr/bin/tini", "--"]  # an init as PID 1
    env = dict(e.split("=", 1) for e in config["Env"])
    assert env["HOME"] == "/home/playclips"
    started = time.monotonic()
    run = podman("run", "--rm", *demo_run, timeout=300)
    seconds = time.monotonic() - started
    log = run.stdout + run.stderr
    assert "demo-game-1: ok" in log and "clips_made=112" in log, log[-3000:]
    print(f"\nimage: demo game clipped in {seconds:.1f} s", file=sys.stderr)
    probe = podman(
        "run",
        "--rm",
        *LOCKED_DOWN,
        "--entrypoint",
        "sh",
        image,
        "-c",
        # Who runs, what it may do, and that the encode-mode ffmpeg is on PATH.
        'id -u; grep CapEff /proc/self/status; test -w "$HOME" || echo home-ro; '
        "touch /opt/x 2>/dev/null || echo root-ro; ffmpeg -hide_banner -version | head -1",
    )
    lines = probe.stdout.splitlines()
    assert lines[0] == UID
    assert lines[1].split()[1] == "0000000000000000"  # no effective capabilities
    assert "root-ro" in lines and lines[-1].startswith("ffmpeg version")


@pytest.mark.parametrize("after_s", [0.0, 0.3, 1.5, 4.0])
def test_stops_within_the_grace_period_of_a_sigterm(
    image: str, demo_run: list[str], after_s: float
) -> None:
    """SIGTERM at start-up (before Python has a handler), during imports, and while clipping.

    In encode mode, so that the run lasts long enough and has ffmpeg children when the
    signal comes; one angle in flight, so the time measured is the image's signal path plus
    one clip's drain (the job finishes clips in flight before it stops: with four angles in
    flight on two shared cores that took 4.5-6 s here, see docs/image.md).
    """
    name = f"playclips-sigterm-{os.getpid()}-{int(after_s * 10)}"
    encode = ["--mode", "encode", "--angles-in-flight", "1"]
    podman("run", "--detach", "--name", name, *demo_run, *encode)
    try:
        time.sleep(after_s)
        state = podman("inspect", "--format", "{{.State.Running}}", name).stdout.strip()
        sent = time.monotonic()
        podman("kill", "--signal", "TERM", name)
        waited = podman("wait", name, timeout=60)
        stopped_s = time.monotonic() - sent
        code = int(waited.stdout.strip().splitlines()[-1])
    finally:
        podman("rm", "--force", "--time", "0", name, check=False)
    assert state == "true", f"the run had already ended {after_s} s after it started"
    assert stopped_s < GRACE_S, f"still running {stopped_s:.1f} s after SIGTERM"
    assert code != 137, "killed by SIGKILL, not stopped by SIGTERM"
    # 0 would mean the run went on to the end: the signal was lost (a PID 1 without a handler
    # discards it) and Cloud Run would have killed the task 10 s later.
    assert code != 0, "the run ignored the SIGTERM and finished"
    print(f"\nimage: SIGTERM at {after_s} s -> exit {code} in {stopped_s:.2f} s", file=sys.stderr)


def test_is_within_the_compressed_size_budget(image: str) -> None:
    """Each layer gzip-compressed at the default level, as `docker push` and buildx store it."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "oci"
        podman("save", "--format", "oci-dir", "--output", str(out), image)
        index = json.loads((out / "index.json").read_text())
        digest = index["manifests"][0]["digest"].split(":")[1]
        manifest = json.loads((out / "blobs" / "sha256" / digest).read_text())
        sizes = []
        for layer in manifest["layers"]:
            blob = out / "blobs" / "sha256" / layer["digest"].split(":")[1]
            if layer["mediaType"].endswith("gzip"):
                sizes.append(blob.stat().st_size)
                continue
            packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip framing, level 6
            total = 0
            with blob.open("rb") as f:
                while chunk := f.read(1 << 20):
                    total += len(packer.compress(chunk))
            sizes.append(total + len(packer.flush()))
    total = sum(sizes)
    layers = ", ".join(f"{s / 1e6:.1f}" for s in sizes)
    print(f"\nimage: {total / 1e6:.1f} MB compressed (layers: {layers} MB)", file=sys.stderr)
    assert total <= BUDGET_BYTES, f"{total / 1e6:.1f} MB compressed, over the 250 MB budget"
