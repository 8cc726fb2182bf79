"""Every object name below an output root, in one place.

```
clips/{game}/{angle}/{play}.mp4                  one clip per play and angle
manifests/{game}/clips.jsonl                     the game's manifest, replaced whole
manifests/{game}/contact_sheet[-N].png           its contact sheet, page N from 2 on
manifests/{game}/contact_sheet.json              the sheet's tile layout
reports/{run_id}/{game}.json                     one report per game and run
reports/{run_id}/index.html                      the run's page
datasets/{run_id}/...                            the run's dataset (clips/, vertex/, gemini/)
runs/{run_id}/games.json                         the games list a cloud run was started with
```

Names are built from ids already checked (model.check_id), so none holds a `/` of its own.
"""

from __future__ import annotations


def clip_key(game_id: str, angle: str, play_id: str) -> str:
    """Where a play's clip on one angle lives."""
    return f"{clips_prefix(game_id)}{angle}/{play_id}.mp4"


def clips_prefix(game_id: str) -> str:
    """The folder holding every clip of a game, on every angle."""
    return f"clips/{game_id}/"


def manifest_key(game_id: str) -> str:
    """Where a game's manifest lives."""
    return f"manifests/{game_id}/clips.jsonl"


def sheet_key(game_id: str, page: int = 1) -> str:
    """Where page `page` (from 1) of a game's contact sheet lives (next to its manifest)."""
    suffix = "" if page == 1 else f"-{page}"
    return f"manifests/{game_id}/contact_sheet{suffix}.png"


def layout_key(game_id: str) -> str:
    """Where the sheet's tile layout (and the clip version each tile shows) lives."""
    return f"manifests/{game_id}/contact_sheet.json"


def reports_prefix(run_id: str) -> str:
    """The folder holding a run's reports and its page."""
    return f"reports/{run_id}/"


def report_key(run_id: str, game_id: str) -> str:
    """Where a game's report for a run lives."""
    return f"{reports_prefix(run_id)}{game_id}.json"


def index_key(run_id: str) -> str:
    """Where a run's index page lives (beside its reports)."""
    return f"{reports_prefix(run_id)}index.html"


def dataset_key(run_id: str, name: str) -> str:
    """Where a file of a run's dataset lives (`name` is its path inside the dataset)."""
    return f"datasets/{run_id}/{name}"


def games_key(run_id: str) -> str:
    """Where `playclips trigger` writes the games list the cloud workflow reads."""
    return f"runs/{run_id}/games.json"
