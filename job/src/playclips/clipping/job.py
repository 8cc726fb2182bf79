"""What a game's run is given: the Job (sources, destinations, limits) and where events go."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from ..media.cut import CutLimits
from ..media.encode import EncodeOptions
from ..model import ClipSpec, Game
from ..outputs.report import AngleReport
from ..outputs.sheet import Tiles
from ..plays import PlaysSource
from ..storage import Storage


class Events(Protocol):
    """What the pipeline tells a progress display or log as it goes."""

    def angle_planned(self, game_id: str, angle: str, clips: int) -> None: ...

    def clip_done(self, game_id: str, angle: str, status: str, nbytes: int) -> None: ...

    def angle_done(self, game_id: str, report: AngleReport) -> None: ...


class NoEvents:
    """Events sink that ignores everything (library use, tests)."""

    def angle_planned(self, game_id: str, angle: str, clips: int) -> None:
        pass

    def clip_done(self, game_id: str, angle: str, status: str, nbytes: int) -> None:
        pass

    def angle_done(self, game_id: str, report: AngleReport) -> None:
        pass


class AngleResult(Protocol):
    """What one angle's run gives back (angle.AngleRun, or its copy from another process)."""

    report: AngleReport
    records: list[dict[str, Any]]
    issues: Any  # angle.AngleIssues: the plays rejected, warned about, failed on this angle


class AnglePool(Protocol):
    """Runs a game's angles somewhere other than this process's threads (run/angle_pool.py:
    worker processes)."""

    storage_retries: int  # storage retries counted where the angles ran

    def submit_all(
        self, game: Game, angles: list[tuple[str, list[ClipSpec]]], videos: Any, tiles: Tiles
    ) -> list[Future[AngleResult]]:
        """Run each (angle, clip specs) with game.run_angle_alone there, a future each in
        the same order; the angles' thumbnails are added to `tiles`."""
        ...


@dataclass
class Job:
    """Everything a game needs besides its id."""

    plays: PlaysSource
    videos: Storage
    out: Storage
    run_id: str
    angles: Sequence[str] | None = None  # None: every angle the game has (videos.py)
    angles_in_flight: int = 4
    uploads_in_flight: int = 1  # 2 held 56 MiB more for no speed-up (docs/performance.md)
    read_buffer: int = 1 << 16
    events: Events = field(default_factory=NoEvents)
    stop: threading.Event = field(default_factory=threading.Event)
    mode: str = "copy"  # copy | encode
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    encodes_in_flight: int = 1  # clips of one game encoded at once (encode.encoder_slots)
    encode_threads: int = 1  # ffmpeg threads per encode
    limits: CutLimits = field(default_factory=CutLimits)
    angle_pool: AnglePool | None = None  # None: angles run in threads of this process

    @property
    def clip_options(self) -> dict[str, Any]:
        """Everything besides the play and source that decides a clip's bytes."""
        if self.mode == "encode":
            return {"mode": "encode", "format": 1, **asdict(self.encode)}
        return {"mode": "copy", "format": 1}
