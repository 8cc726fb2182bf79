"""A PNG of a bench run: one panel of horizontal bars per metric, one bar per engine (Pillow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

PANELS = [  # (title, key in the engine's result, scale, unit)
    ("wall per game", "game_wall_s", 1.0, "s"),
    ("CPU per game", "game_cpu_s", 1.0, "s"),
    ("bytes fetched per game", "game_bytes_read", 1e-9, "GB"),
    ("fetched / clip bytes", "fetch_ratio", 1.0, "x"),
    ("peak RSS (process tree)", "peak_rss_bytes", 1 / 2**20, "MiB"),
    ("peak scratch disk", "peak_scratch_bytes", 1e-6, "MB"),
    ("projected wall, real game, 4 vCPU (slow net)", "proj_wall_slow", 1.0, "s"),
    ("projected $ per real game (slow net)", "proj_usd_slow", 1.0, "$"),
]
COLORS = ["#2b6cb0", "#63b3ed", "#805ad5", "#dd6b20", "#c53030", "#718096", "#38a169"]


def _font(size: int) -> ImageFont.ImageFont:
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def _fmt(v: float, unit: str) -> str:
    if unit == "$":
        return f"${v:.4f}"
    if v >= 100:
        return f"{v:,.0f} {unit}"
    if v >= 10:
        return f"{v:.1f} {unit}"
    return f"{v:.2f} {unit}"


def draw(results: dict[str, Any], path: Path) -> Path:
    engines = [e for e in results["engines"] if e.get("status") == "ok"]
    cols, rows = 2, (len(PANELS) + 1) // 2
    bar_h, gap = 22, 6
    label_w, plot_w, pad = 230, 330, 24
    panel_h = 40 + len(engines) * (bar_h + gap)
    width = pad + cols * (label_w + plot_w + 90 + pad)
    height = 70 + rows * (panel_h + pad) + 30
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    title, small = _font(18), _font(13)
    fx = results["fixture"]
    d.text(
        (pad, 16),
        f"playclips bench: fixture {fx['name']} ({fx['size'] / 1e9:.2f} GB/angle, "
        f"{fx['frames']:,} frames), {results['angles']} angles, {results['game_clips']} clips"
        f" per game; load {results['load_at_start'][0]:.1f}",
        fill="black",
        font=title,
    )
    for i, (name, key, scale, unit) in enumerate(PANELS):
        x0 = pad + (i % cols) * (label_w + plot_w + 90 + pad)
        y0 = 60 + (i // cols) * (panel_h + pad)
        d.text((x0, y0), name, fill="black", font=title)
        values = [float(e.get(key) or 0) * scale for e in engines]
        top = max([*values, 1e-12])
        for j, (e, v) in enumerate(zip(engines, values, strict=True)):
            y = y0 + 32 + j * (bar_h + gap)
            d.text((x0, y + 4), e["name"], fill="black", font=small)
            w = max(1, int(plot_w * v / top))
            d.rectangle(
                [x0 + label_w, y, x0 + label_w + w, y + bar_h], fill=COLORS[j % len(COLORS)]
            )
            d.text((x0 + label_w + w + 6, y + 4), _fmt(v, unit), fill="black", font=small)
    d.text(
        (pad, height - 26),
        "per game = scaled to the game's clips where an engine cut a subset (encode mode); "
        "projection: bench/cost.py",
        fill="#4a5568",
        font=small,
    )
    img.save(path)
    return path
