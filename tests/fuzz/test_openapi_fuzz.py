"""Property-based fuzzing (schemathesis) of every service's exported OpenAPI, on SQLite and on PostgreSQL.

Each service runs in-process (ASGI, relay and consumers off, no broker) after its own consumer handlers have
applied the contract examples, so records exist; path parameters are drawn from the seeded ids (and the ids
later responses return) as well as generated, so the case and household endpoints are reached, not only their
404s. Callers are staff tokens for the seeded area (admin, county, township, village) and a partner token.

Every answer must be: not a 5xx (only /readyz may answer 503: the broker is away), an error body with error,
message and a Chinese message_zh, timestamps RFC 3339 with an offset; and what the route declares must be true:
a route that says it changes no state changes no domain table, one that declares events writes only those.
The event guard is strict, so a commit without its event is a 500 and is reported by name.
FUZZ_MAX sets the examples per operation (default small, for `make test`).
"""
from __future__ import annotations

import copy
import json
import logging
import os
from dataclasses import dataclass, field

import pytest
import schemathesis
from schemathesis.config import GenerationConfig
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from shared import unit_of_work
from tests.fuzz.apps import ServiceApp, build
from tests.fuzz.checks import date_time_paths, error_body_problems, naive, set_at, timestamp_problems
from tests.fuzz.seed import apply_examples, apply_requests, areas, harvest, id_pools, new_event_types, outbox_max, run_periodic_jobs
from tests.services import SERVICES

pytestmark = pytest.mark.fuzz


@schemathesis.serializer("application/x-ndjson", "text/csv")
def _file_body(_ctx, value) -> bytes:
    """Bulk uploads (JSON lines, CSV) are declared as binary strings: send them as they are."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX", "10"))
# schemathesis' coverage phase: each parameter's boundaries (minimum, maximum, one past them), wrong types,
# missing required fields and methods the route does not allow; at most this many per operation, spread evenly.
MAX_COVERAGE = int(os.environ.get("FUZZ_COVERAGE_MAX", str(3 * MAX_EXAMPLES)))


@dataclass
class Finding:
    method: str
    path: str
    status: int
    problem: str
    body: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}: {self.problem}\n      body: {self.body[:400]}"


@dataclass
class Run:
    svc: ServiceApp
    pools: dict[str, list[str]]
    tokens: dict[str, dict[str, str]]
    declared: dict[tuple[str, str], dict]
    body_date_times: dict[tuple[str, str], list[tuple]] = field(default_factory=dict)
    findings: dict[tuple, Finding] = field(default_factory=dict)
    calls: int = 0
    reached: set = field(default_factory=set)  # (method, path template) answered below 400 with seeded ids
    seed_refusals: list[str] = field(default_factory=list)

    def find(self, method: str, path: str, status: int, problem: str, body: str) -> None:
        key = (method, path, status, problem[:60])
        self.findings.setdefault(key, Finding(method, path, status, problem, body))


def _tokens(svc: ServiceApp, pools) -> dict[str, dict[str, str]]:
    area = areas(pools)
    departments = pools.get("department") or pools.get("source_department") or ["civil_affairs"]
    return {
        "admin": svc.headers("admin"),
        "county": svc.headers("county", area["county"]),
        "township": svc.headers("township", area["township"]),
        "village": svc.headers("village", area["village"]),
        "partner": svc.headers("partner", department=departments[0]),
    }


def _declarations(svc: ServiceApp) -> dict[tuple[str, str], dict]:
    out = {}
    for path, item in svc.app.openapi()["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict):
                out[(method.upper(), path)] = op
    return out


def _body_date_times(svc: ServiceApp) -> dict[tuple[str, str], list[tuple]]:
    """Per operation, where its JSON request body has `format: date-time` fields."""
    doc = svc.app.openapi()

    def resolve(schema):
        while isinstance(schema, dict) and "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    out = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            body = (((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}).get("schema")
            if body:
                paths = date_time_paths(body, resolve)
                if paths:
                    out[(method.upper(), path)] = paths
    return out


class _ServerErrors(logging.Handler):
    """The exceptions shared.web logs for 500s, so a finding names the cause, not only the correlation id."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            self.seen.append(f"{type(exc).__name__}: {str(exc)[:300]}")


SERVER_ERRORS = _ServerErrors()
logging.getLogger("shared.web").addHandler(SERVER_ERRORS)


def check_case(run: Run, case, role: str, use_seeded: bool, pick: int) -> None:
    template = case.operation.path
    method = case.method.upper()
    seeded = False
    if use_seeded and case.path_parameters:
        for name in list(case.path_parameters):
            pool = run.pools.get(name)
            if pool:
                case.path_parameters[name] = pool[pick % len(pool)]
                seeded = True
    role = "partner" if "/partner" in template and role != "admin" else role
    made_naive = []
    if pick % 3 == 0 and isinstance(case.body, (dict, list)):  # the same body with its date-times made naive
        for where in run.body_date_times.get((method, template), []):
            body_copy = copy.deepcopy(case.body)
            probe = []
            _collect(body_copy, where, probe)
            if probe and set_at(body_copy, where, naive(probe[0])) and probe[0] != naive(probe[0]):
                case.body = body_copy
                made_naive.append(".".join(map(str, where)))
    commits: list[tuple[set[str], int]] = []
    guard = run.svc.runtime.session_factory._event_guard
    guard.observer = lambda tables, events: commits.append((tables, events))
    violations_before = len(unit_of_work.VIOLATIONS)
    before = outbox_max(run.svc)
    SERVER_ERRORS.seen.clear()
    try:
        response = case.call(headers=run.tokens[role])
    finally:
        guard.observer = None
    run.calls += 1
    status = response.status_code
    text = response.text
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = text
    guarded = unit_of_work.VIOLATIONS[violations_before:]
    for violation in guarded:
        run.find(method, template, status, f"event guard: {violation}", text)
    if status >= 500 and not guarded and not (template == "/readyz" and status == 503):
        cause = "; ".join(SERVER_ERRORS.seen) or "no exception logged"
        run.find(method, template, status, f"server error: {cause}", text)
    if status >= 400:
        for problem in error_body_problems(status, body):
            run.find(method, template, status, f"error body: {problem}", text)
    if isinstance(body, (dict, list)):
        for problem in timestamp_problems(body)[:3]:
            run.find(method, template, status, f"timestamp: {problem}", text)
        if status < 400:
            harvest(body, run.pools)
        if seeded and (status < 400 or status == 409):  # found the record (409: found it, wrong state)
            run.reached.add((method, template))
    if made_naive and status < 400:
        run.find(method, template, status, f"accepted a date-time without offset in {made_naive}", text)
    op = run.declared.get((method, template), {})
    if method not in ("GET", "HEAD", "OPTIONS") and status < 400:
        changed = set().union(*(t for t, _ in commits)) if commits else set()
        if op.get("x-no-state-change") and changed:
            run.find(method, template, status, f"declared no state change but changed {sorted(changed)}", text)
        declared = set(op.get("x-emits") or [])
        if declared:
            extra = sorted(set(new_event_types(run.svc, before)) - declared)
            if extra:
                run.find(method, template, status, f"wrote events it does not declare: {extra}", text)


def _collect(instance, path: tuple, out: list) -> None:
    if not path:
        if isinstance(instance, str):
            out.append(instance)
        return
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(instance, list):
        for item in instance:
            _collect(item, rest, out)
    elif isinstance(instance, dict) and head in instance:
        _collect(instance[head], rest, out)


def fuzz(svc: ServiceApp) -> Run:
    refused = apply_examples(svc) + apply_requests(svc)
    pools = id_pools(svc)
    run = Run(svc, pools, _tokens(svc, pools), _declarations(svc), _body_date_times(svc))
    run.seed_refusals = refused
    for problem in refused:
        if "event guard" in problem or "declare" in problem:  # a handler whose events are not what it declares
            run.find("CONSUME", problem.split(":")[0], 0, problem, "")
    schema = schemathesis.openapi.from_asgi("/openapi.json", svc.app)
    roles = st.sampled_from(["admin", "admin", "county", "township", "village", "partner"])
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    for result in schema.get_all_operations():
        operation = result.ok()
        boundary = list(schema.iter_coverage_cases(operation, generation_modes=modes,
                                                   generation_config=GenerationConfig(modes=modes)))
        step = max(1, len(boundary) // MAX_COVERAGE) if MAX_COVERAGE else len(boundary) + 1
        for i, case in enumerate(boundary[::step][:MAX_COVERAGE]):
            check_case(run, case, "admin" if i % 3 else "county", i % 2 == 0, i)

        cases = st.one_of(operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
                          operation.as_strategy(schemathesis.GenerationMode.NEGATIVE))

        @given(case=cases, role=roles, use_seeded=st.booleans(), pick=st.integers(0, 1000))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def one(case, role, use_seeded, pick):
            check_case(run, case, role, use_seeded or bool(case.path_parameters) and pick % 4 != 0, pick)

        one()
    for problem in run_periodic_jobs(svc):
        run.find("TIMER", problem.split(":")[0], 0, problem, "")
    return run


def _report(run: Run) -> str:
    lines = [f"{run.svc.service}: {len(run.findings)} finding(s) in {run.calls} calls; reached with seeded ids: "
             f"{sorted(f'{m} {p}' for m, p in run.reached)}; seed refusals: {run.seed_refusals}"]
    lines += [f"  {f}" for f in sorted(run.findings.values(), key=lambda f: (f.path, f.method, f.status))]
    return "\n".join(lines)


def _assert_clean(run: Run) -> None:
    print(_report(run))
    assert run.calls > 0
    assert not run.findings, _report(run)


@pytest.fixture(autouse=True)
def strict_guard(monkeypatch):
    monkeypatch.setenv(unit_of_work.GUARD_ENV, "strict")


def _seeded_templates(svc: ServiceApp) -> set[tuple[str, str]]:
    return {(m, p) for (m, p), op in _declarations(svc).items() if "{" in p}


def _assert_reached(run, service: str) -> None:
    """A service with parameterised routes must have had them reached with seeded ids (the portal's OpenAPI lists
    only its health routes: its pages are HTML forms, tested in services/portal/tests and tests/browser)."""
    if _seeded_templates(run.svc):
        assert run.reached, f"{service}: no parameterised route was reached with seeded ids: {run.seed_refusals}"


@pytest.mark.parametrize("service", SERVICES)
def test_fuzz_on_sqlite(service, tmp_path):
    run = fuzz(build(service, f"sqlite:///{tmp_path}/{service}.db"))
    _assert_clean(run)
    _assert_reached(run, service)


@pytest.mark.parametrize("service", SERVICES)
def test_fuzz_on_postgresql(service, databases):
    run = fuzz(build(service, databases.create(service)))
    _assert_clean(run)
    _assert_reached(run, service)


def numeric_inputs_without_bounds(doc: dict) -> list[str]:
    """Every integer or number a client can send (path, query, header, JSON body) with a missing lower or upper
    bound: the OpenAPI must say the range, and the service must refuse what lies outside it with a 422."""
    schemas = doc.get("components", {}).get("schemas", {})
    problems: list[str] = []

    def resolve(schema):
        while isinstance(schema, dict) and "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def walk(schema, where: str, seen: frozenset):
        schema = resolve(schema)
        if not isinstance(schema, dict):
            return
        key = id(schema)
        if key in seen:
            return
        seen = seen | {key}
        if schema.get("type") in ("integer", "number"):
            lower = "minimum" in schema or "exclusiveMinimum" in schema
            upper = "maximum" in schema or "exclusiveMaximum" in schema
            if not (lower and upper):
                missing = " and ".join(n for n, ok in (("minimum", lower), ("maximum", upper)) if not ok)
                problems.append(f"{where}: {schema['type']} without {missing}")
        for name, sub in (schema.get("properties") or {}).items():
            walk(sub, f"{where}.{name}", seen)
        for k in ("items", "additionalProperties"):
            if isinstance(schema.get(k), dict):
                walk(schema[k], f"{where}[]" if k == "items" else f"{where}{{}}", seen)
        for k in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(k) or []:
                walk(sub, where, seen)

    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            label = f"{method.upper()} {path}"
            for param in op.get("parameters", []):
                walk(param.get("schema"), f"{label} {param['in']} {param['name']}", frozenset())
            for media, content in ((op.get("requestBody") or {}).get("content") or {}).items():
                if "json" in media:
                    walk(content.get("schema"), f"{label} body", frozenset())
    return sorted(set(problems))


def test_the_bounds_check_finds_an_unbounded_number():
    doc = {"paths": {"/x": {"get": {"parameters": [
        {"in": "query", "name": "offset", "schema": {"type": "integer", "minimum": 0}},
        {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}}}}},
        "components": {"schemas": {"B": {"properties": {"yuan": {"anyOf": [{"type": "number"}, {"type": "null"}]},
                                                        "age": {"type": "integer", "minimum": 0, "maximum": 130}}}}}}
    assert numeric_inputs_without_bounds(doc) == ["GET /x body.yuan: number without minimum and maximum",
                                                  "GET /x query offset: integer without maximum"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_numeric_input_is_bounded_in_the_openapi(service, tmp_path):
    problems = numeric_inputs_without_bounds(build(service, f"sqlite:///{tmp_path}/{service}.db", migrate=False).app.openapi())
    assert not problems, f"{service}: numeric inputs without bounds:\n  " + "\n  ".join(problems)
