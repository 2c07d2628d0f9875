"""exchange's settings (environment prefix EXCHANGE_)."""
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXCHANGE_", extra="ignore")
    service_name: str = "exchange"
    agreements_dir: str = Field("", description="the directory of the data-sharing agreements (JSON files); empty: "
                                                "the ones shipped in exchange/agreements")
