"""Scarcity on real PostgreSQL: higher-priority households are served first, and the waitlist drains as places free up.

Households arrive through the enrolment handler (the consumer's use case); providers, partners and caseworkers act
through the API; time comes from an injected clock, and the new capacity period is run by the timer job itself.
"""
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from assistance import handlers
from assistance.bootstrap import build_runtime
from assistance.config import Settings
from assistance.main import create_app
from assistance.models import CapacityUsage, Need, Referral
from assistance.scheduled import reconsider_daily
from shared.auth import issue_token
from shared.clock import FixedClock
from shared.envelope import Event, decode

VILLAGE = "530102001001"
TOWNSHIP, COUNTY = VILLAGE[:9], VILLAGE[:6]
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday
SKILLS = "skills_training"


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def runtime(databases, kafka_bootstrap, topic_prefix, clock):
    return build_runtime(Settings(database_url=databases.create("assistance"), kafka_bootstrap=kafka_bootstrap,
                                  topic_prefix=topic_prefix, relay_idle_seconds=0.05), clock=clock)


@pytest.fixture
def client(runtime, clock):
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=False)) as c:
        yield c


def token(runtime, role, area="", subject=None, department=None):
    # signed at wall-clock time: token expiry is real time, while matching follows the injected clock
    t = issue_token(runtime.settings.jwt_secret, subject=subject or f"{role}-officer", role=role, area=area,
                    department=department)
    return {"Authorization": f"Bearer {t}"}


def enrol(runtime, clock, household_id, *, programmes=("temporary",), scores=None, income=300.0, members=2,
          division=VILLAGE, categories=None):
    event = Event(type="identification.household.enrolled", source="/services/identification", subject=household_id,
                  data={"case_id": f"case-{household_id}", "household_id": household_id,
                        "file_number": f"{division[:6]}-2026-{abs(hash(household_id)) % 999999:06d}",
                        "division_code": division, "programmes": list(programmes), "categories": categories or {},
                        "rule_version": "53-v2", "enrolled_at": clock.now().isoformat(),
                        "member_count": members, "scores": scores or {}})
    if income is not None:  # optional in the contract: identification may not know it
        event.data["per_capita_monthly_income_yuan"] = income
    runtime.registry.validate(event.envelope())
    with runtime.session_factory() as s, s.begin():
        handlers.on_household_enrolled(s, event, runtime.services)
    return event


def outbox(runtime, event_type=None) -> list[dict]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(runtime.tables.outbox.c.payload).order_by(runtime.tables.outbox.c.id)).scalars().all()
    envelopes = [decode(bytes(p)) for p in rows]
    return [e for e in envelopes if event_type is None or e["type"] == event_type]


def skills_need(runtime, household_id) -> Need:
    with runtime.session_factory() as s:
        return s.execute(select(Need).where(Need.household_id == household_id, Need.need_type == SKILLS)).scalar_one()


def waitlist(client, runtime, service_type=SKILLS):
    page = client.get("/api/v1/waitlist", headers=token(runtime, "county", COUNTY),
                      params={"service_type": service_type}).json()
    return [(n["household_id"], n["wait_reason"]["code"], n["queue_position"]) for n in page["items"]]


def register(client, runtime, provider_id, capacity, areas=(COUNTY,), **extra):
    r = client.post("/api/v1/providers", headers=token(runtime, "county", COUNTY), json={
        "provider_id": provider_id, "name": f"{provider_id} 培训中心", "kind": "third_party", "areas": list(areas),
        "services": [{"service_type": SKILLS, "capacity_per_period": capacity, "unit_cost_yuan": "300"}], **extra})
    assert r.status_code == 201, r.text
    return r.json()


def partner_referrals(client, runtime, provider_id, status=None):
    params = {"status": status} if status else {}
    page = client.get("/api/v1/partner/referrals", headers=token(runtime, "partner", department=provider_id),
                      params=params).json()
    return {r["household_id"]: r for r in page["items"]}


# Four households that all need skills training (temporary recipients), enrolled in an order that is not their
# priority order. Disability is the only component that differs between them.
HOUSEHOLDS = [("hh-low", 10), ("hh-top", 80), ("hh-mid", 40), ("hh-second", 60)]


def test_scarce_places_go_to_the_highest_priority_first_and_the_waitlist_drains_as_places_free_up(client, runtime, clock):
    for household_id, disability in HOUSEHOLDS:
        enrol(runtime, clock, household_id, scores={"disability": disability, "labour_capacity": 20})
    priority = {h: skills_need(runtime, h).priority for h, _ in HOUSEHOLDS}
    assert priority["hh-top"] > priority["hh-second"] > priority["hh-mid"] > priority["hh-low"]
    assert waitlist(client, runtime) == [("hh-top", "no_provider_in_area", 1), ("hh-second", "no_provider_in_area", 2),
                                         ("hh-mid", "no_provider_in_area", 3), ("hh-low", "no_provider_in_area", 4)]

    # Two places arrive: the two most urgent households get them, whatever the order they were enrolled in.
    provider = register(client, runtime, "wuhua-skills", capacity=2)
    assert provider["services"][0]["used_this_period"] == 2 and provider["services"][0]["period"] == "2026-03"
    matched = outbox(runtime, "assistance.service.matched")
    assert [m["data"]["household_id"] for m in matched] == ["hh-top", "hh-second"]
    assert all(m["data"]["trigger"] == "provider_registered" and m["data"]["reason"]["code"] == "matched_by_priority"
               for m in matched)
    assert f"priority {float(priority['hh-top']):g}" in matched[0]["data"]["reason"]["en"]
    assert "优先级" in matched[0]["data"]["reason"]["zh"]
    assert waitlist(client, runtime) == [("hh-mid", "capacity_exhausted", 1), ("hh-low", "capacity_exhausted", 2)]
    waits = [w["data"] for w in outbox(runtime, "assistance.service.waitlisted") if w["data"]["service_type"] == SKILLS]
    assert [(w["household_id"], w["reason"]["code"]) for w in waits][-2:] == [
        ("hh-mid", "capacity_exhausted"), ("hh-low", "capacity_exhausted")]

    # Delivering a service frees nothing: the place was used for this period.
    partner = token(runtime, "partner", department="wuhua-skills")
    referrals = partner_referrals(client, runtime, "wuhua-skills")
    top = referrals["hh-top"]["referral_id"]
    assert client.post(f"/api/v1/partner/referrals/{top}/acceptance", headers=partner).json()["status"] == "accepted"
    r = client.post(f"/api/v1/partner/referrals/{top}/delivery", headers=partner, json={"units": 3})
    assert r.status_code == 200 and r.json()["status"] == "delivered"
    delivered = outbox(runtime, "assistance.service.delivered")[-1]["data"]
    assert delivered["household_id"] == "hh-top" and delivered["cost_yuan"] == 900.0
    assert waitlist(client, runtime)[0][0] == "hh-mid"

    # A declined referral gives its place back: the next in line (hh-mid) gets it, not the lowest.
    second = referrals["hh-second"]["referral_id"]
    r = client.post(f"/api/v1/partner/referrals/{second}/decline", headers=partner, json={"reason": "本月学员已满"})
    assert r.status_code == 200 and r.json()["status"] == "declined"
    declined = outbox(runtime, "assistance.referral.declined")[-1]["data"]
    assert declined["referral_id"] == second and declined["place_freed"] is True
    assert declined["reason"]["code"] == "declined_by_provider" and "本月学员已满" in declined["reason"]["zh"]
    assert outbox(runtime, "assistance.service.cancelled") == []  # a decline is not announced as a cancellation
    last = outbox(runtime, "assistance.service.matched")[-1]["data"]
    assert last["household_id"] == "hh-mid" and last["trigger"] == "referral_declined"
    assert skills_need(runtime, "hh-second").excluded_providers == ["wuhua-skills"]
    assert [w[0] for w in waitlist(client, runtime)] == ["hh-second", "hh-low"]

    # A new month renews every provider's places; the timer offers them to the waitlist, highest priority first.
    # The provider declined hh-second, so the renewed place goes to hh-low, and hh-second waits with that reason.
    clock.at = datetime(2026, 4, 1, 1, 0, tzinfo=timezone.utc)
    assert reconsider_daily(runtime) == 1
    runs = [e["data"] for e in outbox(runtime, "assistance.waitlist.reconsidered")]
    assert len(runs) == 1 and (runs[0]["trigger"], runs[0]["period"], runs[0]["matched"]) == ("new_period", "2026-04", 1)
    assert runs[0]["priorities_refreshed"] >= 1, "a month waited raised the waiting needs' priorities"
    assert reconsider_daily(runtime) == 0, "once per day"
    assert len(outbox(runtime, "assistance.waitlist.reconsidered")) == 1
    last = outbox(runtime, "assistance.service.matched")[-1]["data"]
    assert last["household_id"] == "hh-low" and last["period"] == "2026-04" and last["trigger"] == "new_period"
    assert waitlist(client, runtime) == [("hh-second", "declined_by_providers_with_places", 1)]

    # Another provider opens in the township: the last household on the waitlist is served and the waitlist is empty.
    register(client, runtime, "xiaocun-coop", capacity=1, areas=(TOWNSHIP,))
    last = outbox(runtime, "assistance.service.matched")[-1]["data"]
    assert last["household_id"] == "hh-second" and last["provider_id"] == "xiaocun-coop"
    assert waitlist(client, runtime) == []
    with runtime.session_factory() as s:
        used = {(u.provider_id, u.period): u.used for u in s.execute(select(CapacityUsage)).scalars()}
        statuses = sorted((r.status, r.period) for r in s.execute(select(Referral)).scalars())
    assert used == {("wuhua-skills", "2026-03"): 2, ("wuhua-skills", "2026-04"): 1, ("xiaocun-coop", "2026-04"): 1}
    assert statuses == [("declined", "2026-03"), ("delivered", "2026-03"), ("referred", "2026-03"),
                        ("referred", "2026-04"), ("referred", "2026-04")]


def test_a_reassessed_priority_reorders_the_waitlist_and_wins_the_next_place(client, runtime, clock):
    for household_id, disability in HOUSEHOLDS[:3]:
        enrol(runtime, clock, household_id, scores={"disability": disability, "labour_capacity": 20})
    assert [w[0] for w in waitlist(client, runtime)] == ["hh-top", "hh-mid", "hh-low"]
    clock.advance(days=1)
    village = token(runtime, "village", VILLAGE)
    r = client.post("/api/v1/households/hh-low/needs-assessment", headers=village, json={
        "per_capita_monthly_income_yuan": "0", "sudden_hardship": True, "scores": {"disability": 100},
        "note": "户主突发重病，家庭无收入"})
    assert r.status_code == 200, r.text
    need = next(n for n in r.json()["needs"] if n["need_type"] == SKILLS)
    components = {c["component"]: c["value"] for c in need["priority_detail"]["components"]}
    assert components["income_gap"] == 100 and components["sudden_hardship"] == 100 and components["disability"] == 100
    assert components["waiting_time"] > 0, "the day waited counts"
    assert need["priority_detail"]["explanation_en"].startswith(f"Priority {float(need['priority']):g}")
    assert [w[0] for w in waitlist(client, runtime)] == ["hh-low", "hh-top", "hh-mid"]
    assessed = outbox(runtime, "assistance.needs.assessed")[-1]["data"]
    assert assessed["source"] == "caseworker" and assessed["assessed_by"] == "village-officer"

    register(client, runtime, "wuhua-skills", capacity=1)
    assert [m["data"]["household_id"] for m in outbox(runtime, "assistance.service.matched")] == ["hh-low"]
    assert [w[0] for w in waitlist(client, runtime)] == ["hh-top", "hh-mid"]


def test_added_capacity_and_a_cancelled_referral_reconsider_the_waitlist(client, runtime, clock):
    for household_id, disability in HOUSEHOLDS:
        enrol(runtime, clock, household_id, scores={"disability": disability, "labour_capacity": 20})
    register(client, runtime, "wuhua-skills", capacity=1)
    assert [m["data"]["household_id"] for m in outbox(runtime, "assistance.service.matched")] == ["hh-top"]
    county = token(runtime, "county", COUNTY)
    r = client.put(f"/api/v1/providers/wuhua-skills/services/{SKILLS}", headers=county,
                   json={"capacity_per_period": 3, "period_kind": "month", "unit_cost_yuan": "300"})
    assert r.status_code == 200 and r.json()["services"][0]["used_this_period"] == 3
    assert [m["data"]["household_id"] for m in outbox(runtime, "assistance.service.matched")] == [
        "hh-top", "hh-second", "hh-mid"]
    assert outbox(runtime, "assistance.service.matched")[-1]["data"]["trigger"] == "capacity_changed"

    # The caseworker withdraws hh-mid's referral and closes the need: its place goes to hh-low.
    referral = partner_referrals(client, runtime, "wuhua-skills")["hh-mid"]["referral_id"]
    r = client.post(f"/api/v1/referrals/{referral}/cancellation", headers=token(runtime, "township", TOWNSHIP),
                    json={"reason": "家庭已自行参加培训", "close_need": True})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert skills_need(runtime, "hh-mid").status == "cancelled"
    assert outbox(runtime, "assistance.service.matched")[-1]["data"]["household_id"] == "hh-low"
    assert waitlist(client, runtime) == []

    # A suspended provider gets no new referrals and cannot serve the ones it has: they are cancelled, and with no
    # other provider in the area their needs wait again; its places come back when it is re-activated.
    open_referrals = {h: r["referral_id"] for h, r in partner_referrals(client, runtime, "wuhua-skills",
                                                                       "referred").items()}
    assert set(open_referrals) == {"hh-top", "hh-second", "hh-low"}
    r = client.post("/api/v1/providers/wuhua-skills/status", headers=county, json={"active": False, "reason": "投诉核查中"})
    assert r.status_code == 200 and r.json()["active"] is False
    suspended = outbox(runtime, "assistance.provider.suspended")[-1]["data"]
    assert suspended["reason"] == "投诉核查中" and suspended["cancelled_referrals"] == [
        open_referrals["hh-top"], open_referrals["hh-second"], open_referrals["hh-low"]], "highest priority first"
    by_suspension = [c["data"] for c in outbox(runtime, "assistance.service.cancelled")
                     if c["data"]["by"] == "provider_suspended"]
    assert sorted(c["household_id"] for c in by_suspension) == ["hh-low", "hh-second", "hh-top"]
    assert all(c["reason"]["code"] == "provider_suspended" and "投诉核查中" in c["reason"]["zh"] for c in by_suspension)
    enrol(runtime, clock, "hh-late", scores={"disability": 100})
    expected = [("hh-late", "no_provider_in_area", 1), ("hh-top", "no_provider_in_area", 2),
                ("hh-second", "no_provider_in_area", 3), ("hh-low", "no_provider_in_area", 4)]
    assert waitlist(client, runtime) == expected
    client.put(f"/api/v1/providers/wuhua-skills/services/{SKILLS}", headers=county,
               json={"capacity_per_period": 4, "period_kind": "month", "unit_cost_yuan": "300"})
    assert waitlist(client, runtime) == expected, "suspended: no referral"
    client.post("/api/v1/providers/wuhua-skills/status", headers=county, json={"active": True, "reason": "核查完毕"})
    reactivated = outbox(runtime, "assistance.provider.reactivated")[-1]["data"]
    assert reactivated["provider_id"] == "wuhua-skills" and reactivated["reason"] == "核查完毕"
    matched = [m["data"] for m in outbox(runtime, "assistance.service.matched")][-4:]
    assert [m["household_id"] for m in matched] == ["hh-late", "hh-top", "hh-second", "hh-low"]
    assert {m["trigger"] for m in matched} == {"provider_activated"}
    assert waitlist(client, runtime) == []


def test_suspending_a_provider_cancels_its_open_referrals_and_rematches_them_highest_priority_first(client, runtime,
                                                                                                  clock):
    for household_id, disability in HOUSEHOLDS:
        enrol(runtime, clock, household_id, scores={"disability": disability, "labour_capacity": 20})
    register(client, runtime, "provider-a", capacity=3)
    first = partner_referrals(client, runtime, "provider-a")
    assert set(first) == {"hh-top", "hh-second", "hh-mid"}
    partner_a = token(runtime, "partner", department="provider-a")
    top = first["hh-top"]["referral_id"]
    assert client.post(f"/api/v1/partner/referrals/{top}/acceptance", headers=partner_a).status_code == 200
    accepted = outbox(runtime, "assistance.referral.accepted")[-1]["data"]
    assert accepted["referral_id"] == top and accepted["provider_id"] == "provider-a"
    register(client, runtime, "provider-b", capacity=2)  # hh-low takes one place; one is left
    assert set(partner_referrals(client, runtime, "provider-b")) == {"hh-low"}

    county = token(runtime, "county", COUNTY)
    r = client.post("/api/v1/providers/provider-a/status", headers=county, json={"active": False, "reason": "资质年检未通过"})
    assert r.status_code == 200, r.text
    suspended = outbox(runtime, "assistance.provider.suspended")[-1]["data"]
    assert set(suspended["cancelled_referrals"]) == {r["referral_id"] for r in first.values()}, \
        "accepted referrals are cancelled too: a suspended provider cannot deliver"
    assert {h: r["status"] for h, r in partner_referrals(client, runtime, "provider-a").items()} == {
        "hh-top": "cancelled", "hh-second": "cancelled", "hh-mid": "cancelled"}
    # The one place left at provider-b goes to the most urgent of them; the others wait, in priority order.
    rematched = outbox(runtime, "assistance.service.matched")[-1]["data"]
    assert (rematched["household_id"], rematched["provider_id"], rematched["trigger"]) == (
        "hh-top", "provider-b", "provider_suspended")
    assert waitlist(client, runtime) == [("hh-second", "capacity_exhausted", 1), ("hh-mid", "capacity_exhausted", 2)]
    waits = [w["data"] for w in outbox(runtime, "assistance.service.waitlisted")][-2:]
    assert [(w["household_id"], w["trigger"]) for w in waits] == [("hh-second", "provider_suspended"),
                                                                  ("hh-mid", "provider_suspended")]
    # Suspending again changes nothing and says nothing.
    count = len(outbox(runtime))
    client.post("/api/v1/providers/provider-a/status", headers=county, json={"active": False, "reason": "资质年检未通过"})
    assert len(outbox(runtime)) == count


def test_once_the_period_is_open_an_arrival_is_matched_against_the_places_left_and_queued_among_all(client, runtime,
                                                                                                   clock):
    """After the timer has opened the month, an enrolment matches only its own needs (nobody already waiting fits a
    place left), yet its queue position counts everyone waiting."""
    for household_id, disability in HOUSEHOLDS[:3]:  # top 80, low 10, mid 40
        enrol(runtime, clock, household_id, scores={"disability": disability, "labour_capacity": 20})
    register(client, runtime, "wuhua-skills", capacity=1)
    reconsider_daily(runtime)  # opens March for the fast path
    assert waitlist(client, runtime) == [("hh-mid", "capacity_exhausted", 1), ("hh-low", "capacity_exhausted", 2)]
    county = token(runtime, "county", COUNTY)
    client.put(f"/api/v1/providers/wuhua-skills/services/{SKILLS}", headers=county,
               json={"capacity_per_period": 2, "period_kind": "month", "unit_cost_yuan": "300"})
    assert outbox(runtime, "assistance.service.matched")[-1]["data"]["household_id"] == "hh-mid"
    enrol(runtime, clock, "hh-new", scores={"disability": 30, "labour_capacity": 20})  # between mid and low
    waits = [w["data"] for w in outbox(runtime, "assistance.service.waitlisted") if w["data"]["service_type"] == SKILLS]
    assert (waits[-1]["household_id"], waits[-1]["position"], waits[-1]["reason"]["code"]) == (
        "hh-new", 1, "capacity_exhausted")
    assert waitlist(client, runtime) == [("hh-new", "capacity_exhausted", 1), ("hh-low", "capacity_exhausted", 2)]
    client.put(f"/api/v1/providers/wuhua-skills/services/{SKILLS}", headers=county,
               json={"capacity_per_period": 3, "period_kind": "month", "unit_cost_yuan": "300"})
    enrol(runtime, clock, "hh-newest", scores={"disability": 0, "labour_capacity": 20})
    assert outbox(runtime, "assistance.service.matched")[-1]["data"]["household_id"] == "hh-new"
    assert waitlist(client, runtime) == [("hh-low", "capacity_exhausted", 1), ("hh-newest", "capacity_exhausted", 2)]
    newest = [w["data"] for w in outbox(runtime, "assistance.service.waitlisted")
              if w["data"]["household_id"] == "hh-newest" and w["data"]["service_type"] == SKILLS]
    assert newest[0]["position"] == 2 and "position 2" in newest[0]["reason"]["en"], "behind hh-low, not alone"
