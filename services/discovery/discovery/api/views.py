"""How discovery's records are shown: ID numbers masked, statuses explained in English and Chinese."""
from __future__ import annotations

from datetime import date

from discovery.api.schemas import (
    ApplicationRead,
    Authorisation,
    ClueRead,
    MemberRead,
    RecordRead,
    ReferralRead,
    StaffRead,
    VisitRead,
)
from discovery.domain.identity import mask_id_number
from discovery.domain.lifecycle import CLUE_NEXT_STEPS, clue_overdue, explain_application, timeline_order
from discovery.models import Application, Clue, DiscoveryRecord, Referral, Visit


def application_read(a: Application) -> ApplicationRead:
    current = next((t for t in sorted(a.timeline, key=lambda t: (*timeline_order(t.at, t.status), t.id), reverse=True)
                    if t.status == a.status), None)
    explanation = (current.text_en, current.text_zh) if current is not None else explain_application(a.status)
    assisted = authorisation = None
    if a.assisted_by_subject:
        assisted = StaffRead(subject=a.assisted_by_subject, role=a.assisted_by_role, area=a.assisted_by_area,
                             name=a.assisted_by_name)
        authorisation = Authorisation(method=a.authorisation_method, reference=a.authorisation_reference,
                                      obtained_on=a.authorisation_obtained_on)
    return ApplicationRead(
        application_id=a.id, household_id=a.household_id, record_id=a.record_id, channel=a.channel, status=a.status,
        status_explanation_en=explanation[0], status_explanation_zh=explanation[1], division_code=a.division_code,
        applicant_name=a.applicant_name, applicant_id_number_masked=mask_id_number(a.applicant_id_number),
        members=[MemberRead(name=m.name, id_number_masked=mask_id_number(m.id_number), relationship=m.relationship)
                 for m in a.members],
        household_monthly_income_yuan=a.household_monthly_income_yuan, hardship_reason=a.hardship_reason,
        hardship_description=a.hardship_description, submitted_at=a.submitted_at, case_id=a.case_id,
        assisted_by=assisted, authorisation=authorisation)


def visit_read(v: Visit) -> VisitRead:
    return VisitRead(
        visit_id=v.id, household_id=v.household_id, record_id=v.record_id, division_code=v.division_code,
        purpose=v.purpose, clue_id=v.clue_id,
        visitor=StaffRead(subject=v.visitor_subject, role=v.visitor_role, area=v.visitor_area, name=v.visitor_name),
        visited_on=v.visited_on, recorded_at=v.recorded_at, member_count=len(v.members), observations=v.observations,
        indicators=v.indicators, recommendation=v.recommendation, confirmed=v.confirmed,
        sudden_hardship=v.sudden_hardship, linked=v.linked, referral_id=v.referral_id)


def clue_read(c: Clue, today: date) -> ClueRead:
    """`today` is China's date: whether the verification visit is overdue."""
    return ClueRead(
        clue_id=c.id, household_id=c.household_id, record_id=c.record_id, status=c.status,
        allowed_next_steps=list(CLUE_NEXT_STEPS[c.status]), kind=c.kind, severity=c.severity, rule_id=c.rule_id,
        rule_version=c.rule_version, evidence=c.evidence, explanation_en=c.explanation_en,
        explanation_zh=c.explanation_zh, division_code=c.division_code, id_number_masked=mask_id_number(c.id_number) if c.id_number else None,
        occurred_on=c.occurred_on, source_department=c.source_department, external_id=c.external_id,
        raised_at=c.raised_at, task_area=c.task_area, task_due_on=c.task_due_on,
        overdue=clue_overdue(c.status, c.task_due_on, today), overdue_reported_at=c.overdue_reported_at,
        verification_visit_id=c.verification_visit_id, dismissed_reason_code=c.dismissed_reason_code,
        dismissed_reason=c.dismissed_reason, referral_id=c.referral_id)


def referral_read(r: Referral) -> ReferralRead:
    return ReferralRead(
        referral_id=r.id, household_id=r.household_id, record_id=r.record_id, division_code=r.division_code,
        referred_at=r.referred_at, referred_by=r.referred_by, trigger_type=r.trigger_type, trigger_id=r.trigger_id,
        channels=r.channels, reasons=r.reasons, application_ids=r.application_ids, clue_ids=r.clue_ids,
        visit_ids=r.visit_ids, sudden_hardship=r.sudden_hardship, status=r.status, case_id=r.case_id)


def record_read(r: DiscoveryRecord) -> RecordRead:
    return RecordRead(record_id=r.id, status=r.status, opened_at=r.opened_at, closed_at=r.closed_at,
                      close_reason=r.close_reason)
