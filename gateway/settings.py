"""Settings of the gateway (environment prefix `GATEWAY_`)."""

from pathlib import Path
from typing import Self

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.addresses import TrustedProxies
from services.common.settings import CommonSettings

# Signs the CSRF and message cookies on a developer's machine only; production refuses it.
DEVELOPMENT_SECRET = "development-only-gateway-secret-not-for-production"  # noqa: S105


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

    service_name: str = "gateway"
    host: str = "127.0.0.1"
    port: int = 8080
    secret: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    # The development mail sink's Maildir, shown at /dev/mails outside production.
    maildir: Path = Path("var/maildir")
    # Refresh the access token when it expires within this many seconds, so an upstream
    # call never starts with a token about to lapse.
    refresh_margin_seconds: int = 30
    upstream_timeout_seconds: float = 8.0
    # Proxies in front of the gateway (addresses or CIDR ranges) whose X-Forwarded-For is
    # believed: the browser's address matters to auth's throttling.
    trusted_proxies: TrustedProxies = ()

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
