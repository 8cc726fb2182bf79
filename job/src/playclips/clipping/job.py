"""What a game's run is given: the Job (sources, destinations, limits) and where events go."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from ..media.cut import CutLimits
from ..media.encode import EncodeOptions
from ..outputs.report import AngleReport
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

    @property
    def clip_options(self) -> dict[str, Any]:
        """Everything besides the play and source that decides a clip's bytes."""
        if self.mode == "encode":
            return {"mode": "encode", "format": 1, **asdict(self.encode)}
        return {"mode": "copy", "format": 1}
