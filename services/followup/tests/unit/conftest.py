"""Fixtures for followup's unit tests: rule books written from the bundled national file with some parameters changed."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from followup.domain.rules import RULES_DIRECTORY, RuleBook, load_rule_book

NATIONAL = json.loads((RULES_DIRECTORY / "national-2025.json").read_text(encoding="utf-8"))


def write(folder: Path, name: str, content: dict) -> None:
    (folder / name).write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")


def national(**params) -> dict:
    """The bundled national file with ``params`` deep-merged (section=dict of changes)."""
    data = copy.deepcopy(NATIONAL)
    for section, change in params.items():
        if isinstance(change, dict) and isinstance(data["params"].get(section), dict):
            data["params"][section].update(change)
        else:
            data["params"][section] = change
    return data


@pytest.fixture(name="national")
def national_fixture():
    """national(section={changes}) -> the national file's content with the changes."""
    return national


@pytest.fixture
def book(tmp_path):
    """book(("name.json", content), ...) -> the rule book of exactly those files."""
    def build(*files: tuple[str, dict]) -> RuleBook:
        for name, content in files:
            write(tmp_path, name, content)
        return load_rule_book(tmp_path)
    return build
