"""Local storage under hostile conditions: only regular files are opened, every OSError is a
StorageError with one line that says what to do, nothing half-written is left behind, and
outputs get the permissions the umask allows."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import playclips
from playclips.storage import LocalStorage, NotFound, StorageError


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".playclips-tmp-")]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_outputs_honour_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        info = LocalStorage(str(tmp_path)).put(
            "clips/g/A/p.mp4", b"data", content_type="video/mp4", metadata={"k": "v"}
        )
    finally:
        os.umask(previous)
    assert info.metadata == {"k": "v"}
    assert stat.S_IMODE((tmp_path / "clips/g/A/p.mp4").stat().st_mode) == mode


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "A.mp4")
    root = LocalStorage(str(tmp_path))
    signal.alarm(10)  # a blocking open would hang here; fail instead
    try:
        with pytest.raises(StorageError, match=r"is not a regular file \(a FIFO\); not opened"):
            root.open_read("A.mp4")
        with pytest.raises(StorageError, match=r"is not a regular file \(a FIFO\)"):
            root.stat("A.mp4")
    finally:
        signal.alarm(0)


def test_a_symlink_loop_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "A.mp4").symlink_to("A.mp4")
    root = LocalStorage(str(tmp_path))
    for call in (lambda: root.open_read("A.mp4"), lambda: root.stat("A.mp4")):
        with pytest.raises(StorageError, match="too many levels of symbolic links") as info:
            call()
        assert "\n" not in str(info.value)


def test_a_folder_is_not_a_video(tmp_path: Path) -> None:
    (tmp_path / "A.mp4").mkdir()
    root = LocalStorage(str(tmp_path))
    assert root.stat("A.mp4") is None
    with pytest.raises(NotFound, match="is a folder, not a video file"):
        root.open_read("A.mp4")


def test_a_file_where_a_folder_must_be(tmp_path: Path) -> None:
    (tmp_path / "clips").write_text("in the way")
    root = LocalStorage(str(tmp_path))
    with pytest.raises(StorageError, match=r"clips is a file, not a folder") as info:
        root.put("clips/g/A/p.mp4", b"x", content_type="video/mp4", metadata={})
    assert "\n" not in str(info.value)
    assert _leftovers(tmp_path) == []


def test_a_folder_where_the_file_must_be_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "manifests" / "g" / "clips.jsonl").mkdir(parents=True)
    root = LocalStorage(str(tmp_path))
    with pytest.raises(StorageError, match=r"cannot write .*clips\.jsonl"):
        root.put("manifests/g/clips.jsonl", b"{}\n", content_type="application/x-ndjson")
    assert _leftovers(tmp_path) == []


@pytest.fixture
def capped_writes() -> Iterator[None]:
    """Writes past 64 kB fail with EFBIG, as they would on a capped or full file system."""
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, limits[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, previous)


def test_a_write_that_fails_midway_leaves_no_temporary_file(
    tmp_path: Path, capped_writes: None
) -> None:
    root = LocalStorage(str(tmp_path))
    for if_generation_match in (0, None):
        with pytest.raises(StorageError, match="File too large") as info:
            root.put(
                "clips/g/A/p.mp4",
                b"x" * 200_000,
                content_type="video/mp4",
                metadata={"k": "v"},
                if_generation_match=if_generation_match,
            )
        assert "\n" not in str(info.value)
    assert _leftovers(tmp_path) == []
    assert not (tmp_path / "clips/g/A/p.mp4").exists()
    assert not list((tmp_path / ".playclips-meta").rglob("*.json"))


def test_a_full_disk_is_one_line_and_leaves_nothing_behind(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip("a full disk needs a small tmpfs, and mount is not permitted here")
    try:
        root = LocalStorage(str(disk))
        root.put("small.bin", b"x" * 1000, content_type="x", metadata={})
        with pytest.raises(StorageError, match="no space left on the device; free some"):
            root.put("big.bin", b"x" * 200_000, content_type="x", metadata={})
        assert _leftovers(disk) == []
        assert root.stat("small.bin") is not None  # what was there is kept
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_permission_denied_is_one_clear_error(tmp_path: Path) -> None:
    """As a user the file's permissions shut out (root is never refused: run as nobody)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and not setpriv:
        pytest.skip("root reads every file, and setpriv (util-linux) is not here to drop it")
    folder = Path(tempfile.mkdtemp(prefix="playclips-perm-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        (folder / "A.mp4").write_bytes(b"x")
        (folder / "A.mp4").chmod(0)
        (folder / "ro").mkdir(mode=0o555)
        code = (
            "from playclips.storage import LocalStorage, StorageError\n"
            f"root = LocalStorage({str(folder)!r})\n"
            "for call in (lambda: root.open_read('A.mp4'),\n"
            "             lambda: root.put('ro/x.json', b'{}', content_type='x')):\n"
            "    try:\n"
            "        call()\n"
            "    except StorageError as exc:\n"
            "        print(exc)\n"
        )
        # nobody may not reach the checkout (a clone in a 0700 folder): it imports the storage
        # layer (standard library only) from a copy beside the files under test.
        package = Path(playclips.__file__).parent
        lib = folder / "lib" / "playclips"
        shutil.copytree(package / "storage", lib / "storage")
        shutil.copy(package / "__init__.py", lib / "__init__.py")
        env = {**os.environ, "PYTHONPATH": str(folder / "lib")}
        # the interpreter itself, not the checkout's venv, which nobody may not reach either
        argv = [os.path.realpath(sys.executable), "-c", code]
        if os.geteuid() == 0:
            argv = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 2, result.stdout
        assert all(
            "permission denied; check the file's and its folders' permissions" in line
            for line in lines
        ), lines
        assert lines[0].startswith(f"cannot open {folder}/A.mp4")
        assert lines[1].startswith(f"cannot write {folder}/ro/x.json")
        assert not list((folder / "ro").iterdir())
    finally:
        (folder / "ro").chmod(0o755)
        shutil.rmtree(folder)
