"""shared.policy_client: the document in force by longest region prefix and effective dates, and a store that keeps
each published version once."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import MetaData, create_engine, func, select
from sqlalchemy.orm import Session

from shared.envelope import Event
from shared.policy_client import POLICY_PUBLISHED, PolicyBook, PolicyEntry, PolicyStore, define_policy_table, select_entry
from shared.rule_data import NoRuleSet


def entry(region, version, start, end=None):
    return PolicyEntry(f"{region or 'CN'}-v{version}", region, version, start, end, {"v": f"{region}-{version}"})


NATIONAL = entry("", 1, date(2022, 1, 1))
PROVINCE = entry("53", 2, date(2026, 1, 1))
PROVINCE_NEXT = entry("53", 3, date(2027, 1, 1))
COUNTY = entry("530102", 2, date(2026, 7, 1), date(2026, 12, 31))
BOOK = [NATIONAL, PROVINCE, PROVINCE_NEXT, COUNTY]


@pytest.mark.parametrize("code, day, expected", [
    ("110101001001", date(2026, 6, 1), NATIONAL),          # another province: national
    ("530102001001", date(2025, 12, 31), NATIONAL),        # the day before the province's version
    ("530102001001", date(2026, 1, 1), PROVINCE),          # its first day
    ("530102001001", date(2026, 6, 30), PROVINCE),
    ("530102001001", date(2026, 7, 1), COUNTY),            # the county's version wins over the province's
    ("530102001001", date(2026, 12, 31), COUNTY),          # its last day
    ("530102001001", date(2027, 1, 1), PROVINCE_NEXT),     # then the province's next version, superseding v2
    ("530103001001", date(2026, 8, 1), PROVINCE),          # a neighbouring county keeps the province's
    ("53", date(2026, 8, 1), PROVINCE),
    ("", date(2026, 8, 1), NATIONAL),
])
def test_the_longest_prefix_in_force_on_the_day(code, day, expected):
    assert select_entry(BOOK, code, day) == expected
    assert PolicyBook(BOOK).resolve(code, day) == expected


def test_nothing_in_force_is_a_no_rule_set():
    assert select_entry(BOOK, "53", date(2021, 12, 31)) is None
    with pytest.raises(NoRuleSet):
        PolicyBook(BOOK).resolve("530102001001", date(2021, 12, 31))


def published(e: PolicyEntry) -> Event:
    return Event(type=POLICY_PUBLISHED, source="/services/policy", subject=e.rule_version, data={
        "rule_version": e.rule_version, "region": e.region, "version": e.version,
        "effective_from": e.effective_from.isoformat(),
        "effective_to": e.effective_to.isoformat() if e.effective_to else None, "document": e.document})


def test_the_store_keeps_each_version_once_and_resolves_from_it(tmp_path):
    metadata = MetaData()
    table = define_policy_table(metadata, "policy_copy")
    assert table.info["event_exempt"]
    engine = create_engine(f"sqlite:///{tmp_path}/c.db")
    metadata.create_all(engine)
    store = PolicyStore(table)
    with Session(engine) as session, session.begin():
        for e in BOOK + [COUNTY]:  # a redelivery of the county's version
            store.handler(session, published(e))
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(table)) == 4
        assert store.resolve(session, "530102001001", date(2026, 7, 1)) == COUNTY
        assert store.resolve(session, "530102001001", date(2027, 3, 1)).document == {"v": "53-3"}
        assert len(store.book(session)) == 4


# -- PolicyRules: the shipped bundle, the replica, projection -------------------------------------------------------

from shared.policy_client import (  # noqa: E402
    PolicyRules,
    STANDARD_PATHS,
    baseline_entries,
    merge,
    on_day,
    project,
)


def _rules(tmp_path, refresh_seconds=0.0):
    engine = create_engine(f"sqlite:///{tmp_path}/replica.db")
    metadata = MetaData()
    table = define_policy_table(metadata)
    metadata.create_all(engine)
    factory = lambda: Session(engine)  # noqa: E731
    built = []

    def build(e, params):
        built.append(e.rule_version)
        return (e.rule_version, params)
    return PolicyRules("assistance", build=build, table=table, session_factory=factory,
                       refresh_seconds=refresh_seconds), table, engine, built


def _publish(engine, table, rule_version, region, version, start, document):
    with Session(engine) as s, s.begin():
        PolicyStore(table).handler(s, Event(type=POLICY_PUBLISHED, source="/services/policy", subject=rule_version,
                                            data={"rule_version": rule_version, "region": region, "version": version,
                                                  "effective_from": start.isoformat(), "effective_to": None,
                                                  "document": document}))


def test_before_any_publication_the_shipped_bundle_decides(tmp_path):
    rules, _t, _e, _b = _rules(tmp_path)
    assert [v for v, _p in rules.all()] == ["CN-v1", "53-v1", "53-v2"]
    version, params = rules.for_division("530102001001", date(2026, 3, 1))
    assert version == "53-v2" and params["cash"]["dibao"]["standard_yuan_per_person_month"] == 600
    assert rules.for_division("110101001001", date(2026, 3, 1))[0] == "CN-v1"


def test_a_published_version_is_used_from_its_date_and_each_version_is_built_once(tmp_path):
    rules, table, engine, built = _rules(tmp_path)
    rules.for_division("530102001001", date(2026, 3, 1))
    doc = merge(baseline_entries()[2].document, {"standards": {"dibao_standard_yuan_per_person_month": 650}})
    _publish(engine, table, "53-v3", "53", 3, date(2027, 1, 1), doc)
    assert rules.for_division("530102001001", date(2026, 12, 31))[0] == "53-v2"
    version, params = rules.for_division("530102001001", date(2027, 1, 1))
    assert version == "53-v3" and params["cash"]["dibao"]["standard_yuan_per_person_month"] == 650
    rules.for_division("530102001001", date(2027, 2, 1))
    assert built.count("53-v3") == 1 and built.count("53-v2") == 1
    assert rules.by_version("53-v2")[0] == "53-v2"
    with pytest.raises(NoRuleSet):
        rules.by_version("53-v9")


def test_the_replica_is_looked_at_no_more_often_than_refresh_seconds(tmp_path):
    rules, table, engine, _b = _rules(tmp_path, refresh_seconds=3600)
    assert rules.for_division("530102001001", date(2027, 1, 1))[0] == "53-v2"
    _publish(engine, table, "53-v3", "53", 3, date(2027, 1, 1), baseline_entries()[2].document)
    assert rules.for_division("530102001001", date(2027, 1, 1))[0] == "53-v2"   # not looked again yet
    rules.refresh(force=True)
    assert rules.for_division("530102001001", date(2027, 1, 1))[0] == "53-v3"


def test_a_moment_is_taken_as_its_china_date():
    assert on_day(datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)) == date(2027, 1, 1)
    assert on_day(datetime(2026, 12, 31, 15, 59, tzinfo=timezone.utc)) == date(2026, 12, 31)
    assert on_day(date(2026, 5, 1)) == date(2026, 5, 1)


def test_a_bad_division_code_is_refused(tmp_path):
    rules, *_ = _rules(tmp_path)
    for bad in ("53a", 530102, None):
        with pytest.raises(ValueError):
            rules.for_division(bad, date(2026, 1, 1))


def test_projection_puts_each_standard_where_each_service_reads_it_and_nowhere_else():
    document = merge(baseline_entries()[0].document, {"standards": {"dibao_standard_yuan_per_person_month": 777,
                                                                    "monitoring_line_yuan_per_person_year": 9999}})
    for section, paths in STANDARD_PATHS.items():
        params = project(document, section)
        for path, standard in paths.items():
            node = params
            for key in path:
                node = node[key]
            assert node == document["standards"][standard], (section, path)
    assert project(document, "assistance")["cash"]["dibao"]["standard_yuan_per_person_month"] == 777
    assert "standards" not in project(document, "assistance")
