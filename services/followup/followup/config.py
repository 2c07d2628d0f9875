"""followup's settings (environment prefix FOLLOWUP_)."""
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FOLLOWUP_", extra="ignore")
    service_name: str = "followup"
    partner_departments: str = Field("", description="comma-separated departments whose inbound topics "
                                                      "partner.signal.<department> are consumed; empty: "
                                                      "deploy/kafka/partner-departments.txt")
    schedule_check_seconds: float = Field(300.0, description="how often the timer looks for overdue check-ins and "
                                                             "plans that reached their end")
    consume_partner_topic: bool = Field(True, description="also match partner.signal.reported records on the inbound "
                                                          "topic against households under follow-up")
