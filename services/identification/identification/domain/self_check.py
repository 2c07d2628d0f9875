"""The citizen's self-check ("What can I get?"): one eligibility decision told in plain words, as an indication only.

The decision is eligibility's own (``decide`` under the rules in force for the division on the day); nothing here
adds, drops or changes a criterion. Per programme the answer gives a plain summary first, then the criteria that
matter: when it may fit, every criterion met; when not, only those that keep it from fitting
(``ProgrammeResult.unmet``), and a summary that says so when the only obstacle is a programme that takes its place
and may fit. The next step tells how to apply and that a decision follows a home visit, the village's
democratic review, a public notice and the county's approval; the note says that nothing was stored.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from identification.domain.eligibility import PROGRAMME_NAMES, Decision, ProgrammeResult, programme_name


@dataclass(frozen=True)
class Text:
    en: str
    zh: str


@dataclass(frozen=True)
class PlainReason:
    code: str
    en: str
    zh: str


@dataclass(frozen=True)
class ProgrammeFit:
    programme: str
    name_en: str
    name_zh: str
    may_fit: bool
    category: str | None
    reasons: tuple[PlainReason, ...]


@dataclass(frozen=True)
class SelfCheck:
    division_code: str
    on: date
    rule_version: str
    programmes: tuple[ProgrammeFit, ...]
    next_step: Text
    note: Text


SUMMARY = "summary"  # the code of the plain summary that opens every programme's reasons
# The reasons eligibility gives when a programme that takes the place of another qualifies ("not_dibao", ...).
_EXCLUSIONS = frozenset(f"not_{programme}" for programme in PROGRAMME_NAMES)


def self_check(division_code: str, on: date, decision: Decision) -> SelfCheck:
    """The decision as the portal shows it, programmes in the order eligibility evaluates them."""
    programmes = tuple(_fit(result) for result in decision.programmes)
    return SelfCheck(division_code, on, decision.rule_version, programmes,
                     _next_step(any(p.may_fit for p in programmes), decision.emergency),
                     _note(decision.rule_version, on))


def _fit(result: ProgrammeResult) -> ProgrammeFit:
    name_en, name_zh = PROGRAMME_NAMES[result.programme]
    shown_en, shown_zh = programme_name(result.programme, result.category)
    if result.eligible:
        summary = PlainReason(SUMMARY,
                              f"From your answers, your household meets the conditions of {shown_en}, so it may "
                              f"qualify.",
                              f"根据您填写的情况，您家符合{shown_zh}的条件，可能可以享受。")
        criteria = tuple(r for r in result.reasons if r.passed)
    else:
        criteria = result.unmet
        instead = [r.code.removeprefix("not_") for r in criteria if r.code in _EXCLUSIONS]
        if len(instead) == len(criteria):  # refused only because a programme that takes its place may fit
            others_en = " and ".join(PROGRAMME_NAMES[p][0] for p in instead)
            others_zh = "、".join(PROGRAMME_NAMES[p][1] for p in instead)
            summary = PlainReason(SUMMARY,
                                  f"From your answers, your household may qualify for {others_en} instead, which takes "
                                  f"the place of {name_en}.",
                                  f"根据您填写的情况，您家可能符合{others_zh}的条件，不再另行认定为{name_zh}。")
        else:
            summary = PlainReason(SUMMARY,
                                  f"From your answers, {name_en} does not appear to fit your household: "
                                  f"{_conditions_en(len(criteria))} below {'is' if len(criteria) == 1 else 'are'} "
                                  f"not met.",
                                  f"根据您填写的情况，{name_zh}看来不适合您家：下列{len(criteria)}项条件未满足。")
    return ProgrammeFit(result.programme, name_en, name_zh, result.eligible, result.category,
                        (summary, *(PlainReason(r.code, r.en, r.zh) for r in criteria)))


def _conditions_en(count: int) -> str:
    return "the condition" if count == 1 else f"the {count} conditions"


def _next_step(any_fit: bool, emergency: bool) -> Text:
    decided = ("This is only an indication from your own answers: whether you qualify is decided after a home visit "
               "that checks income and assets (with your authorisation), a democratic review in the village, a public "
               "notice and the county's approval.")
    decided_zh = "这只是根据您自己填写的情况给出的参考：是否认定，要经入户调查核实收入和财产（须经您授权）、村级民主评议、公示和县级审批后决定。"
    if any_fit:
        en = ("You can apply online on this portal, or at your township (subdistrict) civil-affairs office; the village "
              f"committee can help you apply. {decided}")
        zh = f"您可以在本平台在线申请，也可以到乡镇（街道）民政部门申请，村（居）委会可以帮您代办。{decided_zh}"
    else:
        en = ("Under these rules your answers do not appear to fit any programme. You may still apply online or at your "
              "township (subdistrict) civil-affairs office: every application is assessed, and a few answers may not "
              "capture your situation. If it changes (illness, an accident, loss of work), check again.")
        zh = ("按现行规则，根据您填写的情况，看来不符合任何救助项目。您仍可以在线或到乡镇（街道）民政部门申请：每一份申请都会经过核查，"
              "几个问题未必能反映您家的全部情况。如情况发生变化（患病、意外、失业等），可以再次自测。")
    if emergency:
        en += (" In an emergency, temporary assistance can be given first where it happens: contact your township or "
               "village committee at once.")
        zh += "遇到急难情形，可在急难发生地先行给予临时救助：请立即联系乡镇（街道）或村（居）委会。"
    return Text(en, zh)


def _note(rule_version: str, on: date) -> Text:
    return Text(f"Nothing you entered was stored: this check keeps no record and is not an application. It used the "
                f"rules in force for your area on {on.isoformat()} (version {rule_version}).",
                f"您填写的内容均未保存：本次自测不留任何记录，也不是正式申请。自测依据您所在地区{on.isoformat()}生效的规则（版本{rule_version}）。")
