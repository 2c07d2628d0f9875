"""policy's settings (environment prefix POLICY_)."""
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="POLICY_", extra="ignore")
    service_name: str = "policy"
    policy_dir: str | None = Field(None, description="a folder of policy documents (contracts/policy schema, "
                                                     "$defs/release) loaded at start and published like approved "
                                                     "drafts, once per region and version (air-gapped installs)")
    preview_urls: str = Field("", description="the services that answer a draft's preview, as name=url pairs "
                                               "separated by commas, e.g. assistance=http://assistance:8000,"
                                               "identification=http://identification:8000; empty: no preview")
    preview_timeout_seconds: float = Field(20.0, gt=0, le=300)
    seed_check_seconds: float = Field(3600.0, description="how often the start-up job looks again for national "
                                                          "defaults and POLICY_DIR files not yet published")
