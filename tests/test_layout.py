"""layout.py: every object name below an output root."""

from __future__ import annotations

from playclips import layout
from playclips.model import ClipSpec, Play


def test_each_object_has_the_name_the_docs_and_the_workflow_use() -> None:
    assert layout.clip_key("g1", "FAR_LEFT", "p7") == "clips/g1/FAR_LEFT/p7.mp4"
    assert layout.manifest_key("g1") == "manifests/g1/clips.jsonl"
    assert layout.sheet_key("g1") == "manifests/g1/contact_sheet.png"
    assert layout.sheet_key("g1", 3) == "manifests/g1/contact_sheet-3.png"
    assert layout.layout_key("g1") == "manifests/g1/contact_sheet.json"
    assert layout.report_key("r1", "g1") == "reports/r1/g1.json"
    assert layout.index_key("r1") == "reports/r1/index.html"
    assert layout.dataset_key("r1", "gemini/train.jsonl") == "datasets/r1/gemini/train.jsonl"
    assert layout.games_key("r1") == "runs/r1/games.json"


def test_prefixes_hold_exactly_their_objects() -> None:
    assert layout.clip_key("g1", "WIDE", "p").startswith(layout.clips_prefix("g1"))
    assert not layout.clip_key("g10", "WIDE", "p").startswith(layout.clips_prefix("g1"))
    for key in (layout.report_key("r1", "g1"), layout.index_key("r1")):
        assert key.startswith(layout.reports_prefix("r1"))
    assert not layout.report_key("r10", "g1").startswith(layout.reports_prefix("r1"))


def test_a_clip_spec_is_stored_under_the_layout_name() -> None:
    spec = ClipSpec(Play("g1", "p7", 1.0, 2.0), "NEAR_RIGHT", 1.0, 2.0)
    assert spec.key == layout.clip_key("g1", "NEAR_RIGHT", "p7")


def test_the_docstring_tree_lists_every_kind_of_object() -> None:
    doc = layout.__doc__ or ""
    for name in ("clips/", "manifests/", "contact_sheet", "reports/", "index.html", "datasets/"):
        assert name in doc
    assert "runs/{run_id}/games.json" in doc
