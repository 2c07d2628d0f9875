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
    seed_check_seconds: float = Field(3600.0, description="how often the start-up job looks again for national "
                                                          "defaults and POLICY_DIR files not yet published")
