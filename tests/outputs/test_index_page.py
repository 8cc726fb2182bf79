"""The run page, the run's last lines and its log lines, checked on a real run (and in chromium)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from click.testing import CliRunner

from playclips.cli import main

from ..conftest import read_manifest, write_plays
from ..support.browser import chromium, headless_page
from ..support.sources import install_game, make_source

ANGLES = ("NEAR_LEFT", "FAR_LEFT")  # not alphabetical: the page must keep this order


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("page")
    install_game(root / "videos", "g1", make_source("bframes"), list(ANGLES))
    rows = [
        {"game_id": "g1", "play_id": f"p{i}", "start_s": 1.1 + 3 * i, "end_s": 2.3 + 3 * i}
        | {"label": ["run", "pass", "punt"][i]}
        for i in range(3)
    ]
    rows.append({"game_id": "g1", "play_id": "bad", "start_s": 5, "end_s": 4, "label": "x"})
    plays = write_plays(root / "plays.json", rows)
    out = root / "out"
    args = ["run", "g1", "--plays", str(plays), "--videos", str(root / "videos")]
    args += ["--out", str(out), "--angles", ",".join(ANGLES), "--run-id", "r1"]
    result = CliRunner().invoke(main, [*args, "--log-format", "json"])
    finalized = CliRunner().invoke(
        main, ["finalize", "g1", "--out", str(out), "--run-id", "r1", "--splits", "1,0,0"]
    )
    assert finalized.exit_code == 0, finalized.output
    page = out / "reports" / "r1" / "index.html"
    tags = Tags()
    tags.feed(page.read_text())
    return {"out": out, "result": result, "page": page, "tags": tags.tags}


def test_run_ends_with_its_id_and_page_and_every_json_line_has_the_run_id(run) -> None:
    lines = [json.loads(x) for x in run["result"].output.splitlines() if x.startswith("{")]
    assert lines and all(x.get("run_id") == "r1" for x in lines), lines
    last = lines[-1]
    assert last["message"].startswith("run r1: run page ")
    assert last["message"].endswith(str(run["page"].resolve()))


def test_text_run_prints_run_id_and_page_last(run, tmp_path: Path) -> None:
    root = run["out"].parent
    result = CliRunner().invoke(
        main,
        [
            *("run", "g1", "--plays", str(root / "plays.json"), "--videos", str(root / "videos")),
            *("--out", str(run["out"]), "--angles", ",".join(ANGLES), "--run-id", "r2"),
            *("--log-format", "text"),
        ],
    )
    tail = result.output.strip().splitlines()[-2:]
    assert tail == ["Run id: r2", f"Run page: {(run['out'] / 'reports/r2/index.html').resolve()}"]
    assert "Warning" not in result.output and "FutureWarning" not in result.output


def test_page_shows_every_clip_at_its_play_in_the_games_angle_order(run) -> None:
    html = run["page"].read_text()
    records = read_manifest(run["out"], "g1")
    assert len(records) == 6
    headers = re.findall(r'<th>([A-Z_]+)(?:<div class="timing">[^<]*</div>)?</th>', html)
    assert headers == list(ANGLES)
    videos = [a for t, a in run["tags"] if t == "video"]
    assert len(videos) == 6
    by_src = {v["src"]: v for v in videos}
    for r in records:
        src = f"../../clips/g1/{r['angle']}/{r['play_id']}.mp4"
        want = f"#t={r['play_start_offset_s']:.3f},{r['play_end_offset_s']:.3f}"
        assert by_src[src + want]["preload"] == "none"  # lazy: the script loads what is seen
        assert f"play {r['play_start_offset_s']:.2f}&ndash;" in html
    # Cells of a row follow the angle order.
    first_row = [v["src"] for v in videos[:2]]
    assert [s.split("/")[4] for s in first_row] == list(ANGLES)
    assert "<details" not in html  # nothing collapsed
    assert not re.search(r"(src|href)=\"https?://", html)  # no CDN: works offline
    assert "play bad skipped" in html  # the report's rejected play is on the page
    for label in ("run", "pass", "punt"):
        assert f'<div class="label">{label}</div>' in html


def test_page_links_the_manifest_sheets_and_every_dataset_file(run) -> None:
    hrefs = {a["href"] for t, a in run["tags"] if t == "a" and "href" in a}
    for key in (
        "manifests/g1/clips.jsonl",
        "manifests/g1/contact_sheet.png",
        "reports/r1/g1.json",
        "datasets/r1/summary.json",
        "datasets/r1/vertex/video_classification.jsonl",
        "datasets/r1/gemini/train.jsonl",
        "datasets/r1/gemini/validation.jsonl",
        "datasets/r1/gemini/test.jsonl",
        "datasets/r1/clips/train.jsonl",
    ):
        assert f"../../{key}" in hrefs, key
        assert (run["out"] / key).is_file(), key


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (.ci/run does)")
def test_page_in_chromium_renders_links_resolve_and_a_clip_opens_at_its_play(run) -> None:
    records = {(r["play_id"], r["angle"]): r for r in read_manifest(run["out"], "g1")}
    with headless_page() as page:
        page.open(run["page"].resolve().as_uri())
        rendered = page.evaluate(
            "({title: document.title, rows: document.querySelectorAll('table.plays tbody tr')"
            ".length, height: document.body.scrollHeight})"
        )
        assert rendered["title"] == "playclips run r1"
        assert rendered["rows"] == 3 and rendered["height"] > 400
        # Every link, image and video source as the browser resolved it.
        urls = page.evaluate(
            "[...document.querySelectorAll('a[href]')].map(a => a.href).concat("
            "[...document.querySelectorAll('img, video')].map(x => x.src))"
        )
        targets = {urlparse(u) for u in urls}
        assert len(targets) > 15
        for url in targets:
            if url.scheme == "file":
                assert Path(unquote(url.path)).is_file(), url
            else:  # in-page anchors
                assert url.fragment and not url.netloc, url
        # The clip whose play starts latest in it: its metadata loads (lazily: it is on
        # screen) and it opens at the play, not at its first frame.
        state = page.evaluate(
            """(async () => {
              const v = [...document.querySelectorAll('video')]
                .sort((a, b) => b.dataset.start - a.dataset.start)[0];
              const t0 = performance.now();
              while ((v.readyState < 1 || v.seeking) && performance.now() - t0 < 10000)
                await new Promise(r => setTimeout(r, 20));
              return {ready: v.readyState, time: v.currentTime, start: Number(v.dataset.start),
                      duration: v.duration, preload: v.preload, src: v.currentSrc,
                      error: v.error && v.error.code};
            })()""",
            timeout=20,
        )
    assert state["error"] is None and state["ready"] >= 1, state
    assert state["preload"] == "metadata"  # switched by the lazy loader
    play_id, angle = state["src"].split("/")[-1].split(".mp4")[0], state["src"].split("/")[-2]
    record = records[(play_id, angle)]
    assert state["start"] == pytest.approx(record["play_start_offset_s"], abs=1e-3)
    assert state["start"] > 0.2  # copy mode: the clip starts on the keyframe before the play
    assert state["time"] == pytest.approx(record["play_start_offset_s"], abs=0.05)
    assert state["duration"] == pytest.approx(record["duration_s"], abs=0.1)


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (.ci/run does)")
def test_a_150_play_4_angle_page_loads_only_the_clips_on_screen(run, tmp_path: Path) -> None:
    from playclips.layout import manifest_key
    from playclips.outputs.index_page import write_run_index
    from playclips.outputs.manifest import render_manifest
    from playclips.storage import LocalStorage

    angles = ("FAR_LEFT", "NEAR_LEFT", "FAR_RIGHT", "NEAR_RIGHT")
    real = read_manifest(run["out"], "g1")[0]
    clip = run["out"] / "clips" / "g1" / real["angle"] / f"{real['play_id']}.mp4"
    out = LocalStorage(str(tmp_path))
    records = []
    for i in range(150):
        for angle in angles:
            target = tmp_path / "clips" / "big" / angle / f"p{i:03d}.mp4"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(clip)
            records.append(
                real
                | {"game_id": "big", "play_id": f"p{i:03d}", "angle": angle}
                | {"play_start_s": 20.0 * i, "play_end_s": 20.0 * i + 6}
            )
    out.put(manifest_key("big"), render_manifest(records), content_type="x")
    report = {
        "run_id": "r1",
        "game_id": "big",
        "status": "ok",
        "angles": [{"angle": a} for a in angles],
    }
    out.put("reports/r1/big.json", json.dumps(report).encode(), content_type="x")
    page_file = Path(write_run_index(out, "r1"))
    with headless_page() as page:
        page.open(page_file.as_uri(), until="Page.domContentEventFired")
        loaded = page.evaluate(
            """(async () => {
              await new Promise(r => setTimeout(r, 300));
              const v = [...document.querySelectorAll('video')];
              return {all: v.length, asked: v.filter(x => x.preload !== 'none').length,
                      loaded: v.filter(x => x.readyState > 0).length};
            })()"""
        )
    assert loaded["all"] == 600
    # The first rows (and 400 px beyond): a few dozen at most, never the 600.
    assert 4 <= loaded["asked"] <= 40, loaded
    assert loaded["loaded"] <= loaded["asked"], loaded


def test_a_normal_run_prints_no_python_warning(run) -> None:
    root = run["out"].parent
    proc = subprocess.run(
        [
            *(sys.executable, "-W", "default", "-m", "playclips.cli", "run", "g1"),
            *("--plays", str(root / "plays.json"), "--videos", str(root / "videos")),
            *("--out", str(run["out"]), "--angles", ",".join(ANGLES), "--run-id", "r3"),
            *("--log-format", "text"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr and "warnings.warn" not in proc.stderr, proc.stderr
    assert proc.stdout.splitlines()[-2:] == [
        "Run id: r3",
        f"Run page: {(run['out'] / 'reports/r3/index.html').resolve()}",
    ]


def test_a_gs_output_links_every_object_through_the_authenticated_browser_host(run) -> None:
    from playclips.outputs.index_page import GameView, link, render_index

    class Bucket:  # the one Storage method link() uses, as GCSStorage answers it
        def uri(self, key: str) -> str:
            return f"gs://training/pre fix/{key}"

    report = json.loads((run["out"] / "reports/r1/g1.json").read_text())
    records = read_manifest(run["out"], "g1")
    html = render_index(
        "r1",
        [GameView(report, records, ["manifests/g1/contact_sheet.png"])],
        lambda key: link(Bucket(), "r1", key),  # type: ignore[arg-type]
        [("summary", "datasets/r1/summary.json")],
    )
    r = records[0]
    base = "https://storage.cloud.google.com/training/pre%20fix/"
    want = f"{r['play_start_offset_s']:.3f},{r['play_end_offset_s']:.3f}"
    assert f'src="{base}clips/g1/{r["angle"]}/{r["play_id"]}.mp4#t={want}"' in html
    assert f'href="{base}datasets/r1/summary.json"' in html
    assert f'src="{base}manifests/g1/contact_sheet.png"' in html
    assert "../" not in html


def test_odd_reports_and_manifest_lines_never_stop_the_page(tmp_path: Path) -> None:
    from playclips.outputs.index_page import write_run_index
    from playclips.storage import LocalStorage

    out = LocalStorage(str(tmp_path))
    odd = {"game_id": "g1", "status": "ok", "angles": 7, "failed": "x", "counts": []}
    out.put("reports/r1/g1.json", json.dumps(odd).encode(), content_type="x")
    out.put("reports/r1/g2.json", b"[1, 2]", content_type="x")
    out.put("reports/r1/g3.json", b"{broken", content_type="x")
    good = {"game_id": "g1", "play_id": "p1", "angle": "FAR_LEFT", "play_start_s": 1.0}
    lines = [json.dumps(good), "{broken", json.dumps({**good, "play_start_s": "1"}), "[]"]
    out.put("manifests/g1/clips.jsonl", "\n".join(lines).encode(), content_type="x")
    html = Path(write_run_index(out, "r1")).read_text()
    assert "3 unreadable manifest line(s) not shown" in html
    assert html.count("<video") == 1 and "1 games:" in html


def test_a_failed_game_shows_why_and_the_dataset_links_only_once_written(tmp_path: Path) -> None:
    from playclips.layout import dataset_key, index_key, report_key
    from playclips.outputs.index_page import write_run_index
    from playclips.storage import LocalStorage

    out = LocalStorage(str(tmp_path))
    failed = {
        "game_id": "g2",
        "status": "failed",
        "error": "no usable plays",
        "rejected": [{"play_id": "p9", "reason": "start_s -1 is negative", "angle": None}],
        "angles": [{"angle": "WIDE", "error": "no video for WIDE"}],
    }
    ok = {"game_id": "g1", "status": "ok", "counts": {"clips_made": 2, "plays_rejected": 0}}
    for report in (failed, ok):
        key = report_key("r1", str(report["game_id"]))
        out.put(key, json.dumps(report).encode(), content_type="application/json")
    uri = write_run_index(out, "r1")
    assert uri == out.uri(index_key("r1"))
    html = Path(uri).read_text()
    assert "2 games: 1 ok, 0 partial, 1 failed, 0 interrupted." in html
    assert html.index('id="g1"') < html.index('id="g2"')  # by game id, whatever the order
    for line in ("no usable plays", "WIDE: no video for WIDE", "play p9 skipped: start_s -1"):
        assert line in html
    assert "2 made, 0 kept from earlier runs, 0 failed, 0 plays rejected" in html
    assert '<a href="../../reports/r1/g2.json">report</a>' in html
    assert "Dataset: not written yet" in html
    out.put(dataset_key("r1", "summary.json"), b"{}", content_type="application/json")
    html = Path(write_run_index(out, "r1")).read_text()
    assert '<a href="../../datasets/r1/clips/train.jsonl">clips train</a>' in html
