"""oversight's settings (environment prefix OVERSIGHT_)."""
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OVERSIGHT_", extra="ignore")
    service_name: str = "oversight"
    deadline_check_seconds: float = Field(300.0, description="how often the timer looks for petitions past their "
                                                             "acceptance or reply deadline")
    public_rate_limit: int = Field(10, ge=1, le=100000, description="public requests (filing, status lookup) allowed "
                                                                     "per client address in one window")
    public_rate_window_seconds: float = Field(60.0, gt=0, le=86400, description="the rate limit's window")
    public_max_body_bytes: int = Field(32768, ge=1024, le=10_000_000, description="the largest body the public "
                                                                                   "filing endpoint reads")
