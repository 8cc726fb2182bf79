"""Print a bench run's results.json as Markdown tables (for docs/performance.md).

python -m bench.report .cache/bench/results/<run>/results.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

MiB = 1 << 20


def engines_table(results: dict[str, Any]) -> str:
    tune = results.get("mode") == "tune"
    head = [
        "engine",
        "clips",
        "wall s",
        "CPU s",
        "fetched GB",
        "clips GB",
        "fetched/clips",
        "requests",
        "peak RSS MiB",
        "scratch GB",
        "load 1 min",
    ]
    if not tune:
        head += ["4 vCPU s (slow/fast)", "$ per game (slow/fast)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in results["engines"]:
        if e["status"] != "ok":
            lines.append(f"| {e['name']} | {e['status']} |" + " |" * (len(head) - 2))
            continue
        row = [
            e["name"],
            str(e["clips"]),
            f"{e['wall_s']:.1f}",
            f"{e['cpu_s']:.1f}",
            f"{e['bytes_read'] / 1e9:.2f}",
            f"{e['bytes_written'] / 1e9:.2f}",
            f"{e['fetch_ratio']:.2f}",
            str(e.get("read_requests", "")),
            f"{e['peak_rss_bytes'] / MiB:.0f}",
            f"{e['peak_scratch_bytes'] / 1e9:.2f}",
            f"{e['load_before'][0]:.1f}",
        ]
        if not tune:
            m = e["projection"]["models"]
            row += [
                f"{m['slow']['wall_s']:.0f} / {m['fast']['wall_s']:.0f}",
                f"{m['slow']['usd']:.4f} / {m['fast']['usd']:.4f}",
            ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def targets_table(results: dict[str, Any]) -> str:
    lines = ["| target | measured | goal | met |", "|---|---|---|---|"]
    for t in results.get("targets", []):
        met = {True: "yes", False: "**no**", None: "-"}[t["met"]]
        lines.append(f"| {t['target']} | {t['measured']} | {t['goal']} | {met} |")
    return "\n".join(lines)


def main() -> None:
    from .run import check_targets

    results = json.loads(Path(sys.argv[1]).read_text())
    if results.get("mode") != "tune":
        results["targets"] = check_targets(results)  # as the current harness computes them
    fx = results["fixture"]
    print(
        f"Fixture {fx['name']}: {fx['size'] / 1e9:.2f} GB per angle, {fx['frames']:,} frames, "
        f"index {fx['moov_bytes'] / 1e6:.1f} MB; {results['angles']} angles, "
        f"{results['game_clips']} clips; load at start {results['load_at_start']}, "
        f"at end {results.get('load_at_end')}\n"
    )
    print(engines_table(results))
    if results.get("targets"):
        print()
        print(targets_table(results))


if __name__ == "__main__":
    main()
