"""discovery's settings (environment prefix DISCOVERY_)."""
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISCOVERY_", extra="ignore")
    service_name: str = "discovery"
    partner_departments: str = Field("", description="comma-separated departments whose inbound topics "
                                                      "partner.signal.<department> are consumed; empty: "
                                                      "deploy/kafka/partner-departments.txt")
    signal_batch_size: int = Field(500, ge=1, le=10_000, description="partner records committed per transaction")
    clue_verification_days: int = Field(7, ge=1, description="days the village has to verify a clue by a home visit")
    clue_verification_days_urgent: int = Field(3, ge=1, description="the same for a high-severity clue")
    clue_overdue_check_seconds: float = Field(300.0, gt=0, description="how often overdue clue verifications are looked for")
    china_utc_offset_hours: int = Field(8, description="'today' for signal dates and due dates is China's date")
