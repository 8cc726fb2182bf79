"""finalize: who goes where, Vertex AI's two sets, and bad input as one line with bounded memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from playclips.cli import main
from playclips.config import DEFAULT_PROMPT
from playclips.layout import manifest_key, report_key
from playclips.outputs.dataset import SPLITS, DatasetError, GameInput, build_dataset, split_games
from playclips.outputs.manifest import render_manifest
from playclips.storage import LocalStorage

from ..outputs.test_dataset import lines, record, write_game

UNEQUAL = {"train": 0.7, "validation": 0.2, "test": 0.1}
TWENTY = [f"game-{i:02d}" for i in range(1, 21)]
# Pinned: the SHA-256 ranking puts these games in these splits. A change to the rule (or a
# swap of validation and test) changes this list.
EXPECTED = {
    "train": [
        "game-03",
        "game-04",
        "game-05",
        "game-06",
        "game-07",
        "game-09",
        "game-10",
        "game-11",
        "game-12",
        "game-14",
        "game-16",
        "game-17",
        "game-19",
        "game-20",
    ],
    "validation": ["game-01", "game-02", "game-08", "game-15"],
    "test": ["game-13", "game-18"],
}

# Runs `playclips ARGS...` in a fresh interpreter and writes its peak RSS (KiB) to $RSS_OUT.
_RSS_SCRIPT = """
import os, resource, sys
def peak_kib():
    # VmHWM: this process's own peak (ru_maxrss also counts the parent's, kept over fork+exec)
    with open('/proc/self/status') as f:
        return int(next(x for x in f if x.startswith('VmHWM')).split()[1])
from playclips.cli import main
try:
    main(sys.argv[1:], prog_name="playclips")
    code = 0
except SystemExit as exc:
    code = exc.code
with open(os.environ["RSS_OUT"], "w") as f:
    f.write(str(peak_kib()))
sys.exit(code)
"""


def playclips_with_rss(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, int]:
    """Run the CLI in a subprocess; return it and its peak RSS in MiB."""
    rss = tmp_path / "rss.txt"
    proc = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "RSS_OUT": str(rss)},
        timeout=120,
        check=False,
    )
    return proc, int(rss.read_text()) // 1024


def games(names: list[str]) -> list[GameInput]:
    return [GameInput(g, "ok", records=[record(g, n) for n in (1, 2)]) for g in names]


def test_unequal_shares_put_each_game_where_pinned() -> None:
    split = split_games(TWENTY, UNEQUAL)
    assert {s: sorted(g for g in TWENTY if split[g] == s) for s in SPLITS} == EXPECTED
    files, summary = build_dataset(games(TWENTY), "r1", UNEQUAL, DEFAULT_PROMPT)
    assert summary["splits"]["games"] == EXPECTED
    for name in SPLITS:
        assert sorted({r["game_id"] for r in lines(files[f"clips/{name}.jsonl"])}) == EXPECTED[name]
        gemini = lines(files[f"gemini/{name}.jsonl"])
        uris = {g["contents"][0]["parts"][0]["fileData"]["fileUri"] for g in gemini}
        assert sorted({u.split("/")[4] for u in uris}) == EXPECTED[name]


@pytest.mark.parametrize(("choice", "ml_use"), [("test", "test"), ("train", "training")])
def test_vertex_file_has_no_validation_and_puts_those_games_where_asked(
    choice: str, ml_use: str
) -> None:
    files, summary = build_dataset(
        games(TWENTY), "r1", UNEQUAL, DEFAULT_PROMPT, vertex_validation=choice
    )
    by_game: dict[str, set[str]] = {}
    for line in lines(files["vertex/video_classification.jsonl"]):
        game = line["videoGcsUri"].split("/")[4]
        by_game.setdefault(game, set()).add(
            line["dataItemResourceLabels"]["aiplatform.googleapis.com/ml_use"]
        )
    assert len(by_game) == 20  # no game is left out of the Vertex AI file
    assert {g for g, uses in by_game.items() if uses == {"training"}} == set(
        EXPECTED["train"] + (EXPECTED["validation"] if choice == "train" else [])
    )
    assert {g for g, uses in by_game.items() if uses == {"test"}} == set(
        EXPECTED["test"] + (EXPECTED["validation"] if choice == "test" else [])
    )
    for game in EXPECTED["validation"]:
        assert by_game[game] == {ml_use}
    assert summary["vertex"] == {"validation_games_as": ml_use}
    assert summary["counts"]["validation"]["vertex"] == 8  # 4 games x 2 clips, counted by split
    # Gemini keeps its validation file.
    assert {r["game_id"] for r in lines(files["clips/validation.jsonl"])} == set(
        EXPECTED["validation"]
    )
    assert len(lines(files["gemini/validation.jsonl"])) == 8


def test_prompt_label_list_is_capped() -> None:
    many = [
        GameInput(
            "g1", "ok", records=[{**record("g1", n), "label": f"kind-{n}"} for n in range(30)]
        )
    ]
    with pytest.raises(DatasetError, match=r"30 distinct labels.*--prompt-max-labels"):
        build_dataset(many, "r1", UNEQUAL, DEFAULT_PROMPT, max_labels=29)
    files, _ = build_dataset(many, "r1", UNEQUAL, DEFAULT_PROMPT, max_labels=30)
    assert len(lines(files["gemini/train.jsonl"])) == 30
    # A prompt without {labels} is not limited.
    files, _ = build_dataset(many, "r1", UNEQUAL, "{game_id} {play_id}", max_labels=1)
    assert len(lines(files["gemini/train.jsonl"])) == 30


def _finalize(tmp_path: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["finalize", "--out", str(tmp_path), *args])


def _one_line_error(result: Any) -> str:
    assert "Traceback" not in result.output, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    return errors[0]


def test_unknown_run_id_is_refused_naming_the_runs_that_exist(tmp_path: Path) -> None:
    out = LocalStorage(str(tmp_path))
    write_game(out, "20261130T101010Z-aaaa", "g1", "ok")
    write_game(out, "r2", "g1", "ok")
    result = _finalize(tmp_path, "--run-id", "nope", "g1")
    assert result.exit_code == 2
    line = _one_line_error(result)
    assert "'nope'" in line and "r2, 20261130T101010Z-aaaa" in line
    assert not (tmp_path / "datasets" / "nope").exists()
    empty = _finalize(tmp_path / "empty", "--run-id", "nope", "g1")
    assert empty.exit_code == 2 and "no run has written a report" in empty.output


@pytest.mark.parametrize(
    ("prompt", "says"),
    [
        ("{start:d}", "format code"),
        ("{angle!z}", "conversion"),
        ("{game_id[0]}", "unknown placeholder"),
        ("{", "braces"),
    ],
)
def test_bad_prompt_format_is_one_line_before_anything_is_read(
    tmp_path: Path, prompt: str, says: str
) -> None:
    write_game(LocalStorage(str(tmp_path)), "r1", "g1", "ok")
    result = _finalize(tmp_path, "--run-id", "r1", "--prompt", prompt, "g1")
    assert result.exit_code == 2
    assert says in _one_line_error(result).lower()
    assert not (tmp_path / "datasets").exists()


@pytest.mark.parametrize(
    ("manifest", "says"),
    [
        (b'{"game_id": "g1"\n', "clips.jsonl line 3:"),
        (b"[1, 2]\n", "not a JSON object"),
        (b'{"game_id": "g1", "play_id": "p1", "angle": "FAR_LEFT"}\n', "uri is missing"),
        (b"\xff\xfe\n", "unreadable manifest"),
    ],
)
def test_corrupt_manifest_fails_that_game_in_one_line(
    tmp_path: Path, manifest: bytes, says: str
) -> None:
    out = LocalStorage(str(tmp_path))
    write_game(out, "r1", "g1", "ok")
    write_game(out, "r1", "g2", "ok")
    good = (tmp_path / manifest_key("g1")).read_bytes()
    (tmp_path / manifest_key("g1")).write_bytes(good + manifest)
    result = _finalize(tmp_path, "--run-id", "r1", "--splits", "1,0,0", "g1", "g2")
    assert result.exit_code == 0 and "Traceback" not in result.output
    (failure,) = [line for line in result.output.splitlines() if line.startswith("error: g1")]
    assert says in failure and "unreadable manifest" in failure
    summary = json.loads((tmp_path / "datasets/r1/summary.json").read_text())
    assert summary["games"]["ok"] == ["g2"]  # the other game is still in the dataset


@pytest.mark.parametrize("report", [b"{not json", b'["a list"]', b"\x00\x01"])
def test_corrupt_report_fails_that_game_in_one_line(tmp_path: Path, report: bytes) -> None:
    out = LocalStorage(str(tmp_path))
    write_game(out, "r1", "g1", "ok")
    write_game(out, "r1", "g2", "ok")
    (tmp_path / report_key("r1", "g1")).write_bytes(report)
    result = _finalize(tmp_path, "--run-id", "r1", "--splits", "1,0,0", "g1", "g2")
    assert result.exit_code == 0 and "Traceback" not in result.output
    (failure,) = [line for line in result.output.splitlines() if line.startswith("error: g1")]
    assert "unreadable report" in failure


def test_thousands_of_labels_stop_with_one_line_and_little_memory(tmp_path: Path) -> None:
    """3,000 plays with 3,000 distinct labels: the default prompt would list them all in each
    example (about 3,000 x 3,000 x 10 bytes, 90 MB, and more in memory)."""
    out = LocalStorage(str(tmp_path))
    records = [{**record("g1", n), "label": f"formation-{n:05d}-variant"} for n in range(3000)]
    out.put(manifest_key("g1"), render_manifest(records), content_type="x")
    write_report = {"run_id": "r1", "game_id": "g1", "status": "ok", "angles": [], "failed": []}
    out.put(report_key("r1", "g1"), json.dumps(write_report).encode(), content_type="x")
    args = ("finalize", "--out", str(tmp_path), "--run-id", "r1", "g1")
    proc, rss_mib = playclips_with_rss(tmp_path, *args)
    assert proc.returncode == 2, proc.stderr
    assert "3000 distinct labels" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "datasets").exists()
    assert rss_mib < 250, rss_mib
    # Without {labels} the same run writes its dataset, still in bounded memory.
    proc, rss_mib = playclips_with_rss(tmp_path, *args, "--prompt", "{game_id} {start}-{end}")
    assert proc.returncode == 0, proc.stderr
    assert len(lines((tmp_path / "datasets/r1/gemini/train.jsonl").read_bytes())) == 3000
    assert rss_mib < 250, rss_mib
    print(f"peak RSS of finalize over 3,000 labels: {rss_mib} MiB")


def test_finalize_help_does_not_promise_a_default_run_id() -> None:
    result = CliRunner().invoke(main, ["finalize", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--run-id" in text and "timestamp" not in text and "required" in text


def test_finalize_only_settings_are_documented_options() -> None:
    from playclips.config import FINALIZE_SETTINGS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `--")]
    finalize = main.commands["finalize"]
    for name, setting in FINALIZE_SETTINGS.items():
        assert any(f"`{setting.flag}`" in row and f"`{setting.env}`" in row for row in rows), name
        (option,) = [p for p in finalize.params if p.name == name]
        assert option.envvar == setting.env and setting.flag in option.opts
