"""Settings of the families service (environment prefix `FAMILIES_`)."""

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FAMILIES_")

    service_name: str = "families"
    port: int = 8082
    database: str = "portail_families"
