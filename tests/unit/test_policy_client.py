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
