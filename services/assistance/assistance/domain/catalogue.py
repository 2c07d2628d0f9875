"""The vocabulary of assistance: programmes, the kinds of need a household can have, cash benefits, with their names.

Needs are what gets matched to providers: each is one service type (``NEED_TYPES``). Cash benefits are entitlements
computed from the rules (``BENEFIT_KINDS``): they are granted, never rationed, so they are not needs to be matched.
"""
from __future__ import annotations

# The programme codes of identification.household.enrolled and gradual_exit.household.exited.
PROGRAMMES = ("tekun", "dibao", "near_dibao", "rigid_expense", "monitoring", "temporary",
              "medical", "education", "housing", "employment")

# service type -> (group, English, Chinese). Groups follow report 7.6: material, life, development, care and medical.
NEED_TYPES: dict[str, tuple[str, str, str]] = {
    "in_kind": ("material", "in-kind aid", "实物救助"),
    "daily_care": ("life", "daily care", "日常照料"),
    "labour_help": ("life", "labour help", "劳动援助"),
    "psychological_support": ("development", "psychological support", "心理疏导"),
    "skills_training": ("development", "skills training", "技能培训"),
    "job_referral": ("development", "job and opportunity referral", "就业及机会转介"),
    "medical_assistance": ("medical", "medical assistance", "医疗救助"),
    "care_services": ("care", "care services", "照护服务"),
    "housing_repair": ("housing", "housing repair", "住房修缮（危房改造）"),
    "education_grant": ("education", "education grant", "教育救助金"),
}
SERVICE_TYPES = tuple(NEED_TYPES)

# cash benefit kind -> (programme, English, Chinese)
BENEFIT_KINDS: dict[str, tuple[str, str, str]] = {
    "dibao_top_up": ("dibao", "dibao top-up (minimum living guarantee)", "低保金（差额补助）"),
    "tekun_support": ("tekun", "extreme-poverty support", "特困人员救助供养金"),
    "temporary_cash": ("temporary", "temporary assistance (one-off)", "临时救助金（一次性）"),
}
BENEFIT_OF_PROGRAMME = {programme: kind for kind, (programme, _en, _zh) in BENEFIT_KINDS.items()}

PROGRAMME_NAMES: dict[str, tuple[str, str]] = {
    "tekun": ("extreme-poverty support (tekun)", "特困人员救助供养"),
    "dibao": ("minimum living guarantee (dibao)", "最低生活保障"),
    "near_dibao": ("near-poverty household", "低保边缘家庭"),
    "rigid_expense": ("rigid-expenditure hardship household", "刚性支出困难家庭"),
    "monitoring": ("relapse-prevention monitoring", "防止返贫监测"),
    "temporary": ("temporary assistance", "临时救助"),
    "medical": ("medical assistance", "医疗救助"),
    "education": ("education assistance", "教育救助"),
    "housing": ("housing assistance", "住房救助"),
    "employment": ("employment assistance", "就业救助"),
}

# The care levels of extreme-poverty support (特困人员生活自理能力): they set the care part of the tekun payment.
CARE_LEVELS: dict[str, tuple[str, str]] = {
    "self_care": ("able to look after themselves", "生活能自理"),
    "partly_dependent": ("partly dependent on care", "部分丧失生活自理能力"),
    "fully_dependent": ("fully dependent on care", "完全丧失生活自理能力"),
}

# Administrative level of a division-code prefix, by its length: the more digits, the more local.
LEVELS: dict[int, tuple[str, str]] = {
    0: ("nationwide", "全国"), 2: ("province", "省级"), 4: ("prefecture", "市级"), 6: ("county", "县级"),
    9: ("township", "乡镇级"), 12: ("village", "村级"),
}


def need_name(need_type: str) -> tuple[str, str]:
    _group, en, zh = NEED_TYPES[need_type]
    return en, zh


def level_name(area: str) -> tuple[str, str]:
    return LEVELS.get(len(area), (f"{len(area)}-digit area", f"{len(area)}位区划"))
