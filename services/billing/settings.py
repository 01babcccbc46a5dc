"""Settings of the billing service (environment prefix `BILLING_`)."""

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_")

    service_name: str = "billing"
    port: int = 8084
    database: str = "portail_billing"
