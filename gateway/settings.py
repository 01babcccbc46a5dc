"""Settings of the gateway (environment prefix `GATEWAY_`)."""

import os
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.addresses import TrustedProxies
from services.common.settings import CommonSettings

# Signs the CSRF and message cookies on a developer's machine only; production refuses it.
DEVELOPMENT_SECRET = "development-only-gateway-secret-not-for-production"  # noqa: S105


class Legal(BaseModel):
    """What the legal pages say that only the organisation knows (their wording lives in
    `templates/legal/`, which `templates_override` may replace)."""

    model_config = ConfigDict(frozen=True)

    director: str
    host: str
    dpo_email: str
    dpo_address: str
    accessibility_state: str
    accessibility_audit: str
    accessibility_email: str


class Settings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

    service_name: str = "gateway"
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = Field(default_factory=lambda: len(os.sched_getaffinity(0)), ge=1, le=64)
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
    # A directory of templates used instead of ours when they have the same name (e.g.
    # `legal/mentions.html`): the organisation words its legal pages without a code change.
    templates_override: Path | None = None
    # The legal pages (« Mentions légales », « Données personnelles », « Déclaration
    # d'accessibilité »). The defaults are the demo's: configure the real ones.
    legal_director: str = "le président ou la présidente de la communauté de communes"
    legal_host: str = "à renseigner (nom, adresse et téléphone de l'hébergeur du portail)"
    legal_dpo_email: str = "dpo@example.org"
    legal_dpo_address: str = ""  # by default, the organisation's address
    accessibility_state: Literal["non conforme", "partiellement conforme",
                                 "totalement conforme"] = "non conforme"
    # Without a complete RGAA audit, the law says « non conforme »: set both once audited.
    accessibility_audit: str = (
        "Aucun audit complet de conformité au RGAA n'a encore été réalisé. Chaque version du "
        "portail est vérifiée par des contrôles automatiques (axe) sur toutes les pages "
        "parcourues par ses tests, sur un ordinateur et sur un téléphone.")
    accessibility_email: str = ""  # by default, the organisation's e-mail
    # The waiting room (SPEC §7b, `waiting_room.py`): beyond `waiting_room_capacity` heavy
    # requests in flight at once (dashboard, booking; all workers together), newcomers wait
    # their turn on a page refreshing every `waiting_room_refresh_seconds`; once admitted, a
    # parent passes for `waiting_room_admission_minutes`.
    waiting_room: bool = True
    waiting_room_capacity: int = Field(default=100, ge=1, le=100_000)
    waiting_room_refresh_seconds: int = Field(default=5, ge=1, le=60)
    waiting_room_admission_minutes: int = Field(default=10, ge=1, le=120)

    @model_validator(mode="after")
    def _secret_required_in_production(self) -> Self:
        if self.env == "production" and self.secret.get_secret_value() == DEVELOPMENT_SECRET:
            raise ValueError("GATEWAY_SECRET must be set in production")
        if len(self.secret.get_secret_value()) < 32:
            raise ValueError("GATEWAY_SECRET must be at least 32 characters long")
        return self

    @property
    def legal(self) -> Legal:
        org = self.organisation
        return Legal(
            director=self.legal_director, host=self.legal_host, dpo_email=self.legal_dpo_email,
            dpo_address=self.legal_dpo_address or (
                f"{org.service}, {org.name}, {org.street}, {org.postal_code} {org.city}"),
            accessibility_state=self.accessibility_state,
            accessibility_audit=self.accessibility_audit,
            accessibility_email=self.accessibility_email or org.email,
        )

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.lower().startswith("https://")
