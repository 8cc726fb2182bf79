"""The README documents every setting and every command."""

from __future__ import annotations

from pathlib import Path

from playclips.cli import main
from playclips.config import SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme_table() -> None:
    for setting in SETTINGS.values():
        assert f"| `{setting.flag}` | `{setting.env}` |" in README, setting.flag


def test_every_command_is_in_the_readme() -> None:
    for name in main.commands:
        assert f"playclips {name}" in README, name


def test_readme_links_resolve() -> None:
    root = Path(__file__).resolve().parents[1]
    import re

    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if "://" not in target:
            assert (root / target).exists(), target
