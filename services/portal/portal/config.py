"""portal's settings (environment prefix PORTAL_)."""
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")
    service_name: str = "portal"
    discovery_url: str = Field("http://127.0.0.1:8001", description="discovery's base URL (applications, status)")
    identification_url: str = Field("http://127.0.0.1:8002",
                                    description="identification's base URL (the public eligibility self-check)")
    assistance_url: str = Field("http://127.0.0.1:8003", description="assistance's base URL (needs, benefits, providers)")
    gradual_exit_url: str = Field("http://127.0.0.1:8004",
                                  description="gradual_exit's base URL (participations, observation, exit reviews)")
    followup_url: str = Field("http://127.0.0.1:8005", description="followup's base URL (plans, check-ins)")
    oversight_url: str = Field("http://127.0.0.1:8007", description="oversight's base URL (petitions, KPIs, the access log)")
    staff_token_minutes: int = Field(10, ge=1, le=60, description="lifetime of the service token the portal mints for "
                                                                  "a signed-in officer's calls (minted per request)")
    connect_timeout_seconds: float = Field(2.0, gt=0, le=60, description="httpx connect timeout to a service")
    read_timeout_seconds: float = Field(10.0, gt=0, le=120, description="httpx read timeout: how long a page waits "
                                                                        "for a service's answer before saying so")
    complaints_phone: str = Field("12345-0000", description="the complaints telephone shown on every page; the "
                                                            "default is an EXAMPLE number, set the real one")
    complaints_phone_is_example: bool = Field(True, description="mark the number as an example (until it is set)")
    # -- staff sign-in (portal.staff.accounts): sessions and lock-out
    session_cookie_secure: bool = Field(False, description="always mark the staff session cookie Secure (set it when "
                                                           "a TLS proxy in front speaks HTTPS and the portal sees "
                                                           "HTTP); an HTTPS request gets Secure anyway")
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60, description="a staff session ends after this long "
                                                                         "without a request")
    session_max_hours: int = Field(12, ge=1, le=7 * 24, description="a staff session ends this long after sign-in, "
                                                                    "however busy")
    lockout_attempts: int = Field(5, ge=1, le=100, description="failed sign-ins within lockout_window_minutes that "
                                                               "lock an account")
    lockout_window_minutes: int = Field(15, ge=1, le=24 * 60, description="the window in which failed sign-ins count")
    lockout_minutes: int = Field(15, ge=1, le=7 * 24 * 60, description="how long a locked account stays locked")
    password_min_length: int = Field(10, ge=8, le=128, description="shortest new password an officer may choose")
    complaints_hours: str = Field("08:30–12:00, 14:30–17:30", description="the complaints line's office hours on "
                                                                          "working days, shown on the complaints page")
    household_search_key: str = Field("", description="key of the digests by which the household search finds a "
                                                      "resident ID number (the read model stores no ID number); "
                                                      "empty: derived from jwt_secret. Changing it needs a replay of "
                                                      "the household file")
