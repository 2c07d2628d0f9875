"""Fixtures for followup's unit tests: policy bundles copied from the shipped one, with the national document's
followup section changed and regional releases added."""
from __future__ import annotations

import copy
import itertools
import json
import shutil
from pathlib import Path

import pytest

from followup.policy import policy_rules
from shared.policy_client import BUNDLE, PolicyRules

NATIONAL = json.loads((BUNDLE / "national.json").read_text(encoding="utf-8"))


def national(**sections) -> dict:
    """The shipped national release with its followup section changed (section=dict of changes, merged one level
    deep; anything else replaces the section's value)."""
    data = copy.deepcopy(NATIONAL)
    followup = data["document"]["followup"]
    for section, change in sections.items():
        if isinstance(change, dict) and isinstance(followup.get(section), dict):
            followup[section].update(change)
        else:
            followup[section] = change
    return data


def release(region: str, version: int, effective_from: str, overrides: dict, effective_to: str | None = None) -> dict:
    """A regional release as the bundle holds one (``overrides`` deep-merge onto the version in force on its first
    day)."""
    return {"region": region, "version": version, "effective_from": effective_from, "effective_to": effective_to,
            "title": f"test release {region}-v{version} / 测试版本", "legal_basis": {"document_number": "TEST", "url": None},
            "overrides": overrides}


@pytest.fixture(name="national")
def national_fixture():
    """national(section={changes}) -> the national release with the followup section changed."""
    return national


@pytest.fixture(name="release")
def release_fixture():
    return release


@pytest.fixture
def bundle(tmp_path):
    """bundle(national_release=None, *releases, shipped_releases=True) -> followup's PolicyRules over a fresh copy of
    the shipped bundle (a new folder per call: the client caches what it read per bundle path)."""
    counter = itertools.count(1)

    def build(national_release: dict | None = None, *releases: dict, shipped_releases: bool = True) -> PolicyRules:
        folder = tmp_path / f"bundle{next(counter)}"
        shutil.copytree(BUNDLE, folder)
        if not shipped_releases:
            for path in (folder / "releases").glob("*.json"):
                path.unlink()
        if national_release is not None:
            (folder / "national.json").write_text(json.dumps(national_release, ensure_ascii=False), encoding="utf-8")
        for r in releases:
            name = f"{r['region']}-v{r['version']}.json"
            (folder / "releases" / name).write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
        return policy_rules(bundle=folder)
    return build
