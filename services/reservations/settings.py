"""Settings of the reservations service (environment prefix `RESERVATIONS_`)."""

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RESERVATIONS_")

    service_name: str = "reservations"
    port: int = 8083
    database: str = "portail_reservations"
    # How often each replica looks for waiting-list offers past their reply deadline.
    offer_expiry_seconds: float = 30.0
