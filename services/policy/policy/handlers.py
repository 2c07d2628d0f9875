"""policy's use cases: the national defaults at first start, drafts, the second officer's approval or rejection,
and POLICY_DIR files. Each changes state and writes its event (outbox) and audit row in the caller's transaction."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policy import national
from policy.domain import document as doc
from policy.models import RuleSet, audit_log
from shared import audit
from shared.audit import SYSTEM
from shared.auth import Principal, require_area, require_role
from shared.clock import Clock, china_time
from shared.emits import emits
from shared.envelope import Event
from shared.outbox import OutboxWriter
from shared.policy_client import PolicyEntry, rule_version, select_entry

SOURCE = "/services/policy"
# a policy officer of a province, prefecture or county, and a county officer; admin always passes require_role
OFFICER_ROLES = ("policy", "county")
ACTION_ZH = {"submit": "提交规则草案", "approve": "批准规则版本", "reject": "驳回规则草案", "read": "查看规则版本"}
STATUS_ZH = {"submitted": "待批准", "rejected": "已驳回", "published": "已发布"}
FOLDER = Principal(subject="policy-dir", role="system", area="", name="POLICY_DIR")
REBASE = Principal(subject="policy-rebase", role="system", area="", name="rebase on a changed parent")


class NotFound(LookupError):
    pass


class InvalidDraft(ValueError):
    """The draft breaks the schema or a semantic rule; nothing was written."""

    def __init__(self, problems: list[doc.Problem]):
        super().__init__("; ".join(f"{p.path}: {p.rule}" for p in problems))
        self.problems = problems


class Refused(Exception):
    """A step the workflow does not allow (409) or the caller may not take (403); en + zh."""

    def __init__(self, status: int, code: str, en: str, zh: str, **extra):
        super().__init__(en)
        self.status, self.code, self.en, self.zh, self.extra = status, code, en, zh, extra


class FolderError(ValueError):
    """A POLICY_DIR document is not valid: the message names the file and the parameter path."""


@dataclass
class Services:
    outbox: OutboxWriter
    clock: Clock
    defaults: Callable[[], national.NationalDefaults] = field(default=national.build)

    def today(self) -> date:
        return china_time(self.clock.now()).date()


@dataclass(frozen=True)
class Draft:
    region: str
    version: int
    effective_from: date
    effective_to: date | None
    title: str
    legal_basis: dict
    overrides: dict


def _entry(r: RuleSet) -> PolicyEntry:
    return PolicyEntry(r.rule_version, r.region, r.version, r.effective_from, r.effective_to, r.document)


def published(session: Session) -> list[RuleSet]:
    return list(session.scalars(select(RuleSet).where(RuleSet.status == "published")))


def in_force(session: Session, region: str, day: date) -> RuleSet | None:
    """The published version in force for a region (or division code) on a day, as every consumer selects it."""
    rows = {r.rule_version: r for r in published(session)}
    found = select_entry([_entry(r) for r in rows.values()], region, day)
    return rows[found.rule_version] if found else None


def get(session: Session, ruleset_id: str) -> RuleSet:
    row = session.get(RuleSet, ruleset_id)
    if row is None:
        raise NotFound(ruleset_id)
    return row


def published_data(r: RuleSet) -> dict:
    return {"ruleset_id": r.id, "region": r.region, "version": r.version, "rule_version": r.rule_version,
            "title": r.title, "effective_from": r.effective_from.isoformat(),
            "effective_to": r.effective_to.isoformat() if r.effective_to else None,
            "legal_basis": r.legal_basis, "source": r.source, "replaces": r.replaces, "proposed_by": r.proposed_by,
            "approved_by": r.decided_by, "published_at": r.decided_at.isoformat(), "overrides": r.overrides,
            "document": r.document}


def _publish(session: Session, svc: Services, r: RuleSet) -> None:
    # key = the region's prefix and the version: compaction keeps every version of a region, not only the newest
    svc.outbox.add(session, Event(type="policy.ruleset.published", source=SOURCE, subject=r.rule_version,
                                  data=published_data(r)))


# -- national defaults ------------------------------------------------------------------------------------------

@emits("policy.ruleset.published")
def ensure_national(session: Session, svc: Services) -> RuleSet:
    """Version 1 of the national document, built from the shipped national files and published once."""
    existing = session.scalar(select(RuleSet).where(RuleSet.region == "", RuleSet.status == "published")
                              .order_by(RuleSet.version))
    if existing is not None:
        return existing
    defaults = svc.defaults()
    problems = doc.document_problems(defaults.document)
    if problems:
        raise national.NationalDefaultsError("; ".join(f"{p.path}: {p.rule}: {p.message}" for p in problems))
    now = svc.clock.now()
    row = RuleSet(id=str(uuid.uuid4()), region="", version=1, rule_version=rule_version("", 1), status="published",
                  title=defaults.title, effective_from=defaults.effective_from, effective_to=None,
                  legal_basis=defaults.legal_basis, overrides={},
                  document=defaults.document, replaces=None, source="national", source_file=None,
                  proposed_by=SYSTEM.subject, proposed_by_role=SYSTEM.role, proposed_at=now,
                  decided_by=SYSTEM.subject, decided_at=now, decision_note="loaded at first start")
    session.add(row)
    session.flush()
    audit.record(session, audit_log, actor=SYSTEM, at=now, action="publish_national_defaults", entity_type="ruleset",
                 entity_id=row.id, to_state="published", details={"sources": defaults.sources})
    _publish(session, svc, row)
    return row


# -- drafts -----------------------------------------------------------------------------------------------------

def _check(session: Session, svc: Services, draft: Draft, *, exclude_id: str | None, prefix: str = "overrides",
           retroactive_ok: bool = False) -> tuple[list[doc.Problem], dict | None, RuleSet | None]:
    """Every problem of the draft, and (when there is none) the resolved document and the version it replaces."""
    approved = [doc.Period(r.version, r.effective_from, r.effective_to) for r in published(session)
                if r.region == draft.region and r.id != exclude_id]
    today = draft.effective_from if retroactive_ok else svc.today()
    problems = doc.period_problems(doc.Period(draft.version, draft.effective_from, draft.effective_to), approved, today)
    taken = session.scalar(select(RuleSet).where(RuleSet.region == draft.region, RuleSet.version == draft.version))
    if taken is not None and taken.id != exclude_id:
        problems.append(doc.Problem("version", "version_unused",
                                    f"version {draft.version} of region {draft.region} already exists "
                                    f"({taken.status}); a correction is a new version",
                                    f"本地区第 {draft.version} 版已存在（{STATUS_ZH[taken.status]}），更正请另立新版本"))
    base = in_force(session, draft.region, draft.effective_from)
    if base is None:
        problems.append(doc.Problem("effective_from", "parent_in_force",
                                    f"no published version (national or of a shorter prefix of {draft.region}) is in "
                                    f"force on {draft.effective_from}", f"{draft.effective_from} 没有可供覆盖的上级规则"))
        return problems, None, None
    if "calendar" in draft.overrides:
        problems.append(doc.Problem("overrides.calendar", "calendar_is_national",
                                    "the working-day calendar is national: the services count deadlines with "
                                    "shared/calendars/<year>.json, which a regional version cannot change",
                                    "工作日历由全国统一发布（shared/calendars/<年份>.json），地区版本不能修改"))
    found = doc.override_problems(base.document, draft.overrides)
    merged = None
    if not found:
        merged = doc.merge(base.document, draft.overrides)
        found = doc.document_problems(merged)
    problems += [doc.Problem(f"{prefix}.{p.path}", p.rule, p.message, p.message_zh) for p in found]
    return problems, merged, base


def _officer(principal: Principal, action: str, region: str) -> None:
    require_role(principal, OFFICER_ROLES, action, action_zh=ACTION_ZH[action])


@emits("policy.draft.submitted", "policy.ruleset.published")
def submit(session: Session, svc: Services, principal: Principal, draft: Draft) -> RuleSet:
    _officer(principal, "submit", draft.region)
    if not draft.region.startswith(principal.area):
        raise Refused(403, "outside_area", f"You may draft rules only for your area ({principal.area}).",
                      f"只能为本辖区（{principal.area}）起草规则。", rule="region_within_area")
    ensure_national(session, svc)
    problems, merged, base = _check(session, svc, draft, exclude_id=None)
    if problems:
        raise InvalidDraft(problems)
    now = svc.clock.now()
    # the regions under it would be rebased on approval: a draft that would break one is refused now
    reconcile(session, svc, RuleSet(id="", region=draft.region, version=draft.version,
                                    rule_version=rule_version(draft.region, draft.version), status="published",
                                    title=draft.title, effective_from=draft.effective_from,
                                    effective_to=draft.effective_to, legal_basis=draft.legal_basis,
                                    overrides=draft.overrides, document=merged, replaces=base.rule_version,
                                    source="api"), dry_run=True)
    row = RuleSet(id=str(uuid.uuid4()), region=draft.region, version=draft.version,
                  rule_version=rule_version(draft.region, draft.version), status="submitted", title=draft.title,
                  effective_from=draft.effective_from, effective_to=draft.effective_to,
                  legal_basis=draft.legal_basis, overrides=draft.overrides, document=merged,
                  replaces=base.rule_version, source="api", source_file=None, proposed_by=principal.subject,
                  proposed_by_role=principal.role, proposed_at=now)
    session.add(row)
    session.flush()
    changes = doc.diff(base.document, merged)
    audit.record(session, audit_log, actor=principal, at=now, action="submit", entity_type="ruleset",
                 entity_id=row.id, to_state="submitted", details={"replaces": base.rule_version, "changes": changes})
    svc.outbox.add(session, Event(type="policy.draft.submitted", source=SOURCE, subject=row.rule_version, data={
        "ruleset_id": row.id, "region": row.region, "version": row.version, "rule_version": row.rule_version,
        "title": row.title, "effective_from": row.effective_from.isoformat(),
        "effective_to": row.effective_to.isoformat() if row.effective_to else None, "legal_basis": row.legal_basis,
        "replaces": row.replaces, "proposed_by": row.proposed_by, "proposed_at": now.isoformat(),
        "changes": [{"path": c["path"], "before": c["before"], "after": c["after"]} for c in changes]}))
    return row


def _decidable(session: Session, principal: Principal, ruleset_id: str, action: str) -> RuleSet:
    _officer(principal, action, "")
    row = get(session, ruleset_id)
    require_area(principal, row.region)
    if row.status != "submitted":
        raise Refused(409, "version_final",
                      f"Version {row.rule_version} is {row.status}: a decided version is never changed; a correction "
                      f"is a new version.",
                      f"第 {row.version} 版{STATUS_ZH[row.status]}，已定版本不得修改；更正请另立新版本。",
                      rule="versions_immutable", ruleset_status=row.status)
    return row


# -- keeping every region's documents true to its parents ---------------------------------------------------------

def _ancestor_in_force(rows: list[RuleSet], region: str, day: date) -> RuleSet | None:
    entries = {r.rule_version: r for r in rows if region.startswith(r.region) and r.region != region}
    found = select_entry([_entry(r) for r in entries.values()], region, day)
    return entries[found.rule_version] if found else None


def _own_in_force(rows: list[RuleSet], region: str, day: date) -> RuleSet | None:
    entries = {r.rule_version: r for r in rows if r.region == region}
    found = select_entry([_entry(r) for r in entries.values()], region, day)
    return entries[found.rule_version] if found else None


def _region_overrides(rows: list[RuleSet], own: RuleSet) -> tuple[dict, str | None]:
    """What the region itself sets (its versions' overrides, oldest first, merged) and the ancestor version that
    chain was first merged onto: a draft's overrides are a change to the version it replaces, which may be the
    region's own previous version."""
    by_version = {r.rule_version: r for r in rows}
    chain, row = [], own
    while row is not None and row.region == own.region:
        chain.append(row.overrides)
        row = by_version.get(row.replaces) if row.replaces else None
    total: dict = {}
    for overrides in reversed(chain):
        total = doc.merge(total, overrides)
    return total, row.rule_version if row is not None else None


@emits("policy.ruleset.published")
def reconcile(session: Session, svc: Services, trigger: RuleSet, *, dry_run: bool = False) -> list[RuleSet]:
    """After `trigger` is published: every region under it (and its own region, for parents that change during its
    period) keeps, from the trigger's first day, a document equal to its parent in force merged with its overrides.

    A published document is the parent's merged with the region's overrides *on the day it was approved*. When a
    parent changes later (the province raises its standard while a county has its own version), the county's
    document would keep the old standard; so a new version of the county is published from the day the parent
    changes (source "rebased": the same overrides and legal basis, merged onto the new parent), and the decisions
    cite it. A rebased document that breaks a rule refuses the publication that caused it, naming the region.
    With `dry_run` (a draft being submitted) nothing is written: the check alone, so the officer learns it first.
    """
    created: list[RuleSet] = []
    since = trigger.effective_from
    rows = published(session)
    if trigger not in rows:
        rows.append(trigger)
    regions = sorted({r.region for r in rows if r.region and r.region.startswith(trigger.region)},
                     key=lambda region: (len(region), region))
    for region in regions:
        related = [r for r in rows if region.startswith(r.region)]
        days = sorted({d for r in related for d in (r.effective_from,
                                                    r.effective_to + timedelta(days=1) if r.effective_to else None)
                       if d is not None and d >= since} | {since})
        for day in days:
            own = _own_in_force(rows, region, day)
            parent = _ancestor_in_force(rows, region, day)
            if own is None or parent is None:
                continue
            overrides, _first_parent = _region_overrides(rows, own)
            expected = doc.merge(parent.document, overrides)
            if expected == own.document:
                continue
            problems = doc.document_problems(expected)
            if problems:
                raise InvalidDraft([doc.Problem(f"rebased {own.rule_version}: {p.path}", p.rule,
                                                f"publishing {trigger.rule_version} would make region {region}'s "
                                                f"version {own.rule_version} break a rule from {day}: {p.message}",
                                                f"发布 {trigger.rule_version} 后，{region} 地区第 {own.version} 版自 "
                                                f"{day} 起将不符合规则：{p.message_zh}") for p in problems])
            # above every version of the region, drafts included (the (region, version) pair is unique)
            version = (session.scalar(select(func.max(RuleSet.version)).where(RuleSet.region == region)) or 0) + 1
            now = svc.clock.now()
            row = RuleSet(id=str(uuid.uuid4()), region=region, version=version,
                          rule_version=rule_version(region, version), status="published",
                          title=f"{own.title} (rebased on {parent.rule_version} / 随上级规则更新)"[:200],
                          effective_from=day, effective_to=own.effective_to, legal_basis=own.legal_basis,
                          overrides=overrides, document=expected, replaces=parent.rule_version, source="rebased",
                          source_file=own.source_file, proposed_by=REBASE.subject, proposed_by_role=REBASE.role,
                          proposed_at=now, decided_by=REBASE.subject, decided_at=now,
                          decision_note=f"{own.rule_version} merged onto {parent.rule_version}, published after "
                                        f"{trigger.rule_version}")
            rows.append(row)
            created.append(row)
            if dry_run:
                continue
            session.add(row)
            session.flush()
            audit.record(session, audit_log, actor=REBASE, at=now, action="rebase", entity_type="ruleset",
                         entity_id=row.id, to_state="published",
                         details={"of": own.rule_version, "onto": parent.rule_version, "after": trigger.rule_version,
                                  "changes": doc.diff(own.document, expected)})
            _publish(session, svc, row)
    return created


@emits("policy.ruleset.published")
def approve(session: Session, svc: Services, principal: Principal, ruleset_id: str, note: str | None) -> RuleSet:
    row = _decidable(session, principal, ruleset_id, "approve")
    if principal.subject == row.proposed_by:
        raise Refused(409, "four_eyes", "The officer who proposed a version may not approve it; a second officer must.",
                      "提出草案的工作人员不得自行批准，须由另一名工作人员批准。", rule="second_officer_approves")
    draft = Draft(row.region, row.version, row.effective_from, row.effective_to, row.title, row.legal_basis,
                  row.overrides)
    # what was approved elsewhere since the submission counts: the draft is checked and merged again
    problems, merged, base = _check(session, svc, draft, exclude_id=row.id)
    if problems:
        raise InvalidDraft(problems)
    now = svc.clock.now()
    row.status, row.document, row.replaces = "published", merged, base.rule_version
    row.decided_by, row.decided_at, row.decision_note = principal.subject, now, note
    session.flush()
    audit.record(session, audit_log, actor=principal, at=now, action="approve", entity_type="ruleset",
                 entity_id=row.id, from_state="submitted", to_state="published", details={"note": note} if note else None)
    _publish(session, svc, row)
    reconcile(session, svc, row)
    return row


@emits("policy.draft.rejected")
def reject(session: Session, svc: Services, principal: Principal, ruleset_id: str, reason: str) -> RuleSet:
    row = _decidable(session, principal, ruleset_id, "reject")
    now = svc.clock.now()
    row.status, row.decided_by, row.decided_at, row.decision_note = "rejected", principal.subject, now, reason
    session.flush()
    audit.record(session, audit_log, actor=principal, at=now, action="reject", entity_type="ruleset",
                 entity_id=row.id, from_state="submitted", to_state="rejected", details={"reason": reason})
    svc.outbox.add(session, Event(type="policy.draft.rejected", source=SOURCE, subject=row.rule_version, data={
        "ruleset_id": row.id, "region": row.region, "version": row.version, "rule_version": row.rule_version,
        "rejected_by": principal.subject, "rejected_at": now.isoformat(), "reason": reason}))
    return row


def changes_of(session: Session, row: RuleSet) -> tuple[RuleSet | None, list[dict]]:
    """The version a draft replaces (re-resolved for a pending draft) and the parameters it changes."""
    if row.status == "submitted":
        base = in_force(session, row.region, row.effective_from)
    else:
        base = session.scalar(select(RuleSet).where(RuleSet.rule_version == row.replaces)) if row.replaces else None
    return base, doc.diff(base.document if base else None, row.document) if base else []


# -- POLICY_DIR -------------------------------------------------------------------------------------------------

def read_folder(folder: Path) -> list[tuple[str, Draft]]:
    """Every *.json of the folder as a draft, parents first; a bad file raises FolderError naming file and path."""
    drafts = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FolderError(f"{path.name}: not readable JSON ({exc})") from None
        problems = doc.release_problems(data)
        if problems:
            raise FolderError(f"{path.name}: " + "; ".join(f"{p.path}: {p.rule}: {p.message}" for p in problems))
        drafts.append((path.name, Draft(data["region"], data["version"], date.fromisoformat(data["effective_from"]),
                                        date.fromisoformat(data["effective_to"]) if data.get("effective_to") else None,
                                        data["title"], data["legal_basis"], data["overrides"])))
    drafts.sort(key=lambda d: (len(d[1].region), d[1].effective_from, d[1].version))
    return drafts


@emits("policy.ruleset.published")
def load_shipped(session: Session, svc: Services) -> list[RuleSet]:
    """The regional releases shipped with the platform (shared/policy_bundle/releases), published once each."""
    return load_folder(session, svc, national.BUNDLE / "releases", source="shipped")


@emits("policy.ruleset.published")
def load_folder(session: Session, svc: Services, folder: Path, source: str = "folder") -> list[RuleSet]:
    """Publishes each file's version once (a region and version already there is left as it is)."""
    ensure_national(session, svc)
    loaded = []
    for name, draft in read_folder(folder):
        if session.scalar(select(RuleSet.id).where(RuleSet.region == draft.region,
                                                   RuleSet.version == draft.version)) is not None:
            continue
        # a folder ships the rules a province already has in force: past effective dates are what it means
        problems, merged, base = _check(session, svc, draft, exclude_id=None, retroactive_ok=True)
        if problems:
            raise FolderError(f"{name}: " + "; ".join(f"{p.path}: {p.rule}: {p.message}" for p in problems))
        now = svc.clock.now()
        row = RuleSet(id=str(uuid.uuid4()), region=draft.region, version=draft.version,
                      rule_version=rule_version(draft.region, draft.version), status="published", title=draft.title,
                      effective_from=draft.effective_from, effective_to=draft.effective_to,
                      legal_basis=draft.legal_basis, overrides=draft.overrides, document=merged,
                      replaces=base.rule_version, source=source, source_file=name, proposed_by=FOLDER.subject,
                      proposed_by_role=FOLDER.role, proposed_at=now, decided_by=FOLDER.subject, decided_at=now,
                      decision_note=f"loaded from {'POLICY_DIR' if source == 'folder' else 'the shipped bundle'}/{name}")
        session.add(row)
        session.flush()
        audit.record(session, audit_log, actor=FOLDER, at=now, action=f"publish_from_{source}", entity_type="ruleset",
                     entity_id=row.id, to_state="published", details={"file": name, "replaces": base.rule_version})
        _publish(session, svc, row)
        reconcile(session, svc, row)
        loaded.append(row)
    return loaded


# -- preview ----------------------------------------------------------------------------------------------------

def preview_targets(setting: str) -> list[tuple[str, str]]:
    """POLICY_PREVIEW_URLS ("name=url,name=url") as (name, base url) pairs; a malformed pair is a start-up error."""
    targets = []
    for part in filter(None, (p.strip() for p in setting.split(","))):
        name, sep, url = part.partition("=")
        if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
            raise ValueError(f"POLICY_PREVIEW_URLS: {part!r} is not name=http(s)://host:port")
        targets.append((name.strip(), url.strip().rstrip("/")))
    return targets


def gather_previews(setting: str, body: dict, authorization: str | None, timeout: float) -> list[dict]:
    """Each configured service's answer to the preview, or why there is none (never raises for one service)."""
    import httpx

    answers = []
    for name, url in preview_targets(setting):
        try:
            r = httpx.post(f"{url}/api/v1/policy/preview", json=body, timeout=timeout,
                           headers={"Authorization": authorization} if authorization else {})
        except httpx.HTTPError as exc:
            answers.append({"service": name, "status": "unavailable", "reason": f"{type(exc).__name__}: {exc}"[:300]})
            continue
        if r.status_code == 200:
            answers.append({"service": name, "status": "ok", "result": r.json()})
        else:
            try:
                detail = r.json()
            except ValueError:
                detail = {"message": r.text[:300]}
            answers.append({"service": name, "status": "refused", "http_status": r.status_code, "reason": detail})
    return answers
