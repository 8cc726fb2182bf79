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
"""

from __future__ import annotations

import contextlib
import json
import os
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
            raw = open(path, "rb", buffering=0)  # noqa: SIM115 - returned to the caller
        except FileNotFoundError:
            raise NotFound(f"{path} does not exist") from None
        except IsADirectoryError:
            raise NotFound(f"{path} is a folder, not a video file") from None
        return CountingReader(raw, stats or ReadStats())  # type: ignore[return-value]

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        if not path.is_file():
            return None
        metadata: dict[str, str] = {}
        with contextlib.suppress(FileNotFoundError, ValueError, TypeError, AttributeError):
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
        path.parent.mkdir(parents=True, exist_ok=True)
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
            self._write_atomic(meta, json.dumps(sidecar, sort_keys=True).encode())
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
        fd, tmp = tempfile.mkstemp(prefix=".playclips-tmp-", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return tmp

    def _write_atomic(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._write_tmp(path, data), path)


def _generation(st: os.stat_result) -> int:
    """A file version: its inode (the high bits) and modification time (the low 64 bits)."""
    return (st.st_ino << 64) | (st.st_mtime_ns & (2**64 - 1))
