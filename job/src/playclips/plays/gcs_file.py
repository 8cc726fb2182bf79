"""A plays file in Cloud Storage (`--plays gs://bucket/path/plays.json` or `.csv`).

The object is fetched whole through the storage layer (up to PLAYCLIPS_MAX_PLAYS_FILE_BYTES,
the local file's limit) and handed to the local file parser unchanged, so CSV and JSON mean
exactly what they mean on disk, and every message names the gs:// URI rather than a temporary
file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..config import LIMITS, ConfigError, limit
from .base import PlaysError
from .local import LocalPlaysFile


def open_gcs_plays_file(uri: str) -> LocalPlaysFile:
    """The plays file at `uri` (gs://...), parsed as a local one; PlaysError says what is wrong."""
    from ..storage import NotFound, StorageError, open_storage

    try:
        max_bytes = limit("plays_file_bytes")  # the same limit as for a local plays file
    except ConfigError as exc:
        raise PlaysError(str(exc)) from None
    root, _, name = uri.rstrip("/").rpartition("/")
    if not name or root in ("gs:/", "gs:"):
        raise PlaysError(f"--plays {uri}: name an object, such as gs://BUCKET/plays.json")
    try:
        with open_storage(root).open_read(name) as f:
            data = f.read(max_bytes + 1)
    except NotFound:
        raise PlaysError(f"plays file {uri} does not exist") from None
    except StorageError as exc:
        raise PlaysError(f"cannot read plays file {uri}: {exc}") from None
    if len(data) > max_bytes:
        raise PlaysError(
            f"plays file {uri} is over the {max_bytes}-byte limit for a plays file "
            f"({LIMITS['plays_file_bytes'].env}); is it the right file?"
        )
    with tempfile.TemporaryDirectory(prefix="playclips-plays-") as tmp:
        # The same file name, so the parser picks CSV or JSON by its suffix as it does on disk.
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            source = LocalPlaysFile(str(path))
        except PlaysError as exc:
            raise PlaysError(str(exc).replace(str(path), uri)) from None
    source.path = uri
    return source
