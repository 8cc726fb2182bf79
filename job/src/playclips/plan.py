"""Plays + videos -> validated clip specs. Pure: no I/O, no clock.

Two steps, because the second needs the video's duration and the first must not:
`plan_game` checks each play and maps it onto each angle's timeline (Video.file_time: angle
time = offset_s + play time x (1 + drift_ppm / 1e6)); `fit_to_video` then drops specs that
start after one angle's end.
Rejected plays come back as PlayIssues with a reason a person can act on.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence

from .model import ClipSpec, Game, Play, PlayIssue, Video


def plan_game(game: Game, angles: Sequence[str]) -> tuple[list[ClipSpec], list[PlayIssue]]:
    """Return one spec per (valid play, angle), ordered by angle then start, and the rejects."""
    issues: list[PlayIssue] = list(game.issues)
    counts = Counter(p.play_id for p in game.plays)
    valid: list[Play] = []
    reported: set[str] = set()  # one line per duplicated id, not one per copy
    for play in game.plays:
        if counts[play.play_id] > 1:
            if play.play_id in reported:
                continue
            reported.add(play.play_id)
            issues.append(
                PlayIssue(
                    play.play_id,
                    f"play id {play.play_id!r} appears {counts[play.play_id]} times in game "
                    f"{game.game_id}; ids must be unique, so none of them was clipped",
                )
            )
        elif play.end_s <= play.start_s:
            issues.append(
                PlayIssue(
                    play.play_id,
                    f"end_s {play.end_s:g} is not after start_s {play.start_s:g}",
                )
            )
        elif play.start_s < 0:
            issues.append(PlayIssue(play.play_id, f"start_s {play.start_s:g} is negative"))
        else:
            valid.append(play)
    valid.sort(key=lambda p: (p.start_s, p.play_id))
    specs: list[ClipSpec] = []
    for angle in angles:
        video = game.videos.get(angle) or Video(game.game_id, angle, "")
        offset = video.offset_s
        for play in valid:
            start, end = video.file_time(play.start_s), video.file_time(play.end_s)
            if end <= 0:
                issues.append(
                    PlayIssue(
                        play.play_id,
                        f"play ends at {end:g} s on {angle} (offset {offset:g} s), "
                        "before that video starts",
                        angle,
                    )
                )
                continue
            specs.append(ClipSpec(play, angle, start, end))
    return specs, issues


def fit_to_video(
    specs: Sequence[ClipSpec], duration_s: float
) -> tuple[list[ClipSpec], list[PlayIssue]]:
    """Drop one angle's specs that start after its end: (kept specs, rejected).

    A play that runs past the end, or starts before the first frame, is kept: the cutter knows
    the exact first and last frames (a container's stated duration can fall short of its last
    frame) and notes what it could not clip.
    """
    kept: list[ClipSpec] = []
    rejected: list[PlayIssue] = []
    for spec in specs:
        if spec.start_s >= duration_s:
            rejected.append(
                PlayIssue(
                    spec.play.play_id,
                    f"play starts at {spec.start_s:g} s on {spec.angle}, after the video ends "
                    f"({duration_s:g} s)",
                    spec.angle,
                )
            )
        else:
            kept.append(spec)
    return kept, rejected


def spec_hash(spec: ClipSpec, options: dict[str, object]) -> str:
    """A short hash of everything that determines a clip's bytes besides the source version.

    Computed from the requested times (before `fit_to_video`) so a rerun can decide to skip a
    clip without opening the video.
    """
    payload = {
        "play": spec.play.play_id,
        "angle": spec.angle,
        "start_s": round(spec.start_s, 6),
        "end_s": round(spec.end_s, 6),
        "options": options,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
