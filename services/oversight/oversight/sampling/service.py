"""Sampling's use cases: take the population in from events, draw a sample, assign and record re-checks, and
compute accuracy. Each state change writes its event to the outbox and an audit row in the caller's transaction."""
from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.handlers import InvalidInput, NotFound, Refused, Services
from oversight.domain.petitions import FieldProblem
from oversight.models import audit_log
from oversight.sampling import domain
from oversight.sampling.tables import CaseHandlerRow, PopulationFileRow, Sample, SampleFile
from shared import audit
from shared.auth import Principal, require_role
from shared.emits import emits
from shared.envelope import Event
from shared.observability import correlation_id
from shared.working_days import local_date

SOURCE = "/services/oversight"
DRAW_ROLES = ("county",)
CHECK_ROLES = ("township", "county")


def _problem(field: str, rule: str, en: str, zh: str) -> InvalidInput:
    return InvalidInput([FieldProblem(field, rule, en, zh)])


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# -- the population, from events ---------------------------------------------------------------------------------------

def _facts(session: Session, key: str) -> CaseHandlerRow:
    row = session.get(CaseHandlerRow, key, with_for_update=True)
    if row is None:
        row = CaseHandlerRow(key=key, division_code=None, handlers=[])
        session.add(row)
    return row


def _add_handler(session: Session, key: str, subject: str | None, division_code: str | None) -> None:
    facts = _facts(session, key)
    if division_code:
        facts.division_code = division_code
    if subject and subject not in facts.handlers:
        facts.handlers = [*facts.handlers, subject]
    kind_column = PopulationFileRow.case_id if key.startswith("case:") else PopulationFileRow.household_id
    ref = key.split(":", 1)[1]
    query = select(PopulationFileRow).where(kind_column == ref)
    if key.startswith("household:"):
        query = query.where(PopulationFileRow.kind == "exited")
    for f in session.scalars(query):
        if subject and subject not in f.handlers:
            f.handlers = [*f.handlers, subject]
        if division_code and not f.division_code:
            f.division_code = division_code


def _add_file(session: Session, *, file_id: str, kind: str, case_id: str | None, household_id: str,
              file_number: str | None, division_code: str | None, decided_at: datetime, facts_key: str) -> None:
    if session.get(PopulationFileRow, file_id) is not None:
        return
    facts = session.get(CaseHandlerRow, facts_key)
    session.add(PopulationFileRow(
        file_id=file_id, kind=kind, case_id=case_id, household_id=household_id, file_number=file_number,
        division_code=division_code or (facts.division_code if facts else None) or "", decided_at=decided_at,
        decided_on=local_date(decided_at), handlers=list(facts.handlers) if facts else []))


READ_MODEL_ONLY = "records the sampling population (a read model); publishes nothing"


@emits(none=READ_MODEL_ONLY)
def on_case_opened(session: Session, event: Event) -> None:
    d = event.data
    _add_handler(session, f"case:{d['case_id']}", None, d.get("division_code"))


@emits(none=READ_MODEL_ONLY)
def on_assessment_completed(session: Session, event: Event) -> None:
    d = event.data
    _add_handler(session, f"case:{d['case_id']}", d.get("assessed_by"), None)


@emits(none=READ_MODEL_ONLY)
def on_township_reviewed(session: Session, event: Event) -> None:
    d = event.data
    _add_handler(session, f"case:{d['case_id']}", (d.get("actor") or {}).get("subject"), d.get("division_code"))


@emits(none=READ_MODEL_ONLY)
def on_situation_recorded(session: Session, event: Event) -> None:
    d = event.data
    _add_handler(session, f"household:{d['household_id']}", (d.get("recorded_by") or {}).get("subject"),
                 d.get("division_code"))


@emits(none=READ_MODEL_ONLY)
def on_enrolled(session: Session, event: Event) -> None:
    d = event.data
    _add_file(session, file_id=f"enrolled:{d['case_id']}", kind="enrolled", case_id=d["case_id"],
              household_id=d["household_id"], file_number=d.get("file_number"), division_code=d["division_code"],
              decided_at=_moment(d["enrolled_at"]), facts_key=f"case:{d['case_id']}")


@emits(none=READ_MODEL_ONLY)
def on_rejected(session: Session, event: Event) -> None:
    d = event.data
    _add_file(session, file_id=f"refused:{d['case_id']}", kind="refused", case_id=d["case_id"],
              household_id=d["household_id"], file_number=None, division_code=None,
              decided_at=_moment(d["rejected_at"]), facts_key=f"case:{d['case_id']}")


@emits(none=READ_MODEL_ONLY)
def on_exited(session: Session, event: Event) -> None:
    d = event.data
    _add_file(session, file_id=f"exited:{d['exit_id']}", kind="exited", case_id=None,
              household_id=d["household_id"], file_number=d.get("file_number"), division_code=d["division_code"],
              decided_at=_moment(d["exited_at"]), facts_key=f"household:{d['household_id']}")


def population_handlers() -> dict:
    return {"identification.case.opened": on_case_opened,
            "identification.assessment.completed": on_assessment_completed,
            "identification.case.township_reviewed": on_township_reviewed,
            "identification.household.enrolled": on_enrolled,
            "identification.household.rejected": on_rejected,
            "gradual_exit.situation.recorded": on_situation_recorded,
            "gradual_exit.household.exited": on_exited}


# -- drawing and checking ------------------------------------------------------------------------------------------------

def _emit(session: Session, svc: Services, s: Sample, event_type: str, data: dict) -> None:
    svc.outbox.add(session, Event(type=event_type, source=SOURCE, subject=s.id, data=data,
                                  correlationid=correlation_id.get() or s.correlation_id))


def _audit(session: Session, svc: Services, actor: Principal, action: str, entity_id: str, to_state: str | None,
           details: dict | None = None, entity_type: str = "sample") -> None:
    audit.record(session, audit_log, actor=actor, at=svc.clock.now(), action=action, entity_type=entity_type,
                 entity_id=entity_id, from_state=None, to_state=to_state, details=details)


def population(session: Session, area: str, kinds: list[str], period_from: date,
               period_to: date) -> list[PopulationFileRow]:
    """The population snapshot, in a deterministic order (file id)."""
    return list(session.scalars(
        select(PopulationFileRow).where(PopulationFileRow.kind.in_(kinds),
                                        PopulationFileRow.division_code.startswith(area),
                                        PopulationFileRow.decided_on >= period_from,
                                        PopulationFileRow.decided_on <= period_to)
        .order_by(PopulationFileRow.file_id)))


@emits("oversight.sample.drawn")
def draw_sample(session: Session, svc: Services, actor: Principal, *, area: str, kinds: list[str],
                period_from: date, period_to: date, size: int, stratify_by: str, seed: int | None) -> Sample:
    require_role(actor, DRAW_ROLES, "draw samples", action_zh="抽取复核样本")
    if not area.startswith(actor.area):
        raise _problem("area", "outside_your_area", f"The area must lie within yours ({actor.area}).",
                       f"抽样范围须在您的辖区（{actor.area}）内。")
    if period_to < period_from:
        raise _problem("period_to", "before_period_from", "The period ends before it starts.", "抽样期间的结束日早于开始日。")
    seed = seed if seed is not None else secrets.randbelow(2**53)
    rows = population(session, area, kinds, period_from, period_to)
    by_id = {r.file_id: r for r in rows}
    result = domain.draw([domain.PopulationFile(r.file_id, r.kind, r.division_code) for r in rows],
                         seed=seed, size=size, stratify_by=stratify_by)
    now = svc.clock.now()
    s = Sample(id=str(uuid.uuid4()), area=area, kinds=sorted(kinds), period_from=period_from, period_to=period_to,
               size=size, stratify_by=stratify_by, seed=seed, population_size=len(rows),
               stratum_sizes=result.stratum_sizes, allocation=result.allocation, rule_version=result.rule_version,
               drawn_by=actor.subject, drawn_at=now, correlation_id=correlation_id.get())
    session.add(s)
    session.flush()
    for position, (f, stratum) in enumerate(result.chosen):
        r = by_id[f.file_id]
        session.add(SampleFile(sample_id=s.id, file_id=r.file_id, position=position, kind=r.kind, stratum=stratum,
                               household_id=r.household_id, file_number=r.file_number, division_code=r.division_code,
                               case_handlers=list(r.handlers),
                               weight=result.stratum_sizes[stratum] / result.allocation[stratum]))
    session.flush()
    _emit(session, svc, s, "oversight.sample.drawn", {
        **sample_base(s), "drawn_at": now.isoformat(), "drawn_by": actor.subject,
        "files": [{"file_id": f.file_id, "kind": f.kind, "stratum": h} for f, h in result.chosen]})
    _audit(session, svc, actor, "sample.drawn", s.id, "drawn",
           {"seed": seed, "size": size, "population_size": len(rows), "drawn": len(result.chosen)})
    return s


def sample_base(s: Sample) -> dict:
    return {"sample_id": s.id, "area": s.area, "kinds": list(s.kinds), "period_from": s.period_from.isoformat(),
            "period_to": s.period_to.isoformat(), "size": s.size, "stratify_by": s.stratify_by, "seed": s.seed,
            "population_size": s.population_size, "stratum_sizes": dict(s.stratum_sizes),
            "allocation": dict(s.allocation), "rule_version": s.rule_version}


def get_sample(session: Session, actor: Principal, sample_id: str) -> Sample:
    require_role(actor, CHECK_ROLES, "read samples", action_zh="查看复核样本")
    s = session.get(Sample, sample_id)
    if s is None or not (s.area.startswith(actor.area) or actor.area.startswith(s.area)):
        raise NotFound(sample_id)
    return s


def sample_files(session: Session, sample_id: str) -> list[SampleFile]:
    return list(session.scalars(select(SampleFile).where(SampleFile.sample_id == sample_id)
                                .order_by(SampleFile.position)))


def _file(session: Session, actor: Principal, sample_id: str, file_id: str) -> tuple[Sample, SampleFile]:
    s = get_sample(session, actor, sample_id)
    f = session.get(SampleFile, (sample_id, file_id), with_for_update=True)
    if f is None or not f.division_code.startswith(actor.area):
        raise NotFound(file_id)
    return s, f


def _own_file_refused(f: SampleFile, subject: str, doing_en: str, doing_zh: str) -> Refused:
    return Refused("recheck_by_other_than_handler",
                   f"{subject} handled this file; a sampled file is re-checked by someone other than its case handler, "
                   f"so they may not {doing_en}.",
                   f"{subject} 是该档案的经办人；抽样档案须由经办人以外的人员复核，不能{doing_zh}。",
                   file_id=f.file_id, case_handlers=list(f.case_handlers))


@emits("oversight.sample.file_assigned")
def assign(session: Session, svc: Services, actor: Principal, sample_id: str, file_id: str,
           checker: str) -> SampleFile:
    require_role(actor, DRAW_ROLES, "assign re-checks", action_zh="分派复核")
    s, f = _file(session, actor, sample_id, file_id)
    if not domain.may_recheck(checker, f.case_handlers):
        raise _own_file_refused(f, checker, "be assigned its re-check", "被分派复核")
    if f.outcome is not None:
        raise Refused("already_checked", "The file's re-check is already recorded.", "该档案已记录复核结果。",
                      file_id=f.file_id)
    f.assigned_to = checker
    _emit(session, svc, s, "oversight.sample.file_assigned", {
        "sample_id": s.id, "file_id": f.file_id, "kind": f.kind, "division_code": f.division_code,
        "assigned_to": checker, "assigned_at": svc.clock.now().isoformat(), "rule_version": s.rule_version})
    _audit(session, svc, actor, "sample.file_assigned", f"{s.id}/{f.file_id}", "assigned", {"checker": checker},
           entity_type="sample_file")
    return f


@emits("oversight.sample.file_checked")
def record_outcome(session: Session, svc: Services, actor: Principal, sample_id: str, file_id: str, *,
                   outcome: str, note: str | None) -> SampleFile:
    require_role(actor, CHECK_ROLES, "record re-checks", action_zh="记录复核结果")
    s, f = _file(session, actor, sample_id, file_id)
    if outcome not in domain.OUTCOMES[f.kind]:
        raise _problem("outcome", "outcome_for_kind",
                       f"A re-check of a file of kind {f.kind} records one of {', '.join(domain.OUTCOMES[f.kind])}.",
                       f"{f.kind} 类档案的复核结果只能是：{'、'.join(domain.OUTCOMES[f.kind])}。")
    if not domain.may_recheck(actor.subject, f.case_handlers):
        raise _own_file_refused(f, actor.subject, "record its outcome", "记录其复核结果")
    if f.assigned_to and f.assigned_to != actor.subject:
        raise Refused("not_the_assigned_checker", f"This file's re-check is assigned to {f.assigned_to}.",
                      f"该档案已分派给 {f.assigned_to} 复核。", file_id=f.file_id, assigned_to=f.assigned_to)
    if f.outcome is not None:
        raise Refused("already_checked", "The file's re-check is already recorded.", "该档案已记录复核结果。",
                      file_id=f.file_id)
    now = svc.clock.now()
    f.outcome, f.note, f.checked_by, f.checked_at = outcome, note, actor.subject, now
    _emit(session, svc, s, "oversight.sample.file_checked", {
        "sample_id": s.id, "file_id": f.file_id, "kind": f.kind, "household_id": f.household_id,
        "division_code": f.division_code, "stratum": f.stratum, "outcome": outcome, "confirmed": outcome == "confirmed",
        "checked_by": actor.subject, "checked_at": now.isoformat(), "rule_version": s.rule_version})
    _audit(session, svc, actor, "sample.file_checked", f"{s.id}/{f.file_id}", outcome, {"note": note},
           entity_type="sample_file")
    return f


def accuracy_figures(session: Session, actor: Principal, area: str, period_from: date,
                     period_to: date) -> dict[str, domain.Accuracy]:
    """Identification and exit accuracy over the samples of the area (drawn for it or within it) whose period lies
    within [from, to]. Each (sample, stratum) is a stratum of its own, weighted by the population it stood for."""
    require_role(actor, CHECK_ROLES, "read accuracy", action_zh="查看准确率")
    samples = session.scalars(select(Sample).where(Sample.area.startswith(area), Sample.period_from >= period_from,
                                                   Sample.period_to <= period_to)).all()
    figures = {}
    for measure, kinds in domain.MEASURES.items():
        strata: list[domain.Stratum] = []
        for s in samples:
            files = [f for f in sample_files(session, s.id) if f.kind in kinds]
            for h in sorted({f.stratum for f in files}):
                in_h = [f for f in files if f.stratum == h and f.outcome is not None]
                strata.append(domain.Stratum(population=s.stratum_sizes[h], checked=len(in_h),
                                             confirmed=sum(f.outcome == "confirmed" for f in in_h)))
        figures[measure] = domain.accuracy(strata)
    return figures
