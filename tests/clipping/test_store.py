"""clipping/store.py: the clip metadata scheme and the create-only put, on a real folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playclips.clipping.store import (
    META_FACTS,
    META_GENERATION,
    META_OPTIONS,
    META_SPEC,
    clip_metadata,
    made_with,
    matches,
    put_clip,
    record,
)
from playclips.model import ClipSpec, Play
from playclips.storage import LocalStorage, ObjectInfo, PreconditionFailed

SPEC = ClipSpec(Play("g1", "p1", 1.0, 2.0, label="run"), "WIDE", 1.0, 2.0)
SOURCE = ObjectInfo(key="g1/WIDE.mp4", size=10, generation=77)
COPY = {"mode": "copy", "format": 1}


def _meta(digest: str = "d1", facts: dict | None = None) -> dict[str, str]:
    meta = clip_metadata("file:///v/g1/WIDE.mp4", SOURCE, digest, COPY)
    return {**meta, META_FACTS: json.dumps(facts or {"clip_start_s": 0.9, "mode": "copy"})}


def test_new_clip_metadata_names_the_source_version_spec_and_options() -> None:
    meta = clip_metadata("file:///v/g1/WIDE.mp4", SOURCE, "d1", {"mode": "copy", "format": 1})
    assert meta[META_GENERATION] == "77" and meta[META_SPEC] == "d1"
    assert meta[META_OPTIONS] == '{"format": 1, "mode": "copy"}'  # sorted: stable bytes
    assert META_FACTS not in meta  # added once the clip is made


def test_a_clip_is_finished_only_for_the_same_source_version_and_spec() -> None:
    stored = ObjectInfo(key=SPEC.key, size=5, generation=1, metadata=_meta())
    assert matches(stored, SOURCE, "d1")
    assert not matches(stored, SOURCE, "d2")
    replaced = ObjectInfo(key=SOURCE.key, size=10, generation=78)
    assert not matches(stored, replaced, "d1")
    no_facts = {k: v for k, v in stored.metadata.items() if k != META_FACTS}
    assert not matches(ObjectInfo(SPEC.key, 5, 1, no_facts), SOURCE, "d1")


def test_made_with_reads_the_stored_options_or_infers_them_from_old_clips() -> None:
    encode = {"mode": "encode", "format": 1, "height": 360}
    assert made_with({META_OPTIONS: json.dumps(encode)}, "copy", COPY) == encode
    assert made_with({META_OPTIONS: "not json"}, "copy", COPY) is None
    old_copy = {META_FACTS: json.dumps({"mode": "copy"})}
    assert made_with(old_copy, "encode", encode) == COPY
    old_encode = {META_FACTS: json.dumps({"mode": "encode"})}
    assert made_with(old_encode, "encode", encode) == encode  # this run's options
    assert made_with(old_encode, "copy", COPY) is None  # unknowable: made again


def test_put_is_create_only_and_replaces_only_the_stale_version_seen(tmp_path: Path) -> None:
    out = LocalStorage(str(tmp_path))
    first = put_clip(out, SPEC, b"one", _meta("d1"), None)
    assert (tmp_path / SPEC.key).read_bytes() == b"one"
    with pytest.raises(PreconditionFailed):  # another clip is there: not ours to overwrite
        put_clip(out, SPEC, b"two", _meta("d2"), None)
    second = put_clip(out, SPEC, b"two", _meta("d2"), first)  # the stale one we saw
    assert (tmp_path / SPEC.key).read_bytes() == b"two"
    assert second.metadata[META_SPEC] == "d2"


def test_a_racing_twin_of_the_same_clip_is_accepted(tmp_path: Path) -> None:
    out = LocalStorage(str(tmp_path))
    theirs = put_clip(out, SPEC, b"same clip", _meta("d1"), None)
    ours = put_clip(out, SPEC, b"same clip", _meta("d1"), None)  # lost the race: fine
    assert ours.generation == theirs.generation


def test_record_is_the_manifest_line_of_the_stored_clip(tmp_path: Path) -> None:
    out = LocalStorage(str(tmp_path))
    from playclips.outputs.manifest import CLIP_FACTS

    facts: dict = dict.fromkeys(CLIP_FACTS, 0)
    facts |= {"clip_start_s": 0.9, "clip_end_s": 2.1, "note": "starts 0.1 s early"}
    line = record(SPEC, out, facts)
    assert (line["clip_start_s"], line["clip_end_s"]) == (0.9, 2.1)
    assert line["uri"] == out.uri("clips/g1/WIDE/p1.mp4")
    assert (line["play_id"], line["angle"], line["label"]) == ("p1", "WIDE", "run")
    assert line["note"] == "starts 0.1 s early"
