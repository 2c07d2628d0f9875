"""The multi-step application's pure logic (portal.steps) and the division picker (portal.picker,
shared.divisions): which step owns a field, how answers join, where the person goes next, where a 422 sends
them, the signed hidden field, and the picker's chain."""
from __future__ import annotations

import pytest

from portal import picker, steps
from portal.forms import FieldError
from shared.divisions import Registry, registry

SECRET = "unit-test-secret"


def test_every_field_belongs_to_one_step():
    assert steps.step_of("division_code") == "where"
    assert steps.step_of("applicant_id") == steps.step_of("p-3-rel") == steps.step_of("rows") == "household"
    assert steps.step_of("income") == "income" and steps.step_of("hardship_description") == "hardship"
    assert steps.step_of("consent") == "consent"
    assert steps.step_of("idempotency_key") is None and steps.step_of(None) is None and steps.step_of("p-x-id") is None


def test_a_step_replaces_only_its_own_answers_and_an_unticked_box_is_cleared():
    state = {"idempotency_key": "k", "income": "300", "consent": "yes", "division_code": "530102001001"}
    after = steps.merge(state, "consent", {"state": "...", "step": "consent"})
    assert after == {"idempotency_key": "k", "income": "300", "division_code": "530102001001"}
    after = steps.merge(state, "income", {"income": "450", "consent": "no", "idempotency_key": "forged"})
    assert after["income"] == "450" and after["consent"] == "yes" and after["idempotency_key"] == "k"
    with pytest.raises(ValueError):
        steps.merge(state, "check", {})


def test_household_rows_are_renumbered_without_the_blank_ones():
    posted = {"rows": "4", "applicant_name": "张三", "p-0-name": "", "p-0-id": "", "p-1-name": "李四",
              "p-1-id": "110105195001011234", "p-1-rel": "spouse", "p-3-name": "王五", "p-3-id": "", "p-3-rel": ""}
    after = steps.merge({"p-7-name": "old"}, "household", posted)
    assert after == {"applicant_name": "张三", "rows": "2", "p-0-name": "李四", "p-0-id": "110105195001011234",
                     "p-0-rel": "spouse", "p-1-name": "王五", "p-1-id": "", "p-1-rel": ""}
    assert steps.compact_rows({"rows": "3"}) == {"rows": "1"}, "always one row to fill in"


def test_the_next_step_and_back_to_check_your_answers_once_seen():
    assert [steps.next_step(s, {}) for s in steps.STEPS] == ["household", "income", "hardship", "consent", "check"]
    assert steps.next_step("where", {"reached_check": "yes"}) == "check"
    assert steps.previous_step("household") == "where" and steps.previous_step("where") is None
    assert steps.previous_step("check") == "consent" and steps.step_number("income") == 3


def test_a_422_goes_to_the_earliest_step_with_an_error():
    errors = [FieldError("income", "decimal", "", ""), FieldError("p-1-id", "checksum", "", ""),
              FieldError(None, "unknown", "", "")]
    assert steps.first_step_with_errors(errors) == "household"
    assert [e.field for e in steps.errors_on("household", errors)] == ["p-1-id"]
    assert [e.field for e in steps.errors_on("consent", errors)] == [None], "an error without a field: last step"
    assert steps.first_step_with_errors([FieldError(None, "x", "", "")]) == "consent"
    assert [(s, e.field) for s, e in steps.errors_elsewhere("household", errors)] == [("income", "income"),
                                                                                      ("consent", None)]


def test_a_new_application_keeps_only_what_the_steps_ask_and_one_key():
    state = steps.start({"division_code": "530102001001", "income": "600", "rows": "2", "consent": "yes",
                         "other": "x"}, "key-1")
    assert state == {"division_code": "530102001001", "income": "600", "rows": "1", "idempotency_key": "key-1"}


def test_the_hidden_answers_round_trip_and_a_changed_or_foreign_one_is_refused():
    state = {"applicant_name": "张三", "idempotency_key": "k", "income": "300"}
    token = steps.encode(state, SECRET)
    assert steps.decode(token, SECRET) == state
    assert "张三" not in token
    payload, mac = token.rsplit(".", 1)
    assert steps.decode(payload + "x." + mac, SECRET) is None
    assert steps.decode(token, "another-portal") is None
    assert steps.decode(None, SECRET) is None and steps.decode("no-dot", SECRET) is None
    assert steps.decode("x" * (steps.MAX_STATE_CHARS + 1), SECRET) is None
    not_strings = steps.encode({"rows": 3}, SECRET)  # signed, but not what a page hands out
    assert steps.decode(not_strings, SECRET) is None


def test_check_your_answers_lists_every_section_in_the_page_language():
    labels = {"relationship.spouse": "spouse", "hardship.illness": "illness", "answer.yes": "Yes", "answer.no": "No"}

    def _(message_id, **values):
        return labels.get(message_id, message_id + (f"[{values['n']}]" if "n" in values else ""))

    state = {"division_code": "530102001001", "applicant_name": "张三", "rows": "1", "p-0-name": "李四",
             "p-0-id": "110105195001011234", "p-0-rel": "spouse", "hardship_reason": "illness"}
    sections = steps.check_sections(state, _, lambda code: "五华区样例村001")
    assert [s["step"] for s in sections] == list(steps.STEPS)
    assert sections[0]["rows"] == [("field.division_code", "五华区样例村001 (530102001001)")]
    assert ("apply.person_n[1]", "李四 · 110105195001011234 · spouse") in sections[1]["rows"]
    assert sections[3]["rows"][0] == ("field.hardship_reason", "illness")
    assert sections[4]["rows"] == [("field.consent", "No")]


# -- the division registry and the picker -------------------------------------------------------------------------
def test_the_registry_has_every_province_and_the_sample_villages_under_real_counties():
    r = registry()
    assert len(r.children(None)) == 31, "31 provincial divisions of the mainland"
    assert [d.name_zh for d in r.path("530102001001")] == ["云南省", "昆明市", "五华区", "样例乡镇001", "样例村001"]
    assert r.get("530102").level == "county" and not r.get("530102").sample
    assert r.get("530102001001").sample and r.is_village("530102001001") and not r.is_village("530102001")
    assert r.full_name("110105001001") == "北京市朝阳区样例乡镇001样例村001", "the 市辖区 placeholder is left out"
    assert r.get("441900003").level == "township", "Dongguan: townships straight under the prefecture"
    assert r.path("999999999999") == [] and r.children("999999") == []


def test_the_registry_refuses_a_broken_file():
    with pytest.raises(ValueError, match="parent"):
        Registry([("530102", "五华区", "530100", False)])
    with pytest.raises(ValueError, match="twice"):
        Registry([("530000", "云南省", None, False), ("530000", "云南省", None, False)])
    with pytest.raises(ValueError, match="digit"):
        Registry([("5300", "云南", None, False)])


def test_the_chain_holds_together_and_a_changed_level_drops_the_ones_below():
    r = registry()
    full = {"division-0": "530000", "division-1": "530100", "division-2": "530102", "division-3": "530102001",
            "division_code": "530102001001"}
    assert picker.village_code(picker.chosen(full, r)) == "530102001001"
    moved = dict(full, **{"division-0": "110000"})
    assert [d.code for d in picker.chosen(moved, r)] == ["110000"]
    partial = dict(full, **{"division-3": "530102002"})
    assert [d.code for d in picker.chosen(partial, r)][-1] == "530102002", "the old village is not under it"
    assert picker.village_code(picker.chosen(partial, r)) == ""
    assert [d.code for d in picker.chosen({"division_code": "530102001001"}, r)][0] == "530000", "a code alone"
    assert picker.chosen({"division_code": "123"}, r) == []


def test_the_picker_shows_one_select_per_level_chosen_and_one_for_the_next():
    r = registry()
    assert [(lv.name, lv.level) for lv in picker.levels([], r)] == [("division-0", "province")]
    chain = r.path("530102001")
    shown = picker.levels(chain, r)
    assert [(lv.name, lv.level, lv.selected) for lv in shown] == [
        ("division-0", "province", "530000"), ("division-1", "prefecture", "530100"),
        ("division-2", "county", "530102"), ("division-3", "township", "530102001"),
        ("division_code", "village", "")]
    assert [d.code for d in shown[-1].options] == ["530102001001", "530102001002"]
    assert picker.children_chain("86", r) == [] and picker.children_chain("000000", r) is None
