"""Settings of the gateway (environment prefix `GATEWAY_`)."""

from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import CommonSettings

# Signs the CSRF and message cookies on a developer's machine only; production refuses it.
DEVELOPMENT_SECRET = "development-only-gateway-secret-not-for-production"  # noqa: S105


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

    service_name: str = "gateway"
    host: str = "127.0.0.1"
    port: int = 8080
    # Where browsers reach the gateway: links, and whether cookies are Secure (https).
    public_url: str = Field(
        "http://127.0.0.1:8080",
        validation_alias=AliasChoices("public_url", "GATEWAY_PUBLIC_URL", "PORTAIL_PUBLIC_URL"),
    )
    secret: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    # The development mail sink's Maildir, shown at /dev/mails outside production.
    maildir: Path = Path("var/maildir")
    # Refresh the access token when it expires within this many seconds, so an upstream
    # call never starts with a token about to lapse.
    refresh_margin_seconds: int = 30
    upstream_timeout_seconds: float = 8.0
    # The organisation's letterhead (configuration: the demo is the Clermontais one).
    organisation_service: str = "service Jeunesse"
    organisation_name: str = "Communauté de communes du Clermontais"
    organisation_street: str = "20 avenue Raymond Lacombe"
    organisation_city: str = "34800 Clermont-l'Hérault"
    # A number of the range reserved for fiction (ARCEP): configure the real one.
    organisation_phone: str = "04 65 71 00 00"
    organisation_website: str = "http://www.cc-clermontais.fr"

    @model_validator(mode="after")
    def _secret_required_in_production(self) -> Self:
        if self.env == "production" and self.secret.get_secret_value() == DEVELOPMENT_SECRET:
            raise ValueError("GATEWAY_SECRET must be set in production")
        if len(self.secret.get_secret_value()) < 32:
            raise ValueError("GATEWAY_SECRET must be at least 32 characters long")
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.lower().startswith("https://")
