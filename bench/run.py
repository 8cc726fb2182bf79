"""Run the bench: every engine on one fixture in one run; print a table, save JSON and a PNG.

    python -m bench.run                      # quick: 30-minute angles (make bench)
    python -m bench.run --fixture 3h --flat  # full: 3 h angles + flatness check (make bench-full)
    python -m bench.run --tune               # sweep playclips' knobs (make bench-tune)
    python -m bench.run --fixture tiny       # seconds; what tests/bench runs

Storage is fake-gcs-server on loopback with its filesystem backend (the fixture is hard-linked
in, not uploaded); playclips reads it through the real google-cloud-storage client. Each
engine runs in its own process, measured by bench/measure.py; outputs are deleted after each
engine so disk use stays bounded (see docs/performance.md). Results go to
.cache/bench/results/<fixture>-<time>/ (results.json, chart.png) unless --out says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import cost
from .chart import draw
from .fixtures import CACHE, RECIPES, ROOT, Fixture, game_plays, make_fixture
from .measure import run_measured
from .servers import CountingProxy, DiskGcs, start_disk_gcs

ANGLES = ("FAR_LEFT", "NEAR_LEFT", "FAR_RIGHT", "NEAR_RIGHT")
VIDEOS, OUT = "bench-videos", "bench-out"
OBJECT = "angle.mp4"
KiB, MiB = 1 << 10, 1 << 20
TARGET_FETCH_RATIO = 1.08  # at the fixtures' 7.5 Mb/s
TARGET_LINK_FLOOR = 1.15  # wall / (clip bytes / link rate) on an emulated link
TARGET_SPEEDUP = 20.0
TARGET_RSS = 512 * MiB
TARGET_FLAT = 1.3
TARGET_SCALING = 0.6  # wall on every CPU of this box / wall on one
# The environment job/Dockerfile gives the job (glibc keeps fewer per-thread arenas).
IMAGE_ENV = {"MALLOC_ARENA_MAX": "2"}


@dataclass
class Spec:
    """One engine run: which engine, on what, with which settings."""

    name: str
    kind: str  # copy-gcs | copy-local | encode-gcs | seed | ffmpeg-http
    fixture: Fixture
    plays: list[dict[str, Any]]
    angles: tuple[str, ...]
    knobs: dict[str, Any] = field(default_factory=dict)
    note: str = ""


class Bench:
    """The servers and folders one bench run uses."""

    def __init__(self, work: Path, rate: float = 0.0, latency: float = 0.0) -> None:
        self.work = work
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        self.gcs: DiskGcs = start_disk_gcs(work / "gcs")
        self.gcs.create_bucket(VIDEOS)
        self.gcs.create_bucket(OUT)
        self.proxy = CountingProxy(self.gcs.port, rate, latency)
        # With an emulated network every engine's storage traffic goes through the proxy.
        self.shaped = rate > 0 or latency > 0
        self.placed: set[str] = set()

    def close(self) -> None:
        self.proxy.close()
        self.gcs.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def place(self, fixture: Fixture) -> None:
        if fixture.name in self.placed:
            return
        self.gcs.place(VIDEOS, f"{fixture.name}/{OBJECT}", fixture)
        local = self.work / "videos" / fixture.name
        local.mkdir(parents=True, exist_ok=True)
        (local / OBJECT).symlink_to(fixture.file)
        self.placed.add(fixture.name)

    def run(self, spec: Spec, log: Any = print) -> dict[str, Any]:
        self.place(spec.fixture)
        fx = spec.fixture.name
        tag = f"{len(list(self.work.glob('cfg-*.json'))):02d}-{spec.kind}"
        plays_file = self.work / f"plays-{tag}.json"
        videos = [{"game_id": "bench", "angle": a, "uri": OBJECT} for a in spec.angles]
        plays_file.write_text(json.dumps({"plays": spec.plays, "videos": videos}))
        scratch = self.work / "scratch" / tag
        shutil.rmtree(scratch, ignore_errors=True)
        local_out = self.work / "out" / tag
        gcs = spec.kind != "copy-local"
        cfg: dict[str, Any] = {
            "game": "bench",
            "plays": str(plays_file),
            "angles": list(spec.angles),
            "videos": f"gs://{VIDEOS}/{fx}" if gcs else str(self.work / "videos" / fx),
            "out": f"gs://{OUT}/{tag}" if gcs else str(local_out),
            "scratch": str(scratch),
            "result": str(self.work / f"result-{tag}.json"),
            "bucket": VIDEOS,
            "object": f"{fx}/{OBJECT}",
            "url": self.gcs.media_url(VIDEOS, f"{fx}/{OBJECT}", self.proxy.url),
        }
        if spec.kind in ("copy-gcs", "copy-local"):
            cfg["engine"] = "playclips"
            for k in ("angles_in_flight", "angle_processes", "uploads_in_flight", "read_buffer"):
                if k in spec.knobs:
                    cfg[k] = spec.knobs[k]
            cfg["gcs"] = {
                k: spec.knobs[k]
                for k in (
                    "block_size",
                    "first_fetch",
                    "read_ahead",
                    "cache_blocks",
                    "plan_in_flight",
                    "plan_piece",
                    "plan_memory",
                )
                if k in spec.knobs
            }
        elif spec.kind == "encode-gcs":
            cfg["engine"] = "playclips-cli"
            cfg["cli_args"] = ["--mode", "encode", *spec.knobs.get("cli_args", [])]
        elif spec.kind == "seed":
            cfg["engine"] = "seed"
            cfg["jobs"] = spec.knobs.get("jobs", os.cpu_count() or 2)
        elif spec.kind == "ffmpeg-http":
            cfg["engine"] = "ffmpeg-http"
            cfg["jobs"] = spec.knobs.get("jobs", 4)
        cfg_path = self.work / f"cfg-{tag}.json"
        cfg_path.write_text(json.dumps(cfg, indent=2))
        env = {**os.environ, **self.gcs.env(), "PYTHONPATH": _pythonpath()}
        if spec.kind.startswith(("copy", "encode")):
            env.update(IMAGE_ENV)  # playclips runs as its image runs it
        if self.shaped:
            env["STORAGE_EMULATOR_HOST"] = self.proxy.url
        env.update(spec.knobs.get("env", {}))
        self.proxy.reset()
        server_cpu = self.gcs.cpu_seconds()
        log(f"  {spec.name} ...")
        cpus = spec.knobs.get("cpus")  # the engine on the first N CPUs only (taskset)
        pin = ["taskset", "-c", f"0-{cpus - 1}"] if cpus else []
        m = run_measured(
            [*pin, sys.executable, "-m", "bench.engines", str(cfg_path)],
            env=env,
            scratch=scratch,
            cwd=ROOT,
        )
        try:
            result = json.loads(Path(cfg["result"]).read_text())
        except (OSError, ValueError):
            result = {"status": "failed", "clips": 0, "errors": [m.stderr_tail]}
        if spec.kind == "ffmpeg-http":
            result["bytes_read"] = self.proxy.bytes_down
            result["read_requests"] = self.proxy.connections
        wire = self.proxy.bytes_down if (self.shaped or spec.kind == "ffmpeg-http") else None
        expected = len(spec.plays) * len(spec.angles)
        status = result.get("status")
        if spec.kind == "encode-gcs" and "encode" not in result.get("modes", ["encode"]):
            status = "unavailable"
            result.setdefault("errors", []).append(
                f"the pipeline made {result.get('modes')} clips for --mode encode"
            )
        elif status == "ok" and result.get("clips") != expected:
            status = "failed"
            result.setdefault("errors", []).append(f"{result.get('clips')} of {expected} clips")
        entry = {
            "name": spec.name,
            "kind": spec.kind,
            "fixture": fx,
            "status": status,
            "note": spec.note,
            "knobs": spec.knobs,
            "angles": len(spec.angles),
            "plays": len(spec.plays),
            "clips": result.get("clips", 0),
            "bytes_read": result.get("bytes_read", 0),
            "bytes_written": result.get("bytes_written", 0),
            "read_requests": result.get("read_requests", 0),
            "wall_s": round(m.wall_s, 3),
            "cpu_s": round(m.cpu_s, 3),
            "peak_rss_bytes": m.peak_rss_bytes,
            "peak_pss_bytes": m.peak_pss_bytes,
            "max_process_rss_bytes": m.max_process_rss_bytes,
            "peak_scratch_bytes": m.peak_scratch_bytes,
            "storage_server_cpu_s": round(self.gcs.cpu_seconds() - server_cpu, 3),
            "proxy_bytes_down": wire,
            "load_before": [round(x, 2) for x in m.load_before],
            "load_after": [round(x, 2) for x in m.load_after],
            "samples": m.samples,
            "errors": result.get("errors", []),
        }
        for k in ("download_s", "download_cpu_s", "cut_s", "ffmpeg_bytes_consumed"):
            if k in result:
                entry[k] = result[k]
        if status != "ok":
            entry["stderr_tail"] = m.stderr_tail[-1500:]
        # outputs are not kept: disk use stays bounded by one engine's clips
        self.gcs.clear(OUT, tag)
        shutil.rmtree(local_out, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
        return entry


def _pythonpath() -> str:
    # This checkout's playclips, whatever the virtualenv's editable install points at.
    parts = [str(ROOT / "job" / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)


def encode_available() -> bool:
    """Whether the media layer has its encoder (--mode encode)."""
    return (ROOT / "job" / "src" / "playclips" / "media" / "encode.py").is_file()


def derive(entry: dict[str, Any], game_clips: int, fixture: Fixture) -> None:
    """Per-game figures (scaled for engines that cut a subset) and the projection."""
    clips = max(1, entry["clips"])
    scale = game_clips / clips
    entry["game_scale"] = round(scale, 4)
    entry["game_wall_s"] = entry["wall_s"] * scale
    entry["game_cpu_s"] = entry["cpu_s"] * scale
    entry["game_bytes_read"] = entry["bytes_read"] * scale
    entry["game_bytes_written"] = entry["bytes_written"] * scale
    entry["fetch_ratio"] = entry["bytes_read"] / max(1, entry["bytes_written"])
    kind = "seed" if entry["kind"] == "seed" else entry["kind"]
    proj = cost.project({**entry, "kind": kind}, asdict(fixture), entry["angles"])
    entry["projection"] = proj
    entry["proj_wall_slow"] = proj["models"]["slow"]["wall_s"]
    entry["proj_usd_slow"] = proj["models"]["slow"]["usd"]
    entry["proj_wall_fast"] = proj["models"]["fast"]["wall_s"]
    entry["proj_usd_fast"] = proj["models"]["fast"]["usd"]


def apply_scaling(results: dict[str, Any]) -> None:
    """Project playclips' runs with the parallel efficiency measured in this run.

    The pair `playclips copy (local)` on every CPU of this box and on one gives the speed-up;
    efficiency = speed-up / CPUs. A projection then divides CPU-seconds by 4 vCPUs x that
    efficiency, not by 4 (angles run in processes; a game has 4 angles for the 4 vCPUs). Without
    the pair the projection says it assumed 1.0.
    """
    ok = [e for e in results["engines"] if e["status"] == "ok" and e["kind"] == "copy-local"]
    every = [e for e in ok if "cpus" not in e["knobs"]]
    one = [e for e in ok if e["knobs"].get("cpus") == 1]
    cores = os.cpu_count() or 1
    if not (every and one) or cores < 2:
        results["parallel_efficiency"] = None
        return
    efficiency = min(1.0, one[0]["wall_s"] / every[0]["wall_s"] / cores)
    results["parallel_efficiency"] = round(efficiency, 3)
    copies = [e for e in results["engines"] if e["kind"] in ("copy-gcs", "copy-local")]
    for entry in copies:
        if entry["status"] == "ok" and "cpus" not in entry["knobs"]:
            entry["parallel_efficiency"] = efficiency
            derive(entry, round(entry["clips"] * entry["game_scale"]), _fixture(entry))


def _fixture(entry: dict[str, Any]) -> Fixture:
    return make_fixture(entry["fixture"], lambda *a: None)


def main_specs(fixture: Fixture, args: argparse.Namespace) -> list[Spec]:
    plays = game_plays(fixture.name)
    angles = ANGLES[: args.angles]
    wanted = set(args.engines.split(",")) if args.engines else None
    specs = [
        Spec("playclips copy (GCS)", "copy-gcs", fixture, plays, angles),
        Spec("playclips copy (local)", "copy-local", fixture, plays, angles),
        Spec(
            "playclips copy (local), 1 CPU",
            "copy-local",
            fixture,
            plays,
            angles,
            {"cpus": 1},
            note="the same, pinned to one CPU with taskset: how it scales with cores "
            "(local folders: the storage emulator would take a core's share of this box)",
        ),
        Spec(
            "seed: download + ffmpeg/clip",
            "seed",
            fixture,
            plays,
            angles,
            note="each angle downloaded whole, then one ffmpeg -c copy per clip",
        ),
        Spec(
            "ffmpeg/clip over HTTP",
            "ffmpeg-http",
            fixture,
            plays,
            angles,
            note="one ffmpeg -ss -i URL -c copy per clip, 4 at a time",
        ),
    ]
    if encode_available():
        n = min(args.encode_clips, len(plays))
        note = f"{n} clips of one angle, scaled to the game"
        specs[2:2] = [
            Spec("playclips encode (GCS)", "encode-gcs", fixture, plays[:n], angles[:1], note=note),
            Spec(
                "playclips encode 360p30 (GCS)",
                "encode-gcs",
                fixture,
                plays[:n],
                angles[:1],
                {"cli_args": ["--height", "360", "--fps", "30"]},
                note=note,
            ),
        ]
    return [s for s in specs if wanted is None or s.kind in wanted]


def tune_specs(fixture: Fixture, args: argparse.Namespace) -> list[Spec]:
    plays = game_plays(fixture.name)
    angles = ANGLES[: args.angles]
    variants: list[tuple[str, dict[str, Any]]] = [("defaults", {})]
    for rb in (16 * KiB, 256 * KiB, 1 * MiB):
        variants.append((f"read_buffer={rb // KiB}K", {"read_buffer": rb}))
    for block, first, ahead in (
        (1 * MiB, 1 * MiB, 1 * MiB),
        (1 * MiB, 2 * MiB, 2 * MiB),
        (1 * MiB, 1 * MiB, 4 * MiB),
        (1 * MiB, 2 * MiB, 4 * MiB),
        (1 * MiB, 4 * MiB, 4 * MiB),
        (1 * MiB, 1 * MiB, 8 * MiB),
        (1 * MiB, 8 * MiB, 16 * MiB),
        (256 * KiB, 256 * KiB, 2 * MiB),
    ):
        variants.append(
            (
                f"block={block // KiB}K first={first // KiB}K ahead={ahead // KiB}K",
                {"block_size": block, "first_fetch": first, "read_ahead": ahead},
            )
        )
    for n in (1, 2):
        variants.append((f"angles_in_flight={n}", {"angles_in_flight": n}))
    for n in (1, 4):
        variants.append((f"uploads_in_flight={n}", {"uploads_in_flight": n}))
    for n in (1, 2, 4):  # 1: the angles in threads of one process
        variants.append((f"angle_processes={n}", {"angle_processes": n}))
    # glibc keeps freed multi-MB buffers in per-thread arenas once its mmap threshold has
    # grown (dynamic, up to 32 MiB): a fixed threshold returns them to the system.
    variants.append(
        ("malloc: MALLOC_MMAP_THRESHOLD_=1M", {"env": {"MALLOC_MMAP_THRESHOLD_": "1048576"}})
    )
    variants.append(("malloc: MALLOC_ARENA_MAX=2", {"env": {"MALLOC_ARENA_MAX": "2"}}))
    if args.tune_filter:
        keep = [f.strip() for f in args.tune_filter.split(",") if f.strip()]
        variants = [(n, k) for n, k in variants if any(f in n for f in keep)]
    return [Spec(f"tune: {n}", "copy-gcs", fixture, plays, angles, k) for n, k in variants]


def flat_specs(args: argparse.Namespace) -> list[Spec]:
    """The same clips (the 30-minute game's) cut from the 3 h and the 30-minute fixtures."""
    plays = game_plays("30min")
    angles = ANGLES[: args.angles]
    return [
        Spec("flat: 30-min clips from 3h", "copy-gcs", make_fixture("3h"), plays, angles),
        Spec("flat: 30-min clips from 30min", "copy-gcs", make_fixture("30min"), plays, angles),
    ]


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    by = {
        e["kind"]: e
        for e in results["engines"]
        if e["status"] == "ok" and e["knobs"] == {} and not e["name"].startswith("flat:")
    }
    checks: list[dict[str, Any]] = []

    def add(name: str, value: float | None, target: str, ok: bool | None) -> None:
        checks.append({"target": name, "measured": value, "goal": target, "met": ok})

    copy = by.get("copy-gcs")
    if copy:
        add(
            "bytes fetched / clip bytes (copy, GCS)",
            round(copy["fetch_ratio"], 3),
            f"<= {TARGET_FETCH_RATIO}",
            copy["fetch_ratio"] <= TARGET_FETCH_RATIO,
        )
        net = results.get("network")
        if net and net.get("rate_bytes_per_s"):
            floor = copy["bytes_written"] / net["rate_bytes_per_s"]
            ratio = copy["wall_s"] / max(floor, 1e-9)
            add(
                "wall / (clip bytes / link rate) (copy, GCS)",
                round(ratio, 3),
                f"<= {TARGET_LINK_FLOOR}",
                ratio <= TARGET_LINK_FLOOR,
            )
            http = by.get("ffmpeg-http")
            if http:
                add(
                    "wall vs ffmpeg/clip over HTTP (same link)",
                    round(copy["game_wall_s"] / http["game_wall_s"], 3),
                    "< 1",
                    copy["game_wall_s"] < http["game_wall_s"],
                )
        http = by.get("ffmpeg-http")
        if http and not (net and net.get("rate_bytes_per_s")):
            wall = copy["game_wall_s"] / http["game_wall_s"]
            add("wall vs ffmpeg/clip over HTTP (loopback)", round(wall, 3), "< 1", wall < 1)
        if http:
            cpu = copy["game_cpu_s"] / http["game_cpu_s"]
            add("CPU vs ffmpeg/clip over HTTP (same run)", round(cpu, 3), "<= 0.6", cpu <= 0.6)
        add(
            "peak scratch disk (copy, GCS), bytes",
            copy["peak_scratch_bytes"],
            "0",
            copy["peak_scratch_bytes"] == 0,
        )
        add(
            "peak RSS summed over processes (copy, GCS), MiB",
            round(copy["peak_rss_bytes"] / MiB, 1),
            "-",
            None,
        )
        pss = copy.get("peak_pss_bytes") or copy["peak_rss_bytes"]
        add(
            "peak PSS, the tree's memory (copy, GCS), MiB",
            round(pss / MiB, 1),
            "<= 512",
            pss <= TARGET_RSS,
        )
        seed = by.get("seed")
        if seed:
            speedup = seed["game_wall_s"] / copy["game_wall_s"]
            add(
                "wall speed-up vs seed (same run)",
                round(speedup, 1),
                ">= 20",
                speedup >= TARGET_SPEEDUP,
            )
        for model in cost.BANDWIDTH_MODELS:
            p = copy["projection"]["models"][model]
            add(
                f"projected wall, real game, 4 vCPU ({model} net), s",
                round(p["wall_s"], 1),
                "<= 60",
                p["wall_s"] <= cost.TARGET_WALL_S,
            )
            add(
                f"projected cost, real game ({model} net), $",
                round(p["usd"], 5),
                "<= 0.005",
                p["usd"] <= cost.TARGET_USD,
            )
    one = [e for e in results["engines"] if e["knobs"] == {"cpus": 1} and e["status"] == "ok"]
    local = by.get("copy-local")
    if local and one:
        cores = os.cpu_count() or 1
        ratio = local["wall_s"] / one[0]["wall_s"]
        add(
            f"wall on {cores} CPUs / wall on 1 CPU (copy, local)",
            round(ratio, 3),
            f"<= {TARGET_SCALING}",
            ratio <= TARGET_SCALING,
        )
    flat = {e["fixture"]: e for e in results["engines"] if e["name"].startswith("flat:")}
    if "3h" in flat and "30min" in flat and all(e["status"] == "ok" for e in flat.values()):
        rss = flat["3h"]["peak_rss_bytes"] / max(1, flat["30min"]["peak_rss_bytes"])
        wall = flat["3h"]["wall_s"] / max(1e-9, flat["30min"]["wall_s"])
        add("peak RSS 3h / 30min (same clips)", round(rss, 3), "<= 1.3", rss <= TARGET_FLAT)
        add("wall 3h / 30min (same clips)", round(wall, 3), "<= 1.3", wall <= TARGET_FLAT)
    return checks


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f}"


def print_table(results: dict[str, Any]) -> None:
    head = (
        f"{'engine':<34} {'clips':>5} {'wall s':>8} {'CPU s':>8} {'fetched GB':>10} "
        f"{'clips GB':>8} {'ratio':>6} {'RSS MiB':>8} {'scratch GB':>10} {'load':>5} "
        f"{'4vCPU s':>8} {'$/game':>8}"
    )
    print(head)
    print("-" * len(head))
    for e in results["engines"]:
        if e["status"] != "ok":
            print(f"{e['name']:<34} {e['status']}: {'; '.join(map(str, e['errors']))[:200]}")
            continue
        print(
            f"{e['name']:<34} {e['clips']:>5} {e['wall_s']:>8.2f} {e['cpu_s']:>8.2f} "
            f"{_gb(e['bytes_read']):>10} {_gb(e['bytes_written']):>8} {e['fetch_ratio']:>6.2f} "
            f"{e['peak_rss_bytes'] / MiB:>8.0f} {_gb(e['peak_scratch_bytes']):>10} "
            f"{e['load_before'][0]:>5.1f} {e['proj_wall_slow']:>8.1f} {e['proj_usd_slow']:>8.5f}"
        )
    if results.get("targets"):
        print()
        for c in results["targets"]:
            mark = {True: "met", False: "NOT met", None: "-"}[c["met"]]
            print(f"  {c['target']:<52} {c['measured']!s:>12}  goal {c['goal']:<9} {mark}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", choices=sorted(RECIPES), default="30min")
    parser.add_argument("--angles", type=int, default=4, choices=range(1, 5))
    parser.add_argument("--engines", default="", help="comma-separated kinds (default: all)")
    parser.add_argument("--encode-clips", type=int, default=4)
    parser.add_argument("--tune", action="store_true", help="sweep playclips' knobs instead")
    parser.add_argument(
        "--flat",
        action="store_true",
        help="also cut the 30-min game's clips from the 3 h and 30-min fixtures (flatness)",
    )
    parser.add_argument(
        "--tune-filter", default="", help="with --tune: only variants whose name has one of these"
    )
    parser.add_argument("--repeat", type=int, default=1, help="run each engine N times")
    parser.add_argument(
        "--net",
        default="",
        help="emulate a task's network for every engine: MB_PER_S[:LATENCY_MS], e.g. 100:30",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    fixture = make_fixture(args.fixture, log)
    specs = tune_specs(fixture, args) if args.tune else main_specs(fixture, args)
    if args.flat:
        specs += flat_specs(args)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    mode = "tune" if args.tune else "bench"
    out = args.out or CACHE / "results" / f"{args.fixture}-{mode}-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    game_clips = len(game_plays(args.fixture)) * args.angles
    results: dict[str, Any] = {
        "fixture": asdict(fixture),
        "angles": args.angles,
        "game_clips": game_clips,
        "mode": mode,
        "started": stamp,
        "cpus": os.cpu_count(),
        "load_at_start": [round(x, 2) for x in os.getloadavg()],
        "encode_available": encode_available(),
        "pricing": {
            "source": cost.PRICING_URL,
            "usd_per_vcpu_s": cost.CPU_USD_PER_VCPU_S,
            "usd_per_gib_s": cost.MEM_USD_PER_GIB_S,
            "task_vcpus": cost.TASK_VCPUS,
            "bandwidth_models": cost.BANDWIDTH_MODELS,
        },
        "engines": [],
    }
    log(
        f"bench {mode}: fixture {fixture.name} ({fixture.size / 1e9:.2f} GB), "
        f"{game_clips} clips per game, load {results['load_at_start']}"
    )
    rate = latency = 0.0
    if args.net:
        mbps, _, ms = args.net.partition(":")
        rate, latency = float(mbps) * 1e6, float(ms or 0) / 1000
    results["network"] = {"rate_bytes_per_s": rate, "latency_s": latency} if args.net else None
    bench = Bench(CACHE / "work" / str(os.getpid()), rate, latency)
    try:
        for spec in specs:
            for _ in range(args.repeat):
                entry = bench.run(spec, log)
                if entry["status"] == "ok":
                    clips = len(game_plays(spec.fixture.name)) * len(spec.angles)
                    if spec.name.startswith("flat:"):
                        clips = entry["clips"]
                    derive(entry, clips, spec.fixture)
                results["engines"].append(entry)
    finally:
        bench.close()
    apply_scaling(results)
    results["targets"] = [] if args.tune else check_targets(results)
    results["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    draw(results, out / "chart.png")
    print_table(results)
    print(f"\nresults: {out / 'results.json'}  chart: {out / 'chart.png'}")
    failed = [e for e in results["engines"] if e["status"] == "failed"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
