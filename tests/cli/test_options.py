"""cli/options.py: options built from the settings tables, and `run`'s options turned into
checked Settings whose every refusal names its flag."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from playclips.cli import run
from playclips.cli.options import dataset_options, run_settings, setting_option
from playclips.config import ConfigError, Settings, find_setting


def _settings(tmp_path: Path, *argv: str) -> Settings:
    base = ["--plays", "plays.csv", "--videos", str(tmp_path), "--out", str(tmp_path / "out")]
    with run.make_context("run", [*base, *argv]) as ctx:
        return run_settings(ctx.params)


def test_an_option_takes_its_flag_variable_default_and_help_from_the_settings() -> None:
    @click.command()
    @setting_option("workers", type=click.IntRange(1, 64))
    def show(workers: int) -> None:
        click.echo(f"workers={workers}")

    runner = CliRunner()
    assert runner.invoke(show, []).output == "workers=1\n"
    assert runner.invoke(show, [], env={"PLAYCLIPS_WORKERS": "3"}).output == "workers=3\n"
    assert runner.invoke(show, ["--workers", "5"]).output == "workers=5\n"
    help_text = " ".join(runner.invoke(show, ["--help"]).output.split())
    assert find_setting("workers").help in help_text
    assert "[env: PLAYCLIPS_WORKERS] [default: 1; 1<=x<=64]" in help_text


def test_run_options_become_settings(tmp_path: Path) -> None:
    s = _settings(tmp_path, "--angles", "NEAR_LEFT,FAR_LEFT", "--run-id", "r7", "--mode", "encode")
    assert (s.plays, s.videos, s.out) == ("plays.csv", str(tmp_path), str(tmp_path / "out"))
    assert (s.angles, s.run_id, s.mode) == (("NEAR_LEFT", "FAR_LEFT"), "r7", "encode")
    assert s.workers == 1 and s.height is None
    assert _settings(tmp_path).run_id  # made when not given


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (("--height", "721"), "--height: 721 is odd"),
        (("--angles", "far_left"), "--angles: invalid angle"),
        (("--run-id", "a/b"), "--run-id: invalid run id"),
        (("--videos", __file__), "--videos: "),
    ],
)
def test_a_bad_run_option_names_its_flag(tmp_path: Path, argv: tuple[str, ...], start: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _settings(tmp_path, *argv)
    assert str(raised.value).startswith(start), raised.value


def test_a_bad_limit_is_found_before_any_game(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAYCLIPS_MAX_PLAYS_FILE_BYTES", "lots")
    with pytest.raises(ConfigError, match="PLAYCLIPS_MAX_PLAYS_FILE_BYTES"):
        _settings(tmp_path)


def test_dataset_options_default_what_is_unset_and_refuse_bad_splits() -> None:
    given = dataset_options({"splits": "0.7,0.2,0.1", "prompt": None})
    assert given["shares"] == {"train": 0.7, "validation": 0.2, "test": 0.1}
    assert given["prompt"] == find_setting("prompt").default
    assert given["max_labels"] == find_setting("prompt_max_labels").default
    assert given["vertex_validation"] == find_setting("vertex_validation").default
    with pytest.raises(ConfigError, match="splits '1,1,1'"):
        dataset_options({"splits": "1,1,1"})
    with pytest.raises(ConfigError, match="unknown placeholder"):
        dataset_options({"prompt": "Label {nope}"})
