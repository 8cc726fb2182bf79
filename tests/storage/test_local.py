"""The local storage root keeps each file and its metadata together, whatever is killed when."""

from __future__ import annotations

from pathlib import Path

import pytest

from playclips.storage import LocalStorage, PreconditionFailed
from playclips.storage import local as local_module


def test_create_only_then_generation_matched_replace(tmp_path: Path) -> None:
    store = LocalStorage(str(tmp_path))
    first = store.put(
        "a/b.mp4", b"one", content_type="video/mp4", metadata={"v": "1"}, if_generation_match=0
    )
    with pytest.raises(PreconditionFailed):
        store.put(
            "a/b.mp4", b"two", content_type="video/mp4", metadata={"v": "2"}, if_generation_match=0
        )
    assert store.stat("a/b.mp4").metadata == {"v": "1"}  # the loser's metadata is not read
    second = store.put(
        "a/b.mp4",
        b"two",
        content_type="video/mp4",
        metadata={"v": "2"},
        if_generation_match=first.generation,
    )
    assert second.generation != first.generation
    assert (tmp_path / "a/b.mp4").read_bytes() == b"two"
    assert store.stat("a/b.mp4").metadata == {"v": "2"}
    with pytest.raises(PreconditionFailed):
        store.put(
            "a/b.mp4",
            b"three",
            content_type="video/mp4",
            metadata={"v": "3"},
            if_generation_match=first.generation,
        )
    assert list(store.list("a/")) == ["a/b.mp4"]
    assert len(list((tmp_path / ".playclips-meta" / "a").iterdir())) == 1  # no orphans


def test_a_kill_before_the_rename_keeps_the_old_file_with_its_own_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStorage(str(tmp_path))
    old = store.put(
        "c.mp4", b"old", content_type="video/mp4", metadata={"spec": "old"}, if_generation_match=0
    )

    def killed(*args: object) -> None:
        raise KeyboardInterrupt  # stands for SIGKILL between the sidecar and the rename

    monkeypatch.setattr(local_module.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        store.put(
            "c.mp4",
            b"new",
            content_type="video/mp4",
            metadata={"spec": "new"},
            if_generation_match=old.generation,
        )
    monkeypatch.undo()
    now = store.stat("c.mp4")
    assert (tmp_path / "c.mp4").read_bytes() == b"old"
    assert now.metadata == {"spec": "old"} and now.generation == old.generation


def test_a_file_replaced_behind_our_back_has_no_metadata(tmp_path: Path) -> None:
    store = LocalStorage(str(tmp_path))
    store.put(
        "d.mp4", b"made", content_type="video/mp4", metadata={"spec": "x"}, if_generation_match=0
    )
    (tmp_path / "d.mp4").unlink()
    (tmp_path / "d.mp4").write_bytes(b"someone else's")
    assert store.stat("d.mp4").metadata == {}  # so the pipeline makes the clip again
