"""Settings of the auth service (environment prefix `AUTH_`)."""

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_")

    service_name: str = "auth"
    port: int = 8081
    database: str = "portail_auth"
