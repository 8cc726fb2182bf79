"""Plays and per-angle videos from Supabase (PostgREST) through supabase-py.

Settings (environment only; see docs/supabase.md):
  SUPABASE_URL          https://<project-ref>.supabase.co
  SUPABASE_SERVICE_KEY  the service-role / secret key (on Cloud Run: Secret Manager via
                        secret_key_ref). It is sent only in the `apikey` and
                        `Authorization: Bearer` headers; it is never logged, never put in an
                        exception message, a report or a repr: any text that came from the
                        server or from httpx is scrubbed of it (raw, repr- and JSON-escaped,
                        URL-encoded) before it is used, whatever the exception. Its characters
                        are checked before its first use: printable ASCII with no space or
                        line break (a wrapped paste), else a message that does not quote it.

What one `load_game(game_id)` reads (the schema is supabase/migrations/*_playclips_schema.sql):
  GET /rest/v1/games?select=id&id=eq.<game>
  GET /rest/v1/game_videos?select=game_id,angle,uri,offset_s,drift_ppm,
      offset_correction_s,synced_at,sync_confidence&game_id=eq.<game>
      &order=angle.asc&offset=<n>&limit=1000                         Prefer: count=exact
  GET /rest/v1/plays?select=id,game_id,play_number,start_s,end_s,label,description,attributes
      &game_id=eq.<game>&order=start_s.asc,id.asc&offset=<n>&limit=1000  Prefer: count=exact

What `playclips sync --write` sends per angle (save_video_fields):
  PATCH /rest/v1/game_videos?game_id=eq.<game>&angle=eq.<ANGLE>   the sync fields as JSON,
      Prefer: return=representation; when that updates no row:
  POST /rest/v1/game_videos                                        the row, with its uri

Pagination: PostgREST returns at most `max-rows` rows per request (1000 on Supabase by default,
and a project may lower it), so every list is read in pages with `.range(a, b)` (sent as
`offset`/`limit`) ordered by a unique key (`id` is unique within a game), and `count=exact` makes
the server report the total in `Content-Range`: the loop stops when it has that many rows, so a
server capping pages below 1000 cannot silently truncate a game. (Without a count, a short page
ends the loop.)

Play ids: a play's `play_id` (which names its clip objects) is the `id` column, the play's
stable text key within its game; `play_number` (the order in the game, which a correction can
renumber) is kept in the play's attributes.

Retries: supabase-py's own retry (503/520 and network errors, sleeping 1, 2, 4 s) is switched
off; this module retries 429, 5xx and transport errors (connection refused/reset, timeouts)
`retries` times with exponential backoff (honouring a short Retry-After), then fails with a
message that names the URL.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx
from postgrest.exceptions import APIError
from postgrest.types import CountMethod

from ..model import Game, InvalidId, Play, PlayIssue, Video, check_id
from .base import PlaysError, UnknownGame, play_from_row, video_from_row

URL_ENV = "SUPABASE_URL"
KEY_ENV = "SUPABASE_SERVICE_KEY"
MIGRATION_HINT = (
    "apply the migrations supabase/migrations/*_playclips_schema.sql, oldest first "
    "(`supabase db push`, or `psql -f`; see docs/supabase.md)"
)

PAGE_ROWS = 1000
GAME_COLUMNS = "id"
VIDEO_COLUMNS = "game_id,angle,uri,offset_s,drift_ppm,offset_correction_s,synced_at,sync_confidence"
PLAY_COLUMNS = "id,game_id,play_number,start_s,end_s,label,description,attributes"
VIDEO_ORDER = (("angle", False),)
PLAY_ORDER = (("start_s", False), ("id", False))

# PostgREST error codes (https://docs.postgrest.org/en/stable/references/errors.html).
_MISSING_TABLE = {"42P01", "PGRST205"}
_MISSING_COLUMN = {"42703", "PGRST204"}
_BAD_JWT = {"PGRST300", "PGRST301", "PGRST302", "PGRST303"}
_RETRY_STATUS = {429, 500, 502, 503, 504, 520, 521, 522, 523, 524}
_REDACTED = "[SUPABASE_SERVICE_KEY]"


class SupabasePlays:
    """A PlaysSource over the Supabase tables `games`, `game_videos` and `plays`."""

    def __init__(
        self,
        url: str,
        key: str,
        *,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 10.0,
        retries: int = 2,
        backoff_s: float = 0.5,
        page_rows: int = PAGE_ROWS,
    ) -> None:
        from supabase import create_client
        from supabase.lib.client_options import SyncClientOptions

        self.url = _check_url(url)
        _check_key(key)
        if key in url or scrub(url, key) != url:  # every message names the URL
            raise PlaysError(
                f"{URL_ENV} contains the service key; set it to the project URL alone, such "
                "as https://<project-ref>.supabase.co"
            )
        self.__key = key
        self.retries = max(0, int(retries))
        self.backoff_s = max(0.0, float(backoff_s))
        self.page_rows = max(1, int(page_rows))
        self._last = threading.local()  # the HTTP status of this thread's last response
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            event_hooks={"response": [self._remember]},
        )
        options = SyncClientOptions(
            httpx_client=self._http,
            postgrest_client_retry=False,  # retried here, with messages that name the URL
            auto_refresh_token=False,
            persist_session=False,
        )
        try:
            self._client = create_client(self.url, key, options)
        except Exception as exc:  # supabase-py validates the url and key
            raise PlaysError(
                f"cannot set up the Supabase client for {self.url}: {self._scrub(str(exc))}"
            ) from None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **kwargs: Any) -> SupabasePlays:
        """Build from SUPABASE_URL and SUPABASE_SERVICE_KEY; PlaysError names a missing one."""
        env = os.environ if environ is None else environ
        url = env.get(URL_ENV, "").strip()
        key = env.get(KEY_ENV, "").strip()
        missing = [name for name, value in ((URL_ENV, url), (KEY_ENV, key)) if not value]
        if missing:
            raise PlaysError(
                f"--plays supabase needs {' and '.join(missing)} in the environment "
                f"({URL_ENV}=https://<project-ref>.supabase.co; {KEY_ENV} is the service-role "
                "key, on Cloud Run from Secret Manager)"
            )
        return cls(url, key, **kwargs)

    def __repr__(self) -> str:
        return f"SupabasePlays(url={self.url!r}, key=<redacted>)"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SupabasePlays:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the PlaysSource contract
    def load_game(self, game_id: str) -> Game:
        check_id("game", game_id)
        found = self._call(
            "games",
            lambda: self._client.table("games").select(GAME_COLUMNS).eq("id", game_id).execute(),
        )
        if not found.data:
            raise UnknownGame(
                f"game {game_id!r} is not in the games table at {self.url} (if it is there, "
                f"check that {KEY_ENV} is the service-role key: RLS hides every row from others)"
            )
        videos = self._videos(
            game_id, self._pages("game_videos", VIDEO_COLUMNS, game_id, VIDEO_ORDER)
        )
        plays: list[Play] = []
        issues: list[PlayIssue] = []
        for row in self._pages("plays", PLAY_COLUMNS, game_id, PLAY_ORDER):
            item = _play(row)
            (plays if isinstance(item, Play) else issues).append(item)  # type: ignore[arg-type]
        return Game(game_id, tuple(plays), videos, tuple(issues))

    # --- writing what `playclips sync` measured (sync/store.py chooses the fields)
    def save_video_fields(
        self, game_id: str, angle: str, fields: dict[str, Any], uri: str = ""
    ) -> None:
        """Set `fields` on the game's row for `angle` in game_videos (PATCH); when there is no
        such row, insert one with `uri` (POST). Raises PlaysError saying what failed."""
        table = self._client.table
        updated = self._call(
            "game_videos",
            lambda: (
                table("game_videos")
                .update(fields)
                .eq("game_id", game_id)
                .eq("angle", angle)
                .execute()
            ),
        )
        if updated.data:
            return
        if not uri:
            raise PlaysError(
                f"game_videos at {self.url} has no row for game {game_id!r}, angle {angle}, "
                "and no video uri is known to add one"
            )
        row = {"game_id": game_id, "angle": angle, "uri": uri, **fields}
        self._call("game_videos", lambda: table("game_videos").insert(row).execute())

    # --- reading
    def _videos(self, game_id: str, rows: list[dict[str, Any]]) -> dict[str, Video]:
        videos: dict[str, Video] = {}
        for row in rows:
            try:
                video = video_from_row(game_id, row)
            except (InvalidId, TypeError, ValueError, OverflowError) as exc:
                raise PlaysError(
                    f"game_videos at {self.url}: bad row for game {game_id!r}: {exc}"
                ) from None
            videos[video.angle] = video
        return videos

    def _pages(
        self, table: str, columns: str, game_id: str, order: tuple[tuple[str, bool], ...]
    ) -> list[dict[str, Any]]:
        """Every row of `table` for the game, in `order`, one page of `page_rows` at a time."""
        rows: list[dict[str, Any]] = []
        totals: set[int | None] = set()
        key = order[-1][0]  # unique within a game: a row seen twice means the pages overlap
        keys: set[str] = set()
        while True:
            start = len(rows)

            def request(start: int = start) -> Any:
                query = self._client.table(table).select(columns, count=CountMethod.exact)
                query = query.eq("game_id", game_id)
                for column, desc in order:
                    query = query.order(column, desc=desc)
                return query.range(start, start + self.page_rows - 1).execute()

            page = self._call(table, request)
            data = page.data if isinstance(page.data, list) else []
            for row in data:
                if not isinstance(row, dict):
                    raise PlaysError(
                        f"{table} at {self.url} returned a row that is not an object (a "
                        f"{type(row).__name__}) for game {game_id!r}; check {URL_ENV} points "
                        "at the project's REST API"
                    )
                value = row.get(key) if isinstance(row, dict) else None
                if isinstance(value, str) and value in keys:
                    raise PlaysError(
                        f"{table} at {self.url} returned {key} {value!r} of game {game_id!r} "
                        "twice: its pages overlap (rows changed during the read, or the server "
                        "ignores offset): run again"
                    )
                if isinstance(value, str):
                    keys.add(value)
            rows.extend(data)
            total = page.count
            totals.add(total)
            if not data or (total is None and len(data) < self.page_rows):
                break
            if total is not None and len(rows) >= total:
                break
        if len(totals) > 1 or (total is not None and len(rows) != total):
            raise PlaysError(
                f"{table} at {self.url} changed while game {game_id!r} was read "
                f"({len(rows)} rows read, counts {sorted(totals, key=str)}): run again"
            )
        return rows

    def _call(self, table: str, send: Callable[[], Any]) -> Any:
        """Send one request, retrying transient failures; map errors to clear PlaysErrors."""
        attempt = 0
        while True:
            self._last.status, self._last.retry_after = None, None
            try:
                return send()
            except APIError as exc:
                status = self._last.status
                if status in _RETRY_STATUS and exc.code not in _MISSING_TABLE | _MISSING_COLUMN:
                    if attempt < self.retries:
                        self._sleep(attempt, self._last.retry_after)
                        attempt += 1
                        continue
                    raise PlaysError(
                        f"Supabase at {self.url} kept failing while reading {table}: HTTP "
                        f"{status}{self._detail(exc)} after {attempt + 1} attempts; try again "
                        "later"
                    ) from None
                raise PlaysError(self._explain(table, status, exc)) from None
            except httpx.TransportError as exc:
                if attempt < self.retries:
                    self._sleep(attempt, None)
                    attempt += 1
                    continue
                raise PlaysError(self._network(table, exc, attempt + 1)) from None
            except PlaysError:
                raise
            except Exception as exc:  # anything else from the HTTP stack: its text may hold
                # the key (an echoed header, a bad Content-Range), so only a scrubbed excerpt
                what = self._scrub(f"{type(exc).__name__}: {exc}")[:200]
                raise PlaysError(
                    f"Supabase at {self.url} sent a response playclips cannot use while "
                    f"reading {table} ({what}); check {URL_ENV} points at the project's API"
                ) from None

    def _remember(self, response: httpx.Response) -> None:
        self._last.status = response.status_code
        self._last.retry_after = response.headers.get("retry-after")

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff_s * (2**attempt)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), 10.0))
        if delay > 0:
            time.sleep(delay)

    # --- messages (scrubbed of the key)
    def _scrub(self, text: str) -> str:
        return scrub(text, self.__key)

    def _detail(self, exc: APIError) -> str:
        parts = [str(p) for p in (exc.code, exc.message) if p]
        return f" ({self._scrub(': '.join(parts))[:300]})" if parts else ""

    def _explain(self, table: str, status: int | None, exc: APIError) -> str:
        code = exc.code or ""
        message = exc.message or ""
        if status == 401 or code in _BAD_JWT:
            return (
                f"{KEY_ENV} was rejected by {self.url} ({status or code}): check the secret's "
                f"value{self._detail(exc)}"
            )
        if code in _MISSING_TABLE or (status == 404 and "Could not find the table" in message):
            return (
                f"table public.{table} does not exist at {self.url}{self._detail(exc)}: "
                f"{MIGRATION_HINT}; if it was just created, reload PostgREST's schema cache "
                "(NOTIFY pgrst, 'reload schema')"
            )
        if code in _MISSING_COLUMN:
            return (
                f"table public.{table} at {self.url} lacks a column playclips reads"
                f"{self._detail(exc)}: {MIGRATION_HINT}"
            )
        if status == 403 or code == "42501":
            return (
                f"the key in {KEY_ENV} may not read public.{table} at {self.url}"
                f"{self._detail(exc)}: use the project's service-role (secret) key"
            )
        return f"Supabase at {self.url} refused to read {table}: HTTP {status}{self._detail(exc)}"

    def _network(self, table: str, exc: httpx.TransportError, attempts: int) -> str:
        if isinstance(exc, httpx.TimeoutException):
            what = f"timed out ({type(exc).__name__})"
        elif isinstance(exc, httpx.ConnectError):
            what = f"could not connect ({self._scrub(str(exc))[:200]})"
        else:
            what = f"{type(exc).__name__}: {self._scrub(str(exc))[:200]}"
        return (
            f"cannot reach Supabase at {self.url} to read {table}: {what}, after {attempts} "
            f"attempt{'s' if attempts != 1 else ''}; check {URL_ENV} and the network"
        )


def _play(row: dict[str, Any]) -> Play | PlayIssue:
    """A plays row -> Play (play_id = the `id` column; play_number goes to the attributes)."""
    fields = dict(row)
    fields["play_id"] = fields.pop("id", None)
    attributes = fields.get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        shown = str(fields["play_id"])[:80]
        kind = type(attributes).__name__
        return PlayIssue(shown, f"attributes must be a JSON object, got {kind}")
    return play_from_row(fields)


def scrub(text: str, key: str) -> str:
    """`text` with `key` replaced in every form it may take in a message or a log line."""
    if not key:
        return text
    forms = {
        key,
        repr(key)[1:-1],
        json.dumps(key)[1:-1],
        urllib.parse.quote(key, safe=""),
        urllib.parse.quote_plus(key),
        urllib.parse.quote(key),
        key.encode("unicode_escape").decode("ascii"),
    }
    for form in sorted(forms, key=len, reverse=True):
        if form:
            text = text.replace(form, _REDACTED)
    return text


def _check_url(url: str) -> str:
    text = (url or "").strip().rstrip("/")
    try:
        ok = text.isascii() and text.isprintable() and " " not in text
        parsed = httpx.URL(text) if ok and text.startswith(("http://", "https://")) else None
    except (httpx.InvalidURL, ValueError, TypeError):
        parsed = None
    if parsed is None or not parsed.host:
        # The value is not echoed: a swapped URL and key would print the key.
        raise PlaysError(
            f"{URL_ENV} must be an http(s) URL such as https://<project-ref>.supabase.co"
        )
    return text


def _check_key(key: str) -> None:
    """Reject a key that cannot be sent as a header, or that can only see what RLS allows
    (anon/publishable: it reads no rows). No message quotes the key."""
    if "\n" in key or "\r" in key:
        raise PlaysError(
            f"{KEY_ENV} contains a line break (a wrapped paste?); set it to the key on one line"
        )
    if not key.isascii():
        where = next(i for i, c in enumerate(key) if not c.isascii())
        raise PlaysError(
            f"{KEY_ENV} contains a non-ASCII character (at position {where + 1} of "
            f"{len(key)}); copy the key again from the project's API settings"
        )
    if not key.isprintable() or " " in key:
        raise PlaysError(
            f"{KEY_ENV} contains a space, tab or control character; copy the key again from "
            "the project's API settings"
        )
    if key.startswith("sb_publishable_"):
        raise PlaysError(
            f"{KEY_ENV} holds a publishable key; playclips needs the secret (service-role) key"
        )
    parts = key.split(".")
    if len(parts) == 3 and key.startswith("eyJ"):
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            return
        role = claims.get("role") if isinstance(claims, dict) else None
        if role in ("anon", "authenticated"):
            raise PlaysError(
                f"{KEY_ENV} holds a JWT for role {role!r}; playclips needs the service_role key "
                "(with RLS enabled and no policies, other roles see no rows)"
            )
