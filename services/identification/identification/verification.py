"""Economic-status checks (经济状况核对), the use cases: ask the departments that hold a household's facts when its field
assessment starts, take in their answers, report the departments that did not answer by the due date, and show every
fact to the officer with where it came from. The rules are domain/verification.py."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from identification import repository
from identification.domain import verification as rules
from identification.domain.calendar import local_date
from identification.models import Case, VerificationAnswer, VerificationDepartment, VerificationRequest, audit_log
from shared import audit
from shared.auth import Principal
from shared.emits import emits
from shared.idempotency import request_hash


class NotAsked(PermissionError):
    """The department was not asked on this request (answered 403)."""

    def __init__(self, department: str | None):
        self.department = department or ""
        super().__init__(f"department {department!r} was not asked on this verification request")


class InvalidAnswer(ValueError):
    """An answer that names a member or a fact kind the request did not ask for (answered 422)."""

    def __init__(self, field: str, rule: str, en: str, zh: str):
        self.field, self.rule, self.en, self.zh = field, rule, en, zh
        super().__init__(en)


class AlreadyAnswered(ValueError):
    """The department answered already with different facts (answered 409)."""


def verification_rules(svc, division_code: str, on: date) -> rules.VerificationRules:
    return rules.VerificationRules.from_params(svc.rules_for(division_code, on).value("verification"))


def declared_facts(case: Case) -> dict:
    """What the household declared: the application's monthly income (the assessment's facts come later, observed)."""
    return {"monthly_income_yuan": str(case.household_monthly_income_yuan)}


@emits("identification.verification.requested")
def request_for_assessment(session: Session, svc, case: Case) -> VerificationRequest | None:
    """Asks the departments for the household's facts, once per case, only with the household's recorded authorisation."""
    if not (case.data_check_authorisation or {}).get("recorded"):
        return None
    if repository.verification_of_case(session, case.id) is not None:  # a re-assessment reuses the answers
        return None
    now = svc.clock.now()
    today = local_date(now)
    vr = verification_rules(svc, case.division_code, today)
    asked = vr.departments()
    kinds = [k for k in rules.FACT_KINDS if any(k in ks for ks in asked.values())]
    due = rules.due_date(today, vr, svc.calendar.add_working_days)
    members = [{"name": m.get("name"), "id_number": m.get("id_number"), "relationship": m.get("relationship")}
               for m in case.members if m.get("id_number")]
    authorisation = {"reference": case.data_check_authorisation["reference"],
                     "source": case.data_check_authorisation.get("source", "")}
    request = VerificationRequest(id=str(uuid.uuid4()), case_id=case.id, household_id=case.household_id,
                                  division_code=case.division_code, requested_at=now, due_date=due,
                                  rule_version=vr.version, authorisation=authorisation, members=members,
                                  fact_kinds=kinds, declared=declared_facts(case))
    session.add(request)
    session.flush()
    for department, fact_kinds in asked.items():
        session.add(VerificationDepartment(request_id=request.id, department=department, fact_kinds=fact_kinds,
                                           status="asked"))
    audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="request_verification",
                 entity_type="verification", entity_id=request.id,
                 details={"case_id": case.id, "departments": sorted(asked), "due_date": due.isoformat()})
    svc.emit(session, case, "identification.verification.requested", {
        "request_id": request.id, "case_id": case.id, "household_id": case.household_id,
        "division_code": case.division_code, "members": members, "facts_requested": kinds,
        "departments": [{"department": d, "fact_kinds": ks} for d, ks in asked.items()],
        "authorisation": authorisation, "requested_at": now.isoformat(), "due_date": due.isoformat(),
        "rule_version": vr.version})
    return request


def answer(session: Session, svc, actor: Principal, request_id: str, *, reported_on: date,
           members: dict[str, dict]) -> tuple[VerificationRequest, VerificationAnswer, bool]:
    """Takes in one department's answer; the same answer again returns the first (created False)."""
    from identification.handlers import NotFound  # one NotFound for the whole service (answered 404)
    request = repository.get_verification(session, request_id, for_update=True)
    if request is None:
        raise NotFound(request_id)
    department = actor.department or ""
    part = next((d for d in repository.verification_departments(session, request.id) if d.department == department), None)
    if part is None:
        raise NotAsked(department)
    body_hash = request_hash({"reported_on": reported_on.isoformat(), "members": members})
    known = repository.answer_of(session, request.id, department)
    if known is not None:
        if known.request_hash != body_hash:
            raise AlreadyAnswered(department)
        return request, known, False
    unknown = sorted(set(members) - {m["id_number"] for m in request.members})
    if unknown:
        raise InvalidAnswer("members", "member_on_request", f"members not on the request: {', '.join(unknown)}",
                            f"这些成员不在核对请求中：{'、'.join(unknown)}")
    extra = sorted({k for facts in members.values() for k in facts} - set(part.fact_kinds))
    if extra:
        raise InvalidAnswer("members", "fact_kind_asked", f"{department} was not asked for {', '.join(extra)}",
                            f"未请求{department}核对以下事项：{'、'.join(extra)}")
    now = svc.clock.now()
    case = repository.get_case(session, request.case_id)
    vr = verification_rules(svc, request.division_code, local_date(request.requested_at))
    found = [d.as_dict() for d in rules.discrepancies(_declared(session, case, request), members, department, vr)]
    row = VerificationAnswer(id=str(uuid.uuid4()), request_id=request.id, department=department, received_at=now,
                             reported_on=reported_on, answered_by=actor.subject[:128], request_hash=body_hash,
                             members=members, discrepancies=found)
    session.add(row)
    part.status, part.answered_at = "answered", now  # a late answer is still taken in
    session.flush()
    audit.record(session, audit_log, actor=actor, at=now, action="answer_verification", entity_type="verification",
                 entity_id=request.id, details={"department": department, "discrepancies": len(found)})
    svc.emit(session, case, "identification.verification.answered", {
        "request_id": request.id, "case_id": request.case_id, "household_id": request.household_id,
        "division_code": request.division_code, "department": department, "answer_id": row.id,
        "fact_kinds": sorted({k for facts in members.values() for k in facts}), "reported_on": reported_on.isoformat(),
        "answered_at": now.isoformat(), "discrepancies": found, "rule_version": vr.version})
    return request, row, True


def _declared(session: Session, case: Case, request: VerificationRequest) -> dict:
    """The declaration to compare with: the request's, with the household's statements on the visit when recorded."""
    declared = dict(request.declared)
    a = repository.latest_assessment(session, case)
    if a is not None:
        for key in ("vehicles_value_yuan", "owns_business"):
            if key in a.facts:
                declared[key] = a.facts[key]
    return declared


@emits("identification.verification.overdue")
def report_no_answer(session: Session, svc) -> int:
    """Moves each department that has not answered by the due date to "no answer", with one overdue event per
    request; returns how many departments moved."""
    now = svc.clock.now()
    rows = repository.verifications_past_due(session, local_date(now))
    by_request: dict[str, tuple[VerificationRequest, list[VerificationDepartment]]] = {}
    for request, part in rows:
        part.status, part.overdue_reported_at = "no_answer", now
        by_request.setdefault(request.id, (request, []))[1].append(part)
    for request, parts in by_request.values():
        case = repository.get_case(session, request.case_id)
        departments = [p.department for p in parts]
        audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="verification_no_answer",
                     entity_type="verification", entity_id=request.id, details={"departments": departments})
        svc.emit(session, case, "identification.verification.overdue", {
            "request_id": request.id, "case_id": request.case_id, "household_id": request.household_id,
            "division_code": request.division_code, "departments": departments,
            "due_date": request.due_date.isoformat(), "detected_at": now.isoformat()})
    return len(rows)


def _declared_source(case: Case) -> dict:
    return {"kind": "declared", "label_en": "declared by the household", "label_zh": "家庭申报",
            "date": local_date(case.opened_at).isoformat()}


def _reported_source(department: str, on: date) -> dict:
    return {"kind": "reported", "department": department, "date": on.isoformat(),
            "label_en": f"reported by {department} on {on.isoformat()}", "label_zh": f"{department}于{on.isoformat()}核对反馈"}


def _observed_source(assessed_at) -> dict:
    on = local_date(assessed_at).isoformat()
    return {"kind": "observed", "date": on, "label_en": f"observed on the visit on {on}", "label_zh": f"{on}入户核查"}


def case_view(session: Session, case: Case, assessment=None) -> dict | None:
    """The economic-status check as an officer sees it: each department's status, every fact with its source, the
    facts the answers suggest for the assessment (to confirm on the visit) and the discrepancies."""
    request = repository.verification_of_case(session, case.id)
    if request is None:
        return None
    answers = repository.verification_answers(session, request.id)
    names = {m["id_number"]: m.get("name") for m in request.members}
    facts: list[dict] = [{"fact": "monthly_income_yuan", "member": None, "value": str(Decimal(request.declared["monthly_income_yuan"])),
                          "source": _declared_source(case)}]
    for a in answers:
        for id_number, kinds in a.members.items():
            for kind, items in kinds.items():
                for item in items:
                    facts.append({"fact": kind, "member": {"id_number": id_number, "name": names.get(id_number)},
                                  "value": item, "source": _reported_source(a.department, a.reported_on)})
    if assessment is not None:
        for key in ("monthly_income_yuan", "vehicles_value_yuan", "owns_business", "extra_housing_units"):
            if key in assessment.facts:
                facts.append({"fact": key, "member": None, "value": assessment.facts[key],
                              "source": _observed_source(assessment.assessed_at)})
    return {
        "request_id": request.id, "requested_at": request.requested_at, "due_date": request.due_date,
        "rule_version": request.rule_version, "authorisation": request.authorisation,
        "departments": [{"department": d.department, "fact_kinds": d.fact_kinds, "status": d.status,
                         "answered_at": d.answered_at} for d in repository.verification_departments(session, request.id)],
        "facts": facts,
        "prefill": rules.prefill((a.department, a.reported_on, a.members) for a in answers),
        "discrepancies": [d for a in answers for d in a.discrepancies],
    }
