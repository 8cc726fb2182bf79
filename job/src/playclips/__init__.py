"""playclips: per-play training clips from full-game, multi-angle football video."""

__version__ = "0.1.0"
