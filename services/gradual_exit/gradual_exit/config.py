"""gradual_exit's settings (environment prefix GRADUAL_EXIT_)."""
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GRADUAL_EXIT_", extra="ignore")
    service_name: str = "gradual_exit"
    # How often the timers look for observation periods whose time is up and for overdue periodic reviews.
    observation_check_seconds: float = 60.0
    review_check_seconds: float = 60.0
