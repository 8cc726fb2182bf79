# Benchmarks: playclips against the download-then-ffmpeg design on one fixture, in one run
# (bench/, results and tuning in docs/performance.md). Fixtures are generated once into
# .cache/bench/fixtures/ (ignored by git): the 30-minute angle is ~1.7 GB, the 3-hour one
# ~10.1 GB (made from the same 20 s segment). While a bench runs it also needs one engine's
# clips and, for the seed engine, one downloaded angle: ~3.5 GB more for `bench`, ~16 GB for
# `bench-full`. Results: .cache/bench/results/<fixture>-<mode>-<time>/{results.json,chart.png}.
# Extra flags: BENCH_ARGS="--engines copy-gcs,seed --angles 2 --repeat 2 --out DIR".

BENCH_ARGS ?=

.PHONY: bench bench-full bench-tune bench-sync
bench: $(VENV_STAMP) ## Quick benchmark, every engine on 30-minute 720p60 angles (< 5 min).
	$(BIN)/python -m bench.run --fixture 30min $(BENCH_ARGS)

bench-full: $(VENV_STAMP) ## Full benchmark on 3-hour angles (10 GB each) + flatness check.
	$(BIN)/python -m bench.run --fixture 3h --flat $(BENCH_ARGS)

bench-tune: $(VENV_STAMP) ## Sweep playclips' read buffer, GCS block size, in-flight limits.
	$(BIN)/python -m bench.run --fixture 30min --tune $(BENCH_ARGS)

bench-sync: $(VENV_STAMP) ## Sync a generated 3-hour 4-angle game: errors, bytes read, time.
	$(BIN)/python -m bench.sync $(BENCH_ARGS)
