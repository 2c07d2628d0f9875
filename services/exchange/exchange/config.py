"""exchange's settings (environment prefix EXCHANGE_)."""
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXCHANGE_", extra="ignore")
    service_name: str = "exchange"
    agreements_dir: str = Field("", description="the directory of the data-sharing agreements (JSON files); empty: "
                                                "the ones shipped in exchange/agreements")
    webhook_key_path: str = Field("var/exchange-webhook-ed25519.pem",
                                  description="the installation's Ed25519 webhook signing key (PEM, generated on first "
                                              "start with mode 0600; never committed)")
