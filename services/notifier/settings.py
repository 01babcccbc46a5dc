"""Settings of the notifier service (environment prefix `NOTIFIER_`)."""

from dataclasses import dataclass

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings, shared


@dataclass(frozen=True)
class Letterhead:
    """Who sends the mails: shown at the top and bottom of every one of them."""

    service: str
    organisation: str
    street: str
    postal_code: str
    city: str
    website: str
    email: str
    phone: str


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
    sender_address: str = "ne-pas-repondre@example.org"
    sender_name: str = "Portail Famille – service Jeunesse"
    # Links in the mails point at the gateway.
    public_url: str = Field("http://127.0.0.1:8080", validation_alias=shared("public_url"))

    # The organisation's letterhead; the defaults are the demo's (SPEC §7, the parents' guide).
    org_service: str = "service Jeunesse"
    org_name: str = "Communauté de communes du Clermontais"
    org_street: str = "20 avenue Raymond Lacombe"
    org_postal_code: str = "34800"
    org_city: str = "Clermont-l'Hérault"
    org_website: str = "http://www.cc-clermontais.fr"
    # Demo contact: a reserved example domain and a number from ARCEP's range for fiction.
    org_email: str = "jeunesse@example.org"
    org_phone: str = "04 65 71 00 00"

    @property
    def letterhead(self) -> Letterhead:
        return Letterhead(
            service=self.org_service,
            organisation=self.org_name,
            street=self.org_street,
            postal_code=self.org_postal_code,
            city=self.org_city,
            website=self.org_website,
            email=self.org_email,
            phone=self.org_phone,
        )
