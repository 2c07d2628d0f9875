"""The officer's pages My work (/staff, 工作台) and the case page (/staff/cases/{id}) with its action forms.

Thin handlers: the signed-in officer (require_officer), the services through portal.clients with the token the portal
mints for them, the queue assembled by portal.staff.work, the case and its forms by portal.staff.cases."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from portal.forms import Form
from portal.pages import clients, form_values, render
from portal.staff import cases, work
from portal.staff.session import Officer, officer_headers, require_officer, verify_csrf
from shared.clock import china_time
from shared.emits import route_emits

router = APIRouter(include_in_schema=False)
CurrentOfficer = Annotated[Officer, Depends(require_officer)]
CaseId = Annotated[str, Path(min_length=1, max_length=64)]


def _today(request: Request):
    return china_time(request.app.state.services.clock.now()).date()


@router.get("/staff", response_class=HTMLResponse)
def my_work(request: Request, officer: CurrentOfficer, kind: Annotated[str | None, Query(max_length=30)] = None,
            overdue: bool = False, page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    answers = work.fetch(clients(request), officer_headers(request, officer))
    queue = work.assemble(answers, _today(request), kind=kind if kind in work.KINDS else None, overdue_only=overdue,
                          page=page)
    return render(request, "work/queue.html", officer=officer, queue=queue, kinds=work.KINDS,
                  horizon=work.HORIZON_DAYS, fetch_limit=work.FETCH)


def _case_page(request: Request, officer: Officer, view: cases.CaseView, *, status: int = 200, form: Form | None = None,
               posted: str | None = None, refused: dict | None = None, unavailable: bool = False,
               done: str | None = None) -> HTMLResponse:
    if view.answer.unavailable:
        return render(request, "work/case_unavailable.html", 503, officer=officer)
    if not view.answer.ok:
        return render(request, "work/case_unavailable.html", 404 if view.answer.status == 404 else view.answer.status,
                      officer=officer, refused=view.answer.body)
    values = {**cases.initial_values(view), **(form.values if form else {})}
    form = Form(values, cases.row_count(values, "rows"), form.errors if form else [])
    done_action = next((a.action for a in cases.ACTIONS.values() if a.slug == done), None)
    return render(request, "work/case.html", status, officer=officer, view=view, case=view.case, form=form,
                  posted=posted, refused=refused, unavailable=unavailable, done=done_action,
                  forms=cases.ACTIONS, field_label=cases.label, choices=lambda _: cases.choices(view, _))


@router.get("/staff/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: CaseId, officer: CurrentOfficer,
              done: Annotated[str | None, Query(max_length=40)] = None):
    view = cases.load(clients(request), officer_headers(request, officer), case_id)
    return _case_page(request, officer, view, done=done)


@router.post("/staff/cases/{case_id}/{slug}", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)],
             openapi_extra=route_emits(none="forwards the step to identification (POST /api/v1/cases/{id}/...), which "
                                            "writes its events; stores nothing in the portal"))
async def case_action(request: Request, case_id: CaseId, slug: Annotated[str, Path(max_length=40)],
                      officer: CurrentOfficer):
    if slug not in cases.BY_SLUG:
        return render(request, "work/case_unavailable.html", 404, officer=officer, refused={})
    values = await form_values(request)
    values.pop("csrf_token", None)
    authorization = officer_headers(request, officer)
    if slug == "assessment" and "add_row" in values:  # one more member, without sending (no JavaScript needed)
        view = cases.load(clients(request), authorization, case_id)
        more = cases.add_member_row(values)
        return _case_page(request, officer, view, form=Form(more, cases.row_count(more, "rows")), posted=slug)
    outcome = cases.perform(clients(request), authorization, case_id, slug, values)
    if outcome.ok:
        return RedirectResponse(f"/staff/cases/{quote(case_id, safe='')}?done={slug}", status_code=303)
    view = cases.load(clients(request), authorization, case_id)
    answer = outcome.answer
    return _case_page(request, officer, view, status=answer.status, form=outcome.form, posted=slug,
                      unavailable=answer.unavailable,
                      refused=None if answer.unavailable or outcome.form.errors else answer.body)
