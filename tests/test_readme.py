"""The README documents every setting and every command; the docs link rather than repeat."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from playclips.cli import main
from playclips.config import DATASET_SETTINGS, SETTINGS, TRIGGER_SETTINGS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


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


# The docs say each thing once: the README is the map, each doc owns one topic and the others
# link to it. These checks keep the links whole and the most repeated facts in one place.
DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted(p for p in (ROOT / "terraform").rglob("README.md") if ".terraform" not in p.parts),
]
DESIGN = ROOT / "docs" / "design.md"


def headings(path: Path) -> set[str]:
    return {m.strip() for m in re.findall(r"^#{1,6} (.+)$", path.read_text(), re.MULTILINE)}


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_links_and_anchors_resolve(doc: Path) -> None:
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        path, _, fragment = target.partition("#")
        resolved = (doc.parent / path).resolve() if path else doc
        if not resolved.exists() or (
            fragment
            and resolved.suffix == ".md"
            and fragment not in {anchor(h) for h in headings(resolved)}
        ):
            broken.append(target)
    assert not broken, f"{doc.relative_to(ROOT)}: links that lead nowhere: {broken}"


def test_design_notes_hold_the_decisions_the_code_relies_on() -> None:
    names = headings(DESIGN)
    for section in (
        "The timeline",
        "The two stream-copy traps",
        "Planned reads",
        "Idempotency contract",
        "Deploy contract",
    ):
        assert section in names, f"docs/design.md has no section {section!r}"


def test_pointers_into_the_design_notes_name_real_sections() -> None:
    names = headings(DESIGN)
    pointing = [
        path
        for folder in ("job/src", "scripts", "terraform", "mk", "docs", ".github", "tests")
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".tf", ".mk", ".md", ".yml", ".yaml"}
        and ".terraform" not in path.parts
    ]
    pointing += [ROOT / "README.md", ROOT / "Makefile"]
    wrong = [
        f"{path.relative_to(ROOT)}: {section!r}"
        for path in pointing
        for section in re.findall(r'design\.md[,:]?\s+"([^"]+)"', path.read_text(errors="replace"))
        if " ".join(section.split()) not in names
    ]
    assert not wrong, f"pointers to sections docs/design.md does not have: {wrong}"


def _fenced(text: str) -> str:
    return "\n".join(re.findall(r"^```[^\n]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL))


def test_the_output_tree_is_drawn_once_in_the_readme() -> None:
    tree_lines = ("clips/{game}/{angle}/{play}.mp4 ", "manifests/{game}/clips.jsonl ")
    drawn = [
        str(doc.relative_to(ROOT))
        for doc in DOCS
        if any(line in _fenced(doc.read_text()) for line in tree_lines)
    ]
    assert drawn == ["README.md"], f"the output tree is drawn in {drawn}: link to the README's"


def test_the_split_rule_is_written_once_in_the_dataset_doc() -> None:
    stating = [
        str(doc.relative_to(ROOT)) for doc in DOCS if "ranked by the SHA-256" in doc.read_text()
    ]
    assert stating == ["docs/datasets.md"], stating


def test_the_state_bucket_recipe_is_the_one_bootstrap_runs() -> None:
    bootstrap = (ROOT / "scripts" / "bootstrap.py").read_text()
    flags = {"--uniform-bucket-level-access", "--public-access-prevention", "--versioning"}
    assert all(f'"{flag}"' in bootstrap for flag in flags), "bootstrap.py changed its flags"
    describing = [
        str(doc.relative_to(ROOT)) for doc in DOCS if any(flag in doc.read_text() for flag in flags)
    ]
    assert describing == ["docs/deploy.md"], describing
    deploy = (ROOT / "docs" / "deploy.md").read_text()
    assert all(flag in deploy for flag in flags)
