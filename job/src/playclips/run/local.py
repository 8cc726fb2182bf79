"""`playclips trigger --env local`: the cloud workflow's two steps on this machine.

The workflow runs the clip job, then finalize; locally the CLI runs `playclips run` then
writes the dataset below the same output folder. Asked for the demo game with no plays or
videos named, the sample game is made first (once, then reused).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..demo import DEMO_GAME, make_sample_game
from ..outputs.dataset import finalize as write_dataset
from ..storage import open_storage


class LocalTriggerError(ValueError):
    """A local trigger that cannot start as asked; the message says what to give."""


def local_sources(
    games: list[str], plays: str | None, videos: str | None, out: str, say: Callable[[str], None]
) -> tuple[str, str]:
    """The plays and videos to clip: those given, or the sample game's (made below `out`)."""
    if plays and videos:
        return plays, videos
    if set(games) != {DEMO_GAME}:
        raise LocalTriggerError(
            f"--plays and --videos (or PLAYCLIPS_PLAYS, PLAYCLIPS_VIDEOS) are needed for "
            f"games other than the demo game {DEMO_GAME}"
        )
    say(f"Sample game in {out} (made once, then reused)")
    made = make_sample_game(Path(out), lambda m: say(f"  {m}"))
    return str(made[0]), str(made[1])


def finalize_run(out: str, run_id: str, games: list[str], dataset: dict[str, Any]) -> dict:
    """Write run `run_id`'s dataset below `out`; its summary.

    Raises DatasetError (an unknown run id, a prompt that cannot be built) or StorageError.
    """
    return write_dataset(
        open_storage(out),
        run_id,
        games,
        dataset["shares"],
        dataset["prompt"],
        vertex_validation=dataset["vertex_validation"],
        max_labels=dataset["max_labels"],
    )


def local_exit_code(run_code: int, summary: dict[str, Any] | None) -> int:
    """0 when every game was clipped and the dataset written with every game ok, else 1."""
    return 1 if run_code or summary is None or not summary["ok"] else 0
