"""Synthetic households (zh_CN names, valid resident ID numbers, real division codes) for demos, tests and benchmarks."""
from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta, timezone

from faker import Faker
from stdnum.cn import ric

from shared.envelope import Event

# Real county-level division codes (GB/T 2260) with a township and village suffix, in provinces with many rural households.
DIVISIONS = [
    "530102001001",  # 云南省昆明市五华区
    "530321100201",  # 云南省曲靖市马龙区
    "520326101203",  # 贵州省遵义市务川县
    "522701001002",  # 贵州省黔南州都匀市
    "431228102201",  # 湖南省怀化市芷江县
    "622421100201",  # 甘肃省定西市通渭县
    "511923101202",  # 四川省巴中市平昌县
    "450224103201",  # 广西柳州市融安县
]
REASONS = ["illness", "disability", "disaster", "unemployment", "education", "accident", "death_of_earner", "old_age", "other"]


class HouseholdFactory:
    def __init__(self, seed: int | None = None):
        self.rng = random.Random(seed)
        self.faker = Faker("zh_CN")
        if seed is not None:
            self.faker.seed_instance(seed)

    def resident_id(self, division: str, born: date) -> str:
        body = f"{division[:6]}{born:%Y%m%d}{self.rng.randint(0, 999):03d}"
        return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit

    def birth_date(self, min_age: int, max_age: int, today: date | None = None) -> date:
        today = today or date(2026, 1, 1)
        return today - timedelta(days=self.rng.randint(min_age * 365, max_age * 365 + 364))

    def application_body(self, division: str | None = None, size: int | None = None) -> dict:
        division = division or self.rng.choice(DIVISIONS)
        size = size or self.rng.choices([1, 2, 3, 4, 5, 6], weights=[10, 20, 25, 25, 12, 8])[0]
        surname = self.faker.last_name()
        applicant_id = self.resident_id(division, self.birth_date(25, 75))
        members = [{"name": surname + self.faker.first_name(), "id_number": applicant_id, "relationship": "self"}]
        relations = ["spouse", "child", "child", "parent", "grandchild", "sibling", "other"]
        ages = {"spouse": (25, 75), "child": (0, 30), "parent": (55, 95), "grandchild": (0, 15), "sibling": (20, 70), "other": (0, 90)}
        seen = {applicant_id}
        for i in range(size - 1):
            rel = relations[i % len(relations)]
            while True:
                number = self.resident_id(division, self.birth_date(*ages[rel]))
                if number not in seen:
                    break
            seen.add(number)
            members.append({"name": (surname if rel != "spouse" else self.faker.last_name()) + self.faker.first_name(),
                            "id_number": number, "relationship": rel})
        income = round(max(0.0, self.rng.lognormvariate(6.8, 0.7)), 2)  # median about ¥900 a month for the household
        return {
            "division_code": division,
            "applicant": {"name": members[0]["name"], "id_number": applicant_id, "phone": f"13{self.rng.randint(0, 999999999):09d}"},
            "members": members,
            "household_monthly_income_yuan": income,
            "hardship_reason": self.rng.choice(REASONS),
            "hardship_description": self.faker.sentence(),
            "consent_to_data_check": True,
        }

    def application_event(self, body: dict | None = None, household_id: str | None = None) -> Event:
        """A `discovery.application.submitted` event as discovery would publish it."""
        body = body or self.application_body()
        household_id = household_id or str(uuid.uuid4())
        now = datetime.now(timezone.utc)
        return Event(type="discovery.application.submitted", source="/services/discovery", subject=household_id, time=now,
                     data={"application_id": str(uuid.uuid4()), "household_id": household_id, "channel": "online",
                           "submitted_at": now.isoformat(), "division_code": body["division_code"],
                           "applicant": {**body["applicant"], "relationship": "self"}, "members": body["members"],
                           "household_monthly_income_yuan": body["household_monthly_income_yuan"],
                           "hardship_reason": body["hardship_reason"], "hardship_description": body["hardship_description"],
                           "consent_to_data_check": True})


def age_on(id_number: str, on: date) -> int:
    born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class FactsFactory:
    """Field-assessment facts for a synthetic household: assets, rigid expenditure and labour capacity drawn from
    plausible rural distributions (most households own little; a tail has large medical costs)."""

    def __init__(self, seed: int | None = None):
        self.rng = random.Random(seed)

    def facts(self, body: dict, on: date | None = None) -> dict:
        on = on or date(2026, 1, 1)
        rng = self.rng
        members = []
        for m in body["members"]:
            age = age_on(m["id_number"], on)
            ill = rng.random() < (0.08 if age < 50 else 0.3)
            disability = rng.choices([None, 1, 2, 3, 4], weights=[90, 2, 3, 3, 2])[0]
            if age < 16 or age >= 70 or disability in (1, 2):
                capacity = "none"
            elif ill or age >= 60 or disability:
                capacity = "partial"
            else:
                capacity = "full"
            members.append({"age": age, "labour_capacity": capacity, "disability_grade": disability,
                            "chronic_illness": ill, "in_compulsory_education": 6 <= age <= 15,
                            "in_higher_education": 18 <= age <= 22 and rng.random() < 0.3,
                            "employed": capacity == "full" and rng.random() < 0.6})
        return {
            "members": members,
            "monthly_income_yuan": str(body["household_monthly_income_yuan"]),
            "savings_yuan": str(round(rng.lognormvariate(8.5, 1.2) if rng.random() < 0.6 else 0, 2)),
            "vehicles_value_yuan": str(rng.choice([0, 0, 0, 0, 3000, 8000, 45000])),
            "owns_business": rng.random() < 0.05,
            "extra_housing_units": 1 if rng.random() < 0.03 else 0,
            "medical_expense_yuan_year": str(round(rng.lognormvariate(7.5, 1.3), 2)),
            "education_expense_yuan_year": str(sum(rng.randint(500, 3000) for m in members if m["in_compulsory_education"])
                                               + sum(rng.randint(8000, 20000) for m in members if m["in_higher_education"])),
            "care_expense_yuan_year": str(sum(rng.randint(1000, 6000) for m in members if m["disability_grade"] in (1, 2))),
            "housing_safe": rng.random() < 0.9,
            "residence_months": rng.choice([3, 8, 24, 120, 480]),
            "formerly_poor": rng.random() < 0.3,
            "income_unstable": rng.random() < 0.25,
            "sudden_hardship": body.get("hardship_reason") in ("disaster", "accident", "death_of_earner"),
            "has_legal_supporter_able_to_support": rng.random() < 0.5,
        }
