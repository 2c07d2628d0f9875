"""`make demo`: synthetic households through the whole lifecycle over the HTTP APIs of the running services, with
the training clock moved past every waiting period, then a table of where each household ended.

    application (discovery) → identification: assessment, democratic review, public notice, [clock past the notice],
    notice closed, township review, county decision → enrolled → assistance: benefits granted → gradual exit:
    income rises, observation, [clock past the observation], review, exit notice, [clock past it], decision →
    exited → follow-up plan, [clock to the first check-in], check-in → one relapse → discovery reopens the record
    on the fast track → a new identification case.

Each household plays one part: `assisted` stays enrolled; `exited` leaves and is followed up; `relapse` leaves and
falls back. Every call the demo makes to a service is one small function below (the request bodies the services
expect live here and nowhere else), so a change to an endpoint means changing one function.

    python -m shared.demo [--households 3] [--discovery http://127.0.0.1:8001] [--identification ...] ...
"""
from __future__ import annotations

import argparse
import sys
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

import httpx

from shared.synthetic import HouseholdFactory, age_on

SERVICES = ("discovery", "identification", "assistance", "gradual_exit", "followup")
DEFAULT_PORTS = dict(zip(SERVICES, (8001, 8002, 8003, 8004, 8005)))
PARTS = ("assisted", "exited", "relapse")
VILLAGE = "530102001001"  # 云南省昆明市五华区: the region whose rules the README walks through
WAIT_SECONDS = 90.0


class DemoError(RuntimeError):
    pass


@dataclass
class Household:
    part: str
    body: dict
    application_id: str = ""
    household_id: str = ""
    case_id: str = ""
    new_case_id: str = ""
    participations: list[dict] = field(default_factory=list)
    plan_id: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def division(self) -> str:
        return self.body["division_code"]

    @property
    def head(self) -> dict:
        return self.body["members"][0]

    @property
    def label(self) -> str:
        return self.head["name"][0] + "*" * (len(self.head["name"]) - 1)


class Platform:
    """The running services, a token per (role, area) from the development issuer, and the training clock."""

    def __init__(self, urls: dict[str, str], timeout: float = 15.0):
        self.urls, self.http, self._tokens = urls, httpx.Client(timeout=timeout), {}

    def close(self) -> None:
        self.http.close()

    def headers(self, role: str, area: str = "", department: str | None = None) -> dict:
        key = (role, area, department)
        if key not in self._tokens:
            body = {"subject": f"demo-{role}-{area or department or 'all'}", "role": role, "area": area}
            if department:
                body["department"] = department
            token = self.call("POST", "identification", "/dev/tokens", json=body)["access_token"]
            self._tokens[key] = {"Authorization": f"Bearer {token}"}
        return self._tokens[key]

    def call(self, method: str, service: str, path: str, expect: tuple[int, ...] = (200, 201), **kw) -> dict | list:
        response = self.http.request(method, self.urls[service] + path, **kw)
        if response.status_code not in expect:
            raise DemoError(f"{method} {service}{path} answered {response.status_code}: {response.text[:600]}")
        return response.json()

    def staff(self, role: str, hh: Household) -> dict:
        return self.headers(role, {"village": hh.division, "township": hh.division[:9], "county": hh.division[:6]}[role])

    # -- the training clock ----------------------------------------------------------------------------------
    def clock(self) -> dict:
        return self.call("GET", "identification", "/dev/clock")

    def today(self) -> date:
        return datetime.fromisoformat(self.clock()["now_china"]).date()

    def advance_days(self, days: int, why: str) -> None:
        state = self.call("POST", "identification", "/dev/clock", json={"advance_days": days},
                          headers=self.headers("admin"))
        print(f"  ⏩ training clock +{days} days ({why}): now {state['now_china'][:16]} China time")
        time.sleep(1.5)  # every service's periodic jobs notice the jump within a second and catch up

    def advance_past(self, last_days: list[date], why: str) -> None:
        """Moves the clock to the day after the latest of `last_days` (e.g. the notices' last days)."""
        if last_days:
            days = (max(last_days) - self.today()).days + 1
            if days > 0:
                self.advance_days(days, why)


def wait_for(what: str, probe, timeout: float = WAIT_SECONDS):
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


# -- discovery -------------------------------------------------------------------------------------------------
def submit_application(p: Platform, hh: Household) -> None:
    answer = p.call("POST", "discovery", "/api/v1/applications", json=hh.body,
                    headers={"Idempotency-Key": f"demo-{uuid.uuid4()}"})
    hh.application_id, hh.household_id = answer["application_id"], answer["household_id"]


def discovery_household(p: Platform, hh: Household) -> dict:
    return p.call("GET", "discovery", f"/api/v1/households/{hh.household_id}", headers=p.staff("county", hh))


# -- identification --------------------------------------------------------------------------------------------
def cases_of(p: Platform, hh: Household) -> list[dict]:
    return p.call("GET", "identification", "/api/v1/cases", params={"household_id": hh.household_id},
                  headers=p.staff("county", hh))["items"]


def case(p: Platform, hh: Household, case_id: str | None = None) -> dict:
    return p.call("GET", "identification", f"/api/v1/cases/{case_id or hh.case_id}", headers=p.staff("county", hh))


def assessment_facts(hh: Household, today: date) -> dict:
    """A household that qualifies for dibao: a chronically ill head with partial labour capacity, low income."""
    members = []
    for i, m in enumerate(hh.body["members"]):
        members.append({"age": age_on(m["id_number"], today), "labour_capacity": "partial" if i == 0 else "full",
                        "chronic_illness": i == 0})
    return {"members": members, "monthly_income_yuan": str(hh.body["household_monthly_income_yuan"]),
            "medical_expense_yuan_year": "30000", "residence_months": 240}


def identify_until_notice(p: Platform, hh: Household) -> None:
    village, township = p.staff("village", hh), p.staff("township", hh)
    base = f"/api/v1/cases/{hh.case_id}"
    p.call("POST", "identification", base + "/assessment/start", headers=village)
    assessed = p.call("POST", "identification", base + "/assessment", headers=village, json={
        "facts": assessment_facts(hh, p.today()),
        "authorisation": {"authorised": True, "method": "signed_form", "reference": f"DEMO-{hh.case_id[:8]}"}})
    hh.notes.append("eligible: " + ", ".join(assessed["assessment"]["eligible"]))
    p.call("POST", "identification", base + "/review", headers=village,
           json={"attendees": ["村主任", "村民代表"], "opinions": ["情况属实"], "outcome": "propose_approval"})
    p.call("POST", "identification", base + "/notice", headers=township, json={})


def open_notice_last_days(p: Platform, hh: Household) -> list[date]:
    return [date.fromisoformat(n["last_day"]) for n in case(p, hh)["notices"] if n["status"] == "open"]


def decide(p: Platform, hh: Household) -> dict:
    township, county = p.staff("township", hh), p.staff("county", hh)
    base = f"/api/v1/cases/{hh.case_id}"
    p.call("POST", "identification", base + "/notice/close", headers=township)
    p.call("POST", "identification", base + "/township-review", headers=township,
           json={"outcome": "recommend_approval", "opinion": "同意"})
    return p.call("POST", "identification", base + "/decision", headers=county, json={"outcome": "approve"})


# -- assistance ------------------------------------------------------------------------------------------------
def benefits(p: Platform, hh: Household) -> list[dict]:
    answer = p.call("GET", "assistance", f"/api/v1/households/{hh.household_id}", expect=(200, 404),
                    headers=p.staff("county", hh))
    return answer.get("benefits", []) if "household_id" in answer else []


def taper_paid(p: Platform, hh: Household) -> str:
    """The exit taper assistance paid month by month during the observation, e.g. "dibao ¥500 → ¥500 → ¥400"."""
    lines = []
    for b in benefits(p, hh):
        months = [m for m in (b.get("taper") or {}).get("months", []) if m["month"]]
        if months:
            lines.append(f"{b['programme']} " + " → ".join(f"¥{m['amount_yuan']}" for m in months))
    return "; ".join(lines) or "-"


# -- gradual exit ----------------------------------------------------------------------------------------------
def participations(p: Platform, hh: Household) -> list[dict]:
    return p.call("GET", "gradual_exit", "/api/v1/participations", params={"household_id": hh.household_id},
                  headers=p.staff("county", hh))["items"]


def income_rises(p: Platform, hh: Household) -> None:
    """The village re-check finds a stable income above the line and every basic need secured."""
    head = hh.head
    p.call("POST", "gradual_exit", f"/api/v1/households/{hh.household_id}/situations", headers=p.staff("village", hh),
           json={"kind": "update", "per_capita_monthly_income_yuan": "900", "income_stable": True,
                 "members": [{"name": head["name"], "id_number": head["id_number"], "relationship": "self",
                              "labour_capacity": "full"}],
                 "guarantees": {k: True for k in ("food", "clothing", "compulsory_education", "basic_medical",
                                                  "safe_housing", "drinking_water")},
                 "assistance_measures_received": 2, "note": "务工收入稳定"})


def observation_ends(hh_parts: list[dict]) -> list[date]:
    return [date.fromisoformat(x["observation"]["ends_on"]) for x in hh_parts
            if x["status"] == "observation" and x.get("observation")]


def propose_exits(p: Platform, hh: Household) -> int:
    proposed = 0
    for part in participations(p, hh):
        if "review" in part["staff_actions"]:
            p.call("POST", "gradual_exit", f"/api/v1/participations/{part['participation_id']}/review",
                   headers=p.staff("township", hh), json={"outcome": "propose_exit", "opinion": "收入稳定，达到退出条件"})
            proposed += 1
    return proposed


def exit_notice_last_days(p: Platform, hh: Household) -> list[date]:
    return [date.fromisoformat(x["notice"]["last_day"]) for x in participations(p, hh)
            if x.get("notice") and x["notice"]["status"] == "open"]


def decide_exits(p: Platform, hh: Household) -> int:
    exited = 0
    for part in participations(p, hh):
        base = f"/api/v1/participations/{part['participation_id']}"
        if "close_notice" in part["staff_actions"]:
            p.call("POST", "gradual_exit", base + "/notice/close", headers=p.staff("township", hh))
            answer = p.call("POST", "gradual_exit", base + "/decision", headers=p.staff("county", hh),
                            json={"outcome": "exit"})
            exited += answer["status"] == "exited"
    return exited


# -- follow-up -------------------------------------------------------------------------------------------------
def plans(p: Platform, hh: Household) -> list[dict]:
    return p.call("GET", "followup", "/api/v1/plans", params={"household_id": hh.household_id},
                  headers=p.staff("county", hh))["items"]


def check_in(p: Platform, hh: Household, relapse: bool) -> dict:
    body = {"household_monthly_income_yuan": "1800", "notes": "生活稳定"}
    if relapse:
        body = {"household_monthly_income_yuan": "1800", "medical_per_stay_yuan": "15000", "notes": "户主再次住院"}
    return p.call("POST", "followup", f"/api/v1/plans/{hh.plan_id}/checkins", headers=p.staff("village", hh), json=body)


# -- the run ---------------------------------------------------------------------------------------------------
def make_households(n: int, seed: int) -> list[Household]:
    factory = HouseholdFactory(seed)
    out = []
    for i in range(n):
        body = factory.application_body(division=VILLAGE, size=2)
        body.update(household_monthly_income_yuan=700, hardship_reason="illness", hardship_description="户主长期患病")
        out.append(Household(part=PARTS[i % len(PARTS)] if n >= len(PARTS) else PARTS[-(i + 1)], body=body))
    return out


def step(title: str) -> None:
    print(f"\n▶ {title}", flush=True)


def run(p: Platform, households: list[Household]) -> None:
    step("applications 在线申请 (discovery)")
    for hh in households:
        submit_application(p, hh)
        print(f"  {hh.label}  household {hh.household_id}  plays: {hh.part}")

    step("identification 精准识别: assessment, democratic review, public notice")
    for hh in households:
        hh.case_id = wait_for("the case in identification", lambda hh=hh: cases_of(p, hh))[0]["case_id"]
        identify_until_notice(p, hh)
        print(f"  {hh.label}  case {hh.case_id}  {hh.notes[-1]}")
    p.advance_past([d for hh in households for d in open_notice_last_days(p, hh)], "past the public notice")

    step("notice closed, township review, county decision → enrolled")
    for hh in households:
        decided = decide(p, hh)
        print(f"  {hh.label}  {decided['status']}  file {decided['file_number']}")

    step("assistance 科学施策: benefits granted; gradual exit opens participations")
    for hh in households:
        granted = wait_for("assistance to grant benefits", lambda hh=hh: benefits(p, hh))
        hh.participations = wait_for("gradual exit's participations", lambda hh=hh: participations(p, hh))
        print(f"  {hh.label}  benefits: " + ", ".join(f"{b['programme']} ¥{b['amount_yuan']} ({b['frequency']})"
                                                      for b in granted))

    leaving = [hh for hh in households if hh.part != "assisted"]
    step("gradual exit 稳步退出: income rises → observation")
    for hh in leaving:
        income_rises(p, hh)
    ends = [d for hh in leaving for d in observation_ends(participations(p, hh))]
    p.advance_past(ends, "past the observation period")
    for hh in leaving:
        wait_for("the observation to complete", lambda hh=hh: any(
            "review" in x["staff_actions"] for x in participations(p, hh)))
        print(f"  {hh.label}  taper paid 渐退期逐月发放: {taper_paid(p, hh)}")
        print(f"  {hh.label}  exit reviews proposed: {propose_exits(p, hh)}")
    p.advance_past([d for hh in leaving for d in exit_notice_last_days(p, hh)], "past the exit notice")
    for hh in leaving:
        print(f"  {hh.label}  programmes exited: {decide_exits(p, hh)}")

    step("follow-up 长期跟踪: plan started; the first check-ins")
    for hh in leaving:
        hh.plan_id = wait_for("the follow-up plan", lambda hh=hh: plans(p, hh))[0]["plan_id"]
    p.advance_days(30, "to the first home visit")
    for hh in leaving:
        outcome = check_in(p, hh, relapse=hh.part == "relapse")
        print(f"  {hh.label}  check-in: " + ("relapse detected 返贫风险" if outcome["relapse"] else "stable 稳定"))

    step("relapse → discovery reopens the record on the fast track → a new identification case")
    for hh in households:
        if hh.part == "relapse":
            new = wait_for("a new identification case", lambda hh=hh: [
                c for c in cases_of(p, hh) if c["case_id"] != hh.case_id])
            hh.new_case_id = new[0]["case_id"]
            print(f"  {hh.label}  new case {hh.new_case_id} ({new[0]['status']})")


def summary(p: Platform, households: list[Household]) -> list[dict]:
    rows = []
    for hh in households:
        parts = participations(p, hh)
        plan = (plans(p, hh) or [{}])[0]
        new_case = case(p, hh, hh.new_case_id) if hh.new_case_id else None
        rows.append({
            "household": hh.label, "part": hh.part,
            "identification": case(p, hh)["status"] + (f" → new case {new_case['status']}" if new_case else ""),
            "benefits": ",".join(sorted({b["programme"] + ("" if b["status"] == "active" else f"({b['status']})")
                                         for b in benefits(p, hh)})) or "-",
            "gradual_exit": ",".join(sorted({f"{x['programme']}:{x['status']}" for x in parts})) or "-",
            "followup": (plan.get("status", "-") + (f", relapses {plan['relapse_count']}" if plan.get("relapse_count")
                                                    else "")),
            "discovery": discovery_household(p, hh)["lifecycle_status"],
        })
    return rows


def shown_width(text: str) -> int:
    """Columns on a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(rows: list[dict]) -> str:
    headers = list(rows[0])
    width = {h: max(shown_width(h), *(shown_width(str(r[h])) for r in rows)) for h in headers}

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (width[h] - shown_width(c)) for h, c in zip(headers, cells)).rstrip()
    return "\n".join([line(headers), line(["-" * width[h] for h in headers]),
                      *(line([str(r[h]) for h in headers]) for r in rows)])


def check_outcome(rows: list[dict]) -> list[str]:
    """What `make demo` promises: households exited, followed up, and one relapse reopened."""
    problems = []
    if not any(r["part"] == "exited" and "exited" in r["gradual_exit"] and r["followup"].startswith("active")
               for r in rows):
        problems.append("no household exited and under follow-up")
    if not any(r["part"] == "relapse" and "new case" in r["identification"] for r in rows):
        problems.append("no relapse reopened with a new case")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=3, help="how many (parts assisted, exited, relapse in turn)")
    parser.add_argument("--seed", type=int, default=None)
    for service in SERVICES:
        parser.add_argument(f"--{service.replace('_', '-')}", default=f"http://127.0.0.1:{DEFAULT_PORTS[service]}")
    # make run and the tests pass every service's URL; the demo does not call these four (the households use the
    # shipped policy versions; the portal is for people; nobody petitions in the demo; exchange only listens)
    parser.add_argument("--policy", default=None, help="accepted and unused")
    parser.add_argument("--oversight", default=None, help="accepted and unused")
    parser.add_argument("--portal", default=None, help="accepted and unused")
    parser.add_argument("--exchange", default=None, help="accepted and unused")
    args = parser.parse_args(argv)
    if not 1 <= args.households <= 50:
        parser.error("--households must be 1 to 50")
    urls = {s: getattr(args, s).rstrip("/") for s in SERVICES}
    p = Platform(urls)
    try:
        if not p.clock().get("training_mode"):
            raise DemoError("the services are not in training mode")
        households = make_households(args.households, args.seed if args.seed is not None else int(time.time()))
        run(p, households)
        rows = summary(p, households)
    except (DemoError, httpx.HTTPError) as exc:
        print(f"\ndemo failed: {exc}", file=sys.stderr)
        return 1
    finally:
        p.close()
    print("\nwhere each household ended 各户最终状态:\n" + format_table(rows))
    problems = check_outcome(rows)
    for problem in problems:
        print(f"demo: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
