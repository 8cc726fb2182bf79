"""One game's clips: find its videos, cut each angle, store the clips, write its outputs."""
