"""The household file's pages over a seeded read model (SQLite): search in the officer's area, one household's
summary and timeline, filters, pagination, masking, and a 404 that does not tell a household outside the area
exists. The officer comes from a dependency override (staff sign-in is built apart)."""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

import functools

from portal.staff.household_consumer import apply_event, search_key
from portal.staff.session import Officer, require_officer
from shared.contracts import contracts_dir
from shared.envelope import Event, from_envelope
from shared.unit_of_work import without_event
from tests.fuzz.apps import build

EXAMPLE_HOUSEHOLD = "0b8e7d6c-5a4f-4e3d-9c2b-1a0f9e8d7c6b"
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
TOWNSHIP = Officer(subject="wang-township", role="township", area="530102001", name="王主任")


def example(event_type: str) -> Event:
    path = contracts_dir() / "examples" / f"{event_type}.v1.json"
    return from_envelope(json.loads(path.read_text(encoding="utf-8")))


def event(event_type: str, household: str, division: str, at: datetime, **data) -> Event:
    base = example(event_type)
    body = {**base.data, **data}
    body.update({k: v for k, v in (("household_id", household), ("division_code", division)) if k in base.data})
    return Event(type=event_type, source=base.source, subject=household, data=body, id=str(uuid.uuid4()), time=at)


def apply(runtime, *events: Event) -> None:
    handler = functools.partial(apply_event, search_key=search_key(runtime.settings))  # as bootstrap wires it
    with runtime.session_factory() as session, session.begin():
        without_event(session, "test seeding of the read model")
        for e in events:
            handler(session, e)


@pytest.fixture
def portal(tmp_path):
    svc = build("portal", f"sqlite:///{tmp_path}/portal.db")
    officer = {"value": TOWNSHIP}
    svc.app.dependency_overrides[require_officer] = lambda: officer["value"]
    # The examples' household, in the township's village 530102001001: every mapped event of the contracts.
    examples = sorted((contracts_dir() / "examples").glob("*.v1.json"))
    apply(svc.runtime, *[from_envelope(json.loads(p.read_text(encoding="utf-8"))) for p in examples])
    # Another village of the same township, and a household of another township (outside the officer's area).
    apply(svc.runtime,
          event("discovery.application.submitted", "hh-near", "530102001002", T0, application_id="app-near",
                applicant={"name": "李四", "id_number": "110105195001011234", "relationship": "self"},
                members=[{"name": "李四", "id_number": "110105195001011234", "relationship": "self"}]),
          event("discovery.application.submitted", "hh-far", "530102002001", T0 + timedelta(days=400),
                application_id="app-far"))
    with TestClient(svc.app) as client:
        client.officer = officer
        client.runtime = svc.runtime
        yield client


def rows(page: str) -> list[str]:
    return re.findall(r'<a href="/staff/households/([^"]+)">', page)


def test_the_search_lists_the_officers_area_newest_activity_first_with_ids_masked(portal):
    page = portal.get("/staff/households")
    assert page.status_code == 200
    assert rows(page.text) == [EXAMPLE_HOUSEHOLD, "hh-near"]  # the examples run to 2027; hh-near's one is 2026-11
    assert "hh-far" not in page.text  # another township's household is not listed, though it is the newest
    assert "张*" in page.text and "**************002X" in page.text and "李*" in page.text
    assert "11010519491231002X" not in page.text and "110105195001011234" not in page.text and "张三" not in page.text
    assert "共 2 户" in page.text and "530102-2026-000001" in page.text and "长期跟踪中" not in page.text


@pytest.mark.parametrize("query", ["530102-2026-000001", EXAMPLE_HOUSEHOLD, "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"])
def test_a_file_number_a_household_id_or_an_application_number_finds_the_household(portal, query):
    page = portal.get("/staff/households", params={"q": f" {query} "})
    assert rows(page.text) == [EXAMPLE_HOUSEHOLD], query
    assert f"“{query}”：共 1 户" in page.text


def test_any_members_id_number_finds_the_household_and_is_not_shown_back_in_full(portal):
    page = portal.get("/staff/households", params={"q": "11010519491231002x"})  # hh-far has him too: another area
    assert rows(page.text) == [EXAMPLE_HOUSEHOLD]
    assert "“**************002X”：共 1 户" in page.text and 'name="q" type="search" value=""' in page.text
    assert "11010519491231002" not in page.text
    spouse = portal.get("/staff/households", params={"q": "110105195001011234"})  # a spouse here, a head there
    assert rows(spouse.text) == [EXAMPLE_HOUSEHOLD, "hh-near"]
    assert rows(portal.get("/staff/households", params={"q": "110105195001011235"}).text) == []


def test_a_household_outside_the_area_is_not_found_by_its_numbers_either(portal):
    for query in ("hh-far", "app-far"):
        page = portal.get("/staff/households", params={"q": query})
        assert rows(page.text) == [] and "共 0 户" in page.text


def test_the_search_is_paginated(portal):
    apply(portal.runtime, *[event("discovery.application.submitted", f"hh-{i:02d}", "530102001003",
                                  T0 + timedelta(hours=i), application_id=f"app-{i:02d}") for i in range(23)])
    first = portal.get("/staff/households")
    assert len(rows(first.text)) == 20 and "第 1 页，共 2 页" in first.text and 'href="?page=2"' in first.text
    second = portal.get("/staff/households", params={"page": "2"})
    assert len(rows(second.text)) == 5 and 'href="?page=1"' in second.text
    assert set(rows(first.text)).isdisjoint(rows(second.text))
    assert portal.get("/staff/households", params={"page": "x"}).status_code == 200  # a bad page is the first
    assert rows(portal.get("/staff/households", params={"page": "99"}).text) == []


def test_the_household_file_shows_the_summary_and_the_timeline_newest_first(portal):
    page = portal.get(f"/staff/households/{EXAMPLE_HOUSEHOLD}")
    assert page.status_code == 200
    text = page.text
    assert "张*户 · 一户一档" in text and "530102-2026-000001" in text and "**************002X" in text
    assert "11010519491231002X" not in text and "张三" not in text
    assert f'href="/staff/cases/c0ffee00-1234-4abc-8def-0123456789ab"' in text
    times = re.findall(r'<li>\s*<time datetime="([^"]+)"', text)
    assert len(times) == 20 and times == sorted(times, reverse=True)
    assert times[0].startswith("2027-09-01T02:00:05")  # followup.plan.extended: the newest example event
    assert "跟踪计划延长：防止返贫监测 退出并入，至 2029-09-30" in text
    assert "第 1 页，共 3 页" in text and "全部环节（58）" in text and "长期跟踪（8）" in text
    last = portal.get(f"/staff/households/{EXAMPLE_HOUSEHOLD}", params={"page": "3"}).text
    assert "渐退观察期开始：最低生活保障，至 2026-09-02" in last  # gradual_exit.observation.started, 2026-03
    assert "经办：li-village（村级）" in portal.get(f"/staff/households/{EXAMPLE_HOUSEHOLD}",
                                                 params={"service": "identification"}).text


def test_the_timeline_can_show_one_service(portal):
    page = portal.get(f"/staff/households/{EXAMPLE_HOUSEHOLD}", params={"service": "followup"}).text
    tags = re.findall(r'<span class="tag tag--grey">([^<]+)</span>', page)
    assert tags == ["长期跟踪"] * 8
    assert '<option value="followup" selected>' in page
    assert 'href="/staff/followup/plans/fp-1"' in page
    assert "回访已记录（2027-09-28）：发现返贫风险" in page and "人均月收入 600 元（年 7200 元）" in page
    every = portal.get(f"/staff/households/{EXAMPLE_HOUSEHOLD}", params={"service": "nonsense"}).text
    assert "第 1 页，共 3 页" in every  # an unknown service filter shows everything


def test_the_pages_are_in_english_too(portal):
    page = portal.get(f"/staff/households/{EXAMPLE_HOUSEHOLD}", params={"service": "identification", "lang": "en"})
    assert "Household of 张*: one household, one file" in page.text
    assert "Identification case opened from the application, deadline 2027-01-12" in page.text
    assert "By wang-township (township)" in page.text
    assert "Households of your area (530102001)" in portal.get("/staff/households").text


def test_an_unknown_household_and_one_outside_the_area_get_the_same_404(portal):
    unknown = portal.get("/staff/households/no-such-household")
    outside = portal.get("/staff/households/hh-far")
    assert unknown.status_code == outside.status_code == 404
    assert "未找到该家庭" in outside.text and "李*" not in outside.text and "app-far" not in outside.text
    assert unknown.text.replace("no-such-household", "") == outside.text.replace("hh-far", "")
    portal.officer["value"] = Officer(subject="c", role="county", area="530102")
    assert portal.get("/staff/households/hh-far").status_code == 200  # the county sees both townships


def test_a_village_officer_sees_only_the_village(portal):
    portal.officer["value"] = Officer(subject="v", role="village", area="530102001002")
    assert rows(portal.get("/staff/households").text) == ["hh-near"]
    assert portal.get(f"/staff/households/{EXAMPLE_HOUSEHOLD}").status_code == 404


def test_the_pages_load_nothing_from_elsewhere(portal):
    for path in ("/staff/households", f"/staff/households/{EXAMPLE_HOUSEHOLD}", "/staff/households/x"):
        page = portal.get(path)
        assert not re.search(r'(src|href|action)="(https?:)?//', page.text), path
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert '<link rel="stylesheet" href="/static/css/household.css">' in page.text or path.endswith("/x")
