"""`make demo`'s own logic (the lifecycle itself runs against the live services, see tests/e2e): who plays which
part, what counts as the promised outcome, and a table that lines up with Chinese names."""
from discovery.api.schemas import ApplicationCreate
from identification.api.schemas import AssessmentCreate
from shared.demo import PARTS, Household, assessment_facts, check_outcome, format_table, make_households, shown_width


def test_every_part_is_played_and_the_bodies_are_valid_requests():
    households = make_households(5, seed=3)
    assert [h.part for h in households] == ["assisted", "exited", "relapse", "assisted", "exited"]
    assert {h.part for h in make_households(1, 3)} == {"relapse"}, "one household still shows a relapse"
    assert {h.part for h in make_households(2, 3)} == {"relapse", "exited"}
    from datetime import date
    for h in households:
        ApplicationCreate(**h.body)
        AssessmentCreate(facts=assessment_facts(h, date(2026, 12, 1)),
                         authorisation={"authorised": True, "method": "signed_form", "reference": "T"})


def row(part, identification="enrolled", gradual_exit="dibao:supported", followup="-"):
    return {"household": "张*", "part": part, "identification": identification, "benefits": "dibao",
            "gradual_exit": gradual_exit, "followup": followup, "discovery": "enrolled"}


def test_the_outcome_needs_an_exit_under_follow_up_and_a_reopened_relapse():
    good = [row("assisted"), row("exited", gradual_exit="dibao:exited", followup="active"),
            row("relapse", identification="enrolled → new case opened", gradual_exit="dibao:exited",
                followup="relapsed, relapses 1")]
    assert check_outcome(good) == []
    assert check_outcome(good[:2]) == ["no relapse reopened with a new case"]
    assert check_outcome([good[0], row("exited", gradual_exit="dibao:exit_notice"), good[2]]) == [
        "no household exited and under follow-up"]
    assert set(PARTS) == {r["part"] for r in good}


def test_the_table_lines_up_with_chinese_text():
    table = format_table([row("assisted"), {**row("exited"), "household": "欧阳**"}]).splitlines()
    assert shown_width("欧阳**") == 6
    starts = {line.index("enrolled") + shown_width(line[:line.index("enrolled")]) - len(line[:line.index("enrolled")])
              for line in table[2:]}
    assert len(starts) == 1, table
    assert Household(part="exited", body={"members": [{"name": "欧阳修"}], "division_code": "530102001001"}).label == "欧**"
