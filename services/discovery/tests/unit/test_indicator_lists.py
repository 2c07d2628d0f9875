"""A visit's or a verification's hardship indicators are each given once (the visit event requires unique items;
a repeat used to pass the API and fail the contract with a 500)."""
import pytest
from pydantic import ValidationError

from discovery.api.schemas import VerificationCreate


def test_a_repeated_indicator_is_refused_naming_the_rule():
    with pytest.raises(ValidationError) as refused:
        VerificationCreate(confirmed=True, visited_on="2026-12-01", indicators=["illness", "illness"])
    [error] = refused.value.errors()
    assert (error["loc"], error["type"]) == (("indicators",), "indicators_unique")
    assert VerificationCreate(confirmed=True, visited_on="2026-12-01",
                              indicators=["illness", "income_loss"]).indicators == ["illness", "income_loss"]
