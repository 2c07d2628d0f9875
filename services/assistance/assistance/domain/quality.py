"""Service quality per provider from ratings and complaints, and the code a household uses to rate a service.

Ratings run from 1 to 5, by the household and by caseworkers; a complaint is a flag on a rating. The summary keeps
the two sources apart, because a caseworker's view and the household's view of one service can differ and both
matter for supervision. For matching, a provider ranks by its mean rating over both sources; with fewer than
``quality.minimum_ratings`` ratings it ranks as ``quality.unrated_rating``, so a new provider is neither favoured
nor shut out.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from assistance.domain.rules import RuleSet

RATINGS = (1, 2, 3, 4, 5)
SOURCES = ("household", "caseworker")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud and typed by hand
CODE_LENGTH = 8


@dataclass(frozen=True)
class Rating:
    source: str
    rating: int
    complaint: bool = False
    complaint_open: bool = False


@dataclass(frozen=True)
class QualitySummary:
    ratings: int
    mean_rating: Decimal | None
    household_ratings: int
    household_mean: Decimal | None
    caseworker_ratings: int
    caseworker_mean: Decimal | None
    complaints: int
    open_complaints: int
    matching_quality: int     # the rating matching ranks by, × 100

    def as_dict(self) -> dict:
        def num(v):
            return None if v is None else float(v)
        return {"ratings": self.ratings, "mean_rating": num(self.mean_rating),
                "household": {"ratings": self.household_ratings, "mean_rating": num(self.household_mean)},
                "caseworker": {"ratings": self.caseworker_ratings, "mean_rating": num(self.caseworker_mean)},
                "complaints": self.complaints, "open_complaints": self.open_complaints,
                "matching_quality": self.matching_quality}


def summarise(ratings: list[Rating] | tuple[Rating, ...], rules: RuleSet) -> QualitySummary:
    for r in ratings:
        if r.rating not in RATINGS or r.source not in SOURCES:
            raise ValueError(f"a rating is 1 to 5 from {' or '.join(SOURCES)}, got {r!r}")
    household = [r.rating for r in ratings if r.source == "household"]
    caseworker = [r.rating for r in ratings if r.source == "caseworker"]
    every = household + caseworker
    mean = _mean(every)
    minimum = rules.integer("quality", "minimum_ratings")
    rank = mean if mean is not None and len(every) >= minimum else rules.decimal("quality", "unrated_rating")
    return QualitySummary(len(every), mean, len(household), _mean(household), len(caseworker), _mean(caseworker),
                          sum(r.complaint for r in ratings), sum(r.complaint_open for r in ratings),
                          int((rank * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def feedback_code(secret: str, referral_id: str) -> str:
    """The code printed on a referral slip that lets the household rate that one service, and nothing else.

    Derived (HMAC-SHA256 of the referral id), so it is never stored and cannot be guessed from the referral id.
    """
    digest = hmac.new(secret.encode(), f"feedback:{referral_id}".encode(), hashlib.sha256).digest()
    return "".join(_CODE_ALPHABET[b % len(_CODE_ALPHABET)] for b in digest[:CODE_LENGTH])


def code_matches(secret: str, referral_id: str, given: str) -> bool:
    normalised = given.strip().upper().replace("-", "").replace(" ", "")
    # compare_digest takes ASCII text only; a code with other characters cannot be one we printed
    return normalised.isascii() and hmac.compare_digest(feedback_code(secret, referral_id), normalised)


def _mean(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
