"""The shipped bundle is the one copy of the defaults; what policy publishes at first start is what services start from."""
from __future__ import annotations

import json

from policy import national
from policy.domain import document as doc
from shared import policy_client


def test_the_national_document_is_complete_and_valid():
    built = national.build()
    assert doc.document_problems(built.document) == []
    assert set(built.document["calendar"]["years"]) >= {"2025", "2026", "2027"}


def test_every_shipped_release_is_valid_and_merges_into_a_valid_document():
    for name, release in national.shipped_releases():
        assert doc.release_problems(release) == [], name
    for entry in policy_client.baseline_entries():
        assert doc.document_problems(entry.document) == [], entry.rule_version


def test_no_service_section_keeps_a_copy_of_a_standard():
    text = json.dumps({k: v for k, v in national.build().document.items() if k != "standards"})
    # as a parameter (a key with an amount), not as a factor of one ("share_of_reference_income")
    for name in ("standard_yuan_per_person_month", "dibao_standard_yuan_per_person_month", "line_yuan_per_person_year",
                 "monitoring_line_yuan_per_person_year", "rural_disposable_income_yuan_per_person_year",
                 "reference_income_yuan_per_person_year", "rural_income_last_year_yuan"):
        assert f'"{name}":' not in text


def test_preview_urls_are_name_url_pairs_and_a_bad_one_names_itself():
    import pytest

    from policy.handlers import preview_targets
    assert preview_targets("") == []
    assert preview_targets("assistance=http://a:8000/, identification=https://i") == [
        ("assistance", "http://a:8000"), ("identification", "https://i")]
    for bad in ("assistance", "=http://a", "assistance=ftp://a"):
        with pytest.raises(ValueError) as refused:
            preview_targets(bad)
        assert "POLICY_PREVIEW_URLS" in str(refused.value)
