"""Settings common to every service; each service subclasses with its own env prefix (e.g. DISCOVERY_)."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    database_url: str = Field("", description="SQLAlchemy URL; empty means the embedded SQLite file under var/")
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = Field("", description="prepended to every topic name; lets tests and tenants share a broker")
    consumer_group: str = ""
    run_relay: bool = True
    run_consumers: bool = True
    relay_batch_size: int = 500
    relay_idle_seconds: float = 0.2
    consumer_max_records: int = 200
    consumer_max_retries: int = 3
    consumer_retry_backoff_seconds: float = 0.2
    producer_linger_ms: int = 5
    log_level: str = "INFO"
    jwt_secret: str = Field("dev-only-secret-change-me-0123456789abcdef", description="HS256 key for staff/partner tokens")
    dev_token_issuer: bool = Field(False, description="expose POST /dev/tokens (make run only; never in production)")

    def sqlalchemy_url(self, var_dir: str = "var") -> str:
        if self.database_url:
            return self.database_url
        import os

        os.makedirs(var_dir, exist_ok=True)
        return f"sqlite:///{var_dir}/{self.service_name}.db"

    def group(self) -> str:
        return self.consumer_group or f"{self.topic_prefix}{self.service_name}"
