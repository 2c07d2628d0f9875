"""The national defaults come from the shipped national files; two files disagreeing on a shared standard stop it."""
from __future__ import annotations

import json
import shutil

import pytest

from policy import national


def copy_sources(tmp_path):
    sources = {}
    for section, folder in national.SOURCES.items():
        shutil.copytree(folder, tmp_path / section, ignore=shutil.ignore_patterns("notice"))
        sources[section] = tmp_path / section
    return sources


def test_the_standards_are_read_from_the_files_not_written_by_hand():
    ident = json.loads(next(national.SOURCES["identification"].glob("national-*.json")).read_text(encoding="utf-8"))
    built = national.build()
    assert built.document["standards"] == {
        "dibao_standard_yuan_per_person_month": ident["params"]["dibao"]["standard_yuan_per_person_month"],
        "monitoring_line_yuan_per_person_year": ident["params"]["monitoring"]["line_yuan_per_person_year"],
        "reference_income_yuan_per_person_year": ident["params"]["reference"]["rural_disposable_income_yuan_per_person_year"]}
    assert set(built.sources) == {"identification", "assistance", "gradual_exit", "followup", "screening"}
    assert set(built.document["calendar"]["years"]) >= {"2025", "2026", "2027"}


def test_no_service_section_keeps_a_copy_of_a_standard():
    text = json.dumps({k: v for k, v in national.build().document.items() if k != "standards"})
    # as a parameter (a key with an amount), not as a factor of one ("share_of_reference_income")
    for name in ("standard_yuan_per_person_month", "dibao_standard_yuan_per_person_month", "line_yuan_per_person_year",
                 "monitoring_line_yuan_per_person_year", "rural_disposable_income_yuan_per_person_year",
                 "reference_income_yuan_per_person_year", "rural_income_last_year_yuan"):
        assert f'"{name}":' not in text


def test_two_files_disagreeing_on_the_dibao_standard_stop_the_build(tmp_path):
    sources = copy_sources(tmp_path)
    path = next(sources["assistance"].glob("national-*.json"))
    data = json.loads(path.read_text(encoding="utf-8"))
    data["params"]["cash"]["dibao"]["standard_yuan_per_person_month"] = 543
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(national.NationalDefaultsError) as refused:
        national.build(sources)
    assert path.name in str(refused.value) and "543" in str(refused.value)
    assert "dibao_standard_yuan_per_person_month" in str(refused.value)
