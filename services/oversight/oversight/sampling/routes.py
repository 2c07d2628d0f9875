"""Sampling's routes (thin): draw a sample, read it, assign and record re-checks, and read the accuracy figures."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from oversight.handlers import InvalidInput
from oversight.domain.petitions import FieldProblem
from oversight.models import audit_log
from oversight.sampling import domain, service
from oversight.sampling.tables import Sample
from shared import audit
from shared.auth import CurrentPrincipal
from shared.emits import route_emits
from shared.unit_of_work import transaction

router = APIRouter(prefix="/api/v1", tags=["accuracy by sampling"])
ERRORS = {401: {"description": "No or invalid token"}, 403: {"description": "Your role may not take this step"},
          404: {"description": "No such sample or file in your area"},
          409: {"description": "A rule refuses the step (e.g. the file's own case handler); the answer names it"},
          422: {"description": "A field breaks a rule; the error names the field and the rule"}}
AREA = r"^[0-9]{2,12}$"
FILE_ID = Annotated[str, Path(max_length=90)]
SAMPLE_ID = Annotated[str, Path(max_length=64)]


class SampleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    area: str = Field(pattern=AREA, description="division-code prefix within your area")
    kinds: list[Literal["enrolled", "refused", "exited"]] = Field(min_length=1, max_length=3)
    period_from: date
    period_to: date
    size: int = Field(ge=1, le=10_000)
    stratify_by: Literal["none", "township", "village"] = "none"
    seed: int | None = Field(default=None, ge=0, le=2**53, description="given, or generated and recorded")

    @model_validator(mode="after")
    def distinct_kinds(self):
        self.kinds = sorted(set(self.kinds))
        return self


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checker: str = Field(min_length=1, max_length=128, description="subject of the officer who re-checks")


class OutcomeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["confirmed", "should_not_have_been_enrolled", "should_have_been_enrolled",
                     "should_not_have_exited"]
    note: str | None = Field(default=None, max_length=2000)


class SampleFileRead(BaseModel):
    file_id: str
    kind: str
    stratum: str
    household_id: str
    file_number: str | None
    division_code: str
    case_handlers: list[str]
    assigned_to: str | None
    outcome: str | None
    note: str | None
    checked_by: str | None
    checked_at: datetime | None
    weight: float


class SampleRead(BaseModel):
    sample_id: str
    area: str
    kinds: list[str]
    period_from: date
    period_to: date
    size: int
    stratify_by: str
    seed: int
    population_size: int
    stratum_sizes: dict[str, int]
    allocation: dict[str, int]
    rule_version: str
    drawn_by: str
    drawn_at: datetime
    files: list[SampleFileRead]


class AccuracyFigure(BaseModel):
    measure: str
    n: int
    confirmed: int
    estimate: float | None
    interval: list[float] | None = Field(description="95 % confidence interval [lower, upper]")
    confidence: float = 0.95
    method: str
    rule_version: str


class AccuracyRead(BaseModel):
    area: str
    period_from: date
    period_to: date
    figures: list[AccuracyFigure]


def file_read(f) -> SampleFileRead:
    return SampleFileRead(file_id=f.file_id, kind=f.kind, stratum=f.stratum, household_id=f.household_id,
                          file_number=f.file_number, division_code=f.division_code,
                          case_handlers=list(f.case_handlers), assigned_to=f.assigned_to, outcome=f.outcome,
                          note=f.note, checked_by=f.checked_by, checked_at=f.checked_at, weight=f.weight)


def sample_read(session, s: Sample) -> SampleRead:
    return SampleRead(sample_id=s.id, area=s.area, kinds=list(s.kinds), period_from=s.period_from,
                      period_to=s.period_to, size=s.size, stratify_by=s.stratify_by, seed=s.seed,
                      population_size=s.population_size, stratum_sizes=dict(s.stratum_sizes),
                      allocation=dict(s.allocation), rule_version=s.rule_version, drawn_by=s.drawn_by,
                      drawn_at=s.drawn_at, files=[file_read(f) for f in service.sample_files(session, s.id)])


@router.post("/samples", status_code=201, response_model=SampleRead, responses=ERRORS,
             openapi_extra=route_emits("oversight.sample.drawn"),
             summary="Draw a reproducible random sample of files for re-check 抽取复核样本")
def draw(body: SampleCreate, request: Request, principal: CurrentPrincipal):
    runtime, svc = request.app.state.runtime, request.app.state.services

    def work(session):
        s = service.draw_sample(session, svc, principal, area=body.area, kinds=body.kinds,
                                period_from=body.period_from, period_to=body.period_to, size=body.size,
                                stratify_by=body.stratify_by, seed=body.seed)
        return sample_read(session, s)
    return transaction(runtime, work)


@router.get("/samples/{sample_id}", response_model=SampleRead, responses=ERRORS, summary="One sample 复核样本")
def get_sample(sample_id: SAMPLE_ID, request: Request, principal: CurrentPrincipal):
    with request.app.state.runtime.session_factory() as session:
        return sample_read(session, service.get_sample(session, principal, sample_id))


@router.get("/samples/{sample_id}/audit", responses=ERRORS, summary="Who did what to the sample 操作记录")
def sample_audit(sample_id: SAMPLE_ID, request: Request, principal: CurrentPrincipal) -> list[dict]:
    with request.app.state.runtime.session_factory() as session:
        service.get_sample(session, principal, sample_id)
        return audit.trail(session, audit_log, "sample", sample_id)


@router.post("/samples/{sample_id}/files/{file_id}/assignment", response_model=SampleFileRead, responses=ERRORS,
             openapi_extra=route_emits("oversight.sample.file_assigned"),
             summary="Assign the file's re-check to someone other than its case handler 分派复核")
def assign(sample_id: SAMPLE_ID, file_id: FILE_ID, body: AssignmentCreate, request: Request,
           principal: CurrentPrincipal):
    runtime, svc = request.app.state.runtime, request.app.state.services
    return transaction(runtime, lambda session: file_read(
        service.assign(session, svc, principal, sample_id, file_id, body.checker)))


@router.post("/samples/{sample_id}/files/{file_id}/outcome", response_model=SampleFileRead, responses=ERRORS,
             openapi_extra=route_emits("oversight.sample.file_checked"),
             summary="Record the re-check's outcome (not by the file's own case handler) 记录复核结果")
def record_outcome(sample_id: SAMPLE_ID, file_id: FILE_ID, body: OutcomeCreate, request: Request,
                   principal: CurrentPrincipal):
    runtime, svc = request.app.state.runtime, request.app.state.services
    return transaction(runtime, lambda session: file_read(
        service.record_outcome(session, svc, principal, sample_id, file_id, outcome=body.outcome, note=body.note)))


@router.get("/accuracy", response_model=AccuracyRead, responses=ERRORS,
            summary="Identification and exit accuracy from the samples, with a 95 % interval 识别与退出准确率")
def accuracy(request: Request, principal: CurrentPrincipal,
             area: Annotated[str, Query(pattern=AREA)], period_from: Annotated[date, Query(alias="from")],
             period_to: Annotated[date, Query(alias="to")]):
    if not area.startswith(principal.area):
        raise InvalidInput([FieldProblem("area", "outside_your_area", f"The area must lie within yours "
                                         f"({principal.area}).", f"查询范围须在您的辖区（{principal.area}）内。")])
    with request.app.state.runtime.session_factory() as session:
        figures = service.accuracy_figures(session, principal, area, period_from, period_to)
    return AccuracyRead(area=area, period_from=period_from, period_to=period_to, figures=[
        AccuracyFigure(measure=m, n=a.n, confirmed=a.confirmed, estimate=a.estimate,
                       interval=None if a.lower is None else [a.lower, a.upper], method=a.method,
                       rule_version=a.rule_version) for m, a in figures.items()])


__all__ = ["router", "domain"]
