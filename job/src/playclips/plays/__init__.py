"""Where plays come from: a local CSV/JSON file, or Supabase."""

from __future__ import annotations

from .base import PlaysError, PlaysSource, UnknownGame
from .local import LocalPlaysFile

__all__ = ["LocalPlaysFile", "PlaysError", "PlaysSource", "UnknownGame", "open_plays_source"]


def open_plays_source(spec: str) -> PlaysSource:
    """The plays source named by `spec`: `supabase`, or a CSV/JSON file (a path or gs:// URI)."""
    if spec == "supabase":
        from .supabase import SupabasePlays  # lazily: local runs need no Supabase client

        return SupabasePlays.from_env()
    if spec.startswith("gs://"):
        from .gcs_file import open_gcs_plays_file

        return open_gcs_plays_file(spec)
    return LocalPlaysFile(spec)
