"""The one module through which the portal calls other services: httpx with timeouts, the correlation id
forwarded, and every failure turned into an answer a page can show (never a stack trace)."""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

from shared.observability import correlation_id
from shared.web import CORRELATION_HEADER


@dataclass
class Answer:
    """A service's answer as a page needs it: the status and the JSON body, or `unavailable` when none came."""

    status: int
    body: dict = field(default_factory=dict)
    unavailable: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def field_errors(self) -> list[dict]:
        """discovery's and identification's 422: [{field, rule, message, message_zh}, ...]."""
        return list(self.body.get("errors") or []) if self.status == 422 else []


class ServiceClient:
    def __init__(self, base_url: str, timeout: httpx.Timeout, transport: httpx.BaseTransport | None = None):
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport)

    def call(self, method: str, path: str, *, json: dict | None = None, params: dict | None = None,
             headers: dict | None = None) -> Answer:
        sent = {CORRELATION_HEADER: correlation_id.get() or ""} | (headers or {})
        try:
            response = self.http.request(method, path, json=json, params=params, headers=sent)
        except httpx.HTTPError:
            return Answer(503, unavailable=True)
        try:
            body = response.json()
        except ValueError:
            body = {}
        if isinstance(body, list):  # a bare list (the services' audit trails) as a page of items
            body = {"items": body}
        if response.status_code >= 500:
            return Answer(response.status_code, body if isinstance(body, dict) else {}, unavailable=True)
        return Answer(response.status_code, body if isinstance(body, dict) else {})


    def download(self, path: str, *, params: dict | None = None, headers: dict | None = None) -> httpx.Response | None:
        """A GET whose body is not JSON (a CSV export) passed through as it came; None when no answer came."""
        sent = {CORRELATION_HEADER: correlation_id.get() or ""} | (headers or {})
        try:
            return self.http.get(path, params=params, headers=sent)
        except httpx.HTTPError:
            return None


class ServiceClients:
    """One client per service the portal fronts: discovery (applications, status, clues), identification (the
    public self-check, cases), assistance, gradual_exit and followup (the staff side)."""

    NAMES = ("discovery", "identification", "assistance", "gradual_exit", "followup", "oversight")

    def __init__(self, discovery: ServiceClient, identification: ServiceClient, assistance: ServiceClient | None = None,
                 gradual_exit: ServiceClient | None = None, followup: ServiceClient | None = None,
                 oversight: ServiceClient | None = None):
        self.discovery, self.identification = discovery, identification
        self.assistance, self.gradual_exit, self.followup = assistance, gradual_exit, followup
        self.oversight = oversight  # petitions, KPIs, the access log

    @classmethod
    def from_settings(cls, settings, transport: httpx.BaseTransport | None = None) -> "ServiceClients":
        timeout = httpx.Timeout(settings.read_timeout_seconds, connect=settings.connect_timeout_seconds)
        return cls(*(ServiceClient(getattr(settings, f"{name}_url"), timeout, transport) for name in cls.NAMES))

    def of(self, service: str) -> ServiceClient:
        if service not in self.NAMES:
            raise KeyError(service)
        return getattr(self, service)

    def as_officer(self, service: str, method: str, path: str, authorization: dict, *, json: dict | None = None,
                   params: dict | None = None, headers: dict | None = None) -> Answer:
        """A staff page's call: the signed-in officer's identity forwarded as the Bearer token the portal minted."""
        return self.of(service).call(method, path, json=json, params=params, headers={**authorization, **(headers or {})})

    def eligibility_check(self, division_code: str, facts: dict) -> Answer:
        return self.identification.call("POST", "/api/v1/public/eligibility-check",
                                        json={"division_code": division_code, "facts": facts, "emergency": False})

    def submit_application(self, body: dict, idempotency_key: str) -> Answer:
        return self.discovery.call("POST", "/api/v1/applications", json=body,
                                   headers={"Idempotency-Key": idempotency_key})

    def application_status(self, application_id: str, id_number: str) -> Answer:
        return self.discovery.call("GET", f"/api/v1/applications/{quote(application_id, safe='')}/status",
                                   params={"id_number": id_number})
