"""KPIs from the event streams over the real broker and PostgreSQL: `make demo` takes a synthetic county through the
real services (applications, decisions, assistance, gradual exit, follow-up, a relapse) while oversight consumes
every internal topic; the API's figures equal figures computed here, independently, from the events read off the
topics; and a second oversight with an empty database and a new consumer group rebuilds the same KPIs by replaying
the topics from the beginning."""
from __future__ import annotations

import statistics
from datetime import datetime

import httpx

from oversight.kpis.projection import RULES
from shared import demo
from shared.clock import CHINA_TZ
from shared.kafka_io import topic_for
from tests.fixtures import envelopes, read_topic, service_env, wait_until
from tests.services import SERVICES

COUNTY = demo.VILLAGE[:6]
PERIOD = {"from": "2000-01-01", "to": "2099-12-31"}


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def expected_from_events(events: list[dict]) -> dict[str, tuple]:
    """Figures computed straight from the events (not through oversight's read model or KPI functions)."""
    of = lambda t: [e["data"] for e in events if e["type"] == t]  # noqa: E731
    in_county = lambda d: (d.get("division_code") or "").startswith(COUNTY)  # noqa: E731
    opened = {d["case_id"]: d for d in of("identification.case.opened") if in_county(d)}
    decided = {d["case_id"]: d["identified_at"] for d in of("identification.household.identified")}
    decided |= {d["case_id"]: d["rejected_at"] for d in of("identification.household.rejected")}
    days = [(ts(decided[c]) - ts(o["opened_at"])).total_seconds() / 86400 for c, o in opened.items() if c in decided]
    on_time = [ts(decided[c]).astimezone(CHINA_TZ).date().isoformat() <= o["deadline"]
               for c, o in opened.items() if c in decided]
    referrals = [o["source_type"] == "referral" for o in opened.values()]
    started = [d for d in of("gradual_exit.observation.started") if in_county(d)]
    clues = {d["clue_id"] for d in of("discovery.clue.raised") if in_county(d)}
    referred = {c for d in of("discovery.household.referred") for c in d.get("clue_ids") or []}
    return {
        "time_to_decision_median_days": (round(statistics.median_low(days), 4) if days else None, len(days)),
        "decided_within_deadline_share": (round(sum(on_time) / len(on_time), 4) if on_time else None, len(on_time)),
        "active_discovery_share": (round(sum(referrals) / len(referrals), 4) if referrals else None, len(referrals)),
        "observations_started": (len(started), len(started)),
        "clue_conversion_rate": (round(len(clues & referred) / len(clues), 4) if clues else None, len(clues)),
    }


def figures(body: dict) -> dict[str, tuple]:
    return {k["key"]: (k["value"], k["n"]) for k in body["kpis"]}


def test_kpis_of_a_synthetic_county_match_the_events_and_survive_a_rebuild(
        kafka_bootstrap, databases, topic_prefix, processes, tmp_path, capsys):
    training = {"training_mode": "true", "dev_token_issuer": "true", "training_clock_file": str(tmp_path / "clock.json")}
    urls = {}
    for service in SERVICES:
        if service == "portal":
            continue
        proc = processes(service, "api", service_env(service, databases.create(service), kafka_bootstrap,
                                                     topic_prefix, **training))
        urls[service] = proc.url
    args = ["--households", "3", "--seed", "7"] + [f"--{s.replace('_', '-')}={u}" for s, u in urls.items()]
    rc = demo.main(args)
    out = capsys.readouterr()
    assert rc == 0, out.err + out.out

    topics = sorted({topic_prefix + topic_for(t) for t in RULES})
    events = [e for t in topics for e in envelopes(read_topic(kafka_bootstrap, t, timeout=15))]
    expected = expected_from_events(events)
    assert expected["time_to_decision_median_days"][1] >= 1 and expected["observations_started"][1] >= 1, expected

    def kpis(url: str) -> dict:
        token = httpx.post(url + "/dev/tokens", json={"subject": "kpi-county", "role": "county", "area": COUNTY},
                           timeout=10).json()["access_token"]
        r = httpx.get(url + "/api/v1/kpis", params={"area": COUNTY, **PERIOD},
                      headers={"Authorization": "Bearer " + token}, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    first = wait_until(lambda: (lambda b: b if all(figures(b)[k] == v for k, v in expected.items()) else None)(
        kpis(urls["oversight"])), timeout=120, interval=1.0, message="oversight's KPIs to reflect the events")
    assert first["area"] == COUNTY and first["area_name"] and first["children"], first
    got = figures(first)
    assert {k: got[k] for k in expected} == expected

    rebuilt = processes("oversight", "api", service_env(
        "oversight", databases.create("oversight"), kafka_bootstrap, topic_prefix, **training,
        consumer_group=f"{topic_prefix}oversight.rebuild"))  # within the principal's groups (oversight.*)
    again = wait_until(lambda: (lambda b: b if b == kpis(urls["oversight"]) else None)(kpis(rebuilt.url)),
                       timeout=120, interval=1.0, message="the rebuilt read model to give the same KPIs")
    assert again == kpis(urls["oversight"])
