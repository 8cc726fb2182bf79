"""A plays file in Cloud Storage (`--plays gs://bucket/path/plays.json` or `.csv`).

The object is fetched whole through the storage layer (a plays file is small: 100,000 plays
are ~10 MB) and handed to the local file parser unchanged, so CSV and JSON mean exactly what
they mean on disk, and every message names the gs:// URI rather than a temporary file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .base import PlaysError
from .local import LocalPlaysFile

MAX_BYTES = 256 * 1024 * 1024  # far above any plays file; a guard against naming a video


def open_gcs_plays_file(uri: str) -> LocalPlaysFile:
    """The plays file at `uri` (gs://...), parsed as a local one; PlaysError says what is wrong."""
    from ..storage import NotFound, StorageError, open_storage

    root, _, name = uri.rstrip("/").rpartition("/")
    if not name or root in ("gs:/", "gs:"):
        raise PlaysError(f"--plays {uri}: name an object, such as gs://BUCKET/plays.json")
    try:
        with open_storage(root).open_read(name) as f:
            data = f.read(MAX_BYTES + 1)
    except NotFound:
        raise PlaysError(f"plays file {uri} does not exist") from None
    except StorageError as exc:
        raise PlaysError(f"cannot read plays file {uri}: {exc}") from None
    if len(data) > MAX_BYTES:
        raise PlaysError(f"plays file {uri} is over {MAX_BYTES} bytes: not a plays file")
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
