"""A run's inputs that need the storage layer to check: storage roots and the games file.

Checked before any game starts, so a wrong root or games list is one clear usage error
rather than a failure in every game. The settings themselves live in config.py.
"""

from __future__ import annotations

import json
import os
import stat

from ..config import GAMES_ENV, GAMES_FILE_MAX_BYTES, GAMES_URI_ENV, SETTINGS, ConfigError


def check_root(name: str, uri: str) -> str:
    """A storage root setting (videos, out) that can work, checked before any game starts.

    A local root may not exist yet (--out is created), but a file where the folder should be,
    or above it, is refused here rather than failing every game.
    """
    flag = SETTINGS[name].flag
    if "://" not in uri:
        path = os.path.abspath(os.path.expanduser(uri))
        while True:
            try:
                st = os.stat(path)
            except (FileNotFoundError, NotADirectoryError):
                parent = os.path.dirname(path)
                if parent == path:
                    return uri
                path = parent
                continue
            except OSError as exc:
                raise ConfigError(f"{flag}: cannot use {uri}: {exc.strerror}") from None
            if not stat.S_ISDIR(st.st_mode):
                raise ConfigError(f"{flag}: {path} is a file, not a folder; name a folder")
            return uri
    if not uri.startswith("gs://"):
        raise ConfigError(
            f"{flag}: unsupported storage URI {uri!r}: use a local folder or gs://bucket[/prefix]"
        )
    from ..storage import StorageError  # lazily, as below: local runs need no cloud client
    from ..storage.gcs import parse_gs_uri

    try:
        parse_gs_uri(uri)
    except StorageError as exc:
        raise ConfigError(f"{flag}: {exc}") from None
    return uri


def games_from_env(environ: dict[str, str] | None = None) -> list[str]:
    """The games list the workflow gave this execution, or [].

    PLAYCLIPS_GAMES_URI (the games file, see games_from_uri) or PLAYCLIPS_GAMES (the JSON list
    itself); both set is ambiguous and refused.
    """
    env = os.environ if environ is None else environ
    raw = env.get(GAMES_ENV, "").strip()
    uri = env.get(GAMES_URI_ENV, "").strip()
    if uri and raw:
        raise ConfigError(f"set {GAMES_URI_ENV} or {GAMES_ENV}, not both")
    if uri:
        return games_from_uri(uri)
    if not raw:
        return []
    return _games_list(raw, GAMES_ENV)


def games_from_uri(uri: str) -> list[str]:
    """The games list in a JSON file: `gs://bucket/path/games.json` or a local path.

    Read through the storage layer (the folder is the root, the file name the key). Raises
    ConfigError naming the variable and the URI when the file is missing, unreadable, too
    large, or not a JSON list of strings.
    """
    from ..storage import NotFound, StorageError, open_storage

    where = f"{GAMES_URI_ENV}={uri}"
    root, _, key = uri.rstrip().rpartition("/")
    if not key:
        raise ConfigError(f"{where}: name a JSON file, such as gs://BUCKET/runs/RUN/games.json")
    if not root:
        root = "/" if uri.startswith("/") else "."
    try:
        with open_storage(root).open_read(key) as f:
            data = f.read(GAMES_FILE_MAX_BYTES + 1)
    except NotFound:
        raise ConfigError(f"{where}: the games file does not exist") from None
    except StorageError as exc:
        raise ConfigError(f"{where}: cannot read the games file: {exc}") from None
    if len(data) > GAMES_FILE_MAX_BYTES:
        raise ConfigError(f"{where}: over {GAMES_FILE_MAX_BYTES} bytes, not a games list")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: not UTF-8 JSON") from None
    return _games_list(text, where)


def _games_list(raw: str, where: str) -> list[str]:
    try:
        games = json.loads(raw)
        # A JSON string holding the list (an uploader that JSON-encodes a text body) is
        # accepted too: unwrap it once.
        if isinstance(games, str):
            games = json.loads(games)
    except (ValueError, RecursionError) as exc:
        # Never the content: a wrong file (a .env) would print its secrets.
        at = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
        raise ConfigError(
            f'{where} must be a JSON list of game ids such as ["g1", "g2"]; it is not JSON{at}'
        ) from None
    if not isinstance(games, list) or not all(isinstance(g, str) for g in games):
        raise ConfigError(f"{where} must be a JSON list of game id strings")
    return games
