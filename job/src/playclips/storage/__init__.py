"""Where bytes live: a local folder or a Cloud Storage prefix, behind one narrow contract."""

from __future__ import annotations

from .base import (
    NotFound,
    ObjectInfo,
    PreconditionFailed,
    ReadStats,
    Storage,
    StorageError,
)
from .local import LocalStorage

__all__ = [
    "LocalStorage",
    "NotFound",
    "ObjectInfo",
    "PreconditionFailed",
    "ReadStats",
    "Storage",
    "StorageError",
    "open_storage",
]


def open_storage(uri: str) -> Storage:
    """Return the storage root for `uri`: `gs://bucket[/prefix]` or a local folder."""
    if uri.startswith("gs://"):
        from .gcs import GcsStorage  # imported lazily: the local mode needs no cloud client

        return GcsStorage.from_uri(uri)
    if "://" in uri:
        raise StorageError(
            f"unsupported storage URI {uri!r}: use a local folder or gs://bucket[/prefix]"
        )
    return LocalStorage(uri)
