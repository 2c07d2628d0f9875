"""The synthetic-household generator yields data the services accept: valid IDs, real divisions, valid facts."""
from datetime import date

from discovery.api.schemas import ApplicationCreate
from discovery.domain.identity import check_division_code, check_resident_id
from identification.api.schemas import FactsIn
from shared.contracts import registry
from shared.synthetic import DIVISIONS, FactsFactory, HouseholdFactory, age_on


def test_every_generated_application_passes_discovery_validation_and_its_event_the_contract():
    factory = HouseholdFactory(99)
    sizes, ages = set(), []
    for _ in range(300):
        body = factory.application_body()
        parsed = ApplicationCreate(**body)
        for member in parsed.members:
            assert check_resident_id(member.id_number) == member.id_number
            ages.append(age_on(member.id_number, date(2026, 1, 1)))
        sizes.add(len(body["members"]))
        registry().validate(factory.application_event(body).envelope())
    assert sizes == {1, 2, 3, 4, 5, 6}
    assert min(ages) < 16 and max(ages) >= 70, "members of all ages"


def test_divisions_are_real_county_codes():
    for code in DIVISIONS:
        assert check_division_code(code) == code


def test_generated_facts_are_valid_assessment_input_and_vary():
    households, facts = HouseholdFactory(5), FactsFactory(5)
    incomes, medical = set(), []
    for _ in range(200):
        body = households.application_body()
        parsed = FactsIn(**facts.facts(body))
        parsed.to_domain(body["division_code"])
        incomes.add(parsed.monthly_income_yuan)
        medical.append(parsed.medical_expense_yuan_year)
    assert len(incomes) > 150
    assert max(medical) > 20000 > min(medical), "a tail of households with large medical costs"
