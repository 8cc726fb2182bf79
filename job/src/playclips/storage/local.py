"""A folder as a storage root: the embedded, no-cloud mode.

Writes never expose a half-written file: data goes to a hidden temporary file in the target
folder, then is linked into place (create-only) or renamed over the old one (replace).

Custom metadata lives in a JSON sidecar under `{root}/.playclips-meta/`, one per version of the
file, named after the temporary file's inode (which the link or rename keeps) and recording its
size and modification time. It is written before the file is moved into place, and `stat` only
believes a sidecar that matches the file now in place. So a kill at any point leaves either the
old file with its own metadata or the new file with its own, never one file with the other's
metadata; and two racing creators each write their own sidecar, so the winner's is the one
read. The generation is the inode and modification time together.

Only regular files are opened (a FIFO would block for ever, a device never end); every OSError
(a symlink loop, permission denied, a file where a folder should be, a full disk) becomes a
StorageError that names the path and the cause, and a failed write removes its temporary
file. Files are created with the mode `open()` would give them (0666 less the umask), not
mkstemp's 0600, so others can read the outputs when the umask says they may.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat as stat_mode
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .base import CountingReader, NotFound, ObjectInfo, PreconditionFailed, ReadStats, StorageError

META_DIR = ".playclips-meta"


class LocalStorage:
    """Objects are files below `root`; keys are relative paths."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._base = Path(os.path.abspath(Path(root).expanduser()))

    def uri(self, key: str) -> str:
        return str(self._path(key))

    def _path(self, key: str) -> Path:
        # normpath, not resolve: a symlinked video inside the root is fine; '..' is not.
        path = Path(os.path.normpath(self._base / key))
        if path != self._base and self._base not in path.parents:
            raise StorageError(f"key {key!r} points outside {self.root}")
        return path

    def _meta_path(self, key: str, inode: int) -> Path:
        return self._base / META_DIR / f"{key}@{inode}.json"

    def open_read(self, key: str, stats: ReadStats | None = None) -> BinaryIO:
        path = self._path(key)
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer; checked below, then unset
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            raise NotFound(f"{path} does not exist") from None
        except IsADirectoryError:
            raise NotFound(f"{path} is a folder, not a video file") from None
        except OSError as exc:
            raise StorageError(f"cannot open {path}: {_why(exc)}") from None
        try:
            mode = os.fstat(fd).st_mode
            if stat_mode.S_ISDIR(mode):
                raise NotFound(f"{path} is a folder, not a video file")
            if not stat_mode.S_ISREG(mode):
                raise StorageError(f"{path} is not a regular file ({_kind(mode)}); not opened")
            os.set_blocking(fd, True)
            raw = os.fdopen(fd, "rb", buffering=0)
        except BaseException:
            os.close(fd)
            raise
        return CountingReader(raw, stats or ReadStats())  # type: ignore[return-value]

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {_why(exc)}") from None
        if stat_mode.S_ISDIR(st.st_mode):
            return None
        if not stat_mode.S_ISREG(st.st_mode):
            raise StorageError(f"{path} is not a regular file ({_kind(st.st_mode)})")
        metadata: dict[str, str] = {}
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError, KeyError):
            sidecar = json.loads(self._meta_path(key, st.st_ino).read_text())
            if (sidecar["size"], sidecar["mtime_ns"]) == (st.st_size, st.st_mtime_ns):
                metadata = dict(sidecar["metadata"])
        return ObjectInfo(key=key, size=st.st_size, generation=_generation(st), metadata=metadata)

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        metadata: dict[str, str] | None = None,
        if_generation_match: int | None = None,
    ) -> ObjectInfo:
        del content_type  # a file has no content type; its extension says it
        path = self._path(key)
        try:
            return self._put(key, path, data, metadata, if_generation_match)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {_why(exc)}") from None

    def _put(
        self,
        key: str,
        path: Path,
        data: bytes,
        metadata: dict[str, str] | None,
        if_generation_match: int | None,
    ) -> ObjectInfo:
        _make_folder(path.parent)
        if if_generation_match is not None and if_generation_match != 0:
            current = self.stat(key)
            if current is None or current.generation != if_generation_match:
                raise PreconditionFailed(f"{path} changed since it was read; not replaced")
        if if_generation_match == 0 and path.exists():
            raise PreconditionFailed(f"{path} already exists; not replaced")
        previous = self.stat(key)
        tmp = self._write_tmp(path, data)
        st = os.stat(tmp)
        meta = self._meta_path(key, st.st_ino)
        if metadata is not None:
            sidecar = {"metadata": metadata, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
            try:
                self._write_atomic(
                    meta, json.dumps(sidecar, sort_keys=True, allow_nan=False).encode()
                )
            except BaseException:
                os.unlink(tmp)
                raise
        try:
            if if_generation_match == 0:
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    meta.unlink(missing_ok=True)
                    raise PreconditionFailed(f"{path} already exists; not replaced") from None
            else:
                os.replace(tmp, path)
                if previous is not None:  # the old version's sidecar is now an orphan
                    self._meta_path(key, previous.generation >> 64).unlink(missing_ok=True)
        except OSError:
            meta.unlink(missing_ok=True)  # the file never took its place: no sidecar for it
            raise
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        info = self.stat(key)
        assert info is not None
        return info

    def list(self, prefix: str) -> Iterator[str]:
        start = self._path(prefix) if prefix else self._base
        folder = start if start.is_dir() else start.parent
        if not folder.exists():
            return
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d != META_DIR)
            for name in sorted(filenames):
                if name.startswith(".playclips-tmp-"):
                    continue
                key = Path(dirpath, name).relative_to(self._base).as_posix()
                if key.startswith(prefix):
                    yield key

    @staticmethod
    def _write_tmp(path: Path, data: bytes) -> str:
        """`data` in a new hidden file beside `path`; nothing is left behind if that fails."""
        fd, tmp = tempfile.mkstemp(prefix=".playclips-tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o666 & ~_umask())
                f.write(data)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return tmp

    def _write_atomic(self, path: Path, data: bytes) -> None:
        _make_folder(path.parent)
        tmp = self._write_tmp(path, data)
        try:
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (folder, *folder.parents) if p.is_file()), folder)
        raise StorageError(
            f"cannot create the folder {folder}: {blocker} is a file, not a folder"
        ) from None


def _umask() -> int:
    """The process umask (Linux reports it in /proc; elsewhere os.umask reads it by setting it)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    current = os.umask(0o022)
    os.umask(current)
    return current


def _why(exc: OSError) -> str:
    """An OSError's cause in words, with what to do for the common ones."""
    hints = {
        errno.ENOSPC: "no space left on the device; free some and run again",
        errno.EDQUOT: "over the disk quota; free some and run again",
        errno.EACCES: "permission denied; check the file's and its folders' permissions",
        errno.EPERM: "operation not permitted; check the file's permissions",
        errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
        errno.EROFS: "the file system is read-only",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.ENAMETOOLONG: "the name is too long",
        errno.EFBIG: "File too large (a file size limit of the file system or the process)",
    }
    return hints.get(exc.errno or 0, exc.strerror or type(exc).__name__)


def _kind(mode: int) -> str:
    if stat_mode.S_ISFIFO(mode):
        return "a FIFO"
    if stat_mode.S_ISSOCK(mode):
        return "a socket"
    if stat_mode.S_ISCHR(mode) or stat_mode.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _generation(st: os.stat_result) -> int:
    """A file version: its inode (the high bits) and modification time (the low 64 bits)."""
    return (st.st_ino << 64) | (st.st_mtime_ns & (2**64 - 1))
