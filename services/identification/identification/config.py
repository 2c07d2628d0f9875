"""identification's settings (environment prefix IDENTIFICATION_)."""
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTIFICATION_", extra="ignore")
    service_name: str = "identification"
    deadline_check_seconds: float = 60.0
