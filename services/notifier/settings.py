"""Settings of the notifier service (environment prefix `NOTIFIER_`)."""

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_")

    service_name: str = "notifier"
    port: int = 8085
    database: str = "portail_notifier"
