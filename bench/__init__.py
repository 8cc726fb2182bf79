"""Benchmarks: playclips against the download-then-ffmpeg design, on one fixture, in one run.

`make bench` (30-minute angles) and `make bench-full` (3-hour angles) run `python -m bench.run`;
see docs/performance.md for what is measured, the results and the tuning.
"""
