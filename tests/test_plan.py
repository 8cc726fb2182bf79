"""plan.py: plays and videos to clip specs, and the rejects, with no I/O."""

from __future__ import annotations

from playclips.model import ClipSpec, Game, Play, PlayIssue, Video
from playclips.plan import fit_to_video, plan_game, spec_hash


def _game(*plays: Play, videos: dict[str, Video] | None = None) -> Game:
    return Game("g1", tuple(plays), videos or {})


def test_specs_are_ordered_by_angle_then_start_and_carry_each_offset_and_drift() -> None:
    late, early = Play("g1", "p2", 30.0, 36.0), Play("g1", "p1", 10.0, 14.0)
    videos = {
        "WIDE": Video("g1", "WIDE", "w.mp4", offset_s=2.5),
        "TIGHT": Video("g1", "TIGHT", "t.mp4", offset_s=-1.0, drift_ppm=100.0),
    }
    specs, issues = plan_game(_game(late, early, videos=videos), ["WIDE", "TIGHT"])
    assert issues == []
    assert [(s.angle, s.play.play_id) for s in specs] == [
        ("WIDE", "p1"),
        ("WIDE", "p2"),
        ("TIGHT", "p1"),
        ("TIGHT", "p2"),
    ]
    assert (specs[0].start_s, specs[0].end_s) == (12.5, 16.5)
    # file time = offset + play time x (1 + drift / 1e6)
    assert specs[3].start_s == -1.0 + 30.0 * 1.0001
    assert specs[3].end_s == -1.0 + 36.0 * 1.0001


def test_an_angle_without_a_video_row_is_planned_at_offset_zero() -> None:
    specs, _ = plan_game(_game(Play("g1", "p1", 1.0, 2.0)), ["FAR_LEFT"])
    assert specs == [ClipSpec(Play("g1", "p1", 1.0, 2.0), "FAR_LEFT", 1.0, 2.0)]


def test_bad_plays_are_rejected_with_a_reason_and_the_rest_kept() -> None:
    plays = (
        Play("g1", "dup", 1.0, 2.0),
        Play("g1", "dup", 5.0, 6.0),
        Play("g1", "dup", 7.0, 8.0),
        Play("g1", "backwards", 9.0, 9.0),
        Play("g1", "negative", -1.0, 3.0),
        Play("g1", "fine", 3.0, 4.0),
    )
    earlier = PlayIssue("unparsed", "row 7: start_s is not a number")
    game = Game("g1", plays, {}, issues=(earlier,))
    specs, issues = plan_game(game, ["WIDE"])
    assert [s.play.play_id for s in specs] == ["fine"]
    assert [i.play_id for i in issues] == ["unparsed", "dup", "backwards", "negative"]
    assert issues[1].reason == (
        "play id 'dup' appears 3 times in game g1; ids must be unique, so none of them was clipped"
    )
    assert issues[2].reason == "end_s 9 is not after start_s 9"
    assert issues[3].reason == "start_s -1 is negative"


def test_a_play_that_ends_before_an_angle_starts_is_rejected_on_that_angle_only() -> None:
    videos = {"LATE": Video("g1", "LATE", "l.mp4", offset_s=-20.0)}
    specs, issues = plan_game(_game(Play("g1", "p1", 5.0, 15.0), videos=videos), ["LATE", "WIDE"])
    assert [s.angle for s in specs] == ["WIDE"]
    assert issues == [
        PlayIssue(
            "p1", "play ends at -5 s on LATE (offset -20 s), before that video starts", "LATE"
        )
    ]


def test_fit_to_video_drops_only_specs_that_start_after_the_end() -> None:
    play = Play("g1", "p", 0.0, 1.0)
    inside = ClipSpec(play, "WIDE", 50.0, 70.0)  # runs past the end: kept, the cutter notes it
    after = ClipSpec(Play("g1", "q", 0.0, 1.0), "WIDE", 60.0, 61.0)
    kept, rejected = fit_to_video([inside, after], 60.0)
    assert kept == [inside]
    assert rejected == [
        PlayIssue("q", "play starts at 60 s on WIDE, after the video ends (60 s)", "WIDE")
    ]


def test_spec_hash_changes_with_times_angle_and_options_only() -> None:
    play = Play("g1", "p", 1.0, 2.0, label="run")
    spec = ClipSpec(play, "WIDE", 1.0, 2.0)
    copy = {"mode": "copy", "format": 1}
    digest = spec_hash(spec, copy)
    assert len(digest) == 16 and digest == spec_hash(spec, dict(copy))
    relabelled = ClipSpec(Play("g1", "p", 1.0, 2.0, label="pass"), "WIDE", 1.0, 2.0)
    assert spec_hash(relabelled, copy) == digest  # a label does not change the clip's bytes
    assert spec_hash(ClipSpec(play, "WIDE", 1.0, 2.5), copy) != digest
    assert spec_hash(ClipSpec(play, "TIGHT", 1.0, 2.0), copy) != digest
    assert spec_hash(spec, {"mode": "encode", "format": 1}) != digest
    # below the microsecond the times are the same clip
    assert spec_hash(ClipSpec(play, "WIDE", 1.0000001, 2.0), copy) == digest
