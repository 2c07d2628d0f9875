"""Settings common to every service; each service subclasses with its own env prefix (e.g. DISCOVERY_)."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Published in this repository, so anyone can sign tokens with it: accepted only where the development token
# issuer is on anyway (`make run`, tests); a service refuses to start its API with it otherwise.
DEV_JWT_SECRET = "dev-only-secret-change-me-0123456789abcdef"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    database_url: str = Field("", description="SQLAlchemy URL; empty means the embedded SQLite file under var/")
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: str = Field("PLAINTEXT", description="PLAINTEXT, SASL_PLAINTEXT or SASL_SSL "
                                                                  "(SCRAM-SHA-512 with the service's own principal)")
    kafka_sasl_mechanism: str = "SCRAM-SHA-512"
    kafka_sasl_username: str = Field("", description="the service's broker principal (deploy/kafka/acls.json)")
    kafka_sasl_password: str = Field("", description="prefer kafka_sasl_password_file; there is no default")
    kafka_sasl_password_file: str = Field("", description="a file holding the principal's password (var/kafka-secrets)")
    kafka_ssl_cafile: str = Field("", description="the CA that signed the broker's certificate (SASL_SSL)")
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
    jwt_secret: str = Field(DEV_JWT_SECRET, description="HS256 key for staff/partner tokens")
    dev_token_issuer: bool = Field(False, description="expose POST /dev/tokens (make run only; never in production)")
    training_mode: bool = Field(False, description="the training clock: system time plus a shared offset moved by "
                                                   "POST /dev/clock (make run / make demo; needs dev_token_issuer)")
    training_clock_file: str = Field("var/training-clock.json",
                                     description="the training clock's offset file, shared by every service")
    trusted_proxies: str = Field("", description="comma-separated addresses or networks of the proxies in front "
                                                  "(the portal, a reverse proxy) whose X-Forwarded-For is believed "
                                                  "for the access audit; empty: none, the peer is the caller")
    policy_refresh_seconds: float = Field(1.0, ge=0, le=3600,
                                          description="how often the service's rules look in its copy of the "
                                                      "published policy for a new version (no restart needed)")

    def sqlalchemy_url(self, var_dir: str = "var") -> str:
        if self.database_url:
            return self.database_url
        import os

        os.makedirs(var_dir, exist_ok=True)
        return f"sqlite:///{var_dir}/{self.service_name}.db"

    def env_name(self, field: str) -> str:
        """The environment variable that sets `field`, for error messages (e.g. IDENTIFICATION_JWT_SECRET)."""
        return (self.model_config.get("env_prefix") or "").upper() + field.upper()

    def kafka_security(self):
        from shared.kafka_io import KafkaSecurity

        return KafkaSecurity(protocol=self.kafka_security_protocol, mechanism=self.kafka_sasl_mechanism,
                             username=self.kafka_sasl_username, password=self.kafka_sasl_password,
                             password_file=self.kafka_sasl_password_file, cafile=self.kafka_ssl_cafile or None)

    def group(self) -> str:
        return self.consumer_group or f"{self.topic_prefix}{self.service_name}"
