"""discovery's settings (environment prefix DISCOVERY_)."""
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISCOVERY_", extra="ignore")
    service_name: str = "discovery"
