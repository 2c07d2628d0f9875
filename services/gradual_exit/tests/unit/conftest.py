"""Fixtures for gradual_exit's unit tests: rule sets read from a copy of the shipped policy bundle with changes."""
from __future__ import annotations

import itertools
import json
import shutil
from typing import Callable

import pytest

from gradual_exit.domain.rules import RuleSet
from shared.policy_client import BUNDLE, PolicyRules


def _set(document: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    node = document
    for key in parents:
        node = node[key]
    node[last] = value


@pytest.fixture
def bundle(tmp_path):
    """bundle(national={dotted path: value} or a function editing the document, releases=[...]) -> PolicyRules.

    The rules of a copy of shared/policy_bundle in its own folder (the bundle caches are per folder): the national
    document with the values at the dotted paths replaced (e.g. ``"gradual_exit.programmes.dibao.line"``), plus each
    release ``{"region", "version", "effective_from", "overrides"[, "effective_to"]}`` written to ``releases/``.
    """
    folders = itertools.count()

    def build(national: dict | Callable[[dict], None] | None = None, releases: tuple | list = ()) -> PolicyRules:
        folder = tmp_path / f"bundle-{next(folders)}"
        shutil.copytree(BUNDLE, folder)
        path = folder / "national.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        if callable(national):
            national(data["document"])
        else:
            for dotted, value in (national or {}).items():
                _set(data["document"], dotted, value)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        for release in releases:
            content = {"effective_to": None, "title": "test release / 测试版本",
                       "legal_basis": {"document_number": "TEST", "url": None}, **release}
            (folder / "releases" / f"{release['region']}-v{release['version']}.json").write_text(
                json.dumps(content, ensure_ascii=False), encoding="utf-8")
        return PolicyRules("gradual_exit", build=RuleSet.from_policy, bundle=folder)

    return build
