"""Where plays come from: a local CSV/JSON file, or Supabase."""

from __future__ import annotations

from .base import PlaysError, PlaysSource, UnknownGame
from .local import LocalPlaysFile

__all__ = ["LocalPlaysFile", "PlaysError", "PlaysSource", "UnknownGame", "open_plays_source"]


def open_plays_source(spec: str) -> PlaysSource:
    """Return the plays source named by `spec`: `supabase`, or a path to a CSV/JSON file."""
    if spec == "supabase":
        from .supabase import SupabasePlays  # lazily: local runs need no Supabase client

        return SupabasePlays.from_env()
    return LocalPlaysFile(spec)
