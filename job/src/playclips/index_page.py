"""An HTML page per run, `reports/{run_id}/index.html`: each game's status, manifest, report,
contact sheet and clips, one link each, for people checking a run by eye.

It is built from what the run left in the output root (the games' reports for this run and
their manifests), so whoever has seen every game finish can write it: `playclips run` does at
the end of a run on one machine; on Cloud Run, where each task has only its share of the games,
the step that runs after every task (finalize) should call `write_run_index`.

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
from typing import Any
from urllib.parse import quote

from .manifest import manifest_key
from .report import report_key
from .sheet import sheet_key
from .storage import Storage, StorageError

INDEX_CONTENT_TYPE = "text/html; charset=utf-8"
BROWSER_HOST = "https://storage.cloud.google.com/"


def index_key(run_id: str) -> str:
    """Where a run's index page lives below the output root (beside its reports)."""
    return f"reports/{run_id}/index.html"


def write_run_index(out: Storage, run_id: str) -> str:
    """Put the run's index page from the reports and manifests found; return its URI.

    Raises StorageError when the page cannot be written.
    """
    games = []
    for key in sorted(out.list(f"reports/{run_id}/")):
        if key.endswith(".json") and key.count("/") == 2:
            try:
                report = json.loads(_read(out, key))
            except (StorageError, ValueError):
                continue
            games.append((report, _manifest(out, report.get("game_id", ""))))
    has_sheet = {r["game_id"] for r, _ in games if out.stat(sheet_key(r["game_id"]))}
    page = render_index(run_id, games, has_sheet, lambda key: link(out, run_id, key))
    out.put(index_key(run_id), page.encode(), content_type=INDEX_CONTENT_TYPE)
    return out.uri(index_key(run_id))


def link(out: Storage, run_id: str, key: str) -> str:
    """The href of object `key` on the run's page (see the module docstring)."""
    uri = out.uri(key)
    if uri.startswith("gs://"):
        return BROWSER_HOST + quote(uri.removeprefix("gs://"))
    depth = index_key(run_id).count("/")
    return "../" * depth + quote(key)


def render_index(
    run_id: str,
    games: list[tuple[dict[str, Any], list[dict[str, Any]]]],
    has_sheet: set[str],
    href: Any,
) -> str:
    """The page's HTML: one section per (report, manifest records) pair."""
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>playclips run {e(run_id)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>playclips run {e(run_id)}</h1>",
        f"<p>{len(games)} games: "
        + ", ".join(
            f"{sum(1 for r, _ in games if r.get('status') == s)} {s}"
            for s in ("ok", "partial", "failed", "interrupted")
        )
        + "</p>",
    ]
    for report, records in sorted(games, key=lambda g: g[0].get("game_id", "")):
        parts.append(_game_section(run_id, report, records, report["game_id"] in has_sheet, href))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _game_section(
    run_id: str,
    report: dict[str, Any],
    records: list[dict[str, Any]],
    has_sheet: bool,
    href: Any,
) -> str:
    e = html.escape
    game = report.get("game_id", "")
    counts = report.get("counts", {})
    status = report.get("status", "")
    out = [f'<section id="{e(game)}"><h2>{e(game)} <span class="{e(status)}">{e(status)}</span>']
    out.append("</h2><p>")
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
    links = [f'<a href="{e(href(report_key(run_id, game)))}">report</a>']
    if records:
        links.append(f'<a href="{e(href(manifest_key(game)))}">manifest</a>')
    if has_sheet:
        links.append(f'<a href="{e(href(sheet_key(game)))}">contact sheet</a>')
    out.append(" · " + " · ".join(links) + "</p>")
    errors = [report.get("error", "")]
    errors += [f"{a['angle']}: {a['error']}" for a in report.get("angles", []) if a.get("error")]
    failed = report.get("failed", [])
    errors += [f"{x['angle']}: play {x['play_id']}: {x['reason']}" for x in failed]
    if any(errors):
        out.append("<ul class=errors>")
        out += [f"<li>{e(x)}</li>" for x in errors if x]
        out.append("</ul>")
    if records:
        out.append(_clip_table(records, href))
    if has_sheet:
        out.append(
            f"<details><summary>contact sheet</summary><img loading=lazy alt='contact sheet' "
            f'src="{e(href(sheet_key(game)))}"></details>'
        )
    out.append("</section>")
    return "\n".join(out)


def _clip_table(records: list[dict[str, Any]], href: Any) -> str:
    e = html.escape
    angles = sorted({r["angle"] for r in records})
    by_play: dict[str, dict[str, Any]] = {}
    for r in sorted(records, key=lambda r: (r["play_start_s"], r["play_id"])):
        by_play.setdefault(r["play_id"], {})[r["angle"]] = r
    rows = [
        f"<details><summary>{len(records)} clips</summary><table>",
        "<tr><th>play</th><th>label</th><th>start - end (s)</th>"
        + "".join(f"<th>{e(a)}</th>" for a in angles)
        + "</tr>",
    ]
    for play_id, cells in by_play.items():
        first = next(iter(cells.values()))
        row = [
            f"<td>{e(play_id)}</td><td>{e(str(first.get('label', '')))}</td>",
            f"<td>{first['play_start_s']:.2f} - {first['play_end_s']:.2f}</td>",
        ]
        for angle in angles:
            r = cells.get(angle)
            key = f"clips/{first['game_id']}/{angle}/{play_id}.mp4"
            row.append(f'<td><a href="{e(href(key))}">clip</a></td>' if r else "<td></td>")
        rows.append("<tr>" + "".join(row) + "</tr>")
    rows.append("</table></details>")
    return "\n".join(rows)


def _manifest(out: Storage, game_id: str) -> list[dict[str, Any]]:
    try:
        text = _read(out, manifest_key(game_id)).decode()
    except (StorageError, ValueError):
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _read(out: Storage, key: str) -> bytes:
    with out.open_read(key) as f:
        return f.read()


_CSS = (
    "body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}"
    "h2 span{font-size:.7em;padding:.1em .5em;border-radius:.3em;background:#ddd}"
    "h2 .ok{background:#cfc}h2 .failed{background:#fcc}h2 .partial{background:#fec}"
    "table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #eee}"
    ".errors{color:#a00}img{max-width:100%}"
)
