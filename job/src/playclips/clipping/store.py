"""A clip's object: the metadata that makes a rerun skip it, and its create-only put.

A stored clip carries the source's URI and generation, the clip spec's hash, the options it
was made with and its facts (the manifest record's numbers). A clip whose metadata matches
the current source generation and spec hash is finished; anything else is made again. Puts
are create-only, so two runs racing on one game never overwrite each other's clips (see
"Idempotent and resumable" in docs/design.md).
"""

from __future__ import annotations

import json
from typing import Any

from ..model import ClipSpec
from ..outputs.manifest import clip_record
from ..storage import ObjectInfo, PreconditionFailed, Storage

CLIP_CONTENT_TYPE = "video/mp4"
META_SOURCE = "playclips-source"
META_GENERATION = "playclips-source-generation"
META_SPEC = "playclips-spec"
META_FACTS = "playclips-clip"
META_OPTIONS = "playclips-options"  # the clip options (Job.clip_options) it was made with
COPY_OPTIONS: dict[str, Any] = {"mode": "copy", "format": 1}


def clip_metadata(
    video: str, source: ObjectInfo, digest: str, options: dict[str, Any]
) -> dict[str, str]:
    """The metadata a new clip is put with (its facts are added once they are known)."""
    return {
        META_SOURCE: video,
        META_GENERATION: str(source.generation),
        META_SPEC: digest,
        META_OPTIONS: json.dumps(options, sort_keys=True),
    }


def matches(existing: ObjectInfo, source: ObjectInfo, digest: str) -> bool:
    """Whether a stored clip is finished: same source version, same spec, facts present."""
    meta = existing.metadata
    return (
        meta.get(META_GENERATION) == str(source.generation)
        and meta.get(META_SPEC) == digest
        and META_FACTS in meta
    )


def made_with(meta: dict[str, str], mode: str, options: dict[str, Any]) -> dict[str, Any] | None:
    """The clip options a stored clip was made with (None if they cannot be known).

    `mode` and `options` are this run's: a clip made before the options were stored, in this
    run's mode, is taken to have been made with them.
    """
    if META_OPTIONS in meta:
        try:
            stored = json.loads(meta[META_OPTIONS])
        except ValueError:
            return None
        return stored if isinstance(stored, dict) else None
    try:  # a clip made before the options were stored: its facts give the mode
        made_in = json.loads(meta.get(META_FACTS, "{}")).get("mode")
    except (ValueError, AttributeError):
        return None
    if made_in == mode:
        return options
    return dict(COPY_OPTIONS) if made_in == "copy" else None


def put_clip(
    out: Storage, spec: ClipSpec, data: bytes, metadata: dict[str, str], existing: ObjectInfo | None
) -> ObjectInfo:
    """Create the clip; replace only the exact stale version seen; accept a racing twin."""
    generation = existing.generation if existing else 0
    try:
        return out.put(
            spec.key,
            data,
            content_type=CLIP_CONTENT_TYPE,
            metadata=metadata,
            if_generation_match=generation,
        )
    except PreconditionFailed:
        current = out.stat(spec.key)
        if (
            current
            and current.metadata.get(META_SPEC) == metadata[META_SPEC]
            and (current.metadata.get(META_GENERATION) == metadata[META_GENERATION])
        ):
            return current  # another run made the same clip first
        raise


def record(spec: ClipSpec, out: Storage, facts: dict[str, Any]) -> dict[str, Any]:
    """The manifest record of a stored clip, from its facts."""
    return clip_record(spec.play, spec.angle, out.uri(spec.key), facts, facts.get("note", ""))
