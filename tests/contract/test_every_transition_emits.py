"""Every state change is an event: each entry point that can change state declares the events it publishes.

Static half: every non-GET route of every service declares `x-emits` (event types of that service's own
contracts) or `x-no-state-change` (why it changes nothing), and every consumer handler and periodic job carries
the same declaration from `@emits`. The dynamic half is the event guard (shared.unit_of_work), strict in every
test run: a commit that changes domain tables without an outbox row fails, and the fuzz run checks that what a
route declares is what it does.
"""
from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml
from fastapi.routing import APIRoute

from shared.contracts import contracts_dir
from tests.fuzz.apps import build
from tests.fuzz.declarations import resolve
from tests.services import SERVICES

CATALOG = yaml.safe_load((contracts_dir() / "catalog.yaml").read_text(encoding="utf-8"))["events"]
# The partner events (partner.<department>.<stream>.<event>) that exchange projects from the agreements: their
# contracts are under contracts/partners (contracts/asyncapi-partners.yaml), not in the internal catalog.
PARTNER_EVENTS = {p.name.rsplit(".v", 1)[0] for p in (contracts_dir() / "partners" / "events").glob("*.schema.json")}
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def sender(event_type: str) -> str:
    return event_type.split(".")[0]


def declaration_problems(service: str, where: str, emits, no_state_change) -> list[str]:
    """What is wrong with one entry point's declaration (empty when it is sound)."""
    emits = list(emits or [])
    if not emits and not (isinstance(no_state_change, str) and no_state_change.strip()):
        return [f"{where}: declares neither the events it emits nor why it changes no state"]
    if emits and no_state_change:
        return [f"{where}: declares events and 'no state change' at once"]
    problems = []
    for event_type in emits:
        if service == "exchange" and event_type in PARTNER_EVENTS:
            continue
        if event_type not in CATALOG:
            problems.append(f"{where}: emits {event_type!r}, which has no contract in contracts/catalog.yaml")
        elif sender(event_type) != service:
            problems.append(f"{where}: emits {event_type!r}, an event that {sender(event_type)} sends, not {service}")
    return problems


def api_routes(routes) -> list[tuple[str, set[str], dict]]:
    """(path, methods, openapi_extra) of every API route, including those of included routers (FastAPI keeps
    these as lazily built branches, not in app.routes) and those left out of the OpenAPI."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((route.path, set(route.methods), route.openapi_extra or {}))
        elif hasattr(route, "effective_candidates"):
            for candidate in route.effective_candidates():
                if hasattr(candidate, "effective_candidates"):
                    found += api_routes([candidate])
                elif isinstance(candidate.original_route, APIRoute):
                    found.append((candidate.path, set(candidate.original_route.methods), candidate.openapi_extra or {}))
    return found


def route_problems(service: str, app) -> list[str]:
    problems = []
    for path, methods, extra in api_routes(app.routes):
        for method in sorted(methods - READ_METHODS):
            problems += declaration_problems(service, f"{method} {path}", extra.get("x-emits"),
                                             extra.get("x-no-state-change"))
    return problems


def _name(fn) -> str:
    fn = getattr(fn, "func", fn)
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def handler_problems(service: str, runtime) -> list[str]:
    problems = []
    entries = [(f"consumer {spec.name} handler for {event_type} ({_name(fn)})", fn)
               for spec in runtime.consumers for event_type, fn in spec.handlers.items()]
    entries += [(f"periodic job {name} ({_name(job)})", job) for name, _every, job in runtime.periodic]
    for where, fn in entries:
        marked = resolve(fn)
        if marked is None:
            problems.append(f"{where}: no @emits(...) / @emits(none=...) declaration")
            continue
        problems += declaration_problems(service, where, marked.__emits__, marked.__no_state_change__)
    return problems


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    root = tmp_path_factory.mktemp("emits")
    return {s: build(s, f"sqlite:///{root}/{s}.db", migrate=False) for s in SERVICES}


# Services with no consumer and no timer, and why; the check below fails as soon as one gains a worker, so a
# new handler cannot slip past the declaration check.
WITHOUT_WORKERS: dict[str, str] = {}


def test_all_five_services_are_walked():
    assert SERVICES == ["discovery", "identification", "assistance", "gradual_exit", "followup", "policy", "oversight",
                        "exchange", "portal"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_state_changing_route_declares_its_events(service, apps):
    app = apps[service].app
    writes = [r for r in api_routes(app.routes) if r[1] - READ_METHODS and r[0] != "/dev/tokens"]
    assert writes, f"{service} has no state-changing routes: the walk found nothing to check"
    problems = route_problems(service, app)
    assert not problems, f"{service}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("service", SERVICES)
def test_every_consumer_handler_and_periodic_job_declares_its_events(service, apps):
    runtime = apps[service].runtime
    if service in WITHOUT_WORKERS:
        assert not runtime.consumers and not runtime.periodic, \
            f"{service} now has workers: remove it from WITHOUT_WORKERS so they are checked"
        return
    assert runtime.consumers or runtime.periodic, f"{service} has no handlers: the walk found nothing to check"
    problems = handler_problems(service, runtime)
    assert not problems, f"{service}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("service", SERVICES)
def test_the_exported_openapi_carries_the_declarations(service):
    """Partners read x-emits in contracts/openapi/<service>.json: it must say the same as the app."""
    import json
    doc = json.loads((contracts_dir() / "openapi" / f"{service}.json").read_text(encoding="utf-8"))
    problems = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method.upper() in READ_METHODS or not isinstance(op, dict):
                continue
            problems += declaration_problems(service, f"{method.upper()} {path}", op.get("x-emits"),
                                             op.get("x-no-state-change"))
    assert not problems, f"contracts/openapi/{service}.json:\n  " + "\n  ".join(problems)


# -- the checker checks: it must fail on each kind of violation ------------------------------------------------
def test_the_declaration_check_refuses_each_kind_of_violation():
    from shared.emits import emits, route_emits
    assert declaration_problems("identification", "POST /x", None, None)
    assert declaration_problems("identification", "POST /x", [], "  ")
    assert declaration_problems("identification", "POST /x", ["identification.case.nonexistent"], None)
    assert declaration_problems("identification", "POST /x", ["discovery.clue.raised"], None)  # another's event
    assert declaration_problems("identification", "POST /x", ["identification.case.opened"], "and none")
    good = route_emits("identification.case.opened")
    assert not declaration_problems("identification", "POST /x", good["x-emits"], good.get("x-no-state-change"))
    none = route_emits(none="a stateless check")
    assert not declaration_problems("identification", "POST /x", none["x-emits"], none["x-no-state-change"])

    @emits("identification.case.opened")
    def declared(session, event):
        pass

    def undeclared(session, event):
        pass

    assert resolve(declared) is declared
    assert resolve(functools.partial(declared, services=None)) is declared
    assert resolve(lambda s, e: declared(s, e)) is declared
    assert resolve(undeclared) is None
    assert resolve(lambda s, e: undeclared(s, e)) is None


def test_the_route_walk_finds_an_undeclared_route():
    from fastapi import FastAPI

    from shared.emits import route_emits
    app = FastAPI()
    app.post("/declared", openapi_extra=route_emits("identification.case.opened"))(lambda: None)
    app.post("/undeclared")(lambda: None)
    app.get("/read")(lambda: None)
    from fastapi import APIRouter
    router = APIRouter(prefix="/r")
    router.put("/nested")(lambda: None)
    app.include_router(router)
    assert sorted(route_problems("identification", app)) == [
        "POST /undeclared: declares neither the events it emits nor why it changes no state",
        "PUT /r/nested: declares neither the events it emits nor why it changes no state"]


def test_a_file_is_named_for_each_service():
    for service in SERVICES:
        assert (Path(contracts_dir()) / "openapi" / f"{service}.json").exists()
