"""Settings of the notifier service (environment prefix `NOTIFIER_`)."""

from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_")

    service_name: str = "notifier"
    port: int = 8085
    database: str = "portail_notifier"
    # A mail server outage often outlasts the kernel's default two minutes of retries: keep
    # trying for about 40 minutes before the dead-letter queue (operators replay from there).
    retry_delays: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 1800.0)

    # SMTP server; the default is the development mail sink (deploy/mailsink.py).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = 10.0
    # The sent-mail log is purged of mails older than this (longer than any redelivery: a
    # dead letter replayed later would send its mail again), every `sent_mails_purge_seconds`.
    sent_mails_keep_days: int = Field(30, ge=1)
    sent_mails_purge_seconds: float = Field(3600.0, gt=0)
    sender_address: str = "ne-pas-repondre@example.org"
    sender_name: str = "Portail Famille – service Jeunesse"

    @field_validator("smtp_user", "smtp_password", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: Any) -> Any:
        """An empty variable (as a compose file passes an unset one) means no login: a user
        of "" would make the client ask a server without AUTH to authenticate."""
        return None if isinstance(value, str) and not value.strip() else value
