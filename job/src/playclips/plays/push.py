"""Push a local (or gs://) plays file into Supabase: `playclips plays push FILE`.

The file is read and checked exactly as `playclips run --plays FILE` reads it (CSV or JSON,
with optional video rows and offsets); any play it would reject stops the push before a single
row is written, so a bad file changes nothing. Then, through the same supabase-py client as
`--plays supabase` (SupabasePlays: its URL and key checks, retries and scrubbed messages), three
upserts per batch of rows, in foreign-key order:

  POST /rest/v1/games?on_conflict=id            Prefer: resolution=ignore-duplicates
       rows {id}: a game that exists keeps its name, date and attributes
  POST /rest/v1/game_videos?on_conflict=game_id,angle   Prefer: resolution=merge-duplicates
       rows {game_id, angle, uri, offset_s}: an angle's file and offset are replaced
  POST /rest/v1/plays?on_conflict=game_id,id    Prefer: resolution=merge-duplicates
       rows {id, game_id, play_number, start_s, end_s, label, description, attributes}

An upsert never deletes: a play removed from the file stays in the table until deleted there.
A `play_number` column (or attribute) that is a whole number > 0 goes to its column, as
SupabasePlays reads it back; everything else beyond the play fields (a play_number that is not
such a number included) stays in `attributes`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from postgrest.types import ReturnMethod

from ..model import Game, InvalidId, check_id
from .base import PlaysError
from .supabase import SupabasePlays

BATCH_ROWS = 500  # rows per request: well under PostgREST's request size limits
MAX_SHOWN_ISSUES = 10


@dataclass(frozen=True)
class PushResult:
    """What one push wrote (rows sent; an upsert does not say which were new)."""

    games: int
    videos: int
    plays: int


def read_games(source: Any, games: list[str] | None = None) -> list[Game]:
    """Every game of the plays file (or the named ones), checked; PlaysError lists bad plays."""
    wanted = games or source.game_ids()
    issues = []
    for game_id in wanted:
        try:
            check_id("game", game_id)
        except InvalidId as exc:
            issues.append(str(exc))
    loaded = [source.load_game(g) for g in wanted if not issues]
    issues += [f"game {g.game_id} play {i.play_id}: {i.reason}" for g in loaded for i in g.issues]
    # What the tables' constraints would refuse half-way through a push (plan.py refuses the
    # same plays at run time): checked here so that nothing is written instead.
    for game in loaded:
        for video in game.videos.values():
            if not video.uri:
                issues.append(
                    f"game {game.game_id} angle {video.angle}: a video row needs a uri in "
                    f"Supabase (e.g. {game.game_id}/{video.angle}.mp4 below the video root)"
                )
        seen: set[str] = set()
        for play in game.plays:
            where = f"game {game.game_id} play {play.play_id}"
            if play.play_id in seen:
                issues.append(f"{where}: listed twice")
            seen.add(play.play_id)
            if play.start_s < 0:
                issues.append(f"{where}: starts before 0 s ({play.start_s})")
            if play.end_s <= play.start_s:
                issues.append(f"{where}: ends at {play.end_s} s, not after its start")
    if issues:
        shown = "; ".join(issues[:MAX_SHOWN_ISSUES])
        more = f" (and {len(issues) - MAX_SHOWN_ISSUES} more)" if len(issues) > 10 else ""
        raise PlaysError(
            f"{source.path}: {len(issues)} row(s) would be rejected, nothing was pushed: "
            f"{shown}{more}; fix the file and push again"
        )
    return loaded


def rows_for(games: list[Game]) -> tuple[list[dict], list[dict], list[dict]]:
    """(games rows, game_videos rows, plays rows) in the schema of supabase/migrations."""
    game_rows = [{"id": g.game_id} for g in games]
    video_rows = [
        {"game_id": v.game_id, "angle": v.angle, "uri": v.uri, "offset_s": v.offset_s}
        for g in games
        for v in g.videos.values()
    ]
    play_rows = []
    for game in games:
        for play in game.plays:
            attributes = dict(play.attributes)
            number = _play_number(attributes.get("play_number"))
            if number is not None:
                del attributes["play_number"]
            play_rows.append(
                {
                    "id": play.play_id,
                    "game_id": play.game_id,
                    "play_number": number,
                    "start_s": play.start_s,
                    "end_s": play.end_s,
                    "label": play.label,
                    "description": play.description,
                    "attributes": attributes,
                }
            )
    return game_rows, video_rows, play_rows


def push_plays(
    source: Any,
    target: SupabasePlays,
    games: list[str] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> PushResult:
    """Upsert the file's games, videos and plays into Supabase; return the row counts."""
    game_rows, video_rows, play_rows = rows_for(read_games(source, games))
    for table, rows, conflict, ignore in (
        ("games", game_rows, "id", True),
        ("game_videos", video_rows, "game_id,angle", False),
        ("plays", play_rows, "game_id,id", False),
    ):
        for batch in _batches(rows):
            progress(f"{table}: {len(batch)} row(s)")
            _upsert(target, table, batch, conflict, ignore)
    return PushResult(len(game_rows), len(video_rows), len(play_rows))


def _upsert(
    target: SupabasePlays, table: str, rows: list[dict], conflict: str, ignore: bool
) -> None:
    def send() -> Any:
        return (
            target._client.table(table)
            .upsert(
                rows,
                on_conflict=conflict,
                ignore_duplicates=ignore,
                returning=ReturnMethod.minimal,
            )
            .execute()
        )

    try:
        target._call(table, send)
    except PlaysError as exc:
        raise PlaysError(f"push stopped at {table} (rows before it are written): {exc}") from None


def _batches(rows: list[dict]) -> Iterator[list[dict]]:
    for start in range(0, len(rows), BATCH_ROWS):
        yield rows[start : start + BATCH_ROWS]


def _play_number(value: Any) -> int | None:
    try:
        number = int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number and number > 0 else None
