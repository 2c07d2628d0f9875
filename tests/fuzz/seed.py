"""Seed data for the fuzz and time-model passes: each service's own consumer handlers applied to the contract
examples of the events it receives (the way real data arrives), then the ids found in its tables."""
from __future__ import annotations

import json
import logging
from collections import defaultdict

from sqlalchemy import func, select

from shared.contracts import contracts_dir
from shared.envelope import from_envelope
from tests.fuzz.apps import ServiceApp

log = logging.getLogger(__name__)


def example(event_type: str) -> dict | None:
    path = contracts_dir() / "examples" / f"{event_type}.v1.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def apply_examples(svc: ServiceApp) -> list[str]:
    """Runs every consumer handler of the service on its event's contract example, each in its own transaction.
    Returns what could not be applied (a handler refusing an example is the service's business, not the seed's)."""
    refused = []
    from shared import unit_of_work
    guard = unit_of_work.install_runtime_guard(svc.runtime)
    strict, guard.strict = guard.strict, False  # seed what the handlers write; their guard verdicts are reported
    try:
        return _apply(svc, refused, unit_of_work)
    finally:
        guard.strict = strict


def _apply(svc: ServiceApp, refused: list[str], unit_of_work) -> list[str]:
    for spec in svc.runtime.consumers:
        for event_type, handler in spec.handlers.items():
            envelope = example(event_type)
            if envelope is None:
                refused.append(f"{event_type}: no contract example")
                continue
            before = len(unit_of_work.VIOLATIONS)
            outbox_before = outbox_max(svc)
            try:
                with svc.runtime.session_factory() as session, session.begin():
                    handler(session, from_envelope(envelope))
            except Exception as exc:  # noqa: BLE001 - reported, the pass goes on with what was seeded
                refused.append(f"{spec.name} {event_type}: {type(exc).__name__}: {exc}"[:300])
            for violation in unit_of_work.VIOLATIONS[before:]:
                refused.append(f"{spec.name} {event_type}: event guard: {violation}")
            refused += undeclared_events(f"{spec.name} {event_type}", handler, svc, outbox_before)
    return refused


def service_types() -> list[str]:
    from assistance.domain.catalogue import SERVICE_TYPES
    return list(SERVICE_TYPES)


# Records that only staff create through the API (nothing arrives for them by event): made once before the fuzz,
# so that the routes under them (providers, referrals, provider actions) are reached with real ids too.
SEED_REQUESTS = {
    "assistance": lambda: [("POST", "/api/v1/providers", {
        "provider_id": "fuzz-provider", "name": "五华区综合服务中心", "kind": "social_organisation",
        "areas": ["530102"],
        "services": [{"service_type": t, "capacity_per_period": 5, "unit_cost_yuan": "100"} for t in service_types()]})],
    # a draft (which publishes the national defaults first): approval, rejection and the views get a real id
    "policy": lambda: [("POST", "/api/v1/rulesets", {
        "region": "530102", "version": 2, "effective_from": "2099-01-01", "title": "五华区 2099 年低保标准",
        "legal_basis": {"document_number": "五民发〔2098〕1号"},
        "overrides": {"standards": {"dibao_standard_yuan_per_person_month": 650}}})],
    # a petition from the public (nothing arrives for it by event): the staff steps and the status get a real id
    "oversight": lambda: [("POST", "/api/v1/public/petitions", {
        "category": "wrongly_missed", "division_code": "530102001001", "contact": {"phone": "13912345678"},
        "description": "村里一户老人独居，重病无收入，一直没有纳入低保。"})],
    # a consent decision on the examples' household: the consent list and its audit trail get real rows
    "exchange": lambda: [("POST", "/api/v1/households/0b8e7d6c-5a4f-4e3d-9c2b-1a0f9e8d7c6b/consents", {
        "purpose": "employment_assistance", "decision": "granted", "division_code": "530102001001",
        "method": "signed_form", "reference": "F-2026-001"})],
}


def apply_requests(svc: ServiceApp) -> list[str]:
    """Runs the service's seed requests as an admin; returns the ones it refused (reported like seed refusals)."""
    from fastapi.testclient import TestClient

    refused = []
    client = TestClient(svc.app, raise_server_exceptions=False)
    for method, path, body in SEED_REQUESTS.get(svc.service, list)():
        answer = client.request(method, path, json=body, headers=svc.headers("admin"))
        if answer.status_code >= 300:
            refused.append(f"{method} {path}: {answer.status_code} {answer.text[:200]}")
    return refused


def outbox_max(svc: ServiceApp) -> int:
    outbox = svc.runtime.tables.outbox
    with svc.runtime.engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(outbox.c.id), 0))).scalar_one()


def new_event_types(svc: ServiceApp, after: int) -> list[str]:
    outbox = svc.runtime.tables.outbox
    with svc.runtime.engine.connect() as conn:
        return list(conn.execute(select(outbox.c.event_type).where(outbox.c.id > after)).scalars())


def undeclared_events(where: str, fn, svc: ServiceApp, outbox_before: int) -> list[str]:
    """A handler or job that wrote events its @emits does not list (only checked where it declares something)."""
    from tests.fuzz.declarations import resolve
    marked = resolve(fn)
    if marked is None:
        return []
    written = set(new_event_types(svc, outbox_before))
    if marked.__no_state_change__ and written:
        return [f"{where}: declared no state change but wrote events {sorted(written)}"]
    extra = sorted(written - set(marked.__emits__))
    return [f"{where}: wrote events it does not declare: {extra}"] if marked.__emits__ and extra else []


def run_periodic_jobs(svc: ServiceApp) -> list[str]:
    """Every timer job once, on whatever state the run has left, under the guard."""
    from shared import unit_of_work
    problems = []
    for name, _every, job in svc.runtime.periodic:
        before, outbox_before = len(unit_of_work.VIOLATIONS), outbox_max(svc)
        try:
            job(svc.runtime)
        except unit_of_work.MissingEvent:
            pass  # recorded in VIOLATIONS below
        except Exception as exc:  # noqa: BLE001
            problems.append(f"periodic {name}: {type(exc).__name__}: {exc}"[:300])
        problems += [f"periodic {name}: event guard: {v}" for v in unit_of_work.VIOLATIONS[before:]]
        problems += undeclared_events(f"periodic {name}", job, svc, outbox_before)
    return problems


def id_pools(svc: ServiceApp) -> dict[str, list[str]]:
    """Values for path parameters, by name: `case_id` from every column named case_id and the ids of the cases
    table; anything else from a column of the same name."""
    pools: dict[str, set] = defaultdict(set)
    with svc.runtime.engine.connect() as conn:
        for table in svc.runtime.metadata.sorted_tables:
            if table.name in ("outbox", "inbox", "idempotency_keys", "audit_log"):
                continue
            rows = conn.execute(select(table).limit(50)).mappings().all()
            singular = table.name.removesuffix("s").removesuffix("ie") if table.name.endswith("ies") else \
                table.name.removesuffix("s")
            for row in rows:
                for column, value in row.items():
                    if value is None or not isinstance(value, (str, int)) or isinstance(value, bool):
                        continue
                    pools[column].add(str(value))
                    if column == "id":
                        for name in (f"{singular}_id", f"{table.name}_id", f"{singular.split('_')[-1]}_id"):
                            pools[name].add(str(value))
    return {k: sorted(v) for k, v in pools.items()}


def harvest(body, pools: dict[str, list[str]]) -> None:
    """Ids seen in a response join the pools, so later cases reach records that earlier calls created."""
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, (str, int)) and not isinstance(value, bool) and (key.endswith("_id") or key == "id"):
                pool = pools.setdefault(key, [])
                if str(value) not in pool and len(pool) < 200:
                    pool.append(str(value))
            else:
                harvest(value, pools)
    elif isinstance(body, list):
        for item in body[:50]:
            harvest(item, pools)


def areas(pools: dict[str, list[str]]) -> dict[str, str]:
    """A village, township and county area that covers seeded records (from their division codes)."""
    codes = [c for c in pools.get("division_code", []) if len(c) == 12 and c.isdigit()]
    code = codes[0] if codes else "530102001001"
    return {"village": code, "township": code[:9], "county": code[:6]}
