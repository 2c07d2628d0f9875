"""assistance's settings (environment prefix ASSISTANCE_)."""
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANCE_", extra="ignore")
    service_name: str = "assistance"
    period_check_seconds: float = Field(60.0, description="how often the timer looks for a new capacity period")
    feedback_secret: str = Field("", description="key of the households' feedback codes; empty: derived from jwt_secret")

    def feedback_key(self) -> str:
        return self.feedback_secret or f"feedback-codes:{self.jwt_secret}"
