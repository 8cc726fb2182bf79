"""Many games: the runner, its progress display, and starting a run here or in the cloud."""
