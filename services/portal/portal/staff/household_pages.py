"""The household file's pages (一户一档): search the officer's area, and one household's summary and timeline across
the five services, read from the portal's own read model (no call to a service per page view)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from portal.forms import programme_name
from portal.pages import render
from portal.staff import household_repository as repository
from portal.staff.household_consumer import search_key
from portal.staff.household_file import (CODED_VALUES, PROGRAMME_VALUES, SERVICES, Entry, link_of,
                                         looks_like_id_number, mask_id_number)
from portal.staff.household_tables import HouseholdEntry
from portal.models import access_log
from portal.staff.session import Officer, require_officer
from shared.access_audit import Access, record_request_access
from shared.auth import Principal

router = APIRouter(prefix="/staff/households", include_in_schema=False)  # pages, not an API (like portal.pages)
PER_PAGE = 20
# The personal data the household file shows (shared.access_audit records every read of them).
FILE_FIELDS = ("head_name_masked", "head_id_number_masked", "timeline")
MAX_PAGE = 10_000
MAX_QUERY = 64


def _page_number(raw: str | None) -> int:
    try:
        return min(MAX_PAGE, max(1, int(raw or 1)))
    except ValueError:
        return 1


def summary_text(entry: HouseholdEntry | Entry, _) -> str:
    """The entry's summary in the page language: its catalogue id with the values, programmes and codes named."""
    values = {name: _value(name, value, _) for name, value in (entry.summary_values or {}).items()}
    for message_id in (entry.summary_id, entry.summary_id.rsplit(".", 1)[0] if entry.summary_id.count(".") > 4 else ""):
        if not message_id:
            continue
        text = _(message_id)
        if text != message_id:
            try:
                return _(message_id, **values) if values else text
            except (KeyError, IndexError, ValueError):
                return text
    return _("hh.ev.generic", type=entry.event_type)


def _value(name: str, value, _):
    if isinstance(value, list):
        named = [_value(name, v, _) for v in value]
        return _("hh.list_separator").join(str(v) for v in named) if named else _("hh.none")
    if name in PROGRAMME_VALUES and isinstance(value, str):
        return programme_name(value, _)
    if name in CODED_VALUES and isinstance(value, str):
        message_id = f"hh.code.{name}.{value}"
        text = _(message_id)
        return value if text == message_id else text
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _label(prefix: str, code: str | None, _) -> str:
    if not code:
        return ""
    text = _(prefix + code)
    return code if text == prefix + code else text


def page_helpers(_) -> dict:
    return {"entry_summary": lambda e: summary_text(e, _), "entry_link": lambda e: link_of(e.entity_kind, e.entity_id),
            "service_name": lambda s: _label("hh.service.", s, _),
            "role_name": lambda r: _label("hh.role.", r, _),
            "status_name": lambda s: _label("hh.code.lifecycle_status.", s, _)}


def _gettext(request: Request):
    from portal.i18n import COOKIE, pick
    lang = pick(request.query_params.get("lang"), request.cookies.get(COOKIE))
    return request.app.state.services.catalogue.gettext(lang)


@router.get("", response_class=HTMLResponse)
def search_households(request: Request, officer: Officer = Depends(require_officer), q: str = "",
                      page: str | None = None):
    query = q.strip()[:MAX_QUERY]
    runtime = request.app.state.runtime
    with runtime.session_factory() as session:
        found = repository.search(session, officer.area, query, _page_number(page), PER_PAGE,
                                  key=search_key(runtime.settings))
    # An ID number typed in is not shown back in full (the page may be read over a shoulder or printed).
    shown = mask_id_number(query.upper()) if looks_like_id_number(query) else query
    return render(request, "household/search.html", officer=officer, query=query, shown_query=shown,
                  keep_query=shown == query, found=found,
                  **page_helpers(_gettext(request)))


@router.get("/{household_id}", response_class=HTMLResponse)
def household_file(request: Request, household_id: str, officer: Officer = Depends(require_officer),
                   service: str = "", page: str | None = None):
    runtime = request.app.state.runtime
    service = service if service in SERVICES else ""
    with runtime.session_factory() as session, session.begin():
        summary = repository.household(session, household_id, officer.area)
        if summary is None:
            return render(request, "household/not_found.html", status=404, officer=officer,
                          household_id=household_id[:128])
        record_request_access(session, request, access_log,
                              Principal(officer.subject, officer.role, officer.area, officer.name),
                              Access("household_file", summary.household_id[:64], summary.household_id[:64],
                                     summary.division_code or officer.area, FILE_FIELDS))
        entries = repository.timeline(session, summary.household_id, service or None, _page_number(page), PER_PAGE)
        counts = repository.services_of(session, summary.household_id)
    return render(request, "household/file.html", officer=officer, summary=summary, entries=entries,
                  service=service, counts=counts, services=SERVICES, **page_helpers(_gettext(request)))
