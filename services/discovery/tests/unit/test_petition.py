"""An accepted 漏保 petition as a clue (discovery.domain.petition): which petitions apply and what the clue says."""
from datetime import date

from discovery.domain import petition

DATA = {"petition_id": "pt-1", "tracking_number": "XF20260601ABCDEF", "category": "wrongly_missed",
        "division_code": "530102001001", "handling_area": "530102001", "rule_version": "xinfang-2022",
        "description": "村里一户老人独居，重病无收入。"}


def test_only_a_missed_household_in_a_village_applies():
    assert petition.applies(DATA)
    assert not petition.applies({**DATA, "division_code": "530102001"})
    assert not petition.applies({**DATA, "category": "wrongly_enrolled"})


def test_the_household_of_a_petition_is_the_same_on_redelivery():
    assert petition.household_id_for("pt-1") == petition.household_id_for("pt-1") != petition.household_id_for("pt-2")


def test_the_clue_cites_the_petition():
    clue = petition.clue_of_petition(DATA, date(2026, 6, 5))
    assert (clue.kind, clue.rule_id, clue.severity, clue.external_id) == ("petition", "petition.wrongly_missed",
                                                                         "medium", "pt-1")
    assert "XF20260601ABCDEF" in clue.explanation_zh and "漏保" in clue.explanation_zh
    assert clue.evidence["tracking_number"] == "XF20260601ABCDEF" and clue.occurred_on == date(2026, 6, 5)
