"""The README documents every setting and every command."""

from __future__ import annotations

from pathlib import Path

from playclips.cli import main
from playclips.config import DATASET_SETTINGS, SETTINGS, TRIGGER_SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme_table() -> None:
    rows = [line for line in README.splitlines() if line.startswith("| `--")]
    for table in (SETTINGS, DATASET_SETTINGS, TRIGGER_SETTINGS):
        for setting in table.values():
            assert any(
                f"`{setting.flag}`" in row.split("|")[1] and f"`{setting.env}`" in row
                for row in rows
            ), setting.flag


def test_every_command_is_in_the_readme() -> None:
    for name in main.commands:
        assert f"playclips {name}" in README, name


def test_readme_links_resolve() -> None:
    root = Path(__file__).resolve().parents[1]
    import re

    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if "://" not in target:
            assert (root / target).exists(), target
