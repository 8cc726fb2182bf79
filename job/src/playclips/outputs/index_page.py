"""An HTML page per run, `reports/{run_id}/index.html`: the one place to look at a run.

It shows, readable at first sight (nothing important collapsed):
- the run's games and their status, and links to the run's dataset files when finalize wrote
  them (datasets/{run_id}/);
- per game: its failures (the report's error, each failed angle and clip, each rejected play),
  and links to its report, manifest and contact-sheet pages;
- a row per play with its label, its times on the game clock and its status, and per angle an
  inline `<video>` that opens at the play: the source is the clip with a media fragment
  `#t=START,END` (https://www.w3.org/TR/media-frags/#naming-time) built from the manifest's
  `play_start_offset_s`/`play_end_offset_s`, since a copy-mode clip starts on the keyframe
  before the play. The offsets and any note (e.g. the play ran past the end of the video) are
  written under the video.

Angles follow the game's order (the run's --angles, as in the report), then any other angle
the manifest holds. The page is one self-contained file (inline CSS and a few lines of script,
no CDN), so it works offline. It stays light with 150 plays x 4 angles: every `<video>` has
`preload="none"`, and the script switches a video to `preload="metadata"` only when it comes
near the viewport (IntersectionObserver), so opening the page reads no clip bytes beyond those
on screen. Without script the videos still play when clicked.

It is built from what the run left in the output root (the games' reports for this run, their
manifests and sheet layouts, the dataset summary), so whoever has seen every game finish can
write it: `playclips run` does at the end of a run on one machine; on Cloud Run, where each
task has only its share of the games, finalize does. A corrupt manifest or report line is
skipped and said on the page; it never stops the page.

Links: for a folder output they are relative (`../../clips/...`), so the page works from the
folder, copied elsewhere, or served by any static file server. For a gs:// output they are
absolute `https://storage.cloud.google.com/BUCKET/KEY` links, which open an object in the
browser for anyone signed in with read access (Cloud Storage's authenticated browser
download). Relative links are not used there: that host answers by redirecting to the object
served from another origin, against which a page's relative links are not documented to resolve.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ..layout import (
    clip_key,
    dataset_key,
    index_key,
    layout_key,
    manifest_key,
    report_key,
    reports_prefix,
    sheet_key,
)
from ..model import DEFAULT_ANGLES
from ..storage import Storage, StorageError

INDEX_CONTENT_TYPE = "text/html; charset=utf-8"
BROWSER_HOST = "https://storage.cloud.google.com/"
# Files finalize writes below datasets/{run_id}/, linked when its summary exists.
DATASET_FILES = (
    ("summary", "summary.json"),
    ("Vertex AI import", "vertex/video_classification.jsonl"),
    ("Gemini train", "gemini/train.jsonl"),
    ("Gemini validation", "gemini/validation.jsonl"),
    ("Gemini test", "gemini/test.jsonl"),
    ("clips train", "clips/train.jsonl"),
    ("clips validation", "clips/validation.jsonl"),
    ("clips test", "clips/test.jsonl"),
)

Href = Callable[[str], str]


def write_run_index(out: Storage, run_id: str, dataset_written: bool | None = None) -> str:
    """Put the run's index page from the reports and manifests found; return its URI.

    `dataset_written`: whether to link the dataset files (None: if its summary.json exists;
    finalize, which writes summary.json last, says True). Raises StorageError when the page
    cannot be written.
    """
    games: list[GameView] = []
    for key in sorted(out.list(reports_prefix(run_id))):
        if key.endswith(".json") and key.count("/") == 2:
            try:
                report = json.loads(_read(out, key))
            except (StorageError, ValueError):
                continue
            if not isinstance(report, dict) or not isinstance(report.get("game_id"), str):
                continue
            game = report["game_id"]
            records, skipped = _manifest(out, game)
            games.append(GameView(report, records, _sheet_pages(out, game), skipped))
    if dataset_written is None:
        dataset_written = out.stat(dataset_key(run_id, "summary.json")) is not None
    dataset = [(name, dataset_key(run_id, path)) for name, path in DATASET_FILES]
    if not dataset_written:
        dataset = []
    page = render_index(run_id, games, lambda key: link(out, run_id, key), dataset)
    out.put(index_key(run_id), page.encode(), content_type=INDEX_CONTENT_TYPE)
    return out.uri(index_key(run_id))


def link(out: Storage, run_id: str, key: str) -> str:
    """The href of object `key` on the run's page (see the module docstring)."""
    uri = out.uri(key)
    if uri.startswith("gs://"):
        return BROWSER_HOST + quote(uri.removeprefix("gs://"))
    depth = index_key(run_id).count("/")
    return "../" * depth + quote(key)


class GameView:
    """What the page shows of one game: its report, manifest lines and sheet pages."""

    def __init__(
        self,
        report: dict[str, Any],
        records: list[dict[str, Any]],
        sheets: list[str] | None = None,
        skipped_lines: int = 0,
    ) -> None:
        self.report = report
        self.records = records
        self.sheets = sheets or []
        self.skipped_lines = skipped_lines

    @property
    def game_id(self) -> str:
        return str(self.report.get("game_id", ""))

    def angles(self) -> list[str]:
        """The game's angles: the run's order (as in its report), then any others found."""
        order = [a.get("angle") for a in _dicts(self.report.get("angles"))]
        order = list(dict.fromkeys(a for a in order if isinstance(a, str)))
        extra = {r["angle"] for r in self.records} - set(order)
        rank = {a: i for i, a in enumerate(DEFAULT_ANGLES)}
        return order + sorted(extra, key=lambda a: (rank.get(a, len(rank)), a))


def render_index(
    run_id: str, games: list[GameView], href: Href, dataset: list[tuple[str, str]] | None = None
) -> str:
    """The page's HTML (see the module docstring)."""
    e = html.escape
    statuses = ("ok", "partial", "failed", "interrupted")
    counts = ", ".join(
        f"{sum(1 for g in games if g.report.get('status') == s)} {s}" for s in statuses
    )
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>playclips run {e(run_id)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>playclips run {e(run_id)}</h1>",
        f'<p class="summary">{len(games)} games: {counts}.',
    ]
    if games:
        parts.append(
            " Games: "
            + ", ".join(f'<a href="#{e(g.game_id)}">{e(g.game_id)}</a>' for g in _sorted(games))
        )
    parts.append("</p>")
    if dataset:
        parts.append(
            '<p class="dataset">Dataset: '
            + " · ".join(f'<a href="{e(href(key))}">{e(name)}</a>' for name, key in dataset)
            + "</p>"
        )
    else:
        parts.append('<p class="dataset">Dataset: not written yet (playclips finalize).</p>')
    for game in _sorted(games):
        parts.append(_game_section(run_id, game, href))
    parts.append(f"<script>{_SCRIPT}</script>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _sorted(games: list[GameView]) -> list[GameView]:
    return sorted(games, key=lambda g: g.game_id)


def _game_section(run_id: str, game: GameView, href: Href) -> str:
    e = html.escape
    report, records = game.report, game.records
    game_id = game.game_id
    counts = report.get("counts", {}) if isinstance(report.get("counts"), dict) else {}
    status = str(report.get("status", ""))
    out = [
        f'<section id="{e(game_id)}"><h2>{e(game_id)} <span class="status {e(status)}">'
        f"{e(status)}</span></h2><p>"
    ]
    out.append(
        ", ".join(
            f"{counts.get(k, 0)} {label}"
            for k, label in (
                ("clips_made", "made"),
                ("clips_skipped_existing", "kept from earlier runs"),
                ("clips_failed", "failed"),
                ("plays_rejected", "plays rejected"),
            )
        )
    )
    links = [f'<a href="{e(href(report_key(run_id, game_id)))}">report</a>']
    if records:
        links.append(f'<a href="{e(href(manifest_key(game_id)))}">manifest</a>')
    for n, key in enumerate(game.sheets, 1):
        name = "contact sheet" if len(game.sheets) == 1 else f"contact sheet {n}"
        links.append(f'<a href="{e(href(key))}">{name}</a>')
    out.append(" · " + " · ".join(links) + "</p>")
    errors = _failures(report)
    if game.skipped_lines:
        errors.append(f"{game.skipped_lines} unreadable manifest line(s) not shown")
    if errors:
        out.append('<ul class="errors">')
        out += [f"<li>{e(x)}</li>" for x in errors]
        out.append("</ul>")
    if records:
        out.append(_play_table(game, href))
    elif not errors:
        out.append("<p>No clips.</p>")
    if game.sheets:
        out.append('<div class="sheets">')
        out += [
            f'<a href="{e(href(key))}"><img loading="lazy" alt="contact sheet page {n}" '
            f'src="{e(href(key))}"></a>'
            for n, key in enumerate(game.sheets, 1)
        ]
        out.append("</div>")
    out.append("</section>")
    return "\n".join(out)


def _failures(report: dict[str, Any]) -> list[str]:
    """One line per failure the report records, and one per rejected play."""
    lines = [str(report["error"])] if report.get("error") else []
    for a in _dicts(report.get("angles")):
        if a.get("error"):
            lines.append(f"{a.get('angle')}: {a['error']}")
    for x in _dicts(report.get("failed")):
        lines.append(f"{x.get('angle')}: play {x.get('play_id')}: {x.get('reason')}")
    for x in _dicts(report.get("rejected")):
        where = f"{x['angle']}: " if x.get("angle") else ""
        lines.append(f"{where}play {x.get('play_id')} skipped: {x.get('reason')}")
    if report.get("contact_sheet_error"):
        lines.append(str(report["contact_sheet_error"]))
    return lines


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _play_table(game: GameView, href: Href) -> str:
    e = html.escape
    angles = game.angles()
    failed = {(x.get("play_id"), x.get("angle")) for x in _dicts(game.report.get("failed"))}
    by_play: dict[str, dict[str, dict[str, Any]]] = {}
    for r in sorted(game.records, key=lambda r: (r["play_start_s"], r["play_id"])):
        by_play.setdefault(r["play_id"], {})[r["angle"]] = r
    rows = [
        f'<table class="plays"><caption>{len(game.records)} clips of {len(by_play)} plays'
        "</caption>",
        "<thead><tr><th>play</th>"
        + "".join(f"<th>{e(a)}{_timing(game.report, a)}</th>" for a in angles)
        + "</tr></thead>",
        "<tbody>",
    ]
    for play_id, cells in by_play.items():
        first = next(iter(cells.values()))
        missing = [a for a in angles if a not in cells]
        noted = [a for a, r in cells.items() if r.get("note")]
        if any((play_id, a) in failed for a in angles):
            status, status_class = "clip failed", "failed"
        elif missing:
            status, status_class = f"no clip for {', '.join(missing)}", "partial"
        elif noted:
            status, status_class = "see notes", "partial"
        else:
            status, status_class = "ok", "ok"
        row = [
            f'<tr id="{e(game.game_id)}-{e(play_id)}"><th class="play">'
            f'<div class="label">{e(str(first.get("label") or "-"))}</div>'
            f'<div class="id">{e(play_id)}</div>'
            f'<div class="times">{_clock(first["play_start_s"])} &ndash; '
            f"{_clock(first.get('play_end_s'))}</div>"
            f'<div class="status {status_class}">{e(status)}</div></th>'
        ]
        for angle in angles:
            r = cells.get(angle)
            row.append(_clip_cell(r, href) if r else '<td class="none">no clip</td>')
        rows.append("".join(row) + "</tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _timing(report: dict[str, Any], angle: str) -> str:
    """How the angle's file maps onto the game clock: offset, drift, and whether sync measured
    them (the report's angle entry; empty for an angle the report does not list)."""
    a = next((x for x in _dicts(report.get("angles")) if x.get("angle") == angle), None)
    if a is None or not isinstance(a.get("offset_s"), (int, float)):
        return ""
    parts = [f"offset {a['offset_s']:+.3f} s"]
    if isinstance(a.get("drift_ppm"), (int, float)) and a["drift_ppm"]:
        parts.append(f"drift {a['drift_ppm']:+.2f} ppm")
    confidence = a.get("sync_confidence")
    if a.get("synced_at") and isinstance(confidence, (int, float)):
        parts.append(f"synced {str(a['synced_at'])[:10]}, confidence {confidence:.2f}")
    else:
        parts.append("never synced")
    return f'<div class="timing">{html.escape(" · ".join(parts))}</div>'


def _clip_cell(record: dict[str, Any], href: Href) -> str:
    e = html.escape
    key = clip_key(record["game_id"], record["angle"], record["play_id"])
    start, end = (
        _offset(record.get("play_start_offset_s")),
        _offset(record.get("play_end_offset_s")),
    )
    fragment = f"#t={start:.3f},{end:.3f}" if end > start else f"#t={start:.3f}"
    note = record.get("note")
    return (
        f'<td><video controls muted playsinline preload="none" '
        f'data-start="{start:.3f}" data-end="{end:.3f}" '
        f'src="{e(href(key) + fragment)}"></video>'
        f'<div class="offsets">play {start:.2f}&ndash;{end:.2f} s of the clip · '
        f'<a href="{e(href(key))}">clip</a></div>'
        + (f'<div class="note">{e(str(note))}</div>' if note else "")
        + "</td>"
    )


def _offset(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) and number > 0 else 0.0


def _clock(seconds: Any) -> str:
    """Game-clock seconds as m:ss.ss (h:mm:ss.ss past an hour)."""
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return "?"
    if not math.isfinite(s):
        return "?"
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{int(h)}:{int(m):02d}:{sec:05.2f}" if h else f"{int(m)}:{sec:05.2f}"


def _manifest(out: Storage, game_id: str) -> tuple[list[dict[str, Any]], int]:
    """The game's manifest lines the page can show, and how many it could not read."""
    try:
        text = _read(out, manifest_key(game_id)).decode()
    except (StorageError, ValueError):
        return [], 0
    records, skipped = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            skipped += 1
            continue
        needed = ("game_id", "play_id", "angle")
        if (
            isinstance(record, dict)
            and all(isinstance(record.get(k), str) for k in needed)
            and isinstance(record.get("play_start_s"), int | float)
        ):
            records.append(record)
        else:
            skipped += 1
    return records, skipped


def _sheet_pages(out: Storage, game_id: str) -> list[str]:
    """The keys of the game's contact-sheet pages, from its layout (or the one sheet)."""
    try:
        layout = json.loads(_read(out, layout_key(game_id)))
        pages = layout.get("pages") if isinstance(layout, dict) else None
        if isinstance(pages, list) and all(isinstance(p, str) for p in pages):
            return [p for p in pages if out.stat(p)]
    except (StorageError, ValueError):
        pass
    return [sheet_key(game_id)] if out.stat(sheet_key(game_id)) else []


def _read(out: Storage, key: str) -> bytes:
    with out.open_read(key) as f:
        return f.read()


_CSS = (
    "body{font:14px system-ui,sans-serif;margin:1.5em;color:#111}"
    "h1{margin:.2em 0}h2{margin:1.2em 0 .3em}"
    ".status{font-size:.8em;padding:.1em .5em;border-radius:.3em;background:#ddd}"
    ".ok{background:#cfc}.failed{background:#fcc}.partial{background:#fec}"
    ".interrupted{background:#fec}"
    ".errors{color:#a00}"
    "table.plays{border-collapse:collapse}"
    "table.plays caption{text-align:left;color:#555;padding:.2em 0}"
    "td,th{padding:.3em .4em;border-bottom:1px solid #e4e4e4;vertical-align:top;text-align:left}"
    "th.play{min-width:10em;max-width:16em;font-weight:normal}"
    ".label{font-weight:bold;overflow-wrap:anywhere}.id,.times,.offsets{color:#555}"
    "th .status{display:inline-block;margin-top:.2em}"
    ".timing{font-weight:normal;font-size:.8em;color:#555}"
    "video{width:256px;aspect-ratio:16/9;background:#222;display:block}"
    ".note{color:#a50;max-width:256px}.none{color:#999}"
    ".sheets img{max-width:100%;margin:.3em 0}"
)

# Load a clip's metadata (its first frame at the play) only when it comes near the viewport.
_SCRIPT = (
    "(function(){var v=document.querySelectorAll('video[preload=none]');"
    "if(!('IntersectionObserver' in window))return;"
    "var o=new IntersectionObserver(function(es){es.forEach(function(x){"
    "if(x.isIntersecting){x.target.preload='metadata';o.unobserve(x.target);}});},"
    "{rootMargin:'400px'});v.forEach(function(x){o.observe(x);});})();"
)
