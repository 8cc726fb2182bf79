"""The generated games the sync tests measure (tests/support/stadium.py makes and caches them)."""

from __future__ import annotations

from pathlib import Path

from tests.support.stadium import Camera, Game, make_game

# Ten minutes, four cameras on their own clocks: offsets within +/-30 s, drifts within
# +/-100 ppm, different gains, microphones (low-pass) and noise levels.
TEN_MINUTES = Game(
    "ten-minutes",
    600.0,
    (
        Camera("FAR_LEFT", offset_s=1.5, gain=1.0, lowpass_hz=3500, noise=0.05),
        Camera("NEAR_LEFT", -12.25, 73.0, gain=0.5, lowpass_hz=2500, noise=0.05),
        Camera("FAR_RIGHT", 27.8, -97.0, gain=1.6, lowpass_hz=3000, noise=0.1),
        Camera("NEAR_RIGHT", -29.3, 12.5, gain=0.7, lowpass_hz=1800, noise=0.04),
    ),
)

# Three minutes: one good angle (recorded at 44.1 kHz, the reference at 8 kHz) beside each way
# an angle's audio can be useless.
TROUBLE = Game(
    "trouble",
    180.0,
    (
        Camera("FAR_LEFT", offset_s=0.0),
        Camera("NEAR_LEFT", 4.2, -40.0, gain=0.8, noise=0.06, sample_rate=44100),
        Camera("FAR_RIGHT", audio="silent"),
        Camera("NEAR_RIGHT", audio="none"),
        Camera("SIDELINE", offset_s=2.0, audio="other"),
    ),
)

# Three minutes of quiet (only each camera's own hiss) but for one bang, early on.
ONE_EVENT = Game(
    "one-event",
    180.0,
    (
        Camera("FAR_LEFT", noise=0.02),
        Camera("NEAR_LEFT", offset_s=3.0, drift_ppm=20.0, noise=0.02),
    ),
    single_event_at=34.0,
)


def game_videos(game: Game, root: Path) -> Path:
    """Link the game's cached files into `root`/{game}/{ANGLE}.mp4 (a video root); return root."""
    folder = root / game.game_id
    folder.mkdir(parents=True, exist_ok=True)
    for angle, path in make_game(game).items():
        (folder / f"{angle}.mp4").symlink_to(path)
    return root
